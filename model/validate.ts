/**
 * Turns the raw `mesh:` config of one stack into a validated `MeshConfig`, or a `ConfigError` that
 * lists every problem at once with its config path and fix. Pure: no Pulumi, no I/O.
 */
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { configPath, ConfigError, type ConfigIssue } from "./errors";
import { unknownChartValuePaths } from "./chart-values";
import { closest } from "./text";
import {
  ACK_NODE_POOL_NAME_MAX,
  ISTIO_NAMESPACE,
  NETWORK_GATEWAY_PORTS,
  NETWORK_LABEL,
  NODE_PORT_MAX,
  NODE_PORT_MIN,
  RESERVED_NAMESPACES,
} from "./istio-facts";
import { ackNodePoolName } from "./ack";
import { chartSource } from "./supply";
import { pkiProblems } from "./trust";
import {
  AckSchema,
  ClusterSchema,
  FIX,
  GatewaySchema,
  IstioSchema,
  MeshIdSchema,
  PeersSchema,
  ServiceSchema,
  ServicesSchema,
  TrustSchema,
  type AckInput,
  type IstioInput,
  type ServiceInput,
} from "./schema";
import type { MeshConfig, StackIdentity, TrustMode } from "./types";

const NS = "mesh";

/** The stack's config as read, values of object keys already JSON-decoded. */
export interface RawConfig {
  readonly stack: StackIdentity;
  /** `mesh:<key>` → value; absent keys are undefined. */
  readonly mesh: Readonly<Record<string, unknown>>;
  /** `alicloud:region`, needed when the stack provisions ACK. */
  readonly alicloudRegion?: string;
  /** The `mesh:` keys (without the namespace) whose values are secret. @default none */
  readonly secretKeys?: readonly string[];
  /**
   * What is wrong with the charts vendored in a project folder (`mesh:istio.repo` a path), read by
   * the caller, who has the files. @default not checked
   */
  readonly localChartProblems?: (dir: string, version: string) => readonly { readonly message: string; readonly fix: string }[];
}

export const MESH_KEYS = ["meshId", "istio", "services", "cluster", "eastWestGateway", "peers", "trust"] as const;

const SCHEMAS = {
  meshId: MeshIdSchema,
  istio: IstioSchema,
  services: ServicesSchema,
  cluster: ClusterSchema,
  eastWestGateway: GatewaySchema,
  peers: PeersSchema,
  trust: TrustSchema,
} as const;

const DEFAULTS: Partial<Record<(typeof MESH_KEYS)[number], unknown>> = {
  meshId: "mesh1",
  services: [],
  eastWestGateway: {},
  peers: [],
};

const FIX_FOR_KEY: Record<(typeof MESH_KEYS)[number], string> = {
  meshId: "set it in Pulumi.yaml (default mesh1)",
  istio: 'set it in Pulumi.yaml: mesh:istio: { value: { version: "1.30.3" } }',
  services: "set it in Pulumi.yaml, or leave it out for an empty catalog",
  cluster: "set it in Pulumi.<stack>.yaml: mesh:cluster: { name: ..., kubeContext: ... | ack: {...} }",
  eastWestGateway: "set it in Pulumi.<stack>.yaml, or leave it out for a LoadBalancer gateway",
  peers: 'set it in Pulumi.<stack>.yaml, e.g. ["organization/mesh/wuxi"]',
  trust: "set it in Pulumi.<stack>.yaml: { anchor: true } on one stack, { rootStack: ... } on the others",
};

