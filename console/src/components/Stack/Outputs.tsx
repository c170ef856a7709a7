/** Stack outputs as the server sends them: a secret is the literal "[secret]", never its value. */
import { useTranslation } from "react-i18next";

export function Outputs({ outputs }: { outputs: Record<string, unknown> }) {
  const { t } = useTranslation();
  const entries = Object.entries(outputs);
  if (entries.length === 0) return <p className="muted">{t("stack.noOutputs")}</p>;
  return (
    <table className="outputs">
      <caption className="sr-only">{t("stack.outputs")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("stack.output")}</th>
          <th scope="col">{t("stack.value")}</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">
              <code>{k}</code>
            </th>
            <td>
              {v === "[secret]" ? (
                <span className="badge muted">{t("stack.secret")}</span>
              ) : typeof v === "string" ? (
                <code className="value">{v}</code>
              ) : (
                <pre className="value">{JSON.stringify(v, null, 2)}</pre>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
