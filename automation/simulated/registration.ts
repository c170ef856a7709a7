/**
 * A registration as the engine received it, from the monitor's gRPC messages: in process (`mock-run.ts`) or
 * over gRPC (`loopback-engine.ts`). Its own file, since decoding the properties takes the Pulumi SDK.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Registration } from "./stand-in";

/** A Registration from the monitor's request and response (gRPC messages of RegisterResource or ReadResource). */
export function registrationOf(req: any, res: any, read: boolean): Registration {
  return {
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
  };
}
