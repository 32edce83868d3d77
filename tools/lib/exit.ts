// How a command ended, said so that a report never shows an empty line for a failure: the command itself, its exit
// status, the signal that killed it or the error that kept it from starting, and what it wrote on stderr. The matrix,
// the roundtrips, the suite and the native-or-emulated probe (tools/lib/probe.ts) all describe failures with it.

export interface Ending {
  /** Exit status (null or undefined when a signal ended it or it never started). */
  code?: number | null;
  /** The signal that ended it ('SIGSEGV'). */
  signal?: string | null;
  /** Why it never started (an errno name such as 'ENOENT', or a message). */
  startError?: string;
  /** Its standard error. */
  stderr?: string;
  /** Set when we killed it for taking too long. */
  timedOut?: boolean;
}

/** A command line as one could paste it into a shell. */
export function shellLine(command: readonly string[]): string {
  return command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** "exited with status 2", "was killed by SIGSEGV", "could not start: ENOENT". */
export function howItEnded(e: Ending): string {
  if (e.startError) return `could not start: ${e.startError}`;
  if (e.timedOut) return `was killed after its time ran out${e.signal ? ` (${e.signal})` : ''}`;
  if (e.signal) return `was killed by ${e.signal}`;
  if (typeof e.code === 'number') return `exited with status ${e.code}`;
  return 'ended without an exit status';
}

/** The last `lines` non-empty lines of a stream's text, or a note that it was empty. */
export function tail(text: string | undefined, lines = 12): string {
  const l = (text ?? '').split('\n').map((s) => s.trimEnd()).filter(Boolean);
  if (!l.length) return '(nothing on stderr)';
  return (l.length > lines ? [`... (${l.length - lines} lines before)`] : []).concat(l.slice(-lines)).join('\n');
}

/**
 * Several lines: "`cmd args` exited with status 2" then "stderr:" and the last lines of stderr (indented), or
 * "(nothing on stderr)".
 */
export function describeExit(command: readonly string[], e: Ending, stderrLines = 12): string {
  const err = tail(e.stderr, stderrLines);
  // libuv and shells retry a file the kernel refused (ENOEXEC) as a shell script: say what the "Syntax error" means
  const script = e.code === 2 && /^\S+: \d+: Syntax error/m.test(e.stderr ?? '')
    ? ' (a shell read the program as a script: the kernel refused to run it, ENOEXEC)' : '';
  return `\`${shellLine(command)}\` ${howItEnded(e)}${script}\n` +
    (err.startsWith('(') ? `  ${err}` : `  stderr:\n${err.split('\n').map((l) => `    ${l}`).join('\n')}`);
}

/** The Ending of a failed child_process.execFile / promisified execFile call (its error object). */
export function endingOf(err: unknown): Ending {
  const e = err as { code?: number | string | null; signal?: string | null; stderr?: string | Buffer; killed?: boolean; message?: string };
  const stderr = e.stderr === undefined ? undefined : String(e.stderr);
  if (typeof e.code === 'string') return { startError: e.code, stderr };
  return { code: e.code ?? null, signal: e.signal ?? null, stderr, timedOut: e.killed && !!e.signal };
}
