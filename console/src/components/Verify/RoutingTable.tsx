/**
 * Planned vs observed routing, per service port and calling cluster: the priorities and addresses the
 * plan gives (local endpoints at 0, each peer's east-west gateway after) next to what Envoy reported.
 */
import { useTranslation } from "react-i18next";
import type { RoutingRow } from "../../lib/types";
import { Badge, stateTone } from "../common/States";

type Steps = RoutingRow["planned"];

function StepList({ steps }: { steps: Steps }) {
  if (steps.length === 0) return <span className="muted">—</span>;
  return (
    <ol className="steps">
      {steps.map((s, i) => (
        <li key={i}>
          <span className="prio">P{s.priority}</span> <strong>{s.cluster}</strong> <code>{s.addresses.join(", ") || "—"}</code>
        </li>
      ))}
    </ol>
  );
}

export function RoutingTable({ rows }: { rows: readonly RoutingRow[] }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="routing-title">
      <h3 id="routing-title">{t("verify.routing")}</h3>
      {rows.length === 0 ? (
        <p className="muted">{t("verify.noRouting")}</p>
      ) : (
        <table className="grid routing">
          <caption className="sr-only">{t("verify.routing")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("verify.service")}</th>
              <th scope="col">{t("verify.caller")}</th>
              <th scope="col">{t("verify.planned")}</th>
              <th scope="col">{t("verify.observed")}</th>
              <th scope="col">{t("verify.verdict")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.service}:${r.port}:${r.caller}`} className={r.result}>
                <th scope="row">
                  <code>
                    {r.service}:{r.port}
                  </code>
                </th>
                <td>
                  {r.caller}
                  {r.from && <div className="muted">{r.from}</div>}
                </td>
                <td>
                  <StepList steps={r.planned} />
                </td>
                <td>
                  <StepList steps={r.observed} />
                </td>
                <td>
                  <Badge tone={stateTone(r.result)}>{t(`results.${r.result}`)}</Badge>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
