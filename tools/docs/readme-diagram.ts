/**
 * README.md shows the mesh the repository's stack files describe, as `mesh plan --format markdown` draws
 * it. After a stack file is added or changed, `npm run update-docs` redraws it; docs.test.ts fails, naming
 * that command, while the two differ.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planMesh } from "../../plan/plan";
import { renderMarkdown } from "../../plan/render";
import { readProject } from "../../plan/stack-files";

export const UPDATE_DOCS = "npm run update-docs";
const MERMAID = /```mermaid\n[\s\S]*?\n```/;

/** The Mermaid diagram `mesh plan` draws for the project in `dir`; undefined when its plan has errors. */
export function planDiagram(dir: string): { diagram?: string; errors: readonly string[] } {
  const plan = planMesh(readProject(dir));
  const errors = plan.findings.filter((f) => f.severity === "error").map((f) => `${f.stack} ${f.path}: ${f.message}`);
  if (errors.length > 0) return { errors };
  return { diagram: MERMAID.exec(renderMarkdown(plan))![0], errors };
}

/** README's text with its (first) Mermaid diagram replaced by `diagram`. */
export function withDiagram(readme: string, diagram: string): string {
  if (!MERMAID.test(readme)) throw new Error("README.md has no ```mermaid block to replace");
  return readme.replace(MERMAID, () => diagram);
}

/** `npm run update-docs`: redraws README.md's diagram from the stack files in `dir`; exit 1 if the plan has errors. */
export function updateDocs(dir: string, log: (s: string) => void): number {
  const { diagram, errors } = planDiagram(dir);
  if (!diagram) {
    log(`update-docs: the stack files have errors; fix them first (npm run plan says how):\n  ${errors.join("\n  ")}\n`);
    return 1;
  }
  const path = join(dir, "README.md");
  const before = readFileSync(path, "utf8");
  const after = withDiagram(before, diagram);
  if (after === before) log("update-docs: README.md's diagram already shows these stack files\n");
  else {
    writeFileSync(path, after);
    log("update-docs: redrew README.md's diagram from the stack files\n");
  }
  return 0;
}

if (require.main === module) process.exitCode = updateDocs(join(__dirname, "..", ".."), (s) => void process.stdout.write(s));
