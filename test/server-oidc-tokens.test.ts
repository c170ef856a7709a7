/**
 * OIDC bearer tokens that are signed by the portal's identity provider but are not access tokens it
 * should take: no `typ` or another type (an ID token, a logout token), issued too long ago, valid for a
 * century, issued in the future, or without `iat`. Each is refused with 401 and says why.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { settingsFromEnv } from "../server/settings";
import { identityProvider, startApi, type Api } from "./fixtures/api";

const now = () => Math.floor(Date.now() / 1000);
const YEAR = 365 * 86_400;

describe("OIDC access tokens: type and age", () => {
  let api: Api;
  let idp: Awaited<ReturnType<typeof identityProvider>>;
  before(async () => {
    idp = await identityProvider();
    api = await startApi({ jwksUrl: idp.jwksUrl });
  });
  after(async () => {
    await api.close();
    idp.close();
  });
  const status = async (token: string) => {
    const r = await api.call("GET", "/v1/stacks", { token });
    return [r.status, r.json?.detail as string | undefined];
  };

  it("takes typ at+jwt, application/at+jwt and JWT, in any case", async () => {
    for (const typ of ["at+jwt", "application/at+jwt", "AT+JWT", "JWT", "jwt"])
      assert.equal((await status(await idp.sign({ mesh_role: "viewer" }, { typ })))[0], 200, typ);
  });

  it("refuses a token without typ, or of another type", async () => {
    for (const typ of [null, "id_token+jwt", "logout+jwt", "secevent+jwt", "JOSE", ""])
      assert.deepEqual(await status(await idp.sign({ mesh_role: "admin" }, { typ })), [
        401,
        "the token is not an access token: its typ is neither at+jwt nor JWT",
      ]);
  });

  it("refuses a 100-year token, one issued 13 hours ago, one issued in the future and one without iat", async () => {
    assert.deepEqual(await status(await idp.sign({ mesh_role: "admin" }, { exp: now() + 100 * YEAR })), [
      401,
      "the token is valid for longer than 720 minutes; the identity provider must issue shorter-lived tokens",
    ]);
    assert.deepEqual(await status(await idp.sign({ mesh_role: "admin" }, { iat: now() - 13 * 3600, exp: now() + 600 })), [
      401,
      "the token was issued more than 720 minutes ago, or in the future; get a new one",
    ]);
    assert.deepEqual(await status(await idp.sign({ mesh_role: "admin" }, { iat: now() + 3600, exp: now() + 7200 })), [
      401,
      "the token was issued more than 720 minutes ago, or in the future; get a new one",
    ]);
    assert.deepEqual(await status(await idp.sign({ mesh_role: "admin" }, { exp: now() + 600, iat: null })), [
      401,
      "the token carries no iat (when it was issued), which this server needs to bound its age",
    ]);
    assert.equal((await status(await idp.sign({ mesh_role: "admin" }, { iat: now() - 11 * 3600, exp: now() + 600 })))[0], 200);
  });

  it("reads the maximum age from MESH_OIDC_MAX_TOKEN_AGE", async () => {
    const env = { MESH_OIDC_ISSUER: "https://id.example", MESH_OIDC_AUDIENCE: "mesh", MESH_OIDC_JWKS_URL: "https://id.example/jwks" };
    assert.equal(settingsFromEnv({ ...env, MESH_OIDC_MAX_TOKEN_AGE: "1h" }).auth.oidc!.maxTokenAgeMs, 3_600_000);
    assert.equal(settingsFromEnv(env).auth.oidc!.maxTokenAgeMs, undefined);
    assert.throws(() => settingsFromEnv({ ...env, MESH_OIDC_MAX_TOKEN_AGE: "forever" }), {
      message: "MESH_OIDC_MAX_TOKEN_AGE forever: write a duration such as 90s, 10m or 1h (at most 24h)",
    });
    const short = await startApi({ jwksUrl: idp.jwksUrl, oidc: { maxTokenAgeMs: 3_600_000 } });
    try {
      const two = await idp.sign({ mesh_role: "viewer" }, { exp: "2h" });
      assert.equal((await short.call("GET", "/v1/stacks", { token: two })).status, 401);
      assert.equal((await short.call("GET", "/v1/stacks", { token: await idp.sign({ mesh_role: "viewer" }, { exp: "50m" }) })).status, 200);
    } finally {
      await short.close();
    }
  });
});
