/**
 * The only reader of `pulumi.Config`. Reads every `mesh:` key, validates them together (model/),
 * and keeps secret values apart from the model so they can only travel as Pulumi secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import { runError } from "./components/run-error";
import { ConfigError } from "./model/errors";
import { MESH_KEYS } from "./model/validate";
import { decodeMeshConfig, validateStrings } from "./model/decode";
import { chartSource } from "./model/supply";
import type { MeshConfig } from "./model/types";
import { localCharts, type LocalCharts } from "./io/local-charts";

/**
 * Whether the CLI passed a key as a secret (`PULUMI_CONFIG_SECRET_KEYS`). The SDK exports this at run
 * time without declaring it; a test asserts it is there, so an SDK upgrade cannot drop it silently.
 */
export function isConfigSecret(key: string): boolean {
  const fn = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  // without the SDK's answer, assume secret: a hidden diff is better than a password in the state
  return fn === undefined ? true : fn(key);
}

/** The project's folder: the CLI runs the program (`--pwd`) and the providers there. */
const projectDir = (): string => process.cwd();

export interface LoadedConfig {
  readonly mesh: MeshConfig;
  /** How each chart is vendored, when `mesh:istio.repo` is a folder of the project. */
  readonly chartForms: LocalCharts["forms"];
  /** Secret config values; never part of the model. */
  readonly secrets: {
    /** `mesh:cluster.kubeconfig`, for an existing cluster. */
    readonly kubeconfig?: pulumi.Output<string>;
    /** `mesh:trust.pki.*`, the team's own CA material. */
    readonly pki?: pulumi.Output<Readonly<Record<string, string>>>;
  };
}

export function loadConfig(): LoadedConfig {
  const cfg = new pulumi.Config("mesh");
  const present = Object.keys(pulumi.runtime.allConfig())
    .filter((k) => k.startsWith("mesh:"))
    .map((k) => k.slice("mesh:".length));
  const strings: Record<string, string> = {};
  for (const key of new Set([...MESH_KEYS, ...present])) {
    const text = cfg.get(key);
    if (text !== undefined) strings[key] = text;
  }
  const secretKeys = Object.keys(strings).filter((k) => isConfigSecret(`mesh:${k}`));
  let model: MeshConfig;
  try {
    model = validateStrings({
      stack: { organization: pulumi.getOrganization(), project: pulumi.getProject(), stack: pulumi.getStack() },
      strings,
      alicloudRegion: new pulumi.Config("alicloud").get("region"),
      secretKeys,
      localChartProblems: (dir, version) => localCharts(projectDir(), dir, version).problems,
    });
  } catch (e) {
    // RunError ends the program with this message alone: no stack trace, nothing registered
    if (e instanceof ConfigError) throw runError(e.message);
    throw e;
  }
  // secret material is read again from the decoded config, never from the model
  const { mesh } = decodeMeshConfig(strings);
  const cluster = mesh.cluster as { kubeconfig?: string };
  const trust = mesh.trust as { pki?: Record<string, string> } | undefined;
  const source = chartSource(model.istio.repo);
  return {
    mesh: model,
    chartForms: source.kind === "local" ? localCharts(projectDir(), source.dir, model.istio.version).forms : {},
    secrets: {
      kubeconfig: cluster.kubeconfig === undefined ? undefined : pulumi.secret(cluster.kubeconfig),
      pki: trust?.pki === undefined ? undefined : pulumi.secret(trust.pki),
    },
  };
}
