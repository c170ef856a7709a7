/**
 * OIDC sign-in for browsers, the authorization code flow with PKCE (S256), a `state` and a `nonce`, by
 * openid-client (a certified relying party): the provider's metadata is discovered on first use (and
 * again after a failure), so the server starts while the provider is down. The role comes from the same
 * claim bearer tokens carry, read from the ID token or, when the provider puts it only there, from the
 * userinfo endpoint. Tokens from the provider are used once and not kept.
 */
import * as client from "openid-client";
import { roleFromClaim, type Role } from "./auth";
import type { LoginState } from "./login-state";
import { LOOPBACK, type OidcSignInSettings } from "./settings";

export class SignInError extends Error {
  constructor(
    readonly status: 400 | 403 | 502,
    message: string,
  ) {
    super(message);
    this.name = "SignInError";
  }
}

export interface SignedIn {
  readonly subject: string;
  readonly name: string;
  readonly role: Role;
}

const LOGIN_MS = 10 * 60_000;

export class OidcSignIn {
  private config?: Promise<client.Configuration>;

  constructor(
    private readonly settings: OidcSignInSettings,
    readonly redirectUri: string,
  ) {}

  private configuration(): Promise<client.Configuration> {
    if (!this.config) {
      const issuer = new URL(this.settings.issuer);
      // plain http only to a provider on loopback (settings.ts refuses it anywhere else)
      const insecure = issuer.protocol === "http:" && LOOPBACK.has(issuer.hostname.replace(/^\[|\]$/g, ""));
      const auth = this.settings.clientSecret ? client.ClientSecretBasic(this.settings.clientSecret) : client.None();
      this.config = client.discovery(issuer, this.settings.clientId, undefined, auth, {
        timeout: 5,
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      });
      this.config.catch(() => (this.config = undefined));
    }
    return this.config;
  }

  /** Where to send the browser, and the state its cookie keeps until the callback. */
  async begin(returnTo: string, previous: string | undefined, now: number): Promise<{ url: URL; state: LoginState }> {
    let config: client.Configuration;
    try {
      config = await this.configuration();
    } catch (e) {
      throw new SignInError(
        502,
        `the identity provider ${this.settings.issuer} cannot be reached or described itself wrongly (${reason(e)}); try again`,
      );
    }
    const state: LoginState = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      returnTo,
      ...(previous ? { previous } : {}),
      expiresAt: now + LOGIN_MS,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.settings.scopes.join(" "),
      code_challenge: await client.calculatePKCECodeChallenge(state.verifier),
      code_challenge_method: "S256",
      state: state.state,
      nonce: state.nonce,
    });
    return { url, state };
  }

  /** The callback's URL checked against the state (state, issuer, code with the PKCE verifier, nonce): who signed in. */
  async finish(callback: URL, state: LoginState): Promise<SignedIn> {
    const config = await this.configuration().catch((e: unknown) => {
      throw new SignInError(502, `the identity provider cannot be reached (${reason(e)}); sign in again`);
    });
    const error = callback.searchParams.get("error");
    if (error) throw new SignInError(403, `the identity provider refused the sign-in: ${error.slice(0, 100)}`);
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: state.verifier,
        expectedState: state.state,
        expectedNonce: state.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      throw new SignInError(400, `the sign-in could not be completed: ${reason(e)}; sign in again`);
    }
    const claims = tokens.claims()!;
    const roleClaim = this.settings.roleClaim ?? "mesh_role";
    let info: Record<string, unknown> = claims;
    if (claims[roleClaim] === undefined) {
      try {
        info = { ...(await client.fetchUserInfo(config, tokens.access_token, claims.sub)), ...claims };
      } catch (e) {
        throw new SignInError(502, `the identity provider's userinfo could not be read (${reason(e)}); sign in again`);
      }
    }
    const role = roleFromClaim(info[roleClaim]);
    if (!role) throw new SignInError(403, `your account carries no mesh role (the ${roleClaim} claim); ask for viewer, operator or admin`);
    const name = [info.name, info.preferred_username, info.email].find((v): v is string => typeof v === "string" && v !== "") ?? claims.sub;
    return { subject: claims.sub, name: name.slice(0, 200), role };
  }
}

/** openid-client's words for what failed (its code, the provider's error and description, the check that failed; never a token). */
function reason(e: unknown): string {
  const err = e as { code?: string; error?: string; error_description?: string; message?: string; cause?: unknown };
  const text = err.error ? `${err.error}${err.error_description ? ` (${err.error_description})` : ""}` : (err.message ?? String(e));
  const cause = !err.error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
  return `${err.code ? `${err.code}: ` : ""}${text}${cause}`.split("\n")[0]!.slice(0, 300);
}
