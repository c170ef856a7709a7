/**
 * Text from a stack file, a stack output or a cluster, made safe to print: control characters (C0, DEL,
 * C1) and the bidirectional overrides that reorder what a terminal or a browser shows are written as
 * `\u001b` escapes, so no key or value can move the cursor, set the clipboard (OSC 52), hide a line
 * or forge one. Every text renderer prints through `terminalText`; JSON through `jsonText`.
 */

/** C0 (U+0000–U+001F), DEL, C1 (U+0080–U+009F), and the bidi embeddings, overrides and isolates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** `s` with every control character as a visible `\uXXXX` escape, except those in `keep`. */
export function escapeControls(s: string, keep = ""): string {
  return s.replace(CONTROL, (c) => (keep.includes(c) ? c : escaped(c)));
}

/** Terminal text: line breaks kept (the renderer's own), every other control character escaped. */
export const terminalText = (s: string): string => escapeControls(s, "\n");

/** JSON whose strings carry no raw control character: JSON.stringify escapes C0 but leaves DEL, C1 and bidi raw. */
export const jsonText = (value: unknown, space?: number): string =>
  JSON.stringify(value, null, space).replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, escaped);
