// npm run bench: what tsyscall costs, in one run. Per call: getppid (the main API against a C loop, process.ppid and a
// bare koffi call), fstat into a reused Stat against fs.fstatSync, a 4 KiB pipe read against fs.readSync; then the
// cost of importing the library. Each number is the median of REPEATS interleaved runs after a warm-up. Benchmarks
// report: a missed target prints "NOT met" and the run still exits 0. The table also goes to build/bench/results.json.
//
//   npx tsx bench/run.ts            # the full run (about 40 s on 2 cores)
//   npx tsx bench/run.ts --quick    # 10x fewer iterations, 3 repeats: a smoke test of the script itself
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, fstatSync, mkdirSync, openSync, closeSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { abi, raw } from '../src/core/abi.ts';
import { bundle } from '../tools/lib/bundle.ts';
import { fstat, read, Stat } from '../src/fs/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'build', 'bench');
const quick = process.argv.includes('--quick');
const REPEATS = quick ? 3 : 5;
const CALLS = quick ? 1e5 : 1e6; // cheap calls: getppid, fstat
const READS = quick ? 2e4 : 2e5; // 4 KiB pipe reads (each also costs a 4 KiB refill, outside the timing)
const STARTS = REPEATS; // process starts for the import cost

type Loop = (fn: () => unknown, n: number) => number;

/**
 * A timing loop of its own for each case: a fresh `new Function` has its own feedback, so the call site `fn()` stays
 * monomorphic (and inlinable) for the case it measures instead of being shared by every case. Returns ns per call.
 */
function makeLoop(): Loop {
  return new Function('fn', 'n', `
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    return Number(process.hrtime.bigint() - t0) / n;`) as Loop;
}

