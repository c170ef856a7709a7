/** What a page shows while it loads, when a read fails, and a refusal in the server's own words. */
import { useTranslation } from "react-i18next";
import { ApiError } from "../../lib/api";

export function Loading() {
  const { t } = useTranslation();
  return (
    <p className="muted" role="status">
      {t("state.loading")}
    </p>
  );
}

/** The server's problem (its detail and each field's message), or why the request did not reach it. */
export function Failure({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (error instanceof ApiError) {
    return (
      <div className="problem" role="alert">
        <p>
          <strong>{t("state.refused", { status: error.status })}</strong> {error.problem?.detail ?? error.problem?.title ?? ""}
        </p>
        {error.problem?.errors && (
          <ul>
            {error.problem.errors.map((e) => (
              <li key={e.path}>
                <code>{e.path}</code>: {e.message}
              </li>
            ))}
          </ul>
        )}
        {error.problem?.requestId && <p className="muted">{t("state.requestId", { id: error.problem.requestId })}</p>}
      </div>
    );
  }
  return (
    <div className="problem" role="alert">
      <p>{t("state.unreachable")}</p>
    </div>
  );
}

/** A job's or check's state as a labelled badge; the colour is never the only sign. */
export function Badge({ tone, children }: { tone: "ok" | "bad" | "warn" | "info" | "muted"; children: React.ReactNode }) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

export const stateTone = (s: string): "ok" | "bad" | "warn" | "info" | "muted" =>
  s === "succeeded" || s === "pass" || s === "settled" || s === "linked"
    ? "ok"
    : s === "failed" || s === "fail" || s === "error" || s === "bound"
      ? "bad"
      : s === "cancelled" || s === "interrupted" || s === "warn" || s === "pending"
        ? "warn"
        : s === "running" || s === "queued"
          ? "info"
          : "muted";
