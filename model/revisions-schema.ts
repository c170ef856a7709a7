/**
 * The shape of `mesh:revisions`: the istiod revisions installed side by side in one cluster (a canary
 * upgrade), the revision tags namespaces opt in with, and what the east-west gateway follows.
 * Relations between the fields (a tag naming an installed revision, version skew) are in rules/revisions.ts.
 */
import { z } from "zod";
import { ISTIOD_REVISION_MAX } from "./istio-facts";
import { dns1123, problem } from "./schema";

/** The revision name that stands for Istio's default revision: chart `revision: ""`, release `istiod`. */
export const DEFAULT_REVISION = "default";

const revisionName = dns1123("revision").max(ISTIOD_REVISION_MAX, {
  error: problem(
    `longer than ${ISTIOD_REVISION_MAX} characters: the release istiod-<revision> would exceed Helm's 53`,
    "shorten it, e.g. 1-31-0",
  ),
});
const version = z.string().regex(/^\d+\.\d+\.\d+$/, {
  error: problem("not an Istio release version", 'pin an exact release, e.g. "1.31.0" (no ranges, no "v")'),
});
/** A tag or a revision: what `istio.io/rev` on a namespace, or the gateway's `revision`, names. */
const reference = dns1123("revision or tag");

export const RevisionsSchema = z.strictObject({
  /** Revision name → Istio version of its istiod. `default` is the unrevisioned istiod (release `istiod`). */
  installed: z
    .record(revisionName, version)
    .refine((r) => Object.keys(r).length > 0, { error: problem("no revision installed", 'list at least one, e.g. { default: "1.30.3" }') }),
  /** Revision tag → the revision it points at: `istio-revision-tag-<tag>` webhooks. @default none */
  tags: z.record(dns1123("tag"), revisionName).default({}),
  /**
   * Catalog namespace → the tag (or revision) its `istio.io/rev` label names. The `default` revision is
   * written as `istio-injection: enabled`, which only the unrevisioned istiod serves.
   */
  namespaces: z.record(dns1123("namespace"), reference).default({}),
  /** The tag or revision the east-west gateway's proxies are injected by (the gateway chart's `revision`). */
  gateway: reference,
  /** The revision that validates Istio resources (`istio-base`'s `defaultRevision`). */
  defaultRevision: revisionName,
});

export type RevisionsInput = z.infer<typeof RevisionsSchema>;
