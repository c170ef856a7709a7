/** Jobs as a table: id (a link to its page), kind, stack, state, who started it, when, how long. */
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { between, formatDuration, formatTime } from "../../lib/time";
import type { Job } from "../../lib/types";
import { Badge, stateTone } from "../common/States";

export function JobTable({ jobs, caption }: { jobs: readonly Job[]; caption: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? "en";
  if (jobs.length === 0) return <p className="muted">{t("jobs.none")}</p>;
  return (
    <table className="jobs">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{t("jobs.id")}</th>
          <th scope="col">{t("jobs.kind")}</th>
          <th scope="col">{t("jobs.stack")}</th>
          <th scope="col">{t("jobs.state")}</th>
          <th scope="col">{t("jobs.requestedBy")}</th>
          <th scope="col">{t("jobs.created")}</th>
          <th scope="col">{t("jobs.duration")}</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr key={j.id}>
            <td>
              <Link href={j.kind === "verify" ? `/verify/${j.id}` : `/jobs/${j.id}`}>
                <code>{j.id}</code>
              </Link>
            </td>
            <td>{t(`kinds.${j.kind}`)}</td>
            <td>{j.stack === "*" ? t("jobs.allStacks", { stacks: (j.stacks ?? []).join(", ") }) : j.stack}</td>
            <td>
              <Badge tone={stateTone(j.state)}>{t(`states.${j.state}`)}</Badge>
            </td>
            <td>{j.requestedBy}</td>
            <td>
              <time dateTime={j.createdAt}>{formatTime(j.createdAt, lang)}</time>
            </td>
            <td>{formatDuration(j.summary?.durationMs ?? between(j.startedAt, j.finishedAt), lang)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
