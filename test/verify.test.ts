/** mesh verify against stand-in Kubernetes APIs on loopback, through the real client library and kubeconfig files. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { fromYaml, toYaml } from "../model/yaml";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readProject } from "../plan/stack-files";

import { verifyMesh, type VerifyOptions } from "../verify/verify";
import type { Check, VerifyReport } from "../verify/types";
import { startStandIn, writeKubeconfig, type ClusterWorld, type StandIn, type StandInOptions } from "./fixtures/kube-api";
import {
  clusterzExec,
  envoyDump,
  envoyDumpCamel,
  OTHER_ROOT_PEM,
  shanghaiOutputs,
  shanghaiWorld,
  wuxiOutputs,
  wuxiWorld,
  SHANGHAI_POD_IP,
  WUXI_POD_IP,
} from "./fixtures/mesh-worlds";
import { FIXTURE_PROJECT } from "./fixtures/project";

const files = readProject(FIXTURE_PROJECT);
const dir = mkdtempSync(join(tmpdir(), "mesh-verify-"));

interface Mesh {
  sh: StandIn;
  wx: StandIn;
  run(o?: VerifyOptions): Promise<VerifyReport>;
  close(): Promise<void>;
}

/** Both clusters on loopback: wuxi through the kube context of its stack file, cn-shanghai through its kubeconfig output. */
async function mesh(
  edit: (sh: ClusterWorld, wx: ClusterWorld) => void = () => {},
  opts: { sh?: Partial<StandInOptions>; wx?: Partial<StandInOptions>; wxToken?: string; wxUrl?: string } = {},
): Promise<Mesh> {
  const shW = shanghaiWorld();
  const wxW = wuxiWorld();
  edit(shW, wxW);
  const sh = await startStandIn(shW, { token: "sh-token", ...opts.sh });
  const wx = await startStandIn(wxW, { token: "wx-token", ...opts.wx });
  const kubeconfigFile = writeKubeconfig(join(dir, `config-${wx.url.split(":").pop()}`), [
    { context: "wuxi", url: opts.wxUrl ?? wx.url, token: opts.wxToken ?? "wx-token" },
  ]);
  const ackFile = writeKubeconfig(join(dir, `ack-${sh.url.split(":").pop()}`), [
    { context: "cn-shanghai", url: sh.url, token: "sh-token" },
  ]);
  const outputs = { cn: shanghaiOutputs(readFileSync(ackFile, "utf8")), wx: wuxiOutputs() };
  return {
    sh,
    wx,
    run: (o = {}) =>
      verifyMesh(files, {
        outputs: { outputs: (s) => Promise.resolve(s === "cn-shanghai" ? outputs.cn : outputs.wx) },
        loadDefaultKubeconfig: (kc) => kc.loadFromFile(kubeconfigFile),
        timeoutMs: 2000,
        ...o,
      }),
    close: async () => {
      await sh.close();
      await wx.close();
    },
  };
}

const failing = (r: VerifyReport): Check[] => r.clusters.flatMap((c) => c.checks).filter((c) => c.result !== "pass");

