/**
 * The audit rows (admins): every mutating request and every refusal, newest first, filtered by actor,
 * action, status and time, paged by the server's cursor; the filters live in the address.
 */
import { useTranslation } from "react-i18next";
import { Link, useLocation, useSearch } from "wouter";
import { useAudit } from "../../lib/queries";
import { allows } from "../../lib/session";
import { formatTime } from "../../lib/time";
import type { AuditLine, AuditQuery } from "../../lib/types";
import { useSignedIn } from "../App/me-context";
import { Badge, Failure, Loading } from "../common/States";

const PAGE = 50;

export function AuditPage() {
  const { t } = useTranslation();
  const me = useSignedIn();
  const search = new URLSearchParams(useSearch());
  const [location, navigate] = useLocation();
  const get = (k: string) => search.get(k) ?? undefined;
  const status = get("status");
  const query: AuditQuery = {
    limit: PAGE,
    ...(get("actor") ? { actor: get("actor") } : {}),
    ...(get("action") ? { action: get("action") } : {}),
    ...(status && /^\d{3}$/.test(status) ? { status: Number(status) } : {}),
    ...(get("since") ? { since: get("since") } : {}),
    ...(get("cursor") ? { cursor: get("cursor") } : {}),
  };
  const admin = allows(me.role, "admin");
  const audit = useAudit(query, admin);
  if (!admin)
    return (
      <section aria-labelledby="audit-title">
        <h1 id="audit-title">{t("audit.title")}</h1>
        <p>{t("actions.needsRole", { need: t("roles.admin"), have: t(`roles.${me.role}`) })}</p>
      </section>
    );
  const apply = (form: HTMLFormElement) => {
    const data = new FormData(form);
    const next = new URLSearchParams();
    const field = (k: string) => {
      const v = data.get(k);
      return typeof v === "string" ? v.trim() : "";
    };
    for (const k of ["actor", "action", "status"]) if (field(k)) next.set(k, field(k));
    const since = field("since");
    if (since) next.set("since", new Date(since).toISOString().replace(/\.\d{3}Z$/, "Z"));
    const s = next.toString();
    navigate(s ? `${location}?${s}` : location);
  };
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t("audit.title")}</h1>
      <p className="muted">{t("audit.what")}</p>
      <form
        className="filters"
        aria-label={t("audit.filters")}
        onSubmit={(e) => {
          e.preventDefault();
          apply(e.currentTarget);
        }}
      >
        <label>
          {t("audit.actor")}
          <input name="actor" defaultValue={query.actor ?? ""} />
        </label>
        <label>
          {t("audit.action")}
          <input name="action" defaultValue={query.action ?? ""} />
        </label>
        <label>
          {t("audit.status")}
          <input name="status" inputMode="numeric" defaultValue={query.status ?? ""} />
        </label>
        <label>
          {t("audit.since")}
          <input name="since" type="datetime-local" />
        </label>
        <button type="submit">{t("audit.apply")}</button>
      </form>
      {audit.isPending ? (
        <Loading />
      ) : audit.isError ? (
        <Failure error={audit.error} />
      ) : audit.data.entries.length === 0 ? (
        <p className="muted">{t("audit.none")}</p>
      ) : (
        <AuditTable entries={audit.data.entries} />
      )}
      <nav className="pager" aria-label={t("audit.pages")}>
        {query.cursor && (
          <button type="button" onClick={() => navigate(location + "?" + withCursor(search, undefined))}>
            {t("jobs.first")}
          </button>
        )}
        {audit.data?.next && (
          <button type="button" onClick={() => navigate(location + "?" + withCursor(search, audit.data?.next))}>
            {t("jobs.older")}
          </button>
        )}
      </nav>
    </section>
  );
}

function withCursor(search: URLSearchParams, cursor: string | undefined): string {
  const next = new URLSearchParams(search);
  if (cursor) next.set("cursor", cursor);
  else next.delete("cursor");
  return next.toString();
}

/** The rows: when, who (and their role), the action (or the count of refusals it stands for), the answer, what it concerned, why. */
function AuditTable({ entries }: { entries: readonly AuditLine[] }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? "en";
  return (
    <table className="grid audit">
      <caption className="sr-only">{t("audit.title")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("audit.time")}</th>
          <th scope="col">{t("audit.actor")}</th>
          <th scope="col">{t("audit.action")}</th>
          <th scope="col">{t("audit.status")}</th>
          <th scope="col">{t("audit.target")}</th>
          <th scope="col">{t("audit.reason")}</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={`${e.requestId}-${e.time}`}>
            <td>
              <time dateTime={e.time}>{formatTime(e.time, lang)}</time>
            </td>
            <td>
              {e.actor ?? <span className="muted">{t("audit.anonymous")}</span>}
              {e.role && <div className="muted">{t(`roles.${e.role as "viewer"}`, { defaultValue: e.role })}</div>}
            </td>
            <td>
              <code>{e.action}</code>
              {e.count !== undefined && <div className="muted">{t("audit.counted", { count: e.count, addresses: e.addresses ?? 1 })}</div>}
            </td>
            <td>
              <Badge tone={e.status < 300 ? "ok" : e.status < 500 ? "warn" : "bad"}>{e.status}</Badge>
            </td>
            <td>
              {e.stack && <div>{e.stack}</div>}
              {e.jobId && <Link href={`/jobs/${e.jobId}`}>{e.jobId}</Link>}
              {e.convergeId && <Link href={`/converge/${e.convergeId}`}>{e.convergeId}</Link>}
              {e.path && (
                <div className="muted">
                  <code>
                    {e.method} {e.path}
                  </code>
                </div>
              )}
            </td>
            <td>{e.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
