/**
 * The mesh catalog in one cluster: every service's namespace and an identical Service (so its DNS
 * name resolves everywhere, istio.io `docs/ops/configuration/traffic-management/dns-proxy`), and a DestinationRule that keeps calls in the
 * caller's cluster and fails over to the others (istio.io `docs/tasks/traffic-management/locality-load-balancing/failover`).
 */
import { CLUSTER_LABEL } from "./istio-facts";
import type { KubeObject, NamespaceSpec } from "./istio";
import type { CatalogService } from "./types";

/**
 * Fast, complete failover: Istio's defaults eject after 5 errors, sweep every 10 s and eject at
 * most 10 % of hosts, so with few local endpoints traffic stays on a dead cluster. These follow
 * Istio's own failover example, with every host ejectable.
 */
export const DEFAULT_OUTLIER_DETECTION = {
  consecutive5xxErrors: 1,
  interval: "1s",
  baseEjectionTime: "1m",
  maxEjectionPercent: 100,
} as const;

export const serviceHost = (s: Pick<CatalogService, "name" | "namespace">): string => `${s.name}.${s.namespace}.svc.cluster.local`;

/** One namespace per distinct catalog namespace, opted in to sidecar injection. */
export function meshNamespaces(services: readonly CatalogService[], revision?: string): NamespaceSpec[] {
  const names = [...new Set(services.map((s) => s.namespace))].sort();
  // a revision label and istio-injection together: istio-injection wins, so set exactly one
  const labels: Record<string, string> = revision ? { "istio.io/rev": revision } : { "istio-injection": "enabled" };
  return names.map((name) => ({ name, labels }));
}

/** The same Service in every cluster: same name, namespace, type, ports and selector. */
export function mirroredService(s: CatalogService): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: s.name, namespace: s.namespace },
    spec: {
      type: "ClusterIP",
      selector: s.selector ?? { app: s.name },
      ports: s.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        protocol: p.protocol,
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
    },
  };
}

export function localityDestinationRule(s: CatalogService): KubeObject {
  const loc = s.locality;
  const localityLbSetting =
    loc.mode === "distribute"
      ? { enabled: true, distribute: loc.distribute!.map((d) => ({ from: d.from, to: { ...d.to } })) }
      : {
          enabled: true,
          ...(loc.mode === "failover" ? { failover: loc.failover!.map((f) => ({ from: f.from, to: f.to })) } : {}),
          // endpoints of the caller's own cluster first, then the other clusters' (through their gateways)
          failoverPriority: [CLUSTER_LABEL],
        };
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: `${s.name}-locality`, namespace: s.namespace },
    spec: {
      host: serviceHost(s),
      trafficPolicy: {
        loadBalancer: { localityLbSetting },
        // without outlier detection Istio applies no locality failover at all
        outlierDetection: { ...DEFAULT_OUTLIER_DETECTION, ...(s.outlierDetection ?? {}) },
      },
    },
  };
}

/** The stack output `services`: what this cluster serves and mirrors. */
export function servicesOutput(services: readonly CatalogService[]): { host: string; ports: number[]; locality: string }[] {
  return services.map((s) => ({ host: serviceHost(s), ports: s.ports.map((p) => p.port), locality: s.locality.mode }));
}
