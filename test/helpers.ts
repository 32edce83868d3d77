// Shared by the tests: a scratch copy of abi/ to break on purpose, and one cached ctest run of the real spec.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ABI_DIR, ROOT, loadSpec, resolveArch } from '../tools/lib/spec.ts';
import { hostTarget, runCtest, type CtestRun, type Kind } from '../ctest/ctest.ts';

/** Temporary folders of this test process, removed when it exits (hundreds piled up in /tmp before). */
const scratch: string[] = [];
process.once('exit', () => { for (const d of scratch) rmSync(d, { recursive: true, force: true }); });

/** A fresh copy of abi/linux in a temporary folder (removed when the test process exits). */
export function scratchAbi(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsyscall-abi-'));
  scratch.push(dir);
  cpSync(ABI_DIR, dir, { recursive: true });
  return dir;
}

/** Read, change and write back one JSON file. */
export function editJson(file: string, change: (data: any) => void): void {
  const data = JSON.parse(readFileSync(file, 'utf8'));
  change(data);
  writeFileSync(file, JSON.stringify(data, null, 2));
}

export async function ctest(abiDir: string, opts: { kinds?: Kind[]; name?: string } = {}): Promise<CtestRun> {
  const abi = resolveArch(loadSpec(abiDir), 'x86_64');
  const dir = mkdtempSync(join(tmpdir(), `tsyscall-ctest-${opts.name ?? 'run'}-`));
  return runCtest(abi, { target: hostTarget('x86_64'), dir, kinds: opts.kinds });
}

export const mismatches = (run: CtestRun) => run.results.filter((r) => r.status === 'mismatch');

export { ROOT, ABI_DIR };

/**
 * The library's hand-written modules: every .ts (or, where the suite runs compiled, .js) file under src/, in its
 * domain folders too (src/core, src/fs, ...), but not src/generated. Sorted.
 */
export function librarySources(dir = join(ROOT, 'src')): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return p === join(ROOT, 'src', 'generated') ? [] : librarySources(p);
    return /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}
