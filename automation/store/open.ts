/**
 * The one setting that chooses the store: MESH_DATABASE_URL. `postgres://…` (or `postgresql://…`) is
 * PostgreSQL; unset, or `sqlite:<path>` (relative to the project), is SQLite, by default
 * `.mesh/jobs.db` in the project.
 */
import { isAbsolute, join } from "node:path";
import { openPostgres } from "./postgres";
import { openSqlite } from "./sqlite";
import type { JobStore } from "./store";

export const DEFAULT_SQLITE = join(".mesh", "jobs.db");

export function openStore(setting: string | undefined, projectDir: string): JobStore {
  const url = setting?.trim() ?? "";
  if (url === "") return openSqlite(join(projectDir, DEFAULT_SQLITE));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length);
    if (path === "") throw new Error("MESH_DATABASE_URL: sqlite: needs a path, e.g. sqlite:.mesh/jobs.db");
    return openSqlite(path === ":memory:" || isAbsolute(path) ? path : join(projectDir, path));
  }
  throw new Error(
    "MESH_DATABASE_URL: neither postgres://user:password@host:5432/db nor sqlite:<path>; unset, the store is .mesh/jobs.db in the project",
  );
}
