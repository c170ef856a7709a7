import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  baseRelease,
  crossNetworkGateway,
  gatewayEndpoint,
  gatewayExposure,
  gatewayRelease,
  istioNamespace,
  istiodReleases,
  type GatewayEndpoint,
  type ReleaseSpec,
} from "../model/istio";
import { EAST_WEST_GATEWAY_NAME } from "../model/istio-facts";
import { injectorCaBundle, revisionTags } from "../model/revision-tags";
import { controlPlane, istiodReleaseName } from "../model/revisions";
import { releaseRepoSecret, releaseValuesSecret } from "../model/secrecy";
import { releaseChartArgs, type LocalChartForm } from "../model/supply";
import { cacertsSecret } from "../model/trust";
import type { MeshConfig } from "../model/types";

export interface IstioControlPlaneArgs {
  readonly mesh: MeshConfig;
  /** The cluster's provider; every object here is created with it. */
  readonly provider: k8s.Provider;
  /** What must exist before workloads are scheduled (node pools). @default [] */
  readonly clusterReady?: readonly pulumi.Resource[];
  /**
   * The files of `cacerts` (this cluster's intermediate CA), written to istio-system before istiod
   * starts: a missing `cacerts` makes istiod self-sign, and cross-cluster mTLS fails until it restarts.
   * @default none: istiod uses its self-signed root
   */
  readonly caCerts?: pulumi.Input<Record<string, string>>;
  /**
   * False while the mesh root is not available: only the namespace and `istio-base` are installed,
   * so istiod never starts with a self-signed root it would have to be restarted to drop.
   * @default true
   */
  readonly installIstiod?: boolean;
  /** How each chart is vendored, when the charts come from a folder of the project. @default unpacked */
  readonly chartForms?: Partial<Record<ReleaseSpec["chart"], LocalChartForm>>;
}

