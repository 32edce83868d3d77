// The fuzzing child (started by test/fuzz.test.ts inside fresh namespaces, cwd a scratch tmpfs): calls every exported
// function of src/index.ts in its slice, every Fd method on real Fds (and Mapping and Timer methods on real ones), with
// random and hostile arguments drawn from a seeded generator, and reports on stdout:
//   S <json>   the sandbox it runs in (namespaces, hostname, the working directory's mount, a write probe outside it)
//   P <i> <target> <args>   before each call (the parent names the last one if the child hangs or crashes)
//   R <json>   at the end: counts, thrown errors by class, every error that is not a TypeError, RangeError or
//              SyscallError, and arguments that reached V8, Node or koffi unchecked
// Usage (the test does it): node --import tsx test/fuzz-child.ts '{"seed":1,"slice":0,"slices":4,"calls":8000,"probe":"<a dir
// outside the sandbox, to prove it read-only>","extra":["file:///.../src/x.ts"]}'. It refuses to run outside the sandbox.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, lstatSync, writeFileSync, writeSync, constants as FS } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as lib from '../src/index.ts';
import { abi, raw } from '../src/core/abi.ts';
import { excludedBy, guardsOf, restoresOf, type CallView, type Restore } from './fuzz-rules.ts';

interface Config { seed: number; slice: number; slices: number; calls: number; probe?: string; extra?: string[] }
const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
const t0 = Date.now();
const pause = new Int32Array(new SharedArrayBuffer(4));
/** A protocol line on stdout, whole, even if something made the pipe non-blocking and the parent is slow to read. */
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

// ---- seeded randomness (sfc32, seeded through splitmix32) ---------------------------------------------------------
function splitmix(a: number) {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}
const sm = splitmix(cfg.seed ^ Math.imul(cfg.slice + 1, 0x27d4eb2d));
let [sa, sb, sc, sd] = [sm(), sm(), sm(), sm()];
function rnd(): number {
  sa >>>= 0; sb >>>= 0; sc >>>= 0; sd >>>= 0;
  let t = (sa + sb) | 0;
  sa = sb ^ (sb >>> 9);
  sb = (sc + (sc << 3)) | 0;
  sc = (sc << 21) | (sc >>> 11);
  sd = (sd + 1) | 0;
  t = (t + sd) | 0;
  sc = (sc + t) | 0;
  return (t >>> 0) / 4294967296;
}
const below = (n: number) => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[below(xs.length)];
const chance = (p: number) => rnd() < p;

// ---- labels: how an argument is shown in reports, without touching it ---------------------------------------------
const labels = new WeakMap<object, string>();
function mk<T>(v: T, label: string): T {
  if ((typeof v === 'object' && v !== null) || typeof v === 'function') labels.set(v as object, label);
  return v;
}
function lab(v: unknown): string {
  switch (typeof v) {
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint': return `${v}n`;
    case 'string': return v.length > 40 ? `${JSON.stringify(v.slice(0, 30))}...(${v.length} chars)` : JSON.stringify(v);
    case 'symbol': return 'Symbol()';
    case 'undefined': return 'undefined';
    case 'boolean': return String(v);
    default:
      if (v === null) return 'null';
      return labels.get(v as object) ?? (typeof v === 'function' ? 'function' : `[${Object.getPrototypeOf(v)?.constructor?.name ?? 'object'}]`);
  }
}

// ---- the sandbox, as seen from inside ------------------------------------------------------------------------------
const cwd = process.cwd();
const ns = Object.fromEntries(['mnt', 'uts', 'ipc', 'net', 'pid'].map((k) => [k, readlinkSync(`/proc/self/ns/${k}`)]));
const mountLine = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === cwd) ?? '';
let probe = 'not tried';
if (cfg.probe) {
  const p = join(cfg.probe, `fuzz-probe-${process.pid}-${Date.now()}`);
  try {
    writeFileSync(p, 'x');
    unlinkSync(p);
    probe = 'WRITABLE';
  } catch (e) {
    probe = (e as NodeJS.ErrnoException).code ?? String(e);
  }
}
const sandbox = { ns, hostname: hostname(), pid: process.pid, ppid: process.ppid, cwd, mount: mountLine.split(' - ')[1] ?? '', mountOpts: mountLine.split(' ')[5] ?? '', probe };
out(`S\t${JSON.stringify(sandbox)}`);
// the interlock: never fuzz anywhere but in the sandbox the test builds
if (sandbox.hostname !== 'tsyscall-fuzz' || !sandbox.mount.startsWith('tmpfs ') || probe !== 'EROFS') {
  process.stderr.write(`fuzz-child: refusing to run outside its sandbox (hostname ${sandbox.hostname}, cwd on ${sandbox.mount || '?'}, write probe ${probe})\n`);
  process.exit(3);
}

// ---- signals the fuzzer may cause (SIGIO from F_SETOWN/O_ASYNC, timer signals...) are counted, not fatal -----------
const signalsSeen: Record<string, number> = {};
for (const s of ['SIGIO', 'SIGALRM', 'SIGVTALRM', 'SIGPROF', 'SIGXCPU', 'SIGXFSZ', 'SIGUSR2', 'SIGHUP', 'SIGTERM', 'SIGINT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGPWR']) {
  process.on(s as NodeJS.Signals, () => { signalsSeen[s] = (signalsSeen[s] ?? 0) + 1; });
}

