import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MeshCluster } from "./cluster";

export interface ExistingClusterArgs {
  /** A context of the operator's kubeconfig (`KUBECONFIG` or ~/.kube/config), as with `kubectl --context`. */
  readonly kubeContext?: string;
  /** A kubeconfig from secret config. Exactly one of kubeContext / kubeconfig. */
  readonly kubeconfig?: pulumi.Output<string>;
  /** API server URL as the other clusters reach it. */
  readonly apiServer?: string;
}

/** A cluster this program does not provision: only a provider and the address peers use. */
export class ExistingCluster extends pulumi.ComponentResource implements MeshCluster {
  readonly provider: k8s.Provider;
  readonly adoptingProvider: k8s.Provider;
  readonly apiServer: pulumi.Output<string | undefined>;
  readonly kubeconfig?: pulumi.Output<string>;
  readonly ready: readonly pulumi.Resource[] = [];

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mesh:cluster:ExistingCluster", name, {}, opts);
    this.kubeconfig = args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig);
    const connection: k8s.ProviderArgs =
      args.kubeContext !== undefined
        ? // no kubeconfig: the provider reads KUBECONFIG or the default file, like kubectl
          { context: args.kubeContext }
        : { kubeconfig: this.kubeconfig };
    this.provider = new k8s.Provider(`${name}-k8s`, connection, { parent: this });
    this.adoptingProvider = new k8s.Provider(`${name}-k8s-adopting`, { ...connection, upsertExistingObjects: true }, { parent: this });
    this.apiServer = pulumi.output(args.apiServer);
    this.registerOutputs({ apiServer: this.apiServer, kubeconfig: this.kubeconfig });
  }
}
