/**
 * `mesh plan --out <dir>`: per cluster, every Kubernetes object the program will create and the
 * values of each Helm release, as YAML in a stable order, for diffing between two commits.
 *
 * It writes only inside a folder it created: a new or empty folder is marked as its own, and a
 * folder without that mark is refused, so no path a user or a stack file names can make it delete
 * or overwrite anything else.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { writeFileAtomic } from "../io/atomic-write";
import { toYaml } from "../model/yaml";
import type { ClusterObjects } from "../model/cluster-objects";
import { isStackName } from "./stack-files";

/** The file that marks a folder as written by `mesh plan --out`. */
export const OUT_MARKER = ".mesh-plan-out";

export class OutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutError";
  }
}

/** Creates or reuses `dir` as an output folder of `mesh plan`, or says why it cannot. */
function claim(dir: string): void {
  if (existsSync(dir) || isLink(dir)) {
    const st = lstatSync(dir);
    if (!st.isDirectory()) throw new OutError(`--out ${dir}: exists and is not a folder; name a new folder`);
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(OUT_MARKER)) {
      throw new OutError(`--out ${dir}: a folder mesh plan did not create (not empty, no ${OUT_MARKER}); name a new or empty folder`);
    }
  } else {
    mkdirSync(dir, { recursive: true });
  }
  const marker = join(dir, OUT_MARKER);
  // a marker that is a link (or no file) would have the write land wherever it points
  if ((existsSync(marker) || isLink(marker)) && !lstatSync(marker).isFile())
    throw new OutError(
      `--out ${dir}: its ${OUT_MARKER} is a link or not a file, which mesh plan never writes through; remove it, or name a new folder`,
    );
  writeFileAtomic(marker, "written by mesh plan --out; its stack folders are replaced on every run\n");
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** `dir/name`, refusing any name that would leave `dir`. */
function inside(dir: string, name: string): string {
  const path = resolve(dir, name);
  const rel = relative(resolve(dir), path);
  if (rel === "" || rel.startsWith("..") || rel.includes(sep) || !isStackName(name))
    throw new OutError(`--out: "${name}" cannot name a folder inside ${dir}`);
  return path;
}

/** Writes `<dir>/<stack>/objects.yaml`, `releases.yaml` and `values/<release>.yaml`; returns the files written. */
export function writeOut(dir: string, objects: ReadonlyMap<string, ClusterObjects>): string[] {
  claim(dir);
  const written: string[] = [];
  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    written.push(path);
  };
  for (const [stack, o] of objects) {
    const base = inside(dir, stack);
    // files of a release or object that is gone must not linger in the diff; the folder is ours (claim)
    rmSync(base, { recursive: true, force: true });
    mkdirSync(join(base, "values"), { recursive: true });
    write(join(base, "objects.yaml"), o.objects.map((x) => toYaml(x)).join("---\n"));
    write(join(base, "releases.yaml"), toYaml(o.releases.map(({ values: _values, ...r }) => ({ ...r, values: `values/${r.name}.yaml` }))));
    for (const r of o.releases) write(join(base, "values", `${r.name}.yaml`), toYaml(r.values));
  }
  return written;
}
