/**
 * Signing in: with the organisation's identity provider (the server runs the OIDC code flow and sets a
 * session cookie), or, where the server has static tokens, by exchanging a token for the same session —
 * the token is posted once and never kept in the browser.
 */
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useQueryClient } from "@tanstack/react-query";
import { signInWithToken } from "../../lib/api";
import { keys, useMethods } from "../../lib/queries";
import { LANGUAGES } from "../../lib/i18n";
import { Failure } from "../common/States";

export function SignInPage() {
  const { t, i18n } = useTranslation();
  const client = useQueryClient();
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>();
  const methods = useMethods();
  // until the server says which ways in it has, offer both
  const offers = methods.data?.methods ?? ["oidc", "token"];
  const returnTo = window.location.pathname.startsWith("/sign-in") ? "/" : `${window.location.pathname}${window.location.search}`;
  return (
    <main id="main" className="sign-in">
      <h1>{t("signIn.title")}</h1>
      <p>{t("signIn.what")}</p>
      {offers.includes("oidc") && (
        <p>
          <a className="button primary" href={`/auth/login?returnTo=${encodeURIComponent(returnTo)}`}>
            {t("signIn.oidc")}
          </a>
        </p>
      )}
      {offers.includes("token") && (
        <form
          aria-labelledby="token-title"
          onSubmit={(e) => {
            e.preventDefault();
            setError(undefined);
            signInWithToken(token).then(
              () => {
                setToken("");
                void client.invalidateQueries({ queryKey: keys.me });
              },
              (err: unknown) => setError(err),
            );
          }}
        >
          <h2 id="token-title">{offers.includes("oidc") ? t("signIn.tokenTitle") : t("signIn.tokenOnly")}</h2>
          <label>
            {t("signIn.token")}
            <input type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" required />
          </label>
          <button type="submit">{t("signIn.submit")}</button>
          {error !== undefined && <Failure error={error} />}
        </form>
      )}
      {offers.length === 0 && <p role="alert">{t("signIn.none")}</p>}
      <label>
        {t("prefs.language")}{" "}
        <select value={i18n.resolvedLanguage ?? "en"} onChange={(e) => void i18n.changeLanguage(e.target.value)}>
          {LANGUAGES.map((l) => (
            <option key={l.code} value={l.code} lang={l.code}>
              {l.name}
            </option>
          ))}
        </select>
      </label>
    </main>
  );
}
