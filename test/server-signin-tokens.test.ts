/**
 * Sessions made from static tokens, over real HTTP: a session has the role of the very token presented
 * (not of another entry with its name), ends when that token is rotated or removed, follows a role
 * changed in the settings; token names are unique in the settings; and failed token sign-ins from one
 * address are limited.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { sha256 } from "../server/auth";
import { settingsFromEnv } from "../server/settings";
import { startApi, type Api } from "./fixtures/api";

const HOUR = 3_600_000;
const SITE = "https://mesh.example.com";
const browser = { publicUrl: SITE, maxAgeMs: 8 * HOUR, idleMs: HOUR / 2, secret: randomBytes(32) };
const ADMIN_TOKEN = "alice-admin-token-0123456789";
const VIEWER_TOKEN = "alice-viewer-token-0123456789";
const ROTATED_TOKEN = "alice-rotated-token-0123456789";

const signIn = (api: Api, token: string) =>
  fetch(`${api.url}/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: SITE, "sec-fetch-site": "same-origin" },
    body: JSON.stringify({ token }),
  });

/** Signs in with `token`: the session cookie and its CSRF token. */
async function session(api: Api, token: string): Promise<{ cookie: string; csrf: string; me: Record<string, string> }> {
  const r = await signIn(api, token);
  assert.equal(r.status, 200, await r.clone().text());
  const me = (await r.json()) as Record<string, string>;
  return { cookie: r.headers.getSetCookie()[0]!.split(";")[0]!, csrf: me.csrfToken!, me };
}

const me = (api: Api, cookie: string) => fetch(`${api.url}/v1/me`, { headers: { cookie, origin: SITE } });
const destroy = (api: Api, s: { cookie: string; csrf: string }) =>
  fetch(`${api.url}/v1/stacks/wuxi/destroy`, {
    method: "POST",
    headers: { cookie: s.cookie, origin: SITE, "x-csrf-token": s.csrf, "content-type": "application/json" },
    body: JSON.stringify({ confirm: "wuxi" }),
  });

describe("sessions made from static tokens", () => {
  it("take the role of the token presented, not of another token with its name", async () => {
    const api = await startApi({
      browser,
      tokens: [
        { name: "alice", role: "admin", token: ADMIN_TOKEN },
        { name: "alice", role: "viewer", token: VIEWER_TOKEN },
      ],
    });
    try {
      const viewer = await session(api, VIEWER_TOKEN);
      assert.deepEqual([viewer.me.subject, viewer.me.role], ["alice", "viewer"]);
      const again = (await (await me(api, viewer.cookie)).json()) as Record<string, string>;
      assert.deepEqual([again.subject, again.role, again.via], ["alice", "viewer", "session"]);
      const refused = await destroy(api, viewer);
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { detail: string }).detail, "this needs the admin role; the caller has viewer");
      const admin = await session(api, ADMIN_TOKEN);
      assert.equal(((await (await me(api, admin.cookie)).json()) as Record<string, string>).role, "admin");
    } finally {
      await api.close();
    }
  });

  it("end when their token is rotated under the same name, follow a role changed in the settings, and keep no token", async () => {
    const storeFile = join(mkdtempSync(join(tmpdir(), "mesh-rotate-")), "jobs.db");
    const first = await startApi({ browser, storeFile, tokens: [{ name: "alice", role: "admin", token: ADMIN_TOKEN }] });
    let leaked: { cookie: string; csrf: string };
    try {
      leaked = await session(first, ADMIN_TOKEN);
      assert.equal((await me(first, leaked.cookie)).status, 200);
    } finally {
      await first.close();
    }
    // the settings now hold a new token under the old name: a session of the old one is over
    const rotated = await startApi({ browser, storeFile, tokens: [{ name: "alice", role: "admin", token: ROTATED_TOKEN }] });
    let fresh: { cookie: string; csrf: string; me: Record<string, string> };
    try {
      const r = await me(rotated, leaked.cookie);
      assert.equal(r.status, 401);
      assert.equal((await destroy(rotated, leaked)).status, 401);
      assert.equal((await signIn(rotated, ADMIN_TOKEN)).status, 401);
      fresh = await session(rotated, ROTATED_TOKEN);
      assert.equal(fresh.me.role, "admin");
      const rows = (await rotated.jobs.store.listAudit({ action: "sign-in", limit: 10 })).entries;
      assert.ok(!JSON.stringify(rows).includes(ROTATED_TOKEN));
    } finally {
      await rotated.close();
    }
    // the same token, its role lowered and its entry renamed: the session goes on with the role and name it has now
    const lowered = await startApi({ browser, storeFile, tokens: [{ name: "alice-ci", role: "viewer", token: ROTATED_TOKEN }] });
    try {
      const now = (await (await me(lowered, fresh.cookie)).json()) as Record<string, string>;
      assert.deepEqual([now.subject, now.role], ["alice-ci", "viewer"]);
      assert.equal((await destroy(lowered, fresh)).status, 403);
    } finally {
      await lowered.close();
    }
  });
});

