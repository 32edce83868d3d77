// Adversarial fuzzing of the public API: calls whose arguments lie about the memory they stand for (own length,
// byteLength, byteOffset and buffer properties, getters that change between reads, subclasses and Proxies, look-alikes
// made with Object.create, struct views with $buffer/$offset replaced, getters in later arguments that mutate, detach
// or shrink what was already checked, lying iovec arrays, garbage collection and await between steps, a second thread
// racing a path's NUL or a file handle's length, memory of a truncated shared mapping, built-ins replaced for the
// call, calls from a worker thread). Every buffer handed over is a window inside a larger ArrayBuffer with guard bytes
// around it (test/fuzz-adversary-lies.ts); after every call the guards must be untouched, and what the kernel read
// (files, pipes, xattrs, the hostname, names made from paths) must hold no guard byte; a window at the end of a page
// before a PROT_NONE page catches reads that leave no trace (EFAULT). The calls are in test/fuzz-adversary-targets.ts;
// test/fuzz-adversary-child.ts makes them in child processes inside fresh namespaces, so that a crash (a signal, a V8
// abort) is seen, reported with the seed and the call, and the run goes on after it (without that function and lie
// class). Two self-tests prove the detectors: the unchecked raw layer with the same lies is caught every time, and a
// child killed by a signal is reported at its call.
//
// The promise held here: no call, however its arguments lie, lets the kernel touch memory outside the objects it was
// given, corrupts memory or kills the process; it returns or throws TypeError, RangeError or SyscallError.
//
// Deterministic from a seed (printed). TSYSCALL_FUZZ_SEED=n replays a run; TSYSCALL_FUZZ_CALLS=n sets the number of
// calls (default 100,000; `npm run fuzz` makes 1,000,000); TSYSCALL_FUZZ_ONLY=slice:index replays one call, printing
// what it did; TSYSCALL_FUZZ_TARGETS / TSYSCALL_FUZZ_CLASSES (comma lists) narrow a run.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Config, Counts, Report, Violation } from './fuzz-adversary-child.ts';
import { LIE_CLASSES } from './fuzz-adversary-lies.ts';
import { SELF_TEST, TARGETS } from './fuzz-adversary-targets.ts';

