/**
 * README.md is the entry and docs/ the reference: every relative link and #anchor in them resolves to a
 * file and a heading (GitHub's slugs), every page of docs/ is reachable from README, and README stays small
 * enough to read as an entry.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, it } from "node:test";
import { PROJECT_DIR } from "../tools/mock-run";

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
