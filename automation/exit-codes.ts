/** How the `mesh` commands end; light, so `mesh --help` and `mesh plan` load nothing of the engine. */
/** Exit codes of the `mesh` commands (also in --help). */
export const EXIT_CODES = {
  ok: 0,
  failed: 1,
  usage: 2,
  busy: 3,
  configInvalid: 4,
  cancelled: 5,
  bound: 6,
} as const;

export const EXIT_HELP = `Exit codes:
  0  done (converge: settled)
  1  the job failed, or mesh plan found errors
  2  usage error, or the project's files cannot be read
  3  busy: another process holds the stack's lock
  4  the stack's configuration is invalid (the program's report is printed)
  5  cancelled (Ctrl-C: the engine gets one interrupt and stops gracefully)
  6  converge stopped at its round bound: outputs keep changing`;
