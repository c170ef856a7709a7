/**
 * The image, as far as it can be checked without building it (nothing here downloads the Pulumi CLI): the
 * Dockerfile's base pinned by digest and overridable for a mirror, no `latest`, nothing downloaded but the
 * pinned Pulumi files; the pins themselves (versions, checksum format); install-pulumi.ts run for real
 * against a mirror on loopback with stand-in archives (checksums checked before anything is unpacked); and
 * the image's command run from a copy of the project laid out as the final stage lays it out — its COPY
 * lines, its ENV, production dependencies only, as the image's user, on PostgreSQL.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir, userInfo } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { envOf, readDockerfile, type Stage } from "./fixtures/dockerfile";
import { reachableByOthers, startPostgres } from "./fixtures/postgres";

const ROOT = join(__dirname, "..");
const PINS = join(ROOT, "deploy", "image", "pulumi-pins.txt");
const INSTALL = join(ROOT, "deploy", "image", "install-pulumi.ts");
/**
 * How node runs install-pulumi.ts here (the image's Node strips the types itself): tsx's CommonJS hook, all the
 * script needs; tsx's ES module loader would take longer to start than the script takes to run.
 */
const RUN_TS = ["--require", require.resolve("tsx/cjs")];
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};
const docker = readDockerfile();
const final = docker.stages.at(-1)!;
const stage = (name: string): Stage => docker.stages.find((s) => s.name === name)!;
const runs = (s: Stage) => s.instructions.filter((i) => i.op === "RUN").map((i) => i.args);

