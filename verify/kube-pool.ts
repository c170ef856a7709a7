/**
 * One TLS context, and for plain requests one pool of kept-alive connections, per cluster verify reads.
 * `@kubernetes/client-node` 1.4 makes a new `https.Agent` for every request (`applySecurityAuthentication`
 * for the API calls, `applyToHTTPSOptions` for exec's WebSocket): each of the fifty-odd reads of a
 * cluster paid a TLS handshake and a new SecureContext, its CA parsed again.
 */
import { Agent, type AgentOptions } from "node:https";
import { createSecureContext } from "node:tls";
import type { KubeConfig, RequestContext } from "@kubernetes/client-node";

/** An idle kept-alive connection is closed after this long (a verify job must not leave sockets behind). */
export const IDLE_MS = 5_000;

/** What a connection's TLS is made of: an agent is shared only while these stay the same. */
const TLS_KEYS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;

const same = (a: unknown, b: unknown): boolean => (Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : a === b);

/** Hands out one agent per kind in place of the library's fresh ones, as long as their TLS settings match. */
function sharer(keepAlive: boolean): (made: unknown) => unknown {
  let shared: { agent: Agent; from: AgentOptions } | undefined;
  return (made) => {
    // only a plain https.Agent: a proxy's agent (hpagent, socks) or plain HTTP is left as the library made it
    if (!made || Object.getPrototypeOf(made) !== Agent.prototype) return made;
    const from = (made as Agent).options;
    if (!shared || !TLS_KEYS.every((k) => same(shared!.from[k], from[k]))) {
      const context = createSecureContext({ ca: from.ca, cert: from.cert, key: from.key, pfx: from.pfx, passphrase: from.passphrase });
      shared = { agent: new Agent({ ...from, keepAlive, ...(keepAlive ? { timeout: IDLE_MS } : {}), secureContext: context }), from };
    }
    return shared.agent;
  };
}

/**
 * The kubeconfig as the library sees it, but whose requests share connections: the credentials are
 * still applied to every request (a refreshed token goes in its header; new client certificates make
 * a new agent).
 */
export function pooledConnections(kc: KubeConfig): KubeConfig {
  const pooled = Object.create(kc) as KubeConfig;
  const forApi = sharer(true);
  const forExec = sharer(false);
  pooled.applySecurityAuthentication = async (context: RequestContext) => {
    await kc.applySecurityAuthentication(context);
    context.setAgent(forApi(context.getAgent()) as Agent);
  };
  pooled.applyToHTTPSOptions = async (opts) => {
    await kc.applyToHTTPSOptions(opts);
    opts.agent = forExec(opts.agent) as Agent;
  };
  return pooled;
}
