/**
 * Mirrored Services: each catalog Service in every cluster, with the type, ports and headlessness the
 * plan gives it — what `istioctl analyze` reports as IST0170 when clusters disagree.
 */
import type { V1Service } from "@kubernetes/client-node";
import { mirroredService } from "../model/services";
import type { CatalogService } from "../model/types";
import type { ClusterSnapshot } from "./snapshot";
import type { Check } from "./types";
import { fail, pass, unreadable, type MeshView } from "./view";

const CAT = "mirrors" as const;

interface Shape {
  readonly type: string;
  readonly headless: boolean;
  readonly ports: string;
}

const portsOf = (ports: readonly { name?: string; port: number; protocol?: string; targetPort?: string | number }[]): string =>
  ports
    .map((p) => `${p.name ?? ""}:${p.port}/${p.protocol ?? "TCP"}→${p.targetPort ?? p.port}`)
    .sort()
    .join(", ");

export const shapeOf = (svc: V1Service): Shape => ({
  type: svc.spec?.type ?? "ClusterIP",
  headless: svc.spec?.clusterIP === "None",
  ports: portsOf(svc.spec?.ports ?? []),
});

function plannedShape(s: CatalogService): Shape {
  const spec = mirroredService(s).spec as {
    type: string;
    clusterIP?: string;
    ports: { name: string; port: number; protocol: string; targetPort: string | number }[];
  };
  return { type: spec.type, headless: spec.clusterIP === "None", ports: portsOf(spec.ports) };
}

const words = (s: Shape) => `${s.type}${s.headless ? " (headless)" : ""}, ports ${s.ports}`;

export function mirrorChecks(v: MeshView, s: ClusterSnapshot): Check[] {
  const c = s.cluster;
  if (!s.services.ok) return [unreadable("MV0601", CAT, c, "catalog Services", s.services.failure, s.stack)];
  const live = new Map(s.services.value.map((x) => [`${x.metadata?.namespace}/${x.metadata?.name}`, x]));
  const catalog = v.meshes.get(s.stack)!.services;
  const out: Check[] = [];
  for (const svc of catalog) {
    const key = `${svc.namespace}/${svc.name}`;
    const got = live.get(key);
    const want = plannedShape(svc);
    if (!got) {
      out.push(
        fail(
          "MV0601",
          CAT,
          c,
          key,
          `no Service ${key}: callers here cannot resolve ${svc.name}.${svc.namespace}`,
          "mirror it (mesh converge installs every catalog Service in every cluster)",
        ),
      );
      continue;
    }
    const have = shapeOf(got);
    if (have.type !== want.type || have.headless !== want.headless || have.ports !== want.ports)
      out.push(
        fail(
          "MV0602",
          CAT,
          c,
          key,
          `IST0170: ${words(have)}; the mirror in every cluster is ${words(want)}`,
          `keep the Service identical in every cluster: remove the local edit (kubectl -n ${svc.namespace} get service ${svc.name} -o yaml) and run mesh converge`,
        ),
      );
  }
  const bad = new Set(out.map((x) => x.name));
  const good = catalog.length - bad.size;
  if (good > 0) out.unshift(pass("MV0602", CAT, c, "catalog Services", `${good} of ${catalog.length} present and identical to the plan`));
  return out;
}