interface Listed {
  file: string;
  kind: "cli" | "plugin";
  name: string;
  version: string;
  arch: string;
  sha256?: string;
  url: string;
}
/** install-pulumi.ts --list's output for the project's pins file, which no test changes: listed once. */
let listed: string | undefined;
function listPins(): Listed[] {
  if (listed === undefined) {
    const r = spawnSync(process.execPath, [...RUN_TS, INSTALL, "--list", PINS, "https://mirror.example/releases"], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    listed = r.stdout;
  }
  return JSON.parse(listed) as Listed[];
}

describe("the Dockerfile", () => {
  it("builds every stage on Node.js 24 LTS (the line package.json names) on Debian slim, pinned by digest, from an overridable registry", () => {
    assert.equal(docker.globalArgs.REGISTRY, "docker.io/library");
    const m = /^node:(\d+)\.\d+\.\d+-(trixie|bookworm)-slim@sha256:[0-9a-f]{64}$/.exec(docker.globalArgs.NODE_IMAGE ?? "");
    assert.ok(m, `NODE_IMAGE=${docker.globalArgs.NODE_IMAGE}`);
    assert.match(pkg.engines.node, new RegExp(`\\^${m[1]}\\.`));
    assert.equal(m[1], "24");
    assert.deepEqual(
      docker.stages.map((s) => [s.name, s.from]),
      [
        ["build", "${REGISTRY}/${NODE_IMAGE}"],
        ["pulumi", "${REGISTRY}/${NODE_IMAGE}"],
        ["", "${REGISTRY}/${NODE_IMAGE}"],
      ],
    );
  });

  it("says latest nowhere and downloads nothing but what the pins name: no ADD, curl or wget, one URL", () => {
    assert.deepEqual(
      docker.lines.filter((l) => /\blatest\b/i.test(l)),
      [],
    );
    assert.deepEqual(
      docker.lines.filter((l) => /^ADD |\bcurl\b|\bwget\b/.test(l)),
      [],
    );
    // deb.debian.org is only the text the Debian mirror argument replaces in apt's sources
    assert.deepEqual(
      docker.lines.flatMap((l) => l.match(/https?:\/\/[^\s"|]+/g) ?? []),
      ["http://deb.debian.org", "https://get.pulumi.com/releases", "http://deb.debian.org"],
    );
    const pulumi = stage("pulumi");
    assert.ok(pulumi.instructions.some((i) => i.op === "ARG" && i.args === "PULUMI_DOWNLOAD_URL=https://get.pulumi.com/releases"));
    assert.deepEqual(runs(pulumi), ['node install-pulumi.ts pulumi-pins.txt "$PULUMI_DOWNLOAD_URL" "${TARGETARCH:-amd64}" /opt/pulumi']);
    assert.deepEqual(
      final.instructions.filter((i) => i.op === "COPY" && i.args.startsWith("--from=pulumi")),
      [{ op: "COPY", args: "--from=pulumi /opt/pulumi /opt/pulumi" }],
    );
  });

  it("names the CLI version it pins to the server (MESH_PULUMI_VERSION), the one the workflows install", () => {
    const cli = new Set(
      listPins()
        .filter((p) => p.kind === "cli")
        .map((p) => p.version),
    );
    assert.deepEqual([...cli], [envOf(final).MESH_PULUMI_VERSION]);
    for (const wf of ["up.yml", "preview.yml"]) {
      const versions = [...readFileSync(join(ROOT, ".github", "workflows", wf), "utf8").matchAll(/pulumi-version: (\S+)/g)].map(
        (x) => x[1],
      );
      assert.ok(versions.length > 0 && versions.every((v) => v === envOf(final).MESH_PULUMI_VERSION), `${wf}: ${versions.join(", ")}`);
    }
  });

  it("keeps the Pulumi CLI from downloading at run time and the image's state where the chart mounts volumes", () => {
    const env = envOf(final);
    assert.equal(env.PULUMI_SKIP_UPDATE_CHECK, "true");
    assert.equal(env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, "true");
    assert.equal(env.MESH_PULUMI_ROOT, "/opt/pulumi");
    assert.ok(env.PATH!.startsWith("/opt/pulumi/bin:"));
    assert.equal(env.HOME, "/var/lib/mesh");
    assert.equal(env.PULUMI_HOME, "/var/lib/mesh/.pulumi");
  });

  it("installs, builds the console, and keeps production dependencies only; runs as user 1000 under tini", (t) => {
    assert.deepEqual(runs(stage("build")).slice(1), [
      "--mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund ${NPM_REGISTRY:+--registry=$NPM_REGISTRY}",
      "npm run build",
      "npm prune --omit=dev --no-audit --no-fund && mkdir -p charts",
    ]);
    assert.deepEqual(
      final.instructions.filter((i) => ["USER", "ENTRYPOINT", "WORKDIR"].includes(i.op)),
      [
        { op: "WORKDIR", args: "/app" },
        { op: "USER", args: "1000:1000" },
        { op: "ENTRYPOINT", args: '["/usr/bin/tini", "--", "/app/deploy/image/entrypoint.sh"]' },
      ],
    );
    if (!pkg.scripts.build) t.todo("package.json has no build script (the console's build) yet: the image's build stage runs it");
  });
});

describe("the pins (deploy/image/pulumi-pins.txt)", () => {
  it("pin each provider plugin the @pulumi packages of package.json request, and the CLI, for amd64 and arm64, each by SHA-256 or marked unpinned", (t) => {
    const listed = listPins();
    const plugins = Object.keys(pkg.dependencies)
      .filter((d) => d.startsWith("@pulumi/"))
      .map(
        (d) =>
          (
            JSON.parse(readFileSync(join(ROOT, "node_modules", d, "package.json"), "utf8")) as {
              pulumi?: { resource?: boolean; name: string; version: string };
            }
          ).pulumi,
      )
      .filter((p): p is { resource: true; name: string; version: string } => p?.resource === true)
      .map((p) => `plugin ${p.name} ${p.version}`);
    assert.deepEqual(plugins.length, 4);
    const expected = ["amd64", "arm64"]
      .flatMap((arch) => [`cli pulumi ${envOf(final).MESH_PULUMI_VERSION} ${arch}`, ...plugins.map((p) => `${p} ${arch}`)])
      .sort();
    assert.deepEqual(listed.map((p) => `${p.kind} ${p.name} ${p.version} ${p.arch}`).sort(), expected);
    for (const p of listed) {
      assert.ok(p.sha256 === undefined || /^[0-9a-f]{64}$/.test(p.sha256), p.file);
      assert.equal(p.url, `https://mirror.example/releases/${p.kind === "cli" ? "sdk" : "plugins"}/${p.file}`);
    }
    const unpinned = listed.filter((p) => p.sha256 === undefined).map((p) => p.file);
    if (unpinned.length > 0) t.diagnostic(`unpinned, so the image cannot be built until they are: ${unpinned.join(", ")}`);
  });
});

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("install-pulumi.ts against a mirror on loopback (stand-in archives: no Pulumi download here)", () => {
  // made when the suite runs, so that a run that skips it leaves nothing behind
  let dir = "";
  let served = "";
  const requests: string[] = [];
  let server: Server;
  let base = "";
  const files = listPins().map((p) => p.file);

  /** A .tar.gz holding `entries` (path → shell script), as the release archives are laid out. */
  function archive(name: string, entries: Record<string, string>) {
    const src = mkdtempSync(join(dir, "src-"));
    for (const [path, body] of Object.entries(entries)) {
      mkdirSync(dirname(join(src, path)), { recursive: true });
      writeFileSync(join(src, path), body, { mode: 0o755 });
    }
    const out = join(served, name.includes("resource") ? "plugins" : "sdk", name);
    mkdirSync(dirname(out), { recursive: true });
    const r = spawnSync("tar", ["-czf", out, "-C", src, "."]);
    assert.equal(r.status, 0, String(r.stderr));
    return out;
  }

  /** A stand-in CLI: `version`, and `plugin install resource <name> <version> --file <f>` unpacking into PULUMI_HOME. */
  const cliScript = (version: string) =>
    `#!/bin/sh\ncase "$1" in\n  version) echo v${version} ;;\n  plugin) d="$PULUMI_HOME/plugins/resource-$4-v$5"; mkdir -p "$d" && tar -xzf "$7" -C "$d" ;;\n  *) exit 3 ;;\nesac\n`;

  function pinsFor(overrides: Record<string, string> = {}): string {
    const path = join(dir, `pins-${requests.length}-${Math.random().toString(36).slice(2)}.txt`);
    const lines = files.map((f) => `${overrides[f] ?? sha256(join(served, f.includes("resource") ? "plugins" : "sdk", f))}  ${f}`);
    writeFileSync(path, `# test pins\n${lines.join("\n")}\n`);
    return path;
  }

  /** Runs the script (asynchronously: the mirror answers from this process). */
  async function install(pins: string, arch: string) {
    const root = mkdtempSync(join(dir, `root-${arch}-`));
    rmSync(root, { recursive: true });
    const child = spawn(process.execPath, [...RUN_TS, INSTALL, pins, base, arch, root], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((r) => child.once("close", r));
    return { status, stdout, stderr, root };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "mesh-install-pulumi-"));
    served = join(dir, "served");
    for (const f of files) {
      const cli = /^pulumi-v([\d.]+)-linux/.exec(f);
      if (cli) archive(f, { "pulumi/pulumi": cliScript(cli[1]!), "pulumi/pulumi-language-nodejs": "#!/bin/sh\n" });
      else archive(f, { [`pulumi-resource-${/^pulumi-resource-([a-z0-9-]+)-v/.exec(f)![1]}`]: `#!/bin/sh\necho ${f}\n` });
    }
    server = createServer((req, res) => {
      requests.push(req.url!);
      const file = join(served, decodeURIComponent(req.url!.replace(/^\/releases\//, "")));
      if (!req.url!.startsWith("/releases/") || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/gzip" }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/releases`;
  });
  after(async () => {
    await new Promise((r) => server?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const arch of ["amd64", "arm64"]) {
    it(`${arch}: fetches exactly that architecture's files, unpacks the CLI into <root>/bin and installs each plugin from its file`, async () => {
      requests.length = 0;
      const r = await install(pinsFor(), arch);
      assert.equal(r.status, 0, r.stderr);
      const mine = listPins().filter((p) => p.arch === arch);
      assert.deepEqual(requests.sort(), mine.map((p) => `/releases/${p.kind === "cli" ? "sdk" : "plugins"}/${p.file}`).sort());
      assert.deepEqual(readdirSync(r.root).sort(), ["bin", "plugins"]);
      assert.deepEqual(readdirSync(join(r.root, "bin")).sort(), ["pulumi", "pulumi-language-nodejs"]);
      for (const p of mine.filter((x) => x.kind === "plugin"))
        assert.equal(
          readFileSync(join(r.root, "plugins", `resource-${p.name}-v${p.version}`, `pulumi-resource-${p.name}`), "utf8"),
          `#!/bin/sh\necho ${p.file}\n`,
        );
      assert.match(r.stdout, new RegExp(`installed .*bin/pulumi \\(v${envOf(final).MESH_PULUMI_VERSION}\\) and 4 plugin\\(s\\)`));
    });
  }

  it("refuses a file that is not the one pinned, naming both checksums, and unpacks nothing", async () => {
    const victim = files.find((f) => f.includes("kubernetes") && f.includes("amd64"))!;
    const r = await install(pinsFor({ [victim]: "0".repeat(64) }), "amd64");
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `install-pulumi: ${base.replace(/[.]/g, "\\.")}/plugins/${victim.replace(/[.]/g, "\\.")} has SHA-256 [0-9a-f]{64}, and ${victim.replace(/[.]/g, "\\.")} is pinned to 0{64}: this is not the file pinned\\. Do not pin what was downloaded`,
      ),
    );
    assert.equal(existsSync(join(r.root, "bin")), false);
    assert.equal(existsSync(join(r.root, "plugins")), false);
  });

  it("refuses to fetch anything while a file of the architecture is unpinned, saying where Pulumi publishes each checksum", async () => {
    requests.length = 0;
    const cli = files.find((f) => f.startsWith("pulumi-v") && f.includes("x64"))!;
    const tls = files.find((f) => f.includes("-tls-") && f.includes("amd64"))!;
    const r = await install(pinsFor({ [cli]: "unpinned", [tls]: "unpinned" }), "amd64");
    assert.equal(r.status, 1);
    const version = envOf(final).MESH_PULUMI_VERSION!;
    assert.match(r.stderr, /2 file\(s\) have no checksum pinned, and nothing is downloaded unpinned/);
    assert.ok(r.stderr.includes(`${cli}: https://get.pulumi.com/releases/sdk/pulumi-${version}-checksums.txt`), r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`${tls.replace(/[.]/g, "\\.")}: the checksums file of https://github\\.com/pulumi/pulumi-tls/releases/tag/v`),
    );
    assert.deepEqual(requests, []);
  });

  it("refuses a CLI archive whose pulumi reports another version", async () => {
    const cli = files.find((f) => f.startsWith("pulumi-v") && f.includes("x64"))!;
    const saved = readFileSync(join(served, "sdk", cli));
    archive(cli, { "pulumi/pulumi": cliScript("3.1.0") });
    try {
      const r = await install(pinsFor(), "amd64");
      assert.equal(r.status, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `version says v3\\.1\\.0, not v${envOf(final).MESH_PULUMI_VERSION!.replace(/\./g, "\\.")}: ${cli.replace(/\./g, "\\.")} is not the CLI pinned`,
        ),
      );
    } finally {
      writeFileSync(join(served, "sdk", cli), saved);
    }
  });

  it("reports every malformed line of a pins file at once, with its number", () => {
    const bad = join(dir, "bad-pins.txt");
    writeFileSync(
      bad,
      `# pins\n${"A".repeat(64)}  pulumi-v3.248.0-linux-x64.tar.gz\nunpinned pulumi-resource-tls-v5.6.1-linux-amd64.tar.gz\n${"a".repeat(64)}  pulumi-resource-tls-latest-linux-amd64.tar.gz\n`,
    );
    const r = spawnSync(process.execPath, [...RUN_TS, INSTALL, "--list", bad, base], { encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the pins file has 3 problem\(s\):\n {2}line 2: .*\n {2}line 3: .*\n {2}line 4: /);
  });
});

/** The production dependencies `npm prune --omit=dev` keeps: the lock file's top-level packages not marked dev. */
function productionModules(into: string) {
  const outOfReach = userInfo().uid === 0 && !reachableByOthers(join(ROOT, "node_modules"));
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean; link?: boolean; resolved?: string }>;
  };
  for (const [path, meta] of Object.entries(lock.packages)) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(path);
    if (!m || meta.dev) continue;
    const at = join(into, m[1]!);
    mkdirSync(dirname(at), { recursive: true });
    // a workspace is a link to its folder in the project (mesh-policy → ../policy), as in the image
    if (meta.link) symlinkSync(relative(dirname(at), join(into, "..", meta.resolved!)), at);
    // as root the server runs as the image's user, who cannot pass a mode-700 folder above the checkout
    // (a clone under /root, a mktemp -d): hard links in the layout instead of links into the checkout
    else if (outOfReach) {
      const from = join(ROOT, "node_modules", m[1]!);
      // an optional package of another platform is not installed; another file system takes no hard link: a copy
      if (existsSync(from) && spawnSync("cp", ["-al", from, at]).status !== 0)
        cpSync(from, at, { recursive: true, verbatimSymlinks: true });
    } else symlinkSync(join(ROOT, "node_modules", m[1]!), at);
  }
}

/** Files and folders under `dir`, with their sizes, for "nothing was written here". */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.name === "node_modules") continue;
      out.push(`${relative(dir, p)} ${e.isDirectory() ? "dir" : lstatSync(p).size}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe("the image's command, from a copy of the project laid out as the Dockerfile's final stage lays it out", () => {
  let root = "";
  const at = (p: string) => join(root, p);
  const workdir = final.instructions.filter((i) => i.op === "WORKDIR").at(-1)!.args;
  const buildWorkdir = stage("build").instructions.find((i) => i.op === "WORKDIR")!.args;
  const [uid, gid] = final.instructions
    .find((i) => i.op === "USER")!
    .args.split(":")
    .map(Number) as [number, number];
  const asRoot = userInfo().uid === 0;
  const skipped: string[] = [];

  /** Each COPY --from=build of the final stage, from this checkout; what only the build makes, as the build makes it. */
  function layOut() {
    for (const copy of final.instructions.filter((i) => i.op === "COPY" && i.args.startsWith("--from=build "))) {
      const parts = copy.args.split(" ").slice(1);
      const destArg = parts.pop()!;
      const dest = at(isAbsolute(destArg) ? destArg : join(workdir, destArg));
      for (const src of parts) {
        const rel = relative(buildWorkdir, src);
        const sources = rel.includes("*")
          ? readdirSync(join(ROOT, dirname(rel)))
              .filter((f) => new RegExp(`^${rel.split("/").at(-1)!.replace(/\./g, "\\.").replace(/\*/g, "[^/]*")}$`).test(f))
              .map((f) => join(dirname(rel), f))
          : [rel];
        assert.ok(sources.length > 0, `COPY ${src}: nothing matches in the project`);
        for (const s of sources) {
          const into = destArg.endsWith("/") || parts.length > 1 || rel.includes("*") ? join(dest, s.split("/").at(-1)!) : dest;
          if (s === "node_modules") productionModules(into);
          else if (existsSync(join(ROOT, s))) cpSync(join(ROOT, s), into, { recursive: true });
          // made in the build stage: charts/ (mkdir -p), console/dist (npm run build)
          else if (s === "charts") mkdirSync(into, { recursive: true });
          else skipped.push(s);
        }
      }
    }
    // the pulumi stage's /opt/pulumi: no CLI can be installed here, so only its (empty) plugins folder
    mkdirSync(at("opt/pulumi/plugins"), { recursive: true });
    for (const d of ["tmp", "var/lib/mesh"]) {
      mkdirSync(at(d), { recursive: true });
      if (asRoot) chownSync(at(d), uid, gid);
    }
  }

  /** The final stage's ENV, its paths moved under the copy; /tmp is the chart's emptyDir. */
  function imageEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(envOf(final)))
      env[k] =
        k === "PATH" ? [...v.split(":").map(at), dirname(process.execPath), "/usr/bin", "/bin"].join(":") : v.startsWith("/") ? at(v) : v;
    return { ...env, TMPDIR: at("tmp"), ...extra };
  }

  const entrypoint = () => at(JSON.parse(final.instructions.find((i) => i.op === "ENTRYPOINT")!.args).at(-1) as string);
  const spawnOptions = (env: NodeJS.ProcessEnv) => ({ cwd: at(workdir), env, ...(asRoot ? { uid, gid } : {}) });

  let before_: string[] = [];
  let pg: { url: string; stop: () => Promise<void> } | undefined;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), "mesh-image-layout-"));
    chmodSync(root, 0o755);
    layOut();
    // the image's project is root's and read-only to the server's user; as a user other than root, made read-only
    if (!asRoot) spawnSync("chmod", ["-R", "a-w", at(workdir)]);
    before_ = snapshot(at(workdir));
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.stop();
    if (!root) return;
    if (!asRoot) spawnSync("chmod", ["-R", "u+w", root]);
    rmSync(root, { recursive: true, force: true });
  });

  it("lays out the project the server needs: stack files, the program, the policy pack, the entrypoint", (t) => {
    for (const f of [
      "package.json",
      "tsconfig.json",
      "Pulumi.yaml",
      "index.ts",
      "config.ts",
      "server/main.ts",
      "policy/PulumiPolicy.yaml",
      "deploy/image/entrypoint.sh",
    ])
      assert.ok(existsSync(join(at(workdir), f)), f);
    const stacks = readdirSync(ROOT).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f));
    assert.ok(stacks.length > 0);
    for (const s of stacks) assert.ok(existsSync(join(at(workdir), s)), s);
    assert.equal(readlinkSync(join(at(workdir), "node_modules", "mesh-policy")), "../policy");
    assert.equal(existsSync(join(at(workdir), "node_modules", "typescript-eslint")), false, "a devDependency in the image");
    if (skipped.length > 0) t.diagnostic(`made only by the image's build, not here: ${skipped.join(", ")}`);
  });

  it("--help: the server's options, exit 0", () => {
    const r = spawnSync(entrypoint(), ["--help"], { ...spawnOptions(imageEnv({})), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: mesh-api \[options\]/);
    assert.match(r.stdout, /--engine <engine>/);
  });

  it("starts as the chart starts it (PostgreSQL, tokens, the Pulumi CLI engine), read-only: healthy, ready, the project's stacks, the console, the plugins linked, nothing written, exit 0 on SIGTERM", async (t) => {
    const token = "image-layout-test-token";
    const env = imageEnv({
      MESH_API_HOST: "127.0.0.1",
      MESH_API_PORT: "0",
      MESH_DATABASE_URL: pg!.url,
      MESH_API_TOKENS: JSON.stringify([{ name: "portal", role: "viewer", sha256: createHash("sha256").update(token).digest("hex") }]),
    });
    const child = spawn(entrypoint(), [], { ...spawnOptions(env), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const end = Date.now() + 90_000;
      while (!out.includes('"msg":"listening"')) {
        if (Date.now() > end || child.exitCode !== null) assert.fail(`no listening line: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const listening = JSON.parse(out.split("\n").find((l) => l.includes('"msg":"listening"'))!) as Record<string, string>;
      assert.equal(listening.engine, "local (the Pulumi CLI)");
      // the job store named, its password not
      assert.equal(listening.store, `postgres postgres://mesh@${new URL(pg!.url).host}/jobs`);
      assert.equal(out.includes(new URL(pg!.url).password), false);
      const url = listening.address!;
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      assert.equal((await fetch(`${url}/v1/stacks`)).status, 401);
      const res = await fetch(`${url}/v1/stacks`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { stacks: { stack: string; outputsError?: { code: string; message: string } }[] };
      const files = readdirSync(ROOT)
        .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => !!s)
        .sort();
      assert.deepEqual(body.stacks.map((s) => s.stack).sort(), files);
      // no CLI is installed here: the server looks for it where the image puts it, and says so
      for (const s of body.stacks) assert.equal(s.outputsError?.code, "cli_missing", JSON.stringify(s));
      assert.equal(readlinkSync(at("var/lib/mesh/.pulumi/plugins")), at("opt/pulumi/plugins"));
      // the console, where this checkout has built it (npm ci's prepare), as the image's build always does
      if (existsSync(join(at(workdir), "console", "dist", "index.html"))) {
        const page = await fetch(`${url}/`);
        assert.equal(page.status, 200);
        assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      } else t.diagnostic("console/dist is not built in this checkout: / not checked");
      child.kill("SIGTERM");
      assert.equal(await exited, 0, out);
      assert.deepEqual(snapshot(at(workdir)), before_);
      assert.doesNotMatch(out, /"level":"error"|EACCES|EROFS/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
