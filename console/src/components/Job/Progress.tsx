/** The job's progress: a bar with the percentage once the engine knows the total, else the count so far. */
import { useTranslation } from "react-i18next";
import { percent, type JobView } from "../../lib/job-view";

export function Progress({ progress, finished }: { progress: JobView["progress"]; finished: boolean; version: number }) {
  const { t } = useTranslation();
  const pct = percent(progress);
  if (!progress && finished) return null;
  // an unknown total on a finished job is no bar at all: only the count
  const bar = pct !== undefined || !finished;
  return (
    <div className="progress">
      {bar && (
        <progress
          id="job-progress"
          aria-label={t("job.progress")}
          {...(pct !== undefined ? { value: pct, max: 100 } : {})}
          aria-valuetext={pct !== undefined ? t("job.percent", { pct }) : t("job.doneSoFar", { done: progress?.done ?? 0 })}
        />
      )}
      <span className="pct" data-testid="progress-text">
        {pct !== undefined
          ? t("job.percentOf", { pct, done: progress!.done, total: progress!.total })
          : t("job.doneSoFar", { done: progress?.done ?? 0 })}
      </span>
    </div>
  );
}
