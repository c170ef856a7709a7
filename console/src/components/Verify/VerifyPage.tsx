/**
 * Verify: the latest run (or the one in the address) as a cluster × check grid with failures first, each
 * finding with its code, detail and fix; the planned-vs-observed routing; and a button to verify again.
 */
import { useTranslation } from "react-i18next";
import { Link, useLocation } from "wouter";
import { api } from "../../lib/api";
import { failuresFirst } from "../../lib/job-view";
import { useJob, useJobs, useStart } from "../../lib/queries";
import { useJobEvents } from "../../lib/use-job-events";
import { formatTime } from "../../lib/time";
import { isTerminal } from "../../lib/types";
import { Badge, Failure, Loading, stateTone } from "../common/States";
import { Connection } from "../Job/Connection";
import { CheckGrid } from "./CheckGrid";
import { RoutingTable } from "./RoutingTable";

export function VerifyPage({ id }: { id?: string }) {
  const { t } = useTranslation();
  const latest = useJobs({ kind: "verify", limit: 1 });
  const shown = id ?? latest.data?.jobs[0]?.id;
  return (
    <section aria-labelledby="verify-title">
      <h1 id="verify-title">{t("verify.title")}</h1>
      <StartVerify />
      {shown ? (
        <VerifyRun id={shown} />
      ) : latest.isPending ? (
        <Loading />
      ) : latest.error ? (
        <Failure error={latest.error} />
      ) : (
        <p>{t("verify.none")}</p>
      )}
    </section>
  );
}

function StartVerify() {
  const { t } = useTranslation();
  const [, navigate] = useLocation();
  const start = useStart(() => api.verify());
  return (
    <div className="actions">
      <button
        type="button"
        className="primary"
        disabled={start.isPending}
        onClick={() => start.mutate(undefined, { onSuccess: (j) => navigate(`/verify/${j.id}`) })}
      >
        {t("verify.start")}
      </button>
      {start.error && <Failure error={start.error} />}
    </div>
  );
}

function VerifyRun({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const job = useJob(id);
  const { view, version, connection } = useJobEvents(id);
  if (job.isPending) return <Loading />;
  if (job.isError) return <Failure error={job.error} />;
  const j = job.data;
  const state = view.finished?.state ?? j.state;
  const findings = failuresFirst(view.checks).filter((c) => c.result !== "pass");
  return (
    <section aria-labelledby="run-title" data-version={version}>
      <h2 id="run-title">
        {t("verify.run", { id: j.id })} <Badge tone={stateTone(state)}>{t(`states.${state}`)}</Badge>
      </h2>
      <p>
        {t("verify.startedBy", { who: j.requestedBy, time: formatTime(j.createdAt, i18n.resolvedLanguage ?? "en") })}{" "}
        <Link href={`/jobs?kind=verify`}>{t("verify.history")}</Link>
      </p>
      {!isTerminal(state) && <Connection state={connection} />}
      {j.verify && (
        <p className="counts-line">
          {t("verify.counts", { passed: j.verify.passed, failed: j.verify.failed, warnings: j.verify.warnings, errors: j.verify.errors })} —{" "}
          {j.verify.meaning}
        </p>
      )}
      <h3>{t("verify.findings")}</h3>
      {findings.length === 0 ? (
        <p>{view.checks.length > 0 ? t("verify.allPassed", { count: view.checks.length }) : t("verify.noChecks")}</p>
      ) : (
        <ul className="findings">
          {findings.map((c, i) => (
            <li key={i} className={`finding ${c.result}`}>
              <p>
                <Badge tone={stateTone(c.result)}>{t(`results.${c.result}`)}</Badge> <code>{c.code}</code> <strong>{c.cluster}</strong>{" "}
                {c.name}
              </p>
              <p>{c.detail}</p>
              {c.fix && (
                <p className="fix">
                  <strong>{t("verify.fix")}</strong> {c.fix}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
      <CheckGrid checks={view.checks} />
      <RoutingTable rows={view.routes} />
    </section>
  );
}
