// npm run suite: the ava suite on foreign arches. For each target it provisions (once, cached under build/foreign/) a
// Node.js binary and koffi's prebuilt addon for the arch, compiles src/ and test/ to JavaScript (no tsx/esbuild under
// emulation), and runs each test file in fresh user, mount, UTS, IPC, network and PID namespaces: under qemu-user
// (aarch64, armhf, ppc64le; and i386 where this kernel refuses 32-bit x86 programs), with binfmt_misc mounted and the
// arch's qemu registered inside the user namespace so that the tests' child node processes run too; or natively (i386
// where a probe shows that the host kernel runs 32-bit x86: runChoice in tools/lib/targets.ts). Debian's i386 libraries
// are laid over /usr in the test's mount namespace only, either way. The report says which, and why.
//
// qemu-user is Debian 13's (qemu/foreign.ts QEMU_DEBIAN: 10.0, fetched once into build/foreign/qemu-trixie/), for every
// emulated arch; `--qemu system` (or TSYSCALL_QEMU=system, or =7.2) runs aarch64, armhf and ppc64le under Debian 12's
// qemu-user-static 7.2 instead, to measure against (i386's Node does not run under 7.2: Debian 13's all the same).
// Tests that run under qemu-user see TSYSCALL_EMULATED=<arch> and TSYSCALL_QEMU=<its version>; test/skips.ts turns the
// gaps of that qemu (syscalls it does not implement for foreign guests, what it emulates differently) into skips with
// their reason. Test files of the host tooling (spec, generator, C checks, bundler) are not run: see EXCLUDED.
//
// Ends with a table target x files, passed, failed, skipped, seconds; writes build/suite/report.md and report.json
// (every failure with its first line, every skip with its reason); exits non-zero on any failure.
//
//   npm run suite -- [--arch a,b] [--qemu debian13|system|7.2|10.0] [--jobs N] [--out DIR] [--timeout MIN] [--fuzz]
//                    [--keep] [test files...]
import { spawn } from 'node:child_process';
import { fstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import pc from 'picocolors';
import { ROOT } from '../tools/lib/spec.ts';
import { tapCounts, tapFailures, tapSkipped, type TapFailure } from '../harness/tap.ts';
import { NS_WRAP, diffGlobal, diffNs, diffStates, globalState, hostState, parseNsStates, type GlobalState, type HostState } from '../harness/host.ts';
import { CgroupTracer, type CgroupEvent } from '../harness/trace.ts';
import {
  DEFAULT_ARCHES, QEMU_DEBIAN, compileTree, foreignTarget, provision, qemuChoice, type ForeignTarget, type Provisioned, type QemuChoice,
} from './foreign.ts';
import { archOption, ensureToolchains, hostTargetName, targetInfo } from '../tools/lib/targets.ts';
import { describeExit } from '../tools/lib/exit.ts';
import { abi, raw } from '../src/core/abi.ts';
import { futimens } from '../src/fs/index.ts';

/** Test files the suite does not run on foreign arches, and why. */
export const EXCLUDED: Record<string, string> = {
  'ctest.test.ts': 'host tooling: compiles and runs the C checks for x86_64 with the host gcc (npm run matrix runs every arch\'s)',
  'layout.test.ts': 'host tooling: the layout engine against C programs compiled for x86_64',
  'matrix.test.ts': 'host tooling: runs the cross compilers and qemu itself',
  'emulation.test.ts': 'host tooling: the native-or-emulated probe, with the cross compilers and qemu',
  'port.test.ts': 'host tooling: extraction from the host\'s headers with gcc',
  'generate.test.ts': 'host tooling: the code generator (its output for every arch is data, the same on any host)',
  'schema.test.ts': 'host tooling: validation of the spec files (data, the same on any host)',
  'package.test.ts': 'host tooling: bundles dist/ with esbuild, a native x86_64 binary',
  'portable.test.ts': 'reads the sources and every arch\'s generated ABI: the same result on any host (npm test runs it)',
  'fuzz.test.ts': 'too slow under emulation (32,000 calls at 10-15x the cost, in 4 emulated children); run it with --fuzz',
  'fuzz-adversary.test.ts': 'too slow under emulation (at least 100,000 calls in eight slices: 994 s on i386 under qemu-user ' +
    '10.0, though every slice failed at its start); run it with --fuzz',
  'layers.test.ts': 'host tooling: reads the imports of the build-time sources, which the compiled tree does not ship',
  'api.test.ts': 'host tooling: the public API read by TypeScript\'s checker from the sources (the same on any host)',
  'docs.test.ts': 'host tooling: reads the doc comments of the sources with TypeScript\'s checker (the same on any host)',
  'types.test.ts': 'host tooling: TypeScript\'s checker over the sources and the generated types (the same on any host)',
  'harness.test.ts': 'host tooling: runs the harness (tsx, ftrace of cgroup events) on fixtures, as npm test does',
};

export interface FileResult {
  arch: string;
  file: string;
  pass: number;
  fail: number;
  skip: number;
  todo: number;
  /** Exit code of ava (null: killed). */
  code: number | null;
  seconds: number;
  failures: TapFailure[];
  skipped: string[];
  /** What the file changed in its own namespaces (taken inside them before and after it: harness/host.ts NS_WRAP). */
  changes: string[];
  /** ava's output, kept for the report when the file failed. */
  output: string;
}

export interface ArchOutcome {
  arch: string;
  node?: string;
  run: string;
  /** Why it ran natively or under qemu-user (runChoice in tools/lib/targets.ts: for i386, what the probe found). */
  why?: string;
  files: FileResult[];
  /** Seconds of test files run (summed over files: two may run at once). */
  seconds: number;
  provision?: { node: number; koffi: number; tree: number; qemu?: number };
  error?: string;
}

// Inside the fresh namespaces, before ava starts: binfmt_misc of this user namespace (kernel >= 6.7 gives each user
// namespace its own; the host's is never touched) with the arch's qemu registered; and the arch's libraries laid over
// /usr (an overlay in this mount namespace only). Then ava runs under the harness's NS_WRAP, which writes the state of
// these namespaces (mounts, links, addresses, hostname, per-namespace sysctls) before and after it to fd 3.
const SETUP = `
set -e
if [ -n "\${TSYSCALL_BINFMT:-}" ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  printf '%s\\n' "$TSYSCALL_BINFMT" > /proc/sys/fs/binfmt_misc/register
fi
if [ -n "\${TSYSCALL_USR:-}" ]; then mount -t overlay overlay -o "lowerdir=$TSYSCALL_USR:/usr" /usr; fi
w=$TSYSCALL_NSWRAP
unset TSYSCALL_BINFMT TSYSCALL_USR TSYSCALL_NSWRAP
exec sh -c "$w" sh "$@"
`;

// harness/run.ts's namespaces; with a user namespace of its own under qemu-user (binfmt_misc registrations belong to
// a user namespace: in the host's, they would change the host), or when not root
const NAMESPACES = ['--mount', '--uts', '--ipc', '--net', '--pid', '--fork', '--mount-proc', '--propagation', 'private',
  '--kill-child'];
const unshare = (t: ForeignTarget) => (t.run === 'qemu' || process.getuid?.() !== 0
  ? ['unshare', '--user', '--map-root-user', ...NAMESPACES]
  : ['unshare', ...NAMESPACES]);

/** The pid of each file's first process (unshare) -> "arch file", to name the file a traced cgroup change came from. */
const started = new Map<number, string>();

/**
 * The state the suite must leave as it found it, judged as harness/run.ts judges it, so that what other processes of
 * the machine do meanwhile (they make and remove cgroups at any time) is not blamed on the tests: the clock and the
 * global sysctls before and after the run; cgroups through the harness's tracer of cgroup events, which sees only the
 * suite and what it forks (every cgroup made, removed or joined by one of them is a change, named with its file);
 * without tracing (not root, no tracefs, events lost), cgroup trees compared before and after the run, and any change
 * blamed. What lives in namespaces is taken inside each file's own (runFile).
 */
class HostWatch {
  private readonly global: GlobalState = globalState();
  private readonly before: HostState = hostState();
  private constructor(private readonly tracer: CgroupTracer | undefined, readonly untraced: string) {}

  static async start(): Promise<HostWatch> {
    if (process.getuid?.() !== 0) return new HostWatch(undefined, 'not root');
    const t = await CgroupTracer.start();
    return typeof t === 'string' ? new HostWatch(undefined, t) : new HostWatch(t, '');
  }

  async stop(): Promise<string[]> {
    const out = diffGlobal(this.global, globalState());
    const t = this.tracer;
    const synced = t ? await t.sync() : false;
    await t?.stop();
    if (t && synced && !t.lost) {
      for (const e of t.events) {
        if (e.pid === t.pid) continue;
        const file = t.ancestry(e.pid).map((p) => started.get(p)).find(Boolean);
        out.push(`${file ? `${file}: ` : ''}${describeEvent(e)} by pid ${e.pid} (${e.comm})`);
      }
    } else {
      const why = !t ? this.untraced : t.lost ? `the trace lost ${t.lost} events` : 'the trace did not catch up';
      out.push(...diffStates(this.before, hostState()).filter((l) => l.startsWith('cgroup')).map((l) => `${l} (untraced: ${why})`));
    }
    return out;
  }
}

function describeEvent(e: CgroupEvent): string {
  switch (e.event) {
    case 'cgroup_mkdir': return `cgroup made: ${e.path} (hierarchy ${e.root})`;
    case 'cgroup_rmdir': return `cgroup removed: ${e.path} (hierarchy ${e.root})`;
    case 'cgroup_attach_task': case 'cgroup_transfer_tasks':
      return `${e.moved ? `${e.moved.pid} (${e.moved.comm})` : 'a task'} moved into cgroup ${e.path} (hierarchy ${e.root})`;
    default: return `${e.event.replace('cgroup_', 'cgroup ')}: ${e.path} (hierarchy ${e.root})`;
  }
}

/** Run one test file of the compiled tree on the arch, in fresh namespaces; count its results from ava's TAP. */
function runFile(p: Provisioned, file: string, timeoutMin: number): Promise<FileResult> {
  const t = p.target;
  const env: NodeJS.ProcessEnv = { ...process.env, TSYSCALL_ISOLATED: '1', TSYSCALL_NSWRAP: NS_WRAP };
  delete env.NODE_OPTIONS;
  delete env.TSYSCALL_QEMU; // the suite's own choice (main); the tests get the version of the qemu they run under
  if (t.run === 'qemu') {
    env.TSYSCALL_BINFMT = p.binfmt;
    env.TSYSCALL_EMULATED = t.arch;
    // which qemu: test/skips.ts skips what this version lacks, and its reasons name it
    env.TSYSCALL_QEMU = p.qemu?.version;
    delete env.QEMU_LD_PREFIX;
  }
  if (p.usr) {
    if (/[:,]/.test(p.usr)) throw new Error(`${p.usr}: an overlay lower dir cannot contain ':' or ','`);
    env.TSYSCALL_USR = p.usr;
  }
  const ava = join(p.root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
  const js = join('test', basename(file).replace(/\.ts$/, '.js'));
  const argv = [...unshare(t), 'sh', '-c', SETUP, 'sh', p.node, ava, '--tap', `--timeout=${timeoutMin}m`, js];
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: p.root, stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env, detached: true });
    if (child.pid) started.set(child.pid, `${t.arch} ${basename(file)}`);
    let state = '';
    child.stdio[3]?.on('data', (d) => { state += d; });
    let output = '';
    child.stdout!.on('data', (d) => { output += d; });
    let stderr = '';
    child.stderr!.on('data', (d) => { output += d; stderr += d; });
    // ava's own timeout counts from the last test that finished; this one caps the whole file
    const cap = setTimeout(() => {
      output += `\nqemu/suite.ts: killed after ${2 * timeoutMin} min\n`;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, 2 * timeoutMin * 60_000);
    child.on('error', (err) => { output += `\nqemu/suite.ts: could not start ${argv[0]}: ${err.message}\n`; });
    child.on('close', (code, signal) => {
      clearTimeout(cap);
      const counts = tapCounts(output);
      const failures = tapFailures(output);
      if (code !== 0 && !failures.length) {
        // ava died before it reported: the command, how it ended and the last lines it wrote say why
        const how = t.run === 'qemu' ? `under qemu-user (${t.why})` : `natively (${t.why})`;
        const ended = describeExit([p.node, ava, '--tap', js], { code, signal, stderr: stderr || output }, 6).replace(/\n\s*/g, ' | ');
        failures.push({ title: `${basename(file)} (the file)`, why: `${how}: ${ended}`.slice(0, 900) });
      }
      // what the file left in its own namespaces (they die with it; a leak there is a bug of the test all the same)
      const { before, after } = parseNsStates(state);
      const changes = before && after ? diffNs(before, after)
        : [`the state of its namespaces was not ${before ? 'taken after it' : 'taken'} (NS_WRAP did not get that far)`];
      resolve({
        arch: t.arch, file: basename(file), ...counts, code, seconds: (Date.now() - t0) / 1000, failures,
        skipped: tapSkipped(output), changes, output,
      });
    });
  });
}

