/** Bounded, non-blocking reads of regular files in a project: shared by the stack reader and the vendored-chart reader. */
import { closeSync, constants, fstatSync, openSync } from "node:fs";

/** Far above any real stack file (a few KB), far below what takes long to parse. */
export const MAX_FILE_BYTES = 1 << 20;
/**
 * Runs `use` on a regular file, opened without blocking and checked on the open descriptor, so a FIFO,
 * a device or a link to one is refused at once instead of hanging a read.
 */
export function onRegularFile<T>(
  path: string,
  use: (fd: number, size: number) => T,
): { readonly value: T } | "missing" | "not a regular file" {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return "missing";
  }
  try {
    const st = fstatSync(fd);
    return st.isFile() ? { value: use(fd, st.size) } : "not a regular file";
  } finally {
    closeSync(fd);
  }
}
