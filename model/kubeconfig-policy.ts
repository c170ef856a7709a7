/**
 * What a kubeconfig written by someone else may carry: one from a stack output (verify reads an ACK
 * stack's `kubeconfig` output) or a remote secret (a peer's `remoteSecret`). Loading one through a
 * Kubernetes client runs its `exec` plugin and its `auth-provider`'s command, reads the files it names,
 * and sends its credentials through the proxy it names: so such a kubeconfig may authenticate only with a
 * bearer token or a client certificate given inline, to an `https://` server whose certificate is checked.
 * A kubeconfig the operator passes as a file is the operator's own choice and keeps exec plugins.
 */
import { fromYaml } from "./yaml";

/** User fields an inline credential is made of. */
const USER_FIELDS = new Set(["token", "client-certificate-data", "client-key-data"]);
/** Why each refused user field is refused. */
const USER_REFUSED: Readonly<Record<string, string>> = {
  exec: "runs a command on the host that loads it",
  "auth-provider": "runs its provider's command or fetches tokens from where it says",
  tokenFile: "reads a file on the host that loads it",
  "client-certificate": "reads a file on the host that loads it",
  "client-key": "reads a file on the host that loads it",
  username: "is a basic-auth password login",
  password: "is a basic-auth password login",
  as: "impersonates another identity",
  "as-uid": "impersonates another identity",
  "as-groups": "impersonates another identity",
  "as-user-extra": "impersonates another identity",
};
/** Cluster fields that take the connection out of the kubeconfig's hands. */
const CLUSTER_REFUSED: Readonly<Record<string, string>> = {
  "proxy-url": "sends the connection, and its credentials, through a proxy it names",
  "certificate-authority": "reads a file on the host that loads it",
};

type Doc = { users?: unknown; clusters?: unknown };
const named = (v: unknown): { name: string; body: Record<string, unknown> }[] =>
  Array.isArray(v)
    ? v.map((x: { name?: unknown; user?: unknown; cluster?: unknown }, i) => ({
        name: typeof x?.name === "string" ? x.name : `#${i + 1}`,
        body: ((x?.user ?? x?.cluster) as Record<string, unknown> | undefined) ?? {},
      }))
    : [];

/**
 * Why a kubeconfig from a stack output or a remote secret is refused, every reason at once; [] when it
 * carries only inline credentials for `https://` servers with TLS verified.
 */
export function untrustedKubeconfigProblems(text: unknown): string[] {
  let doc: Doc | null;
  try {
    doc = typeof text === "string" ? (fromYaml(text) as Doc | null) : null;
  } catch {
    return ["it is not YAML"];
  }
  if (doc === null || typeof doc !== "object" || !Array.isArray(doc.users) || !Array.isArray(doc.clusters))
    return ["it is not a kubeconfig"];
  const out: string[] = [];
  for (const { name, body } of named(doc.users)) {
    for (const k of Object.keys(body)) {
      if (USER_FIELDS.has(k)) continue;
      out.push(`user ${name} has ${k}, which ${USER_REFUSED[k] ?? "is not an inline credential"}`);
    }
    const cert = body["client-certificate-data"] !== undefined || body["client-key-data"] !== undefined;
    if (
      typeof body.token !== "string" &&
      !(typeof body["client-certificate-data"] === "string" && typeof body["client-key-data"] === "string")
    )
      out.push(`user ${name} has ${cert ? "half a client certificate" : "no bearer token or client certificate"}`);
  }
  for (const { name, body } of named(doc.clusters)) {
    for (const [k, why] of Object.entries(CLUSTER_REFUSED)) if (body[k] !== undefined) out.push(`cluster ${name} has ${k}, which ${why}`);
    if (body["insecure-skip-tls-verify"] === true)
      out.push(`cluster ${name} has insecure-skip-tls-verify, which turns off the check of the server's certificate`);
    if (typeof body.server !== "string" || !body.server.startsWith("https://")) out.push(`cluster ${name}'s server is not an https:// URL`);
  }
  return out;
}
