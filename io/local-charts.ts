/**
 * Istio's charts vendored in a folder of the project (`mesh:istio.repo: ./charts/istio-1.30.3`), as
 * `helm pull --untar` (`<chart>/Chart.yaml`) or `helm pull` (`<chart>-<version>.tgz`) leaves them.
 * The Pulumi CLI runs the Kubernetes provider in the project's folder, so the release's `chart` is
 * this relative path.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ISTIO_CHART_REPO } from "../model/istio-facts";
import type { LocalChartForm } from "../model/supply";
import { fromYaml } from "../model/yaml";
import { MAX_FILE_BYTES, onRegularFile } from "./regular-file";

export const CHARTS = ["base", "istiod", "gateway"] as const;

export interface LocalCharts {
  readonly forms: Partial<Record<(typeof CHARTS)[number], LocalChartForm>>;
  readonly problems: readonly { readonly message: string; readonly fix: string }[];
}

/** How each chart is vendored in `dir` (relative to `projectDir`), and what is missing or of another version. */
export function localCharts(projectDir: string, dir: string, version: string): LocalCharts {
  const forms: LocalCharts["forms"] = {};
  const problems: { message: string; fix: string }[] = [];
  for (const chart of CHARTS) {
    const chartYaml = onRegularFile(join(projectDir, dir, chart, "Chart.yaml"), (fd, size) =>
      size < MAX_FILE_BYTES ? readFileSync(fd, "utf8") : "",
    );
    if (typeof chartYaml === "object") {
      let found: unknown;
      try {
        found = (fromYaml(chartYaml.value) as { version?: unknown } | null)?.version;
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
    } else if (typeof onRegularFile(join(projectDir, dir, `${chart}-${version}.tgz`), () => true) === "object") {
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
