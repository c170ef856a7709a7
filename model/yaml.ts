import { dump, load } from "js-yaml";

/** YAML as people and kubectl write it: no folded lines, no anchors, double quotes where quoting is needed. */
export const toYaml = (value: unknown): string => dump(value, { lineWidth: -1, noRefs: true, quotingType: '"' });

export const fromYaml = (text: string): unknown => load(text);