/**
 * Give every socket inode the kernel is about to hand out sane times. Linux 6.18 does not reset the times of a socket
 * inode it reuses from its cache (a fresh one has 0), so a time set on a socket once (test/fuzz-child.ts passes
 * Date(-8.64e15) to futimens) comes back on later sockets; a 32-bit program without 64-bit time_t (Debian's i386
 * node, the official armv7l build) then gets EOVERFLOW from fstat on such a socket, and node aborts at startup when its
 * stdio is one (libuv's pipes are socketpairs): a random few percent of the tests' child processes. Making a few
 * thousand socket pairs and setting their times to 0 before closing them clears the cache. Returns how many sockets
 * had a time a 32-bit time_t cannot hold.
 */
export function scrubSocketTimes(pairs = 4000): number {
  const sv = new Int32Array(2);
  const fds: number[] = [];
  let bad = 0;
  try {
    for (let i = 0; i < pairs; i++) {
      if (raw.socketpair(abi.AF.UNIX, abi.SOCK.STREAM, 0, sv) < 0) break;
      fds.push(sv[0], sv[1]);
    }
    for (const fd of fds) {
      const st = fstatSync(fd, { bigint: true });
      if ([st.atimeNs, st.mtimeNs, st.ctimeNs].some((ns) => ns < -(2n ** 31n) * 1_000_000_000n || ns >= 2n ** 31n * 1_000_000_000n)) bad++;
      futimens(fd, 0, 0);
    }
  } finally {
    for (const fd of fds) raw.close(fd);
  }
  return bad;
}

