/** Rules for mesh:istio: chart values the mesh owns and values the charts do not know. */
import { configPath } from "../errors";
import { unknownChartValuePaths } from "../chart-values";
import { NETWORK_LABEL } from "../istio-facts";
import { annotationsBytes, ANNOTATIONS_MAX_BYTES, labelValueProblem, qualifiedNameProblem } from "../kube-metadata";
import type { IstioInput } from "../schema";
import { NS, type Add, asObject } from "./shared";

/**
 * Values the program sets for the mesh's identity and wiring; set again through the escape hatch they
 * would silently split the mesh (another mesh id, network or cluster name than peers expect, a
 * gateway the cross-network Gateway does not select). Each names the key to use instead.
 */
export const IDENTITY_VALUES: readonly {
  readonly chart: "base" | "istiod" | "gateway";
  readonly path: readonly string[];
  readonly use: string;
}[] = [
  { chart: "istiod", path: ["global", "meshID"], use: "mesh:meshId" },
  { chart: "istiod", path: ["global", "network"], use: "mesh:cluster.network" },
  { chart: "istiod", path: ["global", "multiCluster", "clusterName"], use: "mesh:cluster.name" },
  { chart: "istiod", path: ["revision"], use: "mesh:istio.revision" },
  { chart: "istiod", path: ["revisionTags"], use: "mesh:revisions.tags" },
  // where the images come from: the Supply section and the mirror script must see every one
  { chart: "istiod", path: ["global", "hub"], use: "mesh:istio.hub" },
  { chart: "istiod", path: ["global", "tag"], use: "mesh:istio.tag" },
  { chart: "istiod", path: ["hub"], use: "mesh:istio.hub" },
  { chart: "istiod", path: ["tag"], use: "mesh:istio.tag" },
  { chart: "istiod", path: ["global", "imagePullSecrets"], use: "mesh:istio.imagePullSecrets" },
  { chart: "gateway", path: ["imagePullSecrets"], use: "mesh:istio.imagePullSecrets" },
  { chart: "base", path: ["defaultRevision"], use: "mesh:istio.revision" },
  { chart: "gateway", path: ["name"], use: "nothing: the east-west gateway is always istio-eastwestgateway" },
  { chart: "gateway", path: ["networkGateway"], use: "mesh:cluster.network" },
  { chart: "gateway", path: ["revision"], use: "mesh:istio.revision" },
  { chart: "gateway", path: ["service", "type"], use: "mesh:eastWestGateway.service.type" },
  { chart: "gateway", path: ["service", "externalIPs"], use: "mesh:eastWestGateway.service.externalIPs" },
  { chart: "gateway", path: ["service", "ports"], use: "mesh:eastWestGateway.service.nodePorts" },
  { chart: "gateway", path: ["labels", NETWORK_LABEL], use: "mesh:cluster.network" },
  { chart: "gateway", path: ["labels", "istio"], use: "nothing: the cross-network Gateway selects istio: eastwestgateway" },
];

export function checkIdentityValues(values: IstioInput["values"], add: Add): void {
  for (const { chart, path, use } of IDENTITY_VALUES) {
    let at: unknown = values[chart];
    for (const seg of path) at = asObject(at)?.[seg];
    if (at === undefined) continue;
    add(
      configPath(NS, ["istio", "values", chart, ...path]),
      "set by the program for the mesh's identity and wiring; another value here would silently break the mesh",
      use.startsWith("mesh:") ? `remove it and use ${use}` : `remove it (${use})`,
    );
  }
}

export function checkIstioValues(version: string, values: IstioInput["values"], add: Add): void {
  for (const chart of ["base", "istiod", "gateway"] as const) {
    for (const p of unknownChartValuePaths(chart, version, values[chart])) {
      add(
        configPath(NS, ["istio", "values", chart, ...p.segments]),
        `not a value of Istio ${version}'s ${chart} chart (${chart === "gateway" ? "the chart's schema rejects it" : "the chart would silently ignore it"})`,
        p.suggestion ? `did you mean ${p.suggestion}?` : "remove it, or check the chart's values.yaml for the right path",
      );
    }
  }
}

/**
 * The charts' label and annotation maps (each chart's values.yaml): set through the escape hatch, their
 * keys and values must be what the API server takes, or the release fails at apply (and a key with a line
 * break would reach the plan and the pull-request comment as it is).
 */
export const METADATA_VALUES: readonly {
  readonly chart: "istiod" | "gateway";
  readonly path: readonly string[];
  readonly kind: "labels" | "annotations";
}[] = [
  { chart: "istiod", path: ["podLabels"], kind: "labels" },
  { chart: "istiod", path: ["deploymentLabels"], kind: "labels" },
  { chart: "istiod", path: ["nodeSelector"], kind: "labels" },
  { chart: "istiod", path: ["global", "waypoint", "nodeSelector"], kind: "labels" },
  { chart: "istiod", path: ["podAnnotations"], kind: "annotations" },
  { chart: "istiod", path: ["deploymentAnnotations"], kind: "annotations" },
  { chart: "istiod", path: ["serviceAnnotations"], kind: "annotations" },
  { chart: "istiod", path: ["serviceAccountAnnotations"], kind: "annotations" },
  { chart: "istiod", path: ["sidecarInjectorWebhookAnnotations"], kind: "annotations" },
  { chart: "istiod", path: ["sidecarInjectorWebhook", "injectedAnnotations"], kind: "annotations" },
  { chart: "gateway", path: ["labels"], kind: "labels" },
  { chart: "gateway", path: ["service", "selectorLabels"], kind: "labels" },
  { chart: "gateway", path: ["nodeSelector"], kind: "labels" },
  { chart: "gateway", path: ["annotations"], kind: "annotations" },
  { chart: "gateway", path: ["podAnnotations"], kind: "annotations" },
  { chart: "gateway", path: ["service", "annotations"], kind: "annotations" },
  { chart: "gateway", path: ["serviceAccount", "annotations"], kind: "annotations" },
];

export function checkMetadataValues(values: IstioInput["values"], add: Add): void {
  for (const { chart, path, kind } of METADATA_VALUES) {
    let at: unknown = values[chart];
    for (const seg of path) at = asObject(at)?.[seg];
    const map = asObject(at);
    if (map === undefined) continue;
    const where = (...more: string[]) => configPath(NS, ["istio", "values", chart, ...path, ...more]);
    for (const [k, v] of Object.entries(map)) {
      const keyWhy = qualifiedNameProblem(k);
      if (keyWhy)
        add(
          where(k),
          `not a valid ${kind === "labels" ? "label" : "annotation"} key (it ${keyWhy})`,
          "use [prefix/]name, e.g. app.kubernetes.io/name",
        );
      if (typeof v !== "string") add(where(k), "not a string: Kubernetes takes only string values here", "quote the value");
      else if (kind === "labels") {
        const valueWhy = labelValueProblem(v);
        if (valueWhy) add(where(k), `not a valid label value (it ${valueWhy})`, "use at most 63 letters, digits, '-', '_' and '.'");
      }
    }
    if (
      kind === "annotations" &&
      annotationsBytes(Object.fromEntries(Object.entries(map).map(([k, v]) => [k, String(v)]))) > ANNOTATIONS_MAX_BYTES
    )
      add(where(), `larger than ${ANNOTATIONS_MAX_BYTES} bytes together, which the API server refuses`, "shorten or remove some");
  }
}
