/**
 * A seeded, deterministic fuzzer over the `mesh:` config schema. It mutates valid stack configs the
 * way careless or hostile users do and checks what the model does with each: reject it with one
 * ConfigError (every path under `mesh:` or `alicloud:`, a fix for each, no secret echoed), or accept
 * it only if everything derived from it is valid for Kubernetes, Helm, ACK and Istio and no secret
 * reaches a plain value. Pure: no Pulumi, no I/O.
 *
 *   npm run fuzz [-- <seed> <cases>]
 */
import * as ipaddr from "ipaddr.js";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ackPlan } from "../model/ack";
import { ackConfig } from "../test/fixtures/ack";
import { clusterObjects } from "../model/cluster-objects";
import { ConfigError } from "../model/errors";
import type { MeshConfig } from "../model/types";
import { validateConfig } from "../model/validate";

/** Strings planted in mutations that must never come back in an error or a plain value. */
const PASSWORD = "S3cr3tPa55w0rd";
const PKI = join(__dirname, "..", "test", "fixtures", "pki");
const pemFile = (f: string) => readFileSync(join(PKI, f), "utf8");
const ROOT_CERT = pemFile("root-cert.pem");
const ROOT_KEY = pemFile("root-key.pem");
/** A line from the middle of the key's body: what an echo of the key would contain. */
const KEY_MARKER = ROOT_KEY.split("\n")[5]!;
const SECRETS = [PASSWORD, KEY_MARKER];

type Json = any;
export type Rng = () => number;
/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function onPrem(): Json {
  return {
    meshId: "mesh1",
    istio: { version: "1.30.3", repo: "https://istio-release.storage.googleapis.com/charts" },
    services: [{ name: "helloworld", namespace: "dev", ports: [{ name: "http", port: 5000 }], selector: { app: "helloworld" } }],
    cluster: { name: "wuxi", network: "network-wuxi", kubeContext: "wuxi", apiServer: "https://10.18.10.10:6443" },
    eastWestGateway: { service: { type: "NodePort", externalIPs: ["10.18.10.196"], nodeSelector: {}, nodePorts: { tls: 30880 } } },
    peers: ["organization/mesh/cn-shanghai"],
    trust: { rootStack: "organization/mesh/cn-shanghai" },
  };
}
function ack(): Json {
  return {
    ...onPrem(),
    cluster: {
      name: "cn-shanghai",
      network: "network-cn-shanghai",
      ack: { clusterSpec: "ack.pro.small", ...ackConfig() },
    },
    eastWestGateway: { service: { type: "LoadBalancer" } },
    peers: ["organization/mesh/wuxi"],
    trust: { anchor: true },
  };
}

const deep = (levels: number): Json => {
  let v: Json = { leaf: 1 };
  for (let i = 0; i < levels; i++) v = { nested: v };
  return v;
};
const long = (n: number, c = "a") => c.repeat(n);

