/** This repository's folder: Pulumi.yaml, the stack files and index.ts. Apart from mock-run.ts, so that naming it loads no Pulumi SDK. */
import { join } from "node:path";

export const PROJECT_DIR = join(__dirname, "..", "..");