// ---- the state restores of fuzz-rules.ts need the initial state ---------------------------------------------------
const rootFd = openSync('/', FS.O_RDONLY | FS.O_DIRECTORY);
const cwdFd = openSync('.', FS.O_RDONLY | FS.O_DIRECTORY);
const initial = {
  rlimits: Array.from({ length: 16 }, (_, r) => {
    const b = Buffer.alloc(16);
    return raw.prlimit64(0, r, null, b) === 0 ? b : null;
  }),
  groups: (() => {
    const g = new Uint32Array(65536);
    const n = raw.getgroups(g.length, g);
    return g.slice(0, Math.max(0, n));
  })(),
  affinity: (() => {
    const m = Buffer.alloc(128);
    const n = raw.sched_getaffinity(0, m.length, m);
    return n > 0 ? m.subarray(0, n) : null;
  })(),
  nice: 20 - raw.getpriority(0, 0),
  personality: raw.personality(0xffffffff),
  umask: process.umask(),
};
const restores: Record<Restore['restore'], () => void> = {
  bigfiles: () => sweep(),
  creds: () => {
    if (raw.setresuid(0, 0, 0) < 0) lostRoot ??= `after call ${calls - 1}`;
    raw.setresgid(0, 0, 0);
    raw.setfsuid(0);
    raw.setfsgid(0);
    raw.setgroups(initial.groups.length, initial.groups);
  },
  rlimits: () => initial.rlimits.forEach((b, r) => b && raw.prlimit64(0, r, b, null)),
  sched: () => raw.sched_setscheduler(0, 0, new Int32Array(1)),
  affinity: () => initial.affinity && raw.sched_setaffinity(0, initial.affinity.length, initial.affinity),
  nice: () => raw.setpriority(0, 0, initial.nice),
  personality: () => raw.personality(initial.personality),
  umask: () => raw.umask(initial.umask),
  root: () => {
    raw.fchdir(rootFd);
    raw.chroot('.');
  },
  acct: () => raw.acct(null),
  itimers: () => [0, 1, 2].forEach((w) => raw.setitimer(w, Buffer.alloc(32), null)),
  fifos: () => sweep(),
  munlockall: () => raw.munlockall(),
  fdtimes: () => {
    // utimensat(fd, NULL, NULL, 0) sets an open file's times to now; numbers that are not open answer EBADF
    for (let n = reservedFdMax + 1; n < 1024; n++) raw.utimensat(n, null, null, 0);
  },
};

// ---- fixtures in the scratch tmpfs --------------------------------------------------------------------------------
function fixtures(): void {
  const ensure = (f: () => void) => { try { f(); } catch { /* exists, or the tmpfs is full: fuzz with what there is */ } };
  ensure(() => mkdirSync('dir/sub', { recursive: true }));
  ensure(() => { if (!lstatSync('file', { throwIfNoEntry: false })?.isFile()) { rmSync('file', { recursive: true, force: true }); writeFileSync('file', Buffer.alloc(4096, 'f')); } });
  ensure(() => { if (!lstatSync('link', { throwIfNoEntry: false })) symlinkSync('file', 'link'); });
  ensure(() => { if (!lstatSync('dangling', { throwIfNoEntry: false })) symlinkSync('nowhere', 'dangling'); });
}
/** Remove FIFOs (opening one blocks until a writer comes) and files over 1 MiB (the tmpfs has 64) in the scratch tree. */
function sweep(dir = '.', depth = 0): void {
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const n of names.slice(0, 256)) {
    const p = join(dir, n);
    try {
      const st = lstatSync(p);
      if (st.isFIFO()) unlinkSync(p);
      else if (st.isFile() && st.size > 1 << 20) unlinkSync(p);
      else if (st.isDirectory() && depth < 4) sweep(p, depth + 1);
    } catch { /* gone meanwhile */ }
  }
}
fixtures();

// every descriptor open now is Node's or the harness's: the fuzzer's own come after
const reservedFdMax = Math.max(...readdirSync('/proc/self/fd').map(Number).filter((n) => Number.isInteger(n)));

// ---- pools of real objects, repaired after every call ----------------------------------------------------------
const { Fd, SyscallError } = lib;
type FdT = InstanceType<typeof Fd>;
// FUZZ_EXTRA (in the test): modules fuzzed along with src/index.ts, e.g. one not exported from it yet
const L: Record<string, unknown> = { ...(lib as unknown as Record<string, unknown>) };
for (const m of cfg.extra ?? []) Object.assign(L, await import(m));
const O = abi.O;
const sbuf = Buffer.alloc(abi.Stat.size);

interface PoolFd { kind: string; group: string; num: number; fd: FdT; dev: bigint; ino: bigint; nonblock: boolean }
const fdPool: PoolFd[] = [];
const groupMakers: Record<string, () => [string, number, boolean][]> = {
  file: () => [['file', openSync('file', 'r+'), false]],
  dir: () => [['dir', openSync('dir', FS.O_RDONLY | FS.O_DIRECTORY), false]],
  opath: () => [['O_PATH file', openSync('file', O.PATH), false]],
  devnull: () => [['/dev/null', openSync('/dev/null', 'r+'), false]],
  pipe: () => {
    const p = new Int32Array(2);
    if (raw.pipe2(p, O.NONBLOCK | O.CLOEXEC) < 0) return [];
    return [['pipe read end', p[0], true], ['pipe write end', p[1], true]];
  },
  socketpair: () => {
    const p = new Int32Array(2);
    if (raw.socketpair(abi.AF.UNIX, abi.SOCK.STREAM | abi.SOCK.NONBLOCK | abi.SOCK.CLOEXEC, 0, p) < 0) return [];
    return [['unix socket', p[0], true], ['unix socket peer', p[1], true]];
  },
  eventfd: () => {
    const n = raw.eventfd2(0, abi.EFD.NONBLOCK | abi.EFD.CLOEXEC);
    return n < 0 ? [] : [['eventfd', n, true]];
  },
};
function identity(n: number): [bigint, bigint] | null {
  return raw.fstat!(n, sbuf) === 0 ? [sbuf.readBigUInt64LE(0), sbuf.readBigUInt64LE(8)] : null;
}
function makeGroup(group: string): void {
  let made: [string, number, boolean][] = [];
  try { made = groupMakers[group](); } catch { /* e.g. 'file' deleted: fixtures() brings it back later */ }
  for (const [kind, num, nonblock] of made) {
    const id = identity(num) ?? [0n, 0n];
    fdPool.push(mk({ kind, group, num, fd: mk(new Fd(num, { gc: false }), `Fd(${kind})`), dev: id[0], ino: id[1], nonblock }, kind));
  }
}
Object.keys(groupMakers).forEach(makeGroup);
const closedFd = mk(new Fd(raw.dup(fdPool[0].num)), 'closed Fd');
closedFd.close();