export function validateConfig(raw: RawConfig): MeshConfig {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string, fix: string) => issues.push({ path, message, fix });

  for (const key of Object.keys(raw.mesh)) {
    if (!(MESH_KEYS as readonly string[]).includes(key)) {
      const guess = closest(key, MESH_KEYS);
      add(`${NS}:${key}`, "unknown config key", guess ? `did you mean mesh:${guess}?` : `remove it; known keys: ${MESH_KEYS.join(", ")}`);
    }
  }

  // a value nested past any real config's depth is refused before anything walks it recursively
  const tooDeep = new Set<string>();
  for (const key of MESH_KEYS) {
    const at = deeperThan(raw.mesh[key], MAX_DEPTH);
    if (at === undefined) continue;
    tooDeep.add(key);
    add(
      configPath(NS, [key, ...at]),
      `nested deeper than ${MAX_DEPTH} levels`,
      "flatten it: no Istio chart value or config key is nested this deep",
    );
  }

  const parsed: { -readonly [K in keyof typeof SCHEMAS]?: z.infer<(typeof SCHEMAS)[K]> } = {};
  for (const key of MESH_KEYS) {
    if (tooDeep.has(key)) continue;
    const value = raw.mesh[key] ?? DEFAULTS[key];
    if (value === undefined) {
      if (key !== "trust") add(`${NS}:${key}`, "required key is missing", FIX_FOR_KEY[key]);
      continue;
    }
    if (key === "services" && !tooDeep.has(key)) {
      const catalog = validateCatalog(value);
      issues.push(...catalog.issues);
      if (catalog.data) parsed.services = catalog.data;
      continue;
    }
    const result = SCHEMAS[key].safeParse(value);
    if (result.success) (parsed as Record<string, unknown>)[key] = result.data;
    else issues.push(...zodIssues(key, result.error.issues));
  }

  const { meshId, istio, services, cluster, eastWestGateway, peers, trust } = parsed;

  // The rules below read each part on its own, so a typo in one field does not hide the others.
  const rawIstio = tooDeep.has("istio") ? undefined : asObject(raw.mesh.istio);
  const version = part(IstioSchema.shape.version, rawIstio?.version);
  const values = rawIstio && part(IstioSchema.shape.values, rawIstio.values ?? {});
  if (values) checkIdentityValues(values, add);
  const repo = rawIstio && part(IstioSchema.shape.repo, rawIstio.repo);
  const source = repo === undefined ? undefined : chartSource(repo);
  if (source?.kind === "local" && version && raw.localChartProblems) {
    for (const p of raw.localChartProblems(source.dir, version)) add(`${NS}:istio.repo`, p.message, p.fix);
  }
  if (version && values) checkIstioValues(version, values, add);

  const rawCluster = tooDeep.has("cluster") ? undefined : asObject(raw.mesh.cluster);
  const peerCount = Array.isArray(raw.mesh.peers) ? raw.mesh.peers.length : 0;
  if (rawCluster) checkClusterSource(rawCluster, raw.alicloudRegion, peerCount, add);
  if (rawCluster) checkDerivedClusterNames(rawCluster, add);

  const rawService = tooDeep.has("eastWestGateway") ? undefined : asObject(asObject(raw.mesh.eastWestGateway ?? {})?.service ?? {});
  const gatewayService = rawService && part(GatewaySchema.shape.service.unwrap(), rawService);
  if (gatewayService) checkGatewayService(gatewayService, add);

  if (Array.isArray(raw.mesh.peers)) checkPeers(raw.mesh.peers, raw.stack, add);
  checkStoredAsSecret(raw, add);

  const rawTrust = tooDeep.has("trust") ? undefined : asObject(raw.mesh.trust);
  if (rawTrust) checkTrust(rawTrust, raw.stack, add);

  if (issues.length > 0) throw new ConfigError(issues);
  // every key parsed and every rule held, so none of these is undefined here
  const c = cluster!;
  const svc = eastWestGateway!.service;
  const type = svc.type ?? "LoadBalancer";
  return {
    stack: raw.stack,
    meshId: meshId!,
    istio: istio!,
    services: services!,
    cluster: {
      name: c.name,
      network: c.network ?? `network-${c.name}`,
      locality: c.locality,
      apiServer: c.apiServer,
      readerTokenGeneration: c.readerTokenGeneration,
      source: c.ack
        ? { kind: "ack", region: raw.alicloudRegion!, ...c.ack }
        : c.kubeContext
          ? { kind: "kubeContext", context: c.kubeContext }
          : { kind: "kubeconfig" },
    },
    eastWestGateway: {
      type,
      annotations: svc.annotations,
      externalIPs: svc.externalIPs,
      nodeSelector: type === "NodePort" ? (svc.nodeSelector ?? {}) : undefined,
      nodePorts: svc.nodePorts ?? {},
      replicas: eastWestGateway!.replicas,
    },
    peers: peers!,
    trust: trustModeOf(trust),
    trustValidity: {
      rootHours: trust?.rootValidityHours ?? 87600,
      intermediateHours: trust?.intermediateValidityHours ?? 17520,
    },
    secretKeys: new Set(raw.secretKeys ?? []),
  };
}