describe("a healthy two-cluster mesh", () => {
  let m: Mesh;
  let r: VerifyReport;
  before(async () => {
    m = await mesh();
    r = await m.run();
  });
  after(() => m.close());

  it("passes every check and exits 0", () => {
    assert.deepEqual(failing(r), []);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(
      r.clusters.map((c) => [c.cluster, c.reachable]),
      [
        ["cn-shanghai", true],
        ["wuxi", true],
      ],
    );
  });

  it("shows planned against observed routing per caller", () => {
    assert.deepEqual(
      r.routing.map((x) => ({ caller: x.caller, planned: x.planned, observed: x.observed, result: x.result })),
      [
        {
          caller: "cn-shanghai",
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
          caller: "wuxi",
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
      ],
    );
  });

  // istiod answers /debug/clusterz only to localhost or an authenticated proxy (`allowAuthenticatedOrLocalhost`,
  // pilot/pkg/xds/debug.go), so it is asked from inside the pod as `istioctl bug-report` asks; the stand-in's pod
  // proxy answers 401 as a real istiod does
  it("reads what istioctl reads: clusterz by exec in istiod's discovery container, Envoy by exec in istio-proxy, one dump per source pod", () => {
    const req = m.sh.requests;
    assert.ok(!req.some((x) => x.includes("/proxy/")), req.join("\n"));
    assert.ok(
      req.some((x) =>
        /^GET \/api\/v1\/namespaces\/istio-system\/pods\/istiod-7d4b9c8f6d-x2x9k\/exec\?.*command=pilot-discovery&command=request&command=GET&command=%2Fdebug%2Fclusterz.*container=discovery/.test(
          x,
        ),
      ),
      req.join("\n"),
    );
    const execs = req.filter((x) => x.includes("/exec?") && x.includes("container=istio-proxy"));
    assert.equal(execs.length, 1);
    assert.match(
      execs[0]!,
      /^GET \/api\/v1\/namespaces\/dev\/pods\/helloworld-v1-6b8c9d7f5-sh4kd\/exec\?.*command=pilot-agent&command=request&command=GET&command=clusters%3Fformat%3Djson.*container=istio-proxy/,
    );
  });
});

const only = (r: VerifyReport, cluster: string, code: string): Check[] =>
  failing(r).filter((c) => c.cluster === cluster && c.code === code);

async function verifyWith(
  edit: (sh: ClusterWorld, wx: ClusterWorld) => void,
  opts?: Parameters<typeof mesh>[1],
  o?: VerifyOptions,
): Promise<VerifyReport> {
  const m = await mesh(edit, opts);
  try {
    return await m.run(o);
  } finally {
    await m.close();
  }
}

const podOf = (w: ClusterWorld) => Object.keys(w.envoy)[0]!;

describe("the known failure shapes of cross-network endpoints", () => {
  it("remote pod IPs instead of the peer's gateway: the gateway's address is unknown or its network label missing", async () => {
    const r = await verifyWith((sh, wx) => {
      sh.envoy[podOf(sh)] = envoyDump([
        { ip: SHANGHAI_POD_IP, port: 5000 },
        { ip: WUXI_POD_IP, port: 5000, priority: 1 },
      ]);
      delete (wx.services[0]!.metadata!.labels as Record<string, string>)["topology.istio.io/network"];
    });
    assert.deepEqual(only(r, "cn-shanghai", "MV0703"), [
      {
        code: "MV0703",
        category: "endpoints",
        cluster: "cn-shanghai",
        name: "helloworld.dev:5000",
        result: "fail",
        detail: "remote pod IPs instead of a gateway: 10.244.1.7:5000 (pods of wuxi), unreachable across networks",
        fix: "cn-shanghai's istiod knows no gateway for wuxi's network: wuxi's east-west gateway has no address (<pending>) or its Service lacks the label topology.istio.io/network=network-wuxi (see wuxi's east-west gateway checks), or wuxi's pods have no network (label istio-system there)",
      },
    ]);
    assert.deepEqual(
      only(r, "wuxi", "MV0403").map((c) => [c.detail, c.fix]),
      [
        [
          "the Service's topology.istio.io/network is not set, the plan says network-wuxi: istiod does not take it as network-wuxi's gateway, so peers get this cluster's pod IPs",
          "set networkGateway: network-wuxi on the gateway release (mesh converge does)",
        ],
      ],
    );
    assert.equal(r.routing.find((x) => x.caller === "cn-shanghai")!.observed[1]!.cluster, "wuxi");
    assert.equal(r.exitCode, 1);
  });

  it("only local endpoints: the remote secret is missing, so istiod does not read the peer", async () => {
    const r = await verifyWith((sh) => {
      sh.envoy[podOf(sh)] = envoyDump([{ ip: SHANGHAI_POD_IP, port: 5000 }]);
      sh.secrets = [];
      sh.exec![clusterzExec("istiod-7d4b9c8f6d-x2x9k")] = JSON.stringify([{ id: "cn-shanghai", secretName: "", syncStatus: "synced" }]);
    });
    assert.deepEqual(
      failing(r).map((c) => [c.cluster, c.code, c.name, c.detail, c.fix]),
      [
        [
          "cn-shanghai",
          "MV0202",
          "istiod (revision default) reads wuxi",
          "wuxi is missing from istiod-7d4b9c8f6d-x2x9k's /debug/clusterz",
          "no Secret labelled istio/multiCluster=true in cn-shanghai's istio-system has a data key named wuxi (the secret is missing, or its cluster name differs): see the remote secrets checks; mesh converge installs it",
        ],
        [
          "cn-shanghai",
          "MV0301",
          "secret for wuxi",
          "no Secret labelled istio/multiCluster=true in istio-system holds a key named wuxi",
          "run mesh converge (or pulumi up -s cn-shanghai once wuxi has exported remoteSecret); by hand: istioctl create-remote-secret --name=wuxi in wuxi, applied here",
        ],
        [
          "cn-shanghai",
          "MV0704",
          "helloworld.dev:5000",
          "only local endpoints: nothing through wuxi's gateway",
          "cn-shanghai's istiod does not read wuxi: istio-remote-secret-wuxi is missing or not synced (see the remote secrets and remote clusters checks); mesh converge installs it",
        ],
      ],
    );
    assert.equal(r.exitCode, 1);
  });

  it("everything at priority 0: no outlier detection, so locality failover is off", async () => {
    const r = await verifyWith((_sh, wx) => {
      wx.envoy[podOf(wx)] = envoyDump([
        { ip: WUXI_POD_IP, port: 5000 },
        { ip: "192.168.0.200", port: 15443 },
      ]);
    });
    assert.deepEqual(only(r, "wuxi", "MV0705"), [
      {
        code: "MV0705",
        category: "endpoints",
        cluster: "wuxi",
        name: "helloworld.dev:5000",
        result: "fail",
        detail: "every endpoint at priority 0, cn-shanghai's gateway too: locality failover is off, calls are spread across clusters",
        fix: "the DestinationRule dev/helloworld needs outlierDetection next to localityLbSetting (Istio only warns without it): run mesh converge; kubectl -n dev get destinationrule helloworld -o yaml shows what is applied",
      },
    ]);
    assert.equal(failing(r).length, 1);
  });

  it("reads istioctl's camelCase as well as Envoy's snake_case", async () => {
    const r = await verifyWith((sh) => {
      sh.envoy[podOf(sh)] = envoyDumpCamel([
        { ip: SHANGHAI_POD_IP, port: 5000 },
        { ip: "10.18.10.196", port: 30880, priority: 1 },
      ]);
    });
    assert.deepEqual(failing(r), []);
    assert.deepEqual(
      r.routing[0]!.observed.map((o) => [o.priority, o.cluster]),
      [
        [0, "cn-shanghai"],
        [1, "wuxi"],
      ],
    );
  });
});

describe("remote clusters, secrets, gateways, trust and mirrors", () => {
  it("a peer in timeout names Istio's causes; every revision's istiod is asked", async () => {
    const r = await verifyWith((_sh, wx) => {
      // a canary revision beside the default one, whose reader ClusterRole is missing in the peer
      wx.deployments.push({
        ...structuredClone(wx.deployments[0]!),
        metadata: { name: "istiod-canary", namespace: "istio-system", labels: { app: "istiod", "istio.io/rev": "canary" } },
      });
      wx.pods.push({
        ...structuredClone(wx.pods[0]!),
        metadata: { name: "istiod-canary-5f6d7c8b9-q7w2e", namespace: "istio-system", labels: { app: "istiod", "istio.io/rev": "canary" } },
      });
      wx.exec![clusterzExec("istiod-canary-5f6d7c8b9-q7w2e")] = JSON.stringify([
        { id: "wuxi", secretName: "", syncStatus: "synced" },
        { id: "cn-shanghai", secretName: "istio-system/istio-remote-secret-cn-shanghai", syncStatus: "timeout" },
      ]);
    });
    assert.deepEqual(
      only(r, "wuxi", "MV0202").map((c) => [c.name, c.detail, c.fix]),
      [
        [
          "istiod (revision canary) reads cn-shanghai",
          "cn-shanghai: timeout: istiod's first sync of cn-shanghai did not finish within PILOT_REMOTE_CLUSTER_TIMEOUT (30 s) (secret istio-system/istio-remote-secret-cn-shanghai)",
          "from wuxi, cn-shanghai's API server https://192.168.0.10:6443 is unreachable, or it refuses the reader token in istio-remote-secret-cn-shanghai (revoked, or the ClusterRole istio-reader-clusterrole-canary-istio-system missing in cn-shanghai); check istiod's log for \"cn-shanghai\" and the route across the private line",
        ],
      ],
    );
    assert.ok(r.clusters[1]!.checks.some((c) => c.code === "MV0102" && c.name === "istiod (revision canary)" && c.result === "pass"));
    assert.ok(
      r.clusters[1]!.checks.some(
        (c) => c.code === "MV0202" && c.name === "istiod (revision default) reads cn-shanghai" && c.result === "pass",
      ),
    );
  });

  it("a remote secret pointing at another address than the peer publishes", async () => {
    const r = await verifyWith((_sh, wx) => {
      const kc = Buffer.from(wx.secrets[0]!.data ? (wx.secrets[0]!.data as Record<string, string>)["cn-shanghai"]! : "", "base64").toString(
        "utf8",
      );
      (wx.secrets[0]!.data as Record<string, string>)["cn-shanghai"] = Buffer.from(
        kc.replace("https://192.168.0.10:6443", "https://47.100.1.2:6443"),
      ).toString("base64");
    });
    assert.deepEqual(
      only(r, "wuxi", "MV0302").map((c) => c.detail),
      ["istio-remote-secret-cn-shanghai points at https://47.100.1.2:6443; cn-shanghai publishes https://192.168.0.10:6443"],
    );
    assert.ok(!JSON.stringify(r).includes("reader-token-of"), "a token from a remote secret was printed");
  });

  it("a remote secret whose kubeconfig would run a command in istiod, or send its token through a proxy", async () => {
    const r = await verifyWith((_sh, wx) => {
      const data = wx.secrets[0]!.data as Record<string, string>;
      const kc = Buffer.from(data["cn-shanghai"]!, "base64").toString("utf8");
      data["cn-shanghai"] = Buffer.from(
        kc.replace("server: https://192.168.0.10:6443", "server: https://192.168.0.10:6443\n    proxy-url: http://10.0.0.9:3128"),
      ).toString("base64");
    });
    const [c] = only(r, "wuxi", "MV0302");
    assert.equal(c?.result, "fail");
    assert.equal(
      c?.detail,
      "istio-remote-secret-cn-shanghai: its kubeconfig cluster cn-shanghai has proxy-url, which sends the connection, and its credentials, through a proxy it names: a remote secret may carry only an inline token or client certificate",
    );
  });

  it("a load balancer without an address, and roots that differ", async () => {
    const r = await verifyWith((sh, wx) => {
      (sh.services[0]! as { status: unknown }).status = { loadBalancer: {} };
      wx.configmaps[0]!.data = { "root-cert.pem": OTHER_ROOT_PEM };
    });
    assert.deepEqual(
      only(r, "cn-shanghai", "MV0404").map((c) => c.detail),
      ["the load balancer has no address yet (<pending>)"],
    );
    const trust = only(r, "wuxi", "MV0502");
    assert.equal(trust.length, 1);
    assert.match(
      trust[0]!.detail,
      /^SHA-256 [0-9A-F:]{23}…, but cn-shanghai's is [0-9A-F:]{23}…: cross-cluster mTLS fails \(CERTIFICATE_VERIFY_FAILED\)$/,
    );
    assert.ok(!JSON.stringify(r).includes("BEGIN CERTIFICATE"));
  });

  it("a mirror that differs in headlessness (IST0170)", async () => {
    const r = await verifyWith((_sh, wx) => {
      (wx.services[1]!.spec as { clusterIP: string }).clusterIP = "None";
    });
    assert.deepEqual(
      only(r, "wuxi", "MV0602").map((c) => [c.name, c.detail]),
      [
        [
          "dev/helloworld",
          "IST0170: ClusterIP (headless), ports http:5000/TCP→5000; the mirror in every cluster is ClusterIP, ports http:5000/TCP→5000",
        ],
      ],
    );
  });
});

describe("clusters that cannot be read", () => {
  it("a cluster that does not answer: a finding, exit 2, the other cluster still verified", async () => {
    const dead = await startStandIn(wuxiWorld(), { token: "x" });
    const url = dead.url;
    await dead.close();
    const r = await verifyWith(() => {}, { wxUrl: url });
    const wx = r.clusters.find((c) => c.cluster === "wuxi")!;
    assert.equal(wx.reachable, false);
    assert.deepEqual(
      wx.checks.map((c) => [c.code, c.result, c.detail, c.fix]),
      [
        [
          "MV0001",
          "error",
          `${url} cannot be reached (ECONNREFUSED) (kube context wuxi)`,
          "check that this machine reaches wuxi's API server (VPN, private line, firewall), or pass --kubeconfig wuxi=<file> with an address it can reach",
        ],
      ],
    );
    assert.equal(r.exitCode, 2);
    assert.ok(r.clusters[0]!.checks.some((c) => c.code === "MV0102" && c.result === "pass"));
  });

  it("a cluster that accepts but never answers ends as a timeout", async () => {
    const r = await verifyWith(() => {}, { wx: { silent: true } }, { timeoutMs: 300 });
    assert.deepEqual(
      r.clusters[1]!.checks.map((c) => [c.result, c.detail.replace(/:\d+ /, ":PORT ")]),
      [["error", "https://127.0.0.1:PORT did not answer in time (kube context wuxi)"]],
    );
    assert.equal(r.exitCode, 2);
  });

  it("a revoked token (401)", async () => {
    const r = await verifyWith(() => {}, { wxToken: "revoked-token" });
    const c = r.clusters[1]!.checks;
    assert.equal(c.length, 1);
    assert.match(c[0]!.detail, /^https:\/\/127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\) \(kube context wuxi\)$/);
    assert.equal(
      c[0]!.fix,
      "the credentials for wuxi were refused (expired or revoked token?): renew them, or pass --kubeconfig wuxi=<file>",
    );
    assert.ok(!JSON.stringify(r).includes("revoked-token"));
    assert.equal(r.exitCode, 2);
  });

  it("an RBAC denial (403) is the one check it blocks, exit 2", async () => {
    const r = await verifyWith(() => {}, { sh: { deny: ["list secrets"] } });
    assert.deepEqual(
      failing(r).map((c) => [c.cluster, c.code, c.result, c.detail, c.fix]),
      [
        [
          "cn-shanghai",
          "MV0301",
          "error",
          'list secrets in istio-system: forbidden (HTTP 403): secrets is forbidden: User "system:serviceaccount:ops:mesh-verify" cannot list resource "secrets" in API group "" in the namespace "istio-system"',
          "give the identity verify uses for cn-shanghai the mesh-verify ClusterRole (docs/verify.md), or run as a cluster reader",
        ],
      ],
    );
    assert.equal(r.exitCode, 2);
  });
});

