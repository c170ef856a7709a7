/**
 * A SQLite file is looked at before the store takes it: its header read as bytes, then, opened read-only,
 * SQLite's quick_check and its schema. A file that cannot be this program's store — garbage, a damaged
 * database, another program's, a newer schema — is refused as it was found: taking it first would rewrite
 * it (switching to WAL changes its header) and change its mode.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { firstLine } from "../error-line";
import { MIGRATIONS, TABLES } from "./schema";

/** The first 16 bytes of every SQLite 3 database (https://www.sqlite.org/fileformat.html, 1.3). */
const HEADER = Buffer.from("SQLite format 3\0", "latin1");
const errorText = (e: unknown) => firstLine(e).slice(0, 200);

/** What is wrong with the file at `path` as this program's store; undefined when nothing is (or it does not exist yet). */
export function sqliteProblem(path: string): string | undefined {
  const header = readHeader(path);
  if (header !== true) return header;
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    const check = (db.pragma("quick_check(3)") as { quick_check: string }[]).map((r) => r.quick_check);
    if (check.join() !== "ok") return `is damaged: SQLite's quick_check says ${check.join("; ").slice(0, 300)}`;
    const tables = (db.prepare("select name from sqlite_master where type = 'table'").pluck().all() as string[]).filter(
      (t) => !t.startsWith("sqlite_"),
    );
    if (tables.length === 0) return undefined;
    if (!tables.includes("store_migrations"))
      return `is another program's database (its tables: ${tables.slice(0, 10).join(", ")}), not a mesh job store`;
    const newest = Number(db.prepare("select max(version) from store_migrations").pluck().get() ?? 0);
    const known = MIGRATIONS.at(-1)!.version;
    if (newest > known) return `has schema version ${newest}, newer than this program's ${known}: run the newer mesh, or use another store`;
    const missing = newest === known ? TABLES.filter((t) => !tables.includes(t)) : [];
    if (missing.length > 0)
      return `is a mesh job store of schema version ${newest} without its table${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`;
    return undefined;
  } catch (e) {
    return `cannot be read as a SQLite database (${errorText(e)})`;
  } finally {
    db?.close();
  }
}

/** true when the file starts with SQLite's header (or is empty, which SQLite takes as a new database); else what is wrong. */
function readHeader(path: string): true | string | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? undefined : `cannot be opened (${code ?? errorText(e)})`;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return "is not a regular file";
    if (st.size === 0) return true;
    const head = Buffer.alloc(HEADER.length);
    const n = readSync(fd, head, 0, head.length, 0);
    return n === head.length && head.equals(HEADER) ? true : "is not a SQLite database (it does not start with SQLite's header)";
  } finally {
    closeSync(fd);
  }
}
