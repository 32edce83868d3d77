// npm run suite: the ava suite on foreign arches. For each target it provisions (once, cached under build/foreign/) a
// Node.js binary and koffi's prebuilt addon for the arch, compiles src/ and test/ to JavaScript (no tsx/esbuild under
// emulation), and runs each test file in fresh user, mount, UTS, IPC, network and PID namespaces: under qemu-user
// (aarch64, armhf, ppc64le), with binfmt_misc mounted and the arch's qemu registered inside the user namespace so
// that the tests' child node processes run too; or natively (i386, through the host kernel's IA32 emulation, with
// Debian's i386 libraries laid over /usr in the test's mount namespace only).
//
// Tests that run under qemu-user see TSYSCALL_EMULATED=<arch>; test/emulated.ts turns qemu-user's known gaps (syscalls
// it does not implement for foreign guests) into skips with their reason. Test files of the host tooling (spec,
// generator, C checks, bundler) are not run: see EXCLUDED.
//
// Ends with a table target x files, passed, failed, skipped, seconds; writes build/suite/report.md and report.json
// (every failure with its first line, every skip with its reason); exits non-zero on any failure.
//
//   npm run suite -- [--arch a,b] [--jobs N] [--out DIR] [--timeout MIN] [test files...]
import { spawn } from 'node:child_process';
import { fstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import pc from 'picocolors';
import { ROOT } from '../tools/lib/abi.ts';
import { tapCounts, tapFailures, tapSkipped, type TapFailure } from '../harness/tap.ts';
import { diffStates, hostState } from '../harness/host.ts';
import { DEFAULT_ARCHES, compileTree, foreignTarget, provision, type ForeignTarget, type Provisioned } from './foreign.ts';
import { archOption, targetInfo } from './targets.ts';
import { abi, raw } from '../src/core/abi.ts';
import { futimens } from '../src/fs.ts';

/** Test files the suite does not run on foreign arches, and why. */
export const EXCLUDED: Record<string, string> = {
  'ctest.test.ts': 'host tooling: compiles and runs the C checks for x86_64 with the host gcc (npm run matrix runs every arch\'s)',
  'layout.test.ts': 'host tooling: the layout engine against C programs compiled for x86_64',
  'matrix.test.ts': 'host tooling: runs the cross compilers and qemu itself',
  'port.test.ts': 'host tooling: extraction from the host\'s headers with gcc',
  'generate.test.ts': 'host tooling: the code generator (its output for every arch is data, the same on any host)',
  'schema.test.ts': 'host tooling: validation of the spec files (data, the same on any host)',
  'package.test.ts': 'host tooling: bundles dist/ with esbuild, a native x86_64 binary',
  'portable.test.ts': 'reads the sources and every arch\'s generated ABI: the same result on any host (npm test runs it)',
  'fuzz.test.ts': 'too slow under emulation (32,000 calls at 10-15x the cost, in 4 emulated children); run it with --fuzz',
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
  /** ava's output, kept for the report when the file failed. */
  output: string;
}

export interface ArchOutcome {
  arch: string;
  node?: string;
  run: string;
  files: FileResult[];
  /** Seconds of test files run (summed over files: two may run at once). */
  seconds: number;
  provision?: { node: number; koffi: number; tree: number };
  error?: string;
}

/** The binfmt_misc line that makes the kernel run the arch's ELF files with its qemu (Debian's, with flags OPF). */
function binfmtLine(qemu: string): string {
  const name = qemu.replace(/^qemu-|-static$/g, '');
  const line = readFileSync(`/usr/lib/binfmt.d/qemu-${name}.conf`, 'utf8').split('\n').find((l) => l.startsWith(':'));
  if (!line) throw new Error(`no binfmt line in /usr/lib/binfmt.d/qemu-${name}.conf`);
  return line.trim();
}

// Inside the fresh namespaces, before ava starts: binfmt_misc of this user namespace (kernel >= 6.7 gives each user
// namespace its own; the host's is never touched) with the arch's qemu registered; or Debian's i386 libraries laid
// over /usr (an overlay in this mount namespace only).
const SETUP = `
set -e
if [ -n "\${TSYSCALL_BINFMT:-}" ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  printf '%s\\n' "$TSYSCALL_BINFMT" > /proc/sys/fs/binfmt_misc/register
fi
if [ -n "\${TSYSCALL_USR:-}" ]; then mount -t overlay overlay -o "lowerdir=$TSYSCALL_USR:/usr" /usr; fi
unset TSYSCALL_BINFMT TSYSCALL_USR
exec "$@"
`;

// harness/run.ts's namespaces; with a user namespace of its own under qemu-user (binfmt_misc registrations belong to
// a user namespace: in the host's, they would change the host), or when not root
const NAMESPACES = ['--mount', '--uts', '--ipc', '--net', '--pid', '--fork', '--mount-proc', '--propagation', 'private',
  '--kill-child'];
const unshare = (t: ForeignTarget) => (t.run === 'qemu' || process.getuid?.() !== 0
  ? ['unshare', '--user', '--map-root-user', ...NAMESPACES]
  : ['unshare', ...NAMESPACES]);

/** Run one test file of the compiled tree on the arch, in fresh namespaces; count its results from ava's TAP. */
function runFile(p: Provisioned, file: string, timeoutMin: number): Promise<FileResult> {
  const t = p.target;
  const env: NodeJS.ProcessEnv = { ...process.env, TSYSCALL_ISOLATED: '1' };
  delete env.NODE_OPTIONS;
  if (t.run === 'qemu') {
    const info = targetInfo(t.arch);
    env.TSYSCALL_BINFMT = binfmtLine(info.qemu!);
    env.TSYSCALL_EMULATED = t.arch;
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
    const child = spawn(argv[0], argv.slice(1), { cwd: p.root, stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    // ava's own timeout counts from the last test that finished; this one caps the whole file
    const cap = setTimeout(() => {
      output += `\nqemu/suite.ts: killed after ${2 * timeoutMin} min\n`;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, 2 * timeoutMin * 60_000);
    child.on('close', (code) => {
      clearTimeout(cap);
      const counts = tapCounts(output);
      const failures = tapFailures(output);
      if (code !== 0 && !failures.length) {
        // ava died before it reported: the last lines say why
        const tail = output.trim().split('\n').filter((l) => l.trim()).slice(-3).join(' | ');
        failures.push({ title: `${basename(file)} (the file)`, why: `exit ${code}: ${tail}`.slice(0, 300) });
      }
      resolve({
        arch: t.arch, file: basename(file), ...counts, code, seconds: (Date.now() - t0) / 1000, failures,
        skipped: tapSkipped(output), output,
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
    .filter((f) => !EXCLUDED[f] || (fuzz && f === 'fuzz.test.ts')).sort();
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
} = {}): Promise<SuiteResult> {
  const arches = opts.arches ?? DEFAULT_ARCHES;
  for (const a of arches) foreignTarget(a);
  const out = opts.out ?? join(ROOT, 'build', 'suite');
  const print = opts.print ?? false;
  const log = (m: string) => { if (print) process.stderr.write(pc.dim(m) + '\n'); };
  const t0 = Date.now();
  const files = suiteFiles(opts.files ?? [], opts.fuzz).sort((a, b) => weight(b) - weight(a));

  const outcomes = new Map<string, ArchOutcome>();
  const compiled = await compileTree();
  log(compiled.seconds ? `compiled src/ and test/ to ${relative(ROOT, compiled.dir)} in ${compiled.seconds.toFixed(1)} s` : 'compiled tree: cached');
  const ready: Provisioned[] = [];
  for (const arch of arches) {
    try {
      const p = await provision(arch, compiled.dir);
      ready.push(p);
      const s = p.seconds;
      const how = p.target.run === 'qemu' ? `qemu-user ${targetInfo(arch).qemu}` : 'native';
      log(`${arch}: node ${p.version} (${s.node ? `fetched in ${s.node.toFixed(1)} s` : 'cached'}), koffi ` +
        `(${s.koffi ? `fetched in ${s.koffi.toFixed(1)} s` : 'cached'}), ${how}`);
      outcomes.set(arch, { arch, node: p.version, run: p.target.run === 'qemu' ? 'qemu-user' : 'native', files: [], seconds: 0, provision: s });
    } catch (err) {
      const msg = (err as Error).message.split('\n').slice(0, 8).join('\n');
      log(pc.red(`${arch}: not provisioned: ${msg}`));
      outcomes.set(arch, { arch, run: foreignTarget(arch).run, files: [], seconds: 0, error: `not provisioned: ${msg}` });
    }
  }
  const provisionSeconds = (Date.now() - t0) / 1000;
  if (ready.some((p) => targetInfo(p.target.arch).model === 'ILP32')) {
    const bad = scrubSocketTimes();
    if (bad) log(`reset the times of ${bad} cached socket inodes a 32-bit time_t cannot hold (see scrubSocketTimes)`);
  }

  // every (arch, file) pair in one queue, biggest files first, arches interleaved; the host's state before and after
  const before = hostState();
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
      const ok = r.code === 0 && r.fail === 0;
      log(`${ok ? pc.green('ok  ') : pc.red('FAIL')} ${p.target.arch} ${r.file}: ${r.pass} passed, ${r.fail} failed, ` +
        `${r.skip} skipped (${r.seconds.toFixed(0)} s)`);
    }
  }));
  const hostChanges = diffStates(before, hostState());
  if (!opts.keep) for (const p of ready) p.cleanup();
  const list = arches.map((a) => outcomes.get(a)!);
  for (const o of list) o.files.sort((a, b) => a.file.localeCompare(b.file));
  const seconds = (Date.now() - t0) / 1000;
  const ok = !hostChanges.length && list.every((o) => !o.error && o.files.every((r) => r.code === 0 && r.fail === 0));
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
  // a file that failed without a failed test (ava crashed, a timeout) counts as one failure
  fail: a.fail + r.fail + (r.code !== 0 && r.fail === 0 ? 1 : 0),
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
  for (const o of list) {
    if (o.error) console.log(pc.red(`\n${o.arch}: ${o.error}`));
    const failed = o.files.flatMap((r) => r.failures.map((f) => `${r.file}: ${f.title}: ${f.why}`));
    if (failed.length) {
      console.log(pc.red(`\n${o.arch}: ${failed.length} failed:`));
      for (const f of failed.slice(0, 40)) console.log(`  ${f}`);
      if (failed.length > 40) console.log(`  ... and ${failed.length - 40} more in the report`);
    }
  }
  if (hostChanges.length) console.log(pc.red(`\nThe tests changed the host:\n${hostChanges.map((c) => `  ${c}`).join('\n')}`));
  else console.log('\nHost state unchanged (hostname, mounts, network links, clock, cgroups, sysctls).');
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
    : 'Host state unchanged (hostname, mounts, network links, clock, cgroups, sysctls).');
  lines.push('', 'Not run on foreign arches:', '');
  for (const [f, why] of Object.entries(meta.excluded)) if (!meta.files.includes(f)) lines.push(`- \`test/${f}\`: ${why}`);
  for (const o of list) {
    lines.push('', `## ${o.arch}`, '');
    if (o.error) lines.push('```', o.error, '```', '');
    lines.push('| file | passed | failed | skipped | seconds |', '| --- | --- | --- | --- | --- |');
    for (const r of o.files) {
      const failed = r.fail || (r.code !== 0 ? `exit ${r.code}` : 0);
      lines.push(`| ${r.file} | ${r.pass} | ${failed} | ${r.skip} | ${r.seconds.toFixed(0)} |`);
    }
    const failed = o.files.flatMap((r) => r.failures.map((f) => `- ${r.file}: **${f.title}**: ${f.why.replace(/\|/g, '\\|')}`));
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
      fuzz: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const arches = archOption(values.arch, foreignTarget);
  const res = await runSuite({
    arches, files: positionals, jobs: values.jobs ? Number(values.jobs) : undefined, out: values.out,
    timeoutMin: Number(values.timeout), print: true, fuzz: values.fuzz, keep: values.keep,
  });
  process.exitCode = res.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
