// Fuzzing the main API: every exported function of src/index.ts (and every method of a real Fd, Mapping and Timer) is
// called with random and hostile arguments in child processes (test/fuzz-child.ts), which must exit normally (no
// crash, no signal, no hang) and may throw only TypeError, RangeError or SyscallError. The children run as root inside
// fresh mount, UTS, IPC, network and pid namespaces (unshare), with every mount read-only except their working
// directory, a 64 MiB tmpfs: see test/fuzz-rules.ts for what they still must not do, and why.
//
// Deterministic from a seed, printed with every failure: FUZZ_SEED=123 npx ava test/fuzz.test.ts. FUZZ_CALLS sets the
// total number of calls (default 32,000; at least 20,000 are required); FUZZ_EXTRA=src/a.ts,src/b.ts adds modules that
// src/index.ts does not export yet.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as lib from '../src/index.ts';
import { EXCLUDED, GUARDS, RESTORES, baseName } from './fuzz-rules.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fuzz-child.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31);
const TOTAL = Number(process.env.FUZZ_CALLS ?? 32000);
const MIN_TOTAL = 20000;
// FUZZ_EXTRA=src/process.ts,src/x.ts: fuzz modules that src/index.ts does not export yet, too
const EXTRA = (process.env.FUZZ_EXTRA ?? '').split(',').filter(Boolean).map((m) => pathToFileURL(join(ROOT, m)).href);
const SLICES = 4;
const PARALLEL = 2;
const HANG_MS = 8000; // no progress line for this long: a hang
const START_MS = 40000; // the child's first progress line
const RUN_MS = 90000; // a whole child
const reproduce = `reproduce: FUZZ_SEED=${SEED} FUZZ_CALLS=${TOTAL} npx ava test/fuzz.test.ts`;

const NS = ['mnt', 'uts', 'ipc', 'net', 'pid'];
const UNSHARE = ['--mount', '--uts', '--ipc', '--net', '--pid', '--fork', '--mount-proc', '--kill-child'];
const sandboxOk = process.getuid?.() === 0 && spawnSync('unshare', [...UNSHARE, 'true']).status === 0;
const run = sandboxOk ? test : test.skip;
const why = sandboxOk ? '' : ' (skipped: needs root and unshare to sandbox the fuzzer)';

// Inside the namespaces: every mount read-only (in this mount namespace only), a fresh tmpfs for the working
// directory, a hostname of its own; then the child, in its own session (its process group holds only itself).
const SANDBOX = `
set -u
T=$1; shift
mount --make-rprivate / || exit 90
awk '{print $5}' /proc/self/mountinfo | sort -ru | while read -r m; do mount -o remount,bind,ro "$(printf '%b' "$m")" 2>/dev/null; done
mount -t tmpfs -o size=64m,mode=0755,nodev,nosuid,noexec tsyscall-fuzz "$T" || exit 91
hostname tsyscall-fuzz || exit 92
cd "$T" || exit 93
setsid --wait "$@"
rc=$?
[ "$rc" -gt 128 ] && printf 'X\\tsignal\\t%d\\n' $((rc - 128))
exit $rc
`;

interface Sandbox { ns: Record<string, string>; hostname: string; pid: number; ppid: number; cwd: string; mount: string; mountOpts: string; probe: string }
interface Result {
  calls: number; attempts: number; ms: number; targets: string[]; allTargets: number; eligible: number; excluded: string[];
  perTarget: Record<string, { calls: number; ok: number; TypeError: number; RangeError: number; SyscallError: number; trap: number; bad: number; skipped: number }>;
  bad: { target: string; args: string; error: string; message: string; stack: string }[]; badCount: number;
  unchecked: Record<string, { count: number; origin: string; example: string }>;
  signals: Record<string, number>; skippedBy: Record<string, number>; slow: { ms: number; call: string }[]; lostRoot?: string;
}
interface Run { slice: number; code: number | null; signal: string | null; sandbox?: Sandbox; result?: Result; last?: string; hang?: string; killedBy?: string; stderr: string; ms: number }

