/**
 * What a pull request changes, read as data, and its stack files staged on the default branch's (main's)
 * program. preview.yml runs this from main (a pull_request_target run always runs the default branch's
 * workflow file and commit, whatever the pull request's base), with the pull request's commit checked out
 * only into a data folder: nothing in that folder is run, and its files are read through git (a symlink
 * or a submodule is refused, never followed). The outcome decides which secrets a preview gets:
 *
 *   none    no file a preview reads changed: nothing is previewed
 *   config  only stack files changed, and only in ways main's program reads as plain data: previewed
 *           by main's program and tooling, with no approval (environment `preview`)
 *   code    the program, its dependencies, a local chart or an encrypted value changed: previewed with
 *           the pull request's own program, only once a reviewer approves (environment `preview-code`)
 *   behind  main changed a stack file the pull request changes since the pull request left main: its
 *           copy would undo main's edits, so nothing is previewed until main is merged into the branch
 *
 *   node --import tsx tools/ci/stage.ts <data-dir> <main-sha> <project-dir> [<stage.json>]
 *     <main-sha> is the commit checked out in <project-dir> (main's tip, GITHUB_SHA); writes each stack
 *     file the pull request adds or changes into <project-dir> (and removes the ones it deletes); prints
 *     path=<none|config|code|behind> for GITHUB_OUTPUT, and why on stderr; <stage.json> gets
 *     { path, reasons } for the comment (mesh pr-comment --stage).
 */
import { execFileSync } from "node:child_process";
import { lstatSync, rmSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { chartSource, chartSourceProblem } from "../../model/supply";
import { fromYaml } from "../../model/yaml";
import { MAX_FILE_BYTES } from "../../io/regular-file";
import { expandedSize, isStackName, MAX_EXPANDED_VALUES } from "../../plan/stack-files";

export type PreviewPath = "none" | "config" | "code" | "behind";
/** The merge base of the pull request and main's tip, the pull request's commit, and main's tip. */
export type Rev = "base" | "head" | "tip";
/** A file as git has it at a revision; undefined: absent, or no regular file. */
export type Read = (rev: Rev, path: string) => string | undefined;
/** Pulumi.yaml and the stack files at a revision's root, by name, with their text. */
export type ProjectFiles = (rev: Rev) => ReadonlyMap<string, string>;

/**
 * Files the program, its policy pack or its install reads (`index.ts` and `policy/index.ts` import only
 * these, test/workflows.test.ts checks): a change to one runs new code in a preview. Local charts are
 * code too (chartFolders).
 */
const PROGRAM = [
  /^[^/]+\.ts$/,
  /^(components|io|model|policy)\//,
  /^(Pulumi\.yaml|package\.json|package-lock\.json|tsconfig\.json|\.npmrc)$/,
];
/** Config outside the `mesh:` namespace that a stack file may change without approval. */
const PLAIN_PROVIDER_KEYS = new Set(["alicloud:region"]);
/** Top-level keys of a new stack file besides `config` (what `pulumi stack init --secrets-provider passphrase` writes). */
const NEW_FILE_KEYS = new Set(["config", "encryptionsalt"]);

export interface Change {
  readonly status: "A" | "M" | "D";
  readonly path: string;
}

export interface Classified {
  readonly path: PreviewPath;
  /** Why, one line each. */
  readonly reasons: string[];
  /** The stack files to write (their text) or remove (undefined). */
  readonly stage: ReadonlyMap<string, string | undefined>;
}

/** The project's own chart folder, which model/supply.ts's examples name (`./charts/istio-<version>`). */
const CHARTS = "charts";

const stackFile = (path: string) => {
  const m = /^Pulumi\.(.+)\.yaml$/.exec(path);
  return m && isStackName(m[1]!) ? m[1]! : undefined;
};

/** Every leaf of a config tree with its path (`mesh:cluster.kubeconfig`); an encrypted value (`secure:`) is one leaf. */
function leaves(v: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  const secure = v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;
  if (v !== null && typeof v === "object" && !secure) {
    for (const [k, x] of Object.entries(v)) {
      const seg = Array.isArray(v) ? `[${k}]` : /^[A-Za-z_][A-Za-z0-9_:-]*$/.test(k) ? `${path ? "." : ""}${k}` : `[${JSON.stringify(k)}]`;
      leaves(x, `${path}${seg}`, out);
    }
  } else out.set(path, v);
  return out;
}
const isSecure = (v: unknown) => v !== null && typeof v === "object" && "secure" in v;

const jsonOrValue = (v: unknown): unknown => {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
};
const field = (v: unknown, k: string): unknown =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;

/**
 * The project folders `mesh:istio.repo` names in Pulumi.yaml or a stack file (`./charts/istio-1.30.3`
 * as `charts/istio-1.30.3`; `.` for the project itself), in every form the CLI reads: a stack file's
 * value or JSON string, Pulumi.yaml's `value:` or `default:`, the key with or without its namespace.
 * Naming too many folders only sends a pull request to review, so any form that might be read counts.
 */
export function chartFolders(text: string): string[] {
  let doc: unknown;
  try {
    doc = fromYaml(text);
  } catch {
    return [];
  }
  const config = field(doc, "config");
  const out: string[] = [];
  for (const key of ["mesh:istio", "istio"]) {
    const entry = field(config, key);
    for (const v of [entry, field(entry, "value"), field(entry, "default")]) {
      const repo = field(jsonOrValue(v), "repo");
      if (typeof repo !== "string" || chartSourceProblem(repo) !== undefined) continue;
      const source = chartSource(repo);
      if (source.kind === "local") out.push(posix.normalize(source.dir));
    }
  }
  return out;
}

const inFolder = (path: string, folder: string) => folder === "." || path === folder || path.startsWith(`${folder}/`);

/** Why a stack file's change needs the pull request's own review rather than a preview of its data; [] when it needs none. */
export function stackFileProblems(file: string, before: string | undefined, after: string): string[] {
  let a: Record<string, unknown>;
  let b: Record<string, unknown> | undefined;
  try {
    a = (fromYaml(after) ?? {}) as Record<string, unknown>;
    b = before === undefined ? undefined : ((fromYaml(before) ?? {}) as Record<string, unknown>);
  } catch {
    return [`${file}: not YAML the base tooling can read`];
  }
  if (typeof a !== "object" || Array.isArray(a)) return [`${file}: not a mapping`];
  // a few bytes of YAML aliases can stand for billions of values: walked below, they would never end
  try {
    if ([a, b].some((d) => d !== undefined && expandedSize(d, MAX_EXPANDED_VALUES) > MAX_EXPANDED_VALUES))
      return [`${file}: more than ${MAX_EXPANDED_VALUES} values once its YAML aliases are expanded`];
  } catch {
    return [`${file}: a YAML alias refers to a value that contains it`];
  }
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b ?? {})])) {
    if (k === "config") continue;
    if (b ? !isDeepStrictEqual(a[k], b[k]) : !NEW_FILE_KEYS.has(k))
      out.push(`${file}: changes its top-level key ${k}, which decides how the stack's secrets are decrypted`);
  }
  const config = (x: Record<string, unknown> | undefined) => ((x?.config ?? {}) as Record<string, unknown>) ?? {};
  const [ca, cb] = [config(a), config(b)];
  for (const k of new Set([...Object.keys(ca), ...Object.keys(cb)])) {
    if (!k.startsWith("mesh:") && !PLAIN_PROVIDER_KEYS.has(k) && !isDeepStrictEqual(ca[k], cb[k]))
      out.push(`${file}: changes ${k}, configuration outside mesh: that decides where a provider sends its credentials`);
  }
  // an encrypted value at a new path would be decrypted wherever the program reads that path, in plain text
  const was = leaves(cb, "", new Map());
  for (const [path, v] of leaves(ca, "", new Map())) {
    if (isSecure(v) && !isDeepStrictEqual(was.get(path), v))
      out.push(`${file}: adds or moves an encrypted value (${path}): a preview would decrypt it wherever the program reads that key`);
  }
  return out;
}

