/**
 * The portal API under load, on loopback: 100 Server-Sent Event clients on one job, and 20 concurrent
 * `POST up` on one stack (exactly one runs; the others get 409 with its id). Events delivered per
 * second and the server's memory, in one run.
 */
import { readEvents, startApi, TOKENS } from "../test/fixtures/api";

export async function benchApi(clients = 100, posts = 20): Promise<void> {
  // a slow, large job: 2 ms per resource operation, 300 resources
  const api = await startApi({ engine: { stepMs: 2, baseResources: 300 } });
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
    console.log(`  memory (RSS)  ${Math.round(rssBefore / 2 ** 20)} MiB before, ${Math.round(peakRss / 2 ** 20)} MiB at peak`);
  } finally {
    await api.close();
  }
}

if (require.main === module) {
  benchApi().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
