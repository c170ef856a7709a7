/**
 * The policy pack's checks, called directly (the pack itself starts a server when constructed): the
 * program's own resources for the converged cn-shanghai stack pass every policy; then each test changes
 * one thing and asserts the exact violation.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { POLICIES, type PolicyConfig, type ResourceView } from "../policy/policies";
import { runProgram, unwrapSecret } from "../tools/engine/mock-run";
import { wuxiOutputs } from "./fixtures/stacks";
import { FIXTURE_PROJECT } from "./fixtures/project";

let resources: ResourceView[];
before(async () => {
  const run = await runProgram({
    projectDir: FIXTURE_PROJECT,
    stack: "cn-shanghai",
    peerOutputs: { "organization/mesh/wuxi": wuxiOutputs() },
  });
  const plain = (v: unknown): any => {
    const u = unwrapSecret(v);
    if (Array.isArray(u)) return u.map(plain);
    if (u !== null && typeof u === "object") return Object.fromEntries(Object.entries(u).map(([k, x]) => [k, plain(x)]));
    return u;
  };
  const byUrn = new Map<string, ResourceView>();
  const registered = run.registrations.filter((r) => !r.read);
  for (const r of registered) byUrn.set(r.urn, { type: r.type, name: r.name, props: plain(r.inputs), dependencies: [] });
  for (const r of registered)
    (byUrn.get(r.urn)!.dependencies as ResourceView[]).push(
      ...r.dependencies.map((u) => byUrn.get(u)).filter((x): x is ResourceView => !!x),
    );
  resources = [...byUrn.values()];
});

function violations(rs: readonly ResourceView[], config: PolicyConfig = {}): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of POLICIES) {
    const found = p.resource ? rs.flatMap((r) => p.resource!(r, config)) : p.stack!(rs, config);
    if (found.length > 0) out[p.name] = found;
  }
  return out;
}

/** The stack's resources with one of them changed. */
function mutate(
  type: string,
  name: string,
  change: (r: ResourceView & { props: any; dependencies: ResourceView[] }) => void,
): ResourceView[] {
  return resources.map((r) => {
    if (r.type !== type || r.name !== name) return r;
    const copy = { ...r, props: structuredClone(r.props), dependencies: [...(r.dependencies ?? [])] };
    change(copy);
    return copy;
  });
}

describe("the policy pack on the program's own resources", () => {
  it("has the nine guardrails", () => {
    assert.deepEqual(
      POLICIES.map((p) => p.name),
      [
        "istio-releases-pinned",
        "tag-webhooks-before-namespaces",
        "istiod-identity",
        "istio-system-network-label",
        "cacerts-before-istiod",
        "locality-failover-has-outlier-detection",
        "remote-secret-shape",
        "ack-gateway-internal-slb",
        "mirrored-services-cluster-ip",
      ],
    );
  });

  it("finds nothing in what the program registers", () => assert.deepEqual(violations(resources), {}));
});

const RELEASE = "kubernetes:helm.sh/v3:Release";
describe("one mutation per policy, the exact violation", () => {
  it("istio-releases-pinned: a version range", () => {
    assert.deepEqual(violations(mutate(RELEASE, "cn-shanghai-istiod", (r) => (r.props.version = ">=1.30.0"))), {
      "istio-releases-pinned": [
        'cn-shanghai-istiod: version ">=1.30.0" is not one exact release (pin e.g. "1.30.3" in mesh:istio.version)',
      ],
    });
  });
  it("istiod-identity: no network", () => {
    assert.deepEqual(violations(mutate(RELEASE, "cn-shanghai-istiod", (r) => delete r.props.values.global.network)), {
      "istiod-identity": ["cn-shanghai-istiod: values.global.network is not set: cross-cluster discovery needs it in every cluster"],
    });
  });
  it("istio-system-network-label: no label", () => {
    assert.deepEqual(
      violations(mutate("kubernetes:core/v1:Namespace", "cn-shanghai-istio-system", (r) => (r.props.metadata.labels = {}))),
      {
        "istio-system-network-label": [
          "cn-shanghai-istio-system: istio-system has no topology.istio.io/network label: istiod falls back to it for every pod's network",
        ],
      },
    );
  });
  it("cacerts-before-istiod: istiod does not wait for cacerts", () => {
    assert.deepEqual(violations(mutate(RELEASE, "cn-shanghai-istiod", (r) => r.dependencies.splice(0, r.dependencies.length))), {
      "cacerts-before-istiod": [
        "cn-shanghai-istiod: does not depend on cn-shanghai-cacerts: istiod could start with a self-signed root, and cross-cluster mTLS would fail until it restarts",
      ],
    });
  });
  it("locality-failover-has-outlier-detection: no outlier detection", () => {
    assert.deepEqual(
      violations(
        mutate(
          "kubernetes:networking.istio.io/v1:DestinationRule",
          "cn-shanghai-dr-dev-helloworld",
          (r) => delete r.props.spec.trafficPolicy.outlierDetection,
        ),
      ),
      {
        "locality-failover-has-outlier-detection": [
          "cn-shanghai-dr-dev-helloworld: localityLbSetting without outlierDetection: Istio applies no locality failover",
        ],
      },
    );
  });
  it("remote-secret-shape: a second data key", () => {
    assert.deepEqual(
      violations(mutate("kubernetes:core/v1:Secret", "cn-shanghai-wuxi-remote-secret", (r) => (r.props.stringData.extra = "x"))),
      {
        "remote-secret-shape": [
          'cn-shanghai-wuxi-remote-secret: data keys ["wuxi","extra"]; istiod takes every key as a cluster id, so there must be exactly one, "wuxi"',
        ],
      },
    );
  });
  it("remote-secret-shape: a name that does not match the cluster", () => {
    assert.deepEqual(
      violations(mutate("kubernetes:core/v1:Secret", "cn-shanghai-wuxi-remote-secret", (r) => (r.props.metadata.name = "wuxi-secret"))),
      {
        "remote-secret-shape": ['cn-shanghai-wuxi-remote-secret: named "wuxi-secret", not istio-remote-secret-wuxi'],
      },
    );
  });
  it("ack-gateway-internal-slb: a public SLB, unless allowed", () => {
    const rs = mutate(RELEASE, "cn-shanghai-istio-eastwestgateway", (r) => (r.props.values.service.annotations = {}));
    assert.deepEqual(violations(rs), {
      "ack-gateway-internal-slb": [
        "cn-shanghai-istio-eastwestgateway: the istio-eastwestgateway Service would get a public SLB: set the service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type: intranet annotation, or allow it with allowPublicGatewaySlb",
      ],
    });
    assert.deepEqual(violations(rs, { allowPublicGatewaySlb: true }), {});
  });
  it("mirrored-services-cluster-ip: a NodePort catalog Service", () => {
    assert.deepEqual(
      violations(mutate("kubernetes:core/v1:Service", "cn-shanghai-svc-dev-helloworld", (r) => (r.props.spec.type = "NodePort"))),
      {
        "mirrored-services-cluster-ip": [
          "cn-shanghai-svc-dev-helloworld: a mirrored Service of type NodePort would expose the service in every cluster",
        ],
      },
    );
  });
});
