/**
 * Decodes a RegisterResource or ReadResource request and its response (the resource monitor's protobuf
 * messages) into a Registration, for the in-process mocks (tools/engine/mock-run.ts) and the loopback engine
 * (loopback-engine.ts). Decoding the properties takes the Pulumi SDK, so it is kept out of stand-in.ts, whose
 * canned values load without it.
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