interface Case {
  group: string;
  name: string;
  /** One timed repeat: ns per call. */
  run(): number;
  warm?(): void;
  samples: number[];
  note?: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function callCase(group: string, name: string, fn: () => unknown, n = CALLS, note?: string): Case {
  const loop = makeLoop();
  return { group, name, note, samples: [], warm: () => loop(fn, Math.max(1e4, n / 10)), run: () => loop(fn, n) };
}

/** Run the cases' repeats interleaved (a, b, c, a, b, c, ...) so that drift in the machine hits each case alike. */
function runInterleaved(cases: Case[]): void {
  for (const c of cases) c.warm?.();
  for (let r = 0; r < REPEATS; r++) for (const c of cases) c.samples.push(c.run());
}

const results: Case[] = [];
const say = (s: string) => process.stderr.write(s + '\n');

// --- getppid ------------------------------------------------------------------------------------------------------
say(`tsyscall bench${quick ? ' (--quick)' : ''}: ${REPEATS} repeats, medians; node ${process.version}, Linux ${release()}, ${cpus()[0]?.model ?? 'cpu?'} x${cpus().length}`);

let mainGetppid: () => number = raw.getppid;
let mainName = 'raw.getppid (src/core/abi.ts)';
let mainNote = 'src/process.ts has no getppid yet: measured the generated raw call';
if (existsSync(join(ROOT, 'src', 'process.ts'))) {
  const m = (await import('../src/process.ts' as string)) as Record<string, unknown>;
  if (typeof m.getppid === 'function') {
    mainGetppid = m.getppid as () => number;
    mainName = 'getppid (src/process.ts)';
    mainNote = "tsyscall's main API";
  }
}
const koffi = createRequire(import.meta.url)('koffi') as {
  load(p: string): { func(proto: string): (...a: unknown[]) => number };
};
const bareSyscall = koffi.load('libc.so.6').func('long syscall(long)');
const SYS_getppid = abi.SYS.getppid;
if (mainGetppid() !== process.ppid || bareSyscall(SYS_getppid) !== process.ppid) throw new Error('getppid: the cases disagree');

const getppidCases = [
  callCase('getppid', mainName, mainGetppid, CALLS, mainNote),
  callCase('getppid', 'bare koffi: long syscall(long)', () => bareSyscall(SYS_getppid), CALLS, 'koffi loaded directly'),
  callCase('getppid', 'process.ppid', () => process.ppid),
];
say('getppid ...');
runInterleaved(getppidCases);

// the C floor: compiled now, run REPEATS times within one process
mkdirSync(OUT, { recursive: true });
const cBin = join(OUT, 'getppid');
let cCase: Case | undefined;
try {
  execFileSync('gcc', ['-O2', '-Wall', '-o', cBin, join(ROOT, 'bench', 'getppid.c')], { stdio: 'pipe' });
  const lines = execFileSync(cBin, [String(CALLS), String(REPEATS)], { encoding: 'utf8' }).trim().split('\n');
  cCase = { group: 'getppid', name: 'C: syscall(SYS_getppid), gcc -O2', samples: lines.map(Number), run: () => NaN, note: 'the floor: the kernel alone' };
} catch (e) {
  say(`  C loop skipped: ${(e as Error).message.split('\n')[0]}`);
}
results.push(...getppidCases, ...(cCase ? [cCase] : []));

// --- fstat ----------------------------------------------------------------------------------------------------------
const statFile = join(OUT, 'stat-me');
writeFileSync(statFile, 'x'.repeat(1234));
const sfd = openSync(statFile, 'r');
const st = new Stat();
const sbuf = Buffer.alloc(abi.Stat.size);
if (fstat(sfd, st).size !== 1234n || fstatSync(sfd).size !== 1234) throw new Error('fstat: the cases disagree');
const fstatCases = [
  callCase('fstat', 'fstat(fd, st) reused Stat (src/fs/stat.ts)', () => fstat(sfd, st)),
  callCase('fstat', 'fs.fstatSync(fd)', () => fstatSync(sfd)),
  callCase('fstat', 'raw.fstat(fd, buf) (reference)', () => raw.fstat!(sfd, sbuf), CALLS, 'the generated call alone: the floor for the wrapper'),
];
say('fstat ...');
runInterleaved(fstatCases);
closeSync(sfd);
results.push(...fstatCases);

// --- 4 KiB pipe reads ------------------------------------------------------------------------------------------------
// One pipe, made as large as the system allows; before each timed batch the pipe is filled (untimed) with exactly one
// batch of 4 KiB chunks, so every timed read finds 4 KiB waiting and no write is ever inside the measurement.
const fds = new Int32Array(2);
if (raw.pipe2(fds, abi.O.CLOEXEC) < 0) throw new Error('pipe2 failed');
const [rfd, wfd] = fds;
const pipeSize = Math.max(65536, raw.fcntl!(wfd, abi.F.SETPIPE_SZ, 1 << 20));
const batch = Math.floor(pipeSize / 4096);
const fill = Buffer.alloc(batch * 4096, 'z');
const rbuf = Buffer.alloc(4096);

function readCase(name: string, readOnce: () => number, note?: string): Case {
  const timed = new Function('fn', 'n', `
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    return process.hrtime.bigint() - t0;`) as (fn: () => number, n: number) => bigint;
  const run = (total: number) => {
    let ns = 0n;
    for (let done = 0; done < total; done += batch) {
      if (writeSync(wfd, fill) !== fill.length) throw new Error('short refill');
      ns += timed(readOnce, batch);
    }
    return Number(ns) / (Math.ceil(total / batch) * batch);
  };
  return { group: 'read 4 KiB from a pipe', name, note, samples: [], warm: () => run(READS / 10), run: () => run(READS) };
}
writeSync(wfd, fill.subarray(0, 4096));
if (read(rfd, rbuf) !== 4096) throw new Error('read: short read');
writeSync(wfd, fill.subarray(0, 4096));
if (readSync(rfd, rbuf) !== 4096) throw new Error('fs.readSync: short read');
const readCases = [
  readCase('read(fd, buf) (src/fs/io.ts)', () => read(rfd, rbuf)),
  readCase('fs.readSync(fd, buf)', () => readSync(rfd, rbuf)),
  readCase('raw.read(fd, buf, 4096) (reference)', () => raw.read(rfd, rbuf, 4096), 'the generated call alone'),
];
say(`pipe reads (pipe of ${pipeSize} bytes, ${batch} reads per refill) ...`);
runInterleaved(readCases);
closeSync(rfd);
closeSync(wfd);
results.push(...readCases);

// --- import cost ------------------------------------------------------------------------------------------------------
function startCase(group: string, name: string, args: string[], note?: string): Case {
  const once = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    const ns = Number(process.hrtime.bigint() - t0);
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
    return ns;
  };
  return { group, name, note, samples: [], warm: once, run: once };
}
// the package as users import it: src/ bundled the way npm run build bundles dist/, fresh from the current sources
const BUNDLE = join(ROOT, 'build', 'bench', 'dist');
await bundle(BUNDLE);
const tsxImport = ['--import', 'tsx', '--input-type=module', '-e'];
const importCases = [
  startCase('import (per process start)', "node: await import('tsyscall') (the bundle npm run build makes)", ['--input-type=module', '-e', `await import('${BUNDLE}/index.js')`]),
  startCase('import (per process start)', 'node: 0 (bare)', ['--input-type=module', '-e', '0']),
  startCase('import (per process start)', "node --import tsx: await import('./src/index.ts') (development)", [...tsxImport, "await import('./src/index.ts')"]),
  startCase('import (per process start)', 'node --import tsx: 0 (bare)', [...tsxImport, '0']),
];
say(`import cost (${STARTS} process starts each: the bundled package, and src/ through tsx for reference) ...`);
runInterleaved(importCases);
results.push(...importCases);

