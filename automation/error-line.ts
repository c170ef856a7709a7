/** An error's first line: its message alone, without what Node appends below it (a "Require stack" of this machine's paths, a stack). */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!;
}