const CHILD = fileURLToPath(new URL('./fuzz-adversary-child.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const env = process.env;
const SEED = env.TSYSCALL_FUZZ_SEED ? Number(env.TSYSCALL_FUZZ_SEED) : randomInt(2 ** 31);
const TOTAL = Number(env.TSYSCALL_FUZZ_CALLS ?? 100_000);
const ONLY = env.TSYSCALL_FUZZ_ONLY ? env.TSYSCALL_FUZZ_ONLY.split(':').map(Number) : undefined;
const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
const FOCUS = { targets: list(env.TSYSCALL_FUZZ_TARGETS), classes: list(env.TSYSCALL_FUZZ_CLASSES) };
/**
 * Slices of at most 12,500 calls, at least eight (results come in while the rest runs, well within ava's timeout):
 * every fourth calls from a worker thread.
 */
const SLICES: { thread: 'main' | 'worker' }[] = Array.from({ length: Math.max(8, Math.ceil(TOTAL / 12500)) }, (_, k) => ({ thread: k % 4 === 3 ? 'worker' : 'main' }));
const PARALLEL = 2;
const MAX_RESTARTS = 40; // per slice: after that many crashes the slice gives up (the crashes are reported)
// after a crash, the slices go on without that function and lie class; after QUARANTINE_AFTER crashes of one lie
// class, without that class (so that one broken path cannot eat the run's time in restarts)
const QUARANTINE_AFTER = 4;
/** Shared by the slices (a child started after a crash elsewhere skips what crashed): which calls are made can then
 * depend on timing, never what a call is (a replay of one call is exact). */
const quarantine = new Set<string>();
const crashesOf: Record<string, number> = {};
const HANG_MS = 15000;
const START_MS = 60000;
const SELF_TEST_CALLS = 300;
const HOSTNAME = hostname();
const replay = (slice: number, i: number) => `TSYSCALL_FUZZ_SEED=${SEED} TSYSCALL_FUZZ_ONLY=${slice}:${i} npx ava test/fuzz-adversary.test.ts`;

const UNSHARE = ['--mount', '--uts', '--ipc', '--net', '--pid', '--fork', '--mount-proc', '--kill-child'];
const root = process.getuid?.() === 0;
const sandboxOk = root && spawnSync('unshare', [...UNSHARE, 'true']).status === 0 && spawnSync('setpriv', ['--version']).status === 0;
const run = sandboxOk ? test : test.skip;
const why = sandboxOk ? '' : ` (skipped: needs root, unshare and setpriv to sandbox the adversary${env.TSYSCALL_ISOLATED ? '' : '; not under the harness'})`;

// Inside fresh namespaces: every mount read-only (in this mount namespace only), a tmpfs for the working directory, a
// hostname of its own (sethostname is fuzzed), one writable directory shared by the children for tsx's compile cache
// (a restart after a crash then starts in a second, not three), CAP_SYS_TIME dropped (a lying Timex could otherwise adjust the clock,
// which is not namespaced); the child in its own session. A death by signal is reported as an X line.
const SANDBOX = `
set -u
T=$1; C=$2; shift 2
mount --make-rprivate / || exit 90
awk '{print $5}' /proc/self/mountinfo | sort -ru | while read -r m; do mount -o remount,bind,ro "$(printf '%b' "$m")" 2>/dev/null; done
mount -t tmpfs -o size=128m,mode=0755,nodev,nosuid,noexec tsyscall-adversary "$T" || exit 91
mount --bind "$C" "$C" && mount -o remount,bind,rw "$C" || exit 94
hostname tsyscall-adversary || exit 92
cd "$T" || exit 93
TMPDIR="$C" setsid --wait setpriv --bounding-set=-sys_time,-sys_module,-sys_boot "$@"
rc=$?
[ "$rc" -gt 128 ] && printf 'X\\tsignal\\t%d\\n' $((rc - 128))
exit $rc
`;

interface Sandbox { hostname: string; cwd: string; mount: string; capSysTime: boolean; uts: boolean; gc: boolean; thread: string; xattr: string }
interface Crash { slice: number; i: number; target: string; cls: string; notes: string; how: string; stderr: string }
interface ChildRun { startMs?: number; code: number | null; signal: string | null; killedBy?: string; hang?: string; sandbox?: Sandbox; report?: Report; last?: { i: number; target: string; cls: string; notes: string }; violations: Violation[]; stderr: string; ms: number }
interface SliceRun { startMs: number[]; slice: number; thread: string; reports: Report[]; violations: Violation[]; crashes: Crash[]; sandboxes: Sandbox[]; gaveUp?: string; ms: number; restarts: number; quarantine: string[] }

// ---- running children, two at a time ----------------------------------------------------------------------------------

let active = 0;
const waiting: (() => void)[] = [];
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (active >= PARALLEL) await new Promise<void>((r) => waiting.push(r));
  active++;
  try {
    return await f();
  } finally {
    active--;
    waiting.shift()?.();
  }
}

let cache: string | undefined;
/** The children's TMPDIR (tsx's cache), made once and removed when the test process exits. */
function cacheDir(): string {
  if (!cache) {
    const c = mkdtempSync(join(tmpdir(), 'tsyscall-adversary-cache-'));
    process.on('exit', () => rmSync(c, { recursive: true, force: true }));
    cache = c;
  }
  return cache;
}

function runChild(cfg: Config): Promise<ChildRun> {
  return slot(() => new Promise<ChildRun>((resolve) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsyscall-adversary-'));
    const args = [...UNSHARE, 'sh', '-c', SANDBOX, 'sandbox', dir, cacheDir(), process.execPath, '--expose-gc', '--import', TSX, CHILD, JSON.stringify(cfg)];
    const started = Date.now();
    const p = spawn('unshare', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const r: ChildRun = { code: null, signal: null, violations: [], stderr: '', ms: 0 };
    let buf = '';
    let lastAt = Date.now();
    let seen = false;
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (d: string) => {
      buf += d;
      for (let nl; (nl = buf.indexOf('\n')) >= 0;) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const kind = line.slice(0, 2);
        const rest = line.slice(2);
        if (kind === 'P\t') {
          const [i, target, cls, notes] = rest.split('\t');
          r.last = { i: Number(i), target, cls, notes };
          lastAt = Date.now();
          seen = true;
        } else if (kind === 'V\t') r.violations.push(JSON.parse(rest) as Violation);
        else if (kind === 'S\t') { r.sandbox = JSON.parse(rest) as Sandbox; r.startMs = Date.now() - started; }
        else if (kind === 'R\t') r.report = JSON.parse(rest) as Report;
        else if (kind === 'X\t') r.killedBy = rest.split('\t')[1];
      }
    });
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (d: string) => { r.stderr = (r.stderr + d).slice(-8000); });
    const watch = setInterval(() => {
      const now = Date.now();
      if (seen ? now - lastAt > HANG_MS : now - started > START_MS) {
        r.hang = seen ? `no progress for ${Math.round((now - lastAt) / 1000)} s` : `no call started within ${START_MS / 1000} s`;
        try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ }
      }
    }, 250);
    p.on('close', (code, signal) => {
      clearInterval(watch);
      r.code = code;
      r.signal = signal;
      r.ms = Date.now() - started;
      rmSync(dir, { recursive: true, force: true });
      resolve(r);
    });
  }));
}

