/** The benchmark's and the fuzzer's command lines: a mistyped argument is a usage error before anything runs. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it, mock } from "node:test";
import { BENCH_USAGE, benchArgs } from "../tools/bench/args";
import { reportLatency } from "../tools/bench/report";
import { FUZZ_USAGE, fuzzArgs } from "../tools/fuzz/fuzz";

const ROOT = join(__dirname, "..");
const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "tools", script), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });

describe("npm run bench's arguments", () => {
  it("reads each mode", () => {
    assert.deepEqual(benchArgs([]), { mode: "matrix" });
    assert.deepEqual(benchArgs(["10", "1000"]), { mode: "cell", clusters: 10, services: 1000 });
    for (const m of ["report", "converge", "api", "store", "replays", "console"]) assert.deepEqual(benchArgs([m]), { mode: m });
    assert.deepEqual(benchArgs(["verify"]), { mode: "verify" });
    assert.deepEqual(benchArgs(["verify", "3", "50"]), { mode: "verify", clusters: 3, services: 50 });
    assert.deepEqual(benchArgs(["--help"]), { mode: "help" });
  });

  for (const [args, problem] of [
    [["foo"], "foo is not a mode (report, converge, api, store, replays, verify, console) nor a number of clusters"],
    [["--frob"], "--frob is not a mode (report, converge, api, store, replays, verify, console) nor a number of clusters"],
    [["10"], "a cell takes <clusters> <services>, e.g. 10 1000; got one number"],
    [["10", "x"], "x is not a number of services: write a whole number from 1 to 99999"],
    [["1", "10"], "1 is not a number of clusters: write a whole number from 2 to 9999"],
    [["report", "now"], "report takes no arguments, got now"],
    [["verify", "ten", "5"], "ten is not a number of clusters: write a whole number from 2 to 9999"],
  ] as const) {
    it(`refuses ${args.join(" ")}`, () => assert.deepEqual(benchArgs(args), { mode: "usage", problem }));
  }

  it("exits 2 with the problem and the usage, having run nothing; --help exits 0", () => {
    const bad = run("bench/bench.ts", ["foo"]);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, "");
    assert.equal(
      bad.stderr,
      `bench: foo is not a mode (report, converge, api, store, replays, verify, console) nor a number of clusters\n${BENCH_USAGE}`,
    );
    const help = run("bench/bench.ts", ["--help"]);
    assert.deepEqual([help.status, help.stdout, help.stderr], [0, BENCH_USAGE, ""]);
    for (const mode of ["report", "converge", "api", "store", "verify", "console", "<clusters> <services>"])
      assert.match(BENCH_USAGE, new RegExp(`\\n  ${mode} `));
  });

  it("report says what it measures as it goes", async () => {
    const lines: string[] = [];
    const log = mock.method(console, "log", () => undefined);
    try {
      await reportLatency({ runs: 1, progress: (l) => lines.push(l), time: () => Promise.resolve(100) });
    } finally {
      log.mock.restore();
    }
    assert.deepEqual(lines, [
      "bench report: 1/4 a successful run (tsx): 3 runs of the program",
      "bench report: 2/4 a successful run (ts-node): 3 runs of the program",
      "bench report: 3/4 a config typo: 3 runs of the program",
      "bench report: 4/4 a missing stack: 3 runs of the program",
    ]);
  });
});

describe("npm run fuzz's arguments", () => {
  it("reads a seed and a case count, or neither", () => {
    assert.deepEqual(fuzzArgs([]), { seeds: [1, 2, 3], cases: 150 });
    assert.deepEqual(fuzzArgs(["7"]), { seeds: [7], cases: 150 });
    assert.deepEqual(fuzzArgs(["7", "20"]), { seeds: [7], cases: 20 });
  });

  it("exits 2 on a seed that is not a number, instead of fuzzing seed NaN", () => {
    const r = run("fuzz/fuzz.ts", ["abc"]);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, `fuzz: abc is not a seed: write a whole number, e.g. 7\n${FUZZ_USAGE}`);
    assert.deepEqual(fuzzArgs(["1", "0"]), { problem: "0 is not a number of cases: write a whole number from 1, e.g. 150" });
    assert.deepEqual(fuzzArgs(["1", "2", "3"]), { problem: "at most two arguments, got 3: 1 2 3" });
  });
});
