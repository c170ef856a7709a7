/**
 * The `mesh` command line's argument parsers (commander's own mechanism: a parser throws
 * InvalidArgumentError and commander prints the usage error): whole numbers with a floor, and a stack
 * that the project has a Pulumi.<stack>.yaml for, checked before any job exists.
 */
import { InvalidArgumentError } from "commander";
import { readdirSync } from "node:fs";

/** A parser of whole numbers ≥ `min`, for options such as `--limit <n>`. */
export const wholeNumber =
  (min: number) =>
  (value: string): number => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`Give a whole number of at least ${min}.`);
    return n;
  };

/** The stacks of the project in `dir`: one per Pulumi.<stack>.yaml, as `mesh plan` and the Pulumi CLI read them. */
export function projectStacks(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new InvalidArgumentError(
      `the project folder ${dir} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"}); give --dir.`,
    );
  }
  if (!names.includes("Pulumi.yaml")) throw new InvalidArgumentError(`${dir} is not the project's folder (no Pulumi.yaml); give --dir.`);
  return names
    .map((n) => /^Pulumi\.(.+)\.ya?ml$/.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}

/** `value` if it is one of the project's stacks; otherwise the usage error names them. */
export function knownStack(value: string, dir: string): string {
  const stacks = projectStacks(dir);
  if (stacks.includes(value)) return value;
  const known = stacks.length ? `its stacks: ${stacks.join(", ")}` : "it has no Pulumi.<stack>.yaml";
  const start = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/.test(value) ? `; a new cluster starts with a Pulumi.${value}.yaml` : "";
  throw new InvalidArgumentError(`${value} is not a stack of this project (${known})${start}.`);
}

/** An option's parser that collects every occurrence, for repeated options such as `--preview <stack=file>`. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