const signalName = (n: number) => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

/** Run calls [from, to) of a slice, restarting after each crash with the call after the one that crashed. */
async function runSlice(slice: number, from: number, to: number, extra: Partial<Config> & { noQuarantine?: boolean } = {}): Promise<SliceRun> {
  const t0 = Date.now();
  const thread = extra.thread ?? SLICES[slice]?.thread ?? 'main';
  const s: SliceRun = { startMs: [], slice, thread, reports: [], violations: [], crashes: [], sandboxes: [], ms: 0, restarts: 0, quarantine: [] };
  for (let at = from; at < to;) {
    const { noQuarantine: _, ...cfgExtra } = extra;
    const q = extra.noQuarantine ? [] : [...quarantine];
    for (const x of q) if (!s.quarantine.includes(x)) s.quarantine.push(x);
    const r = await runChild({ seed: SEED, slice, from: at, to, thread, ...FOCUS, ...cfgExtra, quarantine: q });
    s.violations.push(...r.violations);
    if (r.startMs !== undefined) s.startMs.push(r.startMs);
    if (r.sandbox) s.sandboxes.push(r.sandbox);
    if (r.report && r.code === 0) { s.reports.push(r.report); break; }
    const how = r.hang ? `HANG (${r.hang})`
      : r.killedBy ? `killed by ${signalName(Number(r.killedBy))}`
      : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}${r.report ? '' : ' without a report'}`;
    const last = r.last && r.last.i >= at ? r.last : undefined;
    s.crashes.push({ slice, i: last?.i ?? at, target: last?.target ?? '(before the first call)', cls: last?.cls ?? '', notes: last?.notes ?? '', how, stderr: r.stderr.trim().split('\n').slice(-12).join('\n') });
    if (!last) { s.gaveUp = `the child failed before its first call (${how}): ${r.stderr.trim().split('\n').slice(-6).join(' | ')}`; break; }
    if (!extra.noQuarantine) {
      crashesOf[last.cls] = (crashesOf[last.cls] ?? 0) + 1;
      quarantine.add(`${last.target}|${last.cls}`);
      if (crashesOf[last.cls] >= QUARANTINE_AFTER) quarantine.add(last.cls);
    }
    if (++s.restarts > MAX_RESTARTS) { s.gaveUp = `${MAX_RESTARTS} crashes: gave up at call ${last.i}`; break; }
    at = last.i + 1;
  }
  s.ms = Date.now() - t0;
  return s;
}

// ---- the runs ----------------------------------------------------------------------------------------------------------

const selfTestRun = sandboxOk ? runSlice(100, 0, SELF_TEST_CALLS, { selfTest: true, targets: undefined, classes: undefined }) : undefined;
// a child that dies by a signal at call 5 of 12 must be reported there, and the slice must go on after it
const crashRun = sandboxOk ? runSlice(101, 0, 12, { selfTest: true, crashAt: 5, targets: undefined, classes: undefined, noQuarantine: true }) : undefined;
// a few call indices make no call (a lie the library refuses at construction, a target that cannot run here)
const per = Math.ceil((TOTAL / SLICES.length) * 1.03);
const sliceRuns: Promise<SliceRun>[] | undefined = !sandboxOk ? undefined
  : ONLY ? [runSlice(ONLY[0], ONLY[1], ONLY[1] + 1)]
  : SLICES.map((_, k) => runSlice(k, 0, per));

// ---- reporting ---------------------------------------------------------------------------------------------------------

const add = (a: Counts, b: Counts) => { for (const k of Object.keys(b) as (keyof Counts)[]) a[k] = (a[k] ?? 0) + b[k]; return a; };
const zero = (): Counts => ({ calls: 0, ok: 0, TypeError: 0, RangeError: 0, SyscallError: 0, bad: 0, refused: 0, skipped: 0, quarantined: 0, violations: 0 });
function sum(reports: Report[], key: 'perTarget' | 'perClass'): Record<string, Counts> {
  const out: Record<string, Counts> = {};
  for (const r of reports) for (const [k, c] of Object.entries(r[key])) add((out[k] ??= zero()), c);
  return out;
}
function table(rows: Record<string, Counts>, first: string): string {
  const cols: (keyof Counts)[] = ['calls', 'ok', 'SyscallError', 'TypeError', 'RangeError', 'refused', 'skipped', 'quarantined', 'bad', 'violations'];
  const w = Math.max(first.length, ...Object.keys(rows).map((k) => k.length));
  const head = `${first.padEnd(w)} ${cols.map((c) => c.padStart(c.length < 7 ? 7 : c.length)).join(' ')}`;
  const lines = Object.entries(rows).sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, c]) => `${k.padEnd(w)} ${cols.map((col) => String(c[col] ?? 0).padStart(col.length < 7 ? 7 : col.length)).join(' ')}`);
  return [head, ...lines].join('\n');
}

/** Violations grouped by what broke: function, lie class, kind; with the first example and its replay. */
function describeViolations(vs: Violation[]): string[] {
  const groups = new Map<string, Violation[]>();
  for (const v of vs) {
    const k = `${v.kind} | ${v.target} | ${v.cls}`;
    groups.set(k, [...(groups.get(k) ?? []), v]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, g]) => {
    const v = g[0];
    return `${g.length}x ${k}${v.thread === 'worker' ? ' (worker thread)' : ''}\n    first: slice ${v.slice} call ${v.i}: ${v.detail.split('\n')[0].slice(0, 400)}` +
      `\n    arguments: ${v.notes.join(' | ').slice(0, 600)}` +
      (v.hooks.length ? `\n    hooks: ${v.hooks.join('; ')}` : '') +
      (v.touched.length ? `\n    the library read: ${v.touched.join(', ')}` : '') +
      `\n    replay: ${replay(v.slice, v.i)}`;
  });
}
function describeCrashes(cs: Crash[]): string[] {
  return cs.map((c) => `CRASH (${c.how}) at slice ${c.slice} call ${c.i}: ${c.target} [${c.cls}] ${c.notes.slice(0, 500)}\n    replay: ${replay(c.slice, c.i)}` +
    (c.stderr ? `\n    stderr: ${c.stderr.split('\n').slice(-6).join('\n            ')}` : ''));
}

// ---- the tests -----------------------------------------------------------------------------------------------------

run(`self-test: the detectors catch the raw layer's out-of-bounds write, over-read and path over-read, every time${why}`, async (t) => {
  const s = (await selfTestRun)!;
  t.deepEqual(s.crashes.map((c) => `${c.how} at ${c.i}`), [], 'the self-test child did not crash');
  const rep = s.reports[0];
  t.truthy(rep, `the self-test child reported (${s.gaveUp ?? ''})`);
  if (!rep) return;
  const calls = Object.values(rep.perTarget).reduce((a, c) => a + c.calls, 0);
  t.true(calls >= SELF_TEST_CALLS * 0.9, `${calls} self-test calls`);
  for (const tg of SELF_TEST) {
    const c = rep.perTarget[tg.name];
    const kinds = new Set(s.violations.filter((v) => v.target === tg.name).map((v) => v.kind));
    t.log(`${tg.name}: ${c.calls} calls, ${c.violations} caught (${[...kinds].join(', ')})`);
    t.true(c.calls > 0, `${tg.name} was called`);
    // every call is caught at least once (a call may break more than one guard)
    const caught = new Set(s.violations.filter((v) => v.target === tg.name).map((v) => v.i));
    t.is(caught.size, c.calls, `${tg.name}: every unchecked call is caught`);
    t.true(kinds.has(tg.name.startsWith('raw.getrandom') ? 'guard' : tg.name.startsWith('raw.write') ? 'leak' : 'path'), `${tg.name}: caught as the right kind`);
  }
});

