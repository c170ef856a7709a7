/** Leaf facts the schema, the supply model and the trust model share; imports nothing of the model. */

/** Istio's release charts default `global.hub` to this; `tag` to the version. */
export const ISTIO_DEFAULT_HUB = "docker.io/istio";

/** Re-issue an intermediate a month before it expires (on the next `pulumi up`). */
export const INTERMEDIATE_EARLY_RENEWAL_HOURS = 720;
