/**
 * East-west gateway: the Service istiod takes as the network's gateway (label
 * `topology.istio.io/network`, port 15443), an address peers can use, the same address the stack
 * publishes, and the cross-network Gateway that lets 15443 pass through.
 */
import { gatewayEndpoint, gatewayExposure } from "../model/istio";
import { CROSS_NETWORK_PORT } from "../model/istio-facts";
import type { V1Service } from "@kubernetes/client-node";
import { CROSS_NETWORK_GATEWAY, GATEWAY_SERVICE, type ClusterSnapshot } from "./snapshot";
import type { Check } from "./types";
import { fail, pass, plannedCluster, unreadable, type MeshView } from "./view";

const CAT = "east-west-gateway" as const;
const NETWORK_LABEL = "topology.istio.io/network";
const NODE_SELECTOR = "traffic.istio.io/nodeSelector";

export function gatewayChecks(v: MeshView, s: ClusterSnapshot): Check[] {
  const svcName = `Service ${GATEWAY_SERVICE}`;
  const service: Check[] = !s.gateway.ok
    ? [unreadable("MV0401", CAT, s.cluster, svcName, s.gateway.failure, s.stack)]
    : !s.gateway.value
      ? [
          fail(
            "MV0401",
            CAT,
            s.cluster,
            svcName,
            `no Service ${GATEWAY_SERVICE} in istio-system`,
            `install the gateway release: mesh converge (or pulumi up -s ${s.stack})`,
          ),
        ]
      : serviceChecks(v, s, s.gateway.value);
  return [...service, crossNetworkGatewayCheck(s)];
}

function serviceChecks(v: MeshView, s: ClusterSnapshot, svc: V1Service): Check[] {
  const mesh = v.meshes.get(s.stack)!;
  // the model's own rule of what istiod hands peers: LoadBalancer ingress plus externalIPs, the node port on NodePort
  const ep = gatewayEndpoint(gatewayExposure(mesh), svc);
  const seen = ep.peerPort !== undefined ? ep.addresses.map((a) => `${a}:${ep.peerPort}`) : [];
  return [tlsPortCheck(s, svc), networkLabelCheck(s, svc, mesh.cluster.network), addressCheck(s, svc, seen), publishedCheck(v, s, seen)];
}

function tlsPortCheck(s: ClusterSnapshot, svc: V1Service): Check {
  const c = s.cluster;
  const tls = svc.spec?.ports?.find((p) => p.port === CROSS_NETWORK_PORT);
  const nodePort = svc.spec?.type === "NodePort";
  if (!tls || tls.name !== "tls" || (nodePort && tls.nodePort === undefined))
    return fail(
      "MV0402",
      CAT,
      c,
      "tls port",
      tls
        ? `port ${CROSS_NETWORK_PORT} is named ${tls.name ?? "nothing"}${nodePort && tls.nodePort === undefined ? " and has no node port" : ""}`
        : `no port ${CROSS_NETWORK_PORT} on the Service`,
      "the gateway chart renders port tls 15443 when networkGateway is set: run mesh converge; do not override service.ports",
    );
  return pass("MV0402", CAT, c, "tls port", `tls ${CROSS_NETWORK_PORT}${tls.nodePort ? ` → node port ${tls.nodePort}` : ""}`);
}

function networkLabelCheck(s: ClusterSnapshot, svc: V1Service, network: string): Check {
  const c = s.cluster;
  const label = svc.metadata?.labels?.[NETWORK_LABEL];
  const nsLabel = s.istioSystem.ok ? s.istioSystem.value.metadata?.labels?.[NETWORK_LABEL] : undefined;
  if (label !== network)
    return fail(
      "MV0403",
      CAT,
      c,
      "network label",
      `the Service's ${NETWORK_LABEL} is ${label ?? "not set"}, the plan says ${network}: istiod does not take it as ${network}'s gateway, so peers get this cluster's pod IPs`,
      `set networkGateway: ${network} on the gateway release (mesh converge does)`,
    );
  else if (s.istioSystem.ok && nsLabel !== network)
    return fail(
      "MV0403",
      CAT,
      c,
      "network label",
      `namespace istio-system's ${NETWORK_LABEL} is ${nsLabel ?? "not set"}, the plan says ${network}: pods without the label get no network`,
      `kubectl label namespace istio-system ${NETWORK_LABEL}=${network} --overwrite (the program sets it: mesh converge)`,
    );
  return pass("MV0403", CAT, c, "network label", `${NETWORK_LABEL}=${network} on the Service and on istio-system`);
}

