/**
 * The portal API under load, on loopback: 100 Server-Sent Event clients on one job, and 20 concurrent
 * `POST up` on one stack (exactly one runs; the others get 409 with its id). Events delivered per
 * second and the server's memory, in one run.
 */
import { connect, type Socket } from "node:net";
import type { OperationOptions } from "../../automation/engine";
import { readEvents, startApi, TOKENS } from "../../test/fixtures/api";

const mib = (n: number) => Math.round(n / 2 ** 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A socket that writes `text`, then (if `trickle`) one more byte every 100 ms, and never reads. */
function hold(url: string, text: string, trickle = false): Promise<{ socket: Socket; closed: Promise<number> }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = connect(Number(port), "127.0.0.1", () => {
      socket.write(text);
      socket.pause();
      const timer = trickle ? setInterval(() => !socket.destroyed && socket.write(" "), 100) : undefined;
      resolve({ socket, closed: new Promise((r) => socket.once("close", () => (clearInterval(timer), r(Date.now() - t0)))) });
    });
    socket.on("error", () => {});
  });
}

/** 500 clients that never read a finished job's 1.9 MB replay: the server's memory, and what the limits admit. */
async function replayFlood(clients = 500): Promise<void> {
  // one token stands for every client here: no per-caller limit
  const api = await startApi({ limits: { streamStallMs: 5000, streamsPerCaller: clients } });
  api.engine.run = (_s: string, _k: unknown, o: OperationOptions) => {
    const message = `${"a line the program printed ".repeat(70)}\n`;
    for (let i = 0; i < 1000; i++) o.onEvent({ sequence: i, timestamp: 0, diagnosticEvent: { message, color: "never", severity: "info" } });
    return Promise.resolve({ changes: {} });
  };
  const sockets: Socket[] = [];
  try {
    const id = (await api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator })).json.id as string;
    await api.jobs.wait(id);
    const bytes = (await api.jobs.events(id)).reduce((a, e) => a + JSON.stringify(e).length, 0);
    const { port } = new URL(api.url);
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const request = `GET /v1/jobs/${id}/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKENS.viewer}\r\n\r\n`;
    const held = await Promise.all(Array.from({ length: clients }, () => hold(api.url, request)));
    sockets.push(...held.map((h) => h.socket));
    await sleep(2000);
    const reader = await api.call("GET", `/v1/jobs/${id}`, { token: TOKENS.viewer });
    clearInterval(sampler);
    console.log(`replay flood: ${clients} clients that never read a finished job's ${(bytes / 2 ** 20).toFixed(1)} MB replay:`);
    console.log(`  memory (RSS)  ${mib(rssBefore)} MiB before, ${mib(peak)} MiB at peak; a read meanwhile: ${reader.status}`);
  } finally {
    for (const s of sockets) s.destroy();
    await api.close();
  }
}

/** Clients that send a body one byte per 100 ms: how many the request deadline cuts, and a valid request meanwhile. */
async function slowBodies(clients = 2000): Promise<void> {
  const api = await startApi({ limits: { requestMs: 2000, deadlineCheckMs: 500 } });
  try {
    const { port } = new URL(api.url);
    const head = `POST /v1/stacks/wuxi/preview HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`;
    const held = await Promise.all(Array.from({ length: clients }, () => hold(api.url, head, true)));
    const t0 = performance.now();
    const valid = await api.call("GET", "/v1/jobs", { token: TOKENS.viewer });
    const validMs = Math.round(performance.now() - t0);
    const times = await Promise.all(held.map((h) => Promise.race([h.closed, sleep(20_000).then(() => Infinity)])));
    const cut = times.filter((t) => t !== Infinity);
    console.log(`slow bodies: ${clients} clients sending a 1000-byte body at one byte per 100 ms (100 s), request deadline 2 s:`);
    console.log(
      `  cut          ${cut.length} of ${clients}, the last after ${Math.max(...cut)} ms; a valid GET meanwhile: ${valid.status} in ${validMs} ms`,
    );
    for (const h of held) h.socket.destroy();
  } finally {
    await api.close();
  }
}

export async function benchApi(clients = 100, posts = 20): Promise<void> {
  // a slow, large job: 2 ms per resource operation, 300 resources
  // one token stands for every client here: no per-caller limit
  const api = await startApi({ engine: { stepMs: 2, baseResources: 300 }, limits: { streamsPerCaller: clients } });
  const rssBefore = process.memoryUsage().rss;
  try {
    const started = performance.now();
    const responses = await Promise.all(
      Array.from({ length: posts }, () => api.call("POST", "/v1/stacks/wuxi/up", { token: TOKENS.operator })),
    );
    const accepted = responses.filter((r) => r.status === 202);
    const conflicts = responses.filter((r) => r.status === 409);
    const job = accepted[0]!.json.id as string;
    const sameId = conflicts.every((r) => r.json.runningJob === job);
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    const streams = await Promise.all(Array.from({ length: clients }, () => readEvents(api.url, `/v1/jobs/${job}/events`, TOKENS.viewer)));
    clearInterval(sampler);
    const ms = performance.now() - started;
    const delivered = streams.reduce((a, s) => a + s.length, 0);
    const complete = streams.every((s) => s.at(-1)?.event === "job.finished" && s.length === streams[0]!.length);
    console.log(`portal API on loopback: ${posts} concurrent POST up on one stack, ${clients} event streams on the job:`);
    console.log(`  POST up       ${accepted.length} × 202, ${conflicts.length} × 409 (all naming the running job: ${sameId})`);
    console.log(
      `  events        ${streams[0]!.length} per stream, ${delivered} delivered in ${Math.round(ms)} ms: ${Math.round(delivered / (ms / 1000))} events/s; every stream complete: ${complete}`,
    );
    console.log(`  memory (RSS)  ${mib(rssBefore)} MiB before, ${mib(peakRss)} MiB at peak`);
  } finally {
    await api.close();
  }
  await replayFlood();
  await slowBodies();
}

if (require.main === module) {
  benchApi().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
