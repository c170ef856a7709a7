/**
 * Charts and images from mirrors: the Helm release arguments for each kind of chart source, the
 * image values for hub, tag and pull secrets, invalid sources refused with their path and fix, the
 * Supply of each cluster and the warning for hosts blocked in mainland China.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { localCharts } from "../io/local-charts";
import { ConfigError } from "../model/errors";
import { gatewayRelease, istiodRelease } from "../model/istio";
import {
  clusterSupply,
  imageHost,
  meshImages,
  pushReference,
  releaseChartArgs,
  unreachableInMainlandChina,
  isMainlandChinaRegion,
} from "../model/supply";
import type { MeshConfig } from "../model/types";
import { validateConfig } from "../model/validate";
import { supplyFindings, type PlannedSupply } from "../plan/plan";
import { upstreamImage } from "../plan/mirror";
import { gatewayValuesProblems } from "./istio-schemas";

const STACK = { organization: "organization", project: "mesh", stack: "wuxi" };
const PASSWORD = "S3cr3tPa55w0rd";

function onPrem(istio: Record<string, unknown>): Record<string, unknown> {
  return {
    istio: { version: "1.30.3", ...istio },
    cluster: { name: "wuxi", kubeContext: "wuxi", apiServer: "https://10.18.10.10:6443" },
    eastWestGateway: { service: { type: "NodePort", externalIPs: ["10.18.10.196"], nodePorts: { tls: 30880 } } },
    peers: ["organization/mesh/cn-shanghai"],
    trust: { rootStack: "organization/mesh/cn-shanghai" },
  };
}
const mesh = (istio: Record<string, unknown>): MeshConfig => validateConfig({ stack: STACK, mesh: onPrem(istio) });
function issues(istio: Record<string, unknown>, localChartProblems?: () => { message: string; fix: string }[]) {
  try {
    validateConfig({ stack: STACK, mesh: onPrem(istio), localChartProblems });
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.ok(!e.message.includes(PASSWORD), e.message);
    return e.issues.map((i) => ({ path: i.path, message: i.message }));
  }
}

describe("the release's chart arguments for each kind of source", () => {
  const spec = { chart: "istiod" as const, version: "1.30.3" };
  it("https:// repository: the chart's name, its version, and repositoryOpts.repo", () => {
    assert.deepEqual(releaseChartArgs({ ...spec, repo: "https://charts.example.com/istio/" }), {
      chart: "istiod",
      version: "1.30.3",
      repositoryOpts: { repo: "https://charts.example.com/istio" },
    });
  });
  it("oci:// registry: a full oci:// chart reference and the version, no repositoryOpts", () => {
    assert.deepEqual(releaseChartArgs({ ...spec, repo: "oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts" }), {
      chart: "oci://mesh-registry.cn-shanghai.cr.aliyuncs.com/istio-charts/istiod",
      version: "1.30.3",
    });
  });
  it("a folder of the project: the unpacked chart's path, no version (the chart's own is what installs)", () => {
    assert.deepEqual(releaseChartArgs({ ...spec, repo: "charts/istio-1.30.3" }, "dir"), { chart: "./charts/istio-1.30.3/istiod" });
  });
  it("a folder of the project: the .tgz helm pull saves", () => {
    assert.deepEqual(releaseChartArgs({ ...spec, repo: "./charts/istio-1.30.3/" }, "tgz"), {
      chart: "./charts/istio-1.30.3/istiod-1.30.3.tgz",
    });
  });
});

describe("invalid sources and image settings, refused with their path", () => {
  for (const [what, istio, path] of [
    ["a relative path that leaves the project", { repo: "../charts" }, "mesh:istio.repo"],
    ["a path that escapes through its middle", { repo: "charts/../../x" }, "mesh:istio.repo"],
    ["an absolute path", { repo: "/opt/charts" }, "mesh:istio.repo"],
    ["a home-relative path", { repo: "~/charts" }, "mesh:istio.repo"],
    ["http://", { repo: "http://charts.example.com" }, "mesh:istio.repo"],
    ["s3://", { repo: "s3://bucket/charts" }, "mesh:istio.repo"],
    ["file://", { repo: "file:///charts" }, "mesh:istio.repo"],
    ["credentials in an https:// repository", { repo: `https://u:${PASSWORD}@charts.example.com` }, "mesh:istio.repo"],
    ["credentials in an oci:// registry", { repo: `oci://robot:${PASSWORD}@registry.example.com/istio` }, "mesh:istio.repo"],
    ["a hub with a scheme", { hub: "https://registry.example.com/istio" }, "mesh:istio.hub"],
    ["a hub with credentials", { hub: `robot:${PASSWORD}@registry.example.com/istio` }, "mesh:istio.hub"],
    ["a hub with a tag", { hub: "registry.example.com/istio:1.30.3" }, "mesh:istio.hub"],
    ["a hub in capitals", { hub: "Registry.example.com/Istio" }, "mesh:istio.hub"],
    ["a digest as tag", { tag: "sha256:0123" }, "mesh:istio.tag"],
    ["a pull secret that is not a Secret name", { imagePullSecrets: ["Harbor_Pull"] }, "mesh:istio.imagePullSecrets[0]"],
    ["global.hub through the escape hatch", { values: { istiod: { global: { hub: "x" } } } }, "mesh:istio.values.istiod.global.hub"],
    [
      "the gateway's imagePullSecrets through the escape hatch",
      { values: { gateway: { imagePullSecrets: [] } } },
      "mesh:istio.values.gateway.imagePullSecrets",
    ],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.deepEqual(
        issues(istio).map((i) => i.path),
        [path],
      );
    });
  }
  it("accepts a registry with a port and a nested path", () => {
    assert.deepEqual(
      issues({ hub: "harbor.wuxi.internal:8443/mirrors/istio", repo: "oci://harbor.wuxi.internal:8443/mirrors/istio-charts" }),
      [],
    );
  });
  it("reports what the caller found wrong with vendored charts at mesh:istio.repo", () => {
    assert.deepEqual(
      issues({ repo: "./charts" }, () => [{ message: "no gateway chart", fix: "vendor it" }]),
      [{ path: "mesh:istio.repo", message: "no gateway chart" }],
    );
  });
});

describe("images follow mesh:istio.hub, tag and imagePullSecrets", () => {
  it("sets istiod's global.hub and global.tag (the tag defaults to the version)", () => {
    const v = istiodRelease(mesh({ hub: "registry.example.com/istio" })).values as any;
    assert.equal(v.global.hub, "registry.example.com/istio");
    assert.equal(v.global.tag, "1.30.3");
    assert.equal(v.global.imagePullSecrets, undefined);
  });
  it("sets the chart defaults explicitly when nothing is configured", () => {
    const v = istiodRelease(mesh({})).values as any;
    assert.deepEqual([v.global.hub, v.global.tag], ["docker.io/istio", "1.30.3"]);
  });
  it("gives istiod, every injected pod and the gateway's pod the pull secrets", () => {
    const m = mesh({ hub: "harbor.wuxi.internal/istio", tag: "1.30.3-distroless", imagePullSecrets: ["harbor-pull"] });
    assert.deepEqual((istiodRelease(m).values as any).global.imagePullSecrets, ["harbor-pull"]);
    const gw = gatewayRelease(m).values as any;
    assert.deepEqual(gw.imagePullSecrets, [{ name: "harbor-pull" }]);
    assert.deepEqual(gatewayValuesProblems(gw), []);
  });
  it("derives the images as the charts do: hub/pilot and hub/proxyv2 at the tag, with a variant", () => {
    assert.deepEqual(meshImages({ global: { hub: "r.example/istio", tag: "1.30.3", variant: "distroless" } }), {
      istiod: "r.example/istio/pilot:1.30.3-distroless",
      proxy: "r.example/istio/proxyv2:1.30.3-distroless",
    });
    assert.deepEqual(meshImages({ image: "r.example/custom/pilot:x", global: { hub: "h/istio", tag: "t", proxy: { image: "proxyv2" } } }), {
      istiod: "r.example/custom/pilot:x",
      proxy: "h/istio/proxyv2:t",
    });
  });
  it("lists a cluster's charts and images", () => {
    const m = mesh({ repo: "oci://harbor.wuxi.internal/istio-charts", hub: "harbor.wuxi.internal/istio" });
    const s = clusterSupply([istiodRelease(m)]);
    assert.deepEqual(s, {
      charts: [
        {
          name: "istiod",
          version: "1.30.3",
          source: "oci://harbor.wuxi.internal/istio-charts",
          ref: "oci://harbor.wuxi.internal/istio-charts/istiod",
        },
      ],
      images: [
        { ref: "harbor.wuxi.internal/istio/pilot:1.30.3", usedBy: "istiod" },
        { ref: "harbor.wuxi.internal/istio/proxyv2:1.30.3", usedBy: "proxies (sidecars, east-west gateway)" },
      ],
    });
  });
});

describe("mainland China", () => {
  it("knows the hosts that are often blocked, and the regions", () => {
    assert.deepEqual(
      [
        "istio-release.storage.googleapis.com",
        "docker.io",
        "gcr.io",
        "ghcr.io",
        "quay.io",
        "registry.k8s.io",
        "mesh-registry.cn-shanghai.cr.aliyuncs.com",
        "harbor.wuxi.internal",
      ].map(unreachableInMainlandChina),
      [true, true, true, true, true, true, false, false],
    );
    assert.deepEqual(["cn-shanghai", "cn-wuxi", "cn-hongkong", "ap-southeast-1", undefined].map(isMainlandChinaRegion), [
      true,
      true,
      false,
      false,
      false,
    ]);
    assert.deepEqual(["busybox:1.28", "istio/pilot:1", "localhost:5000/x", "r.example/istio/pilot:1"].map(imageHost), [
      "docker.io",
      "docker.io",
      "localhost:5000",
      "r.example",
    ]);
  });

  const supply = (region: string | null, repo: string, hub: string): PlannedSupply => {
    const s = clusterSupply([istiodRelease(mesh({ repo, hub }))]);
    return { stack: "wuxi", cluster: "wuxi", region, ...s };
  };

  it("warns a mainland stack pulling from upstream, naming each host and the key that points at a mirror", () => {
    const f = supplyFindings([supply("cn-shanghai", "https://istio-release.storage.googleapis.com/charts", "docker.io/istio")]);
    assert.deepEqual(
      f.map((x) => [x.severity, x.stack, x.path, x.message]),
      [
        [
          "warning",
          "wuxi",
          "mesh:istio.repo",
          "region cn-shanghai pulls the istiod chart from istio-release.storage.googleapis.com, which is often unreachable or throttled from mainland China",
        ],
        [
          "warning",
          "wuxi",
          "mesh:istio.hub",
          "region cn-shanghai pulls the image docker.io/istio/pilot:1.30.3, the image docker.io/istio/proxyv2:1.30.3 from docker.io, which is often unreachable or throttled from mainland China",
        ],
      ],
    );
    assert.match(f[0]!.fix, /npm run -s plan -- --format mirror/);
  });
  it("says nothing for a mirror, outside the mainland, or without a region", () => {
    assert.deepEqual(
      supplyFindings([supply("cn-shanghai", "oci://r.cn-shanghai.cr.aliyuncs.com/c", "r.cn-shanghai.cr.aliyuncs.com/istio")]),
      [],
    );
    assert.deepEqual(supplyFindings([supply("cn-hongkong", "https://istio-release.storage.googleapis.com/charts", "docker.io/istio")]), []);
    assert.deepEqual(supplyFindings([supply(null, "https://istio-release.storage.googleapis.com/charts", "docker.io/istio")]), []);
  });
});

describe("the mirror script's sources and targets", () => {
  it("copies each image from Istio's upstream hub, and pushes to an ACR EE instance's public endpoint", () => {
    assert.equal(upstreamImage("mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio/proxyv2:1.30.3"), "docker.io/istio/proxyv2:1.30.3");
    assert.equal(
      pushReference("mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio/pilot:1.30.3"),
      "mesh-registry.cn-shanghai.cr.aliyuncs.com/istio/pilot:1.30.3",
    );
    assert.equal(pushReference("harbor.wuxi.internal/istio/pilot:1.30.3"), "harbor.wuxi.internal/istio/pilot:1.30.3");
  });
});

describe("charts vendored in the project", () => {
  function vendored(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "mesh-charts-"));
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    return dir;
  }
  it("finds each chart unpacked or as the .tgz helm pull saves", () => {
    const dir = vendored({
      "charts/istiod/Chart.yaml": "name: istiod\nversion: 1.30.3\n",
      "charts/base-1.30.3.tgz": "tgz",
      "charts/gateway/Chart.yaml": "version: 1.30.3\n",
    });
    assert.deepEqual(localCharts(dir, "./charts", "1.30.3"), { forms: { base: "tgz", istiod: "dir", gateway: "dir" }, problems: [] });
  });
  it("says which chart is missing or of another version, and how to vendor it", () => {
    const dir = vendored({ "charts/istiod/Chart.yaml": "version: 1.0.0\n", "charts/base-1.29.0.tgz": "tgz" });
    const r = localCharts(dir, "./charts", "1.30.3");
    assert.deepEqual(
      r.problems.map((p) => p.message),
      [
        "no base chart of version 1.30.3 in ./charts (neither base/Chart.yaml nor base-1.30.3.tgz)",
        './charts/istiod is chart version "1.0.0", not 1.30.3',
        "no gateway chart of version 1.30.3 in ./charts (neither gateway/Chart.yaml nor gateway-1.30.3.tgz)",
      ],
    );
    assert.equal(
      r.problems[0]!.fix,
      "vendor it: helm pull base --repo https://istio-release.storage.googleapis.com/charts --version 1.30.3 -d ./charts (the mirror script from mesh plan --format mirror does this)",
    );
  });
});
