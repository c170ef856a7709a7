/**
 * `mesh plan --out <dir>`: per cluster, every Kubernetes object the program will create and the
 * values of each Helm release, as YAML in a stable order, for diffing between two commits.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toYaml } from "../model/yaml";
import type { ClusterObjects } from "../model/cluster-objects";

/** Writes `<dir>/<stack>/objects.yaml`, `releases.yaml` and `values/<release>.yaml`; returns the files written. */
export function writeOut(dir: string, objects: ReadonlyMap<string, ClusterObjects>): string[] {
  const written: string[] = [];
  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    written.push(path);
  };
  for (const [stack, o] of objects) {
    const base = join(dir, stack);
    // files of a release or object that is gone must not linger in the diff
    rmSync(base, { recursive: true, force: true });
    mkdirSync(join(base, "values"), { recursive: true });
    write(join(base, "objects.yaml"), o.objects.map((x) => toYaml(x)).join("---\n"));
    write(join(base, "releases.yaml"), toYaml(o.releases.map(({ values: _values, ...r }) => ({ ...r, values: `values/${r.name}.yaml` }))));
    for (const r of o.releases) write(join(base, "values", `${r.name}.yaml`), toYaml(r.values));
  }
  return written;
}
