/**
 * The redactor, one row per form a secret takes in what the engine or the CLI prints: each row's input
 * and the exact text a client may see.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Jobs } from "../automation/jobs";
import { Redactor } from "../automation/redact";
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
