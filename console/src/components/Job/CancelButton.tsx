/** Cancel a queued or running job (operators): the engine gets the server's grace period to stop cleanly. */
import { useTranslation } from "react-i18next";
import { useCancel } from "../../lib/queries";
import { allows } from "../../lib/session";
import type { Job } from "../../lib/types";
import { useSignedIn } from "../App/me-context";
import { Failure } from "../common/States";

export function CancelButton({ job, graceMs }: { job: Job; graceMs: number | undefined }) {
  const { t } = useTranslation();
  const me = useSignedIn();
  const cancel = useCancel();
  const allowed = allows(me.role, "operator");
  return (
    <div className="actions">
      <button
        type="button"
        className="danger"
        disabled={!allowed || cancel.isPending || graceMs !== undefined}
        aria-describedby={allowed ? undefined : "reason-cancel"}
        onClick={() => cancel.mutate(job.id)}
      >
        {t("job.cancel")}
      </button>
      {!allowed && (
        <span id="reason-cancel" className="reason">
          {t("actions.needsRole", { need: t("roles.operator"), have: t(`roles.${me.role}`) })}
        </span>
      )}
      {cancel.error && <Failure error={cancel.error} />}
    </div>
  );
}