run(`self-test: a child that dies by a signal is reported with its call, and the slice goes on after it${why}`, async (t) => {
  const s = (await crashRun)!;
  t.is(s.crashes.length, 1, describeCrashes(s.crashes).join('\n'));
  t.is(s.crashes[0]?.i, 5);
  t.regex(s.crashes[0]?.how ?? '', /SIGSEGV/);
  const calls = s.reports.reduce((a, r) => a + Object.values(r.perTarget).reduce((x, c) => x + c.calls, 0), 0);
  t.is(calls, 6, 'calls 6..11 made by the restarted child');
});

for (let k = 0; k < (ONLY ? 1 : SLICES.length); k++) {
  const label = ONLY ? `replay of slice ${ONLY[0]} call ${ONLY[1]}` : `slice ${k + 1}/${SLICES.length} (${SLICES[k].thread} thread)`;
  run(`adversary ${label}: no crash, no guard byte touched, nothing leaked, only TypeError, RangeError or SyscallError${why}`, async (t) => {
    const s = await sliceRuns![k];
    const per = sum(s.reports, 'perTarget');
    const total = Object.values(per).reduce((a, c) => a + c.calls, 0);
    t.log(`seed ${SEED}, slice ${s.slice} (${s.thread} thread): ${total} calls in ${(s.ms / 1000).toFixed(1)} s, ${s.restarts} restarts (children ready after ${s.startMs.map((x) => (x / 1000).toFixed(1)).join(', ')} s)`);
    if (ONLY) {
      for (const v of s.violations) t.log(`violation ${v.kind}: ${v.detail}`);
      t.log(`${Object.entries(per).filter(([, c]) => c.calls).map(([n, c]) => `${n}: ${JSON.stringify(c)}`).join('\n')}`);
      const e = s.reports[0]?.errors;
      if (e) t.log(JSON.stringify(e, null, 1));
    }
    const sb = s.sandboxes[0];
    if (sb) {
      t.is(sb.hostname, 'tsyscall-adversary', 'the child has a UTS namespace of its own');
      t.regex(sb.mount, /^tmpfs /, 'its working directory is a tmpfs');
      t.false(sb.capSysTime, 'CAP_SYS_TIME is dropped');
    }
    const problems = [...describeCrashes(s.crashes), ...describeViolations(s.violations)];
    if (s.gaveUp) problems.push(`GAVE UP: ${s.gaveUp}`);
    if (s.quarantine.length) problems.push(`QUARANTINED after crashing (their later calls not made): ${s.quarantine.join(', ')}`);
    if (problems.length) t.fail(`seed ${SEED}, slice ${s.slice}: ${s.crashes.length} crashes, ${s.violations.length} violations\n${problems.join('\n')}`);
    else t.pass();
  });
}

