/**
 * Istio's own schemas, for checking what the program renders: the OpenAPI schemas the API server
 * enforces on networking.istio.io/v1 (from Istio 1.30.3's CRDs), the @kubernetes-models/istio
 * models, and the gateway chart's values.schema.json.
 */
import Ajv, { type ValidateFunction } from "ajv";
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule";
import { Gateway } from "@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway";
import crds from "./fixtures/istio-1.30.3/networking-v1-crds.json";
import gatewayValuesSchema from "./fixtures/istio-1.30.3/gateway.values.schema.json";

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/**
 * The API server prunes fields a structural schema does not declare: a misspelt field is dropped
 * silently. Closing every object that does not preserve unknown fields turns that into an error.
 */
function closeSchema(s: any): any {
  if (Array.isArray(s)) return s.map(closeSchema);
  if (s === null || typeof s !== "object") return s;
  const out: any = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === "x-kubernetes-validations") continue;
    out[k] = closeSchema(v);
  }
  if (s["x-kubernetes-int-or-string"]) {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (out.type === "object" && out.properties && out.additionalProperties === undefined && !s["x-kubernetes-preserve-unknown-fields"]) {
    out.additionalProperties = false;
  }
  return out;
}

const crdValidators: Record<string, ValidateFunction> = {
  Gateway: ajv.compile(closeSchema(crds.Gateway.schema)),
  DestinationRule: ajv.compile(closeSchema(crds.DestinationRule.schema)),
};

/** Problems an `networking.istio.io/v1` object has against Istio 1.30.3's CRD schema and model; [] if none. */
export function istioObjectProblems(obj: { apiVersion: string; kind: string; metadata: any; spec: any }): string[] {
  const problems: string[] = [];
  if (obj.apiVersion !== "networking.istio.io/v1") problems.push(`apiVersion ${obj.apiVersion}: write networking.istio.io/v1`);
  const validate = crdValidators[obj.kind];
  if (!validate) return [...problems, `no schema for kind ${obj.kind}`];
  // the CRD schema declares spec and status; metadata is the API server's own
  if (!validate({ spec: obj.spec })) {
    problems.push(
      ...(validate.errors ?? []).map(
        (e) =>
          `crd: ${e.instancePath} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`,
      ),
    );
  }
  // the models ship v1beta1 only; v1 has the identical schema
  const Model = obj.kind === "Gateway" ? Gateway : DestinationRule;
  try {
    new Model({ metadata: obj.metadata, spec: obj.spec }).validate();
  } catch (e) {
    problems.push(`model: ${(e as Error).message}`);
  }
  return problems;
}

const gatewayValues = ajv.compile({ ...gatewayValuesSchema, $schema: undefined });

/** Problems the gateway chart's values.schema.json finds in these values; [] if none. */
export function gatewayValuesProblems(values: unknown): string[] {
  if (gatewayValues(values)) return [];
  return (gatewayValues.errors ?? []).map(
    (e) =>
      `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`,
  );
}
