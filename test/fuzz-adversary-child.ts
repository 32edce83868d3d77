// The adversarial fuzzing child (started by test/fuzz-adversary.test.ts inside fresh namespaces, its working directory a
// scratch tmpfs, without CAP_SYS_TIME): makes calls [from, to) of its slice, each drawn from its own seeded generator
// (seed, slice, call index), so that any one call replays alone. Each call is a target of test/fuzz-adversary-targets.ts
// with a lie class of test/fuzz-adversary-lies.ts. Reports on stdout, one line each:
//   S <json>                 the sandbox (hostname, working directory's mount, capabilities, thread)
//   P <i> <target> <class> <notes>   before each call (the parent names the last one after a crash or hang)
//   V <json>                 a violation, at once: guard bytes touched, bytes leaked, a path read past its window, an
//                            error of a class the API does not promise, a fuzzer fault
//   R <json>                 at the end: counts per target and class
// Usage (the test does it): node --expose-gc --import tsx test/fuzz-adversary-child.ts '<json config>'
// With "thread": "worker" the calls run in a worker thread (the main thread makes the fixtures and waits).
import { closeSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync, writeSync, constants as FS } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { Ctx, LIE_CLASSES, Refused, Rng, type LieClass } from './fuzz-adversary-lies.ts';
import { L, SELF_TEST, Skip, TARGETS, cleanPaths, type Call, type Env, type Target } from './fuzz-adversary-targets.ts';

export interface Config {
  seed: number;
  slice: number;
  from: number;
  to: number;
  thread: 'main' | 'worker';
  selfTest?: boolean;
  /** Only these targets / classes (names), for replays and focused runs. */
  targets?: string[];
  classes?: string[];
  /** Self-test of the crash report: die by SIGSEGV at this call. */
  crashAt?: number;
  /** Lie classes ('cls') and pairs ('target|cls') not to use any more (they crashed this slice's children): drawn, then not made. */
  quarantine?: string[];
}
export interface Counts { calls: number; ok: number; TypeError: number; RangeError: number; SyscallError: number; bad: number; refused: number; skipped: number; quarantined: number; violations: number }
export interface Violation { slice: number; i: number; target: string; cls: string; kind: string; detail: string; notes: string[]; hooks: string[]; touched: string[]; thread: string }
export interface Report {
  slice: number; from: number; to: number; thread: string; ms: number;
  perTarget: Record<string, Counts>; perClass: Record<string, Counts>;
  hooks: Record<string, { planted: number; fired: number }>;
  touched: Record<string, number>;
  refusedBy: Record<string, number>; skippedBy: Record<string, number>;
  errors: Record<string, { count: number; example: string }>;
}

/** A protocol line on stdout, whole. */
const pause = new Int32Array(new SharedArrayBuffer(4));
function out(line: string): void {
  const b = Buffer.from(line + '\n');
  for (let off = 0; off < b.length;) {
    try {
      off += writeSync(1, b, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 2);
    }
  }
}

// ---- the fixtures (main thread) ------------------------------------------------------------------------------------

