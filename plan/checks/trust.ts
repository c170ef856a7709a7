/** Shared trust: exactly one anchor, and every other stack naming it as its root. */
import { stackShortName } from "../../model/peers";
import type { Add, CrossStack } from "./context";

/** No anchor, two anchors, a stack without a trust source, or a rootStack that is not the anchor. */
export function trustFindings({ valid, project, leftOut, fqs, byFq }: CrossStack, add: Add): void {
  const anchors = valid.filter((v) => v.mesh.trust.kind === "anchor");
  const usesAnchor = valid.some((v) => v.mesh.trust.kind === "rootStack" || v.mesh.trust.kind === "anchor");
  // a stack left out may be the anchor: its absence from the valid ones proves nothing
  if (anchors.length === 0 && usesAnchor && leftOut.length === 0) {
    add("error", "*", "mesh:trust", "no stack is the trust anchor", "set mesh:trust: { anchor: true } on exactly one stack");
  }
  for (const a of anchors.slice(1)) {
    add(
      "error",
      a.stack,
      "mesh:trust.anchor",
      `${anchors[0]!.stack} is the trust anchor already: two roots split the mesh (CERTIFICATE_VERIFY_FAILED)`,
      `set mesh:trust: { rootStack: ${anchors[0]!.fq} } here`,
    );
  }
  for (const v of valid) {
    const t = v.mesh.trust;
    if (t.kind === "none") {
      add(
        "error",
        v.stack,
        "mesh:trust",
        "no trust source: istiod would sign with its own root and cross-cluster mTLS would fail",
        anchors[0]
          ? `set mesh:trust: { rootStack: ${anchors[0].fq} }`
          : "set mesh:trust: { anchor: true } on one stack and { rootStack: ... } on the others",
      );
    }
    if (t.kind === "rootStack") {
      const root = byFq.get(t.stack);
      if (!fqs.has(t.stack))
        add(
          "error",
          v.stack,
          "mesh:trust.rootStack",
          `${t.stack} is not a stack of this project`,
          `name the anchor, e.g. ${anchors[0]?.fq ?? `organization/${project}/<anchor>`}`,
        );
      // with no anchor at all, that one finding says it; naming every rootStack again is noise
      else if (root && root.mesh.trust.kind !== "anchor" && anchors.length > 0)
        add(
          "error",
          v.stack,
          "mesh:trust.rootStack",
          `${stackShortName(t.stack)} is not the trust anchor`,
          anchors[0] ? `name the anchor: ${anchors[0].fq}` : `set mesh:trust: { anchor: true } in Pulumi.${stackShortName(t.stack)}.yaml`,
        );
    }
  }
}
