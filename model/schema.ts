/**
 * The shape of every `mesh:` config key. Structure only (types, ranges, unknown keys); the rules
 * that relate fields to each other live in `validate.ts`, so both report with the same paths.
 */
import { z } from "zod";
import * as ipaddr from "ipaddr.js";
import {
  DNS1035_LABEL,
  DNS1123_LABEL,
  IANA_SVC_NAME,
  ISTIO_CHART_REPO,
  ISTIOD_REVISION_MAX,
  LABEL_VALUE,
  NETWORK_GATEWAY_PORTS,
} from "./istio-facts";
import { INTERMEDIATE_EARLY_RENEWAL_HOURS, ISTIO_DEFAULT_HUB } from "./defaults";
import { chartSourceProblem } from "./supply";
import { annotationsBytes, ANNOTATIONS_MAX_BYTES, qualifiedNameProblem } from "./kube-metadata";

const DURATION = /^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/;
const NS_PER: Readonly<Record<string, number>> = { h: 3.6e12, m: 6e10, s: 1e9, ms: 1e6, us: 1e3, µs: 1e3, ns: 1 };

/** A Go duration (`1m30s`, `500us`) in nanoseconds; NaN if it is not one. */
export function durationNs(d: string): number {
  if (!DURATION.test(d)) return NaN;
  let ns = 0;
  for (const [, n, unit] of d.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) ns += Number(n) * NS_PER[unit!]!;
  return ns;
}

/** An image registry path: host[:port] and path, lower case, no scheme, credentials or tag. */
const IMAGE_HUB = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** 30 years: the longest CA lifetime the program issues; longer is a typo (and overflows time in the TLS provider). */
export const MAX_VALIDITY_HOURS = 262800;

/** Separates what is wrong from how to fix it inside one zod message. */
export const FIX = "\u0000fix:";
export const problem = (what: string, fix: string): string => `${what}${FIX}${fix}`;

export const dns1123 = (what: string) =>
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
const ip = z.string().superRefine((s, ctx) => {
  const problemOf = addressProblem(s);
  if (problemOf)
    ctx.addIssue({
      code: "custom",
      message: problem(problemOf, "write the address peers reach, as four decimal numbers (e.g. 10.18.10.196) or an IPv6 address"),
    });
});
const port = z
  .number({ error: problem("not a port number", "use a whole number from 1 to 65535") })
  .int({ error: problem("not a whole number", "use a whole number from 1 to 65535") })
  .min(1, { error: problem("port below 1", "use a whole number from 1 to 65535") })
  .max(65535, { error: problem("port above 65535", "use a whole number from 1 to 65535") });
const refineUrl = (fixCredentials: string, fixAddress: string) => (url: string, ctx: z.RefinementCtx<string>) => {
  const why = urlProblem(url);
  if (why) ctx.addIssue({ code: "custom", message: problem(why, why.startsWith("carries credentials") ? fixCredentials : fixAddress) });
};

/** A label or annotation key as Kubernetes takes it: an optional DNS subdomain prefix and a name of at most 63 characters. */
const qualifiedKey = (what: string, example: string) =>
  z.string().superRefine((k, ctx) => {
    const why = qualifiedNameProblem(k);
    if (why) ctx.addIssue({ code: "custom", message: problem(`not a valid ${what} (it ${why})`, `use e.g. ${example}`) });
  });
const labelKey = qualifiedKey("label key", "app or app.kubernetes.io/name");
/** Annotations: Kubernetes' keys, string values, at most 256 KiB together (the API server refuses more). */
const annotations = z
  .record(
    qualifiedKey("annotation key", "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec"),
    z.string({ error: problem("not a string", "quote the value") }),
  )
  .refine((a) => annotationsBytes(a) <= ANNOTATIONS_MAX_BYTES, {
    error: problem(`larger than ${ANNOTATIONS_MAX_BYTES} bytes together, which the API server refuses`, "shorten or remove some"),
  });
/** Go/protobuf duration as Istio's CRDs accept it: `1s`, `500ms`, `1m`. */
const duration = z.string().regex(DURATION, {
  error: problem("not a duration", "write e.g. 1s, 500ms or 1m"),
  // a value that is no duration has no length: refinements after this one do not run
  abort: true,
});
/** A duration the DestinationRule CRD takes: its CEL rule is `duration(self) >= duration('1ms')`. */
const atLeast1ms = duration.refine((d) => durationNs(d) >= 1e6, {
  error: problem("shorter than 1ms: the DestinationRule CRD refuses it", "write 1ms or longer, e.g. 1s"),
});
const stackName = z.string().regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, {
  error: problem(
    "not a fully qualified stack name",
    "write <org>/<project>/<stack>; on a self-managed backend the org is `organization`, e.g. organization/mesh/wuxi",
  ),
});

