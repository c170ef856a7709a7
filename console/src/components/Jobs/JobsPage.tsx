/**
 * Job history, newest first: filtered by stack, state and kind, paged by the server's cursor. The filters
 * and the page live in the address, so a filtered view is a link that survives a reload.
 */
import { useTranslation } from "react-i18next";
import { useLocation, useSearch } from "wouter";
import { useJobs, useStacks } from "../../lib/queries";
import type { JobKind, JobState, JobsQuery } from "../../lib/types";
import { Failure, Loading } from "../common/States";
import { JobTable } from "./JobTable";

const STATES: readonly JobState[] = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"];
const KINDS: readonly JobKind[] = ["preview", "up", "refresh", "destroy", "verify"];
const PAGE = 25;

export function JobsPage() {
  const { t } = useTranslation();
  const search = new URLSearchParams(useSearch());
  const [location, navigate] = useLocation();
  const query: JobsQuery = {
    limit: PAGE,
    ...(search.get("stack") ? { stack: search.get("stack")! } : {}),
    ...(search.get("state") ? { state: search.get("state") as JobState } : {}),
    ...(search.get("kind") ? { kind: search.get("kind") as JobKind } : {}),
    ...(search.get("cursor") ? { cursor: search.get("cursor")! } : {}),
  };
  const jobs = useJobs(query);
  const stacks = useStacks();
  const set = (k: string, v: string | undefined) => {
    const next = new URLSearchParams(search);
    if (v) next.set(k, v);
    else next.delete(k);
    if (k !== "cursor") next.delete("cursor");
    const s = next.toString();
    navigate(s ? `${location}?${s}` : location);
  };
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">{t("jobs.title")}</h1>
      <form className="filters" aria-label={t("jobs.filters")} onSubmit={(e) => e.preventDefault()}>
        <label>
          {t("jobs.stack")}
          <select value={query.stack ?? ""} onChange={(e) => set("stack", e.target.value)}>
            <option value="">{t("jobs.any")}</option>
            {(stacks.data?.stacks ?? []).map((s) => (
              <option key={s.stack} value={s.stack}>
                {s.stack}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("jobs.state")}
          <select value={query.state ?? ""} onChange={(e) => set("state", e.target.value)}>
            <option value="">{t("jobs.any")}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {t(`states.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("jobs.kind")}
          <select value={query.kind ?? ""} onChange={(e) => set("kind", e.target.value)}>
            <option value="">{t("jobs.any")}</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`kinds.${k}`)}
              </option>
            ))}
          </select>
        </label>
      </form>
      {jobs.isPending ? (
        <Loading />
      ) : jobs.isError ? (
        <Failure error={jobs.error} />
      ) : (
        <JobTable jobs={jobs.data.jobs} caption={t("jobs.title")} />
      )}
      <nav className="pager" aria-label={t("jobs.pages")}>
        {query.cursor && (
          <button type="button" onClick={() => set("cursor", undefined)}>
            {t("jobs.first")}
          </button>
        )}
        {jobs.data?.next && (
          <button type="button" onClick={() => set("cursor", jobs.data?.next)}>
            {t("jobs.older")}
          </button>
        )}
      </nav>
    </section>
  );
}