/** The test files the suite runs: test/*.test.ts but those of EXCLUDED (unless named or --fuzz). */
export function suiteFiles(named: string[], fuzz = false): string[] {
  if (named.length) return named.map((f) => basename(f));
  return readdirSync(join(ROOT, 'test')).filter((f) => f.endsWith('.test.ts'))
    .filter((f) => !EXCLUDED[f] || (fuzz && f.startsWith('fuzz'))).sort();
}

/** Bigger files first, so that two workers end together. */
const weight = (f: string) => { try { return readFileSync(join(ROOT, 'test', f), 'utf8').length; } catch { return 0; } };

export interface SuiteResult {
  outcomes: ArchOutcome[]; seconds: number; provisionSeconds: number; compileSeconds: number; hostChanges: string[]; ok: boolean;
  reportFiles: string[];
}

export async function runSuite(opts: {
  arches?: string[]; files?: string[]; jobs?: number; out?: string; timeoutMin?: number; print?: boolean; fuzz?: boolean;
  /** Keep the compiled trees the tests ran in (build/foreign/<arch>/run-<pid>/). */
  keep?: boolean;
  /** Which qemu-user runs the emulated arches (qemu/foreign.ts qemuChoice); Debian 13's by default. */
  qemu?: QemuChoice;
} = {}): Promise<SuiteResult> {
  const arches = opts.arches ?? DEFAULT_ARCHES;
  for (const a of arches) foreignTarget(a);
  const out = opts.out ?? join(ROOT, 'build', 'suite');
  const print = opts.print ?? false;
  const log = (m: string) => { if (print) process.stderr.write(pc.dim(m) + '\n'); };
  const t0 = Date.now();
  const files = suiteFiles(opts.files ?? [], opts.fuzz).sort((a, b) => weight(b) - weight(a));

  const outcomes = new Map<string, ArchOutcome>();
  // the cross toolchains: their sysroots hold the libraries official Node builds need under qemu, and the compiler
  // builds the probe that decides whether i386 runs natively (tools/lib/probe.ts)
  let toolchains = '';
  try {
    ensureToolchains(arches.filter((a) => a !== hostTargetName()), log);
  } catch (err) {
    toolchains = (err as Error).message;
  }
  const compiled = await compileTree();
  log(compiled.seconds ? `compiled src/ and test/ to ${relative(ROOT, compiled.dir)} in ${compiled.seconds.toFixed(1)} s` : 'compiled tree: cached');
  const ready: Provisioned[] = [];
  for (const arch of arches) {
    try {
      if (toolchains && arch !== hostTargetName()) throw new Error(toolchains);
      const p = await provision(arch, compiled.dir, opts.qemu);
      ready.push(p);
      const s = p.seconds;
      const q = p.qemu;
      const where = q && (q.path.startsWith(`${ROOT}/`) ? relative(process.cwd(), q.path) : q.path);
      const how = q ? `qemu-user ${q.version} (${q.which}, ${where}${s.qemu ? `, fetched in ${s.qemu.toFixed(1)} s` : ''})` : 'native';
      if (q?.unpinned) log(pc.yellow(`${arch}: Debian ${QEMU_DEBIAN.suite} no longer has ${QEMU_DEBIAN.pkg} ${QEMU_DEBIAN.version}: ${q.unpinned} was fetched (QEMU_DEBIAN in qemu/foreign.ts)`));
      // why it runs this way: runChoice's reason, and why not the qemu asked for
      // (runChoice names the target table's qemu-user-static binary: here, the one that runs it)
      const choice = q ? p.target.why?.replace(targetInfo(arch).qemu!, basename(q.path)) : p.target.why;
      const why = [choice, q?.why && `${q.why}: qemu-user ${q.version} from Debian ${QEMU_DEBIAN.suite}`].filter(Boolean).join('; ');
      log(`${arch}: node ${p.version} (${s.node ? `fetched in ${s.node.toFixed(1)} s` : 'cached'}), koffi ` +
        `(${s.koffi ? `fetched in ${s.koffi.toFixed(1)} s` : 'cached'}), ${how}: ${why}`);
      outcomes.set(arch, {
        arch, node: p.version, run: q ? `qemu-user ${q.version}` : 'native', why, files: [], seconds: 0, provision: s,
      });
    } catch (err) {
      const msg = ((err as Error).message || String(err)).split('\n').slice(0, 12).join('\n').trim() || 'failed without saying why';
      log(pc.red(`${arch}: not provisioned: ${msg}`));
      let run = '?';
      let why: string | undefined;
      try { ({ run, why } = foreignTarget(arch)); } catch { /* said in msg */ }
      outcomes.set(arch, { arch, run: run === 'qemu' ? 'qemu-user' : run, why, files: [], seconds: 0, error: `not provisioned: ${msg}` });
    }
  }
  const provisionSeconds = (Date.now() - t0) / 1000;
  if (ready.some((p) => targetInfo(p.target.arch).model === 'ILP32')) {
    const bad = scrubSocketTimes();
    if (bad) log(`reset the times of ${bad} cached socket inodes a 32-bit time_t cannot hold (see scrubSocketTimes)`);
  }

  // every (arch, file) pair in one queue, biggest files first, arches interleaved; the host's state before and after
  const watch = await HostWatch.start();
  if (watch.untraced) log(`cannot trace cgroup changes (${watch.untraced}): every cgroup made or removed meanwhile is blamed on the tests`);
  const queue = files.flatMap((f) => ready.map((p) => ({ p, f })));
  let next = 0;
  const jobs = Math.max(1, opts.jobs ?? cpus().length);
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    while (next < queue.length) {
      const { p, f } = queue[next++];
      const r = await runFile(p, f, opts.timeoutMin ?? 10);
      const o = outcomes.get(p.target.arch)!;
      o.files.push(r);
      o.seconds += r.seconds;
      const ok = r.code === 0 && r.fail === 0 && !r.changes.length;
      log(`${ok ? pc.green('ok  ') : pc.red('FAIL')} ${p.target.arch} ${r.file}: ${r.pass} passed, ${r.fail} failed, ` +
        `${r.skip} skipped (${r.seconds.toFixed(0)} s)${r.changes.length ? `; left in its namespaces: ${r.changes.join('; ')}` : ''}`);
    }
  }));
  const hostChanges = await watch.stop();
  if (!opts.keep) for (const p of ready) p.cleanup();
  const list = arches.map((a) => outcomes.get(a)!);
  for (const o of list) o.files.sort((a, b) => a.file.localeCompare(b.file));
  const seconds = (Date.now() - t0) / 1000;
  const ok = !hostChanges.length && list.every((o) => !o.error && o.files.every((r) => r.code === 0 && r.fail === 0 && !r.changes.length));
  mkdirSync(out, { recursive: true });
  const json = join(out, 'report.json');
  const md = join(out, 'report.md');
  const meta = { seconds, provisionSeconds, compileSeconds: compiled.seconds, ok, files, excluded: EXCLUDED, hostChanges };
  writeFileSync(json, JSON.stringify({ ...meta, targets: list.map((o) => ({ ...o, files: o.files.map(({ output, ...r }) => r) })) }, null, 1));
  writeFileSync(md, markdown(list, meta));
  for (const o of list) {
    for (const r of o.files) {
      if (r.code !== 0 || r.fail) writeFileSync(join(out, `${o.arch}-${r.file.replace(/\.ts$/, '')}.tap`), r.output);
    }
  }
  if (print) printTable(list, seconds, provisionSeconds, hostChanges, [md, json]);
  return { outcomes: list, seconds, provisionSeconds, compileSeconds: compiled.seconds, hostChanges, ok, reportFiles: [md, json] };
}

