/**
 * One primary of the multi-network mesh per stack. Composition only: config → other stacks'
 * outputs → cluster → trust → control plane → remote access, peer links, services → outputs.
 * Every decision lives in model/; components apply it.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { AckCluster } from "./components/ack-cluster";
import type { MeshCluster } from "./components/cluster";
import { ExistingCluster } from "./components/existing-cluster";
import { IstioControlPlane } from "./components/istio-control-plane";
import { MeshServices } from "./components/mesh-services";
import { MeshTrust } from "./components/mesh-trust";
import { PeerLink } from "./components/peer-link";
import { RemoteAccess } from "./components/remote-access";
import { assessPeers, resolveTrust, StackOutputs } from "./components/stack-outputs";
import { ackPlan } from "./model/ack";
import { exportsRemoteAccess } from "./model/cluster-objects";
import { peerOutput, trustRootProblem } from "./model/peers";
import { controlPlane, injectionNamespaces } from "./model/revisions";
import { catalogSecret } from "./model/secrecy";
import { servicesOutput } from "./model/services";

export = async () => {
  const { mesh, secrets, chartForms } = loadConfig();
  const name = mesh.cluster.name;
  const self = `${mesh.stack.organization}/${mesh.stack.project}/${mesh.stack.stack}`;

  // other stacks first: a peer of another mesh stops the run before anything is planned
  const stacks = await StackOutputs.open(mesh);
  const trust = await resolveTrust(mesh, secrets.pki, stacks);
  const local = { stack: self, clusterName: name, network: mesh.cluster.network, meshId: mesh.meshId };
  const peers = await assessPeers(mesh, trust.status === "ready" ? { ...local, trustRoot: trust.rootPem } : local, stacks);
  const warnings = peers.flatMap((p) => p.warnings);
  if (trust.status === "pending") warnings.push(trust.message);
  if (trust.status === "none")
    warnings.push("mesh:trust is not set: istiod signs with its own root and cross-cluster mTLS fails (CERTIFICATE_VERIFY_FAILED)");
  for (const w of warnings) void pulumi.log.warn(w);

  const source = mesh.cluster.source;
  const cluster: MeshCluster =
    source.kind === "ack"
      ? new AckCluster(name, { plan: ackPlan(mesh.cluster, mesh.meshId)!, apiServer: mesh.cluster.apiServer })
      : new ExistingCluster(name, {
          kubeContext: source.kind === "kubeContext" ? source.context : undefined,
          kubeconfig: secrets.kubeconfig,
          apiServer: mesh.cluster.apiServer,
        });

  const ca =
    trust.status === "ready"
      ? new MeshTrust(name, {
          meshId: mesh.meshId,
          clusterName: name,
          source: trust.source,
          rootValidityHours: mesh.trustValidity.rootHours,
          intermediateValidityHours: mesh.trustValidity.intermediateHours,
        })
      : undefined;

  const istio = new IstioControlPlane(name, {
    mesh,
    provider: cluster.provider,
    clusterReady: cluster.ready,
    caCerts: ca?.cacerts,
    installIstiod: trust.status !== "pending",
    chartForms,
  });

  const remote = exportsRemoteAccess(mesh)
    ? new RemoteAccess(name, {
        clusterName: name,
        apiServer: cluster.apiServer.apply((s) => s!),
        generation: mesh.cluster.readerTokenGeneration,
        provider: cluster.provider,
        serviceAccountReady: istio.base,
      })
    : undefined;

  if (istio.istiod && istio.crossNetworkGateway) {
    for (const p of peers) {
      if (p.state.status !== "linked") continue;
      new PeerLink(`${name}-${p.state.cluster}`, {
        peerCluster: p.state.cluster,
        kubeconfig: pulumi.secret(p.kubeconfig!),
        provider: cluster.provider,
        dependsOn: [istio.crossNetworkGateway],
        trustCheck:
          trust.status === "ready" && trust.rootPem === undefined && ca
            ? { ours: ca.trustRoot, theirs: p.state.trustRoot, problem: trustRootProblem(p.state.stack) }
            : undefined,
      });
    }
    new MeshServices(name, {
      services: mesh.services,
      namespaces: injectionNamespaces(controlPlane(mesh)),
      provider: cluster.adoptingProvider,
      tagWebhooks: istio.tagWebhooks,
      istiod: istio.istiod,
      secret: catalogSecret(mesh),
    });
  }

  // outputs a stack does not have are left out: an undefined one is a warning on every run
  return {
    clusterName: name,
    network: mesh.cluster.network,
    meshId: mesh.meshId,
    istioVersion: mesh.istio.version,
    apiServer: cluster.apiServer,
    ...(istio.eastWestGateway ? { eastWestGateway: istio.eastWestGateway } : {}),
    ...(cluster.kubeconfig ? { kubeconfig: pulumi.secret(cluster.kubeconfig) } : {}),
    ...(ca ? { trustRoot: ca.trustRoot } : {}),
    ...(ca?.trustRootKey ? { trustRootKey: pulumi.secret(ca.trustRootKey) } : {}),
    ...(remote ? { remoteSecret: pulumi.secret(remote.kubeconfig) } : {}),
    peers: peers.map((p) => peerOutput(p.state)),
    services: istio.istiod ? servicesOutput(mesh.services) : [],
  };
};
