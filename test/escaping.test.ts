/**
 * Stack-file keys and values are someone else's text. In the plan they are held to Kubernetes' rules for
 * label and annotation keys and values; wherever they are printed they are escaped for the place they
 * land: a terminal gets no control character (no OSC 52 to the clipboard, no carriage return over an
 * ERROR line), and the pull-request comment — rendered here by a real CommonMark parser with GitHub's
 * tables and autolinks — gets no HTML, link, image, mention or broken table from them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import MarkdownIt from "markdown-it";
import { runPlan } from "../cli/plan";
import { escapeControls, jsonText, terminalText } from "../model/escape";
import { fromYaml, toYaml } from "../model/yaml";
import { composeComment, COMMENT_MARKER, reviewedSummaries, summarizePreview } from "../plan/comment";
import { diffMesh } from "../plan/diff";
import { renderDiffMarkdown, renderDiffText } from "../plan/diff-render";
import { mdCode, mdText } from "../plan/markdown";
import type { MeshPlan } from "../plan/plan";
import { readProject } from "../plan/stack-files";
import { renderVerifyMarkdown, renderVerifyText } from "../verify/report";
import type { VerifyReport } from "../verify/types";
import { PROJECT_DIR } from "../tools/engine/project-dir";

/** A copy of the project whose wuxi stack file `edit` changes, as parsed YAML. */
function project(edit: (config: Record<string, any>) => void = () => undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-escape-"));
  for (const f of ["Pulumi.yaml", "Pulumi.cn-shanghai.yaml"]) writeFileSync(join(dir, f), readFileSync(join(PROJECT_DIR, f)));
  const wuxi = fromYaml(readFileSync(join(PROJECT_DIR, "Pulumi.wuxi.yaml"), "utf8")) as { config: Record<string, any> };
  edit(wuxi.config);
  writeFileSync(join(dir, "Pulumi.wuxi.yaml"), toYaml(wuxi));
  return dir;
}
const planJson = (dir: string): MeshPlan => {
  let out = "";
  runPlan({ dir, format: "json" }, (s) => (out += s));
  return JSON.parse(out) as MeshPlan;
};

