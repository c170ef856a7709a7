/**
 * The values this program sets on Istio's charts, typed: a misspelt or mistyped key fails to
 * compile. Paths and types follow Istio 1.30.3's values.yaml (and the gateway chart's schema); the
 * tests also check every key against the charts' known value paths.
 */

/** `base` chart. */
export interface BaseValues {
  /** The revision the default validating webhook points at; `default` unless a revision is set. */
  defaultRevision?: string;
}

/** `istiod` chart. */
export interface IstiodValues {
  revision?: string;
  global: {
    /** Identical in every cluster of the mesh. */
    meshID: string;
    /** Unique per cluster; the name peers use in remote secrets. */
    multiCluster: { clusterName: string };
    network: string;
    /** Registry path of istiod's and every injected proxy's image. */
    hub: string;
    tag: string;
    /** Secrets istiod's pod and every injected pod (the gateway's too) pull images with. */
    imagePullSecrets?: string[];
  };
}

export interface GatewayServicePort {
  name: string;
  port: number;
  targetPort: number;
  protocol: "TCP";
  nodePort?: number;
}

/** `gateway` chart (its values.schema.json closes the top level). */
export interface GatewayValues {
  name: string;
  revision?: string;
  /** Labels Service and pods with the network, sets the requested network view, renders the four ports. */
  networkGateway?: string;
  /** Set by hand when networkGateway cannot be used (fixed node ports). */
  labels?: Record<string, string>;
  env?: Record<string, string>;
  autoscaling: { minReplicas: number; maxReplicas: number };
  /** The gateway pod's own pull secrets (its image is injected by istiod). */
  imagePullSecrets?: { name: string }[];
  service: {
    type: "LoadBalancer" | "NodePort";
    annotations: Record<string, string>;
    externalIPs?: string[];
    ports?: GatewayServicePort[];
  };
}