/**
 * Why an address cannot be one peers are sent to, or undefined. Only the canonical four-part
 * decimal IPv4 form is taken: `0x0a.0.0.1`, `010.1.1.1` or `1` parse as other addresses than they
 * read. Loopback and unspecified addresses (IPv4-mapped forms included) would send a peer to itself.
 */
export function addressProblem(s: string): string | undefined {
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(s);
  if (!v4 && !(s.includes(":") && ipaddr.IPv6.isValid(s))) return "not an IP address in canonical form";
  let a: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(s);
  if (a instanceof ipaddr.IPv6 && a.isIPv4MappedAddress()) a = a.toIPv4Address();
  const range = a.range();
  if (range === "loopback" || range === "unspecified") return `a ${range} address: a peer would be sent to itself`;
  return undefined;
}

/**
 * Why a URL cannot be stored or dialled, or undefined. Never echoes the URL: it may carry a password.
 * Credentials in the authority would be plain text in the state; a host spelled as a non-canonical
 * IPv4 number is normalised by URL parsers into another address than it reads.
 */
export function urlProblem(url: string): string | undefined {
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(url)?.[1];
  if (authority === undefined) return undefined;
  if (authority.includes("@")) return "carries credentials (user:password@), which would be stored in plain text";
  const host = authority.startsWith("[") ? authority.slice(1, authority.indexOf("]")) : authority.replace(/:[^:]*$/, "");
  if (host.toLowerCase() === "localhost") return "a loopback address: a peer would be sent to itself";
  if (ipaddr.IPv4.isValid(host) || host.includes(":")) return addressProblem(host);
  return undefined;
}

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
  version: z
    .string({ error: (iss) => (iss.input === undefined ? problem("required", 'pin the Istio version, e.g. "1.30.3"') : undefined) })
    .regex(/^\d+\.\d+\.\d+$/, {
      error: problem("not an Istio release version", 'pin an exact release, e.g. "1.30.3" (no ranges, no "v")'),
    }),
  /** An https:// Helm repository, an oci:// registry path, or a folder of the project holding the charts. */
  repo: z
    .string()
    .min(1)
    .superRefine((repo, ctx) => {
      const source = chartSourceProblem(repo);
      if (source) return void ctx.addIssue({ code: "custom", message: problem(source.message, source.fix) });
      if (!/^(https|oci):\/\//.test(repo)) return;
      let parsed: URL | undefined;
      try {
        parsed = new URL(repo);
      } catch {
        parsed = undefined;
      }
      if (!parsed?.hostname) return void ctx.addIssue({ code: "custom", message: problem("not a URL", `use e.g. ${ISTIO_CHART_REPO}`) });
      refineUrl(
        "remove the credentials from the URL: for an oci:// registry run helm registry login on the machine that runs pulumi up; ACR EE can allow the VPC without credentials",
        "use the repository's address as the machine that runs pulumi up reaches it",
      )(repo, ctx);
    })
    .default(ISTIO_CHART_REPO),
  /** Registry and path the images come from (istiod, and every injected proxy): `global.hub`. */
  hub: z
    .string()
    .regex(IMAGE_HUB, {
      error: problem(
        "not a registry path",
        "write host[:port]/path without a scheme, credentials or tag, e.g. mesh-registry-vpc.cn-shanghai.cr.aliyuncs.com/istio",
      ),
    })
    .default(ISTIO_DEFAULT_HUB),
  /** Image tag: `global.tag`. @default the version */
  tag: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: problem("not an image tag", 'write e.g. "1.30.3" (a digest is not a tag)') })
    .optional(),
  /** Existing `kubernetes.io/dockerconfigjson` Secrets the images are pulled with, in every namespace that runs them. */
  imagePullSecrets: z
    .array(
      z
        .string()
        .max(253)
        .regex(DNS1123_SUBDOMAIN, { error: problem("not a Secret name", "use the name of an existing Secret, e.g. registry-pull") }),
    )
    .default([]),
  // istiod's release is `istiod-<revision>`, and Helm names a release in 53 characters at most
  revision: dns1123("revision")
    .max(ISTIOD_REVISION_MAX, {
      error: problem(
        `longer than ${ISTIOD_REVISION_MAX} characters: the release istiod-<revision> would exceed Helm's 53`,
        "shorten it, e.g. 1-30-3",
      ),
    })
    .optional(),
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
  interval: atLeast1ms.optional(),
  baseEjectionTime: atLeast1ms.optional(),
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
  /** A number, or a container port's name (an IANA service name: Kubernetes' rule for named ports). */
  targetPort: z
    .union([
      port,
      z.string().refine((t) => IANA_SVC_NAME.test(t) && /[a-z]/.test(t) && !t.includes("--"), {
        error: problem(
          "not a container port name (an IANA service name)",
          "use a port number, or the container port's name: at most 15 lower-case letters, digits and '-', with a letter, no '--'",
        ),
      }),
    ])
    .optional(),
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
  selector: z.record(labelKey, labelValue("selector value")).optional(),
  locality: LocalitySchema.default({ mode: "preferLocal" }),
  outlierDetection: OutlierDetectionSchema.optional(),
});
export const ServicesSchema = z.array(ServiceSchema);

