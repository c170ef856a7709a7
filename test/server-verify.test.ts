/**
 * POST /v1/verify over real HTTP on loopback, against stand-in Kubernetes APIs: a viewer starts one and
 * follows it over Server-Sent Events to `job.finished`; a failed check is a failed job with the finding;
 * one verify at a time; it takes no stack's lease, so an up runs meanwhile; nothing secret leaves.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VerifyJobs, VERIFY_STACK } from "../automation/verify-job";
import { clientReader } from "../verify/kube";
import { FIXTURE_PROJECT } from "./fixtures/project";
import { readEvents, startApi, TOKENS, type Api } from "./fixtures/api";
import { startStandIn, writeKubeconfig, type StandIn } from "./fixtures/kube-api";
import { MeshEventSchema } from "../server/schemas";
import { envoyDump, shanghaiOutputs, shanghaiWorld, wuxiOutputs, wuxiWorld, SHANGHAI_POD_IP, WUXI_POD_IP } from "./fixtures/mesh-worlds";

const dir = mkdtempSync(join(tmpdir(), "mesh-server-verify-"));
let sh: StandIn;
let wx: StandIn;
let api: Api;
let ack: string;
/** Every cluster read waits for this: a test holds a verify running with it. */
let gate: Promise<void> = Promise.resolve();

before(async () => {
  sh = await startStandIn(shanghaiWorld(), { token: "sh-token-secret" });
  wx = await startStandIn(wuxiWorld(), { token: "wx-token-secret" });
  const wuxiKubeconfig = writeKubeconfig(join(dir, "wuxi"), [{ context: "wuxi", url: wx.url, token: "wx-token-secret" }]);
  ack = writeKubeconfig(join(dir, "ack"), [{ context: "cn-shanghai", url: sh.url, token: "sh-token-secret" }]);
  api = await startApi({
    verify: (jobs) =>
      new VerifyJobs({
        jobs,
        projectDir: FIXTURE_PROJECT,
        // cn-shanghai (ACK) from its kubeconfig output, wuxi from the server's settings (MESH_VERIFY_KUBECONFIGS)
        outputs: { outputs: (s) => Promise.resolve(s === "cn-shanghai" ? shanghaiOutputs(readFileSync(ack, "utf8")) : wuxiOutputs()) },
        kubeconfig: [`wuxi=${wuxiKubeconfig}`],
        verifyDeps: {
          options: {
            timeoutMs: 2000,
            loadDefaultKubeconfig: () => {
              throw new Error("the tests give every stack its credentials");
            },
            reader: (kc, o) => {
              const r = clientReader(kc, o);
              return { ...r, getNamespace: async (n) => (await gate, r.getNamespace(n)) };
            },
          },
        },
      }),
  });
});
after(async () => {
  await api.close();
  await sh.close();
  await wx.close();
});

const SECRETS = ["sh-token-secret", "wx-token-secret", "reader-token-of", "BEGIN CERTIFICATE", "kubeconfig of cn-shanghai"];

