// Reading ava's TAP output (`ava --tap`): the closing counts, the skipped tests with their titles (which carry the
// reason), and the failed ones with the first line of what went wrong. Shared by harness/run.ts and qemu/suite.ts.

export interface TapCounts { pass: number; fail: number; skip: number; todo: number }

/** The closing counts ("# pass N", "# fail N", ...); a count ava did not print is 0. */
export function tapCounts(output: string): TapCounts {
  const count = (what: string) => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
  return { pass: count('pass'), fail: count('fail'), skip: count('skip'), todo: count('todo') };
}

/** The titles of the skipped tests ("ok N - title # SKIP"). */
export const tapSkipped = (output: string): string[] => [...output.matchAll(/^ok \d+ - (.*) # SKIP/gm)].map((m) => m[1]);

export interface TapFailure { title: string; /** What went wrong, on one line: the assertion, its message and details. */ why: string }

/** The top-level keys of one YAML block of ava's TAP output, each with its (possibly multi-line) value on one line. */
function yamlKeys(block: string[]): Record<string, string> {
  const keys: Record<string, string> = {};
  const indent = Math.min(...block.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  let key = '';
  for (const line of block) {
    const m = new RegExp(`^ {${indent}}([\\w-]+):\\s*(.*)$`).exec(line);
    if (m) { key = m[1]; keys[key] = m[2]; } else if (key) keys[key] += ` ${line.trim()}`;
  }
  for (const k of Object.keys(keys)) {
    keys[k] = keys[k].replace(/(^|\s)(\|-|>-|\||>)(?=\s|$)/g, ' ').replace(/\s+/g, ' ').trim().replace(/^'([^']*)'$/, '$1');
  }
  return keys;
}

/**
 * The failed tests ("not ok N - title"), each with what went wrong on one line (from the YAML block that follows it).
 * A file that crashed before its tests ran shows up as ava's own "not ok" line, with the file's name as title.
 */
export function tapFailures(output: string, max = 300): TapFailure[] {
  const lines = output.split('\n');
  const out: TapFailure[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^not ok \d+ - (.*?)(?: # TODO.*)?$/.exec(lines[i]);
    if (!m) continue;
    const block: string[] = [];
    if (lines[i + 1]?.trim() === '---') {
      for (let j = i + 2; j < lines.length && lines[j].trim() !== '...'; j++) block.push(lines[j]);
    }
    const k = block.length ? yamlKeys(block) : {};
    const details = (k.details ?? '').replace(/'([^']*:)':?/g, '$1');
    const message = k.message && k.message !== "''" && !details.startsWith(k.message) ? k.message : '';
    const why = [k.assertion, message, details].filter(Boolean).join(': ');
    out.push({ title: m[1], why: why.length > max ? `${why.slice(0, max - 3)}...` : why });
  }
  return out;
}