/** Mutations aimed at the classes of failure users have hit, each named after its class. */
const TARGETED: readonly { readonly cls: string; readonly apply: (m: Json, r: Rng) => void }[] = [
  // names derived from config
  {
    cls: "names",
    apply: (m) =>
      m.services.push(
        { name: "b", namespace: "dev-a", ports: [{ name: "http", port: 80 }] },
        { name: "a-b", namespace: "dev", ports: [{ name: "http", port: 80 }] },
      ),
  },
  {
    cls: "names",
    apply: (m, r) =>
      m.services.push({
        name: pick(r, ["istio-eastwestgateway", "istiod", "web"]),
        namespace: "istio-system",
        ports: [{ name: "http", port: 80 }],
      }),
  },
  {
    cls: "names",
    apply: (m, r) =>
      m.services.push({
        name: "dns",
        namespace: pick(r, ["kube-system", "kube-public", "kube-node-lease"]),
        ports: [{ name: "dns", port: 53 }],
      }),
  },
  {
    cls: "names",
    apply: (m, r) => {
      m.cluster.name = long(50 + Math.floor(r() * 14));
      delete m.cluster.network;
    },
  },
  { cls: "names", apply: (m, r) => (m.istio.revision = long(40 + Math.floor(r() * 23))) },
  { cls: "names", apply: (m, r) => (m.services[0].ports[0].targetPort = pick(r, [long(16), "--", "-a", "123", "a--b"])) },
  {
    cls: "names",
    apply: (m, r) => {
      if (m.cluster.ack) m.cluster.ack.nodePools[0].name = long(50 + Math.floor(r() * 13));
      else m.cluster.name = long(63);
    },
  },
  // identity through the escape hatch
  {
    cls: "identity",
    apply: (m, r) => {
      const [chart, path, value] = pick(r, [
        ["istiod", ["global", "meshID"], "other"],
        ["istiod", ["global", "network"], "other"],
        ["istiod", ["global", "multiCluster", "clusterName"], "other"],
        ["istiod", ["revision"], "canary"],
        ["gateway", ["networkGateway"], "other"],
        ["gateway", ["name"], "istio-ingressgateway"],
        ["gateway", ["revision"], "canary"],
        ["base", ["defaultRevision"], "canary"],
      ] as const);
      m.istio.values ??= {};
      let at = (m.istio.values[chart] ??= {});
      for (const seg of path.slice(0, -1)) at = at[seg] ??= {};
      at[path[path.length - 1]!] = value;
    },
  },
  // addresses
  {
    cls: "addresses",
    apply: (m, r) => {
      m.eastWestGateway = {
        service: {
          type: "NodePort",
          nodeSelector: {},
          externalIPs: [
            pick(r, [
              "127.0.0.1",
              "127.9.9.9",
              "0.0.0.0",
              "::1",
              "::",
              "::ffff:127.0.0.1",
              "::ffff:7f00:1",
              "0x0a.0.0.1",
              "1",
              "010.18.10.196",
              "10.18.10.196.",
              "10.1",
            ]),
          ],
        },
      };
    },
  },
  {
    cls: "addresses",
    apply: (m, r) => {
      m.cluster.apiServer = pick(r, [
        `https://admin:${PASSWORD}@10.18.10.10:6443`,
        `https://${PASSWORD}@10.18.10.10:6443`,
        "https://127.0.0.1:6443",
        "https://127.1:6443",
        "https://0x7f000001:6443",
        "https://[::1]:6443",
        "https://[::ffff:127.0.0.1]:6443",
        "https://0.0.0.0:6443",
        "https://[::]:6443",
        "https://1:6443",
        "https://0x0a.0.0.1:6443",
      ]);
    },
  },
  {
    cls: "addresses",
    apply: (m, r) =>
      (m.istio.repo = pick(r, [`https://user:${PASSWORD}@charts.example.com/istio`, `oci://robot:${PASSWORD}@registry.example.com/istio`])),
  },
  // trust material
  {
    cls: "trust",
    apply: (m, r) => {
      const bad = pick(r, [
        { rootCert: ROOT_KEY, rootKey: ROOT_KEY },
        { rootCert: "not a certificate", rootKey: ROOT_KEY },
        { rootCert: ROOT_CERT, rootKey: ROOT_CERT },
        { rootCert: ROOT_CERT, rootKey: `-----BEGIN PRIVATE KEY-----\n${PASSWORD}\n-----END PRIVATE KEY-----\n` },
        { rootCert: ROOT_CERT, intermediateCert: ROOT_KEY, intermediateKey: ROOT_KEY, certChain: ROOT_CERT },
      ]);
      m.trust = { pki: bad };
    },
  },
  {
    cls: "trust",
    apply: (m, r) => {
      m.trust = { anchor: true };
      const [root, intermediate] = pick(r, [
        [87600, 24],
        [87600, 700],
        [1000, 2000],
        [1e12, 17520],
        [87600, 1e12],
      ] as const);
      m.trust.rootValidityHours = root;
      m.trust.intermediateValidityHours = intermediate;
    },
  },
  // depth and size
  { cls: "depth", apply: (m, r) => (m.istio.values = { istiod: { meshConfig: deep(pick(r, [200, 2000, 5000])) } }) },
  { cls: "depth", apply: (m, r) => (m.services[0].selector = { app: long(pick(r, [64, 5000])) }) },
];

