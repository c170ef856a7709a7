/** Rules for mesh:services, the catalog every cluster mirrors, validated once per catalog object. */
import type { ConfigIssue } from "../errors";
import { ISTIO_NAMESPACE, RESERVED_NAMESPACES } from "../istio-facts";
import { ServiceSchema, ServicesSchema, type ServiceInput } from "../schema";
import { NS, type Add, part, zodIssues } from "./shared";

/** Every stack of a project shares Pulumi.yaml's catalog: validate each catalog object once. */
export const catalogs = new WeakMap<object, { readonly data?: ServiceInput[]; readonly issues: readonly ConfigIssue[] }>();

export function validateCatalog(value: unknown): { readonly data?: ServiceInput[]; readonly issues: readonly ConfigIssue[] } {
  const cached = typeof value === "object" && value !== null ? catalogs.get(value) : undefined;
  if (cached) return cached;
  const issues: ConfigIssue[] = [];
  const result = ServicesSchema.safeParse(value, { reportInput: true });
  if (!result.success) issues.push(...zodIssues("services", result.error.issues));
  // the rules read each service on its own, so one malformed service does not hide the others' problems
  if (Array.isArray(value))
    checkServices(
      value.map((s) => part(ServiceSchema, s)),
      (path, message, fix) => issues.push({ path, message, fix }),
    );
  const out = { data: result.success && issues.length === 0 ? result.data : undefined, issues };
  if (typeof value === "object" && value !== null) catalogs.set(value, out);
  return out;
}

export function checkServices(services: readonly (ServiceInput | undefined)[], add: Add): void {
  const seen = new Map<string, number>();
  const derivedNames = new Map<string, { key: string; index: number }>();
  services.forEach((s, i) => {
    if (!s) return;
    const at = `${NS}:services[${i}]`;
    const key = `${s.namespace}/${s.name}`;
    if (seen.has(key)) add(at, `${key} is already defined at mesh:services[${seen.get(key)}]`, "define each service once");
    seen.set(key, i);
    // MeshServices names its resources <cluster>-svc-<namespace>-<name>: dev/a-b and dev-a/b would be one
    const derived = `${s.namespace}-${s.name}`;
    const twin = derivedNames.get(derived);
    if (twin !== undefined && twin.key !== key) {
      add(
        at,
        `${key} and mesh:services[${twin.index}] (${twin.key}) derive the same resource names (…-svc-${derived})`,
        "rename one of them: a namespace and name joined by '-' must be unique in the catalog",
      );
    }
    if (twin === undefined) derivedNames.set(derived, { key, index: i });
    if ((RESERVED_NAMESPACES as readonly string[]).includes(s.namespace)) {
      add(
        `${at}.namespace`,
        `${s.namespace} is ${s.namespace === ISTIO_NAMESPACE ? "the control plane's namespace: a catalog Service there could replace the east-west gateway's or istiod's" : "a Kubernetes system namespace: the catalog would label it for sidecar injection"}`,
        "put catalog services in their applications' namespaces",
      );
    }
    const ports = new Set<number>();
    const names = new Set<string>();
    s.ports.forEach((p, j) => {
      if (ports.has(p.port)) add(`${at}.ports[${j}].port`, `port ${p.port} is listed twice`, "list each port once");
      if (names.has(p.name)) add(`${at}.ports[${j}].name`, `port name ${p.name} is listed twice`, "give every port a unique name");
      ports.add(p.port);
      names.add(p.name);
    });
    const loc = s.locality;
    if (loc.failover && loc.distribute) {
      add(`${at}.locality`, "failover and distribute together: Istio rejects a localityLbSetting with both", "keep one of them");
    } else if (loc.mode === "failover" && !loc.failover?.length) {
      add(`${at}.locality.failover`, 'mode "failover" needs region pairs', 'add failover: [{ from: "cn-shanghai", to: "cn-wuxi" }]');
    } else if (loc.mode === "distribute" && !loc.distribute?.length) {
      add(
        `${at}.locality.distribute`,
        'mode "distribute" needs weights',
        'add distribute: [{ from: "cn-shanghai/*", to: { "cn-shanghai/*": 80, "cn-wuxi/*": 20 } }]',
      );
    } else if (loc.mode === "preferLocal" && (loc.failover || loc.distribute)) {
      add(
        `${at}.locality.mode`,
        `mode "preferLocal" ignores ${loc.failover ? "failover" : "distribute"}`,
        `set mode to "${loc.failover ? "failover" : "distribute"}" or remove the list`,
      );
    }
    loc.failover?.forEach((f, j) => {
      if (f.from === f.to) add(`${at}.locality.failover[${j}]`, `fails over from ${f.from} to itself`, "name two different regions");
    });
    loc.distribute?.forEach((d, j) => {
      const sum = Object.values(d.to).reduce((a, b) => a + b, 0);
      if (sum !== 100) add(`${at}.locality.distribute[${j}].to`, `weights add up to ${sum}`, "make the weights add up to 100");
    });
  });
}
