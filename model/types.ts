/** The validated configuration of one stack: what every pure builder in model/ takes. */
import type { AckInput, IstioInput, ServiceInput } from "./schema";
import type { NetworkGatewayPortName } from "./istio-facts";
import type { RevisionsInput } from "./revisions-schema";

export interface StackIdentity {
  readonly organization: string;
  readonly project: string;
  readonly stack: string;
}

/** Where the cluster comes from. Secret material (a kubeconfig) is never part of the model. */
export type ClusterSource =
  | ({ readonly kind: "ack"; readonly region: string } & AckInput)
  | { readonly kind: "kubeContext"; readonly context: string }
  | { readonly kind: "kubeconfig" };

export interface ClusterConfig {
  readonly name: string;
  /** @default `network-<name>` */
  readonly network: string;
  readonly locality?: { readonly region: string; readonly zone?: string };
  /** API server URL as the other clusters reach it; for ACK, defaults to the intranet endpoint. */
  readonly apiServer?: string;
  readonly readerTokenGeneration: number;
  readonly source: ClusterSource;
}

export interface GatewayConfig {
  readonly type: "LoadBalancer" | "NodePort";
  readonly annotations: Readonly<Record<string, string>>;
  readonly externalIPs: readonly string[];
  /** NodePort only: written to `traffic.istio.io/nodeSelector` as JSON (`{}` selects every node). */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly nodePorts: Readonly<Partial<Record<NetworkGatewayPortName, number>>>;
  readonly replicas: number;
}

export type TrustMode =
  | { readonly kind: "none" }
  | { readonly kind: "anchor" }
  | { readonly kind: "rootStack"; readonly stack: string }
  | { readonly kind: "pki"; readonly issuesIntermediate: boolean };

export type IstioConfig = IstioInput;
export type CatalogService = ServiceInput;

export interface MeshConfig {
  readonly stack: StackIdentity;
  readonly meshId: string;
  readonly istio: IstioConfig;
  readonly services: readonly CatalogService[];
  readonly cluster: ClusterConfig;
  readonly eastWestGateway: GatewayConfig;
  /** Fully qualified stack names of the other primaries. */
  readonly peers: readonly string[];
  readonly trust: TrustMode;
  readonly trustValidity: { readonly rootHours: number; readonly intermediateHours: number };
  /** The `mesh:` keys stored as secrets (`pulumi config set --secret`): what is derived from them stays secret. */
  readonly secretKeys: ReadonlySet<string>;
  /** Several istiod revisions side by side (a canary upgrade); absent: the one of mesh:istio. */
  readonly revisions?: RevisionsInput;
}
