/**
 * A small engine of the project's own: the two gRPC services the Pulumi CLI serves to a program
 * (ResourceMonitor and Engine), on loopback, answering with the SDK's MockMonitor semantics over the
 * stand-in state. A program started the way the CLI's Node.js language host starts it talks to this
 * exactly as to the real engine; no provider, cloud or cluster is involved.
 */
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { registrationOf } from "./registration";
import { standInMocks, isSecretValue, unwrapSecret, type Call, type Registration, type StandInOptions } from "./stand-in";

/* eslint-disable @typescript-eslint/no-require-imports -- generated gRPC code ships without ES module typings */
const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb") as { ResourceMonitorService: grpc.ServiceDefinition };
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as { EngineService: grpc.ServiceDefinition };
const resourceProto = require("@pulumi/pulumi/proto/resource_pb") as Record<string, new () => any>;
const engineProto = require("@pulumi/pulumi/proto/engine_pb") as Record<string, new () => any>;
const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

/** `pulumirpc.LogSeverity`. */
export const SEVERITY = ["debug", "info", "warning", "error"] as const;

export interface Diagnostic {
  readonly severity: (typeof SEVERITY)[number];
  readonly message: string;
  readonly urn: string;
  /** How many registrations the engine had received when the program logged it: its place among them. */
  readonly after: number;
}

/**
 * What the CLI's engine offers a program. Mock semantics: no output values in inputs (as
 * `setMocks`), and none of the hooks or transforms this program does not use.
 */
const FEATURES: Readonly<Record<string, boolean>> = {
  secrets: true,
  resourceReferences: true,
  outputValues: false,
  deletedWith: true,
  replaceWith: true,
  aliasSpecs: true,
  transforms: false,
  invokeTransforms: false,
  parameterization: true,
  resourceHooks: false,
  errorHooks: false,
};

export interface StandInEngine {
  /** `127.0.0.1:<port>`, for `--monitor` and `--engine`. */
  readonly address: string;
  readonly registrations: readonly Registration[];
  readonly calls: readonly Call[];
  readonly diagnostics: readonly Diagnostic[];
  /** The stack's outputs as the engine received them, secrets unwrapped. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Names of the outputs that arrived as secrets. */
  readonly secretOutputs: ReadonlySet<string>;
  close(): Promise<void>;
}

type Handler = (call: { request: any }, callback: (err: Error | null, res?: unknown) => void) => void;

export async function startEngine(opts: StandInOptions & { readonly project: string }): Promise<StandInEngine> {
  const mocks = standInMocks(opts);
  const monitor = new MockMonitor(mocks);
  // MockMonitor takes the project and stack for its URNs from the SDK settings of its own process
  Object.assign(monitor, {
    newUrn: (parent: string, type: string, name: string): string => {
      const qualified = parent ? `${parent.split("::")[2]!.split("$").pop()!}$${type}` : type;
      return `urn:pulumi:${opts.stack}::${opts.project}::${qualified}::${name}`;
    },
  });
  const registrations: Registration[] = [];
  const diagnostics: Diagnostic[] = [];
  let outputs: Record<string, unknown> = {};
  const secretOutputs = new Set<string>();
  let root = "";

  const recorded =
    (method: "registerResource" | "readResource", read: boolean): Handler =>
    (call, callback) =>
      void monitor[method](call.request, (err: Error | null, res: any) => {
        if (!err) registrations.push(registrationOf(call.request, res, read));
        callback(err, res);
      });

  const monitorHandlers: Record<string, Handler> = {
    supportsFeature: (call, callback) => {
      const res = new resourceProto.SupportsFeatureResponse!();
      res.setHassupport(FEATURES[call.request.getId() as string] ?? false);
      callback(null, res);
    },
    invoke: (call, callback) => void monitor.invoke(call.request, callback),
    registerResource: recorded("registerResource", false),
    readResource: recorded("readResource", true),
    registerResourceOutputs: (call, callback) => {
      if (call.request.getUrn() === root) {
        const raw = pulumi.runtime.deserializeProperties(call.request.getOutputs()) as Record<string, unknown>;
        outputs = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, unwrapSecret(v)]));
        for (const [k, v] of Object.entries(raw)) if (isSecretValue(v)) secretOutputs.add(k);
      }
      callback(null, new Empty());
    },
    registerPackage: (call, callback) => monitor.registerPackage(call.request, callback),
    signalAndWaitForShutdown: (_call, callback) => callback(null, new Empty()),
  };
  const engineHandlers: Record<string, Handler> = {
    log: (call, callback) => {
      const r = call.request;
      diagnostics.push({
        severity: SEVERITY[r.getSeverity() as number] ?? "error",
        message: r.getMessage(),
        urn: r.getUrn(),
        after: registrations.length,
      });
      callback(null, new Empty());
    },
    getRootResource: (_call, callback) => {
      const res = new engineProto.GetRootResourceResponse!();
      res.setUrn(root);
      callback(null, res);
    },
    setRootResource: (call, callback) => {
      root = call.request.getUrn();
      callback(null, new engineProto.SetRootResourceResponse!());
    },
  };

  const server = new grpc.Server();
  server.addService(resourceGrpc.ResourceMonitorService, monitorHandlers);
  server.addService(engineGrpc.EngineService, engineHandlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    registrations,
    calls: mocks.calls,
    diagnostics,
    get outputs() {
      return outputs;
    },
    secretOutputs,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
