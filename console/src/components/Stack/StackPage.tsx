/** One stack: its outputs (secrets masked by the server), peers, last jobs, and the actions the role allows. */
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { useJobs, useStack } from "../../lib/queries";
import { Failure, Loading } from "../common/States";
import { JobTable } from "../Jobs/JobTable";
import { StackActions } from "./StackActions";
import { Outputs } from "./Outputs";

export function StackPage({ stack }: { stack: string }) {
  const { t } = useTranslation();
  const status = useStack(stack);
  const jobs = useJobs({ stack, limit: 10 });
  if (status.isPending) return <Loading />;
  if (status.isError) return <Failure error={status.error} />;
  const s = status.data;
  return (
    <section aria-labelledby="stack-title">
      <h1 id="stack-title">
        {t("stack.title", { stack: s.stack })} {s.anchor && <span className="badge info">{t("stack.anchor")}</span>}
      </h1>
      {s.runningJob && (
        <p role="status">
          {t("stack.running")} <Link href={`/jobs/${s.runningJob}`}>{s.runningJob}</Link>
        </p>
      )}
      <StackActions stack={s.stack} />
      <h2>{t("stack.peers")}</h2>
      {s.peers.length === 0 ? (
        <p className="muted">{t("stack.noPeers")}</p>
      ) : (
        <ul>
          {s.peers.map((p) => (
            <li key={p}>
              <Link href={`/stacks/${p}`}>{p}</Link>
            </li>
          ))}
        </ul>
      )}
      <h2>{t("stack.outputs")}</h2>
      {s.outputsError ? (
        <div className="problem" role="note">
          <p>
            <strong>{t("stack.outputsError")}</strong> <code>{s.outputsError.code}</code> {s.outputsError.message}
          </p>
        </div>
      ) : (
        <Outputs outputs={s.outputs ?? {}} />
      )}
      <h2>{t("stack.lastJobs")}</h2>
      {jobs.error ? (
        <Failure error={jobs.error} />
      ) : jobs.data ? (
        <JobTable jobs={jobs.data.jobs} caption={t("stack.lastJobs")} />
      ) : (
        <Loading />
      )}
    </section>
  );
}