describe("static token settings", () => {
  const entry = (name: string, role: string, token: string) => ({ name, role, sha256: sha256(token).toString("hex") });

  it("refuse two entries with one name, naming both", () => {
    const env = {
      MESH_API_TOKENS: JSON.stringify([
        entry("alice", "admin", ADMIN_TOKEN),
        entry("bob", "viewer", "b"),
        entry("alice", "viewer", VIEWER_TOKEN),
      ]),
    };
    assert.throws(() => settingsFromEnv(env), {
      message:
        'MESH_API_TOKENS[0] and MESH_API_TOKENS[2] are both named "alice": a name is who the token stands for in the audit log and on its jobs, so give each token its own (to rotate a token, replace its entry)',
    });
  });

  it("refuse one name in MESH_API_TOKENS and MESH_API_TOKENS_FILE, and one token listed twice", () => {
    const file = join(mkdtempSync(join(tmpdir(), "mesh-tokens-")), "tokens.json");
    writeFileSync(file, JSON.stringify([entry("ci", "operator", "c"), entry("alice", "viewer", VIEWER_TOKEN)]));
    assert.throws(
      () => settingsFromEnv({ MESH_API_TOKENS: JSON.stringify([entry("alice", "admin", ADMIN_TOKEN)]), MESH_API_TOKENS_FILE: file }),
      {
        message: new RegExp(`^MESH_API_TOKENS\\[0\\] and ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\[1\\] are both named "alice"`),
      },
    );
    assert.throws(
      () => settingsFromEnv({ MESH_API_TOKENS: JSON.stringify([entry("a", "admin", ADMIN_TOKEN), entry("b", "viewer", ADMIN_TOKEN)]) }),
      {
        message: "MESH_API_TOKENS[0] and MESH_API_TOKENS[1] are the same token (one sha256): list each token once, with one role",
      },
    );
    writeFileSync(file, JSON.stringify([entry("ci", "operator", "c"), entry("alice-ci", "viewer", VIEWER_TOKEN)]));
    const ok = settingsFromEnv({ MESH_API_TOKENS: JSON.stringify([entry("alice", "admin", ADMIN_TOKEN)]), MESH_API_TOKENS_FILE: file });
    assert.deepEqual(
      ok.auth.tokens.map((t) => [t.name, t.role]),
      [
        ["alice", "admin"],
        ["ci", "operator"],
        ["alice-ci", "viewer"],
      ],
    );
  });
});

describe("failed token sign-ins", () => {
  it("allow 10 a minute from one address, then refuse every attempt with 429 and Retry-After until the minute ends", async () => {
    let skew = 0;
    const api = await startApi({
      browser,
      now: () => new Date(Date.now() + skew),
      tokens: [{ name: "alice", role: "admin", token: ADMIN_TOKEN }],
    });
    try {
      for (let i = 0; i < 10; i++) assert.equal((await signIn(api, `wrong-token-${i}-0123456789`)).status, 401, `attempt ${i + 1}`);
      const limited = await signIn(api, "wrong-token-10-0123456789");
      assert.equal(limited.status, 429);
      const wait = Number(limited.headers.get("retry-after"));
      assert.ok(wait >= 59 && wait <= 60, String(wait));
      assert.equal(
        ((await limited.json()) as { detail: string }).detail,
        `10 sign-ins with a wrong token came from this address within 60 s: try again in ${wait} s`,
      );
      assert.equal(limited.headers.getSetCookie().length, 0);
      // the right token too, or the answers would tell a guess that hits
      const right = await signIn(api, ADMIN_TOKEN);
      assert.equal(right.status, 429);
      assert.equal(right.headers.getSetCookie().length, 0);
      // bearer tokens are not sign-ins: the API still answers them
      assert.equal((await api.call("GET", "/v1/me", { token: ADMIN_TOKEN })).status, 200);
      // on record on stdout (the store counts an address's unauthenticated refusals past its first 10 a minute)
      assert.equal(api.audit.filter((l) => l.action === "sign-in" && l.status === 429).length, 2);
      skew += 60_000;
      assert.equal((await signIn(api, ADMIN_TOKEN)).status, 200);
      assert.equal((await signIn(api, "wrong-token-11-0123456789")).status, 401);
    } finally {
      await api.close();
    }
  });
});
