/**
 * mesh verify on a mesh of three clusters × 48 services on two ports, where c1's sidecars show every
 * known shape of cross-network endpoints (test/fixtures/mixed-mesh.ts): each source pod's Envoy dump
 * is read once and indexed once for the services of its namespace, and every service port of every
 * cluster gets the finding its shape calls for.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, mock } from "node:test";
import { readProject } from "../plan/stack-files";
import { EnvoyClusters } from "../verify/envoy";
import type { Check, RoutingRow, VerifyReport } from "../verify/types";
import { verifyMesh, type VerifyOptions } from "../verify/verify";
import { startStandIn, writeKubeconfig, type StandIn } from "./fixtures/kube-api";
import {
  BROKEN_DUMP_NAMESPACE,
  CLUSTERS,
  mixedProject,
  NAMESPACES,
  mixedWorld,
  NO_SIDECAR_NAMESPACE,
  PORTS,
  SERVICES,
  serviceNamespace,
  shape,
  STRAY_ADDRESS,
} from "./fixtures/mixed-mesh";

const dir = mixedProject();
const files = readProject(dir);
let standIns: StandIn[] = [];
let kubeconfig = "";

interface Run {
  report: VerifyReport;
  /** Each EnvoyClusters.index call: the clusters it was asked for. */
  indexed: ReadonlySet<string>[];
  /** Envoy reads (exec in a sidecar) per cluster. */
  execs: number[];
  /** The requests each cluster's API answered. */
  requests: string[][];
}

async function run(o: VerifyOptions = {}, mesh: { standIns: StandIn[]; kubeconfig: string } = { standIns, kubeconfig }): Promise<Run> {
  const { standIns, kubeconfig } = mesh;
  const before = standIns.map((s) => s.requests.length);
  const index = mock.method(EnvoyClusters, "index");
  try {
    const report = await verifyMesh(files, { loadDefaultKubeconfig: (kc) => kc.loadFromFile(kubeconfig), timeoutMs: 20_000, ...o });
    return {
      report,
      indexed: index.mock.calls.map((c) => c.arguments[1]!),
      execs: standIns.map(
        (s, i) => s.requests.slice(before[i]).filter((r) => r.includes("/exec?") && r.includes("container=istio-proxy")).length,
      ),
      requests: standIns.map((s, i) => s.requests.slice(before[i])),
    };
  } finally {
    index.mock.restore();
  }
}

const NAMESPACE_NAMES = [...new Set(Array.from({ length: SERVICES }, (_, s) => serviceNamespace(s)))];
const svcName = (s: number) => `svc-${s}.${serviceNamespace(s)}`;
const cluster = (port: number, s: number) => `outbound|${port}||${svcName(s)}.svc.cluster.local`;
const readable = (s: number) => ![BROKEN_DUMP_NAMESPACE, NO_SIDECAR_NAMESPACE].includes(serviceNamespace(s));
const checksOf = (r: VerifyReport, c: string): readonly Check[] => r.clusters.find((x) => x.cluster === c)!.checks;

/** The finding c1's check of service s on `port` must give: [code, detail], or null when it routes as planned. */
function finding(s: number, port: number): [string, string] | null {
  // the namespace's first injected pod answers for all of its services
  const src = `${serviceNamespace(s)}/svc-${s % NAMESPACES}-0`;
  switch (shape(s)) {
    case "as planned":
    case "only local, peers without pods":
      return null;
    case "no grpc cluster":
      return port === 9090 ? ["MV0706", `${src}'s Envoy has no cluster ${cluster(9090, s)}`] : null;
    case "remote pod IP":
      return ["MV0703", `remote pod IPs instead of a gateway: 10.102.0.${s + 2}:${port} (pods of c2), unreachable across networks`];
    case "unknown address":
      return [
        "MV0703",
        `remote pod IPs instead of a gateway: ${STRAY_ADDRESS}:${port} (not an address of this cluster or a known gateway), unreachable across networks`,
      ];
    case "only local":
      return ["MV0704", "only local endpoints: nothing through c0's gateway, c2's gateway"];
    case "all at priority 0":
      return [
        "MV0705",
        "every endpoint at priority 0, c0's gateway, c2's gateway too: locality failover is off, calls are spread across clusters",
      ];
    case "gateway at priority 2":
      return ["MV0702", "c2's gateway at priority 2, planned 1"];
    case "no local endpoint":
      return ["MV0702", `no endpoint of c1 itself in ${src}'s Envoy, though ready pods run here`];
  }
}

