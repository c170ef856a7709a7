/** The audit rows (admins): every mutating request and every refusal, filterable. */
import { useTranslation } from "react-i18next";

export function AuditPage() {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t("audit.title")}</h1>
      <p className="muted">{t("audit.unavailable")}</p>
    </section>
  );
}
