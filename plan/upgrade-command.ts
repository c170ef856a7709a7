/** `mesh upgrade --to <version>`: print the canary upgrade of every cluster, or write its next step into a stack file. */
import { InvalidArgumentError, type Command, type Option } from "commander";
import { planMesh } from "./plan";
import { readProject, StackFileError, type ProjectFiles } from "./stack-files";
import { writeStackEdits } from "./stack-edit";
import { planUpgrade } from "./upgrade";
import { renderUpgradeText } from "./upgrade-render";
import { isReleaseVersion, type UpgradeStep } from "./upgrade-types";

const EXIT = { ok: 0, refused: 1, unreadable: 2 } as const;

export interface UpgradeFlags {
  readonly dir: string;
  readonly to: string;
  /** Comma-separated catalog namespaces that take the canary first. */
  readonly canary?: string;
  readonly write?: boolean;
  /** Write the next step, then converge and verify (the caller runs those). */
  readonly apply?: boolean;
  /** With apply: verify again until everything passes or this time is up. */
  readonly wait?: string;
  readonly json?: boolean;
}

/** `--to`: one exact release, refused as a usage error before anything is read or printed. */
export function releaseVersion(value: string): string {
  if (!isReleaseVersion(value))
    throw new InvalidArgumentError(
      `${JSON.stringify(value)} is not an Istio release: give one exact version, e.g. 1.31.0 (no "latest", "v" or range).`,
    );
  return value;
}

/** The command's options; `then` receives them parsed. */
export function configureUpgrade(
  cmd: Command,
  options: { readonly dir: Option; readonly json: Option },
  then: (flags: UpgradeFlags) => void,
): void {
  cmd
    .description("a canary upgrade of Istio across every cluster, offline: the skew gate, then each step with its check and rollback")
    .requiredOption("--to <version>", "the Istio version to move to, e.g. 1.31.0", releaseVersion)
    .option("--canary <namespaces>", "comma-separated catalog namespaces that take the new revision first")
    .option("--write", "write the next step into its stack file (comments kept), then print what to run")
    .option(
      "--apply",
      "write the next step, then run it: mesh converge --verify (needs the Pulumi CLI and the clusters); a step that removes a revision is refused while a proxy still uses it",
    )
    .option("--wait <duration>", "with --apply: verify again until everything passes or this time is up (90s, 10m, 1h)")
    .addOption(options.json)
    .addOption(options.dir)
    .action((flags: UpgradeFlags) => then(flags));
}

/** Why a step must not be written yet (exit code and text), or undefined: `--apply`'s look at the cluster. */
export type BeforeWrite = (step: UpgradeStep, files: ProjectFiles) => Promise<{ readonly code: number; readonly text: string } | undefined>;

export async function runUpgrade(opts: UpgradeFlags, print: (s: string) => void, beforeWrite?: BeforeWrite): Promise<number> {
  let files: ProjectFiles;
  try {
    files = readProject(opts.dir);
  } catch (e) {
    if (!(e instanceof StackFileError)) throw e;
    print(`mesh upgrade: ${e.message}\n`);
    return EXIT.unreadable;
  }
  const errors = planMesh(files).findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    print(
      `mesh upgrade: the stack files have ${errors.length} error${errors.length === 1 ? "" : "s"} (mesh plan lists them); fix them first:\n${errors
        .map((f) => `  ${f.stack} ${f.path}: ${f.message}`)
        .join("\n")}\n`,
    );
    return EXIT.refused;
  }
  const canary = opts.canary
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const plan = planUpgrade(files, opts.to, canary ? { canary } : {});
  if (!opts.write && !opts.apply) {
    print(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : renderUpgradeText(plan));
    return plan.refusals.length > 0 ? EXIT.refused : EXIT.ok;
  }
  if (plan.refusals.length > 0) {
    print(renderUpgradeText(plan));
    return EXIT.refused;
  }
  const step = plan.steps[0];
  if (!step) {
    print(`mesh upgrade: nothing left to write: every cluster runs only ${plan.revision}\n`);
    return EXIT.ok;
  }
  const refused = await beforeWrite?.(step, files);
  if (refused) {
    print(refused.text);
    return refused.code;
  }
  let written: string[];
  try {
    written = writeStackEdits(files.dir, step.edits);
  } catch (e) {
    if (!(e instanceof StackFileError)) throw e;
    print(`mesh upgrade: ${e.message}
`);
    return EXIT.unreadable;
  }
  print(
    [
      `wrote: step ${step.id} ${step.stack}: ${step.title}`,
      ...written.map((f) => `  ${f}`),
      "now run:",
      ...step.commands.map((c) => `  $ ${c}`),
      "then check:",
      ...step.checks.map((c) => `  $ ${c}`),
      `rollback: ${step.rollback.setBack} (does not undo: ${step.rollback.doesNotUndo})`,
      "",
    ].join("\n"),
  );
  return EXIT.ok;
}
