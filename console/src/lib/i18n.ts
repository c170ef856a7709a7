/**
 * Every string the console shows goes through i18next: English and Simplified Chinese, the browser's
 * preference first, switchable (the choice kept in localStorage). <html lang> follows the language.
 */
import i18n from "i18next";
import LanguageDetector from "i18next-browser-languagedetector";
import { initReactI18next } from "react-i18next";
import { en } from "../locales/en";
import { zhCN } from "../locales/zh-CN";

export const LANGUAGES = [
  { code: "en", name: "English" },
  { code: "zh-CN", name: "简体中文" },
] as const;

declare module "i18next" {
  interface CustomTypeOptions {
    defaultNS: "translation";
    resources: { translation: typeof en };
  }
}

export function initI18n(): void {
  void i18n
    .use(LanguageDetector)
    .use(initReactI18next)
    .init({
      resources: { en: { translation: en }, "zh-CN": { translation: zhCN } },
      fallbackLng: "en",
      supportedLngs: ["en", "zh-CN"],
      load: "currentOnly",
      interpolation: { escapeValue: false },
      detection: {
        order: ["localStorage", "navigator"],
        lookupLocalStorage: "mesh-console-lang",
        caches: ["localStorage"],
        // any Chinese preference (zh, zh-CN, zh-Hans, zh-TW) gets the Simplified Chinese text
        convertDetectedLanguage: (lng: string) => (lng.toLowerCase().startsWith("zh") ? "zh-CN" : lng),
      },
      returnNull: false,
    });
  const sync = (lng: string) => {
    document.documentElement.lang = lng.startsWith("zh") ? "zh-CN" : "en";
  };
  sync(i18n.resolvedLanguage ?? "en");
  i18n.on("languageChanged", sync);
}

/** The language in use, as a BCP 47 tag for Intl. */
export const currentLang = (): string => ((i18n.resolvedLanguage ?? "en").startsWith("zh") ? "zh-CN" : "en");
