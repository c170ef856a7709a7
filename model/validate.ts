/**
 * Turns the raw `mesh:` config of one stack into a validated `MeshConfig`, or a `ConfigError` that
 * lists every problem at once with its config path and fix. Pure: no Pulumi, no I/O.
 */
import { z } from "zod";
import { configPath, ConfigError, type ConfigIssue } from "./errors";
import { closest } from "./text";
import { chartSource } from "./supply";
import { GatewaySchema, IstioSchema } from "./schema";
import type { MeshConfig, StackIdentity } from "./types";
import { NS, SCHEMAS, type Add, asObject, part, zodIssues } from "./rules/shared";
import { checkClusterSource, checkDerivedClusterNames } from "./rules/cluster";
import { checkGatewayService } from "./rules/gateway";
import { checkPeers, checkTrust, trustModeOf } from "./rules/trust";
import { checkIdentityValues, checkIstioValues, checkMetadataValues } from "./rules/istio";
import { validateCatalog } from "./rules/catalog";
import { checkRevisions } from "./rules/revisions";

export { IDENTITY_VALUES } from "./rules/istio";
export { MAX_ACK_ZONES } from "./rules/cluster";
export { cidrContains, cidrOverlaps } from "./rules/shared";

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

export const MESH_KEYS = ["meshId", "istio", "services", "cluster", "eastWestGateway", "peers", "trust", "revisions"] as const;

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
  revisions: "leave it out for one istiod (mesh:istio.version), or see docs/upgrade.md",
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
      if (key !== "trust" && key !== "revisions") add(`${NS}:${key}`, "required key is missing", FIX_FOR_KEY[key]);
      continue;
    }
    if (key === "services" && !tooDeep.has(key)) {
      const catalog = validateCatalog(value);
      issues.push(...catalog.issues);
      if (catalog.data) parsed.services = catalog.data;
      continue;
    }
    const result = SCHEMAS[key].safeParse(value, { reportInput: true });
    if (result.success) (parsed as Record<string, unknown>)[key] = result.data;
    else issues.push(...zodIssues(key, result.error.issues, raw.secretKeys?.includes(key)));
  }

  const { meshId, istio, services, cluster, eastWestGateway, peers, trust, revisions } = parsed;

  // The rules below read each part on its own, so a typo in one field does not hide the others.
  const rawIstio = tooDeep.has("istio") ? undefined : asObject(raw.mesh.istio);
  const version = part(IstioSchema.shape.version, rawIstio?.version);
  const values = rawIstio && part(IstioSchema.shape.values, rawIstio.values ?? {});
  if (values) checkIdentityValues(values, add);
  if (values) checkMetadataValues(values, add);
  const repo = rawIstio && part(IstioSchema.shape.repo, rawIstio.repo);
  const source = repo === undefined ? undefined : chartSource(repo);
  if (source?.kind === "local" && version && raw.localChartProblems) {
    for (const p of raw.localChartProblems(source.dir, version)) add(`${NS}:istio.repo`, p.message, p.fix);
  }
  if (version && values) checkIstioValues(version, values, add);
  if (revisions && rawIstio) {
    const namespaces = [...new Set((services ?? []).map((s) => s.namespace))].sort();
    checkRevisions(revisions, { version, revision: rawIstio.revision, tag: rawIstio.tag }, namespaces, add);
  }

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
    ...(revisions ? { revisions } : {}),
  };
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
