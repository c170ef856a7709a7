/**
 * The only reader of `pulumi.Config`. Reads every `mesh:` key, validates them together (model/),
 * and keeps secret values apart from the model so they can only travel as Pulumi secrets.
 */
import * as pulumi from "@pulumi/pulumi";
import { runError } from "./components/run-error";
import { ConfigError, type ConfigIssue } from "./model/errors";
import { MESH_KEYS, validateConfig } from "./model/validate";
import type { MeshConfig } from "./model/types";

export interface LoadedConfig {
  readonly mesh: MeshConfig;
  /** Secret config values; never part of the model. */
  readonly secrets: {
    /** `mesh:cluster.kubeconfig`, for an existing cluster. */
    readonly kubeconfig?: pulumi.Output<string>;
    /** `mesh:trust.pki.*`, the team's own CA material. */
    readonly pki?: pulumi.Output<Readonly<Record<string, string>>>;
  };
}

/** Keys whose values are strings rather than JSON. */
const STRING_KEYS = new Set(["meshId"]);

export function loadConfig(): LoadedConfig {
  const cfg = new pulumi.Config("mesh");
  const issues: ConfigIssue[] = [];
  const mesh: Record<string, unknown> = {};

  const present = Object.keys(pulumi.runtime.allConfig())
    .filter((k) => k.startsWith("mesh:"))
    .map((k) => k.slice("mesh:".length));
  for (const key of new Set([...MESH_KEYS, ...present])) {
    const text = cfg.get(key);
    if (text === undefined) continue;
    if (STRING_KEYS.has(key)) {
      mesh[key] = text;
      continue;
    }
    try {
      mesh[key] = JSON.parse(text);
    } catch {
      issues.push({
        path: `mesh:${key}`,
        message: "not a structured value (a list or object)",
        fix: `write it as YAML in the stack file, or use pulumi config set --path 'mesh:${key}...'`,
      });
    }
  }
  let model: MeshConfig;
  try {
    if (issues.length > 0) throw new ConfigError(issues);
    model = validateConfig({
      stack: {
        organization: pulumi.getOrganization(),
        project: pulumi.getProject(),
        stack: pulumi.getStack(),
      },
      mesh,
      alicloudRegion: new pulumi.Config("alicloud").get("region"),
    });
  } catch (e) {
    // RunError ends the program with this message alone: no stack trace, nothing registered
    if (e instanceof ConfigError) throw runError(e.message);
    throw e;
  }

  const cluster = mesh.cluster as { kubeconfig?: string };
  const trust = mesh.trust as { pki?: Record<string, string> } | undefined;
  return {
    mesh: model,
    secrets: {
      kubeconfig: cluster.kubeconfig === undefined ? undefined : pulumi.secret(cluster.kubeconfig),
      pki: trust?.pki === undefined ? undefined : pulumi.secret(trust.pki),
    },
  };
}
