/** A cluster's control planes in brief, for `mesh status`: its revisions, where each tag points, what the gateway follows. */
import type { ControlPlane } from "../model/revisions";

export interface IstioSummary {
  readonly revisions: readonly { readonly name: string; readonly version: string }[];
  readonly tags: readonly { readonly tag: string; readonly revision: string }[];
  /** The revision the east-west gateway's proxies come from. */
  readonly gateway: string;
}

export const istioSummary = (cp: ControlPlane): IstioSummary => ({
  revisions: cp.revisions.map((r) => ({ name: r.name, version: r.version })),
  tags: cp.tags,
  gateway: cp.gateway.revision,
});

/** `istiod default@1.30.3, 1-31-0@1.31.0; tags prod-canary → 1-31-0; gateway → default`. */
export const istioLine = (i: IstioSummary): string =>
  `istiod ${i.revisions.map((r) => `${r.name}@${r.version}`).join(", ")}${i.tags.length ? `; tags ${i.tags.map((t) => `${t.tag} → ${t.revision}`).join(", ")}` : ""}; gateway → ${i.gateway}`;
