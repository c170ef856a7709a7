/**
 * Browsers' sessions. Server-side, in the job store: the cookie holds only 32 random bytes, the store
 * only their SHA-256, so a sign-out or an expiry ends the session for every replica at once and a copied
 * cookie dies with it; there is no cookie key to rotate, and nothing about the user rides in the
 * browser. A session ends at its absolute lifetime or after its idle timeout, whichever comes first; a
 * new one is made at every sign-in, and the one the browser had when it began signing in is deleted. One made from a
 * static token keeps the SHA-256 of the very token presented (the settings' own entry for it), takes that
 * token's role as the settings say now, and ends when that token is removed or rotated, whatever its name.
 */
import { createHash, randomBytes } from "node:crypto";
import type { FastifyReply } from "fastify";
import "@fastify/cookie";
import type { JobStore, StoredSession } from "../automation/store/store";
import type { Authenticator, Principal, Role } from "./auth";
import type { BrowserSettings } from "./settings";

export interface Identity {
  readonly subject: string;
  readonly name: string;
  readonly role: Role;
  readonly signedInWith: "oidc" | "token";
  /** Signed in with a static token: its SHA-256 (hex). */
  readonly tokenSha256?: string;
}

/** A use refreshes the idle clock in the store at most this often, so reads stay reads. */
const TOUCH_EVERY_MS = 60_000;
const hash = (value: string): string => createHash("sha256").update(value, "utf8").digest("hex");

export class Sessions {
  /** Secure cookies (and the __Host- prefix) unless the portal is plain http on loopback. */
  readonly secure: boolean;
  readonly cookieName: string;
  readonly loginCookieName: string;

  constructor(
    private readonly store: JobStore,
    readonly settings: BrowserSettings,
    private readonly auth: Authenticator,
    private readonly now: () => Date,
  ) {
    this.secure = settings.publicUrl?.startsWith("https:") ?? false;
    // __Host-: the browser takes it only from this origin over https, for path /, never for a parent domain
    this.cookieName = this.secure ? "__Host-mesh_session" : "mesh_session";
    this.loginCookieName = this.secure ? "__Secure-mesh_login" : "mesh_login";
  }

  /** The store's id of a cookie's value (its SHA-256), or undefined for a value this server never makes. */
  idOf(value: string | undefined): string | undefined {
    return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value) ? hash(value) : undefined;
  }

  /** A new session for `who` (the session of id `previous`, if any, ends): the cookie's value and the principal. */
  async start(who: Identity, previous?: string): Promise<{ value: string; principal: Principal }> {
    if (previous) await this.store.deleteSession(previous);
    const value = randomBytes(32).toString("base64url");
    const now = this.now().getTime();
    const s: StoredSession = {
      id: hash(value),
      ...who,
      csrf: randomBytes(24).toString("base64url"),
      createdAt: now,
      expiresAt: now + this.settings.maxAgeMs,
      lastSeen: now,
    };
    await this.store.putSession(s);
    return { value, principal: this.principal(s, s.role as Role) };
  }

  /** The principal of a live session, or undefined (and the session deleted, if it has ended). */
  async resolve(value: string): Promise<Principal | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(value)) return undefined;
    const s = await this.store.getSession(hash(value));
    if (!s) return undefined;
    const now = this.now().getTime();
    // by the token presented, not its name: names need not have been unique, and a rotated token is another one
    const token = s.signedInWith === "token" ? this.auth.tokenWithDigest(s.tokenSha256) : undefined;
    if (now >= s.expiresAt || now - s.lastSeen >= this.settings.idleMs || (s.signedInWith === "token" && !token)) {
      await this.store.deleteSession(s.id).catch(() => undefined);
      return undefined;
    }
    let lastSeen = s.lastSeen;
    if (now - s.lastSeen >= Math.min(TOUCH_EVERY_MS, this.settings.idleMs / 10)) {
      // a store that cannot take the write now (/readyz says why) shortens the idle clock, and refuses nobody
      lastSeen = await this.store.touchSession(s.id, now).then(
        () => now,
        () => s.lastSeen,
      );
    }
    // a token renamed in the settings is the same token: the session goes on under its name now
    const named = token ? { subject: token.name, name: token.name } : {};
    return this.principal({ ...s, ...named, lastSeen }, token?.role ?? (s.role as Role));
  }

  async end(value: string): Promise<void> {
    if (/^[A-Za-z0-9_-]{43}$/.test(value)) await this.store.deleteSession(hash(value));
  }

  setCookie(reply: FastifyReply, value: string): void {
    reply.setCookie(this.cookieName, value, {
      path: "/",
      httpOnly: true,
      secure: this.secure,
      sameSite: "strict",
      maxAge: Math.floor(this.settings.maxAgeMs / 1000),
    });
  }

  clearCookie(reply: FastifyReply): void {
    reply.clearCookie(this.cookieName, { path: "/", httpOnly: true, secure: this.secure, sameSite: "strict" });
  }

  private principal(s: StoredSession, role: Role): Principal {
    return {
      subject: s.subject,
      name: s.name,
      role,
      via: "session",
      session: {
        signedInWith: s.signedInWith,
        expiresAt: s.expiresAt,
        idleExpiresAt: Math.min(s.expiresAt, s.lastSeen + this.settings.idleMs),
        csrf: s.csrf,
      },
    };
  }
}
