/**
 * The shape of every `mesh:` config key. Structure only (types, ranges, unknown keys); the rules
 * that relate fields to each other live in `validate.ts`, so both report with the same paths.
 */
import { z } from "zod";
import * as ipaddr from "ipaddr.js";
import { DNS1035_LABEL, DNS1123_LABEL, ISTIO_CHART_REPO, LABEL_VALUE, NETWORK_GATEWAY_PORTS } from "./istio-facts";

/** Separates what is wrong from how to fix it inside one zod message. */
export const FIX = "\u0000fix:";
const problem = (what: string, fix: string): string => `${what}${FIX}${fix}`;

const dns1123 = (what: string) =>
  z
    .string()
    .max(63, { error: problem(`${what} is longer than 63 characters`, "shorten it") })
    .regex(DNS1123_LABEL, {
      error: problem(
        `${what} is not a DNS-1123 label`,
        "use lower-case letters, digits and '-', starting and ending with a letter or digit",
      ),
    });

const labelValue = (what: string) =>
  z
    .string()
    .max(63, { error: problem(`${what} is longer than 63 characters`, "shorten it") })
    .regex(LABEL_VALUE, {
      error: problem(
        `${what} is not a valid Kubernetes label value`,
        "use letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
      ),
    });

const cidr = z.string().refine((s) => isCidr(s), {
  error: problem("not an IPv4 CIDR block", "write it as a.b.c.d/n, e.g. 10.0.0.0/16"),
});
const ip = z.string().refine((s) => ipaddr.isValid(s), {
  error: problem("not an IP address", "write an IPv4 or IPv6 address, e.g. 10.18.10.196"),
});
const port = z
  .number({ error: problem("not a port number", "use a whole number from 1 to 65535") })
  .int({ error: problem("not a whole number", "use a whole number from 1 to 65535") })
  .min(1, { error: problem("port below 1", "use a whole number from 1 to 65535") })
  .max(65535, { error: problem("port above 65535", "use a whole number from 1 to 65535") });
const stringMap = z.record(z.string(), z.string({ error: problem("not a string", "quote the value") }));
/** Go/protobuf duration as Istio's CRDs accept it: `1s`, `500ms`, `1m`. */
const duration = z.string().regex(/^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/, {
  error: problem("not a duration", "write e.g. 1s, 500ms or 1m"),
});
const stackName = z.string().regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, {
  error: problem(
    "not a fully qualified stack name",
    "write <org>/<project>/<stack>; on a self-managed backend the org is `organization`, e.g. organization/mesh/wuxi",
  ),
});

export function isCidr(s: string): boolean {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(s)) return false;
  try {
    const [addr, bits] = ipaddr.parseCIDR(s);
    // a host address with a prefix (10.0.0.1/16) is a typo for the network in a VPC plan
    return addr.kind() === "ipv4" && ipaddr.IPv4.networkAddressFromCIDR(s).toString() === addr.toString() && bits >= 8;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- mesh:istio
export const IstioSchema = z.strictObject({
  version: z.string({ error: problem("missing", 'pin the Istio version, e.g. "1.30.3"') }).regex(/^\d+\.\d+\.\d+$/, {
    error: problem("not an Istio release version", 'pin an exact release, e.g. "1.30.3" (no ranges, no "v")'),
  }),
  repo: z
    .url({ protocol: /^(https|oci)$/, error: problem("not an https:// or oci:// URL", `use ${ISTIO_CHART_REPO}`) })
    .default(ISTIO_CHART_REPO),
  revision: dns1123("revision").optional(),
  values: z
    .strictObject({
      base: z.record(z.string(), z.unknown()).default({}),
      istiod: z.record(z.string(), z.unknown()).default({}),
      gateway: z.record(z.string(), z.unknown()).default({}),
    })
    .default({ base: {}, istiod: {}, gateway: {} }),
});

// ---------------------------------------------------------------- mesh:services
const OutlierDetectionSchema = z.strictObject({
  consecutive5xxErrors: z.number().int().min(0).optional(),
  consecutiveGatewayErrors: z.number().int().min(0).optional(),
  interval: duration.optional(),
  baseEjectionTime: duration.optional(),
  maxEjectionPercent: z.number().int().min(0).max(100).optional(),
  minHealthPercent: z.number().int().min(0).max(100).optional(),
});

const LocalitySchema = z.strictObject({
  mode: z.enum(["preferLocal", "failover", "distribute"]).default("preferLocal"),
  /** Region-to-region failover (`localityLbSetting.failover`). */
  failover: z.array(z.strictObject({ from: z.string().min(1), to: z.string().min(1) })).optional(),
  /** Weighted distribution (`localityLbSetting.distribute`); weights per `from` add up to 100. */
  distribute: z
    .array(
      z.strictObject({
        from: z.string().min(1),
        to: z.record(z.string(), z.number().int().min(1).max(100)),
      }),
    )
    .optional(),
});

const ServicePortSchema = z.strictObject({
  name: dns1123("port name"),
  port,
  targetPort: z.union([port, z.string().regex(/^[a-z0-9-]{1,15}$/)]).optional(),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP"),
  appProtocol: z.string().optional(),
});

export const ServiceSchema = z.strictObject({
  name: z
    .string()
    .max(63)
    .regex(DNS1035_LABEL, {
      error: problem("not a valid Service name (DNS-1035 label)", "use lower-case letters, digits and '-', starting with a letter"),
    }),
  namespace: dns1123("namespace"),
  ports: z.array(ServicePortSchema).min(1, { error: problem("a service needs at least one port", "add a port") }),
  /** Pod selector of the Service; defaults to `{ app: <name> }`. */
  selector: stringMap.optional(),
  locality: LocalitySchema.default({ mode: "preferLocal" }),
  outlierDetection: OutlierDetectionSchema.optional(),
});
export const ServicesSchema = z.array(ServiceSchema);

// ---------------------------------------------------------------- mesh:cluster
const NodePoolSchema = z.strictObject({
  name: dns1123("node pool name"),
  instanceTypes: z.array(z.string().min(1)).min(1, { error: problem("no instance types", 'list at least one, e.g. ["ecs.g7.xlarge"]') }),
  desiredSize: z.number().int().min(0).max(1000),
  systemDiskCategory: z.string().default("cloud_essd"),
  systemDiskSize: z.number().int().min(20).max(2048).default(120),
  labels: stringMap.default({}),
  taints: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        value: z.string().optional(),
        effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
      }),
    )
    .default([]),
});

