/**
 * A project's files as they are at a git ref, read with `git show` (no checkout, nothing written):
 * what `mesh plan --diff <base>` compares the working tree with.
 */
import { execFileSync } from "node:child_process";
import { MAX_FILE_BYTES, StackFileError, type FileSource } from "./stack-files";

const git = (dir: string, args: readonly string[]): string =>
  execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", maxBuffer: MAX_FILE_BYTES + 4096, stdio: ["ignore", "pipe", "pipe"] });

/** `ref` names no commit here: what is wrong, and what may help, kept apart so a caller can word them. */
export class NoSuchRef extends StackFileError {
  constructor(
    ref: string,
    readonly problem: string,
    readonly hint?: string,
  ) {
    super(`${ref}: ${problem}${hint ? ` (${hint})` : ""}`);
  }
}

/** A ref git accepts, and nothing it could take for an option. */
const REF = /^[A-Za-z0-9._/~^@{}][A-Za-z0-9._/~^@{}-]{0,199}$/;

export function gitSource(dir: string, ref: string): FileSource {
  if (!REF.test(ref)) throw new NoSuchRef(ref, "not a git ref");
  let commit: string;
  let prefix: string;
  try {
    commit = git(dir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).trim();
    prefix = git(dir, ["rev-parse", "--show-prefix"]).trim();
  } catch {
    throw new NoSuchRef(ref, `no such commit in the repository of ${dir}`, "fetch it first, e.g. git fetch origin main");
  }
  return {
    list: () => {
      try {
        return git(dir, ["ls-tree", "--name-only", `${commit}:${prefix}`])
          .split("\n")
          .filter((n) => n !== "");
      } catch {
        throw new StackFileError(`${ref}: the project's folder does not exist there`);
      }
    },
    read: (name) => {
      const type = (() => {
        try {
          return git(dir, ["cat-file", "-t", `${commit}:${prefix}${name}`]).trim();
        } catch {
          throw new StackFileError(`${ref}:${prefix}${name}: does not exist`);
        }
      })();
      if (type !== "blob") throw new StackFileError(`${ref}:${prefix}${name}: not a file`);
      const size = Number(git(dir, ["cat-file", "-s", `${commit}:${prefix}${name}`]).trim());
      if (size > MAX_FILE_BYTES)
        throw new StackFileError(`${ref}:${prefix}${name}: larger than ${MAX_FILE_BYTES} bytes, which no stack file is`);
      return git(dir, ["show", `${commit}:${prefix}${name}`]);
    },
    label: (name) => `${ref}:${prefix}${name}`,
  };
}
