import * as pulumi from "@pulumi/pulumi";

/**
 * A report for the user: a `RunError`, which the CLI shows as its message alone, without a stack.
 *
 * Its stack is dropped on purpose. The SDK's uncaught-error handler (`cmd/run/run.ts`) also formats
 * every error with `util.inspect(err, { colors: true })` for its trace span, RunErrors included. On
 * Node 20 that colourising of source-mapped frames under `node_modules` runs for about 15 s before it
 * gives up (nodejs/node#64011, fixed by #64022, which Node 20 will not get), so every report would
 * reach the user that much later. Without a stack the SDK uses the message and returns at once.
 */
export function runError(message: string): pulumi.RunError {
  const error = new pulumi.RunError(message);
  error.stack = undefined;
  return error;
}