const drain = Buffer.alloc(65536);
function repairFds(): void {
  const lost = new Set<string>();
  for (const e of fdPool) {
    const id = identity(e.num);
    const same = id !== null && id[0] === e.dev && id[1] === e.ino;
    if (same) {
      if ((sbuf.readUInt32LE(24) & 0o170000) === 0o100000 && sbuf.readBigInt64LE(48) > 1n << 20n) raw.ftruncate!(e.num, 4096);
      if (e.fd.closed || e.fd.fileno !== e.num) e.fd = mk(new Fd(e.num, { gc: false }), `Fd(${e.kind})`); // released or forgotten
      if (e.nonblock) raw.fcntl!(e.num, abi.F.SETFL, O.NONBLOCK);
    } else lost.add(e.group);
  }
  for (const g of lost) {
    for (const e of fdPool.filter((x) => x.group === g)) {
      const id = identity(e.num);
      if (!e.fd.closed && e.fd.fileno === e.num) e.fd.release(); // the number now belongs to something else: let go
      if (id && id[0] === e.dev && id[1] === e.ino) raw.close(e.num); // the other end of a pair: closed with its group
      fdPool.splice(fdPool.indexOf(e), 1);
    }
    makeGroup(g);
  }
  // Empty the pipe, the sockets and the eventfd, then put one byte in the pipe: vmsplice ignores O_NONBLOCK, waiting
  // for room in a full pipe, or for data in an empty one, for ever (it stops waiting once it has moved something).
  for (const e of fdPool) if (e.nonblock) while (raw.read(e.num, drain, drain.length) > 0);
  for (const e of fdPool) if (e.kind === 'pipe write end') raw.write(e.num, drain, 1);
}
repairFds();

// a memory mapping and a POSIX timer (SIGEV_NONE: it never signals), if the library has them
type Live = { unmapped?: boolean; deleted?: boolean };
const Mapping = L.Mapping as (new (...a: never[]) => Live) | undefined;
const Timer = L.Timer as (new (...a: never[]) => Live) | undefined;
let mapping: Live | undefined;
let timer: Live | undefined;
function repairOthers(): void {
  try { if (typeof L.mmap === 'function' && (!mapping || mapping.unmapped)) mapping = mk((L.mmap as (n: number) => Live)(16384), 'Mapping(16 KiB)'); } catch { mapping = undefined; }
  try { if (typeof L.timer_create === 'function' && (!timer || timer.deleted)) timer = mk((L.timer_create as (c: string) => Live)('monotonic'), 'Timer(monotonic, SIGEV_NONE)'); } catch { timer = undefined; }
}
repairOthers();
const pooled = (v: unknown) => v === mapping || v === timer || v === closedFd || fdPool.some((e) => e.fd === v);

// ---- values ---------------------------------------------------------------------------------------------------------
class FuzzTrap extends Error {}
/** Objects whose every touch may throw (proxies, throwing getters): the harness never looks inside them. */
const hostile = new WeakSet<object>();
const bait = <T extends object>(v: T, label: string): T => { hostile.add(v); return mk(v, label); };
const trap = (what: string) => { throw new FuzzTrap(`fuzz trap: ${what}`); };

const INTS = [0, 1, -1, 2, 3, 7, 8, 13, 64, 255, 256, 511, 4095, 4096, 4097, 65536, 2 ** 20, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1,
  2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 63, 2 ** 64, 1e308, -1e308, -0, 0.5, 1.5, -1.5, NaN, Infinity, -Infinity,
  Number.MIN_VALUE, Number.EPSILON, 0o644, 0o777, 0o7777, 0o100644, 0o10000];
const BIGINTS = [0n, 1n, -1n, 2n, 4096n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 63n), -(2n ** 63n) - 1n, -(2n ** 64n), 10n ** 30n];
const STRINGS = ['', ' ', 'a', 'x'.repeat(256), 'x'.repeat(5000), 'a\0b', '\0', 'é😀', '0', '-1', '0o777', '644', '0x10', '1e3', 'NaN', 'infinity', 'Infinity',
  '~', ',', '|', ', ,', '~~x', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'now', 'omit', 'self', 'user.fuzz', 'trusted.x', 'security.capability',
  'utf8', 'buffer', 'hex', 'base64', 'bogus'];
const PATHS: (() => unknown)[] = [
  ...['file', 'dir', 'dir/sub', 'dir/sub/', 'link', 'dangling', 'nonexistent', 'dir/nonexistent', 'file/x', '.', '..', '', '/', '/nonexistent/x', '/proc/self/status', '/dev/null', '/etc/hostname'].map((p) => () => p),
  () => `new-${below(8)}`,
  () => 'n'.repeat(300),
  () => 'd/'.repeat(2100),
  () => 'file\0x',
  () => mk(Buffer.from('file'), "Buffer('file')"),
  () => mk(Buffer.from('file\0'), "Buffer('file\\0')"),
  () => mk(Buffer.from('fi\0le'), "Buffer('fi\\0le')"),
  () => mk(Buffer.alloc(0), 'Buffer(0)'),
  () => mk(new URL('file:///nonexistent/x'), 'URL(file:///nonexistent/x)'),
  () => mk(new URL(`file://${cwd}/file`), 'URL(file://<cwd>/file)'),
  () => mk(new URL('http://example.com/file'), 'URL(http:)'),
  () => mk(new URL('file:///a%00b'), 'URL(file:///a%00b)'),
];

