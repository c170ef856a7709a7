/**
 * `mesh upgrade --apply`'s look at the cluster before a step that removes a revision: refused (exit 1) while
 * any proxy is still on it, naming each; exit 2 when the cluster cannot be read, since nothing would be proven.
 * The Kubernetes client loads only when such a step comes.
 */
import { EXIT_CODES } from "../automation/exit-codes";
import type { BeforeWrite } from "../plan/upgrade-command";
import type { VerifyDeps } from "../verify/command";

export const removalGuard =
  (v: VerifyDeps): BeforeWrite =>
  async (step, files) => {
    if (!step.removes) return undefined;
    const { revisionInUse } = await import("../verify/revision-in-use");
    const { revision, version } = step.removes;
    const use = await revisionInUse(files, step.stack, revision, { ...v.options, ...(v.outputs ? { outputs: v.outputs() } : {}) });
    const head = `mesh upgrade: step ${step.id} removes revision ${revision} (Istio ${version}) from ${step.stack}`;
    if (!use.ok)
      return {
        code: EXIT_CODES.usage,
        // mesh upgrade takes no credential options: the fix is the cluster's access, or the check by hand
        text: [
          `${head}, but whether a proxy still uses it could not be read: ${use.problem}`,
          `  fix: let mesh read ${step.stack}'s cluster as mesh verify does (docs/verify.md: the stack's credentials, the mesh-verify ClusterRole), or run step ${step.id}'s first command by hand and write the step with --write`,
          "nothing was written",
          "",
        ].join("\n"),
      };
    if (use.proxies.length === 0) return undefined;
    return {
      code: EXIT_CODES.failed,
      text: [
        `${head}, but ${use.proxies.length} prox${use.proxies.length === 1 ? "y is" : "ies are"} still on it:`,
        ...use.proxies.map((p) => `  ${p.name}: ${p.how}`),
        `restart them onto the revision their namespace names (step ${step.id}'s check lists them the same way), then run mesh upgrade --apply again; nothing was written`,
        "",
      ].join("\n"),
    };
  };
