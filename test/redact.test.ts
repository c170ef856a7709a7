/**
 * The redactor, one row per form a secret takes in what the engine or the CLI prints: each row's input
 * and the exact text a client may see.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Jobs } from "../automation/jobs";
import { credentialValues, Redactor } from "../automation/redact";
import { MeshError, type JobKind, type JobRecord } from "../automation/types";
import type { StackEngine } from "../automation/engine";

const KNOWN = 'hunter2-Passphrase/+=&"x';

const rows: [string, string, string][] = [
  ["access_token= in a query", "GET /x?access_token=abc123def&page=2", "GET /x?access_token=[secret]&page=2"],
  ["a camelCase JSON key", '{"accessToken": "abc 123", "user": "dana"}', '{"accessToken": "[secret]", "user": "dana"}'],
  ["client_secret=", "client_secret=s3kr1tvalue scope=all", "client_secret=[secret] scope=all"],
  ["AccessKeySecret:", "AccessKeySecret: Zm9vYmFyYmF6cXV4", "AccessKeySecret: [secret]"],
  ["ALICLOUD_SECRET_KEY=", "export ALICLOUD_SECRET_KEY=Zm9vYmFyYmF6cXV4", "export ALICLOUD_SECRET_KEY=[secret]"],
  ["X-Api-Key:", "X-Api-Key: 0123456789abcdef", "X-Api-Key: [secret]"],
  ["Authorization: token", "Authorization: token ghp_0123456789abcdef", "Authorization: token [secret]"],
  ["authorization in lower case, bare", "authorization=abcdef0123456789", "authorization=[secret]"],
  ["an Alibaba Cloud AccessKey id", "AccessKeyId LTAI5tAbCdEfGh1234567890 is not allowed", "AccessKeyId [secret] is not allowed"],
  ["a single-quoted password", "password: 'a b c'", "password: '[secret]'"],
  ["a known value", `passphrase was ${KNOWN}.`, "passphrase was [secret]."],
  ["a known value URL-escaped", `url ?p=${encodeURIComponent(KNOWN)} end`, "url ?p=[secret] end"],
  ["a known value JSON-escaped", `{"v":${JSON.stringify(KNOWN)}}`, '{"v":"[secret]"}'],
  ["a known value base64", `data ${Buffer.from(KNOWN).toString("base64")} end`, "data [secret] end"],
];

describe("redaction", () => {
  const r = new Redactor([KNOWN]);
  for (const [what, input, expected] of rows) {
    it(`removes ${what}`, () => assert.equal(r.redact(input), expected));
  }

  it("removes a known value base64-encoded inside a longer text, at every byte alignment", () => {
    for (const prefix of ["", "a", "ab", "abc"]) {
      const b64 = Buffer.from(`${prefix}apiVersion: v1\npassword ${KNOWN}\nkind: Config`).toString("base64");
      const out = r.redact(`kubeconfig: ${b64}`);
      const kept = out.replace(/^kubeconfig: /, "").split("[secret]");
      assert.ok(kept.length >= 2, `${prefix}: ${out}`);
      // what is left decodes to no more than 2 bytes of the secret at each edge
      assert.ok(!Buffer.from(kept.join(""), "base64").toString("latin1").includes(KNOWN.slice(2, -2)), out);
    }
  });

  it("leaves text that carries no secret alone", () => {
    const text = "the token is not valid; pulumi up -s wuxi, then 3 resources created";
    assert.equal(r.redact(text), text);
  });
});

const PEM_KEY =
  "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CupfmDfJgtTkrOPQsoAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n";
const KUBECONFIG = `apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-key-data: ${Buffer.from(PEM_KEY).toString("base64")}\n`;

describe("redaction of encoded and bare credentials", () => {
  const r = new Redactor();
  const cases: [string, string, string][] = [
    ["a PEM key as base64", `key ${Buffer.from(PEM_KEY).toString("base64")} end`, "key [secret] end"],
    ["a kubeconfig as base64", `kubeconfig=${Buffer.from(KUBECONFIG).toString("base64")}`, "kubeconfig=[secret]"],
    ["a kubeconfig as URL-safe base64", `data: ${Buffer.from(KUBECONFIG).toString("base64url")} end`, "data: [secret] end"],
    [
      "a registry config's auth",
      '{"auths":{"harbor.wuxi.internal":{"auth":"cm9ib3QkbWVzaDpzM2NyM3Q="}}}',
      '{"auths":{"harbor.wuxi.internal":{"auth":"[secret]"}}}',
    ],
    ["a bare GitHub token", "pushed with ghp_0123456789abcdefghijABCDEFGHIJ012345 today", "pushed with [secret] today"],
    [
      "a fine-grained GitHub token",
      "github_pat_11AAAAAAA0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWX",
      "[secret]",
    ],
    ["an AWS access key id", "key AKIAIOSFODNN7EXAMPLE denied", "key [secret] denied"],
    ["a Google API key", "AIzaSyA1234567890abcdefghijklmnopqrstuv", "[secret]"],
    [
      "--password X",
      "helm registry login --username robot --password s3cr3t-pull harbor.wuxi.internal",
      "helm registry login --username robot --password [secret] harbor.wuxi.internal",
    ],
    ["--token 'X'", "kubectl --token 'abc def' get pods", "kubectl --token '[secret]' get pods"],
    ["a password in a settings line", "password: letmein", "password: [secret]"],
  ];
  for (const [what, input, expected] of cases) it(`removes ${what}`, () => assert.equal(r.redact(input), expected));

  it("leaves the product's own words about credentials as they are", () => {
    for (const text of [
      "cn-shanghai: no credentials: its kubeconfig output could not be read (the pulumi CLI is not installed)",
      "cn-shanghai: its kubeconfig output is refused: user admin has exec, which runs a command on the host that loads it; a kubeconfig read from a stack output may carry only a bearer token or a client certificate",
      "re-export it with a token or client certificate, or pass --kubeconfig cn-shanghai=<file> (a kubeconfig file of your own may use exec plugins)",
      "the reader token Secret of wuxi has no token yet: the service-account token controller has not filled it; run the update again",
      "store it as a secret: pulumi config set --secret --path 'mesh:cluster.kubeconfig' < kubeconfig.yaml",
      'secret HELM_REGISTRY_AUTH is not a Helm registry config (JSON with "auths"): docs/pull-requests.md says how to make one',
      "istio-remote-secret-wuxi exists but has no data key named wuxi",
      "root fingerprint sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 differs",
      "the authority of the certificate-authority is unknown; the author is dana",
    ])
      assert.equal(r.redact(text), text);
  });

  it("redacts values learnt while a job runs, in every encoded form", () => {
    const late = new Redactor(["known-passphrase"]);
    late.add(["sh7f3k9q2m5x8v1c4b6n0z"]);
    assert.equal(late.redact("token sh7f3k9q2m5x8v1c4b6n0z and known-passphrase"), "token [secret] and [secret]");
    assert.equal(late.redact(`b64 ${Buffer.from("sh7f3k9q2m5x8v1c4b6n0z").toString("base64")}`), "b64 [secret]");
  });

  it("takes a job's credentials from the environment by name, not flags or paths", () => {
    assert.deepEqual(
      credentialValues({
        ALICLOUD_SECRET_KEY: "alicloud-secret-value",
        AWS_SESSION_TOKEN: "aws-session-token-value",
        PULUMI_CONFIG_PASSPHRASE_FILE: "/run/secrets/passphrase",
        MESH_DISABLE_TOKEN_CHECK: "true",
        HOME: "/root",
      }),
      ["alicloud-secret-value", "aws-session-token-value"],
    );
  });
});

describe("a failed job's error", () => {
  it("is redacted in its message and in its report", async () => {
    const engine: StackEngine = {
      secretValues: ["the-known-passphrase"],
      run: (_s: string, _k: JobKind) =>
        Promise.reject(
          new MeshError("config_invalid", "invalid: the-known-passphrase", {
            report: "1 configuration problem; nothing was deployed:\n  - client_secret=abcdef123 is the-known-passphrase",
          }),
        ),
      outputs: () => Promise.resolve({}),
      history: () => Promise.resolve([]),
      ensureStacks: () => Promise.resolve([]),
      cancel: () => Promise.resolve(),
    };
    const jobs = new Jobs({ engine });
    const done: JobRecord = await jobs.wait((await jobs.submit({ stack: "wuxi", kind: "up", requestedBy: "t" })).id);
    assert.deepEqual(done.error, {
      code: "config_invalid",
      message: "invalid: [secret]",
      report: "1 configuration problem; nothing was deployed:\n  - client_secret=[secret] is [secret]",
    });
    const text = JSON.stringify(jobs.events(done.id));
    assert.ok(!text.includes("the-known-passphrase") && !text.includes("abcdef123"), text);
  });
});
