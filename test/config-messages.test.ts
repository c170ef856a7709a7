/** The exact words of a config problem zod finds: what was given, what is wanted, and the edit that fixes it. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, type ConfigIssue } from "../model/errors";
import { validateConfig } from "../model/validate";
import { onPrem } from "./fixtures/on-prem";

const STACK = { organization: "organization", project: "mesh", stack: "wuxi" };

function report(change: (m: Record<string, any>) => void, secretKeys: string[] = []): ConfigError {
  const m = onPrem();
  change(m);
  try {
    validateConfig({ stack: STACK, mesh: m, secretKeys });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail("expected a ConfigError");
}
const issuesOf = (change: (m: Record<string, any>) => void, secretKeys?: string[]): ConfigIssue[] => [...report(change, secretKeys).issues];

const CASES: { name: string; change: (m: Record<string, any>) => void; issues: ConfigIssue[]; secretKeys?: string[] }[] = [
  {
    name: "a misspelt key: the missing one is required, the unknown one a typo",
    change: (m) => {
      m.cluster.nmae = m.cluster.name;
      delete m.cluster.name;
    },
    issues: [
      { path: "mesh:cluster.name", message: "required", fix: "set mesh:cluster.name (a string)" },
      { path: "mesh:cluster.nmae", message: "unknown key", fix: "did you mean name?" },
    ],
  },
  {
    name: "a whole number in quotes",
    change: (m) => (m.cluster.readerTokenGeneration = "2"),
    // the cluster key is a secret, yet a quoted number is no credential and says what to write
    secretKeys: ["cluster"],
    issues: [{ path: "mesh:cluster.readerTokenGeneration", message: 'a whole number, not the string "2"', fix: "write 2 without quotes" }],
  },
  {
    name: "a fraction where a whole number goes",
    change: (m) => (m.cluster.readerTokenGeneration = 1.5),
    issues: [{ path: "mesh:cluster.readerTokenGeneration", message: "a whole number, not 1.5", fix: "write an integer" }],
  },
  {
    name: "an empty value",
    change: (m) => (m.eastWestGateway.replicas = null),
    issues: [
      {
        path: "mesh:eastWestGateway.replicas",
        message: "a whole number, not an empty value",
        fix: "set mesh:eastWestGateway.replicas (a whole number)",
      },
    ],
  },
  {
    name: "a version YAML read as a number",
    change: (m) => (m.istio.version = 1.3),
    issues: [{ path: "mesh:istio.version", message: "a string, not 1.3", fix: "write it in quotes" }],
  },
  {
    name: "a missing version",
    change: (m) => delete m.istio.version,
    issues: [{ path: "mesh:istio.version", message: "required", fix: 'pin the Istio version, e.g. "1.30.3"' }],
  },
  {
    name: "a string where a list goes, and a missing name",
    change: (m) => (m.services = [{ namespace: "dev", ports: "http" }]),
    issues: [
      { path: "mesh:services[0].name", message: "required", fix: "set mesh:services[0].name (a string)" },
      { path: "mesh:services[0].ports", message: 'a list, not the string "http"', fix: "write a list" },
    ],
  },
  {
    name: "a value not among the choices",
    change: (m) => (m.eastWestGateway.service.type = "Nodeport"),
    issues: [
      {
        path: "mesh:eastWestGateway.service.type",
        message: 'the string "Nodeport" is not one of "LoadBalancer", "NodePort"',
        fix: 'use one of "LoadBalancer", "NodePort"',
      },
    ],
  },
  {
    name: "a secret key's string is not echoed",
    change: (m) => (m.cluster.kubeContext = ["s3cret-context"]),
    secretKeys: ["cluster"],
    issues: [{ path: "mesh:cluster.kubeContext", message: "a string, not a list", fix: "write a string" }],
  },
  {
    name: "a bad duration is reported once, not also as shorter than 1ms",
    change: (m) => (m.services[0].outlierDetection = { interval: "10x" }),
    issues: [{ path: "mesh:services[0].outlierDetection.interval", message: "not a duration", fix: "write e.g. 1s, 500ms or 1m" }],
  },
];

describe("config problem messages", () => {
  for (const c of CASES) {
    it(`reports ${c.name}`, () => assert.deepEqual(issuesOf(c.change, c.secretKeys), c.issues));
  }

  it("no zod wording reaches a report", () => {
    for (const c of CASES) {
      for (const i of issuesOf(c.change, c.secretKeys))
        assert.doesNotMatch(`${i.message} ${i.fix}`, /Invalid|expected \w+, received|set it \(a /);
    }
  });

  it("the sample in docs/configuration.md is what the program prints", () => {
    const docs = readFileSync(join(__dirname, "../docs/configuration.md"), "utf8");
    const sample = /```\n(\d+ configuration problems;[\s\S]*?)\n```/.exec(docs)![1]!;
    const e = report((m) => {
      m.cluster.name = "Wuxi_1";
      m.cluster.nmae = "wuxi";
      m.eastWestGateway.service.nodePorts = { tls: 80 };
    });
    assert.equal(e.message, sample);
  });
});
