/**
 * What must hold of a config the model accepts: every name, label, address, chart value and key derived
 * from it is valid where it lands (Kubernetes, Helm, ACK, Istio), and accepted PKI is what it says it is.
 */
import * as ipaddr from "ipaddr.js";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { ackPlan } from "../../model/ack";
import { clusterObjects } from "../../model/cluster-objects";
import type { MeshConfig } from "../../model/types";
import { SECRETS, type Json } from "./mutations";
export interface Violation {
  readonly cls: string;
  readonly seed: number;
  readonly index: number;
  readonly detail: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const RESERVED_NAMESPACES = new Set(["istio-system", "kube-system", "kube-public", "kube-node-lease"]);

function unsafeAddress(s: string): string | undefined {
  const host = s.replace(/^\[|\]$/g, "");
  if (ipaddr.IPv4.isValid(host) && !ipaddr.IPv4.isValidFourPartDecimal(host)) return `non-canonical IPv4 ${host}`;
  if (!ipaddr.isValid(host)) return undefined;
  let a = ipaddr.parse(host);
  if (a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  const range = a.range();
  return range === "loopback" || range === "unspecified" ? `${range} address ${host}` : undefined;
}

/** What must hold of an accepted config: everything derived from it is valid where it lands. */
export function acceptedProblems(mesh: MeshConfig): string[] {
  const out: string[] = [];
  const say = (s: string) => out.push(s);
  const peers = ["peer-one"];
  const objs = clusterObjects(mesh, { trustReady: true, linkedPeers: peers });
  for (const r of objs.releases) {
    if (r.name.length > 53 || !DNS1123_LABEL.test(r.name))
      say(`Helm release name ${r.name.slice(0, 80)} is not valid (53 characters at most)`);
    const v = r.values as Json;
    if (r.chart === "istiod") {
      if (v.global?.meshID !== mesh.meshId) say("istiod global.meshID differs from mesh:meshId");
      if (v.global?.network !== mesh.cluster.network) say("istiod global.network differs from the cluster's network");
      if (v.global?.multiCluster?.clusterName !== mesh.cluster.name) say("istiod clusterName differs from the cluster's name");
      if ((v.revision ?? undefined) !== mesh.istio.revision) say("istiod revision differs from mesh:istio.revision");
    }
    if (r.chart === "gateway") {
      if (v.name !== "istio-eastwestgateway") say(`gateway name is ${String(v.name)}`);
      if (v.networkGateway !== undefined && v.networkGateway !== mesh.cluster.network)
        say("gateway networkGateway differs from the network");
      if ((v.revision ?? undefined) !== mesh.istio.revision) say("gateway revision differs from mesh:istio.revision");
    }
    if (r.chart === "base" && (v.defaultRevision ?? undefined) !== mesh.istio.revision)
      say("base defaultRevision differs from mesh:istio.revision");
    if (/\/\/[^/]*@/.test(r.repo)) say("a chart repository URL with credentials was accepted");
  }
  const serviceKeys = new Map<string, string>();
  for (const o of objs.objects) {
    const name = o.metadata.name;
    const limit = o.kind === "Namespace" || o.kind === "Service" ? 63 : 253;
    const pattern = o.kind === "Namespace" || o.kind === "Service" ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
    if (name.length > limit || !pattern.test(name.replace("<random>", "abcdef"))) say(`${o.kind} name ${name.slice(0, 80)} is not valid`);
    for (const [k, v] of Object.entries(o.metadata.labels ?? {}))
      if (v.length > 63 || !LABEL_VALUE.test(v)) say(`label ${k}=${v.slice(0, 80)} is not a valid label value`);
    if ((o.kind === "Service" || o.kind === "DestinationRule") && RESERVED_NAMESPACES.has(o.metadata.namespace ?? ""))
      say(`catalog ${o.kind} in ${o.metadata.namespace}`);
    if (o.kind === "Namespace" && name !== "istio-system" && RESERVED_NAMESPACES.has(name))
      say(`catalog namespace ${name} would be relabelled`);
    if (o.kind === "Service") {
      // the Pulumi name MeshServices derives: <cluster>-svc-<namespace>-<name>
      const key = `${o.metadata.namespace}-${name}`;
      if (serviceKeys.has(key))
        say(`catalog services ${serviceKeys.get(key)} and ${o.metadata.namespace}/${name} derive the same resource name`);
      serviceKeys.set(key, `${o.metadata.namespace}/${name}`);
      for (const p of ((o.spec as Json).ports ?? []) as Json[]) {
        if (
          typeof p.targetPort === "string" &&
          !(
            p.targetPort.length <= 15 &&
            /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(p.targetPort) &&
            /[a-z]/.test(p.targetPort) &&
            !p.targetPort.includes("--")
          )
        )
          say(`targetPort ${p.targetPort} is not an IANA service name`);
      }
    }
  }
  const ack = ackPlan(mesh.cluster, mesh.meshId);
  for (const p of ack?.nodePools ?? [])
    if (p.nodePoolName.length > 63) say(`ACK node pool name ${p.nodePoolName.slice(0, 80)} is longer than 63`);
  for (const ip of mesh.eastWestGateway.externalIPs) {
    const u = unsafeAddress(ip);
    if (u) say(`externalIPs accepted a ${u}`);
  }
  if (mesh.cluster.apiServer !== undefined) {
    const raw = /^https:\/\/([^/?#]*)/.exec(mesh.cluster.apiServer)?.[1] ?? "";
    if (raw.includes("@")) say("apiServer with credentials was accepted");
    const u = unsafeAddress(raw.replace(/:\d+$/, ""));
    if (u) say(`apiServer accepted a ${u}`);
  }
  if (mesh.trust.kind === "anchor" || mesh.trust.kind === "rootStack" || (mesh.trust.kind === "pki" && mesh.trust.issuesIntermediate)) {
    const { rootHours, intermediateHours } = mesh.trustValidity;
    if (intermediateHours <= 720)
      say(`intermediate lifetime ${intermediateHours} h is within its 720 h renewal window: re-issued on every run`);
    if (mesh.trust.kind === "anchor" && intermediateHours > rootHours) say("intermediate outlives its root");
    if (rootHours > 30 * 8760 || intermediateHours > 30 * 8760) say(`absurd lifetime ${rootHours}/${intermediateHours} h accepted`);
  }
  const text = JSON.stringify({ ...mesh, trust: mesh.trust });
  for (const s of SECRETS) if (text.includes(s)) say("a planted secret reached the plain model");
  return out;
}

/** Whether accepted `mesh:trust.pki` material is what each field says it is (Node's own X.509 and key parsers). */
export function pkiProblems(pki: Json): string[] {
  if (!pki || typeof pki !== "object") return [];
  const out: string[] = [];
  for (const [field, value] of Object.entries(pki)) {
    if (typeof value !== "string") continue;
    const isKey = /Key$/.test(field);
    try {
      if (isKey) createPrivateKey(value);
      else if (/PRIVATE KEY/.test(value)) throw new Error("a private key");
      else new X509Certificate(value);
    } catch {
      out.push(`mesh:trust.pki.${field} accepted something that is not ${isKey ? "a private key" : "a certificate"}`);
    }
  }
  return out;
}

export function depthOf(v: Json, limit: number): number {
  let max = 0;
  const stack: [Json, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (d > max) max = d;
    if (d > limit) return d;
    if (x !== null && typeof x === "object") for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return max;
}