// ---------------------------------------------------------------- mesh:cluster
/** `system_disk_category` values `alicloud_cs_kubernetes_node_pool` accepts. */
export const SYSTEM_DISK_CATEGORIES = ["cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry", "cloud"] as const;

const NodePoolSchema = z.strictObject({
  name: dns1123("node pool name"),
  instanceTypes: z.array(z.string().min(1)).min(1, { error: problem("no instance types", 'list at least one, e.g. ["ecs.g7.xlarge"]') }),
  desiredSize: z.number().int().min(0).max(1000),
  // the provider's set (resource_alicloud_cs_kubernetes_node_pool.go, system_disk_category's StringInSlice)
  systemDiskCategory: z
    .enum(SYSTEM_DISK_CATEGORIES, {
      error: problem("not a system disk category the node pool takes", `use one of ${SYSTEM_DISK_CATEGORIES.join(", ")}`),
    })
    .default("cloud_essd"),
  systemDiskSize: z.number().int().min(20).max(2048).default(120),
  // written onto every node of the pool: the API server takes only label keys and values
  labels: z.record(labelKey, labelValue("node label value")).default({}),
  taints: z
    .array(
      z.strictObject({
        key: labelKey,
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
    .superRefine(
      refineUrl(
        "write the URL without credentials, e.g. https://10.18.10.10:6443: peers authenticate with the reader token",
        "use the address the other clusters reach this API server on, e.g. https://10.18.10.10:6443",
      ),
    )
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
      annotations: annotations.default({}),
      externalIPs: z.array(ip).default([]),
      /** Written to `traffic.istio.io/nodeSelector` as JSON. */
      nodeSelector: z.record(labelKey, labelValue("node selector value")).optional(),
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
  rootValidityHours: z
    .number()
    .int()
    .min(24)
    .max(MAX_VALIDITY_HOURS, {
      error: problem(`longer than ${MAX_VALIDITY_HOURS} hours (30 years)`, "use at most 262800; the default is 87600 (10 years)"),
    })
    .default(87600),
  // re-issued on the first run within its renewal window: a shorter life is a new intermediate every run
  intermediateValidityHours: z
    .number()
    .int()
    .min(2 * INTERMEDIATE_EARLY_RENEWAL_HOURS, {
      error: problem(
        `shorter than twice the ${INTERMEDIATE_EARLY_RENEWAL_HOURS}-hour renewal window: it would be re-issued on (nearly) every run`,
        `use at least ${2 * INTERMEDIATE_EARLY_RENEWAL_HOURS}; the default is 17520 (2 years)`,
      ),
    })
    .max(MAX_VALIDITY_HOURS, {
      error: problem(
        `longer than ${MAX_VALIDITY_HOURS} hours (30 years)`,
        "use at most the root's lifetime; the default is 17520 (2 years)",
      ),
    })
    .default(17520),
});

export const MeshIdSchema = labelValue("mesh id");

export type IstioInput = z.infer<typeof IstioSchema>;
export type ServiceInput = z.infer<typeof ServiceSchema>;
export type ClusterInput = z.infer<typeof ClusterSchema>;
export type AckInput = z.infer<typeof AckSchema>;
export type GatewayInput = z.infer<typeof GatewaySchema>;
export type TrustInput = z.infer<typeof TrustSchema>;
