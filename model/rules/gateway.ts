/** Rules for mesh:eastWestGateway: its Service type, ports and addresses. */
import { z } from "zod";
import { NETWORK_GATEWAY_PORTS, NODE_PORT_MAX, NODE_PORT_MIN } from "../istio-facts";
import { GatewaySchema } from "../schema";
import { NS, type Add } from "./shared";

export type GatewayService = z.infer<ReturnType<typeof GatewaySchema.shape.service.unwrap>>;

export function checkGatewayService(svc: GatewayService, add: Add): void {
  const type = svc.type ?? "LoadBalancer";
  const seen = new Map<number, string>();
  for (const { name } of NETWORK_GATEWAY_PORTS) {
    const p = svc.nodePorts?.[name];
    if (p === undefined) continue;
    const path = `${NS}:eastWestGateway.service.nodePorts["${name}"]`;
    if (p < NODE_PORT_MIN || p > NODE_PORT_MAX) {
      add(
        path,
        `${p} is outside the NodePort range ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
        `pick a free port from ${NODE_PORT_MIN} to ${NODE_PORT_MAX}`,
      );
    } else if (seen.has(p)) {
      add(path, `${p} is already used by ${seen.get(p)}`, "give every gateway port its own node port");
    }
    seen.set(p, name);
  }
  if (type !== "NodePort" && svc.nodePorts) {
    add(
      `${NS}:eastWestGateway.service.nodePorts`,
      "fixed node ports are set but the service type is not NodePort",
      'set service.type to "NodePort" or remove nodePorts',
    );
  }
  if (type !== "NodePort" && svc.nodeSelector) {
    add(
      `${NS}:eastWestGateway.service.nodeSelector`,
      "nodeSelector only applies to a NodePort gateway",
      'set service.type to "NodePort" or remove nodeSelector',
    );
  }
  if (type === "NodePort" && svc.externalIPs.length === 0 && svc.nodeSelector === undefined) {
    add(
      `${NS}:eastWestGateway.service`,
      "NodePort gateway with neither externalIPs nor nodeSelector: istiod takes a NodePort gateway's addresses from spec.externalIPs, or when there are none from the nodes the traffic.istio.io/nodeSelector annotation selects (their ExternalIP), so peers would get no address and send traffic to pod IPs they cannot reach",
      "list the nodes' reachable IPs in service.externalIPs (e.g. [10.18.10.196]), or set service.nodeSelector to nodes that have an ExternalIP",
    );
  }
}
