/**
 * Runs the real program (index.ts) under Pulumi's mocks with a stack's real config files, and
 * records every registration with its options (parent, provider, dependsOn, protect).
 * One program run per process: node --test runs each test file in its own process.
 */
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { configStrings, readProject, stackConfig } from "../plan/stack-files";

export const PROJECT_DIR = join(__dirname, "..");

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly id?: string;
  readonly inputs: Record<string, any>;
  /** Resolved `urn::id` of the explicit provider, or "" for the default provider. */
  readonly provider: string;
  readonly parent: string;
  readonly dependencies: readonly string[];
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  readonly custom: boolean;
  /** A `Resource.get` read rather than a registration. */
  readonly read: boolean;
}

export interface Call {
  readonly token: string;
  readonly inputs: Record<string, any>;
}

export interface RunOptions {
  readonly stack: string;
  /** Where Pulumi.yaml and the stack files are. @default this repository */
  readonly projectDir?: string;
  /** Config keys replaced after merging the stack files (fully qualified, e.g. `mesh:cluster`). */
  readonly override?: Readonly<Record<string, unknown>>;
  /** Stack outputs of peers, by fully qualified stack name, as StackReferences will read them. */
  readonly peerOutputs?: Readonly<Record<string, Record<string, unknown>>>;
}

export interface ProgramRun {
  readonly registrations: readonly Registration[];
  readonly calls: readonly Call[];
  /** Resolved stack outputs. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Names of the stack outputs that are secret. */
  readonly secretOutputs: ReadonlySet<string>;
  /** Warnings the program logged. */
  readonly warnings: readonly string[];
  byType(type: string): Registration[];
  one(type: string, name: string): Registration;
  urnOf(type: string, name: string): string;
}

export const FAKE_KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "clusters: [{name: kubernetes, cluster: {server: 'https://47.100.0.10:6443', certificate-authority-data: Q0E=}}]",
  "contexts: [{name: admin, context: {cluster: kubernetes, user: admin}}]",
  "current-context: admin",
  "users: [{name: admin, user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}}]",
].join("\n");

/** The outputs this program exports as secrets, and so a StackReference reads as secret. */
export const SECRET_OUTPUTS = new Set(["kubeconfig", "trustRootKey", "remoteSecret"]);

export const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
/** A PEM block as the mocks make them: recognisable by what it stands for. */
export const pem = (kind: string, of: string): string => `-----BEGIN ${kind}-----\n${b64(of)}\n-----END ${kind}-----\n`;

const ACK_INTRANET = "https://192.168.0.12:6443";
const SLB_ADDRESS = "192.168.0.200";

/** What a cluster would report for the gateway Service the chart renders from these values. */
function renderedGatewayService(values: any): Record<string, any> {
  const svc = values?.service ?? {};
  const defaults = [
    { name: "status-port", port: 15021 },
    { name: "tls", port: 15443 },
    { name: "tls-istiod", port: 15012 },
    { name: "tls-webhook", port: 15017 },
  ];
  const ports = (values?.networkGateway ? defaults : (svc.ports ?? [])).map((p: any, i: number) => ({
    ...p,
    nodePort: p.nodePort ?? 31000 + i,
  }));
  return {
    spec: { type: svc.type, ports, ...(svc.externalIPs ? { externalIPs: svc.externalIPs } : {}) },
    status: { loadBalancer: svc.type === "LoadBalancer" ? { ingress: [{ ip: SLB_ADDRESS }] } : {} },
  };
}

/** The program threw while loading: the error, and what it had registered by then. */
export class ProgramFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly registrations: readonly Registration[],
  ) {
    super(`program failed: ${String(error)}`);
  }
}

