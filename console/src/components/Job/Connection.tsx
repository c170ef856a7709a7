/** The event stream's state, announced politely: live, reconnecting (with Last-Event-ID), ended. */
import { useTranslation } from "react-i18next";
import type { ConnectionState } from "../../lib/events";

const TONE: Record<ConnectionState, string> = { connecting: "info", live: "ok", reconnecting: "warn", ended: "muted", failed: "bad" };

export function Connection({ state }: { state: ConnectionState }) {
  const { t } = useTranslation();
  return (
    <p className="connection" role="status" data-state={state}>
      <span className={`dot ${TONE[state]}`} aria-hidden="true" /> {t(`connection.${state}`)}
    </p>
  );
}