function addressCheck(s: ClusterSnapshot, svc: V1Service, seen: readonly string[]): Check {
  const c = s.cluster;
  const nodePort = svc.spec?.type === "NodePort";
  if (nodePort && svc.metadata?.annotations?.[NODE_SELECTOR] === undefined)
    return fail(
      "MV0404",
      CAT,
      c,
      "address peers use",
      `a NodePort Service without the ${NODE_SELECTOR} annotation: istiod ignores the node port`,
      `set ${NODE_SELECTOR}: '{}' (JSON) with externalIPs, as mesh:eastWestGateway.service.nodeSelector does`,
    );
  else if (seen.length === 0)
    return fail(
      "MV0404",
      CAT,
      c,
      "address peers use",
      svc.spec?.type === "LoadBalancer"
        ? "the load balancer has no address yet (<pending>)"
        : "no externalIPs: the selected nodes need an ExternalIP",
      svc.spec?.type === "LoadBalancer"
        ? `kubectl -n istio-system describe service ${GATEWAY_SERVICE} shows why the cloud has not assigned one (on ACK: the SLB quota, the intranet vSwitch)`
        : "set mesh:eastWestGateway.service.externalIPs to node IPs the peers reach",
    );
  return pass("MV0404", CAT, c, "address peers use", seen.join(", "));
}

/** The address peers are told (the stack's output) or planned, against the one the Service gives. */
function publishedCheck(v: MeshView, s: ClusterSnapshot, seen: readonly string[]): Check {
  const c = s.cluster;
  const pub = v.published.get(s.stack);
  const published =
    pub?.eastWestGateway?.peerPort !== undefined
      ? pub.eastWestGateway.addresses.map((a) => `${a}:${pub.eastWestGateway!.peerPort}`)
      : undefined;
  const fixed = (plannedCluster(v, s.stack)?.gateway.endpoints ?? []).filter((e) => !e.includes("<"));
  const differs = (want: readonly string[]) => want.length > 0 && [...want].sort().join(",") !== [...seen].sort().join(",");
  if (published && differs(published))
    return fail(
      "MV0405",
      CAT,
      c,
      "address as published",
      `peers are told ${published.join(", ")} (the stack's eastWestGateway output); the Service gives ${seen.join(", ") || "none"}`,
      `the output is stale: pulumi refresh -s ${s.stack} then mesh converge, so peers and their plans agree`,
    );
  else if (differs(fixed))
    return fail(
      "MV0405",
      CAT,
      c,
      "address as published",
      `the plan says ${fixed.join(", ")}; the Service gives ${seen.join(", ") || "none"}`,
      "someone changed the Service by hand, or the config changed since the last up: run mesh converge",
    );
  else
    return pass(
      "MV0405",
      CAT,
      c,
      "address as published",
      published
        ? `matches the eastWestGateway output`
        : fixed.length
          ? "matches the plan"
          : `nothing published to compare${pub?.unreadable ? ` (outputs: ${pub.unreadable})` : ""}`,
    );
}

function crossNetworkGatewayCheck(s: ClusterSnapshot): Check {
  const c = s.cluster;
  const gwName = `Gateway ${CROSS_NETWORK_GATEWAY}`;
  if (!s.crossNetworkGateway.ok) return unreadable("MV0406", CAT, c, gwName, s.crossNetworkGateway.failure, s.stack);
  const g = s.crossNetworkGateway.value as { spec?: { servers?: { port?: { number?: number }; tls?: { mode?: string } }[] } } | null;
  const server = g?.spec?.servers?.find((x) => x.port?.number === CROSS_NETWORK_PORT);
  if (!g)
    return fail(
      "MV0406",
      CAT,
      c,
      gwName,
      "no cross-network Gateway in istio-system: the east-west gateway refuses 15443",
      "run mesh converge (or pulumi up)",
    );
  else if (server?.tls?.mode !== "AUTO_PASSTHROUGH")
    return fail(
      "MV0406",
      CAT,
      c,
      gwName,
      `no server on ${CROSS_NETWORK_PORT} with tls.mode AUTO_PASSTHROUGH`,
      "run mesh converge to restore the Gateway the program manages",
    );
  return pass("MV0406", CAT, c, gwName, `${CROSS_NETWORK_PORT} AUTO_PASSTHROUGH`);
}
