/**
 * Writes an upgrade step's edits into the stack files, keeping every comment and the order of keys:
 * through the `yaml` package's Document API, which edits the parsed document rather than re-dumping
 * values (js-yaml, used to read, drops comments).
 */
import { lstatSync, readFileSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { writeFileAtomic } from "../io/atomic-write";
import { StackFileError } from "./stack-files";
import { isScalar, parseDocument, visit } from "yaml";
import { editFile, PROJECT_FILE, type StackEdit } from "./upgrade-types";

/**
 * The text of a stack file with the edits applied; for `Pulumi.yaml` (PROJECT_FILE edits) each key's
 * value sits under `value:`, as the CLI requires of an object in project config.
 */
export function editStackText(text: string, edits: readonly StackEdit[]): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0]!.message}`);
  for (const e of edits) {
    const [key, ...rest] = e.path;
    // Pulumi.yaml may name its own keys without the project's prefix (`istio:` for `mesh:istio`)
    const short = key!.slice(key!.indexOf(":") + 1);
    const own = e.stack === PROJECT_FILE && !doc.hasIn(["config", key]) && doc.hasIn(["config", short]) ? short : key;
    const path = e.stack === PROJECT_FILE ? ["config", own, "value", ...rest] : ["config", ...e.path];
    if (e.value === undefined) doc.deleteIn(path);
    else {
      const node = doc.createNode(e.value);
      // versions quoted as the stack files write them: "1.31.0", never a bare scalar a reader might take for a number
      visit(node, {
        Scalar: (_, n) => {
          if (typeof n.value === "string" && /^\d/.test(n.value)) n.type = "QUOTE_DOUBLE";
        },
      });
      if (isScalar(node) && typeof node.value === "string" && /^\d/.test(node.value)) node.type = "QUOTE_DOUBLE";
      const existing = doc.getIn(path, true);
      // a scalar changed in place keeps the comment on its line
      if (isScalar(existing) && isScalar(node)) {
        existing.value = node.value;
        existing.type = node.type;
      } else doc.setIn(path, node);
    }
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * The file an edit of `Pulumi.<stack>.yaml` (or `Pulumi.yaml`) writes: the file itself, or the target of a link
 * to a file inside the project. A link out of the project, or anything but a regular file, is refused.
 */
function stackFileTarget(dir: string, name: string): string {
  const file = join(dir, name);
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    throw new StackFileError(`${file}: cannot be read (does it exist, and does the link in its place point to a file?)`);
  }
  const rel = relative(realpathSync(dir), real);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel))
    throw new StackFileError(
      `${file}: a link to ${real}, outside the project; mesh upgrade --write writes only inside ${dir}: edit that file by hand, or put the file itself in the project`,
    );
  if (!lstatSync(real).isFile()) throw new StackFileError(`${file}: not a regular file; mesh upgrade --write edits only regular files`);
  return real;
}

/**
 * Applies the edits to `Pulumi.<stack>.yaml` (and `Pulumi.yaml`) in `dir`, each file replaced whole (a temporary
 * file renamed over it); the files written, in order. Every file is checked before any is written.
 */
export function writeStackEdits(dir: string, edits: readonly StackEdit[]): string[] {
  const stacks = [...new Set(edits.map((e) => e.stack))];
  const targets = stacks.map((stack) => {
    const name = editFile({ stack });
    return { stack, file: join(dir, name), target: stackFileTarget(dir, name) };
  });
  for (const { stack, target } of targets) {
    writeFileAtomic(
      target,
      editStackText(
        readFileSync(target, "utf8"),
        edits.filter((e) => e.stack === stack),
      ),
      lstatSync(target).mode & 0o777,
    );
  }
  return targets.map((t) => t.file);
}