/** Every namespace of constants in abi (objects of numbers): the vocabulary of flag strings. */
const namespaces = Object.entries(abi).filter(([, v]) =>
  typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && Object.keys(v).length > 0 && Object.values(v).every((x) => typeof x === 'number' || typeof x === 'bigint'),
) as [string, Record<string, number | bigint>][];

/** Valid flag names learned from the library's own 'unknown X flag' messages, per target and argument. */
const learned = new Map<string, string[]>();
function flagString(target: string, i: number): string {
  const known = learned.get(`${target}/${i}`);
  let names: string[];
  let prefix = '';
  if (known?.length && chance(0.7)) names = known;
  else {
    const [nsName, nsv] = pick(namespaces);
    names = Object.keys(nsv);
    prefix = nsName + '_';
  }
  const words = Array.from({ length: 1 + below(3) }, () => {
    let w = pick(names);
    if (chance(0.2)) w = w.toUpperCase();
    else if (chance(0.2) && prefix) w = prefix + w;
    else w = w.toLowerCase();
    return (chance(0.1) ? '~' : '') + w;
  });
  if (chance(0.05)) words.push('bogus');
  return words.join(pick([',', ', ', '|', ' ', ' | ']));
}

const structClasses = Object.entries(L).filter(([, v]) => typeof v === 'function' && typeof (v as { size?: unknown }).size === 'number') as [string, new (b?: Buffer, o?: number) => object][];
const structs: (() => unknown)[] = [];
for (const [n, C] of structClasses) {
  structs.push(() => { try { return mk(new C(), `new ${n}()`); } catch { return undefined; } });
  structs.push(() => { try { const size = (C as unknown as { size: number }).size; return mk(new C(Buffer.alloc(size + 8), 8), `new ${n}(buffer, 8)`); } catch { return undefined; } });
}
structs.push(() => mk({ $buffer: Buffer.alloc(4), $offset: 0 }, '{ $buffer: Buffer(4), $offset: 0 }'));
structs.push(() => mk({ $buffer: Buffer.alloc(256), $offset: 250 }, '{ $buffer: Buffer(256), $offset: 250 }'));
if (lib.Stat) structs.push(() => mk(Object.create(lib.Stat.prototype), 'Object.create(Stat.prototype)'));

function detachedView(): Uint8Array {
  const ab = new ArrayBuffer(64);
  const v = new Uint8Array(ab);
  structuredClone(ab, { transfer: [ab] });
  return v;
}
const BUFFERS: (() => unknown)[] = [
  ...[0, 1, 7, 8, 16, 143, 144, 4096, 65536].map((n) => () => mk(Buffer.alloc(n), `Buffer(${n})`)),
  () => mk(new Uint8Array(3), 'Uint8Array(3)'),
  () => mk(new Uint16Array(3), 'Uint16Array(3)'),
  () => mk(new Int32Array(1), 'Int32Array(1)'),
  () => mk(new Int32Array(2), 'Int32Array(2)'),
  () => mk(new Float64Array(3), 'Float64Array(3)'),
  () => mk(new BigInt64Array(2), 'BigInt64Array(2)'),
  () => mk(new DataView(new ArrayBuffer(16), 3, 5), 'DataView(16, 3, 5)'),
  () => mk(Buffer.alloc(10).subarray(3, 8), 'Buffer(10).subarray(3, 8)'),
  () => mk(new Uint32Array(new ArrayBuffer(14), 4, 2), 'Uint32Array(2) at offset 4 of 14 bytes'),
  () => mk(new Float32Array(5), 'Float32Array(5)'),
  () => mk(detachedView(), 'detached Uint8Array'),
  () => { const ab = new ArrayBuffer(64); const b = Buffer.from(ab); structuredClone(ab, { transfer: [ab] }); return mk(b, 'detached Buffer'); },
  () => { const ab = new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(32, { maxByteLength: 4096 }); return mk(new Uint8Array(ab), 'length-tracking view of a resizable ArrayBuffer(32, max 4096)'); },
  () => mk(new Uint8Array(new SharedArrayBuffer(64)), 'Uint8Array over a SharedArrayBuffer'),
  () => mk(new ArrayBuffer(16), 'ArrayBuffer(16) (not a view)'),
  () => { try { const b = (mapping as unknown as { buffer: Buffer }).buffer; return mk(b, 'Mapping.buffer'); } catch { return mk(Buffer.alloc(1), 'Buffer(1)'); } },
];
const OBJECT_KEYS = ['cur', 'max', 'soft', 'hard', 'sec', 'nsec', 'seconds', 'ns', 'notify', 'signo', 'value', 'tid', 'policy', 'priority', 'nice', 'flags', 'mode',
  'resolve', 'type', 'start', 'len', 'whence', 'pid', 'runtime', 'deadline', 'period', 'fd', 'events', 'family', 'port', 'addr', 'length', 'offset', 'gc', 'how'];