const totals = (o: ArchOutcome) => o.files.reduce((a, r) => ({
  pass: a.pass + r.pass,
  // a file that failed without a failed test (ava crashed, a timeout), or left something in its namespaces, counts as
  // one failure
  fail: a.fail + r.fail + ((r.code !== 0 && r.fail === 0) || r.changes.length ? 1 : 0),
  skip: a.skip + r.skip,
}), { pass: 0, fail: 0, skip: 0 });

const HEAD = ['target', 'node', 'run', 'files', 'passed', 'failed', 'skipped', 'seconds'];

function cells(o: ArchOutcome): string[] {
  const t = totals(o);
  return [o.arch, o.node ?? '-', o.run, String(o.files.length), String(t.pass), o.error ? 'error' : String(t.fail), String(t.skip),
    o.seconds.toFixed(0)];
}

function printTable(list: ArchOutcome[], seconds: number, provisionSeconds: number, hostChanges: string[], reports: string[]) {
  const table = new Table({ head: HEAD, style: { head: [], border: [], compact: true } });
  for (const o of list) {
    const bad = o.error || totals(o).fail;
    table.push(cells(o).map((v, i) => (i === 5 && bad ? pc.red(v) : v)));
  }
  console.log(table.toString());
  // every arch the table does not simply run under qemu-user: how it ran and why
  for (const o of list) if (o.why && (targetInfo(o.arch).run !== 'qemu' || !o.run.startsWith('qemu'))) console.log(`${o.arch}: ${o.run} (${o.why})`);
  for (const o of list) {
    if (o.error) console.log(pc.red(`\n${o.arch}: ${o.error}`));
    const failed = o.files.flatMap((r) => [...r.failures.map((f) => `${r.file}: ${f.title}: ${f.why}`),
      ...r.changes.map((c) => `${r.file}: left in its namespaces: ${c}`)]);
    if (failed.length) {
      console.log(pc.red(`\n${o.arch}: ${failed.length} failed:`));
      for (const f of failed.slice(0, 40)) console.log(`  ${f}`);
      if (failed.length > 40) console.log(`  ... and ${failed.length - 40} more in the report`);
    }
  }
  if (hostChanges.length) console.log(pc.red(`\nThe tests changed the host:\n${hostChanges.map((c) => `  ${c}`).join('\n')}`));
  else console.log('\nHost state unchanged (each file\'s namespaces; the clock, global sysctls and cgroups).');
  const all = list.reduce((a, o) => {
    const t = totals(o);
    return { pass: a.pass + t.pass, fail: a.fail + t.fail + (o.error ? 1 : 0), skip: a.skip + t.skip };
  }, { pass: 0, fail: 0, skip: 0 });
  all.fail += hostChanges.length ? 1 : 0;
  console.log(`\n${list.length} targets in ${seconds.toFixed(0)} s (provisioning ${provisionSeconds.toFixed(0)} s). ` +
    `Reports: ${reports.map((f) => relative(process.cwd(), f)).join(', ')}`);
  console.log(`suite: ${all.pass} passed, ${all.fail} failed, ${all.skip} skipped`);
}

