/**
 * The config fuzzer's inputs: valid on-prem and ACK stack configs, and the mutations applied to them —
 * targeted at the classes of failure users have hit, benign variations, and generic damage — all from
 * one seeded generator, so a case is the same on every machine.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ackConfig } from "../../test/fixtures/ack";
/** Strings planted in mutations that must never come back in an error or a plain value. */
export const PASSWORD = "S3cr3tPa55w0rd";
const PKI = join(__dirname, "..", "..", "test", "fixtures", "pki");
const pemFile = (f: string) => readFileSync(join(PKI, f), "utf8");
const ROOT_CERT = pemFile("root-cert.pem");
const ROOT_KEY = pemFile("root-key.pem");
/** A line from the middle of the key's body: what an echo of the key would contain. */
const KEY_MARKER = ROOT_KEY.split("\n")[5]!;
export const SECRETS = [PASSWORD, KEY_MARKER];

export type Json = any;
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
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export function onPrem(): Json {
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
export function ack(): Json {
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
export const TARGETED: readonly { readonly cls: string; readonly apply: (m: Json, r: Rng) => void }[] = [
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
export const BENIGN: readonly ((m: Json, r: Rng) => void)[] = [
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
export function randomDamage(m: Json, r: Rng): void {
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
