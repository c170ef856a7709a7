/**
 * Kubernetes' own rules for label and annotation keys and values, as the API server applies them
 * (k8s.io/apimachinery pkg/util/validation/validation.go `IsQualifiedName`, `IsValidLabelValue`; pkg/api/
 * validation/objectmeta.go `ValidateAnnotations`, `TotalAnnotationSizeLimitB`): a key the API server would
 * refuse, or one with a line break or a control character in it, never reaches a plan, a diff or a comment.
 */
const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** All annotations of one object together, in bytes of keys and values. */
export const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** Why `key` is no label or annotation key (`[prefix/]name`), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return "has more than one '/': write [prefix/]name";
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]!];
  if (prefix !== undefined) {
    if (prefix.length === 0) return "has an empty prefix before '/'";
    if (prefix.length > 253) return "has a prefix longer than 253 characters";
    if (!SUBDOMAIN.test(prefix)) return "has a prefix that is not a DNS subdomain (lower-case letters, digits, '-' and '.')";
  }
  if (name.length === 0) return "has an empty name";
  if (name.length > 63) return "has a name longer than 63 characters";
  if (!NAME.test(name)) return "has a name that is not letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  return undefined;
}

/** Why `value` is no label value, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return "is longer than 63 characters";
  if (!LABEL_VALUE.test(value)) return "is not letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  return undefined;
}

/** The size the API server counts for a set of annotations. */
export const annotationsBytes = (a: Readonly<Record<string, string>>): number =>
  Object.entries(a).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
