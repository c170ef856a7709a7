/** The change summary (create / update / replace / delete / same counts), replacements flagged. */
import { useTranslation } from "react-i18next";
import type { JobKind } from "../../lib/types";

const ORDER = ["create", "update", "replace", "delete", "same"];

export function ChangeSummary({ changes, kind }: { changes: Readonly<Record<string, number>> | undefined; kind: JobKind }) {
  const { t } = useTranslation();
  if (!changes) return null;
  const ops = Object.keys(changes).sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  const replacements = (changes.replace ?? 0) + (changes["create-replacement"] ?? 0);
  return (
    <section aria-labelledby="changes-title" className="changes">
      <h2 id="changes-title">{kind === "preview" ? t("job.wouldChange") : t("job.changed")}</h2>
      <ul className="counts">
        {ops.map((op) => (
          <li key={op} className={`op ${op}`}>
            <span className="n">{changes[op]}</span> {t(`ops.${op}`, { defaultValue: op })}
          </li>
        ))}
      </ul>
      {replacements > 0 && (
        <p className="warn-note" role="note">
          {t("job.replacements", { count: replacements })}
        </p>
      )}
    </section>
  );
}
