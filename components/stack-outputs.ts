/**
 * Reads other stacks' outputs (the anchor's root, the peers' identities and remote secrets) before
 * any resource is planned, so a missing peer is a pending link and a mismatch stops the run early.
 */
import * as pulumi from "@pulumi/pulumi";
import { runError } from "./run-error";
import {
  assessPeer,
  referencedStacks,
  stackShortName,
  unreadableStackReport,
  type LocalIdentity,
  type PeerAssessment,
} from "../model/peers";
import { isPem, outlivesRoot, type CaMaterial } from "../model/trust";
import type { MeshConfig } from "../model/types";
import type { TrustSource } from "./mesh-trust";

export class StackOutputs {
  private readonly refs = new Map<string, pulumi.StackReference>();

  /**
   * References every stack the config names and fails, naming the config paths and the fix, if one
   * cannot be read. The SDK rejects a failed read's outputs and also raises unhandled rejections of the
   * same error object (pulumi/pulumi sdk/nodejs/runtime/resource.ts `readResource`), which the language
   * host reports with its stack as soon as the microtask queue is empty — before a slower read of
   * another stack has answered. So each read's error is turned into its report in place the moment it
   * rejects (still within that microtask queue): the host then shows the report, once, without frames
   * and without Node 20's slow formatting (run-error.ts). Two misspelt stacks are two reports.
   */
  static async open(mesh: MeshConfig): Promise<StackOutputs> {
    const outputs = new StackOutputs();
    const reads = [...referencedStacks(mesh)].map(([stack, paths]) =>
      outputs
        .ref(stack)
        .getOutputDetails("clusterName")
        .catch((reason: unknown) => {
          throw asReport(reason, unreadableStackReport(stack, paths));
        }),
    );
    const failure = (await Promise.allSettled(reads)).find((r) => r.status === "rejected");
    // the same object the host has already reported: it is not shown again
    if (failure) throw failure.reason;
    return outputs;
  }

  /** One StackReference per stack, however many roles it plays (anchor and peer). */
  private ref(stack: string): pulumi.StackReference {
    let r = this.refs.get(stack);
    if (!r) this.refs.set(stack, (r = new pulumi.StackReference(stack)));
    return r;
  }

  /** The named outputs, secret or not, as plain values; absent ones are undefined. */
  async read(stack: string, names: readonly string[]): Promise<Record<string, unknown>> {
    const ref = this.ref(stack);
    const values = await Promise.all(names.map(async (n) => (await ref.getOutputDetails(n)) as { value?: unknown; secretValue?: unknown }));
    return Object.fromEntries(names.map((n, i) => [n, values[i]!.value ?? values[i]!.secretValue]));
  }
}

/** The SDK's error turned into the user's report (a RunError without a stack), or a new one. */
function asReport(reason: unknown, message: string): Error {
  if (!(reason instanceof Error)) return runError(message);
  return Object.assign(reason, { message, stack: undefined, __pulumiRunError: true });
}

export type ResolvedTrust =
  | { readonly status: "none" }
  | { readonly status: "pending"; readonly message: string }
  | { readonly status: "ready"; readonly source: TrustSource; /** the root, when known before deploy */ readonly rootPem?: string };

export async function resolveTrust(
  mesh: MeshConfig,
  pki: pulumi.Output<Readonly<Record<string, string>>> | undefined,
  stacks: StackOutputs,
): Promise<ResolvedTrust> {
  const trust = mesh.trust;
  switch (trust.kind) {
    case "none":
      return { status: "none" };
    case "anchor":
      return { status: "ready", source: { kind: "anchor" } };
    case "pki": {
      const p = pki!;
      return {
        status: "ready",
        source: trust.issuesIntermediate
          ? { kind: "root", certPem: p.apply((v) => v.rootCert!), keyPem: p.apply((v) => v.rootKey!) }
          : {
              kind: "intermediate",
              material: p.apply((v): CaMaterial => ({
                intermediateCert: v.intermediateCert!,
                intermediateKey: v.intermediateKey!,
                rootCert: v.rootCert!,
                certChain: v.certChain,
              })),
            },
      };
    }
    case "rootStack": {
      const anchor = stackShortName(trust.stack);
      const o = await stacks.read(trust.stack, ["trustRoot", "trustRootKey"]);
      if (o.trustRoot === undefined || o.trustRootKey === undefined) {
        return {
          status: "pending",
          message: `the mesh root from ${trust.stack} is not available yet, so istiod is not installed (it would start with a self-signed root): run pulumi up -s ${anchor} first, then pulumi up -s ${mesh.stack.stack} again`,
        };
      }
      if (!isPem(o.trustRoot, "CERTIFICATE") || !isPem(o.trustRootKey, "PRIVATE KEY")) {
        throw runError(
          `trust anchor ${trust.stack}: its trustRoot or trustRootKey is not PEM; a stack whose secrets were encrypted with another passphrase or secrets provider reads as a placeholder\n    fix: use the same PULUMI_CONFIG_PASSPHRASE (or secrets provider) for every stack`,
        );
      }
      const outlives = outlivesRoot(o.trustRoot, mesh.trustValidity.intermediateHours);
      if (outlives) {
        throw runError(
          `1 configuration problem; nothing was deployed:\n  - mesh:trust.intermediateValidityHours: ${outlives} (from ${trust.stack})\n    fix: make it shorter, or renew the mesh root on ${anchor} first`,
        );
      }
      return {
        status: "ready",
        source: { kind: "root", certPem: o.trustRoot, keyPem: pulumi.secret(o.trustRootKey) },
        rootPem: o.trustRoot,
      };
    }
  }
}

const PEER_OUTPUTS = ["clusterName", "network", "meshId", "trustRoot", "remoteSecret", "peers"] as const;

/** Every peer's state; a peer that belongs to another mesh stops the run, all problems at once. */
export async function assessPeers(
  mesh: MeshConfig,
  local: LocalIdentity,
  stacks: StackOutputs,
): Promise<(PeerAssessment & { kubeconfig?: string })[]> {
  const results = await Promise.all(
    mesh.peers.map(async (stack) => {
      const out = await stacks.read(stack, PEER_OUTPUTS);
      return { ...assessPeer(local, stack, out), kubeconfig: typeof out.remoteSecret === "string" ? out.remoteSecret : undefined };
    }),
  );
  const problems = results.flatMap((r) => r.problems);
  if (problems.length > 0) {
    throw runError(
      `${problems.length} peer problem${problems.length === 1 ? "" : "s"}; nothing was deployed:\n  - ${problems.join("\n  - ")}`,
    );
  }
  return results;
}