export const AckSchema = z.strictObject({
  clusterSpec: z.enum(["ack.pro.small", "ack.standard"]).default("ack.pro.small"),
  version: z.string().regex(/^1\.\d+\.\d+-aliyun\.\d+$/, {
    error: problem("not an ACK Kubernetes version", 'use the form ACK lists, e.g. "1.33.3-aliyun.1"'),
  }),
  zones: z.array(z.string().min(1)),
  vpcCidr: cidr,
  vswitchCidrs: z.array(cidr),
  /** Flannel: the pod network. Exactly one of podCidr / podVswitchIds. */
  podCidr: cidr.optional(),
  /** Terway: existing vSwitches for pod ENIs. */
  podVswitchIds: z
    .array(z.string().regex(/^vsw-[a-z0-9]+$/, { error: problem("not a vSwitch id", "use an id like vsw-uf6...") }))
    .optional(),
  serviceCidr: cidr,
  nodePools: z.array(NodePoolSchema).min(1, { error: problem("no node pools", "add at least one node pool") }),
  /** Guards the cluster in both Alibaba Cloud and Pulumi (`protect`). */
  deletionProtection: z.boolean().default(true),
  /** Whether the API server also gets an internet SLB (create-only). Peers use the intranet address. */
  apiServerInternet: z.boolean().default(false),
  proxyMode: z.enum(["ipvs", "iptables"]).default("ipvs"),
});

export const ClusterSchema = z.strictObject({
  name: dns1123("cluster name"),
  network: labelValue("network").optional(),
  locality: z.strictObject({ region: z.string().min(1), zone: z.string().min(1).optional() }).optional(),
  apiServer: z
    .url({
      protocol: /^https$/,
      error: problem("not an https:// URL", "write the API server URL peers reach, e.g. https://10.18.10.10:6443"),
    })
    .optional(),
  /** Bump to mint a new reader token for peers; the previous one stays valid until the next bump. */
  readerTokenGeneration: z.number().int().min(1).default(1),
  ack: AckSchema.optional(),
  kubeContext: z.string().min(1).optional(),
  kubeconfig: z.string().min(1).optional(),
});

// ---------------------------------------------------------------- mesh:eastWestGateway
const nodePortsShape = Object.fromEntries(NETWORK_GATEWAY_PORTS.map((p) => [p.name, z.number().int().optional()])) as Record<
  (typeof NETWORK_GATEWAY_PORTS)[number]["name"],
  z.ZodOptional<z.ZodNumber>
>;

export const GatewaySchema = z.strictObject({
  service: z
    .strictObject({
      type: z.enum(["LoadBalancer", "NodePort"]).optional(),
      annotations: stringMap.default({}),
      externalIPs: z.array(ip).default([]),
      /** Written to `traffic.istio.io/nodeSelector` as JSON. */
      nodeSelector: stringMap.optional(),
      nodePorts: z.strictObject(nodePortsShape).optional(),
    })
    .default({ annotations: {}, externalIPs: [] }),
  replicas: z.number().int().min(1).max(20).default(2),
});

// ---------------------------------------------------------------- mesh:peers, mesh:trust
export const PeersSchema = z.array(stackName);

export const TrustSchema = z.strictObject({
  /** This stack generates and owns the mesh root CA. */
  anchor: z.literal(true).optional(),
  /** The anchor stack whose `trustRoot` this stack issues from. */
  rootStack: stackName.optional(),
  /** Material from the team's own PKI (secret config). */
  pki: z
    .strictObject({
      rootCert: z.string().min(1),
      rootKey: z.string().min(1).optional(),
      intermediateCert: z.string().min(1).optional(),
      intermediateKey: z.string().min(1).optional(),
      certChain: z.string().min(1).optional(),
    })
    .optional(),
  rootValidityHours: z.number().int().min(24).default(87600),
  intermediateValidityHours: z.number().int().min(24).default(17520),
});

export const MeshIdSchema = labelValue("mesh id");

export type IstioInput = z.infer<typeof IstioSchema>;
export type ServiceInput = z.infer<typeof ServiceSchema>;
export type ClusterInput = z.infer<typeof ClusterSchema>;
export type AckInput = z.infer<typeof AckSchema>;
export type GatewayInput = z.infer<typeof GatewaySchema>;
export type TrustInput = z.infer<typeof TrustSchema>;
