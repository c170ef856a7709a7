/**
 * The demo over real HTTP: the portal on the simulated engine that runs the real program
 * (automation/simulated/), on a fixture project's stack files. A converge registers the program's own
 * resources in converge's order with progress totals, links the peers, then verifies against the
 * simulated live mesh (every check passing, the routing as planned); a second up applies nothing; an
 * edit of the stack files previews as real updates, replacements, creates and deletes; a config mistake
 * is the program's report; a cancel stops the program.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startDemo, type Demo } from "../automation/simulated/demo";
import { VerifyJobs } from "../automation/verify-job";
import { MeshEventSchema } from "../server/schemas";
import { readEvents, startApi, TOKENS, type Api } from "./fixtures/api";

const FIXTURE = join(__dirname, "fixtures", "three-clusters");
const LONG = { timeout: 900_000 };

/** The three-cluster fixture without suzhou: the anchor on ACK and one on-prem cluster, reading each other. */
function twoClusters(): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-demo-"));
  copyFileSync(join(FIXTURE, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  for (const s of ["cn-shanghai", "wuxi"])
    writeFileSync(
      join(dir, `Pulumi.${s}.yaml`),
      readFileSync(join(FIXTURE, `Pulumi.${s}.yaml`), "utf8").replace("    - organization/mesh/suzhou\n", ""),
    );
  return dir;
}

const edit = (file: string, from: string, to: string) => {
  const text = readFileSync(file, "utf8");
  assert.ok(text.includes(from), `${file} has ${from}`);
  writeFileSync(file, text.replace(from, to));
};

describe("the demo: the real program on the simulated engine", () => {
  const dir = twoClusters();
  let demo: Demo;
  let api: Api;
  const events = async (id: string) => {
    const list = await readEvents(api.url, `/v1/jobs/${id}/events`, TOKENS.viewer);
    for (const e of list) assert.ok(MeshEventSchema.safeParse(e.data).success, JSON.stringify(e.data));
    return list;
  };
  /** A GET, tried again when the keep-alive connection it went out on had just been closed by the server (a long idle wait). */
  const get = async (path: string): Promise<any> => {
    for (let i = 0; ; i++) {
      try {
        return (await api.call("GET", path, { token: TOKENS.viewer })).json;
      } catch (e) {
        if (i >= 2 || !(e instanceof TypeError)) throw e;
      }
    }
  };
  const job = (id: string) => get(`/v1/jobs/${id}`);
  before(async () => {
    demo = await startDemo({ projectDir: dir, stepMs: 0 });
    api = await startApi({
      projectDir: dir,
      wrapEngine: () => demo.engine,
      verify: (jobs) => new VerifyJobs({ jobs, projectDir: dir, outputs: demo.engine, kubeconfig: demo.kubeconfig }),
    });
  });
  after(async () => {
    await api?.close();
    await demo?.close();
  });

  it(
    "converge runs the program's own resources in converge's order, links both clusters, then verifies: every check and route passes",
    LONG,
    async () => {
      const c = await api.call("POST", "/v1/converge", { token: TOKENS.operator, body: { verify: true } });
      assert.equal(c.status, 202, c.text);
      let run = c.json;
      while (run.state === "running") {
        await new Promise((r) => setTimeout(r, 50));
        run = await get(`/v1/converge/${c.json.id}`);
      }
      assert.equal(run.state, "settled", run.message);
      assert.deepEqual(
        run.rounds.map((r: { jobs: { stack: string; state: string }[] }) => r.jobs.map((j) => `${j.stack} ${j.state}`)),
        [["cn-shanghai succeeded"], ["wuxi succeeded"], ["cn-shanghai succeeded"]],
      );
      const [first, second, third] = run.rounds.map((r: { jobs: { jobId: string }[] }) => r.jobs[0]!.jobId) as string[];

      // the anchor's first up: the program's resources, wuxi pending, progress out of a known total
      const e1 = await events(first!);
      const started = e1.filter((e) => e.event === "resource.started").map((e) => `${e.data.op} ${e.data.resourceType} ${e.data.name}`);
      for (const r of [
        "create alicloud:cs/managedKubernetes:ManagedKubernetes cn-shanghai",
        "create tls:index/selfSignedCert:SelfSignedCert cn-shanghai-root",
        "create kubernetes:helm.sh/v3:Release cn-shanghai-istiod",
        "create kubernetes:helm.sh/v3:Release cn-shanghai-istio-eastwestgateway",
        "create kubernetes:core/v1:Service cn-shanghai-svc-dev-helloworld",
        "read pulumi:pulumi:StackReference organization/mesh/wuxi",
      ])
        assert.ok(started.includes(r), `${r} in ${started.join("\n")}`);
      assert.ok(!started.some((s) => s.includes("ConfigMap")), "no generic objects");
      assert.deepEqual(
        e1.filter((e) => e.event === "mesh.peerPending").map((e) => e.data.peer),
        ["organization/mesh/wuxi"],
      );
      const progress = e1.filter((e) => e.event === "progress").map((e) => e.data);
      assert.equal(progress[0].done, 0);
      assert.equal(progress.at(-1).done, progress[0].total);
      assert.equal(progress[0].total, started.length);
      assert.ok(progress.every((p) => p.total === progress[0].total));
      const r1 = await job(first!);
      assert.equal(r1.changeSet.create + r1.changeSet.same, started.filter((s) => !s.startsWith("read")).length);
      assert.equal(r1.changeSet.steps.length, r1.changeSet.create);

      // wuxi links the anchor; the anchor's second up adds only its link to wuxi
      assert.deepEqual(
        (await events(second!)).filter((e) => e.event === "mesh.linkEstablished").map((e) => e.data.peer),
        ["cn-shanghai"],
      );
      const e3 = await events(third!);
      assert.deepEqual(
        e3.filter((e) => e.event === "mesh.linkEstablished").map((e) => e.data.peer),
        ["wuxi"],
      );
      const r3 = await job(third!);
      assert.deepEqual(
        r3.changeSet.steps.map((s: { op: string; resourceType: string; name: string }) => `${s.op} ${s.resourceType} ${s.name}`),
        ["create mesh:remote:PeerLink cn-shanghai-wuxi", "create kubernetes:core/v1:Secret cn-shanghai-wuxi-remote-secret"],
      );
      assert.equal(r3.changeSet.update + r3.changeSet.replace + r3.changeSet.delete, 0);

      // the stacks' outputs are the program's own
      const stacks = (await get("/v1/stacks")).stacks;
      const wuxi = stacks.find((s: { stack: string }) => s.stack === "wuxi");
      assert.deepEqual(wuxi.outputs.eastWestGateway.addresses, ["10.18.10.196"]);
      assert.equal(wuxi.outputs.eastWestGateway.peerPort, 30880);
      assert.equal(wuxi.outputs.remoteSecret, "[secret]");
      assert.deepEqual(wuxi.outputs.peers, [{ stack: "organization/mesh/cn-shanghai", cluster: "cn-shanghai", status: "linked" }]);

      // verify reads the simulated clusters: everything as planned
      await api.jobs.wait(run.verifyJob);
      const verify = await job(run.verifyJob);
      assert.equal(verify.state, "succeeded", JSON.stringify(verify.error));
      assert.equal(verify.verify.exitCode, 0);
      assert.ok(verify.verify.passed >= 20, `${verify.verify.passed} passed`);
      assert.deepEqual(
        verify.verify.routing.map(
          (r: { caller: string; planned: unknown; observed: { cluster: string; priority: number }[]; result: string }) => [
            r.caller,
            r.observed.map((o) => `p${o.priority} ${o.cluster}`),
            r.result,
          ],
        ),
        [
          ["cn-shanghai", ["p0 cn-shanghai", "p1 wuxi"], "pass"],
          ["wuxi", ["p0 wuxi", "p1 cn-shanghai"], "pass"],
        ],
      );
      const ve = await events(run.verifyJob);
      assert.equal(ve.filter((e) => e.event === "verify.route").length, 2);
      assert.deepEqual(
        ve.filter((e) => e.event === "verify.check" && e.data.result !== "pass"),
        [],
      );
    },
  );

  it("a second up applies nothing: every resource the same", LONG, async () => {
    const r = await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator });
    assert.equal(r.status, 202, r.text);
    const done = await api.jobs.wait(r.json.id);
    assert.equal(done.state, "succeeded", JSON.stringify(done.error));
    assert.deepEqual(
      [done.changeSet!.create, done.changeSet!.update, done.changeSet!.replace, done.changeSet!.delete, done.changeSet!.steps],
      [0, 0, 0, 0, []],
    );
    assert.ok(done.changeSet!.same > 20);
  });

  it("a preview after an edit of the stack files shows the real steps: update, replace, create, delete", LONG, async () => {
    const before = (await get("/v1/stacks/wuxi")).outputs;
    // a node port (the gateway release's values), the intermediate's validity (tls replaces a certificate), a renamed service
    edit(join(dir, "Pulumi.wuxi.yaml"), "tls: 30880", "tls: 30881");
    edit(
      join(dir, "Pulumi.wuxi.yaml"),
      "rootStack: organization/mesh/cn-shanghai",
      "rootStack: organization/mesh/cn-shanghai\n    intermediateValidityHours: 4380",
    );
    edit(join(dir, "Pulumi.yaml"), "- name: helloworld", "- name: hello");
    const r = await api.call("POST", "/v1/stacks/wuxi/preview", { token: TOKENS.viewer });
    assert.equal(r.status, 202, r.text);
    const e = await events(r.json.id);
    assert.equal(e.at(-1)!.data.state, "succeeded");
    const set = (await job(r.json.id)).changeSet;
    assert.deepEqual(
      set.steps.map((s: { op: string; resourceType: string; name: string; changes: unknown }) => [s.op, s.resourceType, s.name, s.changes]),
      [
        ["create", "kubernetes:core/v1:Service", "wuxi-svc-dev-hello", []],
        [
          "replace",
          "tls:index/locallySignedCert:LocallySignedCert",
          "wuxi-intermediate",
          [{ path: "validityPeriodHours", kind: "update", replaces: true }],
        ],
        ["create", "kubernetes:networking.istio.io/v1:DestinationRule", "wuxi-dr-dev-hello", []],
        [
          "update",
          "kubernetes:helm.sh/v3:Release",
          "wuxi-istio-eastwestgateway",
          [{ path: "values.service.ports[1].nodePort", kind: "update", replaces: false }],
        ],
        ["delete", "kubernetes:networking.istio.io/v1:DestinationRule", "wuxi-dr-dev-helloworld", []],
        ["delete", "kubernetes:core/v1:Service", "wuxi-svc-dev-helloworld", []],
      ],
    );
    assert.deepEqual([set.create, set.update, set.replace, set.delete], [2, 1, 1, 2]);
    assert.ok(set.same > 15);
    // the replacement as the engine shows it: created first, the old one deleted after everything else
    const ops = e.filter((x) => x.event === "resource.started" && x.data.name === "wuxi-intermediate").map((x) => x.data.op);
    assert.deepEqual(ops, ["create-replacement", "replace", "delete-replaced"]);
    // a preview changes nothing
    assert.deepEqual((await get("/v1/stacks/wuxi")).outputs, before);
  });

  it("a config mistake is the program's own report: config_invalid, nothing registered, no stack trace", LONG, async () => {
    edit(join(dir, "Pulumi.wuxi.yaml"), "type: NodePort", "tpye: NodePort");
    try {
      const r = await api.call("POST", "/v1/stacks/wuxi/preview", { token: TOKENS.viewer });
      assert.equal(r.status, 202, r.text);
      const e = await events(r.json.id);
      assert.deepEqual(
        e.map((x) => x.event),
        ["job.queued", "job.started", "diagnostic", "job.finished"],
      );
      const report =
        "1 configuration problem; nothing was deployed:\n  - mesh:eastWestGateway.service.tpye: unknown key\n    fix: did you mean type?";
      assert.deepEqual(e[2]!.data.message, report);
      assert.deepEqual(e[3]!.data.error, {
        code: "config_invalid",
        message: "the stack's configuration is invalid; nothing was deployed",
        report,
      });
    } finally {
      edit(join(dir, "Pulumi.wuxi.yaml"), "tpye: NodePort", "type: NodePort");
    }
  });

  it("a cancel stops the program: the job ends cancelled, and the stack keeps what it had", LONG, async () => {
    const before = (await get("/v1/stacks/cn-shanghai")).outputs;
    const r = await api.call("POST", "/v1/stacks/cn-shanghai/up", { token: TOKENS.operator });
    assert.equal(r.status, 202, r.text);
    while ((await job(r.json.id)).state === "queued") await new Promise((res) => setTimeout(res, 20));
    const t0 = Date.now();
    assert.equal((await api.call("POST", `/v1/jobs/${r.json.id}/cancel`, { token: TOKENS.operator })).status, 202);
    const done = await api.jobs.wait(r.json.id);
    assert.equal(done.state, "cancelled");
    assert.ok(Date.now() - t0 < 10_000, `stopped ${Date.now() - t0} ms after the cancel`);
    assert.deepEqual((await get("/v1/stacks/cn-shanghai")).outputs, before);
  });
});
