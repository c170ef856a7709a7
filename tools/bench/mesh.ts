/**
 * The synthetic projects the benchmarks measure: `clusters` stacks, every one a peer of every other,
 * sharing `services` catalog services in 20 namespaces. c0 is the trust anchor; the others are on-prem
 * clusters with a NodePort east-west gateway on fixed external IPs.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toYaml } from "../../model/yaml";
import { ackConfig } from "../../test/fixtures/ack";

export const NAMESPACES = 20;
export const stackName = (i: number): string => `c${i}`;
/** The external IP of cluster i's east-west gateway; its node port is 30880. */
export const gatewayIp = (i: number): string => `10.${i}.0.196`;
export const apiServer = (i: number): string => `https://10.${i}.0.10:6443`;
export const serviceNamespace = (s: number): string => `team-${s % NAMESPACES}`;

export interface BenchMeshOptions {
  /** c0 provisions ACK (the plan and program benchmarks); false: c0 is on a kube context like the others, so every cluster can be read. @default true */
  readonly ackAnchor?: boolean;
  /** Every service's ports. @default http 8080 and grpc 9090 */
  readonly ports?: readonly { readonly name: string; readonly port: number }[];
}

/** Writes the project into a new temporary folder and returns it. */
export function generate(clusters: number, services: number, o: BenchMeshOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `mesh-bench-${clusters}x${services}-`));
  const ports = o.ports ?? [
    { name: "http", port: 8080 },
    { name: "grpc", port: 9090 },
  ];
  const catalog = Array.from({ length: services }, (_, s) => ({ name: `svc-${s}`, namespace: serviceNamespace(s), ports }));
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    toYaml({
      name: "mesh",
      runtime: "nodejs",
      config: {
        "mesh:meshId": { type: "string", default: "mesh1" },
        "mesh:istio": { value: { version: "1.30.3" } },
        "mesh:services": { value: catalog },
      },
    }),
  );
  for (let i = 0; i < clusters; i++) {
    const peers = Array.from({ length: clusters }, (_, j) => j)
      .filter((j) => j !== i)
      .map((j) => `organization/mesh/${stackName(j)}`);
    const config: Record<string, unknown> =
      i === 0 && (o.ackAnchor ?? true)
        ? { "alicloud:region": "cn-shanghai", "mesh:cluster": { name: stackName(i), ack: ackConfig() } }
        : {
            "mesh:cluster": { name: stackName(i), kubeContext: stackName(i), apiServer: apiServer(i) },
            // istiod uses a node port only with the nodeSelector annotation, and then the external IPs (istio/istio `pilot/pkg/serviceregistry/kube/conversion.go`)
            "mesh:eastWestGateway": {
              service: { type: "NodePort", externalIPs: [gatewayIp(i)], nodeSelector: {}, nodePorts: { tls: 30880 } },
            },
          };
    config["mesh:trust"] = i === 0 ? { anchor: true } : { rootStack: `organization/mesh/${stackName(0)}` };
    config["mesh:peers"] = peers;
    writeFileSync(join(dir, `Pulumi.${stackName(i)}.yaml`), toYaml({ config }));
  }
  return dir;
}
