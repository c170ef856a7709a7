/**
 * The simulated engine's steps: what the stack had after its last up against what the program registers
 * now, each change judged by the providers' replace rules (model/replace-rules.ts), secrets compared
 * but never shown.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planSteps, storedOf } from "../automation/simulated/steps";
import type { Registration } from "../automation/simulated/stand-in";
import { replaceRule, replacesOn } from "../model/replace-rules";

const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const secret = (value: unknown) => ({ ...SECRET_SIG, value });

const reg = (type: string, name: string, inputs: Record<string, unknown>, extra: Partial<Registration> = {}): Registration => ({
  type,
  name,
  urn: `urn:pulumi:wuxi::mesh::${type}::${name}`,
  inputs,
  provider: "",
  parent: "",
  dependencies: [],
  protect: false,
  retainOnDelete: false,
  deleteBeforeReplace: false,
  custom: true,
  read: false,
  ...extra,
});

const PROVIDER = "pulumi:providers:kubernetes";
const providerRef = (name: string) => `urn:pulumi:wuxi::mesh::${PROVIDER}::${name}::${name}-id`;

describe("the steps of a run", () => {
  const ns = reg("kubernetes:core/v1:Namespace", "ns", { metadata: { name: "istio-system", labels: { a: "1" } } });
  const secretR = reg("kubernetes:core/v1:Secret", "remote", {
    metadata: { name: "istio-remote-secret-x" },
    stringData: secret({ x: "old" }),
  });
  const release = reg("kubernetes:helm.sh/v3:Release", "istiod", { name: "istiod", values: { global: { hub: "a" } } });
  const provider = reg(PROVIDER, "k8s", { context: "wuxi" });
  const onProvider = reg("kubernetes:core/v1:Service", "svc", { metadata: { name: "s" } }, { provider: providerRef("k8s") });
  const gone = reg("kubernetes:core/v1:ConfigMap", "gone", { data: { a: "b" } });
  const olds = [ns, secretR, release, provider, onProvider, gone].map(storedOf);

  it("a first up creates everything, reads are reads", () => {
    const ref = reg("pulumi:pulumi:StackReference", "organization/mesh/cn-shanghai", {}, { read: true });
    assert.deepEqual(
      planSteps([], [ref, ns, release]).map((s) => [s.op, s.name]),
      [
        ["read", "organization/mesh/cn-shanghai"],
        ["create", "ns"],
        ["create", "istiod"],
      ],
    );
  });

  it("the same inputs again: every step is same, with no diff", () => {
    const steps = planSteps(olds, [ns, secretR, release, provider, onProvider, gone]);
    assert.deepEqual(
      steps.map((s) => [s.op, s.diffs.length]),
      Array.from({ length: 6 }, () => ["same", 0]),
    );
  });

  it("an edit: updates in place, replaces on a replace rule or a replaced provider, deletes what is gone last, newest first", () => {
    const steps = planSteps(olds, [
      reg("kubernetes:core/v1:Namespace", "ns", { metadata: { name: "istio-system", labels: { a: "2", b: "3" } } }),
      reg("kubernetes:core/v1:Secret", "remote", { metadata: { name: "istio-remote-secret-x" }, stringData: secret({ x: "new" }) }),
      reg("kubernetes:helm.sh/v3:Release", "istiod", { name: "istiod", values: { global: { hub: "b" } } }),
      reg(PROVIDER, "k8s", { context: "wuxi-admin" }),
      onProvider,
      reg("kubernetes:core/v1:ConfigMap", "new", { data: {} }),
    ]);
    assert.deepEqual(
      steps.map((s) => [s.op, s.name, s.detailedDiff, s.keys]),
      [
        [
          "update",
          "ns",
          {
            "metadata.labels.a": { diffKind: "update", inputDiff: true },
            "metadata.labels.b": { diffKind: "add", inputDiff: true },
          },
          [],
        ],
        // a Secret's data is immutable to the provider: the secret's change replaces it, its value never shown
        ["replace", "remote", { "stringData.x": { diffKind: "update-replace", inputDiff: true } }, ["stringData.x"]],
        ["update", "istiod", { "values.global.hub": { diffKind: "update", inputDiff: true } }, []],
        ["replace", "k8s", { context: { diffKind: "update-replace", inputDiff: true } }, ["context"]],
        // unchanged itself, but on the replaced provider
        ["replace", "svc", {}, []],
        ["create", "new", {}, []],
        ["delete", "gone", {}, []],
      ],
    );
    const shown = JSON.stringify(steps.map((s) => [s.detailedDiff, s.keys, s.diffs]));
    assert.ok(!shown.includes('"old"') && !shown.includes('"new"'), shown);
  });
});

describe("the providers' replace rules", () => {
  const cases: [string, Record<string, unknown>, string, boolean][] = [
    ["kubernetes:core/v1:Service", {}, "metadata.name", true],
    ["kubernetes:core/v1:Service", {}, "spec.clusterIP", true],
    ["kubernetes:core/v1:Service", {}, "spec.ports[0].port", false],
    ["kubernetes:networking.istio.io/v1:DestinationRule", {}, "metadata.namespace", true],
    ["kubernetes:networking.istio.io/v1:DestinationRule", {}, "spec.trafficPolicy", false],
    ["kubernetes:core/v1:Secret", {}, 'data["ca.crt"]', true],
    ["kubernetes:helm.sh/v3:Release", {}, "values.global.hub", false],
    ["kubernetes:helm.sh/v3:Release", {}, "namespace", true],
    ["tls:index/locallySignedCert:LocallySignedCert", {}, "validityPeriodHours", true],
    ["tls:index/locallySignedCert:LocallySignedCert", {}, "earlyRenewalHours", false],
    ["tls:index/privateKey:PrivateKey", {}, "rsaBits", true],
    ["alicloud:cs/managedKubernetes:ManagedKubernetes", {}, "serviceCidr", true],
    ["alicloud:cs/managedKubernetes:ManagedKubernetes", {}, "version", false],
    ["alicloud:vpc/switch:Switch", {}, "cidrBlock", true],
    [PROVIDER, { clusterIdentifier: "c-1" }, "kubeconfig", false],
    [PROVIDER, { clusterIdentifier: "c-1" }, "clusterIdentifier", true],
    [PROVIDER, {}, "kubeconfig", true],
    ["mesh:istio:IstioControlPlane", {}, "anything", false],
  ];
  for (const [type, inputs, path, replaces] of cases)
    it(`${type} ${path}${Object.keys(inputs).length ? " (with a cluster identifier)" : ""}: ${replaces ? "replaces" : "in place"}`, () => {
      assert.equal(replacesOn(replaceRule(type, inputs), path), replaces);
    });
});
