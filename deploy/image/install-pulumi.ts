/**
 * The image's Pulumi CLI and provider plugins (Dockerfile, stage `pulumi`), from pulumi-pins.txt: each file for
 * the target architecture is downloaded from `<base>/sdk/` or `<base>/plugins/` (the layout of Pulumi's release
 * bucket, or of a mirror of it), and its SHA-256 checked against the pin before anything is unpacked. Then the
 * CLI is unpacked into `<root>/bin` and each plugin installed from its file into `<root>/plugins` with
 * `pulumi plugin install --file` (no download of its own). It runs on the image's bare Node (24 strips the
 * types), before any package is installed, so it uses nothing but Node itself and `tar`.
 *
 *   node install-pulumi.ts <pins> <base URL> <amd64|arm64> <root>   download, verify, install
 *   node install-pulumi.ts --list <pins> <base URL>                 every pinned file and its URL, as JSON; fetches nothing
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

interface Pin {
  readonly file: string;
  /** 64 hex digits, or undefined while the line says `unpinned`. */
  readonly sha256: string | undefined;
  readonly kind: "cli" | "plugin";
  /** `pulumi` for the CLI, the provider's name for a plugin. */
  readonly name: string;
  readonly version: string;
  readonly arch: "amd64" | "arm64";
}

const CLI = /^pulumi-v(\d+\.\d+\.\d+)-linux-(x64|arm64)\.tar\.gz$/;
const PLUGIN = /^pulumi-resource-([a-z0-9-]+)-v(\d+\.\d+\.\d+)-linux-(amd64|arm64)\.tar\.gz$/;
/** A download that takes longer than this is given up (the build fails and says which). */
const DOWNLOAD_MS = 10 * 60_000;

function fail(message: string): never {
  process.stderr.write(`install-pulumi: ${message}\n`);
  process.exit(1);
}

/** Every line of the pins file, or every problem with it at once. */
function parsePins(text: string): Pin[] {
  const pins: Pin[] = [];
  const problems: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = /^([0-9a-f]{64}|unpinned) {2}(\S+)$/.exec(line);
    const cli = m && CLI.exec(m[2]!);
    const plugin = m && PLUGIN.exec(m[2]!);
    if (!m || (!cli && !plugin)) {
      problems.push(
        `line ${i + 1}: ${JSON.stringify(line.slice(0, 120))} is not "<sha256>  pulumi-v<version>-linux-<x64|arm64>.tar.gz" or "<sha256>  pulumi-resource-<name>-v<version>-linux-<amd64|arm64>.tar.gz" (sha256: 64 lower-case hex digits, or unpinned)`,
      );
      return;
    }
    const sha256 = m[1] === "unpinned" ? undefined : m[1];
    pins.push(
      cli
        ? { file: m[2]!, sha256, kind: "cli", name: "pulumi", version: cli[1]!, arch: cli[2] === "x64" ? "amd64" : "arm64" }
        : { file: m[2]!, sha256, kind: "plugin", name: plugin![1]!, version: plugin![2]!, arch: plugin![3] as Pin["arch"] },
    );
  });
  const seen = new Set<string>();
  for (const p of pins) {
    const key = `${p.kind} ${p.name} ${p.arch}`;
    if (seen.has(key)) problems.push(`${p.name} for ${p.arch} is pinned twice: keep one line`);
    seen.add(key);
  }
  if (problems.length > 0) fail(`the pins file has ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  return pins;
}

/** Where Pulumi publishes the checksum of this file, for the message that asks for it. */
function publishedAt(p: Pin): string {
  return p.kind === "cli"
    ? `https://get.pulumi.com/releases/sdk/pulumi-${p.version}-checksums.txt`
    : `the checksums file of https://github.com/pulumi/pulumi-${p.name}/releases/tag/v${p.version}`;
}

const urlOf = (base: string, p: Pin) => `${base.replace(/\/+$/, "")}/${p.kind === "cli" ? "sdk" : "plugins"}/${p.file}`;

