// Native or emulated, decided by a probe. The target table (tools/lib/targets.ts) says which targets the host kernel may run
// itself (i386 through IA32 emulation, x32 where the kernel has the x32 ABI), but kernels of the same configuration
// differ: on some x86_64 machines every 32-bit x86 executable fails with ENOEXEC although CONFIG_IA32_EMULATION=y. So
// before a target runs natively, a minimal C program of that target, compiled with its own compiler, is run once the
// way the target's programs would be run (through the sysroot's dynamic loader). If the kernel refuses it, or it fails
// in any other way, the caller (runChoice in tools/lib/targets.ts) uses qemu-user for the target instead, everywhere (the
// matrix, the roundtrips, the suite, port), and says why.
//
// The program is started through a small helper built with the host's own compiler that calls execv() itself, because
// Node (libuv) and every shell retry a file the kernel refused with ENOEXEC as a shell script: the real errno would be
// lost in a shell's "Syntax error". The answer is cached per process.
//
// TSYSCALL_FORCE_EMULATION=i386 (a comma-separated list of targets, or `all`) makes the probe fail on a machine whose
// kernel does run the target, the way a kernel without that support fails: the probe then starts a copy of the
// program's first file (the dynamic loader) with its ELF e_machine set to EM_NONE, which any kernel refuses with
// ENOEXEC. So a test can take the emulated path on any machine (test/emulation.test.ts). The host's own arch is never
// probed, and cannot be forced.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TargetInfo } from './targets.ts';
import { describeExit, type Ending } from './exit.ts';

/** The variable that makes the probe fail for the targets it names (comma-separated; `all`: every probed target). */
export const FORCE_EMULATION = 'TSYSCALL_FORCE_EMULATION';

/** Whether TSYSCALL_FORCE_EMULATION names this target. */
export function forcedEmulation(arch: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env[FORCE_EMULATION] ?? '').split(',').map((s) => s.trim()).some((a) => a === arch || a === 'all');
}

export interface ProbeResult {
  arch: string;
  /** The program ran and printed what it should: the kernel runs this target. */
  ok: boolean;
  /** The probe could not be made (no compiler for the target yet): nothing was decided, nothing is cached. */
  undecided?: boolean;
  /** What was run (the runner's prefix and the program). */
  command: string[];
  /** The errno execve() failed with ('ENOEXEC'), when the kernel refused to start it. */
  errno?: string;
  /** One line: what went wrong ('' when ok). */
  detail: string;
  /** Several lines, for a report: the command, its exit status or signal, its stderr. */
  full: string;
  /** TSYSCALL_FORCE_EMULATION named the target. */
  forced: boolean;
  /** Wall time of the whole probe (compiling included), in milliseconds. */
  ms: number;
}

const MARK = 'tsyscall-probe: running';
const PROGRAM = `#include <stdio.h>\nint main(void) { puts("${MARK}"); return 0; }\n`;
// execv() and nothing else: no PATH search and no shell fallback, so that ENOEXEC comes back as ENOEXEC
const EXEC_HELPER = `#include <errno.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) return 125;
  execv(argv[1], argv + 1);
  fprintf(stderr, "tsyscall-exec: errno %d\\n", errno);
  return 127;
}
`;

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n as number, name]));

let helper: string | null | undefined;
let helperDir: string | undefined;

/** The execv() helper, built once per process with the host's compiler (null: there is none; then the probe runs the
 * program directly and reports what the shell fallback printed). */
function execHelper(hostCc: string[]): string | null {
  if (helper !== undefined) return helper;
  helperDir = mkdtempSync(join(tmpdir(), 'tsyscall-exec-'));
  process.once('exit', () => { if (helperDir) rmSync(helperDir, { recursive: true, force: true }); });
  writeFileSync(join(helperDir, 'exec.c'), EXEC_HELPER);
  const r = spawnSync(hostCc[0], [...hostCc.slice(1), '-O', '-o', join(helperDir, 'exec'), join(helperDir, 'exec.c')], { encoding: 'utf8' });
  helper = r.status === 0 ? join(helperDir, 'exec') : null;
  return helper;
}

