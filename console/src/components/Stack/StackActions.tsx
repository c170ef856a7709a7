/**
 * Preview, up, refresh and destroy, each enabled only for a role the server would let through, else
 * disabled with the reason; a 409 names the running job and offers to follow it.
 */
import { useRef } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation } from "wouter";
import { api, ApiError } from "../../lib/api";
import { useStart } from "../../lib/queries";
import { allows } from "../../lib/session";
import type { Role } from "../../lib/types";
import { useSignedIn } from "../App/me-context";
import { Failure } from "../common/States";
import { DestroyDialog } from "./DestroyDialog";

const ACTIONS: readonly { kind: "preview" | "up" | "refresh" | "destroy"; need: Role }[] = [
  { kind: "preview", need: "viewer" },
  { kind: "up", need: "operator" },
  { kind: "refresh", need: "operator" },
  { kind: "destroy", need: "admin" },
];

export function StackActions({ stack }: { stack: string }) {
  const { t } = useTranslation();
  const me = useSignedIn();
  const [, navigate] = useLocation();
  const dialog = useRef<HTMLDialogElement>(null);
  const start = useStart((kind: "preview" | "up" | "refresh") => api.start(stack, kind));
  const onStarted = { onSuccess: (job: { id: string }) => navigate(`/jobs/${job.id}`) };
  const err = start.error;
  const running = err instanceof ApiError && err.status === 409 ? err.problem?.runningJob : undefined;
  return (
    <div className="actions" role="group" aria-label={t("stack.actions")}>
      <ul className="action-list">
        {ACTIONS.map((a) => {
          const allowed = allows(me.role, a.need);
          const reasonId = `reason-${a.kind}`;
          return (
            <li key={a.kind}>
              <button
                type="button"
                className={a.kind === "destroy" ? "danger" : a.kind === "up" ? "primary" : ""}
                disabled={!allowed || start.isPending}
                aria-describedby={allowed ? undefined : reasonId}
                onClick={() => (a.kind === "destroy" ? dialog.current?.showModal() : start.mutate(a.kind, onStarted))}
              >
                {t(`actions.${a.kind}`)}
              </button>
              {!allowed && (
                <span id={reasonId} className="reason">
                  {t("actions.needsRole", { need: t(`roles.${a.need}`), have: t(`roles.${me.role}`) })}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {running ? (
        <div className="problem" role="alert">
          <p>
            {err?.message} <Link href={`/jobs/${running}`}>{t("actions.follow", { id: running })}</Link>
          </p>
        </div>
      ) : (
        err && <Failure error={err} />
      )}
      <DestroyDialog ref={dialog} stack={stack} onStarted={(id) => navigate(`/jobs/${id}`)} />
    </div>
  );
}