describe("POST /v1/verify", () => {
  it("a viewer starts one; its checks are events, one per check per cluster, to job.finished; the record has the summary", async () => {
    const r = await api.call("POST", "/v1/verify", { token: TOKENS.viewer, body: {} });
    assert.equal(r.status, 202, r.text);
    assert.equal(r.headers.get("location"), `/v1/jobs/${r.json.id}`);
    assert.equal(r.json.kind, "verify");
    assert.equal(r.json.stack, VERIFY_STACK);
    assert.deepEqual(r.json.stacks, ["cn-shanghai", "wuxi"]);
    assert.equal(r.json.requestedBy, "viewer-bot");
    const events = await readEvents(api.url, `/v1/jobs/${r.json.id}/events`, TOKENS.viewer);
    assert.equal(events[0]!.event, "job.queued");
    assert.equal(events.at(-1)!.event, "job.finished");
    assert.equal(events.at(-1)!.data.state, "succeeded");
    assert.deepEqual(
      events.map((e) => e.id),
      events.map((_, i) => i + 1),
    );
    const checks = events.filter((e) => e.event === "verify.check").map((e) => e.data);
    const record = (await api.call("GET", `/v1/jobs/${r.json.id}`, { token: TOKENS.viewer })).json;
    // planned against observed, per service port and calling cluster: events, and the record
    const routing = [
      {
        service: "helloworld.dev.svc.cluster.local",
        port: 5000,
        caller: "cn-shanghai",
        from: "dev/helloworld-v1-6b8c9d7f5-sh4kd",
        planned: [
          { priority: 0, cluster: "cn-shanghai", addresses: ["local endpoints"] },
          { priority: 1, cluster: "wuxi", addresses: ["10.18.10.196:30880"] },
        ],
        observed: [
          { priority: 0, cluster: "cn-shanghai", addresses: [`${SHANGHAI_POD_IP}:5000`] },
          { priority: 1, cluster: "wuxi", addresses: ["10.18.10.196:30880"] },
        ],
        result: "pass",
      },
      {
        service: "helloworld.dev.svc.cluster.local",
        port: 5000,
        caller: "wuxi",
        from: "dev/helloworld-v1-6b8c9d7f5-wq8zt",
        planned: [
          { priority: 0, cluster: "wuxi", addresses: ["local endpoints"] },
          { priority: 1, cluster: "cn-shanghai", addresses: ["192.168.0.200:15443"] },
        ],
        observed: [
          { priority: 0, cluster: "wuxi", addresses: [`${WUXI_POD_IP}:5000`] },
          { priority: 1, cluster: "cn-shanghai", addresses: ["192.168.0.200:15443"] },
        ],
        result: "pass",
      },
    ];
    assert.deepEqual(
      events
        .filter((e) => e.event === "verify.route")
        .map(({ data: { type, seq: _s, at: _a, jobId, stack, ...row } }) => [type, jobId, stack, row]),
      routing.map((row) => ["verify.route", r.json.id, VERIFY_STACK, row]),
    );
    assert.deepEqual(record.verify, {
      passed: checks.length,
      failed: 0,
      warnings: 0,
      errors: 0,
      exitCode: 0,
      meaning: "every check passed",
      routing,
    });
    // every event is one the OpenAPI document describes
    for (const e of events) assert.ok(MeshEventSchema.safeParse(e.data).success, JSON.stringify(e.data));
    assert.equal(record.state, "succeeded");
    assert.deepEqual([...new Set(checks.map((c) => `${c.of} ${c.cluster}`))], ["cn-shanghai cn-shanghai", "wuxi wuxi"]);
    assert.deepEqual(
      checks.filter((c) => c.code === "MV0001").map((c) => [c.of, c.name, c.result]),
      [
        ["cn-shanghai", "Kubernetes API", "pass"],
        ["wuxi", "Kubernetes API", "pass"],
      ],
    );
    assert.match(
      checks.find((c) => c.of === "wuxi" && c.code === "MV0001").detail,
      /^https:\/\/127\.0\.0\.1:\d+ with kubeconfig .*\/wuxi$/,
    );
    assert.ok(checks.some((c) => c.code === "MV0202" && c.cluster === "cn-shanghai" && c.category === "remote-clusters"));
    assert.ok(
      events.some((e) => e.event === "diagnostic" && /^cn-shanghai: cn-shanghai: read in \d+ requests$/.test(e.data.message)),
      "progress per cluster",
    );
    const listed = (await api.call("GET", "/v1/jobs?kind=verify", { token: TOKENS.viewer })).json.jobs;
    assert.deepEqual(
      listed.map((j: { id: string }) => j.id),
      [r.json.id],
    );
    const text = [...api.bodies, JSON.stringify(events)].join("\n");
    for (const s of SECRETS) assert.ok(!text.includes(s), s);
  });

  it("a failing check is a failed job naming the finding, in its record and as an event with the fix", async () => {
    const saved = sh.world.envoy;
    sh.world.envoy = { [Object.keys(saved)[0]!]: envoyDump([{ ip: SHANGHAI_POD_IP, port: 5000 }]) };
    try {
      const r = await api.call("POST", "/v1/verify", { token: TOKENS.viewer, body: { stacks: ["cn-shanghai"] } });
      assert.equal(r.status, 202, r.text);
      assert.deepEqual(r.json.stacks, ["cn-shanghai"]);
      const events = await readEvents(api.url, `/v1/jobs/${r.json.id}/events`, TOKENS.viewer);
      const finished = events.at(-1)!;
      assert.equal(finished.event, "job.finished");
      assert.equal(finished.data.state, "failed");
      assert.equal(finished.data.error.code, "checks_failed");
      assert.match(finished.data.error.message, /^1 failed: cn-shanghai MV0704 /);
      const failing = events.filter((e) => e.event === "verify.check" && e.data.result !== "pass").map((e) => e.data);
      assert.equal(failing.length, 1);
      assert.equal(failing[0].code, "MV0704");
      assert.equal(failing[0].result, "fail");
      assert.ok(failing[0].fix.length > 0);
      assert.deepEqual([...new Set(events.filter((e) => e.event === "verify.check").map((e) => e.data.of))], ["cn-shanghai"]);
      assert.equal(events.at(-2)!.event, "diagnostic", "the reason is the last diagnostic too");
      assert.equal(events.at(-2)!.data.severity, "error");
      const record = (await api.call("GET", `/v1/jobs/${r.json.id}`, { token: TOKENS.viewer })).json;
      assert.equal(record.state, "failed");
      assert.deepEqual(record.error, finished.data.error);
      assert.equal(record.verify.exitCode, 1);
      assert.equal(record.verify.failed, 1);
      assert.equal(record.verify.meaning, "a check failed");
      // the row behind MV0704: wuxi's gateway planned at priority 1, nothing observed beyond the local pod
      assert.deepEqual(
        record.verify.routing.map((x: { caller: string; observed: unknown; result: string }) => [x.caller, x.observed, x.result]),
        [["cn-shanghai", [{ priority: 0, cluster: "cn-shanghai", addresses: [`${SHANGHAI_POD_IP}:5000`] }], "fail"]],
      );
      assert.deepEqual(
        events.filter((e) => e.event === "verify.route").map((e) => e.data.result),
        ["fail"],
      );
    } finally {
      sh.world.envoy = saved;
    }
  });

  it("one verify at a time: a second is a 409 naming the first; it takes no stack's lease, so an up runs meanwhile", async () => {
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    try {
      const first = await api.call("POST", "/v1/verify", { token: TOKENS.viewer, body: { stacks: ["wuxi"] } });
      assert.equal(first.status, 202, first.text);
      const second = await api.call("POST", "/v1/verify", { token: TOKENS.viewer, body: null });
      assert.equal(second.status, 409, second.text);
      assert.equal(second.json.runningJob, first.json.id);
      assert.equal(second.json.detail, `verify job ${first.json.id} has not finished: follow it, or wait for it to finish`);
      const up = await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
      assert.equal(up.status, 202, up.text);
      assert.equal((await api.jobs.wait(up.json.id)).state, "succeeded");
      assert.equal((await api.jobs.get(first.json.id))!.state, "running", "the verify is still reading");
    } finally {
      open();
      gate = Promise.resolve();
    }
    const done = await api.jobs.wait((await api.jobs.list({ kind: "verify", limit: 1 })).jobs[0]!.id);
    assert.equal(done.state, "succeeded");
    const again = await api.call("POST", "/v1/verify", { token: TOKENS.viewer });
    assert.equal(again.status, 202, "a verify may start once the last has finished");
    await api.jobs.wait(again.json.id);
  });

  it("refuses an unauthenticated call (401), an unknown stack (400, every one with its path) and a body it does not know (400)", async () => {
    const anon = await api.call("POST", "/v1/verify", { token: null, body: {} });
    assert.equal(anon.status, 401);
    const unknown = await api.call("POST", "/v1/verify", { token: TOKENS.viewer, body: { stacks: ["wuxi", "suzhou", "nowhere"] } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.detail, "no such stack in this mesh (stacks: cn-shanghai, wuxi)");
    assert.deepEqual(unknown.json.errors, [
      { path: "body/stacks/1", message: "suzhou is not a stack of this mesh" },
      { path: "body/stacks/2", message: "nowhere is not a stack of this mesh" },
    ]);
    const extra = await api.call("POST", "/v1/verify", { token: TOKENS.viewer, body: { stacks: ["wuxi"], wait: "10m" } });
    assert.equal(extra.status, 400);
    assert.equal((await api.call("POST", "/v1/verify", { token: TOKENS.viewer, body: { stacks: [] } })).status, 400);
    assert.ok(
      api.audit.some((l) => l.action === "verify" && l.status === 401),
      "refusals are audited",
    );
  });
});

describe("POST /v1/converge with verify: one upgrade step from the portal", () => {
  const poll = async (f: () => Promise<boolean>, ms = 30_000) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await f()) return;
    throw new Error("timed out");
  };

  it("a settled converge starts a verify job over every stack, named in the run; the verify's outcome is its record", async () => {
    const r = await api.call("POST", "/v1/converge", { token: TOKENS.operator, body: { verify: true } });
    assert.equal(r.status, 202, r.text);
    let run: any;
    await poll(async () => (run = (await api.call("GET", `/v1/converge/${r.json.id}`, { token: TOKENS.viewer })).json).state !== "running");
    assert.equal(run.state, "settled", JSON.stringify(run));
    assert.match(run.verifyJob, /^[a-z0-9]{1,16}-[0-9a-f]{8}$/);
    const job = await api.jobs.wait(run.verifyJob);
    assert.equal(job.kind, "verify");
    assert.equal(job.state, "succeeded");
    assert.deepEqual(job.stacks, ["cn-shanghai", "wuxi"]);
    assert.equal(job.requestedBy, "converge (operator-bot)");
    assert.equal(job.verify!.failed, 0);
  });

  it("without verify no verify job starts; a viewer may not converge; an unknown body field is a 400", async () => {
    const r = await api.call("POST", "/v1/converge", { token: TOKENS.operator, body: {} });
    assert.equal(r.status, 202, r.text);
    let run: any;
    await poll(async () => (run = (await api.call("GET", `/v1/converge/${r.json.id}`, { token: TOKENS.viewer })).json).state !== "running");
    assert.equal(run.state, "settled");
    assert.equal(run.verifyJob, undefined);
    assert.equal((await api.call("POST", "/v1/converge", { token: TOKENS.viewer, body: { verify: true } })).status, 403);
    const odd = await api.call("POST", "/v1/converge", { token: TOKENS.operator, body: { verify: "yes" } });
    assert.equal(odd.status, 400);
  });

  it("a server without verify set up refuses {verify: true} with 503 before converging", async () => {
    const plain = await startApi();
    try {
      const r = await plain.call("POST", "/v1/converge", { token: TOKENS.operator, body: { verify: true } });
      assert.equal(r.status, 503);
      assert.equal(r.json.detail, "verify is not set up on this server; converge without it");
      assert.deepEqual((await plain.jobs.list({})).jobs, [], "nothing ran");
    } finally {
      await plain.close();
    }
  });
});
