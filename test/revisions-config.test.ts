/**
 * mesh:revisions as config: a valid canary declaration, and every rule's problem, all reported at once
 * with their config paths and fixes; the one-revision form of mesh:istio keeps working beside it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, type ConfigIssue } from "../model/errors";
import { controlPlane, injectionNamespaces } from "../model/revisions";
import { validateConfig } from "../model/validate";
import { onPrem } from "./fixtures/on-prem";

const STACK = { organization: "organization", project: "mesh", stack: "wuxi" };
const canary = () => ({
  installed: { default: "1.30.3", "1-31-0": "1.31.0" },
  tags: { "prod-stable": "default", "prod-canary": "1-31-0" },
  namespaces: { dev: "prod-canary" },
  gateway: "default",
  defaultRevision: "default",
});
function validate(change: (m: Record<string, any>) => void) {
  const mesh = onPrem();
  mesh.istio = { version: "1.31.0" };
  mesh.services = [{ name: "helloworld", namespace: "dev", ports: [{ name: "http", port: 5000 }] }];
  mesh.revisions = canary();
  change(mesh);
  return validateConfig({ stack: STACK, mesh, secretKeys: ["cluster", "trust"] });
}
function issues(change: (m: Record<string, any>) => void): string[] {
  try {
    validate(change);
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.issues.map((i: ConfigIssue) => `${i.path}: ${i.message} | ${i.fix}`);
  }
}

describe("mesh:revisions", () => {
  it("two revisions, two tags: each namespace labelled with its tag, the gateway on its revision, istio-base at the newest", () => {
    const m = validate(() => {});
    const cp = controlPlane(m);
    assert.deepEqual(
      cp.revisions.map((r) => [r.name, r.chartRevision, r.version]),
      [
        ["default", "", "1.30.3"],
        ["1-31-0", "1-31-0", "1.31.0"],
      ],
    );
    assert.deepEqual(injectionNamespaces(cp), [{ name: "dev", labels: { "istio.io/rev": "prod-canary" } }]);
    assert.deepEqual(cp.namespaces[0], {
      namespace: "dev",
      label: { key: "istio.io/rev", value: "prod-canary" },
      revision: "1-31-0",
      tag: "prod-canary",
    });
    assert.deepEqual(cp.gateway, { chartRevision: "", revision: "default" });
    assert.equal(cp.baseDefaultRevision, undefined);
  });

  it("without mesh:revisions, mesh:istio.revision still labels namespaces istio.io/rev and names istiod-<revision>", () => {
    const cp = controlPlane(
      validate((m) => {
        delete m.revisions;
        m.istio = { version: "1.30.3", revision: "1-30-3" };
      }),
    );
    assert.deepEqual(
      cp.revisions.map((r) => [r.name, r.chartRevision, r.version]),
      [["1-30-3", "1-30-3", "1.30.3"]],
    );
    assert.deepEqual(injectionNamespaces(cp), [{ name: "dev", labels: { "istio.io/rev": "1-30-3" } }]);
    assert.equal(cp.baseDefaultRevision, "1-30-3");
  });

  it("reports every problem at once, each with its path and fix", () => {
    assert.deepEqual(
      issues((m) => {
        m.istio = { version: "1.30.3", revision: "x", tag: "custom" };
        m.revisions = {
          installed: { default: "1.30.3", "1-31-0": "1.31.0", "1-33-0": "1.33.0" },
          tags: { "prod-stable": "gone", default: "default", "1-31-0": "1-31-0" },
          namespaces: { other: "prod-stable" },
          gateway: "nowhere",
          defaultRevision: "gone",
        };
      }),
      [
        "mesh:istio.revision: set together with mesh:revisions | remove it: mesh:revisions.installed names the revisions",
        "mesh:istio.tag: set together with mesh:revisions | remove it: each revision's images are tagged with its version",
        'mesh:revisions.tags["prod-stable"]: points at revision gone, which is not installed (installed: default, 1-31-0, 1-33-0): namespaces labelled istio.io/rev=prod-stable would get no sidecar | point it at an installed revision, or keep gone installed until nothing uses it',
        'mesh:revisions.tags["1-31-0"]: a tag with the name of an installed revision: both webhooks would inject the same pods | rename the tag',
        "mesh:revisions.tags.default: the default tag beside the default (unrevisioned) istiod: both inject istio.io/rev=default | remove the default tag while the default revision is installed",
        "mesh:revisions.namespaces.dev: a catalog namespace without its tag | add dev: <tag> (e.g. prod-stable), so its injection is explicit",
        "mesh:revisions.namespaces.other: not a namespace of mesh:services | remove it, or add a service in other",
        "mesh:revisions.gateway: names nowhere, neither a tag nor an installed revision (installed: default, 1-31-0, 1-33-0) | name the tag or revision the gateway follows",
        "mesh:revisions.defaultRevision: revision gone is not installed (installed: default, 1-31-0, 1-33-0): nothing would validate Istio resources | name an installed revision",
        "mesh:revisions.installed: 3 revisions: an upgrade runs at most two side by side | remove the old revision before adding another",
        "mesh:revisions.installed: revisions 1.30.3, 1.31.0, 1.33.0 are more than two minors apart: Istio supports a canary upgrade across at most two minors | upgrade in steps of at most two minors (mesh upgrade --to)",
        'mesh:istio.version: 1.30.3, but the newest revision is 1.33.0: istio-base (the CRDs) must be at the newest installed revision | set it to "1.33.0"',
      ],
    );
  });

  // a canary may span two minors (istio.io docs/setup/upgrade/canary: "jumping across two minor versions is
  // supported"): each proxy talks to the istiod of its own revision, so no control/data plane skew applies
  it("accepts two revisions two minors apart, refuses three minors apart", () => {
    const two = (newer: string) =>
      issues((m) => {
        m.istio = { version: newer };
        m.revisions.installed = { default: "1.30.3", [newer.replace(/\./g, "-")]: newer };
        m.revisions.tags = { "prod-stable": "default", "prod-canary": newer.replace(/\./g, "-") };
      });
    assert.deepEqual(two("1.32.0"), []);
    assert.deepEqual(
      two("1.33.0").map((i) => i.split(" | ")[0]),
      [
        "mesh:revisions.installed: revisions 1.30.3, 1.33.0 are more than two minors apart: Istio supports a canary upgrade across at most two minors",
      ],
    );
  });

  // the unrevisioned istiod's injector (istio-discovery templates/mutatingwebhook.yaml) or a default tag
  // (templates/revision-tags-mwc.yaml) is the only thing that injects the default selectors
  it("refuses revisions with neither the default revision nor a default tag: istio-injection=enabled would inject nothing", () => {
    const noDefault = (tags: Record<string, string>) =>
      issues((m) => {
        m.revisions = {
          ...canary(),
          installed: { "1-31-0": "1.31.0" },
          tags,
          namespaces: { dev: "prod-stable" },
          gateway: "1-31-0",
          defaultRevision: "1-31-0",
        };
      });
    assert.deepEqual(noDefault({ "prod-stable": "1-31-0" }), [
      "mesh:revisions.tags: no default revision and no default tag: namespaces labelled istio-injection=enabled and pods labelled sidecar.istio.io/inject=true would get no sidecar | add default: <revision> (e.g. default: 1-31-0), as istioctl tag set default does",
    ]);
    assert.deepEqual(noDefault({ "prod-stable": "1-31-0", default: "1-31-0" }), []);
  });

  it("refuses an empty installed list and a malformed version", () => {
    assert.deepEqual(
      issues((m) => (m.revisions.installed = {})).map((i) => i.split(" | ")[0]),
      ["mesh:revisions.installed: no revision installed"],
    );
    assert.deepEqual(
      issues((m) => (m.revisions.installed["1-31-0"] = "1.31")),
      ['mesh:revisions.installed["1-31-0"]: not an Istio release version | pin an exact release, e.g. "1.31.0" (no ranges, no "v")'],
    );
  });
});