const OBJECTS: (() => unknown)[] = [
  () => mk({}, '{}'),
  () => mk([], '[]'),
  () => mk([1, 2, 3], '[1, 2, 3]'),
  () => mk([0, 1, 2 ** 40, -1], '[0, 1, 2**40, -1]'),
  () => mk(new Array(3), 'Array(3) (holes)'),
  () => mk(Array.from({ length: 2000 }, (_, i) => i), '[0..1999]'),
  () => mk([Buffer.alloc(4), 'x', Buffer.alloc(0)], "[Buffer(4), 'x', Buffer(0)]"),
  () => mk(Array.from({ length: 1100 }, () => Buffer.alloc(1)), '1100 x Buffer(1)'),
  () => mk([detachedView()], '[detached Uint8Array]'),
  () => mk([{}], '[{}]'),
  () => mk(Object.create(null), 'Object.create(null)'),
  () => mk(new Map([[1, 2]]), 'Map'),
  () => mk(new Set([0, 1]), 'Set([0, 1])'),
  () => mk(new Date(0), 'Date(0)'),
  () => mk(new Date(NaN), 'Date(NaN)'),
  () => mk(new Date(8.64e15), 'Date(8.64e15)'),
  () => mk(/x/, '/x/'),
  () => mk(new Error('e'), 'Error'),
  () => { const p = Promise.resolve(1); return mk(p, 'Promise'); },
  () => mk(() => 1, '() => 1'),
  () => mk(class {}, 'class {}'),
  () => bait(new Proxy({}, { get: (_, k) => trap(`get ${String(k)}`), has: () => trap('has'), ownKeys: () => trap('ownKeys'), getPrototypeOf: () => trap('getPrototypeOf') }), 'Proxy (every trap throws)'),
  () => bait(new Proxy([], { get: (_, k) => (k === 'length' ? 2 ** 32 - 1 : trap(`get ${String(k)}`)) }), 'Proxy array (length 2^32-1, items throw)'),
  () => bait({ get cur() { return trap('getter cur'); }, get max() { return trap('getter max'); }, get sec() { return trap('getter sec'); }, get notify() { return trap('getter notify'); } }, 'object with throwing getters'),
  () => mk({ valueOf: () => 3, toString: () => 'rdonly' }, '{ valueOf: 3, toString: "rdonly" }'),
  () => bait({ [Symbol.toPrimitive]: () => trap('toPrimitive') }, 'object whose toPrimitive throws'),
  () => bait({ [Symbol.iterator]: () => trap('iterator') }, 'iterable whose iterator throws'),
  () => mk({ *[Symbol.iterator]() { yield 1; yield 'x'; yield -5; } }, 'iterable of 1, "x", -5'),
  () => {
    const o: Record<string, unknown> = {};
    const keys: string[] = [];
    for (let k = 0, n = 1 + below(3); k < n; k++) {
      const key = pick(OBJECT_KEYS);
      keys.push(key);
      o[key] = key === 'fd' ? genFd().v : pick([() => pick(INTS), () => pick(BIGINTS), () => pick(STRINGS), () => 'infinity', () => Infinity, () => flagString('obj', 0), () => undefined])();
    }
    return mk(o, `{ ${keys.map((k) => `${k}: ${lab(o[k])}`).join(', ')} }`);
  },
];
const MISC: (() => unknown)[] = [() => undefined, () => null, () => true, () => false, () => Symbol('s'), () => mk(function f() { return 0; }, 'function f')];

interface Gen { v: unknown }
const g = (f: () => unknown): Gen => ({ v: f() });

function genFd(): Gen {
  const r = rnd();
  const live = fdPool.length ? pick(fdPool) : undefined;
  if (live && r < 0.55) return { v: live.fd };
  if (live && r < 0.75) return { v: live.num };
  if (r < 0.85) return { v: closedFd };
  return { v: pick([-1, -100, -2, 2 ** 31 - 1, 2 ** 31, 1e6 + 7, -(2 ** 31) - 1, NaN, 1.5, '3', 3n, 2n ** 64n, null, undefined, {}, [3]]) };
}
const genPath = () => g(pick(PATHS));
const genInt = (): Gen => (chance(0.75) ? { v: chance(0.7) ? pick(INTS) : below(2 ** 32) - 2 ** 31 } : { v: pick(BIGINTS) });
const genTime = (): Gen => g(pick([
  () => pick([0, 0.001, 0.004, 0.5, 1, -1, -0.5, 1e9, 1.7e9, 1e18, -1e18, 9.3e18, NaN, Infinity, -Infinity, 1e-9]),
  () => pick([0n, 1n, 1000n, 999_999_999n, 1_000_000_000n, 10n ** 18n, -(10n ** 18n), 2n ** 63n, 2n ** 64n, -1n]),
  () => mk(new Date(), 'Date(now)'), () => mk(new Date(0), 'Date(0)'), () => mk(new Date(NaN), 'Date(NaN)'), () => mk(new Date(-8.64e15), 'Date(-8.64e15)'),
  () => pick(['now', 'omit', '1', 'never']),
  () => pick(structs)(),
]));
const genFlags = (target: string, i: number): Gen => {
  const r = rnd();
  if (r < 0.6) return { v: flagString(target, i) };
  if (r < 0.75) return genInt();
  if (r < 0.85) return { v: mk(Array.from({ length: 1 + below(3) }, () => (chance(0.7) ? flagString(target, i) : pick(INTS))), 'array of flags') };
  return genAny();
};
const genObj = (): Gen => g(pick([() => pick(structs)(), () => pick(BUFFERS)(), () => pick(OBJECTS)(), () => mapping, () => timer, () => pick(STRINGS)]));
function genAny(): Gen {
  return g(pick([
    () => pick(INTS), () => below(2 ** 16), () => pick(BIGINTS), () => pick(STRINGS), () => pick(BUFFERS)(), () => pick(structs)(), () => pick(OBJECTS)(),
    () => genFd().v, () => pick(PATHS)(), () => pick(MISC)(), () => (Mapping ? mapping : undefined), () => (Timer ? timer : undefined),
  ]));
}

