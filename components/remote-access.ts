import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { readerTokenName, readerTokenSecret, renderRemoteKubeconfig, tokenGenerations } from "../model/remote";

export interface RemoteAccessArgs {
  readonly clusterName: string;
  /** API server URL as the other clusters reach it. */
  readonly apiServer: pulumi.Input<string>;
  /** Bumping it mints a new token; the previous generation's token stays until the next bump. */
  readonly generation: number;
  readonly provider: k8s.Provider;
  /** The `istio-base` release, which creates `istio-reader-service-account`. */
  readonly serviceAccountReady: pulumi.Resource;
}

/** A reader token for `istio-reader-service-account`, and the kubeconfig a peer's istiod reads this cluster with. */
export class RemoteAccess extends pulumi.ComponentResource {
  /** The kubeconfig for peers, secret. */
  readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes names of the token Secrets that exist, oldest first. */
  readonly tokenSecretNames: pulumi.Output<string[]>;

  constructor(name: string, args: RemoteAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mesh:remote:RemoteAccess", name, {}, opts);
    const tokens = tokenGenerations(args.generation).map((g) => {
      // a new name per generation (and per return to an old one), so a bump always mints a new token
      const suffix = new random.RandomId(
        `${name}-reader-token-g${g}-suffix`,
        { byteLength: 3, keepers: { generation: String(g) } },
        { parent: this },
      );
      const shape = readerTokenSecret("");
      return new k8s.core.v1.Secret(
        `${name}-reader-token-g${g}`,
        { metadata: { ...shape.metadata, name: suffix.hex.apply((hex) => readerTokenName(g, hex)) }, type: shape.type as string },
        // a token Secret for an account that does not exist yet is deleted by the token controller
        { parent: this, provider: args.provider, dependsOn: [args.serviceAccountReady] },
      );
    });
    const current = tokens[tokens.length - 1]!;
    // the provider waits until the token controller has filled data.token and data["ca.crt"]
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([current.data, args.apiServer])
        .apply(([data, server]) =>
          renderRemoteKubeconfig({ cluster: args.clusterName, server, caData: data?.["ca.crt"] ?? "", tokenData: data?.token ?? "" }),
        ),
    );
    this.tokenSecretNames = pulumi.all(tokens.map((t) => t.metadata.name));
    this.registerOutputs({ kubeconfig: this.kubeconfig, tokenSecretNames: this.tokenSecretNames });
  }
}
