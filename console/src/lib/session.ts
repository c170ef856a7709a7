/**
 * Who is signed in. GET /v1/me answers with the name, the role, how the session was made and when it
 * ends; a 401 means nobody is, and the console shows the sign-in page.
 */
import type { Role } from "./types";

export interface Me {
  readonly name: string;
  readonly role: Role;
  readonly via: "oidc" | "token" | "insecure";
  readonly expiresAt?: string;
  readonly csrfToken?: string;
}

const ORDER: readonly Role[] = ["viewer", "operator", "admin"];
/** Whether a role may do what needs `need` (the server's own rule: a higher role includes the lower). */
export const allows = (have: Role, need: Role): boolean => ORDER.indexOf(have) >= ORDER.indexOf(need);