type Hint = 'fd' | 'path' | 'flags' | 'obj' | 'time' | 'int' | 'ns' | 'mapping' | 'timer' | 'str' | 'any';
const HINTS: [RegExp, Hint][] = [
  [/^(fd|dirfd|oldfd|newfd|pidfd|mountfd|fdin|fdout|infd|outfd|olddirfd|newdirfd|epfd|targetfd)$|fd$/i, 'fd'],
  [/path|^file$|^target$|^dir$|^(src|dest|source|f)$/i, 'path'],
  [/^(ns|namespace)$/, 'ns'],
  [/^m$|^mapping$/, 'mapping'],
  [/^timer$/, 'timer'],
  [/^(how|flags|options|at|prot|mask|persona|op|cmd|advice|which|w|idtype|whence|from|encoding|clock|signal|sig|res|resource|pol|policy|notify|prefix|kind)$/i, 'flags'],
  [/^(name|syscall|dest|word)$/, 'str'],
  [/^(buf|bufs|data|value|st|stx|sfs|ru|tx|ts|tv|its|itv|handle|lock|event|attr|limit|cpus|gids|arg|spec|b|a)$/, 'obj'],
  [/time|request|interval|duration/i, 'time'],
];
/**
 * Anything, except that a number is one the fuzzer may use as a descriptor: a parameter that takes an fd (named for
 * one, or a path that may also be an fd, such as readFile's `file`) must never get Node's own descriptors (closing or
 * writing libuv's epoll fd, eventfd or signal pipe aborts or corrupts Node: a crash of the fuzzer, not of the library).
 */
function genAnyFdSafe(): Gen {
  const a = genAny();
  return typeof a.v === 'number' || typeof a.v === 'bigint' ? genFd() : a;
}
function genFor(param: string, target: string, i: number): Gen {
  const hint = HINTS.find(([re]) => re.test(param))?.[1] ?? 'int';
  if (hint === 'fd') return genFd();
  if (hint === 'path') return chance(0.8) ? genPath() : genAnyFdSafe();
  if (chance(0.2)) return genAny();
  switch (hint) {
    case 'flags': return genFlags(target, i);
    case 'obj': return chance(0.3) ? genInt() : genObj();
    case 'time': return genTime();
    case 'ns': return chance(0.6) ? { v: mk(pick(namespaces)[1], 'an abi namespace') } : genAny();
    case 'mapping': return chance(0.7) && mapping ? { v: mapping } : genAny();
    case 'timer': return chance(0.6) && timer ? { v: timer } : genInt();
    case 'str': return chance(0.6) ? { v: chance(0.5) ? pick(STRINGS) : flagString(target, i) } : genAny();
    default: return chance(0.8) ? genInt() : genAny();
  }
}