// --- report -----------------------------------------------------------------------------------------------------------
const med = (c: Case | undefined) => (c ? median(c.samples) : NaN);
const fmtNs = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(1)} ms` : `${ns.toFixed(ns < 100 ? 1 : 0)} ns`);

interface Target { what: string; measured: string; target: string; met: boolean; value: number }
const targets: Target[] = [];
const [mainC, koffiC, ppidC] = getppidCases;
const overKoffi = med(mainC) / med(koffiC);
targets.push({
  what: `getppid: ${mainName} over bare koffi`, value: overKoffi,
  measured: `${((overKoffi - 1) * 100).toFixed(1)}% (${fmtNs(med(mainC) - med(koffiC))})`, target: '<= +10%', met: overKoffi <= 1.1,
});
const fstatX = med(fstatCases[1]) / med(fstatCases[0]);
targets.push({ what: 'fstat: fs.fstatSync / fstat(fd, st)', value: fstatX, measured: `${fstatX.toFixed(2)}x faster`, target: '>= 1.5x', met: fstatX >= 1.5 });
const readX = med(readCases[1]) / med(readCases[0]);
targets.push({ what: 'pipe read: fs.readSync / read(fd, buf)', value: readX, measured: `${readX.toFixed(2)}x`, target: '>= 1.0x', met: readX >= 1 });
const importMs = (med(importCases[0]) - med(importCases[1])) / 1e6;
targets.push({ what: "import 'tsyscall' (bundle), over bare node", value: importMs, measured: `${importMs.toFixed(1)} ms`, target: '< 60 ms', met: importMs < 60 });
const tsxMs = (med(importCases[2]) - med(importCases[3])) / 1e6;
targets.push({ what: 'import src/index.ts via tsx, over bare (reference)', value: tsxMs, measured: `${tsxMs.toFixed(1)} ms`, target: '-', met: true });

const style = { head: [], border: [], compact: true };
const table = new Table({ head: ['group', 'case', 'median', 'min .. max', 'ratio'], style });
const base: Record<string, Case | undefined> = {
  getppid: koffiC, fstat: fstatCases[0], 'read 4 KiB from a pipe': readCases[0], 'import (per process start)': undefined,
};
for (const c of results) {
  const b = base[c.group];
  const ratio = b ? `${(med(c) / med(b)).toFixed(2)}x ${b === c ? '(base)' : ''}` : '';
  table.push([c.group, c.name, fmtNs(med(c)), `${fmtNs(Math.min(...c.samples))} .. ${fmtNs(Math.max(...c.samples))}`, ratio.trim()]);
}
console.log(table.toString());
console.log(`ratios: getppid against bare koffi; fstat and reads against tsyscall's call. getppid measured: ${mainName} (${mainNote}).`);
if (cCase) console.log(`C floor ${fmtNs(med(cCase))}: tsyscall adds ${fmtNs(med(mainC) - med(cCase))} per call over the kernel; process.ppid ${fmtNs(med(ppidC))}.`);

const tt = new Table({ head: ['target', 'measured', 'target', ''], style });
for (const t of targets) tt.push([t.what, t.measured, t.target, t.target === '-' ? '' : t.met ? 'met' : 'NOT met']);
console.log(tt.toString());

const json = {
  date: new Date().toISOString(),
  node: process.version,
  kernel: release(),
  cpu: cpus()[0]?.model,
  cpus: cpus().length,
  quick,
  repeats: REPEATS,
  iterations: { calls: CALLS, reads: READS, starts: STARTS },
  getppidMeasured: mainName,
  cases: results.map((c) => ({ group: c.group, name: c.name, note: c.note, medianNs: med(c), samplesNs: c.samples })),
  targets,
};
writeFileSync(join(OUT, 'results.json'), JSON.stringify(json, null, 2) + '\n');
console.log(`written: ${join('build', 'bench', 'results.json')}`);