type Add = (path: string, message: string, fix: string) => void;

/** Every stack of a project shares Pulumi.yaml's catalog: validate each catalog object once. */
const catalogs = new WeakMap<object, { readonly data?: ServiceInput[]; readonly issues: readonly ConfigIssue[] }>();

function validateCatalog(value: unknown): { readonly data?: ServiceInput[]; readonly issues: readonly ConfigIssue[] } {
  const cached = typeof value === "object" && value !== null ? catalogs.get(value) : undefined;
  if (cached) return cached;
  const issues: ConfigIssue[] = [];
  const result = ServicesSchema.safeParse(value);
  if (!result.success) issues.push(...zodIssues("services", result.error.issues));
  // the rules read each service on its own, so one malformed service does not hide the others' problems
  if (Array.isArray(value))
    checkServices(
      value.map((s) => part(ServiceSchema, s)),
      (path, message, fix) => issues.push({ path, message, fix }),
    );
  const out = { data: result.success && issues.length === 0 ? result.data : undefined, issues };
  if (typeof value === "object" && value !== null) catalogs.set(value, out);
  return out;
}

const asObject = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** One part of a key parsed on its own: its data if it is well formed (its problems are reported with the key). */
function part<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

/** The keys of `raw` among `keys`; a problem at `path` unless exactly one is set. */
function exactlyOne<K extends string>(
  raw: Record<string, unknown>,
  keys: readonly K[],
  path: string,
  what: string,
  fix: string,
  add: Add,
): K[] {
  const set = keys.filter((k) => raw[k] !== undefined);
  if (set.length !== 1) add(path, set.length === 0 ? `no ${what}` : `several ${what}s (${set.join(", ")})`, fix);
  return set;
}

function checkClusterSource(rawCluster: Record<string, unknown>, region: string | undefined, peerCount: number, add: Add): void {
  const sources = exactlyOne(
    rawCluster,
    ["ack", "kubeContext", "kubeconfig"] as const,
    `${NS}:cluster`,
    "cluster source",
    "set exactly one of ack (this stack provisions ACK), kubeContext (a context of your kubeconfig) or kubeconfig (secret: pulumi config set --secret --path 'mesh:cluster.kubeconfig')",
    add,
  );
  const ack = part(AckSchema, rawCluster.ack);
  if (ack) checkAck(ack, region, add);
  if (rawCluster.ack !== undefined && !region) {
    add("alicloud:region", "missing: the ACK cluster's region", "pulumi config set alicloud:region cn-shanghai");
  }
  if (rawCluster.apiServer === undefined && sources.length === 1 && sources[0] !== "ack" && peerCount > 0) {
    add(
      `${NS}:cluster.apiServer`,
      "missing: peers need the address of this cluster's API server as they reach it",
      "set mesh:cluster.apiServer, e.g. https://10.18.10.10:6443 (not 127.0.0.1 and not an address only your workstation reaches)",
    );
  }
}

type GatewayService = z.infer<ReturnType<typeof GatewaySchema.shape.service.unwrap>>;