// ---- the targets: every exported function, constructor, and method of a real Fd, Mapping and Timer ------------------
/** Parameter names from a function's source ('...rest' for a rest parameter; '{}' for a destructured one). */
function params(f: Function): string[] | null {
  let src = Function.prototype.toString.call(f);
  if (/^class\b/.test(src)) {
    const m = /\bconstructor\s*\(/.exec(src);
    if (!m) {
      const parent = Object.getPrototypeOf(f);
      return parent && parent !== Function.prototype ? params(parent) : [];
    }
    src = src.slice(m.index);
  }
  const start = src.indexOf('(');
  if (start < 0) return null;
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quote = '';
  for (let i = start + 1; i < src.length; i++) {
    const ch = src[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') { quote = ch; continue; }
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) {
      if (depth === 0) { if (cur.trim()) out.push(cur.trim()); break; }
      depth--;
    }
    if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  return out.map((p) => (p.startsWith('...') ? '...rest' : /^[{[]/.test(p) ? '{}' : (/^[\w$]+/.exec(p)?.[0] ?? '?')));
}

interface Target { name: string; params: string[]; call(args: unknown[]): unknown }
const isClass = (f: unknown) => typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));
const all: Target[] = [];
for (const [k, v] of Object.entries(L)) {
  if (typeof v !== 'function') continue;
  const f = v as (...a: unknown[]) => unknown;
  if (isClass(f)) all.push({ name: `new ${k}`, params: params(f) ?? [], call: (a) => Reflect.construct(f, a) });
  else all.push({ name: k, params: params(f) ?? [], call: (a) => f(...a) });
}
function methods(cls: Function | undefined, label: string, instance: () => unknown): void {
  if (!cls) return;
  for (const m of Object.getOwnPropertyNames(cls.prototype)) {
    const d = Object.getOwnPropertyDescriptor(cls.prototype, m)!;
    if (m === 'constructor' || typeof d.value !== 'function') continue;
    let ps = params(d.value) ?? [];
    if (ps.length === 1 && ps[0] === '...rest') ps = (typeof L[m] === 'function' ? params(L[m] as Function) ?? ['fd'] : ['fd', 'a', 'b']).slice(1);
    all.push({ name: `${label}#${m}`, params: ps, call: (a) => (instance() as Record<string, (...x: unknown[]) => unknown>)[m](...a) });
  }
}
methods(Fd, 'Fd', () => (chance(0.9) && fdPool.length ? pick(fdPool).fd : closedFd));
methods(Mapping, 'Mapping', () => mapping);
methods(Timer, 'Timer', () => timer);
all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const excluded = all.filter((t) => excludedBy(t.name)).map((t) => `${t.name}: ${excludedBy(t.name)!.reason}`);
const eligible = all.filter((t) => !excludedBy(t.name));
const mine = eligible.filter((_, i) => i % cfg.slices === cfg.slice);

// ---- calling --------------------------------------------------------------------------------------------------------
const ENGINE = /Cannot (read|set) properties of|is not a function|is not iterable|is not a constructor|Cannot mix BigInt|Cannot convert|Cannot destructure|Cannot create property|Cannot (access|define|write) private|Private field|Cannot assign to read only|Cannot redefine|detached|Receiver must be|cannot be invoked without 'new'|called on null or undefined|not extensible|serialize a BigInt|cannot be converted to a BigInt|Invalid (array|typed array|string) length|Maximum call stack|Invalid time value|Array buffer allocation failed|BigInt too big|Division by zero|must be an instance of|Invalid atomic access|Start offset|offset is out of bounds|length .* out of bounds/;
function origin(e: Error): 'library' | 'engine' | 'node' | 'ffi' {
  const code = (e as { code?: unknown }).code;
  const frame = (e.stack ?? '').split('\n').find((l) => l.trimStart().startsWith('at ')) ?? '';
  if (/core\/backend\.ts|koffi/.test(frame)) return 'ffi';
  if (typeof code === 'string' && code.startsWith('ERR_')) return 'node';
  if (ENGINE.test(e.message)) return 'engine';
  return 'library';
}

interface Counts { calls: number; ok: number; TypeError: number; RangeError: number; SyscallError: number; trap: number; bad: number; skipped: number }
const perTarget: Record<string, Counts> = Object.fromEntries(mine.map((t) => [t.name, { calls: 0, ok: 0, TypeError: 0, RangeError: 0, SyscallError: 0, trap: 0, bad: 0, skipped: 0 }]));
const bad: { target: string; args: string; error: string; message: string; stack: string }[] = [];
let badCount = 0;
const unchecked: Record<string, { count: number; origin: string; example: string }> = {};
const errnos: Record<string, number> = {};
const firstErrno: Record<string, number> = {};
const skippedBy: Record<string, number> = {};
const slow: { ms: number; call: string }[] = [];

function record(t: Target, args: unknown[], argText: string, e: unknown): void {
  const c = perTarget[t.name];
  if (e instanceof FuzzTrap) { c.trap++; return; }
  if (e instanceof SyscallError) {
    if (/^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string' && e.syscall && e.errno < 0) {
      c.SyscallError++;
      errnos[`${t.name} ${e.code}`] = (errnos[`${t.name} ${e.code}`] ?? 0) + 1;
      firstErrno[`${t.name} ${e.code}`] ??= calls - 1;
      return;
    }
  } else if (e instanceof TypeError || e instanceof RangeError) {
    c[e instanceof TypeError ? 'TypeError' : 'RangeError']++;
    const o = origin(e);
    if (o !== 'library') {
      const key = `${t.name}: ${e.constructor.name} from ${o}`;
      const u = (unchecked[key] ??= { count: 0, origin: o, example: `${t.name}(${argText}) -> ${e.constructor.name}: ${e.message.slice(0, 160)}` });
      u.count++;
    }
    const m = /unknown \w+ flag '([^']*)' \(valid: ([^)]*)\)/.exec(e.message);
    if (m) {
      const word = m[1].replace(/^~/, '').toLowerCase();
      const has = (x: unknown) => typeof x === 'string' && x.toLowerCase().includes(word);
      const i = args.findIndex((a) => has(a) || (typeof a === 'object' && a !== null && !hostile.has(a) && Array.isArray(a) && a.some(has)));
      const valid = m[2].split(', ').filter(Boolean);
      if (i >= 0 && valid.length) learned.set(`${t.name}/${i}`, valid);
    }
    return;
  }
  c.bad++;
  badCount++;
  if (c.bad <= 3 && bad.length < 60) { // the first three of each target
    const err = e as Error;
    bad.push({
      target: t.name, args: argText,
      error: e instanceof Error ? `${err.constructor?.name ?? 'Error'}${e instanceof SyscallError ? ' (malformed)' : ''}` : `a thrown ${typeof e}: ${lab(e)}`,
      message: e instanceof Error ? err.message.slice(0, 300) : '', stack: e instanceof Error ? (err.stack ?? '').split('\n').slice(1, 6).join('\n') : '',
    });
  }
}

/** Release what a call returned: Fds closed, Mappings unmapped, Timers deleted (pool objects excepted). */
function dispose(r: unknown, depth = 0): void {
  if (r === null || typeof r !== 'object' || pooled(r) || hostile.has(r)) return;
  try {
    if (r instanceof Fd) return void r.close();
    if (Mapping && r instanceof Mapping) return void (r as unknown as { munmap(): void }).munmap();
    if (Timer && r instanceof Timer) return void (r as unknown as { delete(): void }).delete();
  } catch { /* already gone */ }
  if (depth > 0 || ArrayBuffer.isView(r)) return;
  for (const v of Array.isArray(r) ? r.slice(0, 16) : Object.values(r).slice(0, 16)) dispose(v, depth + 1);
}

const hasChildren = () => {
  try {
    return readdirSync('/proc/self/task').some((tid) => readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim() !== '');
  } catch {
    return true; // cannot tell: do not wait
  }
};

function view(t: Target, args: unknown[]): CallView {
  const idx = (re: RegExp) => t.params.findIndex((p) => re.test(p));
  return {
    args,
    arg: (re) => { const i = idx(re); return i >= 0 ? args[i] : undefined; },
    has: (re) => { const i = idx(re); return i >= 0 && i < args.length; },
    all: (re) => t.params.flatMap((p, i) => (re.test(p) ? [args[i]] : [])),
    reservedFdMax,
    hasChildren,
    Timex: abi.Timex as unknown as CallView['Timex'],
  };
}

/**
 * A plausible argument: of the kind the parameter's name asks for, a sensible value of it (a live fd, an existing
 * path, flag names the library said it accepts, a small length), or undefined to take the default. A third of the
 * calls are made of these only, to get past the first check and reach the kernel with mostly valid arguments.
 */
