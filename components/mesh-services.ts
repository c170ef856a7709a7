import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { localityDestinationRule, mirroredService } from "../model/services";
import type { CatalogService } from "../model/types";

export interface MeshServicesArgs {
  readonly services: readonly CatalogService[];
  /** Each namespace's one injection label (`istio-injection` or `istio.io/rev`), from the control plane. */
  readonly namespaces: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>> }[];
  /**
   * A provider that adopts existing objects (`upsertExistingObjects`): application pipelines may
   * have created the namespace or Service already.
   */
  readonly provider: k8s.Provider;
  /**
   * The revision tag webhooks: a namespace is labelled with a tag only once the tag's webhook exists, or the
   * pods created in between would get no sidecar. @default []
   */
  readonly tagWebhooks?: readonly pulumi.Resource[];
  /** istiod: its webhook validates the DestinationRules. */
  readonly istiod: pulumi.Resource;
  /** The catalog was stored as a secret: the objects' specs stay secret. @default false */
  readonly secret?: boolean;
}

/** The catalog in this cluster: namespaces, mirrored Services, and local-first DestinationRules. */
export class MeshServices extends pulumi.ComponentResource {
  constructor(name: string, args: MeshServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mesh:services:MeshServices", name, {}, opts);
    // shared with application pipelines: never deleted by this program
    const shared = { parent: this, provider: args.provider, retainOnDelete: true };
    const wrap = <T>(v: T): pulumi.Input<T> => (args.secret ? (pulumi.secret(v) as pulumi.Output<T>) : v);
    const namespaces = new Map(
      args.namespaces.map((ns) => [
        ns.name,
        new k8s.core.v1.Namespace(
          `${name}-ns-${ns.name}`,
          { metadata: { name: ns.name, labels: ns.labels } },
          { ...shared, dependsOn: [...(args.tagWebhooks ?? [])] },
        ),
      ]),
    );
    for (const s of args.services) {
      const ns = namespaces.get(s.namespace)!;
      const svc = mirroredService(s);
      new k8s.core.v1.Service(
        `${name}-svc-${s.namespace}-${s.name}`,
        { metadata: svc.metadata, spec: wrap(svc.spec as k8s.types.input.core.v1.ServiceSpec) },
        { ...shared, dependsOn: [ns] },
      );
      const dr = localityDestinationRule(s);
      new k8s.apiextensions.CustomResource(
        `${name}-dr-${s.namespace}-${s.name}`,
        { apiVersion: dr.apiVersion, kind: dr.kind, metadata: dr.metadata, spec: wrap(dr.spec) },
        { parent: this, provider: args.provider, dependsOn: [ns, args.istiod] },
      );
    }
    this.registerOutputs({});
  }
}
