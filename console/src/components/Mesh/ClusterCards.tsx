/** Each cluster in words: network, gateway, API server, istiod revisions and tags, catalog, verify's verdict. */
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import type { ClusterFacts } from "../../lib/topology";
import { Badge, stateTone } from "../common/States";

export function ClusterCards({ clusters }: { clusters: readonly ClusterFacts[] }) {
  const { t } = useTranslation();
  return (
    <>
      <h2>{t("mesh.clusters")}</h2>
      <ul className="cards">
        {clusters.map(({ cluster: c, status, health, services }) => (
          <li key={c.name} className={`card health-${health}`}>
            <h3>
              <Link href={`/stacks/${c.stack}`}>{c.name}</Link> <Badge tone={stateTone(health)}>{t(`health.${health}`)}</Badge>
            </h3>
            <dl className="meta">
              <dt>{t("mesh.network")}</dt>
              <dd>{c.network}</dd>
              <dt>{t("mesh.source")}</dt>
              <dd>{c.sourceDetail}</dd>
              <dt>{t("mesh.gateway")}</dt>
              <dd>
                {c.gateway.type} — {c.gateway.endpoints.length > 0 ? <code>{c.gateway.endpoints.join(", ")}</code> : c.gateway.peersSendTo}
              </dd>
              <dt>{t("mesh.apiServer")}</dt>
              <dd>
                {c.apiServer ? <code>{c.apiServer}</code> : c.apiServerNote}{" "}
                {status?.outputsError ? (
                  <Badge tone="bad">{t("mesh.unreadable", { why: status.outputsError.message })}</Badge>
                ) : status?.outputs ? (
                  <Badge tone="ok">{t("mesh.readable")}</Badge>
                ) : null}
              </dd>
              <dt>{t("mesh.istiod")}</dt>
              <dd>{c.istio.revisions.map((r) => `${r.name}@${r.version}`).join(", ")}</dd>
              {c.istio.tags.length > 0 && (
                <>
                  <dt>{t("mesh.tags")}</dt>
                  <dd>{c.istio.tags.map((x) => `${x.tag} → ${x.revision}`).join(", ")}</dd>
                </>
              )}
              <dt>{t("mesh.services")}</dt>
              <dd>
                {services.map((s) => (
                  <span key={s.host} className="svc">
                    <code>
                      {s.host}:{s.ports.join(",")}
                    </code>{" "}
                    <Badge tone={stateTone(s.health)}>{t(`health.${s.health}`)}</Badge>
                  </span>
                ))}
              </dd>
            </dl>
          </li>
        ))}
      </ul>
    </>
  );
}