/**
 * Sorts a pull request's changed files into a preview path. `files` gives Pulumi.yaml and the stack
 * files at each revision, for the chart folders they name.
 */
export function classify(changes: readonly Change[], read: Read, files: ProjectFiles = () => new Map()): Classified {
  const reasons: string[] = [];
  const behind: string[] = [];
  const stage = new Map<string, string | undefined>();
  const folders = new Set([CHARTS]);
  for (const rev of ["base", "head", "tip"] as const)
    for (const text of files(rev).values()) chartFolders(text).forEach((f) => folders.add(f));
  let code = false;
  for (const c of changes) {
    const stack = stackFile(c.path);
    if (stack === undefined) {
      const folder = [...folders].find((f) => inFolder(c.path, f));
      if (PROGRAM.some((re) => re.test(c.path))) {
        code = true;
        reasons.push(`${c.path}: a file the program, its policy pack or its install reads`);
      } else if (folder !== undefined) {
        code = true;
        reasons.push(
          `${c.path}: in ${folder === "." ? "the project folder" : `${folder}/`}, a local chart folder the program installs from`,
        );
      }
      continue;
    }
    // staged whole onto main's tip, a copy main has changed since would undo main's edits
    const [base, tip] = [read("base", c.path), read("tip", c.path)];
    if (base !== tip && tip !== read("head", c.path)) {
      behind.push(
        `${c.path}: main changed it after this branch left main, so this pull request's copy would undo main's edits; merge main into the branch (or rebase it on main) and push`,
      );
      continue;
    }
    if (c.status === "D") {
      stage.set(c.path, undefined);
      reasons.push(`${c.path}: removed (stack ${stack} is no longer previewed)`);
      continue;
    }
    const after = read("head", c.path);
    if (after === undefined) {
      code = true;
      reasons.push(`${c.path}: not a regular file (a symlink or a submodule), which a preview never reads`);
      continue;
    }
    const problems = stackFileProblems(c.path, c.status === "A" ? undefined : base, after);
    if (problems.length > 0) code = true;
    reasons.push(...(problems.length > 0 ? problems : [`${c.path}: stack ${stack}, read as data by main's program`]));
    stage.set(c.path, after);
  }
  if (behind.length > 0) return { path: "behind", reasons: behind, stage: new Map() };
  const path: PreviewPath = code ? "code" : stage.size > 0 ? "config" : "none";
  return { path, reasons, stage };
}

