/**
 * Light or dark: the system's choice unless the viewer picked one here (kept in localStorage). The
 * stylesheet follows `prefers-color-scheme`; a pick sets `data-theme` on <html>, which overrides it.
 */
export type ThemeChoice = "system" | "light" | "dark";
const KEY = "mesh-console-theme";

export function storedTheme(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === "light" || v === "dark" ? v : "system";
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === "system") {
    localStorage.removeItem(KEY);
    delete document.documentElement.dataset.theme;
  } else {
    localStorage.setItem(KEY, choice);
    document.documentElement.dataset.theme = choice;
  }
}