function markdown(list: ArchOutcome[], meta: {
  seconds: number; provisionSeconds: number; files: string[]; excluded: Record<string, string>; hostChanges: string[];
}): string {
  const lines = ['# The ava suite on foreign arches', '',
    `${list.length} targets, ${meta.files.length} test files each, in ${meta.seconds.toFixed(0)} s ` +
    `(provisioning and compiling ${meta.provisionSeconds.toFixed(0)} s). Each file runs in fresh user, mount, UTS, IPC, ` +
    'network and PID namespaces, under qemu-user (qemu-user: binfmt_misc registered in the user namespace for child ' +
    'processes) or natively on the host kernel (native). Seconds are summed over files.', '',
    `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => ' --- ').join('|')}|`];
  for (const o of list) lines.push(`| ${cells(o).join(' | ')} |`);
  lines.push('', meta.hostChanges.length
    ? `**The tests changed the host:**\n\n${meta.hostChanges.map((c) => `- ${c}`).join('\n')}`
    : 'Host state unchanged (each file\'s namespaces; the clock, global sysctls and cgroups).');
  lines.push('', 'Not run on foreign arches:', '');
  for (const [f, why] of Object.entries(meta.excluded)) if (!meta.files.includes(f)) lines.push(`- \`test/${f}\`: ${why}`);
  for (const o of list) {
    lines.push('', `## ${o.arch}`, '');
    if (o.why) lines.push(`Run: ${o.run} (${o.why}).`, '');
    if (o.error) lines.push('```', o.error, '```', '');
    lines.push('| file | passed | failed | skipped | seconds |', '| --- | --- | --- | --- | --- |');
    for (const r of o.files) {
      const failed = r.fail || (r.code !== 0 ? `exit ${r.code}` : 0);
      lines.push(`| ${r.file} | ${r.pass} | ${failed} | ${r.skip} | ${r.seconds.toFixed(0)} |`);
    }
    const failed = o.files.flatMap((r) => [...r.failures.map((f) => `- ${r.file}: **${f.title}**: ${f.why.replace(/\|/g, '\\|')}`),
      ...r.changes.map((c) => `- ${r.file}: **left in its namespaces**: ${c}`)]);
    if (failed.length) lines.push('', `**${failed.length} failed** (ava's output: \`build/suite/${o.arch}-<file>.tap\`):`, '', ...failed);
    const skipped = o.files.flatMap((r) => r.skipped.map((s) => `- ${r.file}: ${s}`));
    if (skipped.length) lines.push('', `${skipped.length} skipped:`, '', ...skipped);
  }
  return lines.join('\n') + '\n';
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      arch: { type: 'string' },
      jobs: { type: 'string' },
      out: { type: 'string' },
      timeout: { type: 'string', default: '10' },
      qemu: { type: 'string' },
      fuzz: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const arches = archOption(values.arch, foreignTarget);
  let qemu: QemuChoice;
  try {
    qemu = qemuChoice(values.qemu ?? process.env.TSYSCALL_QEMU);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const res = await runSuite({
    arches, files: positionals, jobs: values.jobs ? Number(values.jobs) : undefined, out: values.out,
    timeoutMin: Number(values.timeout), print: true, fuzz: values.fuzz, keep: values.keep, qemu,
  });
  process.exitCode = res.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
