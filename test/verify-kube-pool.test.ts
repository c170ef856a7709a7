/**
 * verify's connections to a cluster: one TLS context per cluster, the API reads on kept-alive
 * connections and exec on connections of its own, every request still with its credentials; a
 * proxy's agent is left as the client library makes it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { Agent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { after, before, describe, it, mock } from "node:test";
import { HttpMethod, KubeConfig, RequestContext } from "@kubernetes/client-node";
import { readProject } from "../plan/stack-files";
import { PROJECT_DIR } from "../tools/engine/project-dir";
import { IDLE_MS, pooledConnections } from "../verify/kube-pool";
import { verifyMesh } from "../verify/verify";
import { startStandIn, writeKubeconfig, type StandIn } from "./fixtures/kube-api";
import { shanghaiOutputs, shanghaiWorld, wuxiOutputs, wuxiWorld } from "./fixtures/mesh-worlds";

const dir = mkdtempSync(join(tmpdir(), "mesh-verify-pool-"));
const kubeconfigFor = (url: string, token: string) => {
  const kc = new KubeConfig();
  kc.loadFromFile(writeKubeconfig(join(dir, `config-${token}`), [{ context: "c", url, token }]));
  return kc;
};

describe("verify's connections to a cluster", () => {
  let sh: StandIn;
  let wx: StandIn;
  before(async () => {
    sh = await startStandIn(shanghaiWorld(), { token: "sh-token" });
    wx = await startStandIn(wuxiWorld(), { token: "wx-token" });
  });
  after(async () => {
    await sh.close();
    await wx.close();
  });

  it("share one agent per kind: API reads kept alive (idle ones closed), exec not; each request carries the credentials", async () => {
    const pooled = pooledConnections(kubeconfigFor(sh.url, "sh-token"));
    const api = await Promise.all(
      [1, 2].map(async () => {
        const ctx = new RequestContext(`${sh.url}/api/v1/namespaces/istio-system`, HttpMethod.GET);
        await pooled.applySecurityAuthentication(ctx);
        return ctx;
      }),
    );
    const agent = api[0]!.getAgent() as Agent;
    assert.equal(api[1]!.getAgent(), agent);
    assert.equal(Object.getPrototypeOf(agent), Agent.prototype);
    assert.deepEqual([agent.options.keepAlive, agent.options.timeout], [true, IDLE_MS]);
    assert.ok(agent.options.secureContext);
    for (const ctx of api) assert.equal(ctx.getHeaders().Authorization, "Bearer sh-token");

    const ws = await Promise.all(
      [1, 2].map(async () => {
        const opts: { agent?: Agent; headers?: Record<string, string> } = {};
        await pooled.applyToHTTPSOptions(opts);
        return opts;
      }),
    );
    assert.equal(ws[1]!.agent, ws[0]!.agent);
    assert.notEqual(ws[0]!.agent, agent);
    assert.equal(ws[0]!.agent!.options.keepAlive, false);
    for (const o of ws) assert.equal(o.headers?.Authorization, "Bearer sh-token");
  });

  it("leaves a proxy's agent as the library makes it", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: sh.url, proxyUrl: "http://127.0.0.1:3128", skipTLSVerify: false }],
      users: [{ name: "u", token: "sh-token" }],
      contexts: [{ name: "c", cluster: "c", user: "u" }],
      currentContext: "c",
    });
    const pooled = pooledConnections(kc);
    const agents = await Promise.all(
      [1, 2].map(async () => {
        const ctx = new RequestContext(`${sh.url}/api/v1/namespaces/istio-system`, HttpMethod.GET);
        await pooled.applySecurityAuthentication(ctx);
        return ctx.getAgent();
      }),
    );
    assert.notEqual(agents[0], agents[1]);
    assert.notEqual(Object.getPrototypeOf(agents[0]), Agent.prototype);
    assert.ok(agents[0] instanceof Agent, "hpagent's HttpsProxyAgent");
  });

  it("a verify of two clusters opens one TLS connection per exec and reuses the rest", async () => {
    const kubeconfigFile = writeKubeconfig(join(dir, "wuxi"), [{ context: "wuxi", url: wx.url, token: "wx-token" }]);
    const ack = readFileSync(writeKubeconfig(join(dir, "ack"), [{ context: "cn-shanghai", url: sh.url, token: "sh-token" }]), "utf8");
    const before = sh.requests.length + wx.requests.length;
    const connect = mock.method(tls, "connect");
    try {
      const r = await verifyMesh(readProject(PROJECT_DIR), {
        outputs: { outputs: (s) => Promise.resolve(s === "cn-shanghai" ? shanghaiOutputs(ack) : wuxiOutputs()) },
        loadDefaultKubeconfig: (kc) => kc.loadFromFile(kubeconfigFile),
        inFlight: 2,
        timeoutMs: 20_000,
      });
      assert.equal(r.exitCode, 0);
    } finally {
      connect.mock.restore();
    }
    const requests = [...sh.requests, ...wx.requests].slice(before);
    const execs = requests.filter((x) => x.includes("/exec?")).length;
    // per cluster: one sidecar's Envoy, istiod's /debug/clusterz and /debug/syncz
    assert.equal(execs, 6);
    // per cluster: its exec, and at most two kept-alive connections for the other reads (one more if one idled out)
    assert.ok(connect.mock.callCount() <= execs + 2 * 3, `${connect.mock.callCount()} connections for ${requests.length} requests`);
    assert.ok(requests.length >= 20, `${requests.length} requests`);
  });
});
