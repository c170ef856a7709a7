/** The policy pack: `pulumi preview --policy-pack policy`. Every policy is mandatory; see policies.ts. */
import { PolicyPack, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { POLICIES, type PolicyConfig } from "./policies";

const configSchema = { properties: { allowPublicGatewaySlb: { type: "boolean" as const, default: false } } };

new PolicyPack("mesh", {
  enforcementLevel: "mandatory",
  policies: POLICIES.map((p): ResourceValidationPolicy | StackValidationPolicy => {
    const base = { name: p.name, description: p.description, enforcementLevel: "mandatory" as const, configSchema };
    if (p.resource) {
      const check = p.resource;
      return {
        ...base,
        validateResource: (args, report) => {
          for (const m of check({ type: args.type, name: args.name, props: args.props }, args.getConfig<PolicyConfig>())) report(m);
        },
      };
    }
    const check = p.stack!;
    return {
      ...base,
      validateStack: (args, report) => {
        const view = (
          r: (typeof args.resources)[number],
        ): {
          type: string;
          name: string;
          props: Record<string, unknown>;
          dependencies: { type: string; name: string; props: Record<string, unknown> }[];
        } => ({
          type: r.type,
          name: r.name,
          props: r.props,
          dependencies: r.dependencies.map((d) => ({ type: d.type, name: d.name, props: d.props })),
        });
        for (const m of check(args.resources.map(view), args.getConfig<PolicyConfig>())) report(m);
      },
    };
  }),
});
