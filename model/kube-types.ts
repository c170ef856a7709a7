/** The shapes every model module hands to components: a Helm release and a Kubernetes object. */
import type { Values } from "./merge";

export interface ReleaseSpec {
  /** Helm release name; also the Pulumi-independent name Istio derives labels from. */
  readonly name: string;
  readonly chart: "base" | "istiod" | "gateway";
  readonly version: string;
  readonly repo: string;
  readonly namespace: string;
  readonly values: Values;
  /** Seconds Helm waits for the release's workloads (and a LoadBalancer's address). */
  readonly timeoutSeconds: number;
  /** A failed install uninstalls itself; a failed upgrade rolls back to the last good release. */
  readonly atomic: boolean;
}

/** An object the program creates with the Kubernetes provider, as it will be applied. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}
