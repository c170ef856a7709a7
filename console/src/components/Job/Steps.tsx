/**
 * Resources grouped by their step (create, update, replace, delete, ...), each with how it went and, for
 * an update or a replace, the properties that change — the ones the provider replaces on flagged.
 */
import { useTranslation } from "react-i18next";
import type { JobView, PropertyChange } from "../../lib/job-view";
import { Badge } from "../common/States";

export function PropertyChanges({ changes }: { changes: readonly PropertyChange[] | undefined }) {
  const { t } = useTranslation();
  if (!changes || changes.length === 0) return null;
  return (
    <ul className="props">
      {changes.map((c) => (
        <li key={c.path}>
          <code>{c.path}</code> <span className="muted">{t(`changeKinds.${c.kind}`)}</span>
          {c.replaces && <Badge tone="warn">{t("job.forcesReplace")}</Badge>}
        </li>
      ))}
    </ul>
  );
}

export function Steps({ view }: { view: JobView; version: number }) {
  const { t } = useTranslation();
  if (view.steps.size === 0) return null;
  return (
    <section aria-labelledby="steps-title">
      <h2 id="steps-title">{t("job.resources")}</h2>
      {[...view.steps.entries()].map(([op, rows]) => (
        <details key={op} open={rows.size <= 50}>
          <summary>
            {t(`ops.${op}`, { defaultValue: op })} ({rows.size})
          </summary>
          <table className="resources">
            <caption className="sr-only">{t(`ops.${op}`, { defaultValue: op })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("job.resource")}</th>
                <th scope="col">{t("job.type")}</th>
                <th scope="col">{t("jobs.state")}</th>
                <th scope="col">{t("job.properties")}</th>
              </tr>
            </thead>
            <tbody>
              {[...rows.values()].map((r) => (
                <tr key={`${r.type}::${r.name}`}>
                  <td>
                    <code>{r.name}</code>
                  </td>
                  <td>
                    <code>{r.type}</code>
                  </td>
                  <td>
                    <Badge tone={r.status === "done" ? "ok" : r.status === "failed" ? "bad" : "info"}>{t(`resource.${r.status}`)}</Badge>
                  </td>
                  <td>
                    <PropertyChanges changes={r.changes} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ))}
    </section>
  );
}