/** Valid variations, so the accepted side of every invariant is exercised too. */
const BENIGN: readonly ((m: Json, r: Rng) => void)[] = [
  (m, r) =>
    m.services.push({
      name: `svc-${Math.floor(r() * 1000)}`,
      namespace: pick(r, ["dev", "team-a", "payments"]),
      ports: [{ name: "grpc", port: 9090, targetPort: "grpc" }],
    }),
  (m, r) => (m.istio.revision = pick(r, ["canary", "1-30-3", long(46, "r")])),
  (m) =>
    (m.istio.values = {
      istiod: { resources: { requests: { cpu: "500m" } } },
      gateway: { resources: { limits: { cpu: "2" } } },
    }),
  (m, r) => (m.cluster.network = pick(r, ["net-a", long(63, "n"), "Network_1.b"])),
  (m) => {
    m.trust = { anchor: true, rootValidityHours: 87600, intermediateValidityHours: 8760 };
  },
  (m, r) => {
    if (!m.cluster.ack) m.eastWestGateway.service.externalIPs = [pick(r, ["10.18.10.197", "192.168.1.5", "fd00::1"])];
  },
  (m) => (m.trust = { pki: { rootCert: ROOT_CERT, rootKey: ROOT_KEY } }),
];

/** Generic damage anywhere: wrong types, missing keys, unknown keys. */
function randomDamage(m: Json, r: Rng): void {
  const paths: (string | number)[][] = [];
  const walk = (v: Json, at: (string | number)[]) => {
    if (at.length > 6 || v === null || typeof v !== "object") return;
    for (const [k, c] of Object.entries(v)) {
      const seg = Array.isArray(v) ? Number(k) : k;
      paths.push([...at, seg]);
      walk(c, [...at, seg]);
    }
  };
  walk(m, []);
  const path = pick(r, paths);
  let parent = m;
  for (const seg of path.slice(0, -1)) parent = parent[seg];
  const last = path[path.length - 1]!;
  const kind = Math.floor(r() * 4);
  if (kind === 0) delete parent[last];
  else if (kind === 1) parent[last] = pick(r, [null, 0, -1, 1.5, "", "x", true, [], {}, 65536, "🙂", long(300)]);
  else if (kind === 2 && typeof parent === "object" && !Array.isArray(parent)) parent[`${String(last)}x`] = 1;
  else parent[last] = JSON.parse(JSON.stringify(parent[last] ?? null));
}

