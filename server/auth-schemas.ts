/** Shapes of sign-in, /v1/me and the audit trail, written once: validation, serialization and OpenAPI come from them. */
import { z } from "zod";
import { ROLES } from "./auth";

export const Me = z.object({
  subject: z.string().describe("who the server knows the caller as: the token's name, the OIDC subject, or anonymous"),
  name: z.string().describe("a name to show"),
  role: z.enum(ROLES),
  via: z
    .enum(["session", "token", "oidc", "insecure"])
    .describe("a browser session, a static bearer token, an OIDC access token, or no authentication"),
  signedInWith: z.enum(["oidc", "token"]).optional().describe("a session's: how it signed in"),
  expiresAt: z.string().optional().describe("a session's absolute end"),
  idleExpiresAt: z.string().optional().describe("when the session ends unless it is used before"),
  csrfToken: z.string().optional().describe("a session's: send it as X-CSRF-Token on every request that changes anything"),
});

export const SignInMethods = z.object({
  methods: z.array(z.enum(["oidc", "token"])).describe("oidc: GET /auth/login; token: POST /auth/token"),
  insecure: z.boolean().describe("no authentication at all (loopback only): no sign-in needed"),
});

export const TokenSignIn = z.strictObject({
  token: z.string().min(1).max(4096).describe("a static token of the server's; exchanged for a session cookie, not kept"),
});

export const EndSessions = z.strictObject({
  subject: z
    .string()
    .min(1)
    .max(500)
    .describe("whose sessions end: an OIDC subject (the provider's sub, the audit log's actor) or a static token's name"),
});

export const SessionsEnded = z.object({ ended: z.number().int().describe("how many sessions ended") });

export const LoginQuery = z.strictObject({
  returnTo: z.string().max(2000).optional().describe("a path of this portal to return to after signing in; anything else returns to /"),
});

export const CallbackQuery = z
  .object({
    code: z.string().max(4096).optional(),
    state: z.string().max(4096).optional(),
    iss: z.string().max(4096).optional(),
    error: z.string().max(4096).optional(),
    error_description: z.string().max(4096).optional(),
    session_state: z.string().max(4096).optional(),
  })
  .describe("the identity provider's answer (RFC 6749 4.1.2, RFC 9207)");

export const Redirect = z.null().describe("302 to the Location header");

const ISO_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** A time that exists: Date.parse rolls 2026-02-30 over to March and takes 24:00, so the calendar is checked by a round trip. */
const exists = (s: string): boolean => {
  const t = Date.parse(s);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 19) === s.slice(0, 19);
};
const Iso = z
  .string()
  .refine((s) => ISO_FORM.test(s) && exists(s))
  .describe("an ISO 8601 time in UTC that exists, e.g. 2026-11-01T00:00:00Z");

export const AuditQuerySchema = z.strictObject({
  actor: z.string().min(1).max(200).optional(),
  action: z
    .string()
    .regex(/^[a-z-]{1,40}$/)
    .optional(),
  status: z.coerce.number().int().min(100).max(599).optional(),
  since: Iso.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,300}$/)
    .optional(),
});

export const AuditLine = z
  .object({
    time: z.string(),
    requestId: z.string(),
    actor: z.string().optional(),
    role: z.string().optional(),
    via: z.string().optional(),
    action: z.string().describe("the route's action (up, destroy, sign-in, ...), request for another refused request, counted for counts"),
    method: z.string().optional(),
    path: z.string().optional(),
    status: z.number().int(),
    reason: z.string().optional(),
    ip: z.string().optional(),
    stack: z.string().optional(),
    jobId: z.string().optional(),
    convergeId: z.string().optional(),
    runningJob: z.string().optional(),
    subject: z.string().optional().describe("end-sessions: whose sessions an admin ended"),
    count: z.number().int().optional().describe("counted: how many unauthenticated refusals this line stands for"),
    addresses: z.number().int().optional().describe("counted: from how many client addresses"),
    until: z.string().optional().describe("counted: the last of them"),
  })
  .describe("one audited request, redacted");

export const AuditList = z.object({ entries: z.array(AuditLine), next: z.string().optional() });
