/** Control plane: istiod of every installed revision is available and runs the planned version. */
import type { V1Deployment } from "@kubernetes/client-node";
import { controlPlane, istiodReleaseName } from "../model/revisions";
import { revisionOf, type ClusterSnapshot } from "./snapshot";
import type { Check } from "./types";
import { fail, pass, unreadable, type MeshView } from "./view";

const CAT = "control-plane" as const;

/** The image tag of istiod's `discovery` container: `<hub>/pilot:1.30.3` → `1.30.3`. */
export function istiodTag(d: V1Deployment): string | undefined {
  const image = d.spec?.template?.spec?.containers?.find((c) => c.name === "discovery")?.image;
  const at = image?.lastIndexOf(":") ?? -1;
  return image && at > image.lastIndexOf("/") ? image.slice(at + 1) : undefined;
}

export function controlPlaneChecks(v: MeshView, s: ClusterSnapshot): Check[] {
  const mesh = v.meshes.get(s.stack)!;
  const c = s.cluster;
  if (!s.istiod.ok) return [unreadable("MV0101", CAT, c, "istiod deployments", s.istiod.failure, s.stack)];
  // every revision the stack declares (two during a canary upgrade), each with the image tag it runs
  const cp = controlPlane(mesh);
  const plannedRevs = new Map(cp.revisions.map((r) => [r.name, r]));
  const byRev = new Map(s.istiod.value.map((d) => [revisionOf(d), d]));
  const out: Check[] = [];
  for (const planned of plannedRevs.keys())
    if (!byRev.has(planned))
      out.push(
        fail(
          "MV0101",
          CAT,
          c,
          `istiod (revision ${planned})`,
          `no istiod Deployment of revision ${planned} in istio-system${byRev.size ? ` (found: ${[...byRev.keys()].join(", ")})` : ""}`,
          `install it: mesh converge (or pulumi up -s ${s.stack}); helm status ${istiodReleaseName(plannedRevs.get(planned)!)} -n istio-system shows a failed release`,
        ),
      );
  const planned = [...plannedRevs.keys()].join(", ");
  for (const [rev, d] of byRev) {
    const name = `istiod (revision ${rev})`;
    const ready = d.status?.availableReplicas ?? 0;
    const desired = d.spec?.replicas ?? 1;
    if (ready < 1) {
      out.push(
        fail(
          "MV0101",
          CAT,
          c,
          name,
          `${d.metadata?.name}: ${ready}/${desired} replicas available`,
          `kubectl -n istio-system describe deployment ${d.metadata?.name} and its pods' events (image pull from the mirror? cacerts?)`,
        ),
      );
      continue;
    }
    const tag = istiodTag(d);
    const plan = plannedRevs.get(rev);
    // a tag set as mesh:istio.tag is what the image carries (a -distroless variant keeps the version as prefix)
    const want = plan?.imageTag ?? cp.revisions[cp.revisions.length - 1]!.imageTag;
    const runs = tag === want || tag?.startsWith(`${want}-`) === true;
    const key = cp.declared ? `revisions.installed.${rev}` : mesh.istio.tag ? "istio.tag" : "istio.version";
    if (runs) out.push(pass("MV0102", CAT, c, name, `${d.metadata?.name}: ${ready}/${desired} available, runs ${tag}`));
    else if (plan)
      out.push(
        fail(
          "MV0102",
          CAT,
          c,
          name,
          `${d.metadata?.name} runs ${tag ?? "an image without a tag"}, the plan says ${want} (mesh:${key})`,
          `run mesh converge to apply ${want}, or set mesh:${cp.declared ? key : "istio.version"} to what runs`,
        ),
      );
    else
      out.push(
        fail(
          "MV0103",
          CAT,
          c,
          name,
          `${d.metadata?.name} (not the planned revision ${planned}) runs ${tag ?? "an untagged image"}`,
          `during a canary both revisions run; once every namespace has moved to ${planned}, remove revision ${rev}`,
          "warn",
        ),
      );
  }
  return out;
}