export interface Violation {
  readonly cls: string;
  readonly seed: number;
  readonly index: number;
  readonly detail: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const RESERVED_NAMESPACES = new Set(["istio-system", "kube-system", "kube-public", "kube-node-lease"]);

function unsafeAddress(s: string): string | undefined {
  const host = s.replace(/^\[|\]$/g, "");
  if (ipaddr.IPv4.isValid(host) && !ipaddr.IPv4.isValidFourPartDecimal(host)) return `non-canonical IPv4 ${host}`;
  if (!ipaddr.isValid(host)) return undefined;
  let a = ipaddr.parse(host);
  if (a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  const range = a.range();
  return range === "loopback" || range === "unspecified" ? `${range} address ${host}` : undefined;
}

/** What must hold of an accepted config: everything derived from it is valid where it lands. */
function acceptedProblems(mesh: MeshConfig): string[] {
  const out: string[] = [];
  const say = (s: string) => out.push(s);
  const peers = ["peer-one"];
  const objs = clusterObjects(mesh, { trustReady: true, linkedPeers: peers });
  for (const r of objs.releases) {
    if (r.name.length > 53 || !DNS1123_LABEL.test(r.name))
      say(`Helm release name ${r.name.slice(0, 80)} is not valid (53 characters at most)`);
    const v = r.values as Json;
    if (r.chart === "istiod") {
      if (v.global?.meshID !== mesh.meshId) say("istiod global.meshID differs from mesh:meshId");
      if (v.global?.network !== mesh.cluster.network) say("istiod global.network differs from the cluster's network");
      if (v.global?.multiCluster?.clusterName !== mesh.cluster.name) say("istiod clusterName differs from the cluster's name");
      if ((v.revision ?? undefined) !== mesh.istio.revision) say("istiod revision differs from mesh:istio.revision");
    }
    if (r.chart === "gateway") {
      if (v.name !== "istio-eastwestgateway") say(`gateway name is ${String(v.name)}`);
      if (v.networkGateway !== undefined && v.networkGateway !== mesh.cluster.network)
        say("gateway networkGateway differs from the network");
      if ((v.revision ?? undefined) !== mesh.istio.revision) say("gateway revision differs from mesh:istio.revision");
    }
    if (r.chart === "base" && (v.defaultRevision ?? undefined) !== mesh.istio.revision)
      say("base defaultRevision differs from mesh:istio.revision");
    if (/\/\/[^/]*@/.test(r.repo)) say("a chart repository URL with credentials was accepted");
  }
  const serviceKeys = new Map<string, string>();
  for (const o of objs.objects) {
    const name = o.metadata.name;
    const limit = o.kind === "Namespace" || o.kind === "Service" ? 63 : 253;
    const pattern = o.kind === "Namespace" || o.kind === "Service" ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
    if (name.length > limit || !pattern.test(name.replace("<random>", "abcdef"))) say(`${o.kind} name ${name.slice(0, 80)} is not valid`);
    for (const [k, v] of Object.entries(o.metadata.labels ?? {}))
      if (v.length > 63 || !LABEL_VALUE.test(v)) say(`label ${k}=${v.slice(0, 80)} is not a valid label value`);
    if ((o.kind === "Service" || o.kind === "DestinationRule") && RESERVED_NAMESPACES.has(o.metadata.namespace ?? ""))
      say(`catalog ${o.kind} in ${o.metadata.namespace}`);
    if (o.kind === "Namespace" && name !== "istio-system" && RESERVED_NAMESPACES.has(name))
      say(`catalog namespace ${name} would be relabelled`);
    if (o.kind === "Service") {
      // the Pulumi name MeshServices derives: <cluster>-svc-<namespace>-<name>
      const key = `${o.metadata.namespace}-${name}`;
      if (serviceKeys.has(key))
        say(`catalog services ${serviceKeys.get(key)} and ${o.metadata.namespace}/${name} derive the same resource name`);
      serviceKeys.set(key, `${o.metadata.namespace}/${name}`);
      for (const p of ((o.spec as Json).ports ?? []) as Json[]) {
        if (
          typeof p.targetPort === "string" &&
          !(
            p.targetPort.length <= 15 &&
            /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(p.targetPort) &&
            /[a-z]/.test(p.targetPort) &&
            !p.targetPort.includes("--")
          )
        )
          say(`targetPort ${p.targetPort} is not an IANA service name`);
      }
    }
  }
  const ack = ackPlan(mesh.cluster, mesh.meshId);
  for (const p of ack?.nodePools ?? [])
    if (p.nodePoolName.length > 63) say(`ACK node pool name ${p.nodePoolName.slice(0, 80)} is longer than 63`);
  for (const ip of mesh.eastWestGateway.externalIPs) {
    const u = unsafeAddress(ip);
    if (u) say(`externalIPs accepted a ${u}`);
  }
  if (mesh.cluster.apiServer !== undefined) {
    const raw = /^https:\/\/([^/?#]*)/.exec(mesh.cluster.apiServer)?.[1] ?? "";
    if (raw.includes("@")) say("apiServer with credentials was accepted");
    const u = unsafeAddress(raw.replace(/:\d+$/, ""));
    if (u) say(`apiServer accepted a ${u}`);
  }
  if (mesh.trust.kind === "anchor" || mesh.trust.kind === "rootStack" || (mesh.trust.kind === "pki" && mesh.trust.issuesIntermediate)) {
    const { rootHours, intermediateHours } = mesh.trustValidity;
    if (intermediateHours <= 720)
      say(`intermediate lifetime ${intermediateHours} h is within its 720 h renewal window: re-issued on every run`);
    if (mesh.trust.kind === "anchor" && intermediateHours > rootHours) say("intermediate outlives its root");
    if (rootHours > 30 * 8760 || intermediateHours > 30 * 8760) say(`absurd lifetime ${rootHours}/${intermediateHours} h accepted`);
  }
  const text = JSON.stringify({ ...mesh, trust: mesh.trust });
  for (const s of SECRETS) if (text.includes(s)) say("a planted secret reached the plain model");
  return out;
}

/** Whether accepted `mesh:trust.pki` material is what each field says it is (Node's own X.509 and key parsers). */
function pkiProblems(pki: Json): string[] {
  if (!pki || typeof pki !== "object") return [];
  const out: string[] = [];
  for (const [field, value] of Object.entries(pki)) {
    if (typeof value !== "string") continue;
    const isKey = /Key$/.test(field);
    try {
      if (isKey) createPrivateKey(value);
      else if (/PRIVATE KEY/.test(value)) throw new Error("a private key");
      else new X509Certificate(value);
    } catch {
      out.push(`mesh:trust.pki.${field} accepted something that is not ${isKey ? "a private key" : "a certificate"}`);
    }
  }
  return out;
}

function depthOf(v: Json, limit: number): number {
  let max = 0;
  const stack: [Json, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (d > max) max = d;
    if (d > limit) return d;
    if (x !== null && typeof x === "object") for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return max;
}

export interface FuzzResult {
  readonly cases: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly violations: readonly Violation[];
  readonly slowestMs: number;
}

/** `cases` mutated configs from `seed`; each is checked against the invariants above. */
export function fuzz(seed: number, cases: number, perCaseMs = 1000): FuzzResult {
  const r = rng(seed);
  const violations: Violation[] = [];
  let accepted = 0;
  let slowestMs = 0;
  for (let i = 0; i < cases; i++) {
    const mesh = r() < 0.5 ? onPrem() : ack();
    const dice = r();
    const mutation = dice < 0.6 ? pick(r, TARGETED) : undefined;
    const cls = mutation?.cls ?? (dice < 0.85 ? "benign" : "generic");
    if (mutation) mutation.apply(mesh, r);
    else if (cls === "benign") for (let j = 0; j < 1 + Math.floor(r() * 3); j++) pick(r, BENIGN)(mesh, r);
    else for (let j = 0; j < 1 + Math.floor(r() * 2); j++) randomDamage(mesh, r);
    const region = mesh.cluster?.ack ? "cn-shanghai" : undefined;
    const stack = { organization: "organization", project: "mesh", stack: mesh.cluster?.ack ? "cn-shanghai" : "wuxi" };
    const bad = (detail: string) => violations.push({ cls, seed, index: i, detail });
    const t = performance.now();
    try {
      // credentials stored as secrets, as the README says
      const m = validateConfig({ stack, mesh, alicloudRegion: region, secretKeys: ["cluster", "trust"] });
      accepted++;
      for (const p of acceptedProblems(m)) bad(p);
      if (depthOf(m.istio.values, 64) > 64) bad("values nested deeper than 64 levels were accepted");
      for (const p of pkiProblems(mesh.trust?.pki)) bad(p);
    } catch (e) {
      if (!(e instanceof ConfigError)) bad(`threw ${e instanceof Error ? `${e.name}: ${e.message.slice(0, 120)}` : String(e)}`);
      else {
        if (e.issues.length === 0) bad("a ConfigError with no issue");
        for (const issue of e.issues) {
          if (!/^(mesh|alicloud):/.test(issue.path)) bad(`issue path ${issue.path} is not a config path`);
          if (!issue.fix) bad(`issue at ${issue.path} has no fix`);
        }
        for (const s of SECRETS) if (e.message.includes(s)) bad("the error echoes a planted secret");
      }
    }
    const ms = performance.now() - t;
    slowestMs = Math.max(slowestMs, ms);
    if (ms > perCaseMs) bad(`took ${Math.round(ms)} ms`);
  }
  return { cases, accepted, rejected: cases - accepted, violations, slowestMs };
}

if (require.main === module) {
  const [seedArg, casesArg] = process.argv.slice(2);
  const seeds = seedArg ? [Number(seedArg)] : [1, 2, 3];
  const cases = Number(casesArg ?? 150);
  let total = 0;
  const byClass = new Map<string, number>();
  const byDetail = new Map<string, number>();
  for (const seed of seeds) {
    const res = fuzz(seed, cases);
    total += res.cases;
    console.log(
      `seed ${seed}: ${res.cases} cases, ${res.accepted} accepted, ${res.rejected} rejected, ${res.violations.length} violations, slowest ${Math.round(res.slowestMs)} ms`,
    );
    for (const v of res.violations) {
      byClass.set(v.cls, (byClass.get(v.cls) ?? 0) + 1);
      const d = v.detail.replace(/[a]{10,}/g, "a…").replace(/\d+/g, "N");
      byDetail.set(`${v.cls}: ${d}`, (byDetail.get(`${v.cls}: ${d}`) ?? 0) + 1);
    }
  }
  console.log(`\n${total} cases; violations by class: ${[...byClass].map(([c, n]) => `${c} ${n}`).join(", ") || "none"}`);
  for (const [d, n] of [...byDetail].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(4)}  ${d}`);
  if (byClass.size > 0) process.exitCode = 1;
}