function genPlausible(param: string, target: string, i: number): Gen {
  const hint = HINTS.find(([re]) => re.test(param))?.[1] ?? 'int';
  const known = learned.get(`${target}/${i}`);
  switch (hint) {
    case 'fd': return fdPool.length ? { v: chance(0.5) ? pick(fdPool).fd : pick(fdPool).num } : genFd();
    case 'path': return { v: pick(['file', 'dir', 'dir/sub', 'link', 'dangling', `new-${below(8)}`, `dir/new-${below(4)}`, '/proc/self/status']) };
    case 'flags': return { v: known?.length && chance(0.7) ? Array.from({ length: 1 + below(2) }, () => pick(known)).join(',') : chance(0.5) ? undefined : 0 };
    case 'obj': return g(pick([() => pick(structs)(), () => mk(Buffer.alloc(pick([8, 16, 64, 144, 256, 4096])), 'Buffer'), () => pick(OBJECTS)(), () => undefined]));
    case 'time': return { v: pick([0, 0.001, 1, 0n, 1_000_000n, 'now', 'omit', undefined]) };
    case 'ns': return { v: mk(pick(namespaces)[1], 'an abi namespace') };
    case 'mapping': return { v: mapping };
    case 'timer': return { v: timer };
    case 'str': return { v: pick(['user.fuzz', 'trusted.fuzz', 'x', 'utf8', 'buffer']) };
    default: return { v: pick([0, 1, 2, 8, 64, 100, 4096, 0o644, 0o755, undefined]) };
  }
}

function genArgs(t: Target): unknown[] {
  const p = t.params.filter((x) => x !== '...rest');
  if (chance(1 / 3)) {
    const args = p.map((name, i) => genPlausible(name, t.name, i).v);
    while (args.length && args[args.length - 1] === undefined) args.pop();
    return args;
  }
  const rest = t.params.includes('...rest');
  let n = p.length;
  const r = rnd();
  if (r < 0.15 && n > 0) n = below(n);
  else if (r < 0.3 || (rest && r < 0.6)) n += 1 + below(2);
  return Array.from({ length: n }, (_, i) => genFor(p[i] ?? 'extra', t.name, i).v);
}

/**
 * Child processes of Node's own (tsx keeps an esbuild service running when it had to compile a file) would make every
 * wait block: end them now that every module is loaded.
 */
async function endHelpers(): Promise<number> {
  const kids = () => readdirSync('/proc/self/task').flatMap((tid) => readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(' ')).filter(Boolean).map(Number);
  const found = kids();
  for (const k of found) try { process.kill(k, 'SIGKILL'); } catch { /* gone */ }
  for (let i = 0; i < 200 && kids().length; i++) await new Promise((r) => setTimeout(r, 10)); // Node reaps them
  return found.length;
}
const helpersEnded = await endHelpers();

let calls = 0;
let attempts = 0;
/** Set when a call took root away for good (a guard missed it): the rest of the run would test nothing. */
let lostRoot: string | undefined;
async function main(): Promise<void> {
  const quota = cfg.calls;
  while (calls < quota && mine.length && attempts < quota * 20) {
    attempts++;
    const t = pick(mine);
    const args = genArgs(t);
    const guard = guardsOf(t.name).find((gd) => { try { return gd.reject(view(t, args)); } catch { return true; } });
    if (guard) {
      perTarget[t.name].skipped++;
      skippedBy[`${t.name}: ${guard.reason}`] = (skippedBy[`${t.name}: ${guard.reason}`] ?? 0) + 1;
      continue;
    }
    const argText = args.map(lab).join(', ');
    out(`P\t${calls}\t${t.name}\t${argText.replace(/[\n\t]/g, ' ').slice(0, 600)}`);
    calls++;
    perTarget[t.name].calls++;
    const start = performance.now();
    try {
      let r = t.call(args);
      if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function') {
        r = await Promise.race([r, new Promise((_, rej) => setTimeout(() => rej(new FuzzTrap('promise did not settle in 5 s')), 5000))]);
      }
      if (r !== null && typeof r === 'object' && typeof (r as Iterator<unknown>).next === 'function' && Symbol.iterator in (r as object)) {
        let k = 0;
        for (const item of r as Iterable<unknown>) { dispose(item); if (++k >= 64) break; }
      }
      dispose(r);
      perTarget[t.name].ok++;
    } catch (e) {
      record(t, args, argText, e);
    }
    const ms = performance.now() - start;
    if (ms > 20) slow.push({ ms: Math.round(ms), call: `${t.name}(${argText.slice(0, 200)})` });
    for (const r of restoresOf(t.name)) try { restores[r.restore](); } catch { /* best effort */ }
    raw.fchdir(cwdFd);
    repairFds();
    repairOthers();
    if (calls % 250 === 0) { fixtures(); sweep(); }
  }
}

await main();
for (const a of [cwdFd, rootFd]) closeSync(a);
slow.sort((a, b) => b.ms - a.ms);
out(`R\t${JSON.stringify({
  slice: cfg.slice, slices: cfg.slices, seed: cfg.seed, calls, attempts, ms: Date.now() - t0,
  targets: mine.map((t) => t.name), allTargets: all.length, excluded, eligible: eligible.length,
  perTarget, bad, badCount, unchecked, signals: signalsSeen, skippedBy, slow: slow.slice(0, 8),
  errnos, firstErrno, fdPool: fdPool.map((e) => `${e.kind}=${e.num}`), reservedFdMax,
  params: Object.fromEntries(mine.map((t) => [t.name, t.params.join(', ')])),
  learned: learned.size, helpersEnded, lostRoot, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
})}`);
process.exit(0);
