/** Times in the viewer's own zone and language, with the zone named so a screenshot is never ambiguous. */
export function formatTime(iso: string | undefined, lang: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // dateStyle/timeStyle cannot be combined with timeZoneName: the fields one by one
  return new Intl.DateTimeFormat(lang, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
  }).format(d);
}

/** `1.2 s`, `3 min 4 s`. */
export function formatDuration(ms: number | undefined, lang: string): string {
  if (ms === undefined || !Number.isFinite(ms)) return "";
  const unit = (value: number, u: "second" | "minute") =>
    new Intl.NumberFormat(lang, { style: "unit", unit: u, unitDisplay: "short", maximumFractionDigits: 1 }).format(value);
  if (ms < 60_000) return unit(ms / 1000, "second");
  return `${unit(Math.floor(ms / 60_000), "minute")} ${unit(Math.round((ms % 60_000) / 1000), "second")}`;
}

/** Milliseconds between two ISO times, if both are known. */
export const between = (from?: string, to?: string): number | undefined => (from && to ? Date.parse(to) - Date.parse(from) : undefined);
