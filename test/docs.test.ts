/**
 * README.md is the entry and docs/ the reference: every relative link and #anchor in them resolves to a
 * file and a heading (GitHub's slugs), every page of docs/ is reachable from README, and README stays small
 * enough to read as an entry; every TypeScript snippet type-checks against the project, as if it were a
 * file in the project's folder.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { PROJECT_DIR } from "../tools/engine/project-dir";
import { planDiagram, UPDATE_DOCS, withDiagram } from "../tools/docs/readme-diagram";

const pages = ["README.md", ...readdirSync(join(PROJECT_DIR, "docs")).map((f) => join("docs", f))].filter((f) => f.endsWith(".md"));

/** GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens, repeats numbered; explicit `<a id>`s too. */
export function anchorsOf(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  let fence = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fence = !fence;
    if (fence) continue;
    for (const m of line.matchAll(/<a id="([^"]+)"><\/a>/g)) ids.add(m[1]!);
    const h = /^#{1,6} (.*)$/.exec(line);
    if (!h) continue;
    const slug = h[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    ids.add(n ? `${slug}-${n}` : slug);
  }
  return ids;
}

/** Links outside code: `[text](target)` whose target is not a URL. */
function linksOf(markdown: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fence = !fence;
    if (fence) continue;
    for (const m of line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) if (!/^[a-z]+:/.test(m[1]!)) out.push(m[1]!);
  }
  return out;
}

describe("README and docs/", () => {
  it("every relative link names a file of the repository, and every #anchor a heading in it", () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const link of linksOf(readFileSync(join(PROJECT_DIR, page), "utf8"))) {
        const [file, anchor] = link.split("#") as [string, string | undefined];
        const target = file === "" ? page : relative(PROJECT_DIR, join(PROJECT_DIR, dirname(page), file));
        if (!existsSync(join(PROJECT_DIR, target))) broken.push(`${page}: ${link} (no file ${target})`);
        else if (
          anchor &&
          statSync(join(PROJECT_DIR, target)).isFile() &&
          !anchorsOf(readFileSync(join(PROJECT_DIR, target), "utf8")).has(anchor)
        )
          broken.push(`${page}: ${link} (no heading #${anchor} in ${target})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it("README links every page of docs/", () => {
    const linked = new Set(linksOf(readFileSync(join(PROJECT_DIR, "README.md"), "utf8")).map((l) => l.split("#")[0]));
    assert.deepEqual(
      pages.filter((p) => p !== "README.md" && !linked.has(p)),
      [],
    );
  });

  it("README stays an entry: under 20 KB, leading with the test command and the plan", () => {
    const readme = readFileSync(join(PROJECT_DIR, "README.md"), "utf8");
    assert.ok(Buffer.byteLength(readme) < 20 * 1024, `README.md is ${Buffer.byteLength(readme)} bytes`);
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    assert.match(firstBlock, /^npm ci && npm test\b/m);
    assert.match(firstBlock, /^npm run plan\b/m);
    // the command line shows in the first screen, as a clone runs it, however many clusters the diagram below draws
    const firstScreen = readme.split("\n").slice(0, 50).join("\n");
    assert.match(firstScreen, /^npx mesh \S+/m);
    assert.ok(readme.indexOf("\nnpx mesh ") < readme.indexOf("```mermaid"), "the commands come before the picture");
  });

  it("README's diagram is the mesh the repository's stack files describe, as mesh plan draws it", () => {
    const { diagram, errors } = planDiagram(PROJECT_DIR);
    assert.deepEqual(errors, [], "the repository's stack files plan without errors (npm run plan)");
    const readme = readFileSync(join(PROJECT_DIR, "README.md"), "utf8");
    assert.ok(readme.includes(diagram!), `README.md's diagram does not show the stack files: run ${UPDATE_DOCS}`);
  });

  it("update-docs replaces the diagram and nothing else", () => {
    const readme = "# mesh\n\n```sh\nnpm test\n```\n\n```mermaid\nflowchart LR\n  a --> b\n```\n\nmore\n";
    assert.equal(withDiagram(readme, "```mermaid\nflowchart LR\n  c --> d\n```"), readme.replace("a --> b", "c --> d"));
    assert.throws(() => withDiagram("# no diagram\n", "```mermaid\n```"), /no ```mermaid block/);
  });

  it("slugs as GitHub makes them", () => {
    assert.deepEqual(
      [
        ...anchorsOf(
          "# The portal's HTTP API\n## `mesh plan`: the whole mesh, offline\n## Speed and scale\n## Speed and scale\n```\n# not a heading\n```\n",
        ),
      ],
      ["the-portals-http-api", "mesh-plan-the-whole-mesh-offline", "speed-and-scale", "speed-and-scale-1"],
    );
  });
});

/** The ```ts blocks of a page, with the line each starts on. */
function tsSnippets(text: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```ts") continue;
    const end = lines.indexOf("```", i + 1);
    out.push({ line: i + 1, code: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return out;
}

describe("TypeScript in the docs", () => {
  it("every ```ts snippet compiles with the project's tsconfig (strict, no unused names)", () => {
    const snippets = pages.flatMap((page) =>
      tsSnippets(readFileSync(join(PROJECT_DIR, page), "utf8")).map((s, i) => ({
        ...s,
        page,
        file: join(PROJECT_DIR, `.docs-snippet-${page.replace(/\W/g, "-")}-${i}.ts`),
      })),
    );
    assert.ok(
      snippets.some((s) => s.page === "docs/cli.md"),
      "docs/cli.md's embedding snippet is found",
    );
    const config = ts.getParsedCommandLineOfConfigFile(
      join(PROJECT_DIR, "tsconfig.json"),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
      },
    )!;
    const host = ts.createCompilerHost(config.options);
    const virtual = new Map(snippets.map((s) => [s.file, s.code]));
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, onError) =>
      virtual.has(name) ? ts.createSourceFile(name, virtual.get(name)!, lang) : getSourceFile(name, lang, onError);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => virtual.has(name) || fileExists(name);
    const program = ts.createProgram({ rootNames: [...virtual.keys()], options: { ...config.options, noEmit: true }, host });
    const problems = snippets.flatMap((s) =>
      ts.getPreEmitDiagnostics(program, program.getSourceFile(s.file)).map((d) => {
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
        return `${s.page}:${s.line + 1 + at}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
      }),
    );
    assert.deepEqual(problems, []);
  });
});
