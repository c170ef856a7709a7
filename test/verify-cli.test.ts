/** `mesh verify` through the CLI: exit codes, --format json, --wait, credential overrides, progress, usage errors. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli } from "../cli/mesh";

import type { VerifyDeps } from "../verify/command";
import type { VerifyReport } from "../verify/types";
import { startStandIn, writeKubeconfig, type StandIn } from "./fixtures/kube-api";
import { envoyDump, shanghaiOutputs, shanghaiWorld, wuxiOutputs, wuxiWorld, SHANGHAI_POD_IP } from "./fixtures/mesh-worlds";
import { FIXTURE_PROJECT } from "./fixtures/project";

const dir = mkdtempSync(join(tmpdir(), "mesh-verify-cli-"));
let sh: StandIn;
let wx: StandIn;
let defaultKubeconfig: string;
let ack: string;
let wuxiOnly: string;

before(async () => {
  sh = await startStandIn(shanghaiWorld(), { token: "sh-token-secret" });
  wx = await startStandIn(wuxiWorld(), { token: "wx-token-secret" });
  defaultKubeconfig = writeKubeconfig(join(dir, "default"), [{ context: "wuxi", url: wx.url, token: "wx-token-secret" }]);
  ack = writeKubeconfig(join(dir, "ack"), [{ context: "cn-shanghai", url: sh.url, token: "sh-token-secret" }]);
  wuxiOnly = writeKubeconfig(join(dir, "wuxi-admin"), [{ context: "wuxi-admin", url: wx.url, token: "wx-token-secret" }]);
});
after(async () => {
  await sh.close();
  await wx.close();
});

function run(argv: string[], extra: Partial<VerifyDeps> = {}): Promise<{ code: number; out: string; progress: string }> {
  let out = "";
  let progress = "";
  const deps: VerifyDeps = {
    out: { write: (s: string) => (out += s) },
    progress: { write: (s: string) => (progress += s) },
    outputs: () => ({ outputs: (s) => Promise.resolve(s === "cn-shanghai" ? shanghaiOutputs(readFileSync(ack, "utf8")) : wuxiOutputs()) }),
    options: { loadDefaultKubeconfig: (kc) => kc.loadFromFile(defaultKubeconfig), timeoutMs: 2000 },
    ...extra,
  };
  return cli(["verify", ...argv, "--dir", FIXTURE_PROJECT], undefined, undefined, () => deps).then((code) => ({ code, out, progress }));
}

describe("mesh verify", () => {
  it("exits 0 on a healthy mesh, with a table per cluster and the routing; a progress line per cluster; no credential printed", async () => {
    const r = await run([]);
    assert.equal(r.code, 0, r.out);
    assert.match(
      r.out,
      /^cn-shanghai \(stack cn-shanghai, \d+ requests\)\n {2}Kubernetes API\n {4}ok {9}MV0001 {2}Kubernetes API: https:\/\/127\.0\.0\.1:\d+ with the stack's kubeconfig output\n/,
    );
    assert.match(
      r.out,
      /\n {4}ok {9}MV0202 {2}istiod \(revision default\) reads wuxi: wuxi: synced \(secret istio-system\/istio-remote-secret-wuxi\)\n/,
    );
    assert.match(
      r.out,
      /\n {2}helloworld\.dev\.svc\.cluster\.local:5000\n {4}from cn-shanghai \(dev\/helloworld-v1-6b8c9d7f5-sh4kd\): ok\n {6}planned {3}p0 cn-shanghai local endpoints · p1 wuxi 10\.18\.10\.196:30880\n {6}observed {2}p0 cn-shanghai 172\.20\.0\.15:5000 · p1 wuxi 10\.18\.10\.196:30880\n/,
    );
    assert.match(r.out, /\n\d+ passed, 0 failed, 0 warnings, 0 unreadable\n$/);
    const lines = r.progress.trim().split("\n").sort();
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^cn-shanghai: cn-shanghai: read in \d+ requests$/);
    assert.match(lines[2]!, /^wuxi: reading wuxi \(kube context wuxi, https:\/\/127\.0\.0\.1:\d+\)$/);
    for (const s of ["sh-token-secret", "wx-token-secret", "reader-token-of", "BEGIN CERTIFICATE"])
      assert.ok(!(r.out + r.progress).includes(s), s);
  });

  it("--format json carries the same items; one stack named reads only that cluster", async () => {
    const r = await run(["wuxi", "--format", "json"]);
    const report = JSON.parse(r.out) as VerifyReport;
    assert.equal(r.code, 0);
    assert.deepEqual(
      report.clusters.map((c) => c.cluster),
      ["wuxi"],
    );
    assert.ok(report.clusters[0]!.checks.every((c) => typeof c.code === "string" && c.category && c.result === "pass"));
    assert.deepEqual(report.routing[0]!.observed.at(-1), { priority: 1, cluster: "cn-shanghai", addresses: ["192.168.0.200:15443"] });
  });

  it("exits 1 when a check fails", async () => {
    const saved = sh.world.envoy;
    sh.world.envoy = { [Object.keys(saved)[0]!]: envoyDump([{ ip: SHANGHAI_POD_IP, port: 5000 }]) };
    try {
      const r = await run(["cn-shanghai", "--format", "json"]);
      assert.equal(r.code, 1);
      assert.deepEqual(
        (JSON.parse(r.out) as VerifyReport).clusters[0]!.checks.filter((c) => c.result !== "pass").map((c) => c.code),
        ["MV0704"],
      );
    } finally {
      sh.world.envoy = saved;
    }
  });

  it("--wait checks again until the mesh has settled", async () => {
    const saved = sh.world.envoy;
    sh.world.envoy = { [Object.keys(saved)[0]!]: envoyDump([{ ip: SHANGHAI_POD_IP, port: 5000 }]) };
    let slept = 0;
    const r = await run(["cn-shanghai", "--wait", "10m"], {
      sleep: (ms) => {
        slept += ms;
        sh.world.envoy = saved;
        return Promise.resolve();
      },
      intervalMs: 5000,
    });
    assert.equal(r.code, 0);
    assert.equal(slept, 5000);
    assert.match(r.progress, /not yet: 1 failed, 0 unreadable; checking again \(600 s left\)\n/);
  });

  it("--kubeconfig and --context override a stack's credentials", async () => {
    const r = await run(["wuxi", "--kubeconfig", `wuxi=${wuxiOnly}`, "--context", "wuxi=wuxi-admin"]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /MV0001 {2}Kubernetes API: https:\/\/127\.0\.0\.1:\d+ with kubeconfig .*wuxi-admin\n/);
  });

  it("exits 2 when credentials cannot be found, naming the option that fixes it", async () => {
    const r = await run(["cn-shanghai", "--format", "json"], {
      outputs: () => ({ outputs: () => Promise.reject(new Error("the pulumi CLI is not installed")) }),
    });
    assert.equal(r.code, 2);
    assert.deepEqual((JSON.parse(r.out) as VerifyReport).clusters[0]!.checks[0], {
      code: "MV0001",
      category: "cluster",
      cluster: "cn-shanghai",
      name: "credentials",
      result: "error",
      detail: "cn-shanghai: no credentials: its kubeconfig output could not be read (the pulumi CLI is not installed)",
      fix: "pass --kubeconfig cn-shanghai=<file> or --context cn-shanghai=<context>",
    });
  });

  for (const [what, argv, detail, fix] of [
    [
      "a kubeconfig file that does not exist",
      () => ["wuxi", "--kubeconfig", `wuxi=${join(dir, "nonexist")}`],
      () => `wuxi: the file ${join(dir, "nonexist")} does not exist`,
      "pass --kubeconfig wuxi=<file> naming a kubeconfig file that exists",
    ],
    [
      "a context the kubeconfig does not have",
      () => ["wuxi", "--context", "wuxi=elsewhere"],
      () => "wuxi: the context elsewhere is not in the kubeconfig (KUBECONFIG or ~/.kube/config)",
      "pass --context wuxi=<context> or --kubeconfig wuxi=<file>",
    ],
  ] as const) {
    it(`exits 2 on ${what}, the fix said once`, async () => {
      const r = await run([...argv(), "--format", "json"]);
      assert.equal(r.code, 2);
      const check = (JSON.parse(r.out) as VerifyReport).clusters[0]!.checks[0]!;
      assert.deepEqual([check.code, check.detail, check.fix], ["MV0001", detail(), fix]);
    });
  }

  it("exits 2 on --kubeconfig or --context naming a stack the project does not have", async () => {
    const r = await run(["--kubeconfig", "wuxii=/tmp/x", "--context", "cn-shangai=foo"]);
    assert.equal(r.code, 2);
    assert.equal(
      r.out,
      "mesh verify: --kubeconfig wuxii=/tmp/x: no stack wuxii in this project (stacks: cn-shanghai, wuxi); --context cn-shangai=foo: no stack cn-shangai in this project (stacks: cn-shanghai, wuxi)\n",
    );
    const from = await run(["--from", "wuxii=dev/sleep"]);
    assert.deepEqual(
      [from.code, from.out],
      [2, "mesh verify: --from wuxii=dev/sleep: no stack wuxii in this project (stacks: cn-shanghai, wuxi)\n"],
    );
  });

  for (const [argv, message] of [
    [["nowhere"], "mesh verify: no stack nowhere in this project (stacks: cn-shanghai, wuxi)\n"],
    [["--wait", "soon"], "mesh verify: --wait soon: write a duration such as 90s, 10m or 1h (at most 24h)\n"],
    [["--kubeconfig", "wuxi"], "mesh verify: --kubeconfig wuxi: write <stack>=<value>\n"],
    [["--from", "dev"], "mesh verify: --from dev: write <namespace>/<pod> or <stack>=<namespace>/<pod>\n"],
  ] as const) {
    it(`exits 2 on wrong arguments: ${argv.join(" ")}`, async () => {
      const r = await run([...argv]);
      assert.equal(r.code, 2);
      assert.equal(r.out, message);
    });
  }
});

describe("mesh converge --verify", () => {
  let printed = "";
  let out = "";
  const store = join(mkdtempSync(join(tmpdir(), "mesh-converge-verify-")), "jobs.db");
  let engine: import("../automation/memory-engine").MemoryEngine;
  const deps = (d: string) => ({
    projectDir: d,
    engine: () => engine,
    database: `sqlite:${store}`,
    out: { write: (s: string) => (printed += s) },
    requestedBy: "tester",
  });
  const verifyDeps = (): VerifyDeps => ({
    out: { write: (s: string) => (out += s) },
    outputs: () => ({
      outputs: (s) => Promise.resolve(s === "cn-shanghai" ? shanghaiOutputs(readFileSync(ack, "utf8")) : wuxiOutputs()),
    }),
    options: { loadDefaultKubeconfig: (kc) => kc.loadFromFile(defaultKubeconfig), timeoutMs: 2000 },
  });
  const io = { out: (s: string) => (printed += s), err: (s: string) => (printed += s) };
  const converge = async (argv: string[]) => {
    printed = "";
    out = "";
    const code = await cli(["converge", ...argv, "--dir", FIXTURE_PROJECT], deps, io, verifyDeps);
    return { code, printed, out };
  };
  before(async () => {
    const { MemoryEngine } = await import("../automation/memory-engine");
    engine = new MemoryEngine({
      stacks: [
        { name: "cn-shanghai", anchor: true, peers: ["wuxi"] },
        { name: "wuxi", peers: ["cn-shanghai"] },
      ],
    });
  });

  it("converges with the simulated engine, then verifies the live clusters and exits with verify's code", async () => {
    const r = await converge(["--verify", "--wait", "5s"]);
    assert.equal(r.code, 0, `${r.printed}\n${r.out}`);
    assert.match(r.printed, /settled after 3 rounds: no stack has a peer whose outputs changed since it ran\n/);
    assert.match(r.out, /^cn-shanghai \(stack cn-shanghai, \d+ requests\)\n/);
  });

  it("with --json, the verify report is the last JSON line of converge's output, and a failed check is exit 1", async () => {
    const saved = sh.world.envoy;
    sh.world.envoy = { [Object.keys(saved)[0]!]: envoyDump([{ ip: SHANGHAI_POD_IP, port: 5000 }]) };
    try {
      const r = await converge(["--json", "--verify"]);
      assert.equal(r.code, 1, r.printed);
      assert.equal(r.out, "", "nothing as text");
      const lines = r.printed
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; report?: VerifyReport });
      assert.deepEqual(
        lines.slice(-2).map((l) => l.type),
        ["converge.finished", "converge.verify"],
      );
      const report = lines.at(-1)!.report!;
      assert.equal(report.schemaVersion, 1);
      assert.equal(report.exitCode, 1);
      assert.deepEqual(
        report.clusters.map((c) => c.cluster),
        ["cn-shanghai", "wuxi"],
      );
      assert.deepEqual(
        report.clusters.flatMap((c) => c.checks.filter((k) => k.result !== "pass").map((k) => `${k.cluster} ${k.code}`)),
        ["cn-shanghai MV0704"],
      );
    } finally {
      sh.world.envoy = saved;
    }
    const ok = await converge(["--json", "--verify"]);
    assert.equal(ok.code, 0, ok.printed);
    assert.equal((JSON.parse(ok.printed.trim().split("\n").at(-1)!) as { report: VerifyReport }).report.exitCode, 0);
  });

  for (const [argv, message] of [
    [["--wait", "5s"], "mesh converge: --wait 5s applies to --verify only: add --verify, or drop --wait\n"],
    [["--verify", "--wait", "soon"], "mesh converge: --wait soon: write a duration such as 90s, 10m or 1h (at most 24h)\n"],
  ] as const) {
    it(`refuses ${argv.join(" ")} with a usage error (exit 2) before any stack is touched`, async () => {
      printed = "";
      const jobs = await cli(["jobs", "--json", "--dir", FIXTURE_PROJECT], deps, io);
      assert.equal(jobs, 0);
      const count = (JSON.parse(printed) as unknown[]).length;
      const r = await converge([...argv]);
      assert.equal(r.code, 2);
      assert.equal(r.printed, message);
      assert.equal(r.out, "");
      printed = "";
      await cli(["jobs", "--json", "--dir", FIXTURE_PROJECT], deps, io);
      assert.equal((JSON.parse(printed) as unknown[]).length, count, "no job was submitted");
    });
  }
});
