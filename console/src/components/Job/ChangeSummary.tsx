/**
 * What a job changes (a preview: would change): the counts by step, replacements flagged, and — from the
 * record's change set once the job has succeeded — each resource with the properties that change and the
 * ones its provider replaces it for.
 */
import { useTranslation } from "react-i18next";
import type { ChangeSet } from "../../lib/job-view";
import type { JobKind } from "../../lib/types";
import { Badge } from "../common/States";
import { PropertyChanges } from "./Steps";

const ORDER = ["create", "update", "replace", "delete", "same"];

interface Props {
  readonly changes: Readonly<Record<string, number>> | undefined;
  readonly changeSet?: ChangeSet | undefined;
  readonly kind: JobKind;
}

export function ChangeSummary({ changes, changeSet, kind }: Props) {
  const { t } = useTranslation();
  const counts: Readonly<Record<string, number>> | undefined = changeSet
    ? { create: changeSet.create, update: changeSet.update, replace: changeSet.replace, delete: changeSet.delete, same: changeSet.same }
    : changes;
  if (!counts) return null;
  const ops = Object.keys(counts).sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  const replacements = (counts.replace ?? 0) + (counts["create-replacement"] ?? 0);
  const steps = changeSet?.steps ?? [];
  return (
    <section aria-labelledby="changes-title" className="changes">
      <h2 id="changes-title">{kind === "preview" ? t("job.wouldChange") : t("job.changed")}</h2>
      <ul className="counts">
        {ops.map((op) => (
          <li key={op} className={`op ${op}`}>
            <span className="n">{counts[op]}</span> {t(`ops.${op}`, { defaultValue: op })}
          </li>
        ))}
      </ul>
      {replacements > 0 && (
        <p className="warn-note" role="note">
          {t("job.replacements", { count: replacements })}
        </p>
      )}
      {steps.length > 0 && (
        <table className="grid change-set">
          <caption>{t("job.changeSet")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("job.op")}</th>
              <th scope="col">{t("job.resource")}</th>
              <th scope="col">{t("job.type")}</th>
              <th scope="col">{t("job.properties")}</th>
            </tr>
          </thead>
          <tbody>
            {steps.map((s) => (
              <tr key={`${s.resourceType}::${s.name}`} className={`op ${s.op}`}>
                <td>
                  <Badge tone={s.op === "replace" || s.op === "delete" ? "warn" : s.op === "create" ? "ok" : "info"}>
                    {t(`ops.${s.op}`, { defaultValue: s.op })}
                  </Badge>
                </td>
                <td>
                  <code>{s.name}</code>
                </td>
                <td>
                  <code>{s.resourceType}</code>
                </td>
                <td>
                  <PropertyChanges changes={s.changes} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {changeSet?.omittedSteps ? <p className="muted">{t("job.omitted", { count: changeSet.omittedSteps })}</p> : null}
    </section>
  );
}
