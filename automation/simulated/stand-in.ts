/**
 * The stand-in state every local run of the program answers with, in process (`mock-run.ts`) or
 * over gRPC (`loopback-engine.ts`): what the providers, the cluster and other stacks would report, with
 * recognisable fake ids, addresses and credentials. No cloud, no cluster, no CLI.
 */
// types only: the canned values load no SDK, so live-mesh.ts (the simulated clusters) and test/fixtures/stacks.ts use them without it
import type * as pulumi from "@pulumi/pulumi";

/** One registration or read, with the engine-facing options the program set. */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly id?: string;
  readonly inputs: Record<string, any>;
  /** Resolved `urn::id` of the explicit provider, or "" for the default provider. */
  readonly provider: string;
  readonly parent: string;
  readonly dependencies: readonly string[];
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  readonly custom: boolean;
  /** A `Resource.get` read rather than a registration. */
  readonly read: boolean;
}

export interface Call {
  readonly token: string;
  readonly inputs: Record<string, any>;
}

export interface StandInOptions {
  readonly stack: string;
  /** Stack outputs of other stacks, by fully qualified name, as StackReferences will read them. */
  readonly peerOutputs?: Readonly<Record<string, Record<string, unknown>>>;
  /** The address a LoadBalancer gateway Service gets (one per stack when several have one). @default 192.168.0.200 */
  readonly loadBalancerAddress?: string;
}

export const FAKE_KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "clusters: [{name: kubernetes, cluster: {server: 'https://47.100.0.10:6443', certificate-authority-data: Q0E=}}]",
  "contexts: [{name: admin, context: {cluster: kubernetes, user: admin}}]",
  "current-context: admin",
  "users: [{name: admin, user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}}]",
].join("\n");

/** The outputs this program exports as secrets, and so a StackReference reads as secret. */
export const SECRET_OUTPUTS = new Set(["kubeconfig", "trustRootKey", "remoteSecret"]);

export const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
/** A PEM block as the stand-in makes them: recognisable by what it stands for. */
export const pem = (kind: string, of: string): string => `-----BEGIN ${kind}-----\n${b64(of)}\n-----END ${kind}-----\n`;

/** The intranet API server address an ACK cluster reports. */
export const ACK_INTRANET = "https://192.168.0.12:6443";
/** The internal SLB address a LoadBalancer gateway gets, unless the options give one. */
export const SLB_ADDRESS = "192.168.0.200";

/** What a cluster would report for the gateway Service the chart renders from these values. */
function renderedGatewayService(values: any, loadBalancer: string): Record<string, any> {
  const svc = values?.service ?? {};
  const defaults = [
    { name: "status-port", port: 15021 },
    { name: "tls", port: 15443 },
    { name: "tls-istiod", port: 15012 },
    { name: "tls-webhook", port: 15017 },
  ];
  const ports = (values?.networkGateway ? defaults : (svc.ports ?? [])).map((p: any, i: number) => ({
    ...p,
    nodePort: p.nodePort ?? 31000 + i,
  }));
  return {
    spec: { type: svc.type, ports, ...(svc.externalIPs ? { externalIPs: svc.externalIPs } : {}) },
    status: { loadBalancer: svc.type === "LoadBalancer" ? { ingress: [{ ip: loadBalancer }] } : {} },
  };
}

/** Mocks in the SDK's `setMocks` shape; `calls` records every provider function call. */
export function standInMocks(opts: StandInOptions): pulumi.runtime.Mocks & { readonly calls: Call[] } {
  const calls: Call[] = [];
  let gatewayValues: any;
  return {
    calls,
    newResource(args) {
      const state: Record<string, any> = { ...args.inputs };
      switch (args.type) {
        case "alicloud:cs/managedKubernetes:ManagedKubernetes":
          state.connections = { apiServerIntranet: ACK_INTRANET, apiServerInternet: "" };
          break;
        case "kubernetes:helm.sh/v3:Release":
          // the chart is a name, an oci:// reference or a local path: the release name says which one
          if (args.inputs.name === "istio-eastwestgateway") gatewayValues = args.inputs.values;
          state.status = {
            name: args.inputs.name,
            namespace: args.inputs.namespace,
            chart: args.inputs.chart,
            version: args.inputs.version,
            status: "deployed",
            revision: 1,
          };
          break;
        case "kubernetes:core/v1:Service":
          if (args.id) Object.assign(state, renderedGatewayService(gatewayValues, opts.loadBalancerAddress ?? SLB_ADDRESS));
          break;
        case "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration":
          // a revision's injector, read back once istiod has patched its CA into it
          if (args.id)
            state.webhooks = [
              {
                name: "rev.namespace.sidecar-injector.istio.io",
                clientConfig: { caBundle: b64(pem("CERTIFICATE", `istiod CA of ${args.id}`)) },
              },
            ];
          break;
        case "kubernetes:core/v1:Secret":
          // the token controller fills a service-account token Secret
          if (args.inputs.type === "kubernetes.io/service-account-token") {
            state.data = {
              token: b64(`token-of-${args.inputs.metadata.name}`),
              "ca.crt": b64(pem("CERTIFICATE", `cluster CA of ${opts.stack}`)),
            };
          }
          break;
        case "tls:index/privateKey:PrivateKey":
          state.privateKeyPem = pem("PRIVATE KEY", args.name);
          break;
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
          state.certPem = pem("CERTIFICATE", args.name);
          break;
        case "tls:index/certRequest:CertRequest":
          state.certRequestPem = pem("CERTIFICATE REQUEST", args.name);
          break;
        case "random:index/randomId:RandomId":
          state.hex = "a1b2c3";
          break;
        case "pulumi:pulumi:StackReference": {
          const stackName = args.id || args.name;
          const outputs = opts.peerOutputs?.[stackName];
          if (!outputs) throw new Error(`Stack '${stackName}' not found`);
          return {
            id: stackName,
            state: { name: stackName, outputs, secretOutputNames: Object.keys(outputs).filter((k) => /secret|kubeconfig|key/i.test(k)) },
          };
        }
      }
      // the mock monitor passes "" for a registration; an empty id would read as unknown
      return { id: args.id || `${args.name}-id`, state };
    },
    call(args) {
      calls.push({ token: args.token, inputs: args.inputs });
      if (args.token === "alicloud:cs/getClusterCredential:getClusterCredential") {
        return { clusterId: args.inputs.clusterId, kubeConfig: FAKE_KUBECONFIG, id: args.inputs.clusterId };
      }
      throw new Error(`unexpected call ${args.token}`);
    },
  };
}

/** A secret value as it travels between the SDK and the engine. */
export function isSecretValue(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270"
  );
}
export function unwrapSecret(v: unknown): unknown {
  return isSecretValue(v) ? (v as { value: unknown }).value : v;
}
