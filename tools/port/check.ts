// npm run port:check [-- --arch a,b,...]
//
// Port is a function of its inputs: run on the spec as committed, with the same headers, it must write exactly the
// files that are there. For each target (default: every row of the target table) this runs `npm run port` against a
// copy of abi/linux, lists every JSON path the run changed, and exits 1 when any run changed anything. A change means
// either that port does not keep what it wrote (a bug in tools/port.ts) or that abi/ holds an entry port would not
// write (a hand edit that port must learn to keep, or a stale value: the diff says which path).
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { abiJsonFiles } from '../lib/format.ts';
import { ABI_DIR, ROOT } from '../lib/spec.ts';
import { TARGET_NAMES } from '../lib/targets.ts';

/** JSON paths (a.b[3].c) where two values differ; objects and arrays are walked, leaves compared. */
export function jsonDiff(a: unknown, b: unknown, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!obj(a) || !obj(b) || Array.isArray(a) !== Array.isArray(b)) {
    return [`${path || '(the whole file)'}: ${JSON.stringify(a) ?? 'nothing'} -> ${JSON.stringify(b) ?? 'nothing'}`];
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const at = (k: string) => (Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k);
  return keys.flatMap((k) => jsonDiff(a[k], b[k], at(k)));
}

export interface CheckResult { arch: string; seconds: number; changes: string[] }

/** Port one arch against a copy of abiDir; what it changed, as "file: path: before -> after". */
export async function checkArch(arch: string, abiDir = ABI_DIR): Promise<CheckResult> {
  const copy = mkdtempSync(join(tmpdir(), `tsyscall-port-check-${arch}-`));
  const start = performance.now();
  try {
    cpSync(abiDir, copy, { recursive: true });
    // the command itself, as a porter runs it (x86_64 is the reference arch: its values are the common ones)
    const args = ['tools/port.ts', '--arch', arch, '--abi', copy, ...(arch === 'x86_64' ? ['--reference'] : [])];
    try {
      await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'tsx'), args, { cwd: ROOT, maxBuffer: 64 << 20 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`npm run port -- --arch ${arch} failed: ${(e.stderr || e.stdout || e.message).trim().split('\n').slice(-5).join('\n')}`);
    }
    const changes: string[] = [];
    const files = new Set([...abiJsonFiles(abiDir).map((f) => relative(abiDir, f)), ...abiJsonFiles(copy).map((f) => relative(copy, f))]);
    for (const rel of [...files].sort()) {
      const read = (d: string) => { try { return readFileSync(join(d, rel), 'utf8'); } catch { return undefined; } };
      const [before, after] = [read(abiDir), read(copy)];
      if (before === after) continue;
      if (before === undefined || after === undefined) { changes.push(`${rel}: ${before === undefined ? 'created' : 'removed'}`); continue; }
      const d = jsonDiff(JSON.parse(before), JSON.parse(after));
      changes.push(...(d.length ? d : ['(formatting only)']).map((l) => `${rel}: ${l}`));
    }
    return { arch, seconds: (performance.now() - start) / 1000, changes };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({ options: { arch: { type: 'string' } } });
  const arches = values.arch ? values.arch.split(',').map((s) => s.trim()) : [...TARGET_NAMES];
  let bad = 0;
  for (const arch of arches) {
    const r = await checkArch(arch);
    console.log(`${arch}: ${r.changes.length ? `port changed ${r.changes.length} values` : 'port changes nothing'} (${r.seconds.toFixed(0)} s)`);
    for (const c of r.changes.slice(0, 40)) console.log(`  ${c}`);
    if (r.changes.length > 40) console.log(`  ... and ${r.changes.length - 40} more`);
    if (r.changes.length) bad++;
  }
  console.log(bad ? `${bad} of ${arches.length} arches: port does not reproduce abi/ (see above)` : `all ${arches.length} arches: port reproduces abi/ exactly`);
  process.exitCode = bad ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
