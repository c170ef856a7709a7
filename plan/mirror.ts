/**
 * `mesh plan --format mirror`: a shell script that copies exactly the charts and images the plan's
 * Supply lists from Istio's upstream into each cluster's configured mirror, with standard tools
 * (`helm pull` / `helm push` for OCI charts, `crane copy` or `skopeo copy --all` for images). Every
 * step checks first and skips what is there, so the script can run again after a failure.
 */
import { ISTIO_CHART_REPO } from "../model/istio-facts";
import { chartSource, ISTIO_DEFAULT_HUB, pushReference } from "../model/supply";
import type { MeshPlan } from "./plan";

/** A word for the shell, single-quoted (every value here is validated, and quoted all the same). */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `<hub>/<name>:<tag>` → the same image in Istio's upstream hub. */
export function upstreamImage(ref: string): string {
  return `${ISTIO_DEFAULT_HUB}/${ref.slice(ref.lastIndexOf("/") + 1)}`;
}

export function renderMirrorScript(plan: MeshPlan): string {
  const out = [
    "#!/usr/bin/env bash",
    `# Mirrors Istio ${plan.istioVersion ?? ""} into the registries the stacks of project ${plan.project} pull from`,
    "# (mesh plan --format mirror). Run it where both Istio's hosts and the mirrors are reachable, from the",
    "# project's folder, logged in to each target: helm registry login <host>; crane auth login <host> (or",
    "# docker login). Every step checks the target first and skips what is already there.",
    "set -euo pipefail",
    "",
    'work="$(mktemp -d)"',
    "trap 'rm -rf \"$work\"' EXIT",
    "",
    "copy_image() {",
    '  local src="$1" dst="$2"',
    "  if command -v crane >/dev/null 2>&1; then",
    '    if [ "$(crane digest "$dst" 2>/dev/null)" = "$(crane digest "$src")" ]; then echo "present: $dst"; return; fi',
    '    echo "copy $src -> $dst"; crane copy "$src" "$dst"',
    "  elif command -v skopeo >/dev/null 2>&1; then",
    '    if skopeo inspect --raw "docker://$dst" >/dev/null 2>&1; then echo "present: $dst"; return; fi',
    '    echo "copy $src -> $dst"; skopeo copy --all "docker://$src" "docker://$dst"',
    "  else",
    '    echo "install crane (go-containerregistry) or skopeo to copy images" >&2; exit 1',
    "  fi",
    "}",
    "",
    "# push_chart <name> <version> <oci://registry/path>",
    "push_chart() {",
    '  local name="$1" version="$2" target="$3"',
    '  if helm show chart "$target/$name" --version "$version" >/dev/null 2>&1; then echo "present: $target/$name:$version"; return; fi',
    `  echo "copy ${ISTIO_CHART_REPO} $name $version -> $target/$name"`,
    `  helm pull "$name" --repo ${q(ISTIO_CHART_REPO)} --version "$version" -d "$work"`,
    '  helm push "$work/$name-$version.tgz" "$target"',
    "}",
    "",
    "# vendor_chart <name> <version> <folder of the project>",
    "vendor_chart() {",
    '  local name="$1" version="$2" dir="$3"',
    '  if [ -e "$dir/$name-$version.tgz" ] || [ -e "$dir/$name/Chart.yaml" ]; then echo "present: $dir/$name"; return; fi',
    `  echo "copy ${ISTIO_CHART_REPO} $name $version -> $dir/$name-$version.tgz"`,
    '  mkdir -p "$dir"',
    `  helm pull "$name" --repo ${q(ISTIO_CHART_REPO)} --version "$version" -d "$dir"`,
    "}",
  ];
  const done = new Set<string>();
  for (const s of plan.supply) {
    const steps: string[] = [];
    for (const c of s.charts) {
      const source = chartSource(c.source);
      const key = `chart ${c.name} ${c.version} ${c.source}`;
      if (done.has(key)) continue;
      done.add(key);
      if (source.kind === "https" && source.url === ISTIO_CHART_REPO) continue;
      if (source.kind === "oci") steps.push(`push_chart ${q(c.name)} ${q(c.version)} ${q(source.url)}`);
      else if (source.kind === "local") steps.push(`vendor_chart ${q(c.name)} ${q(c.version)} ${q(source.dir)}`);
      else {
        steps.push(
          `# ${c.name} ${c.version}: ${source.url} is an https:// Helm repository; Helm cannot push to one. Upload the file with its own API:`,
          `helm pull ${q(c.name)} --repo ${q(ISTIO_CHART_REPO)} --version ${q(c.version)} -d .`,
        );
      }
    }
    for (const i of s.images) {
      const source = upstreamImage(i.ref);
      const key = `image ${i.ref}`;
      if (done.has(key) || source === i.ref) continue;
      done.add(key);
      const target = pushReference(i.ref);
      if (target !== i.ref) steps.push(`# the nodes pull ${i.ref} (the instance's VPC endpoint); push to its public endpoint`);
      steps.push(`copy_image ${q(source)} ${q(target)}`);
    }
    out.push("", `# ${s.cluster} (stack ${s.stack}${s.region ? `, region ${s.region}` : ""})`);
    out.push(...(steps.length > 0 ? steps : ["# nothing to mirror: it pulls from Istio's own hosts"]));
  }
  out.push("", 'echo "mirrored"', "");
  return out.join("\n");
}