/** Raw control characters but the line break (and, in the comment, the tab), as a terminal or a renderer would act on them. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = new RegExp("[\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]");
const OSC52 = "\u001b]52;c;ZWNobyBwd25lZA==\u0007";
const HIDE = "x\n\n<!-- ";
const HOSTILE_VALUE =
  "[click](https://evil.example/login) ![img](https://evil.example/p.png) @platform-team #12 https://evil.example <b>bold</b> | cell";

describe("label and annotation keys and values, by Kubernetes' rules, in the plan", () => {
  it("refuses an annotation key, a node selector and chart-value labels the API server would refuse, each at its path with the fix", () => {
    const dir = project((c) => {
      c["mesh:eastWestGateway"].service.annotations = { [HIDE]: "v", "service.beta.kubernetes.io/ok": "v" };
      c["mesh:eastWestGateway"].service.nodeSelector = { "kubernetes.io/hostname": "a b" };
      c["mesh:istio"].values = {
        gateway: { annotations: { "two/slashes/here": "v" } },
        istiod: { podLabels: { app: "x".repeat(64) }, deploymentLabels: { [`${"p".repeat(254)}/name`]: "v" } },
      };
    });
    const found = planJson(dir)
      .findings.filter((f) => f.stack === "wuxi" && f.severity === "error")
      .map((f) => [f.path, f.message, f.fix]);
    assert.deepEqual(
      found,
      [
        [
          'mesh:eastWestGateway.service.annotations["x\\n\\n<!-- "]',
          "not a valid annotation key (it has a name that is not letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
          "use e.g. service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec",
        ],
        [
          'mesh:eastWestGateway.service.nodeSelector["kubernetes.io/hostname"]',
          "node selector value is not a valid Kubernetes label value",
          "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
        ],
        [
          "mesh:istio.values.istiod.podLabels.app",
          "not a valid label value (it is longer than 63 characters)",
          "use at most 63 letters, digits, '-', '_' and '.'",
        ],
        [
          `mesh:istio.values.istiod.deploymentLabels["${"p".repeat(254)}/name"]`,
          "not a valid label key (it has a prefix longer than 253 characters)",
          "use [prefix/]name, e.g. app.kubernetes.io/name",
        ],
        [
          'mesh:istio.values.gateway.annotations["two/slashes/here"]',
          "not a valid annotation key (it has more than one '/': write [prefix/]name)",
          "use [prefix/]name, e.g. app.kubernetes.io/name",
        ],
      ].sort((a, b) => found.findIndex((f) => f[0] === a[0]) - found.findIndex((f) => f[0] === b[0])),
    );
  });

  it("refuses annotations over the API server's 256 KiB", () => {
    const dir = project((c) => (c["mesh:eastWestGateway"].service.annotations = { "a/b": "x".repeat(256 * 1024) }));
    assert.deepEqual(
      planJson(dir)
        .findings.filter((f) => f.stack === "wuxi" && f.severity === "error")
        .map((f) => [f.path, f.message]),
      [["mesh:eastWestGateway.service.annotations", "larger than 262144 bytes together, which the API server refuses"]],
    );
  });
});

describe("the pull-request comment, rendered as GitHub renders it", () => {
  const md = new MarkdownIt({ html: true, linkify: true });
  // a key the model does not hold to label rules (proxy environment) and values of every kind
  const head = project((c) => {
    c["mesh:eastWestGateway"].service.annotations = { "example.com/note": HOSTILE_VALUE };
    c["mesh:istio"].values = {
      istiod: { meshConfig: { defaultConfig: { proxyMetadata: { [`${HIDE}${OSC52}`]: `v\r${OSC52}` } } } },
    };
  });
  const d = diffMesh(readProject(PROJECT_DIR), readProject(head), "base");
  const previews = { wuxi: summarizePreview(JSON.stringify({ changeSummary: { update: 1 } })), "cn-shanghai": summarizePreview("{}") };
  const comment = composeComment(previews, renderDiffMarkdown(d));
  const html = md.render(comment);

  it("keeps the changed keys and values visible, as text", () => {
    assert.match(html, /proxyMetadata/);
    assert.match(html, /evil\.example\/login/);
    assert.ok(html.includes("\\u001b]52;c;"), "the escape is shown, not sent");
  });

  it("opens no HTML comment, tag, link or image from them; its own two markers are the only comments", () => {
    // in the comment's text the key's `<!--` is inside a code span; rendered, only the two markers are comments
    assert.equal(html.split("<!--").length - 1, 2, html);
    assert.ok(comment.startsWith(`${COMMENT_MARKER}\n`));
    assert.doesNotMatch(html, /<a href="https:\/\/evil|<img|<b>bold/);
    // GitHub makes no mention inside code
    assert.doesNotMatch(html.replace(/<code>[\s\S]*?<\/code>/g, ""), /@platform-team/, "a mention would ping the team");
    assert.match(html, /<code>[^<]*@platform-team/);
    assert.doesNotMatch(comment, RAW_CONTROL, "no raw control character");
  });

  it("every row of every table has its columns: no value ends a row or adds a cell", () => {
    const tables = [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((m) => m[1]!);
    assert.ok(tables.length >= 3, html);
    for (const t of tables) {
      const rows = [...t.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => (m[1]!.match(/<t[hd]\b/g) ?? []).length);
      assert.equal(new Set(rows).size, 1, t);
    }
    // the wuxi section and what follows it are still there
    assert.match(html, /<summary>wuxi: \d+ items? changed/);
    assert.deepEqual(reviewedSummaries(comment), previews);
  });

  it("escapes a code span, prose and a heading for where each lands", () => {
    assert.equal(mdCode("a`b|c\n"), "``a`b\\|c\\u000a``");
    assert.equal(mdCode("`x`"), "`` `x` ``");
    assert.equal(
      mdText("see `mesh:x` and [a](https://e.example) @team #3 <!--"),
      "see `mesh:x` and \\[a\\](https:&#8203;//e.example) @&#8203;team #&#8203;3 &lt;\\!--",
    );
    assert.equal(md.renderInline(mdText("@team [a](https://e.example)")), "@\u200bteam [a](https:\u200b//e.example)");
  });
});

describe("terminal text", () => {
  it("mesh plan's text and diff print no control character of a stack file: OSC 52 and a carriage return are shown escaped", () => {
    const proxy = (m: Record<string, string>) => (c: Record<string, any>) => {
      c["mesh:istio"].values = { istiod: { meshConfig: { defaultConfig: { proxyMetadata: m } } } };
    };
    const base = project(proxy({ A: "1" }));
    const dir = project(proxy({ A: "1", [`K${OSC52}\rERROR`]: `v\r${OSC52}ERROR` }));
    const d = renderDiffText(diffMesh(readProject(base), readProject(dir), "base"));
    // the key is one path segment, its control characters shown
    assert.ok(d.includes('proxyMetadata["K\\u001b]52;c;ZWNobyBwd25lZA==\\u0007\\rERROR"]'), d);
    assert.doesNotMatch(d, RAW_CONTROL);
    assert.ok(d.includes("\\u001b]52;c;ZWNobyBwd25lZA==\\u0007"), d);
    let text = "";
    runPlan({ dir, format: "text" }, (s) => (text += s));
    assert.doesNotMatch(text, RAW_CONTROL);
  });

  it("one function escapes C0, DEL, C1 and the bidi overrides, keeping only the renderer's own line breaks", () => {
    assert.equal(terminalText("a\u001b[2Jb\r\n\u009b31m\u202eevil\u2066"), "a\\u001b[2Jb\\u000d\n\\u009b31m\\u202eevil\\u2066");
    assert.equal(escapeControls("a\nb\tc"), "a\\u000ab\\u0009c");
    assert.equal(JSON.parse(jsonText({ k: "\u009b\u007f" })).k, "\u009b\u007f");
    assert.doesNotMatch(jsonText({ k: "\u009b\u007f\u202e" }), /[\u007f-\u009f\u202e]/);
  });

  it("verify's report escapes what an API server says, in text and in Markdown", () => {
    const report: VerifyReport = {
      schemaVersion: 1,
      clusters: [
        {
          stack: "wuxi",
          cluster: "wuxi",
          reachable: true,
          requests: 1,
          checks: [
            {
              code: "MV0001",
              category: "cluster",
              cluster: "wuxi",
              name: "Kubernetes API",
              result: "error",
              detail: `forbidden: ${OSC52}\r${HOSTILE_VALUE}`,
            },
          ],
        },
      ],
      routing: [],
      summary: { passed: 0, failed: 0, warnings: 0, errors: 1 },
      exitCode: 2,
    };
    assert.doesNotMatch(renderVerifyText(report), RAW_CONTROL);
    const html = new MarkdownIt({ html: true, linkify: true }).render(renderVerifyMarkdown(report));
    assert.doesNotMatch(html, /<a href|<img|<b>/);
  });
});