function runChild(slice: number, calls: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'tsyscall-fuzz-'));
  const cfg = { seed: SEED, slice, slices: SLICES, calls, probe: join(ROOT, 'build'), extra: EXTRA };
  const args = [...UNSHARE, 'sh', '-c', SANDBOX, 'sandbox', dir, process.execPath, '--import', TSX, CHILD, JSON.stringify(cfg)];
  const started = Date.now();
  // detached: the child tree is a process group of its own, killed as one on a hang
  const p = spawn('unshare', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Run = { slice, code: null, signal: null, stderr: '', ms: 0 };
  let buf = '';
  let lastAt = Date.now();
  let seenProgress = false;
  p.stdout.setEncoding('utf8');
  p.stdout.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const [kind, rest] = [line.slice(0, 2), line.slice(2)];
      if (kind === 'P\t') {
        r.last = rest;
        lastAt = Date.now();
        seenProgress = true;
      } else if (kind === 'S\t') r.sandbox = JSON.parse(rest) as Sandbox;
      else if (kind === 'R\t') r.result = JSON.parse(rest) as Result;
      else if (kind === 'X\t') r.killedBy = rest.split('\t')[1];
    }
  });
  p.stderr.setEncoding('utf8');
  p.stderr.on('data', (d: string) => { if (r.stderr.length < 20000) r.stderr += d; });
  const watch = setInterval(() => {
    const now = Date.now();
    const hung = seenProgress ? now - lastAt > HANG_MS : now - started > START_MS;
    if (hung || now - started > RUN_MS) {
      r.hang = seenProgress ? `no progress for ${Math.round((now - lastAt) / 1000)} s after call ${r.last}` : `no call started within ${START_MS / 1000} s`;
      try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  }, 250);
  return new Promise((resolve) => {
    p.on('close', (code, signal) => {
      clearInterval(watch);
      r.code = code;
      r.signal = signal;
      r.ms = Date.now() - started;
      rmSync(dir, { recursive: true, force: true });
      resolve(r);
    });
  });
}

// the slices run PARALLEL at a time; every test below awaits the runs it needs
let runs: Promise<Run>[] | undefined;
function allRuns(): Promise<Run>[] {
  if (runs) return runs;
  const per = Math.ceil(TOTAL / SLICES);
  const gates: Promise<unknown>[] = [];
  runs = Array.from({ length: SLICES }, (_, i) => {
    const r = (gates[i - PARALLEL] ?? Promise.resolve()).then(() => runChild(i, per));
    gates[i] = r;
    return r;
  });
  return runs;
}

const signalName = (n: number) => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

function describeRun(r: Run): string[] {
  const problems: string[] = [];
  if (r.hang) problems.push(`HANG: ${r.hang}`);
  else if (r.killedBy) problems.push(`CRASH: the child died of ${signalName(Number(r.killedBy))} during call ${r.last}`);
  else if (r.signal) problems.push(`CRASH: killed by ${r.signal} during call ${r.last}`);
  else if (r.code !== 0) problems.push(`the child exited with code ${r.code} (last call ${r.last})`);
  else if (!r.result) problems.push(`the child exited without a report (last call ${r.last})`);
  const res = r.result;
  if (res?.lostRoot) problems.push(`the child lost root for good ${res.lostRoot}: a guard in test/fuzz-rules.ts is missing`);
  if (res?.badCount) {
    const by = Object.entries(res.perTarget).filter(([, c]) => c.bad).map(([n, c]) => `${n} ${c.bad}x`);
    problems.push(`${res.badCount} errors that are not TypeError, RangeError or SyscallError (${by.join(', ')}); the first of each:`);
  }
  for (const b of res?.bad ?? []) problems.push(`  ${b.error} from ${b.target}(${b.args}): ${b.message}\n${b.stack.replace(/^/gm, '    ')}`);
  if (problems.length && r.stderr.trim()) problems.push(`stderr:\n${r.stderr.trim().split('\n').slice(-25).join('\n')}`);
  return problems;
}

// the exports the children will see, for the rules' report
const extraExports = Object.assign({}, ...(await Promise.all(EXTRA.map((m) => import(m))))) as Record<string, unknown>;
const exported = Object.entries({ ...lib, ...extraExports }).filter(([, v]) => typeof v === 'function').map(([k]) => k);
const fdMethods = Object.getOwnPropertyNames(lib.Fd.prototype).filter((m) => m !== 'constructor' && typeof Object.getOwnPropertyDescriptor(lib.Fd.prototype, m)?.value === 'function');
const names = new Set([...exported, ...fdMethods]);
const applies = (re: RegExp) => [...names].filter((n) => re.test(baseName(n)));

