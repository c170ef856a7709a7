/**
 * Istio's charts vendored in a folder of the project (`mesh:istio.repo: ./charts/istio-1.30.3`), as
 * `helm pull --untar` (`<chart>/Chart.yaml`) or `helm pull` (`<chart>-<version>.tgz`) leaves them.
 * The Pulumi CLI runs the Kubernetes provider in the project's folder, so the release's `chart` is
 * this relative path.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ISTIO_CHART_REPO } from "./model/istio-facts";
import type { LocalChartForm } from "./model/supply";
import { fromYaml } from "./model/yaml";

export const CHARTS = ["base", "istiod", "gateway"] as const;

/** A regular file's text, or undefined; never blocks on a FIFO or device. */
function regularFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    return st.isFile() && st.size < 1 << 20 ? readFileSync(fd, "utf8") : st.isFile() ? "" : undefined;
  } finally {
    closeSync(fd);
  }
}

export interface LocalCharts {
  readonly forms: Partial<Record<(typeof CHARTS)[number], LocalChartForm>>;
  readonly problems: readonly { readonly message: string; readonly fix: string }[];
}

/** How each chart is vendored in `dir` (relative to `projectDir`), and what is missing or of another version. */
export function localCharts(projectDir: string, dir: string, version: string): LocalCharts {
  const forms: LocalCharts["forms"] = {};
  const problems: { message: string; fix: string }[] = [];
  for (const chart of CHARTS) {
    const chartYaml = regularFile(join(projectDir, dir, chart, "Chart.yaml"));
    if (chartYaml !== undefined) {
      let found: unknown;
      try {
        found = (fromYaml(chartYaml) as { version?: unknown } | null)?.version;
      } catch {
        found = undefined;
      }
      if (String(found) !== version) {
        problems.push({
          message: `${dir}/${chart} is chart version ${JSON.stringify(found ?? null)}, not ${version}`,
          fix: `vendor the released chart: helm pull ${chart} --repo ${ISTIO_CHART_REPO} --version ${version} --untar -d ${dir}`,
        });
      }
      forms[chart] = "dir";
    } else if (regularFile(join(projectDir, dir, `${chart}-${version}.tgz`)) !== undefined) {
      forms[chart] = "tgz";
    } else {
      problems.push({
        message: `no ${chart} chart of version ${version} in ${dir} (neither ${chart}/Chart.yaml nor ${chart}-${version}.tgz)`,
        fix: `vendor it: helm pull ${chart} --repo ${ISTIO_CHART_REPO} --version ${version} -d ${dir} (the mirror script from mesh plan --format mirror does this)`,
      });
    }
  }
  return { forms, problems };
}
