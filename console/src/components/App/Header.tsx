/** The header: the pages, the language and theme pickers, and the user menu with role and sign-out. */
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation } from "wouter";
import { api } from "../../lib/api";
import { wayIn } from "../../lib/session";
import { LANGUAGES } from "../../lib/i18n";
import { applyTheme, storedTheme, type ThemeChoice } from "../../lib/theme";
import { formatTime } from "../../lib/time";
import { useSignedIn } from "./me-context";

const NAV = [
  { href: "/mesh", key: "mesh" },
  { href: "/jobs", key: "jobs" },
  { href: "/converge", key: "converge" },
  { href: "/verify", key: "verify" },
  { href: "/control-plane", key: "controlPlane" },
  { href: "/audit", key: "audit", admin: true },
] as const;

export function Header() {
  const { t, i18n } = useTranslation();
  const me = useSignedIn();
  const [location] = useLocation();
  const [theme, setTheme] = useState<ThemeChoice>(storedTheme());
  const lang = i18n.resolvedLanguage ?? "en";
  return (
    <header className="top">
      <span className="brand">{t("app.name")}</span>
      <nav aria-label={t("nav.label")}>
        <ul>
          {NAV.filter((n) => !("admin" in n) || me.role === "admin").map((n) => {
            const current = location === n.href || location.startsWith(`${n.href}/`);
            return (
              <li key={n.href}>
                <Link href={n.href} aria-current={current ? "page" : undefined}>
                  {t(`nav.${n.key}`)}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <div className="prefs">
        <label>
          <span className="sr-only">{t("prefs.language")}</span>
          <select value={lang} onChange={(e) => void i18n.changeLanguage(e.target.value)} aria-label={t("prefs.language")}>
            {LANGUAGES.map((l) => (
              <option key={l.code} value={l.code} lang={l.code}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="sr-only">{t("prefs.theme")}</span>
          <select
            value={theme}
            aria-label={t("prefs.theme")}
            onChange={(e) => {
              const v = e.target.value as ThemeChoice;
              setTheme(v);
              applyTheme(v);
            }}
          >
            <option value="system">{t("prefs.system")}</option>
            <option value="light">{t("prefs.light")}</option>
            <option value="dark">{t("prefs.dark")}</option>
          </select>
        </label>
        <details className="user-menu">
          <summary>
            {me.name} <span className="role">{t(`roles.${me.role}`)}</span>
          </summary>
          <div className="menu" role="group" aria-label={t("user.menu")}>
            <p>
              {t("user.signedInAs", { name: me.name })}
              <br />
              {t("user.role", { role: t(`roles.${me.role}`) })}
              <br />
              {t(`user.via.${wayIn(me)}`)}
            </p>
            {me.expiresAt && <p>{t("user.expires", { time: formatTime(me.expiresAt, lang) })}</p>}
            {me.via !== "insecure" && (
              <button
                type="button"
                onClick={() => {
                  void api.logout().finally(() => window.location.assign("/sign-in"));
                }}
              >
                {t("user.signOut")}
              </button>
            )}
          </div>
        </details>
      </div>
    </header>
  );
}
