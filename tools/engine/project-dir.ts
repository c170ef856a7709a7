/**
 * The repository's folder (Pulumi.yaml, the stack files, index.ts), in a module of its own: mock-run.ts loads
 * the Pulumi SDK, about half a second of CPU in every process that imports it, and a test that needs only
 * the folder should not pay for it.
 */
import { join } from "node:path";

export const PROJECT_DIR = join(__dirname, "..", "..");
