/**
 * Converge: start one (operators; with verify once it settles) and follow it — its rounds × stacks, the
 * stacks it created on the backend, the verify job it started.
 */
import { useTranslation } from "react-i18next";
import { useState } from "react";
import { Link, useLocation } from "wouter";
import { useConverge, useConvergeRun, useConverges } from "../../lib/queries";
import { allows } from "../../lib/session";
import { formatTime } from "../../lib/time";
import type { ConvergeRun } from "../../lib/types";
import { useSignedIn } from "../App/me-context";
import { Badge, Failure, Loading, stateTone } from "../common/States";

export function ConvergePage({ id }: { id?: string }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="converge-title">
      <h1 id="converge-title">{t("converge.title")}</h1>
      <p className="muted">{t("converge.what")}</p>
      <StartConverge />
      {id && <Run id={id} />}
      <Runs current={id} />
    </section>
  );
}

function StartConverge() {
  const { t } = useTranslation();
  const me = useSignedIn();
  const [, navigate] = useLocation();
  const [verify, setVerify] = useState(true);
  const start = useConverge();
  const allowed = allows(me.role, "operator");
  return (
    <form
      className="actions"
      aria-label={t("converge.start")}
      onSubmit={(e) => {
        e.preventDefault();
        start.mutate(verify, { onSuccess: (run) => navigate(`/converge/${run.id}`) });
      }}
    >
      <label className="check">
        <input type="checkbox" checked={verify} disabled={!allowed} onChange={(e) => setVerify(e.target.checked)} />
        {t("converge.withVerify")}
      </label>
      <button
        type="submit"
        className="primary"
        disabled={!allowed || start.isPending}
        aria-describedby={allowed ? undefined : "reason-converge"}
      >
        {t("converge.start")}
      </button>
      {!allowed && (
        <span id="reason-converge" className="reason">
          {t("actions.needsRole", { need: t("roles.operator"), have: t(`roles.${me.role}`) })}
        </span>
      )}
      {start.error && <Failure error={start.error} />}
    </form>
  );
}

function Run({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const run = useConvergeRun(id);
  if (run.isPending) return <Loading />;
  if (run.isError) return <Failure error={run.error} />;
  const r: ConvergeRun = run.data;
  const stacks = [...new Set(r.rounds.flatMap((x) => x.jobs.map((j) => j.stack)))];
  return (
    <section aria-labelledby="run-title">
      <h2 id="run-title">
        {t("converge.run", { id: r.id })} <Badge tone={stateTone(r.state)}>{t(`convergeStates.${r.state}`)}</Badge>
      </h2>
      <p>
        {t("converge.startedBy", { who: r.requestedBy, time: formatTime(r.startedAt, i18n.resolvedLanguage ?? "en") })}
        {r.message && <> — {r.message}</>}
      </p>
      {r.created.length > 0 && <p>{t("converge.created", { stacks: r.created.join(", ") })}</p>}
      {r.verifyJob && (
        <p>
          {t("converge.verifyJob")} <Link href={`/verify/${r.verifyJob}`}>{r.verifyJob}</Link>
        </p>
      )}
      {r.rounds.length === 0 ? (
        <p className="muted">{t("converge.noRounds")}</p>
      ) : (
        <table className="grid">
          <caption>{t("converge.rounds")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("converge.round")}</th>
              {stacks.map((s) => (
                <th key={s} scope="col">
                  {s}
                </th>
              ))}
              <th scope="col">{t("converge.why")}</th>
            </tr>
          </thead>
          <tbody>
            {r.rounds.map((round) => (
              <tr key={round.round}>
                <th scope="row">{round.round}</th>
                {stacks.map((s) => {
                  const j = round.jobs.find((x) => x.stack === s);
                  return (
                    <td key={s}>
                      {j ? (
                        <Link
                          href={`/jobs/${j.jobId}`}
                          aria-label={t("converge.cell", { stack: s, round: round.round, state: t(`states.${j.state}`) })}
                        >
                          <Badge tone={stateTone(j.state)}>{t(`states.${j.state}`)}</Badge>
                        </Link>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  );
                })}
                <td>{round.why}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The runs this server remembers, newest first. */
function Runs({ current }: { current: string | undefined }) {
  const { t, i18n } = useTranslation();
  const runs = useConverges();
  if (runs.isPending) return <Loading />;
  if (runs.isError) return <Failure error={runs.error} />;
  const lang = i18n.resolvedLanguage ?? "en";
  return (
    <section aria-labelledby="runs-title">
      <h2 id="runs-title">{t("converge.runs")}</h2>
      {runs.data.runs.length === 0 ? (
        <p className="muted">{t("converge.noRuns")}</p>
      ) : (
        <table className="grid">
          <caption className="sr-only">{t("converge.runs")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("converge.runId")}</th>
              <th scope="col">{t("jobs.state")}</th>
              <th scope="col">{t("jobs.requestedBy")}</th>
              <th scope="col">{t("jobs.created")}</th>
              <th scope="col">{t("converge.rounds")}</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.runs.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link href={`/converge/${r.id}`} aria-current={r.id === current ? "page" : undefined}>
                    <code>{r.id}</code>
                  </Link>
                </td>
                <td>
                  <Badge tone={stateTone(r.state)}>{t(`convergeStates.${r.state}`)}</Badge>
                </td>
                <td>{r.requestedBy}</td>
                <td>
                  <time dateTime={r.startedAt}>{formatTime(r.startedAt, lang)}</time>
                </td>
                <td>{r.rounds.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