describe("verify indexes each Envoy dump once, on a mesh of every endpoint shape", () => {
  let r: Run;
  before(async () => {
    for (let i = 0; i < CLUSTERS; i++) standIns.push(await startStandIn(mixedWorld(i), { token: `t${i}` }));
    kubeconfig = writeKubeconfig(
      join(mkdtempSync(join(tmpdir(), "mesh-verify-index-")), "config"),
      standIns.map((s, i) => ({ context: `c${i}`, url: s.url, token: `t${i}` })),
    );
    r = await run();
  });
  after(async () => {
    await Promise.all(standIns.map((s) => s.close()));
    standIns = [];
  });

  it("reads one dump per namespace's sidecar and indexes each once, for exactly that namespace's service ports", () => {
    // c1's team-19 has no sidecar; its team-18 answers, but not with Envoy's JSON
    assert.deepEqual(r.execs, [20, 19, 20]);
    assert.equal(r.indexed.length, 59);
    const team0 = [0, 20, 40].flatMap((s) => PORTS.map((p) => cluster(p, s)));
    assert.deepEqual(
      r.indexed.filter((w) => w.has(cluster(8080, 0))).map((w) => [...w].sort()),
      Array.from({ length: 3 }, () => team0.sort()),
    );
    // every wanted set is one namespace's, and together they are every readable service port of each cluster
    for (const w of r.indexed) assert.equal(new Set([...w].map((n) => n.split(".")[1])).size, 1);
    const services = (c: number) =>
      Array.from({ length: SERVICES }, (_, s) => s).filter((s) => c !== 1 || serviceNamespace(s) !== NO_SIDECAR_NAMESPACE);
    assert.equal(
      r.indexed.reduce((a, w) => a + w.size, 0),
      [0, 1, 2].reduce((a, c) => a + services(c).length * PORTS.length, 0),
    );
  });

  it("gives every service port of c1 the finding its shape calls for, and a row with the same result", () => {
    const rows = r.report.routing.filter((x) => x.caller === "c1");
    const expected = Array.from({ length: SERVICES }, (_, s) => s)
      .filter(readable)
      .flatMap((s) => PORTS.map((port) => ({ s, port, f: finding(s, port) })));
    assert.deepEqual(
      rows.map((x) => [x.service, x.port, x.result]),
      expected.map((e) => [`${svcName(e.s)}.svc.cluster.local`, e.port, e.f ? "fail" : "pass"]),
    );
    const endpoints = checksOf(r.report, "c1").filter((c) => c.category === "endpoints");
    assert.deepEqual(
      endpoints.filter((c) => c.name.startsWith("svc-")).map((c) => [c.name, c.code, c.detail]),
      expected.filter((e) => e.f).map((e) => [`${svcName(e.s)}:${e.port}`, ...e.f!]),
    );
    const good = expected.filter((e) => !e.f).length;
    assert.deepEqual(
      endpoints.filter((c) => !c.name.startsWith("svc-")).map((c) => [c.code, c.result, c.name, c.detail.split(":")[0]]),
      [
        ["MV0702", "pass", "service routing", `${good} of ${expected.length} service ports route as planned`],
        ["MV0701", "error", `Envoy of ${BROKEN_DUMP_NAMESPACE}/svc-18-0`, `Envoy clusters of ${BROKEN_DUMP_NAMESPACE}/svc-18-0`],
        [
          "MV0701",
          "warn",
          `sidecar in ${NO_SIDECAR_NAMESPACE}`,
          `no ready pod with an istio-proxy sidecar in namespace ${NO_SIDECAR_NAMESPACE}`,
        ],
      ],
    );
  });

  it("shows each row's plan and what the sidecar sent where, by owner", () => {
    const row = (caller: string, s: number, port: number): RoutingRow =>
      r.report.routing.find((x) => x.caller === caller && x.service === `${svcName(s)}.svc.cluster.local` && x.port === port)!;
    const planned = [
      { priority: 0, cluster: "c1", addresses: ["local endpoints"] },
      { priority: 1, cluster: "c0", addresses: ["10.0.0.196:30880"] },
      { priority: 1, cluster: "c2", addresses: ["10.2.0.196:30880"] },
    ];
    assert.deepEqual(row("c1", 9, 8080), {
      service: `${svcName(9)}.svc.cluster.local`,
      port: 8080,
      caller: "c1",
      from: "team-9/svc-9-0",
      planned,
      observed: [
        { priority: 0, cluster: "c1", addresses: ["10.101.0.11:8080"] },
        { priority: 1, cluster: "c0", addresses: ["10.0.0.196:30880"] },
        { priority: 1, cluster: "c2", addresses: ["10.2.0.196:30880"] },
      ],
      result: "pass",
    });
    assert.deepEqual(row("c1", 1, 9090).observed, [
      { priority: 0, cluster: "c1", addresses: ["10.101.0.3:9090"] },
      { priority: 1, cluster: "c0", addresses: ["10.0.0.196:30880"] },
      { priority: 1, cluster: "c2", addresses: ["10.102.0.3:9090"] },
    ]);
    assert.deepEqual(
      row("c1", 7, 8080).observed.find((g) => g.cluster === "?"),
      { priority: 1, cluster: "?", addresses: [`${STRAY_ADDRESS}:8080`] },
    );
    assert.deepEqual(row("c1", 2, 9090), { ...row("c1", 2, 9090), planned, observed: [], result: "fail" });
  });

  it("passes every service port of c0 and c2, where a service without ready pods still routes to its local pod IP", () => {
    for (const c of ["c0", "c2"]) {
      assert.deepEqual(
        checksOf(r.report, c).filter((x) => x.result !== "pass"),
        [],
      );
      assert.equal(r.report.routing.filter((x) => x.caller === c && x.result === "pass").length, SERVICES * PORTS.length);
    }
  });

  it("lists every pod of a cluster once, for the endpoint checks and the data plane alike", () => {
    for (const requests of r.requests) {
      assert.deepEqual(
        requests.filter((x) => x.startsWith("GET /api/v1/pods")),
        ["GET /api/v1/pods"],
      );
      assert.deepEqual(
        requests.filter((x) => /^GET \/api\/v1\/namespaces\/team-\d+\/pods(\?|$)/.test(x)),
        [],
      );
    }
  });

  it("lists each namespace's pods where every pod cannot be listed: the same findings and rows, the data plane unreadable", async () => {
    const c1 = await startStandIn(mixedWorld(1), { token: "t1", deny: ["list pods at the cluster scope"] });
    try {
      const mesh = [standIns[0]!, c1, standIns[2]!];
      const config = writeKubeconfig(
        join(mkdtempSync(join(tmpdir(), "mesh-verify-index-")), "config"),
        mesh.map((s, i) => ({ context: `c${i}`, url: s.url, token: `t${i}` })),
      );
      const denied = await run({}, { standIns: mesh, kubeconfig: config });
      assert.deepEqual(
        denied.requests[1]!.filter(
          (x) => x.startsWith("GET /api/v1/pods") || /^GET \/api\/v1\/namespaces\/team-\d+\/pods(\?|$)/.test(x),
        ).sort(),
        ["GET /api/v1/pods", ...NAMESPACE_NAMES.map((ns) => `GET /api/v1/namespaces/${ns}/pods`)].sort(),
      );
      assert.deepEqual(denied.report.routing, r.report.routing);
      const endpoints = (x: VerifyReport) => x.clusters.map((c) => c.checks.filter((k) => k.category === "endpoints"));
      assert.deepEqual(endpoints(denied.report), endpoints(r.report));
      assert.deepEqual(
        checksOf(denied.report, "c1")
          .filter((k) => k.code === "MV0802" && k.result !== "pass")
          .map((k) => [k.name, k.result, k.detail.split(":")[0]]),
        [["injected pods", "error", "list pods in all namespaces"]],
      );
    } finally {
      await c1.close();
    }
  });

  it("with --from, one sidecar's dump serves every namespace: one read and one index per cluster, the same findings", async () => {
    const from = await run({ from: { "*": "team-0/svc-0-0" } });
    assert.deepEqual(from.execs, [1, 1, 1]);
    assert.deepEqual(
      from.indexed.map((w) => w.size),
      [SERVICES * PORTS.length, SERVICES * PORTS.length, SERVICES * PORTS.length],
    );
    const endpointFindings = (x: VerifyReport) =>
      x.clusters
        .flatMap((c) => c.checks)
        .filter((c) => c.category === "endpoints" && c.name.startsWith("svc-") && readable(Number(c.name.split(/[-.]/)[1])));
    assert.deepEqual(
      endpointFindings(from.report).map((c) => [c.cluster, c.name, c.code, c.detail.replace(/team-\d+\/svc-\d+-0/g, "<src>")]),
      endpointFindings(r.report).map((c) => [c.cluster, c.name, c.code, c.detail.replace(/team-\d+\/svc-\d+-0/g, "<src>")]),
    );
  });
});
