/**
 * The portal's close: no new requests (503), running jobs cancelled within the grace period, then every
 * stream ended with a final event — before Fastify waits for its connections, which an open stream
 * would otherwise hold until the pod is killed mid-update.
 */
import type { FastifyInstance } from "fastify";

export function installShutdown(app: FastifyInstance): void {
  const { jobs, limits, log, streams } = app.portal;
  app.addHook("preClose", async () => {
    app.portal.closing = true;
    const active = jobs.activeHere();
    log({ level: "info", msg: "shutting down", jobs: active.map((j) => j.id), streams: streams.size });
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      jobs.shutdown().then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), limits.shutdownGraceMs))),
    ]);
    clearTimeout(timer);
    if (stopped)
      log({
        level: "info",
        msg: "jobs stopped",
        jobs: await Promise.all(active.map(async (j) => ({ id: j.id, state: (await jobs.get(j.id))?.state }))),
      });
    else
      log({
        level: "warning",
        msg: `jobs still running ${limits.shutdownGraceMs} ms after their cancel; the next start shows them interrupted, with the recovery step`,
        jobs: jobs.activeHere().map((j) => j.id),
      });
    await streams.endAll("shutting down", 2000);
  });
}
