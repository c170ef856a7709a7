/**
 * User-controlled strings (stack-file keys and values, messages that quote them, an API server's words)
 * escaped for where they land in GitHub Markdown: a code span, prose in a table cell or a heading, or
 * the HTML of a `<summary>`. Nothing in them can end a table row, open an HTML comment that hides what
 * follows, or become a link, an image, an `@` mention or an issue reference.
 */
import { escapeControls } from "../model/escape";

/** A zero-width space, as an entity: it splits `@team`, `https://` and `#12` so GitHub links none of them (shown, it is invisible). */
const ZWSP = "&#8203;";

const defuse = (s: string) =>
  s
    .replace(/#(?=\d)/g, `#${ZWSP}`)
    .replace(/@/g, `@${ZWSP}`)
    // GitHub links bare http(s) and ftp URLs and www. hosts (GFM's autolink extension), no other scheme
    .replace(/\b(https?|ftp):\/\//gi, (m) => `${m.slice(0, -2)}${ZWSP}//`)
    .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}${ZWSP}.`);

const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Prose outside a code span: HTML and Markdown punctuation escaped, links and mentions defused. */
const prose = (s: string) => defuse(html(escapeControls(s)).replace(/[\\`*_[\]~!|]/g, "\\$&"));

/** Inside a code span nothing is markup, but a table still splits at `|` and a line break ends the row. */
const inCode = (s: string) => escapeControls(s).replace(/\|/g, "\\|");

/**
 * A code span showing `s` as typed, safe in a table cell: its fence is longer than any run of backticks
 * in it, with a space inside when it starts or ends with one (CommonMark strips one each side).
 */
export function mdCode(s: string): string {
  const text = inCode(s);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") || (text.startsWith(" ") && text.endsWith(" ") && text.trim() !== "") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * Prose that may carry user strings, safe in a table cell or a heading. Its code spans (our messages
 * write keys and commands as `…`) stay code spans; everything else is escaped.
 */
export function mdText(s: string): string {
  return s
    .split(/(`[^`\n]*`)/)
    .map((part, i) => (i % 2 === 1 ? inCode(part) : prose(part)))
    .join("");
}

/** Text inside an HTML element (`<summary>`): HTML-escaped, mentions and links defused. */
export function mdHtml(s: string): string {
  return defuse(html(escapeControls(s)).replace(/"/g, "&quot;"));
}
