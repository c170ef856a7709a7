/**
 * The mesh: its clusters, the remote-secret links between them, the trust chain and the catalog, as a
 * graph whose every node and edge is a focusable element with a name, and as tables beside it — a cluster
 * whose outputs cannot be read is shown as such, never left out.
 */
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { fingerprint256 } from "../../lib/fingerprint";
import { useJobs, useMesh, useStacks } from "../../lib/queries";
import { clusterFacts, linkFacts } from "../../lib/topology";
import { useJobEvents } from "../../lib/use-job-events";
import type { RoutingRow, VerifyCheck } from "../../lib/types";
import { Badge, Failure, Loading, stateTone } from "../common/States";
import { ClusterCards } from "./ClusterCards";
import { MeshGraph } from "./MeshGraph";

/** The last verify's checks, for colouring; none when there has been no verify. */
function useLastVerify(): { checks: readonly VerifyCheck[]; routes: readonly RoutingRow[]; jobId?: string } {
  const last = useJobs({ kind: "verify", limit: 1 });
  const id = last.data?.jobs[0]?.id;
  const { view } = useJobEvents(id);
  return { ...(id ? { jobId: id } : {}), checks: view.checks, routes: view.routes };
}

export function MeshPage() {
  const { t } = useTranslation();
  const mesh = useMesh();
  const stacks = useStacks();
  const verify = useLastVerify();
  const anchorStack = mesh.data?.trust.anchor;
  const root = stacks.data?.stacks.find((s) => s.stack === anchorStack)?.outputs?.trustRoot;
  const [fp, setFp] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    void fingerprint256(root).then((f) => live && setFp(f));
    return () => {
      live = false;
    };
  }, [root]);
  if (mesh.isPending) return <Loading />;
  if (mesh.isError) return <Failure error={mesh.error} />;
  const plan = mesh.data;
  const list = stacks.data?.stacks ?? [];
  const clusters = clusterFacts(plan, list, verify.checks, verify.routes);
  const links = linkFacts(plan, list);
  return (
    <section aria-labelledby="mesh-title">
      <h1 id="mesh-title">{t("mesh.title", { mesh: plan.meshId ?? plan.project })}</h1>
      <p className="muted">
        {t("mesh.summary", { clusters: plan.clusters.length, services: plan.services.length, version: plan.istioVersion ?? "?" })}{" "}
        {verify.jobId ? (
          <>
            {t("mesh.colouredBy")} <Link href={`/verify/${verify.jobId}`}>{verify.jobId}</Link>
          </>
        ) : (
          t("mesh.noVerify")
        )}
      </p>
      {stacks.isError && <Failure error={stacks.error} />}
      {plan.summary.errors > 0 && (
        <div className="problem" role="alert">
          <p>{t("mesh.planErrors", { count: plan.summary.errors })}</p>
          <ul>
            {plan.findings
              .filter((f) => f.severity === "error")
              .map((f, i) => (
                <li key={i}>{JSON.stringify(f as unknown)}</li>
              ))}
          </ul>
        </div>
      )}
      <MeshGraph clusters={clusters} links={links} anchor={anchorStack ?? null} fingerprint={fp} />
      <h2>{t("mesh.trust")}</h2>
      <dl className="meta">
        <dt>{t("mesh.anchor")}</dt>
        <dd>{anchorStack ? <Link href={`/stacks/${anchorStack}`}>{anchorStack}</Link> : t("mesh.noAnchor")}</dd>
        <dt>{t("mesh.rootFingerprint")}</dt>
        <dd>{fp ? <code className="fp">{fp}</code> : <span className="muted">{t("mesh.noFingerprint")}</span>}</dd>
        {plan.trust.issuers.map((i) => (
          <div key={i.stack} className="pair">
            <dt>{t("mesh.issuer", { stack: i.stack })}</dt>
            <dd>{i.from}</dd>
          </div>
        ))}
      </dl>
      <h2>{t("mesh.links")}</h2>
      <table className="grid links">
        <caption className="sr-only">{t("mesh.links")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("mesh.reader")}</th>
            <th scope="col">{t("mesh.reads")}</th>
            <th scope="col">{t("mesh.linkStatus")}</th>
            <th scope="col">{t("mesh.fix")}</th>
          </tr>
        </thead>
        <tbody>
          {links.map((l) => (
            <tr key={l.id}>
              <td>{l.reader}</td>
              <td>{l.reads}</td>
              <td>
                <Badge tone={stateTone(l.status)}>{t(`links.${l.status}`)}</Badge>
              </td>
              <td>{l.next ? <code>{l.next}</code> : l.missing ? l.missing : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ClusterCards clusters={clusters} />
    </section>
  );
}