/** A copy of an ELF file that no kernel runs: e_machine (bytes 18-19) set to EM_NONE. */
function unrunnableCopy(file: string, dir: string): string {
  const b = readFileSync(file);
  if (b.length < 20 || b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file}: not an ELF file`);
  b[18] = 0;
  b[19] = 0;
  const copy = join(dir, `unrunnable-${basename(file)}`);
  writeFileSync(copy, b);
  chmodSync(copy, 0o755);
  return copy;
}

const cache = new Map<string, ProbeResult>();

/**
 * Run a minimal program of target `t` with `runner` (the prefix its programs run with natively: the sysroot's dynamic
 * loader and its library path, or nothing). Cached per process (per target, runner and forcing).
 */
export function probeNative(t: TargetInfo, runner: string[], hostCc: string[] = ['gcc']): ProbeResult {
  const forced = forcedEmulation(t.name);
  const key = `${t.name}\0${runner.join('\0')}\0${forced}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `tsyscall-probe-${t.name}-`));
  const done = (r: Omit<ProbeResult, 'arch' | 'forced' | 'ms'>): ProbeResult => {
    rmSync(dir, { recursive: true, force: true });
    const res = { arch: t.name, ...r, forced, ms: Date.now() - t0 };
    if (!res.undecided) cache.set(key, res);
    return res;
  };
  try {
    writeFileSync(join(dir, 'probe.c'), PROGRAM);
    const exe = join(dir, 'probe');
    const ccArgs = [...t.cc.slice(1), '-o', exe, join(dir, 'probe.c')];
    const cc = spawnSync(t.cc[0], ccArgs, { encoding: 'utf8' });
    if (cc.error || cc.status !== 0) {
      const e: Ending = cc.error ? { startError: (cc.error as NodeJS.ErrnoException).code ?? cc.error.message } : { code: cc.status, signal: cc.signal, stderr: cc.stderr };
      const full = describeExit(t.cc.concat(ccArgs), e, 6);
      return done({ ok: false, undecided: true, command: [...t.cc, ...ccArgs], detail: `cannot build the probe: ${full.split('\n')[0]}`, full });
    }
    const command = [...runner, exe];
    if (forced) command[0] = unrunnableCopy(command[0], dir);
    const ex = execHelper(hostCc);
    const r = ex
      ? spawnSync(ex, command, { encoding: 'utf8', timeout: 120_000 })
      : spawnSync(command[0], command.slice(1), { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0 && r.stdout.includes(MARK)) return done({ ok: true, command, detail: '', full: '' });
    const refused = r.status === 127 ? /^tsyscall-exec: errno (\d+)$/m.exec(r.stderr ?? '') : null;
    if (refused) {
      const n = Number(refused[1]);
      const errno = ERRNO_NAMES.get(n) ?? `errno ${n}`;
      return done({ ok: false, command, errno, detail: errno, full: `execve(${command[0]}) failed: ${errno}` });
    }
    const e: Ending = r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT'
      ? { startError: (r.error as NodeJS.ErrnoException).code ?? r.error.message }
      : { code: r.status, signal: r.signal, stderr: r.stderr, timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
    const full = r.status === 0 ? `\`${command.join(' ')}\` exited with status 0 without printing "${MARK}"` : describeExit(command, e, 6);
    return done({ ok: false, command, detail: full.split('\n')[0].replace(/^`[^`]*` /, ''), full });
  } catch (err) {
    return done({ ok: false, undecided: true, command: runner, detail: (err as Error).message, full: (err as Error).message });
  }
}

/** Forget every probe result (for tests). */
export function clearProbes(): void {
  cache.clear();
}
