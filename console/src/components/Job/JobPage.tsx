/**
 * One job, live: its state and the connection's, a progress bar with the percentage, the change summary,
 * resources by step, diagnostics, cancel (with the grace period the engine gets), and every event in a
 * virtualised list that stays responsive at ten thousand.
 */
import { useTranslation } from "react-i18next";
import { Redirect } from "wouter";
import { liveState } from "../../lib/job-view";
import { useJob } from "../../lib/queries";
import { useJobEvents } from "../../lib/use-job-events";
import { formatDuration, formatTime } from "../../lib/time";
import { isTerminal } from "../../lib/types";
import { Badge, Failure, Loading, stateTone } from "../common/States";
import { CancelButton } from "./CancelButton";
import { ChangeSummary } from "./ChangeSummary";
import { Connection } from "./Connection";
import { EventList } from "./EventList";
import { Progress } from "./Progress";
import { Steps } from "./Steps";

export function JobPage({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? "en";
  const job = useJob(id);
  const { view, version, connection } = useJobEvents(id);
  if (job.isPending) return <Loading />;
  if (job.isError) return <Failure error={job.error} />;
  const j = job.data;
  if (j.kind === "verify") return <Redirect to={`/verify/${j.id}`} replace />;
  const state = liveState(j.state, view);
  const finished = view.finished;
  return (
    <section aria-labelledby="job-title">
      <h1 id="job-title">
        {t("job.title", { kind: t(`kinds.${j.kind}`), stack: j.stack })} <Badge tone={stateTone(state)}>{t(`states.${state}`)}</Badge>
      </h1>
      <dl className="meta">
        <dt>{t("job.id")}</dt>
        <dd>
          <code>{j.id}</code>
        </dd>
        <dt>{t("jobs.requestedBy")}</dt>
        <dd>{j.requestedBy}</dd>
        <dt>{t("jobs.created")}</dt>
        <dd>
          <time dateTime={j.createdAt}>{formatTime(j.createdAt, lang)}</time>
        </dd>
        {j.finishedAt && (
          <>
            <dt>{t("job.finishedAt")}</dt>
            <dd>
              <time dateTime={j.finishedAt}>{formatTime(j.finishedAt, lang)}</time>
            </dd>
          </>
        )}
      </dl>
      <Connection state={connection} />
      <Progress progress={view.progress} finished={isTerminal(state)} version={version} />
      {!isTerminal(state) && <CancelButton job={j} graceMs={view.cancellingGraceMs} />}
      {view.cancellingGraceMs !== undefined && (
        <p role="status">{t("job.cancelling", { grace: formatDuration(view.cancellingGraceMs, lang) })}</p>
      )}
      {(finished?.error ?? j.error) && (
        <div className="problem" role="alert">
          <p>
            <code>{(finished?.error ?? j.error)!.code}</code> {(finished?.error ?? j.error)!.message}
          </p>
          {(finished?.error ?? j.error)!.report && <pre>{(finished?.error ?? j.error)!.report}</pre>}
        </div>
      )}
      {(finished?.recovery ?? j.recovery) && (
        <p className="recovery">
          <strong>{t("job.recovery")}</strong> {finished?.recovery ?? j.recovery}
        </p>
      )}
      <ChangeSummary changes={view.changes ?? j.summary?.changes} kind={j.kind} />
      <Steps view={view} version={version} />
      <h2>{t("job.diagnostics")}</h2>
      {view.diagnostics.length === 0 ? (
        <p className="muted">{t("job.noDiagnostics")}</p>
      ) : (
        <ul className="diagnostics">
          {view.diagnostics.map((d, i) => (
            <li key={i} className={d.severity}>
              <Badge tone={d.severity === "error" ? "bad" : d.severity === "warning" ? "warn" : "muted"}>
                {t(`severity.${d.severity}`)}
              </Badge>{" "}
              {d.resource && <code>{d.resource}</code>} {d.message}
            </li>
          ))}
        </ul>
      )}
      {view.peers.length > 0 && (
        <>
          <h2>{t("job.peers")}</h2>
          <ul>
            {view.peers.map((p, i) => (
              <li key={i}>
                {p.type === "mesh.linkEstablished" ? t("job.linked", { peer: p.peer }) : t("job.pending", { peer: p.peer })}
                {p.type === "mesh.peerPending" && (
                  <>
                    {" "}
                    <code>{p.next}</code>
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      <h2 id="events-title">{t("job.events", { count: view.events.length })}</h2>
      <EventList events={view.events} version={version} labelledBy="events-title" />
    </section>
  );
}
