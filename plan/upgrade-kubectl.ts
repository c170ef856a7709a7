/**
 * The command lines an upgrade step prints: `pulumi up` as docs/running.md runs it, `mesh verify`, and the
 * kubectl that restarts workloads and finds the pods a revision still injects. A pod's proxy is found by the
 * annotation the injector writes on every pod it injects, `istio.io/rev: <revision>` (istio-discovery
 * `files/injection-template.yaml`, `gateway-injection-template.yaml`), never by container: istiod 1.30 injects
 * `istio-proxy` as a restartable init container, absent from `.spec.containers`, on nodes of Kubernetes ≥ 1.33
 * (`ENABLE_NATIVE_SIDECARS` auto, `pilot/pkg/features/pilot.go`; `DetectNativeSidecar`, `pkg/kube/inject/webhook.go`).
 */
import type { MeshConfig } from "../model/types";

export const MESH = "npm run -s mesh --";

/** kubectl as the stack's cluster is reached: its kube context, else the kubeconfig it outputs (an ACK cluster's). */
export const kubectl = (m: MeshConfig): string =>
  m.cluster.source.kind === "kubeContext"
    ? `kubectl --context ${m.cluster.source.context}`
    : `kubectl --kubeconfig ./${m.stack.stack}.kubeconfig`;

/** With the policy pack, as every `mesh up`, `mesh converge` and the workflows run it (docs/running.md). */
export const up = (stack: string): string => `pulumi up --stack ${stack} --policy-pack policy   # or: ${MESH} converge`;
export const verify = (stack: string): string => `${MESH} verify ${stack}`;

/** The controllers `kubectl rollout restart` restarts: every kind that recreates its pods. */
const WORKLOADS = "deployment,statefulset,daemonset";

/** What restarts cannot reach, said once per step that restarts. */
export const RESTART_NOTE =
  "Jobs, CronJobs and pods without a controller are not restarted: a running Job keeps its proxy until it ends (its next run gets the new one); delete a bare pod to have it recreated";

/** Restart every workload of each namespace, then wait for each (rollout status takes one object at a time). */
export const restarts = (m: MeshConfig, namespaces: readonly string[]): string[] =>
  namespaces.flatMap((ns) => [
    `${kubectl(m)} -n ${ns} rollout restart ${WORKLOADS}`,
    `for w in $(${kubectl(m)} -n ${ns} get ${WORKLOADS} -o name); do ${kubectl(m)} -n ${ns} rollout status "$w" --timeout=5m || break; done`,
  ]);

const columns = (namespaced: boolean) =>
  `-o custom-columns='${namespaced ? "" : "NAMESPACE:.metadata.namespace,"}POD:.metadata.name,REVISION:.metadata.annotations.istio\\.io/rev' --no-headers`;

/** Every pod in the cluster a revision injected, with or without native sidecars. */
export const podsOfRevision = (
  m: MeshConfig,
  revision: string,
  comment = `prints nothing: no pod injected by ${revision} is left`,
): string => `${kubectl(m)} get pods -A ${columns(false)} | awk '$3 == "${revision}"'   # ${comment}`;

/** The pods of a namespace not injected by a revision (those without a proxy show <none>). */
export const podsNotOfRevision = (m: MeshConfig, namespace: string, revision: string): string =>
  `${kubectl(m)} -n ${namespace} get pods ${columns(true)} | awk '$2 != "${revision}"'   # prints nothing: every pod's proxy comes from ${revision}`;