const git = (dir: string, args: readonly string[]) =>
  execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", maxBuffer: 4 * MAX_FILE_BYTES, stdio: ["ignore", "pipe", "pipe"] });

/** A root file that may hold `mesh:` config: Pulumi.yaml, or a stack file. */
const PROJECT_FILE = /^Pulumi(\.[^/]+)?\.ya?ml$/;

/**
 * The changes of the commit checked out in `dataDir` since its merge base with `mainSha` (main's tip),
 * through git only, and the files at the merge base, that commit and main's tip.
 */
export function changesOf(dataDir: string, mainSha: string): { changes: Change[]; read: Read; files: ProjectFiles; tip: string } {
  const tip = git(dataDir, ["rev-parse", "--verify", "--end-of-options", `${mainSha}^{commit}`]).trim();
  const mergeBase = git(dataDir, ["merge-base", tip, "HEAD"]).trim();
  const fields = git(dataDir, ["diff", "--name-status", "--no-renames", "-z", mergeBase, "HEAD"]).split("\0");
  const changes: Change[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const status = fields[i]![0] as string;
    // a type change (T) is a modification whose new side may not be a file: read() says so
    changes.push({ status: status === "A" ? "A" : status === "D" ? "D" : "M", path: fields[i + 1]! });
  }
  const commit = { base: mergeBase, head: "HEAD", tip };
  const read = (rev: Rev, path: string): string | undefined => {
    const entry = git(dataDir, ["ls-tree", "-z", commit[rev], "--", path]);
    // 100644 / 100755: a regular file; 120000 is a symlink, 160000 a submodule
    if (!/^1006[0-9]{2} blob /.test(entry)) return undefined;
    const size = Number(git(dataDir, ["cat-file", "-s", `${commit[rev]}:${path}`]).trim());
    if (size > MAX_FILE_BYTES) return undefined;
    return git(dataDir, ["cat-file", "blob", `${commit[rev]}:${path}`]);
  };
  const blobs = new Map<string, string>();
  const files = (rev: Rev): Map<string, string> => {
    const out = new Map<string, string>();
    // <mode> <type> <object> <size>\t<name>, one per root entry
    for (const entry of git(dataDir, ["ls-tree", "-z", "-l", commit[rev]]).split("\0")) {
      const m = /^1006[0-9]{2} blob ([0-9a-f]+) +([0-9]+)\t(.*)$/s.exec(entry);
      if (!m || !PROJECT_FILE.test(m[3]!) || Number(m[2]) > MAX_FILE_BYTES) continue;
      if (!blobs.has(m[1]!)) blobs.set(m[1]!, git(dataDir, ["cat-file", "blob", m[1]!]));
      out.set(m[3]!, blobs.get(m[1]!)!);
    }
    return out;
  };
  return { changes, read, files, tip };
}

/** Writes the staged stack files into the project folder (main's checkout). */
export function writeStage(projectDir: string, stage: ReadonlyMap<string, string | undefined>): void {
  for (const [file, text] of stage) {
    const target = join(projectDir, file);
    try {
      // replace a link itself, never write through it
      if (lstatSync(target).isSymbolicLink()) rmSync(target);
    } catch {
      // absent
    }
    if (text === undefined) rmSync(target, { force: true });
    else writeFileSync(target, text);
  }
}

function main(argv: readonly string[]): number {
  const [dataDir, mainSha, projectDir, json] = argv;
  if (!dataDir || !mainSha || !projectDir) {
    process.stderr.write("usage: tools/ci/stage.ts <data-dir> <main-sha> <project-dir> [<stage.json>]\n");
    return 2;
  }
  const { changes, read, files, tip } = changesOf(dataDir, mainSha);
  // the stack files are checked against main's tip: they must be staged on that very commit
  const checkedOut = git(projectDir, ["rev-parse", "HEAD"]).trim();
  if (checkedOut !== tip) {
    process.stderr.write(`ci-stage: ${projectDir} has ${checkedOut} checked out, not ${tip}: check out the commit given as <main-sha>\n`);
    return 2;
  }
  const c = classify(changes, read, files);
  writeStage(projectDir, c.stage);
  process.stderr.write(`preview path: ${c.path}\n${c.reasons.map((r) => `  ${r}\n`).join("")}`);
  if (json) writeFileSync(json, `${JSON.stringify({ path: c.path, reasons: c.reasons })}\n`);
  process.stdout.write(`path=${c.path}\n`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`ci-stage: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}\n`);
    process.exitCode = 1;
  }
}