describe("a kubeconfig output is data, never run: only a bearer token or a client certificate, inline, over checked TLS", () => {
  let m: Mesh;
  before(async () => {
    m = await mesh();
  });
  after(() => m.close());

  /** cn-shanghai's kubeconfig output, edited as someone who can write the stack's outputs would. */
  const withOutput = (edit: (kc: any) => void) => {
    const kc = fromYaml(
      readFileSync(writeKubeconfig(join(dir, "hostile"), [{ context: "cn-shanghai", url: m.sh.url, token: "sh-token" }]), "utf8"),
    ) as any;
    edit(kc);
    const outputs = shanghaiOutputs(toYaml(kc));
    return { outputs: (s: string) => Promise.resolve(s === "cn-shanghai" ? outputs : wuxiOutputs()) };
  };
  const credentialsCheck = (r: VerifyReport) => r.clusters.find((c) => c.stack === "cn-shanghai")!.checks[0]!;

  it("refuses an exec plugin, and nothing it names runs", async () => {
    const ran = join(dir, "exec-ran");
    const r = await m.run({
      stacks: ["cn-shanghai"],
      outputs: withOutput((kc) => {
        kc.users[0].user = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "sh", args: ["-c", `id > ${ran}`] } };
      }),
    });
    assert.equal(r.exitCode, 2);
    assert.ok(!existsSync(ran), "the output's command ran on this host");
    const c = credentialsCheck(r);
    assert.deepEqual([c.code, c.name, c.result], ["MV0001", "credentials", "error"]);
    assert.equal(
      c.detail,
      "cn-shanghai: its kubeconfig output is refused: user cn-shanghai-user has exec, which runs a command on the host that loads it; user cn-shanghai-user has no bearer token or client certificate; a kubeconfig read from a stack output may carry only a bearer token or a client certificate",
    );
    assert.equal(
      c.fix,
      "re-export it with a token or client certificate, or pass --kubeconfig cn-shanghai=<file> (a kubeconfig file of your own may use exec plugins)",
    );
  });

  it("refuses an auth provider, a token file, a client key file, a proxy and insecure TLS, each saying why", async () => {
    for (const [edit, why] of [
      [
        (kc: any) => (kc.users[0].user["auth-provider"] = { name: "gcp", config: { "cmd-path": "sh" } }),
        "has auth-provider, which runs its provider's command",
      ],
      [(kc: any) => (kc.users[0].user.tokenFile = "/etc/shadow"), "has tokenFile, which reads a file on the host that loads it"],
      [(kc: any) => (kc.users[0].user["client-key"] = "/root/.ssh/id_rsa"), "has client-key, which reads a file on the host that loads it"],
      [
        (kc: any) => (kc.clusters[0].cluster["proxy-url"] = "http://attacker.example:3128"),
        "has proxy-url, which sends the connection, and its credentials, through a proxy it names",
      ],
      [
        (kc: any) => (kc.clusters[0].cluster["insecure-skip-tls-verify"] = true),
        "has insecure-skip-tls-verify, which turns off the check of the server's certificate",
      ],
    ] as const) {
      const r = await m.run({ stacks: ["cn-shanghai"], outputs: withOutput(edit) });
      assert.equal(r.exitCode, 2, why);
      assert.ok(credentialsCheck(r).detail.includes(why), credentialsCheck(r).detail);
    }
  });

  it("an operator's own kubeconfig file keeps its exec plugin (--kubeconfig)", async () => {
    const plugin = join(dir, "credential-plugin.sh");
    writeFileSync(
      plugin,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"sh-token"}}'\n`,
      { mode: 0o755 },
    );
    const file = join(dir, "operator-exec");
    const kc = fromYaml(readFileSync(writeKubeconfig(file, [{ context: "cn-shanghai", url: m.sh.url, token: "unused" }]), "utf8")) as any;
    kc.users[0].user = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" } };
    writeFileSync(file, toYaml(kc));
    const r = await m.run({ stacks: ["cn-shanghai"], credentials: { kubeconfig: { "cn-shanghai": file } } });
    const c = credentialsCheck(r);
    assert.deepEqual([c.code, c.name, c.result], ["MV0001", "Kubernetes API", "pass"], c.detail);
  });
});
