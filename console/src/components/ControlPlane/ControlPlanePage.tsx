/**
 * The control planes, read-only: per cluster its istiod revisions and versions, where each tag points,
 * what the east-west gateway follows and each namespace's label, beside verify's control-plane checks.
 * Stack files change only through reviewed commits, so the page names the command for the next step.
 */
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { useJobs, useMesh } from "../../lib/queries";
import { useJobEvents } from "../../lib/use-job-events";
import { Badge, Failure, Loading, stateTone } from "../common/States";

export function ControlPlanePage() {
  const { t } = useTranslation();
  const mesh = useMesh();
  const last = useJobs({ kind: "verify", limit: 1 });
  const verifyId = last.data?.jobs[0]?.id;
  const { view } = useJobEvents(verifyId);
  if (mesh.isPending) return <Loading />;
  if (mesh.isError) return <Failure error={mesh.error} />;
  const plan = mesh.data;
  const checks = view.checks.filter((c) => c.category === "control-plane");
  return (
    <section aria-labelledby="cp-title">
      <h1 id="cp-title">{t("cp.title")}</h1>
      <div className="note" role="note">
        <p>{t("cp.readOnly")}</p>
        <pre>
          <code>{t("cp.command", { version: "<version>" })}</code>
        </pre>
      </div>
      {plan.clusters.map((c) => {
        const mine = checks.filter((k) => k.cluster === c.name || k.of === c.stack);
        const namespaces = c.injection;
        return (
          <section key={c.name} aria-labelledby={`cp-${c.name}`} className="card">
            <h2 id={`cp-${c.name}`}>
              <Link href={`/stacks/${c.stack}`}>{c.name}</Link>
            </h2>
            <div className="columns">
              <table className="grid">
                <caption>{t("cp.revisions")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("cp.revision")}</th>
                    <th scope="col">{t("cp.version")}</th>
                    <th scope="col">{t("cp.tagsHere")}</th>
                  </tr>
                </thead>
                <tbody>
                  {c.istio.revisions.map((r) => (
                    <tr key={r.name}>
                      <th scope="row">
                        <code>{r.name}</code>
                        {c.istio.gateway === r.name && <span className="badge info">{t("cp.gatewayFollows")}</span>}
                      </th>
                      <td>{r.version}</td>
                      <td>
                        {c.istio.tags
                          .filter((x) => x.revision === r.name)
                          .map((x) => x.tag)
                          .join(", ") || "—"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {namespaces.length > 0 && (
                <table className="grid">
                  <caption>{t("cp.namespaces")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("cp.namespace")}</th>
                      <th scope="col">{t("cp.label")}</th>
                      <th scope="col">{t("cp.revision")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {namespaces.map((n) => (
                      <tr key={n.namespace}>
                        <th scope="row">{n.namespace}</th>
                        <td>
                          <code>{n.label}</code>
                        </td>
                        <td>{n.tag ? `${n.tag} → ${n.revision}` : n.revision}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
            <h3>{t("cp.checks")}</h3>
            {mine.length === 0 ? (
              <p className="muted">{verifyId ? t("cp.noChecks") : t("mesh.noVerify")}</p>
            ) : (
              <ul className="findings">
                {mine.map((k, i) => (
                  <li key={i} className={`finding ${k.result}`}>
                    <Badge tone={stateTone(k.result)}>{t(`results.${k.result}`)}</Badge> <code>{k.code}</code> {k.name} — {k.detail}
                    {k.fix && (
                      <p className="fix">
                        <strong>{t("verify.fix")}</strong> {k.fix}
                      </p>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </section>
  );
}
