/** What every check across stacks reads: the stacks whose config is valid, and how findings are added. */
import type { MeshConfig } from "../../model/types";

export interface Finding {
  readonly severity: "error" | "warning";
  /** Short stack name, or "*" for the project as a whole. */
  readonly stack: string;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

export interface ValidStack {
  readonly stack: string;
  readonly fq: string;
  readonly mesh: MeshConfig;
  /** The file whose `mesh:istio` the stack runs: its own, which replaces Pulumi.yaml's whole, or Pulumi.yaml. */
  readonly istioFile: string;
}

export interface CrossStack {
  /** At least one stack. */
  readonly valid: readonly ValidStack[];
  readonly stacks: readonly string[];
  readonly project: string;
  /** Stacks left out of the checks because their own config has errors. */
  readonly leftOut: readonly string[];
  /** Every stack of the project, fully qualified. */
  readonly fqs: ReadonlySet<string>;
  readonly byFq: ReadonlyMap<string, ValidStack>;
}

export type Add = (severity: Finding["severity"], stack: string, path: string, message: string, fix: string) => void;