run(`the fuzzer's exclusions, guards and restores, each with its reason${why}`, (t) => {
  const lines: string[] = [];
  const list = (kind: string, rules: { name: RegExp; reason: string }[]) => {
    for (const r of rules) {
      const ns = applies(r.name);
      if (ns.length) lines.push(`${kind} ${ns.join(', ')}: ${r.reason}`);
    }
  };
  list('excluded (never called):', EXCLUDED);
  list('guarded (some argument sets not made):', GUARDS);
  list('restored after each call:', RESTORES);
  t.log(`seed ${SEED}; ${TOTAL} calls in ${SLICES} children; ${exported.length} exported functions, ${fdMethods.length} Fd methods`);
  t.log(lines.length ? lines.join('\n') : 'no export matches a rule');
  // an excluded function is never called: a guard or restore for it would be dead
  for (const r of EXCLUDED) for (const n of applies(r.name)) t.false([...GUARDS, ...RESTORES].some((x) => x.name.test(baseName(n))), n);
  t.pass();
});

for (let i = 0; i < SLICES; i++) {
  run(`fuzz slice ${i + 1}/${SLICES}: no crash, no hang, only TypeError, RangeError or SyscallError${why}`, async (t) => {
    const r = await allRuns()[i];
    const res = r.result;
    if (res) {
      const per = Object.values(res.perTarget);
      const sum = (k: keyof (typeof per)[number]) => per.reduce((a, c) => a + c[k], 0);
      t.log(`slice ${i + 1}: ${res.calls} calls to ${res.targets.length} targets in ${(r.ms / 1000).toFixed(1)} s (seed ${SEED}): ${sum('ok')} returned, ` +
        `${sum('SyscallError')} SyscallError, ${sum('TypeError')} TypeError, ${sum('RangeError')} RangeError, ${sum('trap')} fuzzer traps, ` +
        `${Object.values(res.skippedBy).reduce((a, b) => a + b, 0)} argument sets not made (guards)`);
      const unchecked = Object.values(res.unchecked);
      if (unchecked.length) {
        t.log(`arguments that reached ${[...new Set(unchecked.map((u) => u.origin))].join('/')} unchecked (thrown as TypeError/RangeError, but not by the library's checks):\n` +
          unchecked.map((u) => `  ${u.count}x ${u.example}`).join('\n'));
      }
      if (Object.keys(res.signals).length) t.log(`signals the calls caused (handled): ${JSON.stringify(res.signals)}`);
      if (res.slow.length) t.log(`slowest calls: ${res.slow.slice(0, 3).map((s) => `${s.ms} ms ${s.call.slice(0, 120)}`).join('; ')}`);
      const never = res.targets.filter((n) => res.perTarget[n].calls === 0);
      t.deepEqual(never, [], `targets never called (every argument set rejected by a guard?): ${never.join(', ')}`);
    }
    const problems = describeRun(r);
    if (problems.length) t.fail(`slice ${i + 1}, ${reproduce}\n${problems.join('\n')}`);
    else t.pass();
  });
}

run(`the fuzz children ran sandboxed and made at least ${MIN_TOTAL} calls to every export${why}`, async (t) => {
  const before = hostname();
  const rs = await Promise.all(allRuns());
  const mine = Object.fromEntries(NS.map((k) => [k, readlinkSync(`/proc/self/ns/${k}`)]));
  for (const r of rs) {
    const s = r.sandbox;
    if (!s) { t.fail(`slice ${r.slice + 1}: no sandbox report (${r.stderr.slice(-500)})`); continue; }
    for (const k of NS) t.not(s.ns[k], mine[k], `slice ${r.slice + 1}: the ${k} namespace is the test's own`);
    t.is(s.hostname, 'tsyscall-fuzz', 'the UTS namespace has its own hostname');
    t.is(s.ppid, 1, 'the child runs under the pid namespace\'s init (its shell)');
    t.regex(s.mount, /^tmpfs /, 'the working directory is a tmpfs');
    t.regex(s.mountOpts, /nodev/);
    t.is(s.probe, 'EROFS', 'writing outside the working directory fails with EROFS');
  }
  t.is(hostname(), before, "the host's hostname did not change");
  const total = rs.reduce((a, r) => a + (r.result?.calls ?? 0), 0);
  t.true(total >= MIN_TOTAL, `${total} calls, fewer than ${MIN_TOTAL}`);
  const res = rs.map((r) => r.result).filter((x): x is Result => !!x);
  if (res.length === SLICES) {
    const called = new Set(res.flatMap((x) => x.targets.filter((n) => x.perTarget[n].calls > 0)));
    t.is(called.size, res[0].eligible, 'every target that is not excluded was called');
    t.log(`${total} calls in all, to ${called.size} targets (${res[0].allTargets} exported functions, constructors and methods; ${res[0].excluded.length} excluded)`);
  }
});
