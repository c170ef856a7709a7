/**
 * Whether a revision still has proxies in one stack's cluster: what `mesh upgrade --apply` asks before it
 * writes the step that removes the revision. Read as `mesh verify` reads the data plane (data-plane.ts), with
 * the stack's own credentials.
 */
import type { ProjectFiles } from "../plan/stack-files";
import { validStacks } from "../plan/plan";
import { readDataPlane, proxiesOn } from "./data-plane";
import { clientReader } from "./kube";
import { ISTIO_NAMESPACE } from "./snapshot";
import { resolveTargets } from "./targets";
import { failureFix } from "./view";
import type { VerifyOptions } from "./verify";

export type RevisionUse =
  | { readonly ok: true; readonly proxies: readonly { readonly name: string; readonly how: string }[]; readonly asked: readonly string[] }
  | { readonly ok: false; readonly problem: string; readonly fix: string };

export async function revisionInUse(
  files: ProjectFiles,
  stack: string,
  revision: string,
  o: Pick<VerifyOptions, "outputs" | "loadDefaultKubeconfig" | "reader" | "timeoutMs" | "inFlight" | "credentials">,
): Promise<RevisionUse> {
  const mesh = validStacks(files).get(stack);
  if (!mesh) return { ok: false, problem: `no valid stack ${stack} in this project`, fix: "run mesh plan and fix its errors" };
  const [t] = await resolveTargets(new Map([[stack, mesh]]), o.credentials ?? {}, o.outputs, o.loadDefaultKubeconfig);
  if (!t?.kubeConfig)
    return {
      ok: false,
      problem: `no credentials for ${stack}: ${t?.problem ?? "none found"}`,
      fix: t?.fix ?? `give ${stack}'s cluster the credentials mesh verify uses (docs/verify.md)`,
    };
  const r = (o.reader ?? clientReader)(t.kubeConfig, o);
  const pods = await r.listPods(ISTIO_NAMESPACE, "app=istiod");
  const d = await readDataPlane(r, pods);
  // both reads must answer: either alone could miss a proxy
  const failed = [!pods.ok ? pods.failure : undefined, !d.injected.ok ? d.injected.failure : undefined]
    .concat([...d.connected.values()].map((c) => (!c.read.ok ? c.read.failure : undefined)))
    .find((f) => f !== undefined);
  if (failed) return { ok: false, problem: `${failed.what}: ${failed.message}`, fix: failureFix(failed, stack) };
  return { ok: true, proxies: proxiesOn(d, revision), asked: d.connected.get(revision)?.istiods ?? [] };
}