/** The pins of this architecture: exactly one CLI, each pinned; otherwise it says which line to fix and where. */
function selected(pins: readonly Pin[], arch: string): Pin[] {
  if (arch !== "amd64" && arch !== "arm64") fail(`architecture ${JSON.stringify(arch)}: the image is built for amd64 or arm64`);
  const mine = pins.filter((p) => p.arch === arch);
  if (mine.filter((p) => p.kind === "cli").length !== 1) fail(`the pins file has no Pulumi CLI for linux ${arch}: add its line`);
  const unpinned = mine.filter((p) => p.sha256 === undefined);
  if (unpinned.length > 0)
    fail(
      `${unpinned.length} file(s) have no checksum pinned, and nothing is downloaded unpinned: replace "unpinned" in the pins file with the SHA-256 that Pulumi publishes for\n  ${unpinned.map((p) => `${p.file}: ${publishedAt(p)}`).join("\n  ")}`,
    );
  return mine;
}

/** Downloads `url` to `path`, hashing on the way; the SHA-256 it got. */
async function download(url: string, path: string): Promise<string> {
  const res = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(DOWNLOAD_MS) }).catch((e: unknown) =>
    fail(`${url}: ${e instanceof Error ? e.message : String(e)}: check the base URL (build argument PULUMI_DOWNLOAD_URL) and the network`),
  );
  if (!res.ok || !res.body)
    fail(`${url} answered ${res.status}: check the base URL (build argument PULUMI_DOWNLOAD_URL) and that the mirror holds the file`);
  const hash = createHash("sha256");
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), tap, createWriteStream(path, { mode: 0o600 }));
  return hash.digest("hex");
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { env, encoding: "utf8" });
  if (r.status !== 0)
    fail(
      `${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || r.stdout || "").trim().slice(0, 2000)}`,
    );
  return r.stdout;
}

async function install(pins: readonly Pin[], base: string, root: string): Promise<void> {
  const downloads = join(root, ".downloads");
  mkdirSync(downloads, { recursive: true });
  // every file checked before any is unpacked: a bad one leaves nothing behind that looks installed
  for (const p of pins) {
    const got = await download(urlOf(base, p), join(downloads, p.file));
    if (got !== p.sha256) {
      rmSync(downloads, { recursive: true, force: true });
      fail(
        `${urlOf(base, p)} has SHA-256 ${got}, and ${p.file} is pinned to ${p.sha256}: this is not the file pinned. Do not pin what was downloaded; check the mirror, or the pin against ${publishedAt(p)}`,
      );
    }
  }
  const cli = pins.find((p) => p.kind === "cli")!;
  run("tar", ["-xzf", join(downloads, cli.file), "-C", root], process.env);
  // the release's archive holds one folder, pulumi/, with the CLI and its language hosts
  renameSync(join(root, "pulumi"), join(root, "bin"));
  const env = { ...process.env, PULUMI_HOME: root, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" };
  const pulumi = join(root, "bin", "pulumi");
  const version = run(pulumi, ["version"], env).trim();
  if (version !== `v${cli.version}`) fail(`${pulumi} version says ${version}, not v${cli.version}: ${cli.file} is not the CLI pinned`);
  for (const p of pins.filter((x) => x.kind === "plugin")) {
    run(pulumi, ["plugin", "install", "resource", p.name, p.version, "--file", join(downloads, p.file)], env);
    const binary = join(root, "plugins", `resource-${p.name}-v${p.version}`, `pulumi-resource-${p.name}`);
    if (!existsSync(binary) || (statSync(binary).mode & 0o111) === 0)
      fail(`pulumi plugin install left no executable ${binary}: is ${p.file} the provider's release archive?`);
  }
  rmSync(downloads, { recursive: true, force: true });
  process.stdout.write(`installed ${pulumi} (${version}) and ${pins.length - 1} plugin(s) in ${join(root, "plugins")}\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  const list = argv[0] === "--list";
  const [pinsFile, base, arch, root] = list ? argv.slice(1) : argv;
  if (!pinsFile || !base || (!list && (!arch || !root)))
    fail("usage: node install-pulumi.ts <pins> <base URL> <amd64|arm64> <root>, or --list <pins> <base URL>");
  const all = parsePins(readFileSync(pinsFile, "utf8"));
  if (list) {
    process.stdout.write(`${JSON.stringify(all.map((p) => ({ ...p, url: urlOf(base, p) })))}\n`);
    return;
  }
  await install(selected(all, arch!), base, root!);
}

main(process.argv.slice(2)).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