function checkGatewayService(svc: GatewayService, add: Add): void {
  const type = svc.type ?? "LoadBalancer";
  const seen = new Map<number, string>();
  for (const { name } of NETWORK_GATEWAY_PORTS) {
    const p = svc.nodePorts?.[name];
    if (p === undefined) continue;
    const path = `${NS}:eastWestGateway.service.nodePorts["${name}"]`;
    if (p < NODE_PORT_MIN || p > NODE_PORT_MAX) {
      add(
        path,
        `${p} is outside the NodePort range ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
        `pick a free port from ${NODE_PORT_MIN} to ${NODE_PORT_MAX}`,
      );
    } else if (seen.has(p)) {
      add(path, `${p} is already used by ${seen.get(p)}`, "give every gateway port its own node port");
    }
    seen.set(p, name);
  }
  if (type !== "NodePort" && svc.nodePorts) {
    add(
      `${NS}:eastWestGateway.service.nodePorts`,
      "fixed node ports are set but the service type is not NodePort",
      'set service.type to "NodePort" or remove nodePorts',
    );
  }
  if (type !== "NodePort" && svc.nodeSelector) {
    add(
      `${NS}:eastWestGateway.service.nodeSelector`,
      "nodeSelector only applies to a NodePort gateway",
      'set service.type to "NodePort" or remove nodeSelector',
    );
  }
  if (type === "NodePort" && svc.externalIPs.length === 0 && svc.nodeSelector === undefined) {
    add(
      `${NS}:eastWestGateway.service`,
      "NodePort gateway with neither externalIPs nor nodeSelector: istiod takes a NodePort gateway's addresses only from the traffic.istio.io/nodeSelector annotation (the selected nodes' ExternalIP) and from spec.externalIPs, so peers would get no address and send traffic to pod IPs they cannot reach",
      "list the nodes' reachable IPs in service.externalIPs (e.g. [10.18.10.196]), or set service.nodeSelector to nodes that have an ExternalIP",
    );
  }
}

function checkPeers(peers: readonly unknown[], stack: StackIdentity, add: Add): void {
  const self = `${stack.organization}/${stack.project}/${stack.stack}`;
  const seen = new Set<unknown>();
  peers.forEach((p, i) => {
    if (typeof p !== "string") return;
    const [, project, name] = p.split("/");
    if (p === self || (project === stack.project && name === stack.stack)) {
      add(`${NS}:peers[${i}]`, `${p} is this stack itself`, "list only the other clusters' stacks");
    } else if (seen.has(p)) add(`${NS}:peers[${i}]`, `${p} is listed twice`, "list each peer once");
    seen.add(p);
  });
}

function checkTrust(rawTrust: Record<string, unknown>, stack: StackIdentity, add: Add): void {
  exactlyOne(
    rawTrust,
    ["anchor", "rootStack", "pki"] as const,
    `${NS}:trust`,
    "trust source",
    "set exactly one of anchor: true (this stack owns the root CA), rootStack: <org>/mesh/<anchor stack>, or pki (your own CA, as secrets)",
    add,
  );
  const rootStack = part(TrustSchema.shape.rootStack, rawTrust.rootStack);
  if (rootStack && rootStack.split("/")[2] === stack.stack) {
    add(`${NS}:trust.rootStack`, "names this stack itself", "on the anchor set trust: { anchor: true }; elsewhere name the anchor's stack");
  }
  const pki = part(TrustSchema.shape.pki, rawTrust.pki);
  if (pki) for (const p of pkiProblems(pki)) add(`${NS}:trust.pki.${p.field}`, p.message, p.fix);
  const trust = part(TrustSchema, rawTrust);
  if (trust?.anchor && trust.intermediateValidityHours > trust.rootValidityHours) {
    add(
      `${NS}:trust.intermediateValidityHours`,
      `${trust.intermediateValidityHours} hours outlives the root's ${trust.rootValidityHours}: the intermediates would stop working when the root expires`,
      "make it shorter than rootValidityHours",
    );
  }
  if (pki && !pki.rootKey && !(pki.intermediateCert && pki.intermediateKey && pki.certChain)) {
    add(
      `${NS}:trust.pki`,
      "neither the root key nor a complete intermediate (intermediateCert, intermediateKey, certChain)",
      "give rootKey so each stack issues its own intermediate, or this cluster's intermediateCert, intermediateKey and certChain",
    );
  }
}

function trustModeOf(trust: z.infer<typeof TrustSchema> | undefined): TrustMode {
  if (!trust) return { kind: "none" };
  if (trust.anchor) return { kind: "anchor" };
  if (trust.rootStack) return { kind: "rootStack", stack: trust.rootStack };
  return { kind: "pki", issuesIntermediate: trust.pki!.rootKey !== undefined && trust.pki!.intermediateCert === undefined };
}

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

function checkIdentityValues(values: IstioInput["values"], add: Add): void {
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

function checkIstioValues(version: string, values: IstioInput["values"], add: Add): void {
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

function checkServices(services: readonly (ServiceInput | undefined)[], add: Add): void {
  const seen = new Map<string, number>();
  const derivedNames = new Map<string, { key: string; index: number }>();
  services.forEach((s, i) => {
    if (!s) return;
    const at = `${NS}:services[${i}]`;
    const key = `${s.namespace}/${s.name}`;
    if (seen.has(key)) add(at, `${key} is already defined at mesh:services[${seen.get(key)}]`, "define each service once");
    seen.set(key, i);
    // MeshServices names its resources <cluster>-svc-<namespace>-<name>: dev/a-b and dev-a/b would be one
    const derived = `${s.namespace}-${s.name}`;
    const twin = derivedNames.get(derived);
    if (twin !== undefined && twin.key !== key) {
      add(
        at,
        `${key} and mesh:services[${twin.index}] (${twin.key}) derive the same resource names (…-svc-${derived})`,
        "rename one of them: a namespace and name joined by '-' must be unique in the catalog",
      );
    }
    if (twin === undefined) derivedNames.set(derived, { key, index: i });
    if ((RESERVED_NAMESPACES as readonly string[]).includes(s.namespace)) {
      add(
        `${at}.namespace`,
        `${s.namespace} is ${s.namespace === ISTIO_NAMESPACE ? "the control plane's namespace: a catalog Service there could replace the east-west gateway's or istiod's" : "a Kubernetes system namespace: the catalog would label it for sidecar injection"}`,
        "put catalog services in their applications' namespaces",
      );
    }
    const ports = new Set<number>();
    const names = new Set<string>();
    s.ports.forEach((p, j) => {
      if (ports.has(p.port)) add(`${at}.ports[${j}].port`, `port ${p.port} is listed twice`, "list each port once");
      if (names.has(p.name)) add(`${at}.ports[${j}].name`, `port name ${p.name} is listed twice`, "give every port a unique name");
      ports.add(p.port);
      names.add(p.name);
    });
    const loc = s.locality;
    if (loc.failover && loc.distribute) {
      add(`${at}.locality`, "failover and distribute together: Istio rejects a localityLbSetting with both", "keep one of them");
    } else if (loc.mode === "failover" && !loc.failover?.length) {
      add(`${at}.locality.failover`, 'mode "failover" needs region pairs', 'add failover: [{ from: "cn-shanghai", to: "cn-wuxi" }]');
    } else if (loc.mode === "distribute" && !loc.distribute?.length) {
      add(
        `${at}.locality.distribute`,
        'mode "distribute" needs weights',
        'add distribute: [{ from: "cn-shanghai/*", to: { "cn-shanghai/*": 80, "cn-wuxi/*": 20 } }]',
      );
    } else if (loc.mode === "preferLocal" && (loc.failover || loc.distribute)) {
      add(
        `${at}.locality.mode`,
        `mode "preferLocal" ignores ${loc.failover ? "failover" : "distribute"}`,
        `set mode to "${loc.failover ? "failover" : "distribute"}" or remove the list`,
      );
    }
    loc.failover?.forEach((f, j) => {
      if (f.from === f.to) add(`${at}.locality.failover[${j}]`, `fails over from ${f.from} to itself`, "name two different regions");
    });
    loc.distribute?.forEach((d, j) => {
      const sum = Object.values(d.to).reduce((a, b) => a + b, 0);
      if (sum !== 100) add(`${at}.locality.distribute[${j}].to`, `weights add up to ${sum}`, "make the weights add up to 100");
    });
  });
}

/** `vswitch_ids` of `alicloud_cs_managed_kubernetes`: MinItems 1, MaxItems 5. */
export const MAX_ACK_ZONES = 5;

function checkAck(ack: AckInput, region: string | undefined, add: Add): void {
  const at = `${NS}:cluster.ack`;
  if (ack.zones.length < 2) {
    add(
      `${at}.zones`,
      `${ack.zones.length} zone(s): a managed cluster's control plane and nodes need at least two`,
      'list two or more zones, e.g. ["cn-shanghai-e", "cn-shanghai-f"]',
    );
  }
  // the provider's vswitch_ids takes 1 to 5 (resource_alicloud_cs_managed_kubernetes.go, its schema)
  if (ack.zones.length > MAX_ACK_ZONES) {
    add(
      `${at}.zones`,
      `${ack.zones.length} zones: the cluster's control plane takes one vSwitch per zone, and at most ${MAX_ACK_ZONES}`,
      `list at most ${MAX_ACK_ZONES} zones (and as many vswitchCidrs)`,
    );
  }
  const zones = new Set<string>();
  ack.zones.forEach((z, i) => {
    if (zones.has(z)) add(`${at}.zones[${i}]`, `${z} is listed twice`, "list each zone once");
    zones.add(z);
    if (region && !z.startsWith(`${region}-`))
      add(`${at}.zones[${i}]`, `${z} is not a zone of region ${region}`, `use a zone of ${region}, e.g. ${region}-e`);
  });
  if (ack.vswitchCidrs.length !== ack.zones.length) {
    add(
      `${at}.vswitchCidrs`,
      `${ack.vswitchCidrs.length} vSwitch CIDRs for ${ack.zones.length} zones`,
      "give one vSwitch CIDR per zone, in the same order",
    );
  }
  ack.vswitchCidrs.forEach((c, i) => {
    if (!cidrContains(ack.vpcCidr, c))
      add(`${at}.vswitchCidrs[${i}]`, `${c} is not inside the VPC ${ack.vpcCidr}`, "choose a block inside vpcCidr");
    ack.vswitchCidrs.slice(0, i).forEach((d, j) => {
      if (cidrOverlaps(c, d)) add(`${at}.vswitchCidrs[${i}]`, `${c} overlaps vswitchCidrs[${j}] ${d}`, "give each vSwitch its own block");
    });
  });
  if ((ack.podCidr === undefined) === (ack.podVswitchIds === undefined)) {
    add(
      `${at}`,
      ack.podCidr ? "both podCidr and podVswitchIds" : "neither podCidr nor podVswitchIds",
      "set podCidr for Flannel, or podVswitchIds for Terway",
    );
  }
  const networks: [string, string][] = [
    ["vpcCidr", ack.vpcCidr],
    ["serviceCidr", ack.serviceCidr],
  ];
  if (ack.podCidr) networks.push(["podCidr", ack.podCidr]);
  networks.forEach(([name, c], i) =>
    networks.slice(0, i).forEach(([other, d]) => {
      if (cidrOverlaps(c, d))
        add(`${at}.${name}`, `${c} overlaps ${other} ${d}`, "ACK needs the VPC, pod and service networks to be disjoint");
    }),
  );
  const pools = new Set<string>();
  ack.nodePools.forEach((p, i) => {
    if (pools.has(p.name)) add(`${at}.nodePools[${i}].name`, `node pool ${p.name} is defined twice`, "give every node pool a unique name");
    pools.add(p.name);
  });
}

/**
 * Credentials and keys given in plain config: the program would keep them secret in the state, but
 * they already sit in plain text in Pulumi.<stack>.yaml, which is usually committed.
 */
function checkStoredAsSecret(raw: RawConfig, add: Add): void {
  const secret = new Set(raw.secretKeys ?? []);
  const cluster = asObject(raw.mesh.cluster);
  if (cluster?.kubeconfig !== undefined && !secret.has("cluster")) {
    add(
      `${NS}:cluster.kubeconfig`,
      "stored in plain text in the stack file",
      "store it as a secret: pulumi config set --secret --path 'mesh:cluster.kubeconfig' < kubeconfig.yaml",
    );
  }
  const pki = asObject(asObject(raw.mesh.trust)?.pki);
  for (const field of ["rootKey", "intermediateKey"]) {
    if (pki?.[field] !== undefined && !secret.has("trust")) {
      add(
        `${NS}:trust.pki.${field}`,
        "a private key stored in plain text in the stack file",
        `store it as a secret: pulumi config set --secret --path 'mesh:trust.pki.${field}' < key.pem`,
      );
    }
  }
}

/** Names the program derives from the cluster's name, checked against the limits where they land. */
function checkDerivedClusterNames(rawCluster: Record<string, unknown>, add: Add): void {
  const name = part(ClusterSchema.shape.name, rawCluster.name);
  if (name === undefined) return;
  if (rawCluster.network === undefined && `network-${name}`.length > 63) {
    add(
      `${NS}:cluster.network`,
      `the default network network-${name} is longer than a label value's 63 characters`,
      "set mesh:cluster.network to a label value of at most 63 characters, or shorten the cluster name",
    );
  }
  const ack = part(AckSchema, rawCluster.ack);
  ack?.nodePools.forEach((p, i) => {
    const poolName = ackNodePoolName(name, p.name);
    if (poolName.length > ACK_NODE_POOL_NAME_MAX) {
      add(
        `${NS}:cluster.ack.nodePools[${i}].name`,
        `the ACK node pool name ${poolName} is longer than ACK's ${ACK_NODE_POOL_NAME_MAX} characters`,
        `shorten the pool name to at most ${ACK_NODE_POOL_NAME_MAX - name.length - 1} characters`,
      );
    }
  });
}

/** Deepest config nesting taken: Istio's charts go 8 levels deep, so 64 leaves room for any real value. */
export const MAX_DEPTH = 64;

/** The path at which `value` nests deeper than `limit`, without recursion (it may be thousands deep). */
function deeperThan(value: unknown, limit: number): (string | number)[] | undefined {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (path.length > limit) return path.slice(0, limit + 1);
    if (v !== null && typeof v === "object") {
      for (const [k, c] of Object.entries(v)) stack.push({ v: c, path: [...path, Array.isArray(v) ? Number(k) : k] });
    }
  }
  return undefined;
}

function cidrRange(c: string): [number, number] {
  const [addr, bits] = ipaddr.parseCIDR(c);
  const start = (addr as ipaddr.IPv4).toByteArray().reduce((a, b) => a * 256 + b, 0);
  return [start, start + 2 ** (32 - bits) - 1];
}
export function cidrOverlaps(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}
export function cidrContains(outer: string, inner: string): boolean {
  const [o0, o1] = cidrRange(outer);
  const [i0, i1] = cidrRange(inner);
  return o0 <= i0 && i1 <= o1;
}

function zodIssues(key: string, zissues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const zi of zissues) {
    if (zi.code === "unrecognized_keys") {
      for (const k of zi.keys) {
        const known = knownKeysAt(key, zi.path);
        const guess = closest(k, known);
        out.push({
          path: configPath(NS, [key, ...zi.path, k]),
          message: "unknown key",
          fix: guess ? `did you mean ${guess}?` : `remove it${known.length ? `; known keys here: ${known.join(", ")}` : ""}`,
        });
      }
      continue;
    }
    if (zi.code === "invalid_key") {
      // a record's key (a label key): the key's own problem, at the key's path
      out.push(
        ...zodIssues(
          key,
          zi.issues.map((e) => ({ ...e, path: [...zi.path, ...e.path] })),
        ),
      );
      continue;
    }
    if (zi.code === "invalid_union") {
      // report the first alternative's problems: they name the concrete field
      out.push(
        ...zodIssues(
          key,
          zi.errors[0]!.map((e) => ({ ...e, path: [...zi.path, ...e.path] })),
        ),
      );
      continue;
    }
    const [message, fix] = zi.message.includes(FIX) ? zi.message.split(FIX) : [zi.message, genericFix(zi)];
    out.push({ path: configPath(NS, [key, ...zi.path]), message: message!, fix: fix! });
  }
  return out;
}

function genericFix(zi: z.core.$ZodIssue): string {
  switch (zi.code) {
    case "invalid_type":
      return zi.input === undefined ? `set it (a ${zi.expected})` : `use a ${zi.expected}`;
    case "too_small":
      return `use at least ${String(zi.minimum)}`;
    case "too_big":
      return `use at most ${String(zi.maximum)}`;
    case "invalid_value":
      return `use one of ${zi.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return "correct the value";
  }
}

/** The keys an object at `path` of `key` accepts, for typo suggestions. */
function knownKeysAt(key: string, path: readonly PropertyKey[]): string[] {
  let schema: unknown = SCHEMAS[key as keyof typeof SCHEMAS];
  for (const seg of path) {
    schema = unwrap(schema);
    if (typeof seg === "number") schema = (schema as z.ZodArray).element;
    else schema = (schema as z.ZodObject).shape?.[seg as string];
  }
  const obj = unwrap(schema) as z.ZodObject | undefined;
  return obj?.shape ? Object.keys(obj.shape) : [];
}
function unwrap(s: unknown): unknown {
  let cur = s as { unwrap?: () => unknown; def?: { innerType?: unknown } } | undefined;
  while (cur && (cur.def?.innerType || (typeof cur.unwrap === "function" && !(cur instanceof z.ZodArray)))) {
    cur = (cur.def?.innerType ?? cur.unwrap!()) as typeof cur;
  }
  return cur;
}
