/** Settings every stack of the mesh must share: the mesh id, the Istio version, the service catalog. */
import type { Add, CrossStack } from "./context";

/** Stacks that disagree with the first on what the whole mesh shares. */
export function agreementFindings({ valid }: CrossStack, add: Add): void {
  const first = valid[0]!;
  for (const v of valid.slice(1)) {
    if (v.mesh.meshId !== first.mesh.meshId) {
      add(
        "error",
        v.stack,
        "mesh:meshId",
        `mesh id ${JSON.stringify(v.mesh.meshId)} differs from ${first.stack}'s ${JSON.stringify(first.mesh.meshId)}`,
        "set mesh:meshId once, in Pulumi.yaml, and remove it from the stack files",
      );
    }
    if (v.mesh.istio.version !== first.mesh.istio.version) {
      add(
        "warning",
        v.stack,
        "mesh:istio.version",
        `Istio ${v.mesh.istio.version} here (mesh:istio of ${v.istioFile}), ${first.mesh.istio.version} in ${first.stack} (mesh:istio of ${first.istioFile}); a stack's own mesh:istio replaces Pulumi.yaml's whole`,
        `during mesh upgrade this lasts until its last step; otherwise set the same version in ${[...new Set([v.istioFile, first.istioFile])].join(" or ")}`,
      );
    }
    // the shared catalog is one object; only a stack that overrides it needs comparing
    if (v.mesh.services !== first.mesh.services && JSON.stringify(v.mesh.services) !== JSON.stringify(first.mesh.services)) {
      const names = new Set([...first.mesh.services, ...v.mesh.services].map((s) => `${s.namespace}/${s.name}`));
      const differ = [...names].filter((n) => {
        const x = first.mesh.services.find((s) => `${s.namespace}/${s.name}` === n);
        const y = v.mesh.services.find((s) => `${s.namespace}/${s.name}` === n);
        return JSON.stringify(x) !== JSON.stringify(y);
      });
      add(
        "error",
        v.stack,
        "mesh:services",
        `the mirrored services ${differ.join(", ")} would differ from ${first.stack}'s: a Service must be identical in every cluster (istioctl analyze flags it, and DNS of a remote-only service breaks where it is missing)`,
        "define the catalog once, in Pulumi.yaml, and remove mesh:services from the stack files",
      );
    }
  }
}
