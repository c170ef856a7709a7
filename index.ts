/**
 * One Istio primary of the multi-network mesh per stack. Composition only: config → cluster →
 * control plane → outputs. Every decision lives in model/; components apply it.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { AckCluster } from "./components/ack-cluster";
import type { MeshCluster } from "./components/cluster";
import { ExistingCluster } from "./components/existing-cluster";
import { IstioControlPlane } from "./components/istio-control-plane";
import { ackPlan } from "./model/ack";

const { mesh, secrets } = loadConfig();
const name = mesh.cluster.name;
const source = mesh.cluster.source;

const cluster: MeshCluster =
  source.kind === "ack"
    ? new AckCluster(name, { plan: ackPlan(mesh.cluster, mesh.meshId)!, apiServer: mesh.cluster.apiServer })
    : new ExistingCluster(name, {
        kubeContext: source.kind === "kubeContext" ? source.context : undefined,
        kubeconfig: secrets.kubeconfig,
        apiServer: mesh.cluster.apiServer,
      });

const istio = new IstioControlPlane(name, { mesh, provider: cluster.provider, clusterReady: cluster.ready });

export const clusterName = mesh.cluster.name;
export const network = mesh.cluster.network;
export const meshId = mesh.meshId;
export const istioVersion = mesh.istio.version;
export const apiServer = cluster.apiServer;
export const eastWestGateway = istio.eastWestGateway;
export const kubeconfig = cluster.kubeconfig === undefined ? undefined : pulumi.secret(cluster.kubeconfig);
