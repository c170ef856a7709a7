#!/usr/bin/env node
// `npx mesh …` from a clone (package.json "bin"): the command line of cli/mesh.ts in this one process,
// its TypeScript loaded through tsx (a dependency) exactly as `node --import tsx` loads it, from wherever
// the command is run.
"use strict";
import("tsx").then(
  () => require("./mesh.ts").main(process.argv.slice(2)),
  (e) => {
    process.stderr.write(`mesh: cannot load tsx (${e.message}): run npm ci in the project first\n`);
    process.exitCode = 1;
  },
);