export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
  const files = readProject(opts.projectDir ?? PROJECT_DIR);
  // a synthetic stack has no file of its own: project config plus the overrides
  const base = files.stacks[opts.stack] ? stackConfig(files, opts.stack) : files.projectConfig;
  const config: Record<string, unknown> = { ...base, ...(opts.override ?? {}) };
  for (const [k, v] of Object.entries(opts.override ?? {})) if (v === undefined) delete config[k];
  pulumi.runtime.setAllConfig(configStrings(config));

  const registrations: Registration[] = [];
  const calls: Call[] = [];
  const warnings: string[] = [];
  let gatewayValues: any;

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state: Record<string, any> = { ...args.inputs };
        switch (args.type) {
          case "alicloud:cs/managedKubernetes:ManagedKubernetes":
            state.connections = { apiServerIntranet: ACK_INTRANET, apiServerInternet: "" };
            break;
          case "kubernetes:helm.sh/v3:Release":
            if (args.inputs.chart === "gateway") gatewayValues = args.inputs.values;
            state.status = {
              name: args.inputs.name,
              namespace: args.inputs.namespace,
              chart: args.inputs.chart,
              version: args.inputs.version,
              status: "deployed",
              revision: 1,
            };
            break;
          case "kubernetes:core/v1:Service":
            if (args.id) Object.assign(state, renderedGatewayService(gatewayValues));
            break;
          case "kubernetes:core/v1:Secret":
            // the token controller fills a service-account token Secret
            if (args.inputs.type === "kubernetes.io/service-account-token") {
              state.data = {
                token: b64(`token-of-${args.inputs.metadata.name}`),
                "ca.crt": b64(pem("CERTIFICATE", `cluster CA of ${opts.stack}`)),
              };
            }
            break;
          case "tls:index/privateKey:PrivateKey":
            state.privateKeyPem = pem("PRIVATE KEY", args.name);
            break;
          case "tls:index/selfSignedCert:SelfSignedCert":
          case "tls:index/locallySignedCert:LocallySignedCert":
            state.certPem = pem("CERTIFICATE", args.name);
            break;
          case "tls:index/certRequest:CertRequest":
            state.certRequestPem = pem("CERTIFICATE REQUEST", args.name);
            break;
          case "random:index/randomId:RandomId":
            state.hex = "a1b2c3";
            break;
          case "pulumi:pulumi:StackReference": {
            const stackName = args.id || args.name;
            const outputs = opts.peerOutputs?.[stackName];
            if (!outputs) throw new Error(`Stack '${stackName}' not found`);
            return {
              id: stackName,
              state: { name: stackName, outputs, secretOutputNames: Object.keys(outputs).filter((k) => /secret|kubeconfig|key/i.test(k)) },
            };
          }
        }
        // the mock monitor passes "" for a registration; an empty id would read as unknown
        return { id: args.id || `${args.name}-id`, state };
      },
      call(args) {
        calls.push({ token: args.token, inputs: args.inputs });
        if (args.token === "alicloud:cs/getClusterCredential:getClusterCredential") {
          return { clusterId: args.inputs.clusterId, kubeConfig: FAKE_KUBECONFIG, id: args.inputs.clusterId };
        }
        throw new Error(`unexpected call ${args.token}`);
      },
    },
    "mesh",
    opts.stack,
    false,
    "organization",
  );

  // record the engine-facing options the mock API does not pass to newResource
  const monitor = pulumi.runtime.getMonitor() as any;
  let pending = 0;
  const wrap = (method: "registerResource" | "readResource", read: boolean) => {
    const original = monitor[method].bind(monitor);
    monitor[method] = (req: any, callback: (err: any, res: any) => void) => {
      pending++;
      return original(req, (err: any, res: any) => {
        if (!err) {
          registrations.push({
            type: req.getType(),
            name: req.getName(),
            urn: res.getUrn(),
            id: read ? req.getId() : res.getId() || undefined,
            inputs: pulumi.runtime.deserializeProperties(read ? req.getProperties() : req.getObject()),
            provider: req.getProvider(),
            parent: req.getParent(),
            dependencies: read ? [] : req.getDependenciesList(),
            protect: read ? false : Boolean(req.getProtect()),
            retainOnDelete: read ? false : Boolean(req.getRetainondelete()),
            deleteBeforeReplace: read ? false : Boolean(req.getDeletebeforereplace()),
            custom: read ? true : req.getCustom(),
            read,
          });
        }
        pending--;
        callback(err, res);
      });
    };
  };
  wrap("registerResource", false);
  wrap("readResource", true);

  // recorded for the caller to assert or print, not written to stderr
  pulumi.log.warn = (msg: string) => {
    warnings.push(msg);
    return Promise.resolve();
  };

  const settle = async () => {
    // registrations started by applies finish after the outputs resolve
    for (let quiet = 0; quiet < 5;) {
      await new Promise((r) => setTimeout(r, 10));
      quiet = pending === 0 ? quiet + 1 : 0;
    }
  };
  let program: Record<string, unknown>;
  try {
    const mod = (await import(join(PROJECT_DIR, "index"))) as { default?: unknown };
    // `export = async () => ({...})`: the engine calls it and takes its result as the outputs
    const main = typeof mod.default === "function" ? (mod.default as () => Promise<Record<string, unknown>>) : undefined;
    program = main ? await main() : mod;
  } catch (error) {
    await settle();
    throw new ProgramFailure(error, registrations);
  }
  const outputs: Record<string, unknown> = {};
  const secretOutputs = new Set<string>();
  for (const [k, v] of Object.entries(program)) {
    if (k === "default" || k === "__esModule") continue;
    if (pulumi.Output.isInstance(v)) {
      outputs[k] = await new Promise((resolve) => v.apply((x) => resolve(x)));
      if (await pulumi.isSecret(v)) secretOutputs.add(k);
    } else outputs[k] = v;
  }
  await settle();

  const byType = (type: string) => registrations.filter((r) => r.type === type);
  const one = (type: string, name: string) => {
    const found = registrations.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1)
      throw new Error(
        `expected one ${type} named ${name}, found ${found.length}: ${byType(type)
          .map((r) => r.name)
          .join(", ")}`,
      );
    return found[0]!;
  };
  return { registrations, calls, outputs, secretOutputs, warnings, byType, one, urnOf: (t, n) => one(t, n).urn };
}

/** Runs the program expecting it to stop: the failure, or an assertion error if it ran. */
export async function runProgramFailing(opts: RunOptions): Promise<ProgramFailure> {
  try {
    await runProgram(opts);
  } catch (e) {
    if (e instanceof ProgramFailure) return e;
    throw e;
  }
  throw new Error(`the program ran for stack ${opts.stack}; it should have stopped`);
}

/** `urn::id` of a provider registration, as children reference it. */
export function providerRef(p: Registration): string {
  return `${p.urn}::${p.id}`;
}

/** A secret input as it reaches the engine. */
export function isSecretValue(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270"
  );
}
export function unwrapSecret(v: unknown): unknown {
  return isSecretValue(v) ? (v as { value: unknown }).value : v;
}
