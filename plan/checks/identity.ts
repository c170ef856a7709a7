/**
 * Each stack deploys into a cluster of its own. A stack file copied from another and renamed only in
 * `name` and `network` still points at the cluster it was copied from: its kube context, its API server,
 * its east-west gateway. Two stacks on one cluster overwrite each other's istiod, `cacerts` and gateway.
 */
import * as ipaddr from "ipaddr.js";
import { gatewayEndpoint, gatewayExposure } from "../../model/istio";
import type { MeshConfig } from "../../model/types";
import type { Add, CrossStack, ValidStack } from "./context";

interface Claim {
  readonly path: string;
  /** What is claimed, as the finding names it (`kube context wuxi`). */
  readonly what: string;
  /** Equal keys are one cluster. */
  readonly key: string;
  /** The fix, for `whose` cluster (`suzhou's`, or `its`). */
  readonly fix: (whose: string) => string;
}

/** `host:port` of an https URL, the default port written out, the host as URL parsing normalises it. */
function apiServerKey(url: string): string {
  const u = new URL(url);
  return `${u.hostname.toLowerCase()}:${u.port || "443"}`;
}

/** An address in one spelling (IPv6 has several). */
const address = (a: string) => (ipaddr.isValid(a) ? ipaddr.process(a).toNormalizedString() : a.toLowerCase());

/** What names the cluster a stack deploys into: each is one cluster's own. */
export function clusterClaims(m: MeshConfig): Claim[] {
  const out: Claim[] = [];
  const src = m.cluster.source;
  if (src.kind === "kubeContext")
    out.push({
      path: "mesh:cluster.kubeContext",
      what: `kube context ${src.context}`,
      key: src.context,
      fix: (whose) => `set mesh:cluster.kubeContext to the context of ${whose} own cluster (kubectl config get-contexts lists them)`,
    });
  if (src.kind === "ack")
    out.push({
      path: "mesh:cluster.ack",
      what: `ACK cluster ${m.cluster.name} in ${src.region}`,
      key: `${src.region}/${m.cluster.name}`,
      fix: () => "give every ACK stack its own mesh:cluster.name (the ACK cluster and its VPC are named after it)",
    });
  if (m.cluster.apiServer)
    out.push({
      path: "mesh:cluster.apiServer",
      what: `API server ${m.cluster.apiServer}`,
      key: apiServerKey(m.cluster.apiServer),
      fix: (whose) => `set mesh:cluster.apiServer to the address of ${whose} own API server, as the other clusters reach it`,
    });
  const gw = gatewayEndpoint(gatewayExposure(m));
  if (gw.peerPort !== undefined)
    for (const a of gw.addresses)
      out.push({
        path: "mesh:eastWestGateway.service.externalIPs",
        what: `east-west gateway ${a}:${gw.peerPort}`,
        key: `${address(a)}:${gw.peerPort}`,
        fix: (whose) => `set mesh:eastWestGateway.service.externalIPs (and nodePorts) to the addresses of ${whose} own east-west gateway`,
      });
  return out;
}

/** A stack on a kube context named after itself: the original of a copied stack file, not the copy. */
const namedAfterItself = (v: ValidStack) =>
  v.mesh.cluster.source.kind === "kubeContext" && [v.stack, v.mesh.cluster.name].includes(v.mesh.cluster.source.context);

/** Two stacks naming one kube context, API server, gateway address:port or ACK cluster: an error naming both. */
export function identityFindings({ valid }: CrossStack, add: Add): void {
  const seen = new Map<string, ValidStack>();
  for (const v of valid) {
    for (const c of clusterClaims(v.mesh)) {
      const id = `${c.path} ${c.key}`;
      const first = seen.get(id);
      if (!first) {
        seen.set(id, v);
        continue;
      }
      if (first === v) continue;
      // the finding goes to the copy when it is plain which one that is: of two stacks on kube contexts,
      // the one whose context is not named after itself
      const onContexts = [first, v].every((x) => x.mesh.cluster.source.kind === "kubeContext");
      const known = onContexts && namedAfterItself(first) !== namedAfterItself(v);
      const copy = known && namedAfterItself(v) ? first : v;
      const original = copy === v ? first : v;
      add(
        "error",
        copy.stack,
        c.path,
        `${first.stack} and ${v.stack} both name ${c.what}: the two stacks would deploy into one cluster, each overwriting the other's istiod, cacerts and east-west gateway`,
        known
          ? `Pulumi.${copy.stack}.yaml looks copied from Pulumi.${original.stack}.yaml: ${c.fix(`${copy.stack}'s`)}`
          : `in the stack file copied from the other: ${c.fix("its")}`,
      );
    }
  }
}
