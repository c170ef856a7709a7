/** Destroy: a modal that needs the stack's name typed again, as the server does (`confirm`). */
import { forwardRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../lib/api";
import { useStart } from "../../lib/queries";
import { Failure } from "../common/States";

interface Props {
  readonly stack: string;
  readonly onStarted: (jobId: string) => void;
}

export const DestroyDialog = forwardRef<HTMLDialogElement, Props>(function DestroyDialog({ stack, onStarted }, ref) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState("");
  const [includeProtected, setIncludeProtected] = useState(false);
  const destroy = useStart(() => api.destroy(stack, { confirm: typed, includeProtected }));
  const close = () => (ref && typeof ref === "object" ? ref.current?.close() : undefined);
  return (
    <dialog ref={ref} aria-labelledby="destroy-title" onClose={() => setTyped("")}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed !== stack) return;
          destroy.mutate(undefined, {
            onSuccess: (job) => {
              close();
              onStarted(job.id);
            },
          });
        }}
      >
        <h2 id="destroy-title">{t("destroy.title", { stack })}</h2>
        <p>{t("destroy.warning")}</p>
        <label>
          {t("destroy.type", { stack })}
          <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
        </label>
        <label className="check">
          <input type="checkbox" checked={includeProtected} onChange={(e) => setIncludeProtected(e.target.checked)} />
          {t("destroy.includeProtected")}
        </label>
        {destroy.error && <Failure error={destroy.error} />}
        <div className="buttons">
          <button type="button" onClick={close}>
            {t("destroy.cancel")}
          </button>
          <button type="submit" className="danger" disabled={typed !== stack || destroy.isPending}>
            {t("destroy.confirm", { stack })}
          </button>
        </div>
      </form>
    </dialog>
  );
});
