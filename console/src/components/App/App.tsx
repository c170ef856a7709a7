/**
 * The console's frame: who is signed in (or the sign-in page), the header with the pages, the language,
 * the theme and the user menu, and one route per page — each a stable deep link that survives a reload.
 */
import { Suspense, lazy, useEffect } from "react";
import { useTranslation } from "react-i18next";
import { Redirect, Route, Switch, useLocation } from "wouter";
import { ApiError, setCsrfToken } from "../../lib/api";
import { useMe } from "../../lib/queries";
import type { Me } from "../../lib/session";
import { SignInPage } from "../SignIn/SignInPage";
import { Header } from "./Header";
import { Loading, Failure } from "../common/States";
import { StackPage } from "../Stack/StackPage";
import { JobPage } from "../Job/JobPage";
import { JobsPage } from "../Jobs/JobsPage";
import { ConvergePage } from "../Converge/ConvergePage";
import { VerifyPage } from "../Verify/VerifyPage";
import { ControlPlanePage } from "../ControlPlane/ControlPlanePage";
import { AuditPage } from "../Audit/AuditPage";
import { MeContext } from "./me-context";
import { ErrorBoundary } from "../common/ErrorBoundary";

// the topology's graph library is the largest part of the bundle: loaded with the mesh page only
const MeshPage = lazy(() => import("../Mesh/MeshPage").then((m) => ({ default: m.MeshPage })));

export function App() {
  const { t } = useTranslation();
  const me = useMe();
  const [location] = useLocation();
  useEffect(() => setCsrfToken(me.data?.csrfToken), [me.data?.csrfToken]);
  // the page's title names the page, for the history list and screen readers
  useEffect(() => {
    document.title = `${t(`nav.${pageOf(location)}`)} · ${t("app.name")}`;
  }, [location, t]);

  if (me.isPending) return <Loading />;
  if (me.error instanceof ApiError && me.error.status === 401) return <SignInPage />;
  if (me.isError) return <Failure error={me.error} />;
  const who: Me = me.data;
  return (
    <MeContext.Provider value={who}>
      <a className="skip" href="#main">
        {t("app.skip")}
      </a>
      <Header />
      <main id="main" tabIndex={-1}>
        <ErrorBoundary resetKey={location}>
          <Suspense fallback={<Loading />}>
            <Switch>
              <Route path="/">
                <Redirect to="/mesh" replace />
              </Route>
              <Route path="/mesh" component={MeshPage} />
              <Route path="/stacks/:stack">{(p) => <StackPage stack={p.stack} />}</Route>
              <Route path="/jobs" component={JobsPage} />
              <Route path="/jobs/:id">{(p) => <JobPage id={p.id} />}</Route>
              <Route path="/converge">
                <ConvergePage />
              </Route>
              <Route path="/converge/:id">{(p) => <ConvergePage id={p.id} />}</Route>
              <Route path="/verify">
                <VerifyPage />
              </Route>
              <Route path="/verify/:id">{(p) => <VerifyPage id={p.id} />}</Route>
              <Route path="/control-plane" component={ControlPlanePage} />
              <Route path="/audit" component={AuditPage} />
              <Route path="/sign-in">
                <Redirect to="/mesh" replace />
              </Route>
              <Route>
                <section>
                  <h1>{t("app.notFound")}</h1>
                </section>
              </Route>
            </Switch>
          </Suspense>
        </ErrorBoundary>
      </main>
    </MeContext.Provider>
  );
}

const PAGES = ["mesh", "stacks", "jobs", "converge", "verify", "control-plane", "audit"] as const;
function pageOf(path: string): "mesh" | "stacks" | "jobs" | "converge" | "verify" | "controlPlane" | "audit" {
  const first = path.split("/")[1] ?? "";
  const p = PAGES.find((x) => x === first) ?? "mesh";
  return p === "control-plane" ? "controlPlane" : p;
}