run(`adversary: ${ONLY ? 'the replayed call' : `at least ${TOTAL} calls`}, every target and lie class reached, the honest control clean; counts${why}`, async (t) => {
  const ss = await Promise.all(sliceRuns!);
  const reports = ss.flatMap((s) => s.reports);
  const perTarget = sum(reports, 'perTarget');
  const perClass = sum(reports, 'perClass');
  const total = Object.values(perTarget).reduce((a, c) => a + c.calls, 0);
  const ms = Math.max(...ss.map((s) => s.ms));
  const violations = ss.flatMap((s) => s.violations);
  const crashes = ss.flatMap((s) => s.crashes);
  t.log(`seed ${SEED}: ${total} calls (${ss.map((s) => `slice ${s.slice} ${s.thread}`).join(', ')}) in ${(ms / 1000).toFixed(1)} s; ${crashes.length} crashes, ${violations.length} violations`);
  t.log(`per lie class:\n${table(perClass, 'lie class')}`);
  t.log(`per function:\n${table(perTarget, 'function')}`);
  const hooks: Record<string, { planted: number; fired: number }> = {};
  for (const r of reports) for (const [k, h] of Object.entries(r.hooks)) { const x = (hooks[k.replace(/ (?:fill|rewrite|detach|give|shrink|reassign|close|gc).*$/, '')] ??= { planted: 0, fired: 0 }); x.planted += h.planted; x.fired += h.fired; }
  t.log(`hooks in later arguments (where: planted, ran):\n${Object.entries(hooks).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, h]) => `  ${k}: ${h.planted}, ${h.fired}`).join('\n')}`);
  const touched: Record<string, number> = {};
  for (const r of reports) for (const [k, n] of Object.entries(r.touched)) touched[k] = (touched[k] ?? 0) + n;
  t.log(`lies the library looked at (calls):\n${Object.entries(touched).sort(([, a], [, b]) => b - a).slice(0, 40).map(([k, n]) => `  ${k}: ${n}`).join('\n') || '  none'}`);
  t.is(hostname(), HOSTNAME, 'the host (or the harness namespace) keeps its hostname');
  // the control: the detectors stay quiet on honest arguments
  const honest = violations.filter((v) => v.cls === 'honest');
  t.deepEqual(honest.map((v) => `${v.target}: ${v.detail}`), [], 'no violation with honest arguments (a detector that cries wolf)');
  if (ONLY) return;
  // (a crash costs the calls of its slice's failed child: it fails its slice's test already)
  if (!crashes.length) t.true(total >= TOTAL, `${total} calls, fewer than ${TOTAL}`);
  // a small or focused run does not reach everything
  if (FOCUS.targets || FOCUS.classes || TOTAL < 20000) return;
  // (a call that crashed its child counts as made)
  const never = TARGETS.map((x) => x.name).filter((n) => !perTarget[n]?.calls && !perTarget[n]?.skipped && !crashes.some((c) => c.target === n));
  t.deepEqual(never, [], 'every target was called');
  t.deepEqual(LIE_CLASSES.filter((k) => !perClass[k]?.calls && !crashes.some((c) => c.cls === k)), [], 'every lie class was used');
  // honest arguments reach the kernel and succeed
  const dead = TARGETS.filter((x) => x.classes.includes('honest') && perTarget[x.name]?.calls && !perTarget[x.name].ok && !perTarget[x.name].skipped).map((x) => x.name);
  t.deepEqual(dead, [], 'every target succeeded at least once (else it tests nothing)');
});
