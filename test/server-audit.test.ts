/**
 * The audit trail on record, on a real SQLite file and a real PostgreSQL server: every mutating request
 * and every refusal is a row (redacted as the stdout line is), GET /v1/audit filters and pages them for
 * admins only, unauthenticated refusals beyond a few are counted instead of stored one by one, and the
 * jobs' retention prunes the rows (and ended sessions); an admin ends one subject's sessions.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openPostgres } from "../automation/store/postgres";
import { openSqlite } from "../automation/store/sqlite";
import type { JobStore } from "../automation/store/store";
import { startApi, TOKENS } from "./fixtures/api";
import { startPostgres } from "./fixtures/postgres";

const SECRET = "s3cr3t-engine-token";
let pg: { url: string; stop: () => Promise<void> } | undefined;

const backends: { name: string; open: () => JobStore }[] = [
  {
    name: "SQLite",
    open: (() => {
      const file = join(mkdtempSync(join(tmpdir(), "mesh-audit-")), "jobs.db");
      return () => openSqlite(file);
    })(),
  },
  { name: "PostgreSQL", open: () => openPostgres(pg!.url, { pollMs: 500 }) },
];

before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

for (const backend of backends) {
  describe(`the audit trail on ${backend.name}`, () => {
    it("stores every mutating request and refusal, redacted; counts unauthenticated noise; GET /v1/audit reads it", async () => {
      const api = await startApi({
        store: backend.open(),
        engine: { leakInDiagnostics: SECRET },
        limits: { auditNoisePerAddress: 3, auditNoisePerWindow: 5 },
      });
      const t0 = new Date().toISOString();
      let jobId = "";
      try {
        const up = await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
        assert.equal(up.status, 202);
        jobId = up.json.id;
        assert.equal((await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.viewer })).status, 403);
        assert.equal((await api.call("GET", `/v1/stacks/${SECRET}`, { token: TOKENS.viewer })).status, 404);
        // a scanner: 40 requests without a token, 20 to routes that do not exist
        for (let i = 0; i < 40; i++) assert.equal((await api.call("GET", "/v1/jobs", { token: null })).status, 401);
        for (let i = 0; i < 20; i++) assert.equal((await api.call("GET", `/wp-admin/${i}.php`, { token: null })).status, 404);
        assert.equal(api.audit.length, 63, "every request still has its stdout line");
        assert.ok(!JSON.stringify(api.audit).includes(SECRET), "the stdout line is redacted");

        const all = await api.call("GET", "/v1/audit?limit=500", { token: TOKENS.admin });
        assert.equal(all.status, 200);
        const lines = all.json.entries as Record<string, unknown>[];
        assert.ok(!all.text.includes(SECRET), "so is the stored one");
        const mine = lines.find((l) => l.action === "up" && l.status === 202)!;
        assert.deepEqual(
          [mine.actor, mine.role, mine.via, mine.method, mine.path, mine.stack, mine.jobId],
          ["operator-bot", "operator", "token", "POST", "/v1/stacks/wuxi/up", "wuxi", jobId],
        );
        assert.equal(
          lines.find((l) => l.actor === "viewer-bot" && l.status === 403)!.reason,
          "this needs the operator role; the caller has viewer",
        );
        assert.equal(lines.find((l) => l.actor === "viewer-bot" && l.status === 404)!.path, "/v1/stacks/[secret]");
        const unauthenticated = lines.filter((l) => l.actor === undefined);
        assert.equal(unauthenticated.length, 3, "an address's first 3 unauthenticated refusals, one by one");
        assert.deepEqual(
          lines.map((l) => l.time),
          lines
            .map((l) => l.time as string)
            .sort()
            .reverse(),
          "newest first",
        );

        const filtered = async (q: string) =>
          (await api.call("GET", `/v1/audit?${q}`, { token: TOKENS.admin })).json.entries as Record<string, unknown>[];
        assert.deepEqual(
          (await filtered("actor=operator-bot")).map((l) => l.action),
          ["up"],
        );
        assert.deepEqual(
          (await filtered("action=up&status=403")).map((l) => l.actor),
          ["viewer-bot"],
        );
        assert.equal((await filtered(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).length, 0);
        assert.ok((await filtered(`since=${encodeURIComponent(t0)}`)).length >= 5);
        const page1 = await api.call("GET", "/v1/audit?limit=2", { token: TOKENS.admin });
        const page2 = await api.call("GET", `/v1/audit?limit=2&cursor=${page1.json.next}`, { token: TOKENS.admin });
        assert.deepEqual(
          [...page1.json.entries, ...page2.json.entries].map((l: { requestId: string }) => l.requestId),
          lines.slice(0, 4).map((l) => l.requestId),
        );

        assert.equal((await api.call("GET", "/v1/audit", { token: TOKENS.operator })).status, 403);
        const bad = await api.call("GET", "/v1/audit?since=yesterday&status=abc", { token: TOKENS.admin });
        assert.equal(bad.status, 400);
        assert.deepEqual(bad.json.errors.map((e: { path: string }) => e.path).sort(), ["querystring/since", "querystring/status"]);
        // the form of a time, but no time of the calendar
        for (const since of [
          "2026-13-01T00:00:00Z",
          "2026-02-30T00:00:00Z",
          "2026-04-31T12:00:00Z",
          "2026-01-01T24:00:00Z",
          "2026-01-01T23:60:00Z",
        ]) {
          const impossible = await api.call("GET", `/v1/audit?since=${since}`, { token: TOKENS.admin });
          assert.equal(impossible.status, 400, since);
          assert.deepEqual(impossible.json.errors, [
            { path: "querystring/since", message: "since must be an ISO 8601 time in UTC that exists, e.g. 2026-11-01T00:00:00Z" },
          ]);
        }
        assert.equal((await api.call("GET", "/v1/audit?since=2028-02-29T23:59:59.5Z", { token: TOKENS.admin })).status, 200);
      } finally {
        await api.close();
      }
      // the window's counts are written when it closes, or at shutdown
      const store = backend.open();
      try {
        const counted = (await store.listAudit({ action: "counted", limit: 10 })).entries;
        const byStatus = Object.fromEntries(counted.map((c) => [c.status, c]));
        assert.deepEqual(Object.keys(byStatus).map(Number).sort(), [401, 404]);
        // 60 unauthenticated refusals: 3 stored one by one (401s), the rest counted
        assert.equal(Number(byStatus[401]!.count) + Number(byStatus[404]!.count), 57);
        assert.equal(byStatus[404]!.count, 20);
        assert.equal(byStatus[401]!.addresses, 1);
        assert.match(
          String(byStatus[401]!.reason),
          /^37 more unauthenticated requests answered 401, from 1 address, by .*: counted, not recorded one by one$/,
        );
      } finally {
        await store.close();
      }
    });

    it("keeps the audit lines by the jobs' retention, and drops ended sessions", async () => {
      const store = backend.open();
      try {
        const now = Date.now();
        const day = 86_400_000;
        const line = (i: number, age: number) => ({
          id: `retention-${backend.name}-${i}`,
          time: new Date(now - age).toISOString(),
          actor: "retention",
          action: "up",
          status: 202,
          line: {
            requestId: `retention-${backend.name}-${i}`,
            time: new Date(now - age).toISOString(),
            action: "up",
            status: 202,
            actor: "retention",
          },
        });
        // 4 and 5 newer than anything else in the table (the test before wrote some): the newest 3 are 5, 4 and one of those
        await store.appendAudit([line(1, 10 * day), line(2, 3 * day), line(3, 2 * day), line(4, -1000), line(5, -2000)]);
        await store.putSession({
          id: "a".repeat(64),
          subject: "s",
          name: "s",
          role: "viewer",
          signedInWith: "token",
          csrf: "c",
          createdAt: now - day,
          expiresAt: now - 1,
          lastSeen: now - day,
        });
        await store.putSession({
          id: "b".repeat(64),
          subject: "s",
          name: "s",
          role: "viewer",
          signedInWith: "token",
          csrf: "c",
          createdAt: now,
          expiresAt: now + day,
          lastSeen: now,
        });
        await store.prune({ days: 5, count: 3 }, now);
        const left = (await store.listAudit({ actor: "retention", limit: 10 })).entries.map((e) => e.requestId);
        // 1 is older than 5 days; 2 and 3 are younger but beyond the newest 3
        assert.deepEqual(left, [`retention-${backend.name}-5`, `retention-${backend.name}-4`]);
        assert.equal(await store.getSession("a".repeat(64)), undefined);
        assert.equal((await store.getSession("b".repeat(64)))?.subject, "s");
      } finally {
        await store.close();
      }
    });

    it("ends every session of one subject, keeps a token session's digest, and leaves other subjects' sessions", async () => {
      const store = backend.open();
      try {
        const now = Date.now();
        const session = (id: string, subject: string, tokenSha256?: string) =>
          store.putSession({
            id: id.repeat(64),
            subject,
            name: subject,
            role: "operator",
            signedInWith: tokenSha256 ? "token" : "oidc",
            ...(tokenSha256 ? { tokenSha256 } : {}),
            csrf: "c",
            createdAt: now,
            expiresAt: now + 60_000,
            lastSeen: now,
          });
        await session("c", `carol-${backend.name}`);
        await session("d", `carol-${backend.name}`);
        await session("e", `erin-${backend.name}`, "f".repeat(64));
        assert.equal((await store.getSession("e".repeat(64)))?.tokenSha256, "f".repeat(64));
        assert.equal(await store.deleteSessionsOf(`carol-${backend.name}`), 2);
        assert.equal(await store.getSession("c".repeat(64)), undefined);
        assert.equal(await store.getSession("d".repeat(64)), undefined);
        assert.equal((await store.getSession("e".repeat(64)))?.subject, `erin-${backend.name}`);
        assert.equal(await store.deleteSessionsOf(`carol-${backend.name}`), 0);
      } finally {
        await store.close();
      }
    });
  });
}
