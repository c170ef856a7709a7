/**
 * What a fix asks its reader to do about verify itself (other credentials, another sidecar to read, more
 * time), in the words of the face they read it in: `mesh verify`'s options on the command line, the
 * portal server's settings in a verify job. Checks write a marker; the report is worded once, at the end.
 */

/** What a fix can ask of verify's own inputs. */
export type Ask =
  /** credentials from a kubeconfig file */
  | "file"
  /** ... naming one that exists */
  | "existing-file"
  /** ... with an address the machine verify runs on reaches */
  | "reachable-file"
  /** a kubeconfig file or a kube context */
  | "file-or-context"
  | "context-or-file"
  /** where verify runs: `this machine` */
  | "machine"
  /** a pod to read Envoy from (`, or …`; nothing where the face has no such setting) */
  | "or-from"
  /** checking again for a while */
  | "wait";

// private-use characters: no stack name, path or message holds them
const MARK = /\uE000ask:([a-z-]+):([^\uE001]*)\uE001/g;

/** The marker a check writes into its fix; `stack` is the stack the ask is about ("" when none). */
export const ask = (what: Ask, stack = ""): string => `\uE000ask:${what}:${stack}\uE001`;

/** One face's words for each ask. */
export type FixWords = (what: Ask, stack: string) => string;

/** `mesh verify` on the command line. */
export const CLI_WORDS: FixWords = (what, s) =>
  ({
    file: `pass --kubeconfig ${s}=<file>`,
    "existing-file": `pass --kubeconfig ${s}=<file> naming a kubeconfig file that exists`,
    "reachable-file": `pass --kubeconfig ${s}=<file> with an address it can reach`,
    "file-or-context": `pass --kubeconfig ${s}=<file> or --context ${s}=<context>`,
    "context-or-file": `pass --context ${s}=<context> or --kubeconfig ${s}=<file>`,
    machine: "this machine",
    "or-from": ", or pass --from <namespace>/<pod>",
    wait: "run mesh verify --wait 5m",
  })[what];

const restart = "(the server's environment: its operator sets it and restarts it)";

/** A verify job of the portal's server (POST /v1/verify): its settings are environment variables (docs/portal-api.md). */
export const SERVER_WORDS: FixWords = (what, s) =>
  ({
    file: `give the portal's server a kubeconfig for ${s}: add ${s}=<file> to MESH_VERIFY_KUBECONFIGS ${restart}`,
    "existing-file": `point ${s}=<file> in the portal's server's MESH_VERIFY_KUBECONFIGS at a kubeconfig file that exists on the server ${restart}`,
    "reachable-file": `give the portal's server a kubeconfig for ${s} with an address it can reach: add ${s}=<file> to MESH_VERIFY_KUBECONFIGS ${restart}`,
    "file-or-context": `give the portal's server credentials for ${s}: add ${s}=<file> to MESH_VERIFY_KUBECONFIGS, or ${s}=<context> to MESH_VERIFY_CONTEXTS ${restart}`,
    "context-or-file": `give the portal's server credentials for ${s}: add ${s}=<context> to MESH_VERIFY_CONTEXTS, or ${s}=<file> to MESH_VERIFY_KUBECONFIGS ${restart}`,
    machine: "the portal's server",
    "or-from": "",
    wait: "run the verify again in a few minutes (or have the server's operator set MESH_VERIFY_WAIT=5m, so each verify checks again by itself)",
  })[what];

/** `text` with every ask in `words`. */
export const worded = (text: string, words: FixWords): string => text.replace(MARK, (_, what: Ask, stack: string) => words(what, stack));
