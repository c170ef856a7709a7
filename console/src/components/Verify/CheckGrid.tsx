/** Checks × clusters: each cell the worst result of that check on that cluster; rows with failures first. */
import { useTranslation } from "react-i18next";
import { worst } from "../../lib/job-view";
import type { VerifyCheck } from "../../lib/types";
import { Badge, stateTone } from "../common/States";

const RANK = { fail: 0, error: 1, warn: 2, pass: 3 } as const;

export function CheckGrid({ checks }: { checks: readonly VerifyCheck[] }) {
  const { t } = useTranslation();
  if (checks.length === 0) return null;
  const clusters = [...new Set(checks.map((c) => c.cluster))];
  const codes = [...new Set(checks.map((c) => c.code))];
  const cell = (code: string, cluster: string) => checks.filter((c) => c.code === code && c.cluster === cluster);
  const rowWorst = (code: string) => worst(checks.filter((c) => c.code === code)) ?? "pass";
  const rows = codes.sort((a, b) => RANK[rowWorst(a)] - RANK[rowWorst(b)] || a.localeCompare(b));
  return (
    <table className="grid checks">
      <caption>{t("verify.grid")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("verify.check")}</th>
          {clusters.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((code) => {
          const sample = checks.find((c) => c.code === code)!;
          return (
            <tr key={code}>
              <th scope="row">
                <code>{code}</code> <span className="muted">{sample.category}</span>
              </th>
              {clusters.map((cl) => {
                const here = cell(code, cl);
                const w = worst(here);
                return (
                  <td key={cl} title={here.map((c) => `${c.name}: ${c.detail}`).join("\n")}>
                    {w ? (
                      <Badge tone={stateTone(w)}>
                        {t(`results.${w}`)}
                        {here.length > 1 ? ` ×${here.length}` : ""}
                      </Badge>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                );
              })}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