function capEff(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

function fixtures(): Env {
  writeFileSync('fx-data', Buffer.alloc(65536, 'd'));
  writeFileSync('fx-x', 'x');
  writeFileSync('fx-x2', 'x');
  symlinkSync('fx-data', 'fx-link');
  for (const [d, p] of [['fx-dirA', 'a'], ['fx-dirB', 'b']]) {
    mkdirSync(d, { recursive: true });
    for (let i = 0; i < 40; i++) writeFileSync(`${d}/${p}-${i}-${'n'.repeat(i % 17)}`, '');
  }
  const fifo = 'fx-fifo';
  const mknod = L.mknod as unknown as (p: string, m: number, d: number) => void;
  try { mknod(fifo, 0o010644, 0); } catch { /* exists */ }
  const pipeR = openSync(fifo, FS.O_RDONLY | FS.O_NONBLOCK);
  const pipeW = openSync(fifo, FS.O_WRONLY | FS.O_NONBLOCK);
  const urandom = openSync('/dev/urandom', FS.O_RDONLY);
  let xattr = 'user.adv';
  const setx = L.setxattr as unknown as (p: string, n: string, v: string) => void;
  try { setx('fx-x', xattr, 'v'); } catch { xattr = 'trusted.adv'; }
  try { (L.removexattr as unknown as (p: string, n: string) => void)('fx-x', xattr); } catch { /* none */ }
  try { setx('fx-x2', xattr, 'a value of some length, for getxattr'); } catch { /* no xattrs */ }
  const page = guardPage();
  let handle: Buffer | undefined;
  try {
    const h = (L.name_to_handle_at as unknown as (d: number, p: string) => { handle: { $buffer: Buffer } })(-100, 'fx-data').handle;
    handle = Buffer.from(h.$buffer);
  } catch { /* no file handles here */ }
  return {
    urandom, pipeR, pipeW, xattr, page, handle, mountFd: openSync('.', FS.O_RDONLY | FS.O_DIRECTORY),
    uts: hostname() === 'tsyscall-adversary',
    hostname: hostname(),
    timex: (capEff() & (1n << 25n)) === 0n, // CAP_SYS_TIME
  };
}

// ---- the racing thread: flips one byte of a SharedArrayBuffer while told to --------------------------------------------

// ctl: [0] 1 while it should flip, 2 to end; [1] the byte's index, [2] and [3] its two values; [4] flips made;
// [5] the generation it finished; [6] the generation asked for; [7] the generation it started; [8] 1: the byte is in
// the guarded page (at the address in [9]), not in the SharedArrayBuffer
const RACE_CODE = `
const { workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData.ctl);
const sab = new Uint8Array(workerData.sab);
const page = workerData.page ? new Uint8Array(require(workerData.koffi).view(workerData.page, 4096)) : sab;
let gen = 0;
for (;;) {
  Atomics.wait(ctl, 6, gen);
  gen = Atomics.load(ctl, 6);
  if (Atomics.load(ctl, 0) === 2) break;
  const at = ctl[1], a = ctl[2], b = ctl[3];
  const u8 = ctl[8] === 1 ? page : sab;
  Atomics.store(ctl, 7, gen);
  let n = 0;
  while (Atomics.load(ctl, 0) === 1) { u8[at] = (n++ & 1) ? b : a; }
  u8[at] = a;
  Atomics.add(ctl, 4, n);
  Atomics.store(ctl, 5, gen);
  Atomics.notify(ctl, 5);
}
`;
interface Race { sab: SharedArrayBuffer; ctl: SharedArrayBuffer; page?: number; koffi: string }
function startRacer(page: Page | undefined): { race: Race; worker: Worker } {
  const koffi = createRequire(import.meta.url).resolve('koffi');
  const race: Race = { sab: new SharedArrayBuffer(1 << 16), ctl: new SharedArrayBuffer(64), page: page?.address, koffi };
  const worker = new Worker(RACE_CODE, { eval: true, workerData: race });
  worker.unref();
  return { race, worker };
}

/**
 * A page of memory followed by a PROT_NONE page (two mappings made with 'fixed_noreplace' where one of 8 KiB was):
 * a window at the page's end is a window the kernel cannot read past without EFAULT.
 */
interface Page { address: number; buf: Buffer }
function guardPage(): Page | undefined {
  type M = { address: number; buffer: Buffer; munmap(): void; nogc(): M };
  const mmap = L.mmap as unknown as (n: number, p?: string, f?: string, fd?: unknown, off?: number, addr?: number) => M;
  try {
    const m0 = mmap(8192);
    const a = m0.address;
    m0.munmap();
    const m1 = mmap(4096, 'read, write', 'private, anonymous, fixed_noreplace', undefined, 0, a).nogc();
    mmap(4096, 'none', 'private, anonymous, fixed_noreplace', undefined, 0, a + 4096).nogc();
    return { address: a, buf: m1.buffer };
  } catch {
    return undefined;
  }
}

function stopRacer(race: Race): void {
  const ctl = new Int32Array(race.ctl);
  Atomics.store(ctl, 0, 2);
  Atomics.add(ctl, 6, 1);
  Atomics.notify(ctl, 6);
}
function racer(race: Race): NonNullable<Ctx['raceBuf']> {
  const ctl = new Int32Array(race.ctl);
  let running = false;
  return {
    sab: race.sab, at: 4096,
    page: race.page,
    start(i, a, b, where = 'sab') {
      ctl[1] = i; ctl[2] = a; ctl[3] = b; ctl[8] = where === 'page' ? 1 : 0;
      Atomics.store(ctl, 0, 1);
      const gen = Atomics.add(ctl, 6, 1) + 1;
      Atomics.notify(ctl, 6);
      running = true;
      // until it flips (at most ~2 ms)
      for (let k = 0; k < 200 && Atomics.load(ctl, 7) !== gen; k++) Atomics.wait(pause, 0, 0, 0.01);
    },
    stop() {
      if (!running) return;
      running = false;
      const gen = Atomics.load(ctl, 6);
      Atomics.store(ctl, 0, 0);
      for (let k = 0; k < 100 && Atomics.load(ctl, 5) !== gen; k++) Atomics.wait(ctl, 5, Atomics.load(ctl, 5), 10);
    },
  };
}

// ---- shared file mappings, truncated ('mapped') --------------------------------------------------------------------

function mapper(size: number): { buf: Buffer; truncate(): void; done(): void } {
  const fd = L.memfd_create('adv-map', 'cloexec') as unknown as { close(): void };
  const ftruncate = L.ftruncate as unknown as (fd: unknown, n: number) => void;
  try {
    ftruncate(fd, size);
    const m = (L.mmap as unknown as (n: number, p: string, f: string, fd: unknown) => { buffer: Buffer; munmap(): void })(size, 'read, write', 'shared', fd);
    return {
      buf: m.buffer,
      truncate: () => ftruncate(fd, 0),
      done: () => { try { m.munmap(); } finally { fd.close(); } },
    };
  } catch (e) {
    fd.close();
    throw e;
  }
}

// ---- the calls ---------------------------------------------------------------------------------------------------------

const zero = (): Counts => ({ calls: 0, ok: 0, TypeError: 0, RangeError: 0, SyscallError: 0, bad: 0, refused: 0, skipped: 0, quarantined: 0, violations: 0 });

function dispose(r: unknown): void {
  if (r === null || typeof r !== 'object') return;
  const close = (x: unknown) => {
    if (x instanceof (L.Fd as unknown as new () => object)) try { (x as { close(): void }).close(); } catch { /* gone */ }
  };
  close(r);
  if (Array.isArray(r)) r.slice(0, 4).forEach(close);
}

async function loop(cfg: Config, env: Env, race: Race | undefined): Promise<Report> {
  const t0 = Date.now();
  const SyscallError = L.SyscallError as unknown as new () => Error;
  let targets: Target[] = cfg.selfTest ? SELF_TEST : TARGETS;
  if (cfg.targets?.length) targets = targets.filter((t) => cfg.targets!.includes(t.name));
  const rep: Report = {
    slice: cfg.slice, from: cfg.from, to: cfg.to, thread: cfg.thread, ms: 0, perTarget: {}, perClass: {}, hooks: {}, touched: {},
    refusedBy: {}, skippedBy: {}, errors: {},
  };
  for (const t of targets) rep.perTarget[t.name] = zero();
  for (const k of LIE_CLASSES) rep.perClass[k] = zero();
  const rc = race ? racer(race) : undefined;
  const thread = cfg.thread;
  const weights: number[] = [];
  let wsum = 0;
  for (const t of targets) weights.push((wsum += t.weight ?? 1));
  const quarantine = new Set(cfg.quarantine ?? []);
  for (let i = cfg.from; i < cfg.to; i++) {
    const rng = new Rng(cfg.seed, cfg.slice, i);
    const x = rng.next() * wsum;
    const t = targets[Math.min(targets.length - 1, weights.findIndex((w) => x < w))];
    let classes = t.classes.filter((k) => (k !== 'race' || rc) && (k !== 'gc' || typeof (globalThis as { gc?: unknown }).gc === 'function'));
    if (cfg.classes?.length) classes = classes.filter((k) => cfg.classes!.includes(k));
    if (!classes.length) continue;
    const cls: LieClass = rng.pick(classes);
    const c = new Ctx(rng, cls);
    c.raceBuf = rc;
    c.mapper = mapper;
    const pt = rep.perTarget[t.name];
    const pc = rep.perClass[cls];
    const both = (k: keyof Counts) => { pt[k]++; pc[k]++; };
    if (quarantine.has(cls) || quarantine.has(`${t.name}|${cls}`)) { both('quarantined'); continue; }
    const violation = (kind: string, detail: string) => {
      both('violations');
      const v: Violation = { slice: cfg.slice, i, target: t.name, cls, kind, detail, notes: c.notes, hooks: c.hooks.map((h) => `${h.what} (ran ${h.fired}x)`), touched: [...c.touched.keys()], thread };
      out(`V\t${JSON.stringify(v)}`);
    };
    let call: Call;
    try {
      call = await t.make(c, env);
    } catch (e) {
      for (const f of c.cleanups) try { f(); } catch { /* best effort */ }
      if (e instanceof Refused) { both('refused'); rep.refusedBy[`${t.name}/${cls}: ${e.message.slice(0, 120)}`] = (rep.refusedBy[`${t.name}/${cls}: ${e.message.slice(0, 120)}`] ?? 0) + 1; continue; }
      if (e instanceof Skip) { both('skipped'); rep.skippedBy[`${t.name}: ${e.message}`] = (rep.skippedBy[`${t.name}: ${e.message}`] ?? 0) + 1; continue; }
      out(`P\t${i}\t${t.name}\t${cls}\t(making the call)`);
      violation('fuzzer', `the adversary failed to make the call: ${(e as Error)?.stack ?? String(e)}`);
      continue;
    }
    out(`P\t${i}\t${t.name}\t${cls}\t${c.notes.join(' | ').replace(/[\t\n]/g, ' ').slice(0, 700)}`);
    both('calls');
    if (cfg.crashAt === i) process.kill(process.pid, 'SIGSEGV');
    for (const f of c.truncate) f();
    let res: unknown;
    let err: unknown;
    try {
      c.arm();
      try {
        res = call.run();
      } finally {
        c.disarm();
      }
      if (res instanceof Promise) res = await res;
    } catch (e) {
      err = e;
    }
    rc?.stop();
    if (err === undefined) both('ok');
    else if (err instanceof SyscallError) both('SyscallError');
    else if (err instanceof TypeError) both('TypeError');
    else if (err instanceof RangeError) both('RangeError');
    else {
      both('bad');
      const e = err as Error;
      violation('error', `${e?.constructor?.name ?? typeof err}: ${String(e?.message ?? err).slice(0, 300)}\n${String(e?.stack ?? '').split('\n').slice(1, 6).join('\n')}`);
    }
    if (err !== undefined) {
      const e = err as Error;
      const key = `${t.name}: ${e?.constructor?.name}: ${String(e?.message).replace(/\d+/g, 'N').slice(0, 90)}`;
      const x = (rep.errors[key] ??= { count: 0, example: `${String(e?.message).slice(0, 200)}` });
      x.count++;
    }
    // the verdicts: every arena's guards, then what the kernel read
    for (const a of c.arenas) {
      const d = a.check();
      if (d) violation(/moved/.test(d) ? 'moved' : /shrink/.test(d) ? 'shrunk' : 'guard', d);
    }
    try {
      // memory that SIGBUSes is not looked at (results over it neither)
      const d = cls === 'mapped' ? undefined : call.verify?.(res, err);
      if (d) violation(t.kind === 'G' ? 'fd' : /^over-read/.test(d) ? 'over-read' : /bytes taken|read guard bytes/.test(d) ? 'leak' : 'path', d);
    } catch (e) {
      violation('fuzzer', `the verification failed: ${(e as Error)?.stack ?? String(e)}`);
    }
    for (const h of c.hooks) {
      const k = `${cls}: ${h.what.replace(/ of [\w[\]]+| to .*| \d+ .*/g, '').slice(0, 80)}`;
      const x = (rep.hooks[k] ??= { planted: 0, fired: 0 });
      x.planted++;
      if (h.fired) x.fired++;
    }
    for (const [k] of c.touched) rep.touched[`${cls}: ${k}`] = (rep.touched[`${cls}: ${k}`] ?? 0) + 1;
    dispose(res);
    for (const f of [call.cleanup, ...c.cleanups]) try { f?.(); } catch { /* best effort */ }
    if (t.kind === 'P' || t.kind === 'S') cleanPaths();
  }
  rep.ms = Date.now() - t0;
  return rep;
}

// ---- entry -----------------------------------------------------------------------------------------------------------

if (isMainThread) {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
  if (hostname() !== 'tsyscall-adversary' && !process.env.TSYSCALL_ADVERSARY_UNSANDBOXED) {
    console.error('fuzz-adversary-child: refusing to run outside the sandbox of test/fuzz-adversary.test.ts');
    process.exit(2);
  }
  const env = fixtures();
  const { race, worker: racerThread } = startRacer(env.page);
  const mount = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === process.cwd());
  out(`S\t${JSON.stringify({ hostname: hostname(), cwd: process.cwd(), mount: mount?.split(' - ')[1] ?? '', capSysTime: !env.timex, uts: env.uts, gc: typeof (globalThis as { gc?: unknown }).gc === 'function', thread: cfg.thread, xattr: env.xattr })}`);
  let rep: Report;
  if (cfg.thread === 'worker') {
    // the worker loads this file through tsx's API (Node 20 does not hand the --import hooks to workers)
    const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
    const code = `import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`;
    const w = new Worker(code, { eval: true, workerData: { cfg, env, race } });
    rep = await new Promise<Report>((resolve, reject) => {
      w.on('message', (m: Report) => resolve(m));
      w.on('error', reject);
      w.on('exit', (code) => reject(new Error(`the worker exited (${code}) without a report`)));
    });
  } else {
    rep = await loop(cfg, env, race);
  }
  stopRacer(race);
  void racerThread;
  for (const fd of [env.urandom, env.pipeR, env.pipeW, env.mountFd]) closeSync(fd);
  out(`R\t${JSON.stringify(rep)}`);
  process.exit(0);
} else if (workerData?.cfg) {
  const { cfg, env, race } = workerData as { cfg: Config; env: Env; race: Race };
  // a Buffer arrives as a Uint8Array; the page's memory is rebuilt from its address
  if (env.handle) env.handle = Buffer.from(env.handle);
  if (env.page) env.page = { address: env.page.address, buf: Buffer.from((await import('koffi')).default.view(env.page.address, 4096)) };
  const { parentPort } = await import('node:worker_threads');
  const rep = await loop(cfg, env, race);
  parentPort!.postMessage(rep);
}
