/**
 * Which clusters `mesh verify` reads, and with which credentials: the stack file's `kubeContext`, or for
 * ACK (and a kubeconfig given as secret config) the stack's `kubeconfig` output; `--kubeconfig
 * <stack>=<file>` and `--context <stack>=<ctx>` override either. No credential is ever put in a message. A
 * kubeconfig output is someone else's data: one that would run a command, read a file or use a proxy on
 * this host is refused (model/kubeconfig-policy.ts); an operator's own file is loaded as it is.
 */
import { existsSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import type { GatewayEndpoint } from "../model/istio";
import { untrustedKubeconfigProblems } from "../model/kubeconfig-policy";
import type { MeshConfig } from "../model/types";
import { ask } from "./fix-words";

/** The stack outputs verify reads; the automation core's engine is one (tests give their own). */
export interface StackOutputsReader {
  outputs(stack: string): Promise<Readonly<Record<string, { readonly value: unknown; readonly secret: boolean }>>>;
}

export interface CredentialOverrides {
  /** stack → kubeconfig file */
  readonly kubeconfig?: Readonly<Record<string, string>>;
  /** stack → context in that kubeconfig (or in the default one) */
  readonly context?: Readonly<Record<string, string>>;
}

/** What a stack published about itself, as far as its outputs could be read. */
export interface PublishedOutputs {
  readonly eastWestGateway?: GatewayEndpoint;
  readonly apiServer?: string;
  /** Why they could not be read, when they could not. */
  readonly unreadable?: string;
}

export interface Target {
  readonly stack: string;
  readonly mesh: MeshConfig;
  /** Absent when no credentials could be found; `problem` says why, `fix` what to do. */
  readonly kubeConfig?: KubeConfig;
  readonly problem?: string;
  readonly fix?: string;
  /** Where the credentials came from, in words (a file or context name, never its content). */
  readonly credentialSource: string;
  readonly published: PublishedOutputs;
}

/** `a=b` pairs of repeated options into a record; throws a usage message on a malformed one. */
export function stackPairs(option: string, pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0 || i === p.length - 1) throw new TypeError(`${option} ${p}: write <stack>=<value>`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export async function readPublished(
  stack: string,
  outputs: StackOutputsReader | undefined,
): Promise<{ all?: Record<string, unknown>; published: PublishedOutputs }> {
  if (!outputs) return { published: { unreadable: "no stack outputs reader" } };
  try {
    const o = await outputs.outputs(stack);
    const all = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
    const gw = all.eastWestGateway as GatewayEndpoint | undefined;
    return {
      all,
      published: {
        ...(gw && Array.isArray(gw.addresses) ? { eastWestGateway: gw } : {}),
        ...(typeof all.apiServer === "string" ? { apiServer: all.apiServer } : {}),
      },
    };
  } catch (e) {
    // the engine's errors are already redacted; keep the first line only
    return {
      published: {
        unreadable: String((e as Error).message ?? e)
          .split("\n")[0]!
          .slice(0, 200),
      },
    };
  }
}

export async function resolveTargets(
  stacks: ReadonlyMap<string, MeshConfig>,
  overrides: CredentialOverrides,
  outputs: StackOutputsReader | undefined,
  loadDefault: (kc: KubeConfig) => void = (kc) => kc.loadFromDefault(),
): Promise<Target[]> {
  return Promise.all(
    [...stacks].map(async ([stack, mesh]): Promise<Target> => {
      const { all, published } = await readPublished(stack, outputs);
      const src = mesh.cluster.source;
      const file = overrides.kubeconfig?.[stack];
      const context = overrides.context?.[stack] ?? (src.kind === "kubeContext" ? src.context : undefined);
      const kc = new KubeConfig();
      const fail = (problem: string, credentialSource: string, fix: string): Target => ({
        stack,
        mesh,
        problem,
        fix,
        credentialSource,
        published,
      });
      if (file && !existsSync(file))
        return fail(`${stack}: the file ${file} does not exist`, `the file ${file}`, ask("existing-file", stack));
      try {
        if (file) kc.loadFromFile(file);
        else if (context) loadDefault(kc);
        else {
          const k = all?.kubeconfig;
          if (typeof k !== "string")
            return fail(
              `${stack}: no credentials: its kubeconfig output could not be read (${published.unreadable ?? "the stack has no kubeconfig output yet"})`,
              "the stack's kubeconfig output",
              ask("file-or-context", stack),
            );
          // someone else's data: a plugin, a file or a proxy it names would run or be used on this host
          const refused = untrustedKubeconfigProblems(k);
          if (refused.length > 0)
            return fail(
              `${stack}: its kubeconfig output is refused: ${refused.join("; ")}; a kubeconfig read from a stack output may carry only a bearer token or a client certificate`,
              "the stack's kubeconfig output",
              `re-export it with a token or client certificate, or ${ask("file", stack)} (a kubeconfig file of your own may use exec plugins)`,
            );
          kc.loadFromString(k);
        }
      } catch {
        // a parser's message may quote the file: say only which one
        const where = file
          ? `the file ${file}`
          : context
            ? "the default kubeconfig (KUBECONFIG or ~/.kube/config)"
            : "the stack's kubeconfig output";
        return fail(`${stack}: ${where} is not a readable kubeconfig`, where, `fix it or ${ask("file", stack)}`);
      }
      const source = file ? `kubeconfig ${file}` : context ? `kube context ${context}` : "the stack's kubeconfig output";
      if (context) {
        if (!kc.getContextObject(context))
          return fail(
            `${stack}: the context ${context} is not in ${file ?? "the kubeconfig (KUBECONFIG or ~/.kube/config)"}`,
            source,
            ask("context-or-file", stack),
          );
        kc.setCurrentContext(context);
      }
      if (!kc.getCurrentCluster()) return fail(`${stack}: ${source} names no cluster`, source, ask("file", stack));
      return { stack, mesh, kubeConfig: kc, credentialSource: source, published };
    }),
  );
}
