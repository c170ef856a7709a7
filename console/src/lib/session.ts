/**
 * Who is signed in. GET /v1/me answers with the name, the role, how the caller got in and, for a
 * browser session, when it ends and its CSRF token; a 401 means nobody is, and the console shows the
 * sign-in page with the methods GET /auth/methods lists.
 */
import type { Me, Role } from "./types";

export type { Me };

const ORDER: readonly Role[] = ["viewer", "operator", "admin"];
/** Whether a role may do what needs `need` (the server's own rule: a higher role includes the lower). */
export const allows = (have: Role, need: Role): boolean => ORDER.indexOf(have) >= ORDER.indexOf(need);

/** How the user menu names the way in: a session by how it signed in, else the caller's kind. */
export const wayIn = (me: Me): "oidc" | "token" | "insecure" => (me.via === "session" ? (me.signedInWith ?? "token") : me.via);