/** istio-system with the network label, istio-base → istiod → east-west gateway, the cross-network Gateway. */
export class IstioControlPlane extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly base: k8s.helm.v3.Release;
  readonly caCerts?: k8s.core.v1.Secret;
  /** The istiod of the revision the east-west gateway follows. */
  readonly istiod?: k8s.helm.v3.Release;
  /** Every installed revision's istiod, oldest first (two during a canary upgrade). */
  readonly istiods: k8s.helm.v3.Release[] = [];
  readonly gateway?: k8s.helm.v3.Release;
  /** The `istio-revision-tag-<tag>` webhooks: a namespace labelled with a tag is changed only after them. */
  readonly tagWebhooks: k8s.admissionregistration.v1.MutatingWebhookConfiguration[] = [];
  readonly crossNetworkGateway?: k8s.apiextensions.CustomResource;
  /** Where peers reach this cluster's east-west gateway. */
  readonly eastWestGateway?: pulumi.Output<GatewayEndpoint>;

  constructor(name: string, args: IstioControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mesh:istio:IstioControlPlane", name, {}, opts);
    const { mesh, provider } = args;
    const child = { parent: this, provider };

    const ns = istioNamespace(mesh);
    this.namespace = new k8s.core.v1.Namespace(
      `${name}-istio-system`,
      { metadata: { name: ns.name, labels: ns.labels } },
      { ...child, dependsOn: [...(args.clusterReady ?? [])] },
    );
    if (args.caCerts !== undefined) {
      // istiod mounts cacerts optionally: it must exist before istiod starts, or istiod self-signs
      const secret = cacertsSecret(pulumi.secret(args.caCerts));
      this.caCerts = new k8s.core.v1.Secret(
        `${name}-cacerts`,
        { metadata: secret.metadata, type: secret.type as string, stringData: secret.stringData },
        { ...child, dependsOn: [this.namespace] },
      );
    }

    // where the chart comes from: a repository, an oci:// registry, or the project's folder
    const chartArgs = (spec: ReleaseSpec) => {
      const { chart, version, repositoryOpts } = releaseChartArgs(spec, args.chartForms?.[spec.chart]);
      // a secret mesh:istio keeps its source secret: the repository, or the oci:// or local reference
      const secret = releaseRepoSecret(mesh);
      return {
        chart: secret && !repositoryOpts ? pulumi.secret(chart) : chart,
        ...(version !== undefined ? { version } : {}),
        ...(repositoryOpts ? { repositoryOpts: secret ? pulumi.secret(repositoryOpts) : repositoryOpts } : {}),
      };
    };
    const release = (spec: ReleaseSpec, dependsOn: pulumi.Resource[]) =>
      new k8s.helm.v3.Release(
        `${name}-${spec.name}`,
        {
          name: spec.name,
          ...chartArgs(spec),
          namespace: this.namespace.metadata.name,
          // the namespace is ours: Helm must not create one without the network label
          createNamespace: false,
          // derived from config stored as a secret: a plain input would be plain text in the state
          values: releaseValuesSecret(mesh, spec.chart) ? pulumi.secret(spec.values) : spec.values,
          timeout: spec.timeoutSeconds,
          atomic: spec.atomic,
          cleanupOnFail: true,
          maxHistory: 10,
          skipAwait: false,
        },
        { ...child, dependsOn },
      );
    this.base = release(baseRelease(mesh), [this.namespace]);
    if (args.installIstiod === false) {
      this.registerOutputs({});
      return;
    }
    const cp = controlPlane(mesh);
    const byRevision = new Map<string, k8s.helm.v3.Release>();
    for (const spec of istiodReleases(mesh)) {
      const r = release(spec, [this.base, ...(this.caCerts ? [this.caCerts] : [])]);
      this.istiods.push(r);
      byRevision.set(spec.name, r);
    }
    const releaseOf = (revision: string) => byRevision.get(istiodReleaseName(cp.revisions.find((r) => r.name === revision)!))!;
    this.istiod = releaseOf(cp.gateway.revision);
    // A tag's webhook calls its revision's istiod, which must serve before pods are sent to it; and it is usable
    // from its first second: created with the caBundle of the revision's own injector, as `istioctl tag set` does
    // (istioctl/pkg/tag/generate.go, tagWebhookConfigFromCanonicalWebhook). Without it the API server cannot
    // verify istiod and, the webhooks failing closed, refuses every pod they match until istiod's patcher has
    // seen the new object and patched it (pkg/webhooks/webhookpatch.go). istiod keeps patching both objects
    // when its CA changes; read again every run, the value copied is the one istiod last wrote.
    const injectors = new Map<string, pulumi.Output<string | undefined>>();
    for (const t of revisionTags(mesh)) {
      let caBundle = injectors.get(t.injector);
      if (!caBundle) {
        const release = releaseOf(t.revision.name);
        const injector = k8s.admissionregistration.v1.MutatingWebhookConfiguration.get(
          `${name}-${t.injector}`,
          // unknown while the release is created or changed in this run, so the read waits for it (and skips preview)
          release.status.apply(() => t.injector),
          { ...child, dependsOn: [release] },
        );
        caBundle = injector.webhooks.apply((hooks) => injectorCaBundle(hooks ?? []));
        injectors.set(t.injector, caBundle);
      }
      const ca = caBundle;
      this.tagWebhooks.push(
        new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
          `${name}-${t.webhook.metadata.name}`,
          {
            metadata: t.webhook.metadata,
            webhooks: (t.webhook.webhooks as k8s.types.input.admissionregistration.v1.MutatingWebhook[]).map((w) => ({
              ...w,
              clientConfig: ca.apply((b) => ({ ...(w.clientConfig as object), ...(b ? { caBundle: b } : {}) })),
            })),
          },
          { ...child, dependsOn: [releaseOf(t.revision.name)] },
        ),
      );
    }
    // the gateway's image is `auto`, filled in by istiod's injector: istiod must be ready first
    this.gateway = release(gatewayRelease(mesh), [this.istiod]);

    const gw = crossNetworkGateway();
    this.crossNetworkGateway = new k8s.apiextensions.CustomResource(
      `${name}-${gw.metadata.name}`,
      { apiVersion: gw.apiVersion, kind: gw.kind, metadata: gw.metadata, spec: gw.spec },
      { ...child, dependsOn: [this.base, this.gateway] },
    );

    // read back once the release exists, for the addresses peers will be sent to
    const service = k8s.core.v1.Service.get(
      `${name}-${EAST_WEST_GATEWAY_NAME}-service`,
      pulumi.interpolate`${this.gateway.status.namespace}/${EAST_WEST_GATEWAY_NAME}`,
      { ...child, dependsOn: [this.gateway] },
    );
    const exposure = gatewayExposure(mesh);
    this.eastWestGateway = pulumi
      .all([service.spec, service.status])
      .apply(([spec, status]) => gatewayEndpoint(exposure, { spec, status }));

    this.registerOutputs({ eastWestGateway: this.eastWestGateway });
  }
}
