// The calls the adversary makes (test/fuzz-adversary.test.ts): each target builds one call of the public API with one
// lying argument (or a hook in a later argument), and says how to tell afterwards whether the kernel touched memory
// outside the windows it was given (the guard check of every arena runs after every call; these add what the kernel
// read: file contents, pipes, xattrs, the hostname, names the kernel made from a path).
import { closeSync, fstatSync, ftruncateSync, lstatSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, rmSync, writeSync, constants as FS } from 'node:fs';
import * as lib from '../src/index.ts';
import { raw } from '../src/raw.ts';
import { Arena, BYTE_LIES, Ctx, LieClass, gc, leakCheck, majorGc, type StructCls } from './fuzz-adversary-lies.ts';

type Fn = (...a: unknown[]) => unknown;
/** A socket end as the tests hold it (close() only). */
type SockFd = { close(): void };
/** The public API, looked up by name (so that this file does not break when a signature changes). */
export const L = lib as unknown as Record<string, Fn> & Record<string, StructCls>;
const F = (name: string): Fn => {
  const f = L[name];
  if (typeof f !== 'function') throw new Error(`the API has no ${name}`);
  return f as Fn;
};

/** What a target hands to the child: run the call; then check what the kernel read (undefined: nothing wrong). */
export interface Call {
  run(): unknown;
  verify?(result: unknown, error: unknown): string | undefined;
  /** After the verdict: undo what the call did (files, hostname). */
  cleanup?(): void;
}
export interface Target {
  name: string;
  /** W: the kernel writes user memory; R: reads it; P: reads a path; G: garbage collection around an fd; S: self-test. */
  kind: 'W' | 'R' | 'P' | 'G' | 'S';
  classes: readonly LieClass[];
  /** How often it is drawn, relative to the others (default 1). */
  weight?: number;
  make(c: Ctx, e: Env): Call | Promise<Call>;
  async?: boolean;
}

/** The fixtures a child made in its working directory (a tmpfs), and what it may do there. */
export interface Env {
  urandom: number;
  /** A pipe as two FIFO opens, both non-blocking. */
  pipeR: number;
  pipeW: number;
  /** Whether sethostname may run (a UTS namespace of the sandbox's own) and adjtimex (no CAP_SYS_TIME). */
  uts: boolean;
  timex: boolean;
  xattr: string;
  hostname: string;
  /** A page followed by a PROT_NONE page (windows at its end); a file handle of fx-data; the directory it is in. */
  page?: { address: number; buf: Buffer };
  handle?: Buffer;
  mountFd: number;
}

const FX = 'fx-';
const AT_FDCWD = -100;
const isClass = (cls: LieClass, ...xs: LieClass[]) => xs.includes(cls);
const W_STRUCT: LieClass[] = ['honest', 'struct-$', 'proxy', 'fake', 'edge', 'mapped', 'global', 'later', 'gc'];
const BYTES_LATER: LieClass[] = [...BYTE_LIES, 'later', 'gc'];

// ---- helpers -----------------------------------------------------------------------------------------------------------

/** A window length: mostly a multiple of 8 (so that every typed array kind fits), sometimes odd or empty. */
function winLen(c: Ctx, max = 256): number {
  const r = c.rng;
  if (r.chance(0.05)) return 0;
  if (r.chance(0.15)) return r.int(1, max);
  return 8 * r.int(1, max >> 3);
}

/** A buffer argument over a fresh arena, lying as the call's class says (honest for 'later': it is the victim). */
function bytesArg(c: Ctx, role: string, o: { len?: number; fill?: 'payload' | 'zero'; max?: number } = {}): { a: Arena; v: unknown } {
  const resizable = c.cls === 'edge' || ((c.cls === 'later' || c.cls === 'gc') && c.rng.chance(0.5));
  const a = c.arena(role, o.len ?? winLen(c, o.max), { resizable, fill: o.fill });
  const v = c.bytes(a, BYTE_LIES.includes(c.cls) ? c.cls : 'honest');
  c.victim({ kind: 'bytes', arena: a, obj: v });
  return { a, v };
}

/** The array of buffers for readv and friends, lying as the class says; returns the arenas too. */
function iovArg(c: Ctx, role: string, strings = false): { arenas: Arena[]; v: unknown; max: () => number } {
  const r = c.rng;
  const n = r.int(1, 4);
  const arenas: Arena[] = [];
  const items: unknown[] = [];
  const liar = r.below(n);
  for (let i = 0; i < n; i++) {
    const resizable = (c.cls === 'later' || c.cls === 'edge') && r.chance(0.5);
    const a = c.arena(`${role}[${i}]`, winLen(c, 128), { resizable });
    arenas.push(a);
    if (strings && r.chance(0.1) && c.cls === 'honest') { items.push(a.payload.toString('latin1')); c.note(`${role}[${i}]: a string of ${a.len}`); continue; }
    const cls = BYTE_LIES.includes(c.cls) && i === liar ? c.cls : 'honest';
    const v = c.bytes(a, cls);
    items.push(v);
    if (i === 0) c.victim({ kind: 'bytes', arena: a, obj: v });
  }
  const max = () => arenas.reduce((s, a) => s + a.len, 0);
  let v: unknown = items;
  if (c.cls === 'iovec') v = lyingArray(c, arenas, items);
  else if (c.cls === 'later' && n >= 1) {
    // element n (an extra one) is a getter that mutates element 0, already read and checked
    const h = c.hook(`${role}[${n}] getter`);
    const extra = c.arena(`${role}[${n}]`, 8);
    arenas.push(extra);
    const ev = extra.buffer();
    Object.defineProperty(items, n, { get() { h?.(); return ev; }, enumerable: true, configurable: true });
  } else if (c.cls === 'gc') {
    // fresh buffers nobody else holds, and a gc() in a later element's getter
    const k = items.length;
    for (let i = 0; i < 2; i++) items.push(Buffer.alloc(r.pick([16, 4096, 65536])));
    const extra = c.arena(`${role}[${k + 2}]`, 8);
    arenas.push(extra);
    const ev = extra.buffer();
    Object.defineProperty(items, k + 2, { get() { gc(); return ev; }, enumerable: true, configurable: true });
    c.note(`${role}: two fresh Buffer.alloc elements nobody else holds, then an element whose getter runs gc()`);
    return { arenas, v: items, max: () => max() + (items[k] as Buffer).length + (items[k + 1] as Buffer).length };
  }
  return { arenas, v, max };
}

/** Array-level lies for an iovec argument. */
function lyingArray(c: Ctx, arenas: Arena[], items: unknown[]): unknown {
  const r = c.rng;
  const big = (i: number) => arenas[i].bigger();
  switch (r.below(7)) {
    case 0: {
      const A = class LyingArray extends Array {};
      const arr = A.from(items);
      const methods = ['map', 'forEach', 'slice', 'at', 'entries', 'values', Symbol.iterator, 'filter', 'reduce'] as const;
      const picked = new Set<(typeof methods)[number]>();
      for (let i = r.int(1, 3); i > 0; i--) picked.add(r.pick(methods));
      for (const m of picked) {
        const d: Record<PropertyKey, unknown> = {
          map: function (this: unknown[], f: (v: unknown, i: number) => unknown) { c.touch('map'); return items.map((_, i) => f(big(i), i)); },
          forEach: function (f: (v: unknown, i: number) => void) { c.touch('forEach'); items.forEach((_, i) => f(big(i), i)); },
          slice: () => { c.touch('slice'); return items.map((_, i) => big(i)); },
          at: (i: number) => { c.touch('at'); return big(i); },
          entries: function* () { c.touch('entries'); for (let i = 0; i < items.length; i++) yield [i, big(i)]; },
          values: function* () { c.touch('values'); for (let i = 0; i < items.length; i++) yield big(i); },
          [Symbol.iterator]: function* () { c.touch('iterator'); for (let i = 0; i < items.length; i++) yield big(i); },
          filter: () => { c.touch('filter'); return items.map((_, i) => big(i)); },
          reduce: () => { c.touch('reduce'); return 0; },
        };
        Object.defineProperty(A.prototype, m, { value: d[m as PropertyKey], configurable: true, writable: true });
      }
      c.note(`iovec: class extends Array overriding ${[...picked].map(String).join(', ')} to hand out views over the guards`);
      return arr;
    }
    case 1: {
      Object.defineProperty(items, 'map', { value: (f: (v: unknown, i: number) => unknown) => { c.touch('own map'); return items.map((_, i) => f(big(i), i)); }, configurable: true });
      c.note('iovec: an array with an own map() handing out views over the guards');
      return items;
    }
    case 2: {
      const lie = r.pick<[unknown, string]>([[items.length + 1, 'length+1'], [items.length + 1000, 'length+1000'], [2 ** 32, '2**32'], [-1, '-1'], [1.5, '1.5'], [String(items.length), "'n' (a string)"], [0, '0']]);
      const p = new Proxy(items, { get: (t, k) => { if (k === 'length') { c.touch('proxy length'); return lie[0]; } return Reflect.get(t, k); } });
      c.note(`iovec: Proxy around the array with length ${lie[1]}`);
      return p;
    }
    case 3: {
      // each element honest at its first read, a view over the guards after
      const reads = new Map<PropertyKey, number>();
      const p = new Proxy(items, {
        get: (t, k) => {
          const i = typeof k === 'string' && /^\d+$/.test(k) ? Number(k) : -1;
          if (i < 0 || i >= items.length) return Reflect.get(t, k);
          const n = reads.get(k) ?? 0;
          reads.set(k, n + 1);
          c.touch('proxy element');
          return n === 0 ? t[i] : big(i);
        },
      });
      c.note('iovec: Proxy whose elements are honest at the first read and views over the guards at later reads');
      return p;
    }
    case 4: {
      const i = r.below(items.length);
      const honest = items[i];
      let n = 0;
      Object.defineProperty(items, i, { get() { c.touch('element getter'); return n++ === 0 ? honest : big(i); }, enumerable: true, configurable: true });
      c.note(`iovec: element ${i} a getter, honest once, then a view over the guards`);
      return items;
    }
    case 5: {
      const sparse: unknown[] = [];
      sparse.length = items.length + 1;
      items.forEach((v, i) => { sparse[i + 1] = v; });
      c.note('iovec: a sparse array (a hole first)');
      return sparse;
    }
    default: {
      const like: Record<string, unknown> = { length: items.length };
      items.forEach((v, i) => { like[i] = v; });
      c.note('iovec: an array-like object (not an array)');
      return like;
    }
  }
}

/** A struct view argument: a victim for 'later', a liar for the struct classes. */
function structArg(c: Ctx, role: string, Cls: StructCls): unknown {
  return c.struct(role, Cls, isClass(c.cls, 'struct-$', 'proxy', 'fake', 'edge', 'mapped') ? c.cls : 'honest');
}

/** A struct view whose $buffer/$offset getters run a hook (a later argument that mutates earlier ones), honest otherwise. */
function hookedStruct(c: Ctx, role: string, Cls: StructCls): unknown {
  const h = c.hook(`${role}.$buffer getter`);
  const a = c.arena(role, Cls.size);
  const v = c.construct(Cls, a.buffer(), 0);
  const honest = a.buffer();
  if (h) {
    try {
      Object.defineProperty(v, '$buffer', { get() { h(); return honest; }, configurable: true });
      Object.defineProperty(v, '$offset', { get() { h(); return 0; }, configurable: true });
    } catch { /* refused */ }
  }
  return v;
}

/** A path Buffer whose own methods (indexOf, length, ...) run a hook, honest otherwise (a later path argument). */
function hookedPath(c: Ctx, role: string, text: string): unknown {
  const h = c.hook(`${role}'s indexOf/length/subarray`);
  const b = Buffer.from(`${text}\0`);
  if (!h) return b;
  const C = class HookedPath extends Uint8Array {};
  Object.setPrototypeOf(C.prototype, Buffer.prototype);
  const v = Reflect.construct(Uint8Array, [b.buffer, b.byteOffset, b.length], C) as Uint8Array;
  const len = b.length;
  for (const k of ['indexOf', 'includes', 'subarray', 'slice', 'toString']) {
    const orig = (Buffer.prototype as unknown as Record<string, Fn>)[k];
    Object.defineProperty(C.prototype, k, { value(this: unknown, ...a: unknown[]) { h(); return orig.apply(this, a); }, configurable: true, writable: true });
  }
  Object.defineProperty(C.prototype, 'length', { get() { h(); return len; }, configurable: true });
  Object.defineProperty(C.prototype, 'byteLength', { get() { h(); return len; }, configurable: true });
  return v;
}

/** A directory Fd (a subclass of Fd) whose fileno and closed getters run a hook, honest otherwise (a later fd argument). */
function hookedDirFd(c: Ctx, role: string): unknown {
  const h = c.hook(`${role}'s fileno getter`);
  const Fd = L.Fd as unknown as new (n: number) => { close(): void };
  const C = class HookFd extends Fd {};
  const base = Object.getOwnPropertyDescriptor(L.Fd.prototype, 'fileno')?.get;
  Object.defineProperty(C.prototype, 'fileno', { get(this: object) { h?.(); return base?.call(this); }, configurable: true });
  const fd = new C(openSync('.', FS.O_RDONLY | FS.O_DIRECTORY));
  c.cleanups.push(() => { try { fd.close(); } catch { /* closed */ } });
  return fd;
}

/** A flags argument: plain, or (for 'later' and 'gc') an array whose last word is a getter running a hook. */
function flagsArg(c: Ctx, words: (string | number)[], where: string): unknown {
  if (c.cls === 'gc') {
    const arr: unknown[] = words.slice(0, -1);
    const last = words[words.length - 1];
    Object.defineProperty(arr, arr.length, { get() { gc(); return last; }, enumerable: true, configurable: true });
    c.note(`${where}: a flags array whose last word's getter runs gc()`);
    return arr;
  }
  if (c.cls !== 'later') return words.length === 1 ? words[0] : words.join(',');
  return c.flagsWith(words as string[], where);
}

/** A fresh file to write into (truncated), read back after the call. */
function outFile(): { fd: number; read(): Buffer; close(): void } {
  const name = `${FX}out`;
  const fd = openSync(name, FS.O_RDWR | FS.O_CREAT | FS.O_TRUNC, 0o644);
  return { fd, read: () => readFileSync(name), close: () => { try { closeSync(fd); } catch { /* closed by a hook */ } } };
}

function drain(fd: number, limit = 1 << 20): Buffer {
  const parts: Buffer[] = [];
  const b = Buffer.allocUnsafe(65536);
  for (let total = 0; total < limit;) {
    let n = 0;
    try { n = readSync(fd, b, 0, b.length, null); } catch { break; }
    if (n <= 0) break;
    parts.push(Buffer.from(b.subarray(0, n)));
    total += n;
  }
  return Buffer.concat(parts);
}

/** An fd of its own for this call (a hook may close it and put another file at its number). */
function callFd(c: Ctx, path: string, flags: number): number {
  const fd = openSync(path, flags);
  c.victim({ kind: 'fd', fd, reopen: () => { closeSync(fd); return openSync('/dev/zero', FS.O_RDONLY); } });
  c.cleanups.push(() => { try { closeSync(fd); } catch { /* gone */ } });
  return fd;
}

/** The result of a hostname-like read back. */
const procText = (p: string) => { const b = readFileSync(p); return b[b.length - 1] === 0x0a ? b.subarray(0, b.length - 1) : b; };

// ---- paths -------------------------------------------------------------------------------------------------------------

/** A path window: 'adv' + letters, then a NUL (or not); lying as the call's class says. */
function pathArg(c: Ctx, role: string, o: { trap?: boolean; prefix?: string } = {}): { a: Arena; v: unknown } {
  const r = c.rng;
  const prefix = o.prefix ?? 'adv';
  const len = r.int(prefix.length + 3, 40);
  const nul = !(isClass(c.cls, 'subclass', 'fake', 'proxy', 'own-value', 'own-getter', 'flip-getter') && r.chance(0.6));
  let a: Arena;
  if (c.cls === 'race' && c.raceBuf) {
    a = c.arena(role, len, { fill: 'path', prefix, nul: true, shared: { sab: c.raceBuf.sab, at: c.raceBuf.at }, after: 64 });
    const rb = c.raceBuf;
    c.note(`${role}: a Buffer over a SharedArrayBuffer (${len} bytes, NUL-terminated) whose final byte another thread flips between NUL and 'X' during the call`);
    c.cleanups.push(() => rb.stop());
    rb.start(a.start + a.len - 1, 0, 0x58);
    const v = Buffer.from(a.ab, a.start, a.len);
    if (o.trap) traps(a);
    return { a, v };
  }
  a = c.arena(role, len, { fill: 'path', prefix, nul, resizable: c.cls === 'later' && r.chance(0.3), after: 8 * r.int(4, 24) });
  const cls = BYTE_LIES.includes(c.cls) ? c.cls : 'honest';
  const v = c.bytes(a, cls === 'edge' ? 'honest' : cls, true);
  if (!nul) c.note(`${role}: the window has no NUL`);
  c.victim({ kind: 'path', arena: a, obj: v });
  if (o.trap) traps(a);
  return { a, v };
}

/**
 * Trap files: the names a kernel reading the path past its window would see (the window, its final byte 'X' or as
 * made, or all 'Y', then the guard's '~GRD<tag>'), each a file of 7777 bytes.
 */
const TRAP_SIZE = 7777;
function traps(a: Arena): void {
  const stem = a.payload.subarray(0, a.len - 1);
  const last = a.payload[a.len - 1];
  const names = new Set([
    Buffer.concat([stem, Buffer.from(last === 0 ? 'X' : String.fromCharCode(last)), Buffer.from(a.pathGuard)]),
    Buffer.concat([Buffer.alloc(a.len, 'Y'), Buffer.from(a.pathGuard)]),
  ].map((b) => b.toString('latin1')));
  for (const n of names) {
    try {
      const fd = openSync(Buffer.from(n, 'latin1'), FS.O_CREAT | FS.O_WRONLY, 0o644);
      ftruncateSync(fd, TRAP_SIZE);
      closeSync(fd);
    } catch { /* a name the fs refuses: no trap */ }
  }
}

/** What the kernel made from paths read past their windows: names with '~GRD' (files, symlink targets, xattr names). */
function scanPaths(extraXattrFile?: string): string | undefined {
  const bad: string[] = [];
  for (const e of readdirSync('.', { withFileTypes: true, encoding: 'buffer' })) {
    const name = e.name.toString('latin1');
    if (name.startsWith(FX)) continue;
    const trap = name.includes('~GRD');
    // a trap file that is no longer a plain 7777-byte file was opened for writing, or replaced
    if (trap) {
      let st: ReturnType<typeof fstatSync> | undefined;
      try { const fd = openSync(e.name, FS.O_RDONLY | FS.O_NOFOLLOW | FS.O_NONBLOCK); st = fstatSync(fd); closeSync(fd); } catch { /* not a file */ }
      if (!st || !st.isFile() || st.size !== TRAP_SIZE) bad.push(`a name made from bytes past the path's window: ${JSON.stringify(name)}`);
    } else if (e.isFile()) {
      // a link to a trap, or a trap renamed: the kernel read the old path past its window
      try { if (lstatSync(e.name).size === TRAP_SIZE) bad.push(`a file made from a trap (the old path read past its window): ${JSON.stringify(name)}`); } catch { /* gone */ }
    }
    if (e.isSymbolicLink()) {
      const t = readlinkSync(e.name, { encoding: 'buffer' }).toString('latin1');
      if (t.includes('~GRD')) bad.push(`a symlink target read past its window: ${JSON.stringify(t)}`);
    }
  }
  if (extraXattrFile) {
    try {
      for (const n of F('listxattr')(extraXattrFile) as string[]) if (n.includes('~GRD')) bad.push(`an xattr name read past its window: ${JSON.stringify(n)}`);
    } catch { /* none */ }
  }
  return bad.length ? bad.join('; ') : undefined;
}

/** Remove what a path call made (everything in the working directory that is not a fixture). */
export function cleanPaths(): void {
  for (const e of readdirSync('.', { encoding: 'buffer' })) {
    if (e.toString('latin1').startsWith(FX)) continue;
    try { rmSync(e, { recursive: true, force: true }); } catch { /* best effort */ }
  }
}

/** A result that names a trap file: the kernel read the path past its window. */
function trapResult(res: unknown): string | undefined {
  const size = (res as { size?: unknown } | null)?.size;
  if (size === BigInt(TRAP_SIZE) || size === TRAP_SIZE) return 'the call answered for a trap file (a name made from bytes past the path\'s window)';
  return undefined;
}
function trapFd(res: unknown): string | undefined {
  const n = typeof res === 'number' ? res : (res as { fileno?: number } | null)?.fileno;
  if (typeof n !== 'number' || n < 0) return undefined;
  try {
    if (fstatSync(n).size === TRAP_SIZE) return 'the call opened a trap file (a name made from bytes past the path\'s window)';
  } catch { /* closed */ }
  return undefined;
}

// ---- the targets ---------------------------------------------------------------------------------------------------

function statTarget(name: string, run: (c: Ctx, e: Env, st: unknown) => unknown, Cls: () => StructCls, later?: (c: Ctx, e: Env) => Call): Target {
  return {
    name, kind: 'W', classes: later ? [...W_STRUCT] : W_STRUCT.filter((x) => x !== 'later' && x !== 'gc'),
    make(c, e) {
      if ((c.cls === 'later' || c.cls === 'gc') && later) return later(c, e);
      const st = structArg(c, 'st', Cls());
      return { run: () => run(c, e, st) };
    },
  };
}

export const TARGETS: Target[] = [
  // ---- the kernel writes into user memory ----
  {
    name: 'read', kind: 'W', classes: BYTE_LIES,
    make(c, e) {
      const { a, v } = bytesArg(c, 'buf');
      const form = c.rng.below(4);
      if (form === 1) {
        const off = c.rng.int(0, a.len);
        const len = c.rng.int(0, a.len - off);
        c.note(`read(urandom, buf, ${off}, ${len})`);
        return { run: () => F('read')(e.urandom, v, off, len) };
      }
      if (form === 2) {
        const fd = F('open')('/dev/urandom') as { read: Fn; close(): void };
        c.cleanups.push(() => fd.close());
        c.note('Fd#read(buf)');
        return { run: () => fd.read(v) };
      }
      return { run: () => F('read')(e.urandom, v) };
    },
  },
  {
    name: 'pread', kind: 'W', classes: BYTE_LIES,
    make(c, e) {
      const { v } = bytesArg(c, 'buf');
      const pos = c.rng.int(0, 1 << 20);
      return { run: () => F('pread')(e.urandom, v, pos) };
    },
  },
  {
    name: 'getrandom', kind: 'W', classes: BYTES_LATER,
    make(c) {
      const { v } = bytesArg(c, 'buf');
      const how = flagsArg(c, c.rng.chance(0.5) ? ['nonblock'] : ['insecure'], 'how');
      return { run: () => F('getrandom')(v, how) };
    },
  },
  {
    name: 'readv', kind: 'W', classes: [...BYTE_LIES, 'iovec', 'later', 'gc'],
    make(c, e) {
      const { v } = iovArg(c, 'bufs');
      const fd = callFd(c, '/dev/urandom', FS.O_RDONLY);
      return { run: () => F('readv')(fd, v) };
    },
  },
  {
    name: 'preadv2', kind: 'W', classes: [...BYTE_LIES, 'iovec', 'later', 'gc'],
    make(c) {
      const { v } = iovArg(c, 'bufs');
      const fd = callFd(c, '/dev/urandom', FS.O_RDONLY);
      const how = flagsArg(c, [0], 'how');
      return { run: () => F('preadv2')(fd, v, c.rng.int(0, 4096), how) };
    },
  },
  {
    name: 'vmsplice (from a pipe)', kind: 'W', classes: [...BYTE_LIES, 'iovec', 'later', 'gc'],
    make(c, e) {
      const { v } = iovArg(c, 'bufs');
      // the pipe full of payload bytes first
      const fill = Buffer.alloc(65536, 'p');
      try { writeSync(e.pipeW, fill); } catch { /* full */ }
      return { run: () => F('vmsplice')(e.pipeR, v), cleanup: () => { drain(e.pipeR); } };
    },
  },
  statTarget('fstat', (c, e, st) => (c.rng.chance(0.3) ? (F('open')('/dev/urandom') as { fstat: Fn }).fstat(st) : F('fstat')(e.urandom, st)), () => L.Stat),
  statTarget('stat', (_c, _e, st) => F('stat')(`${FX}data`, st), () => L.Stat, (c) => {
    // a hook in st (read after the path was checked) rewrites the path
    const { v: p } = pathArg(c, 'path', { trap: true });
    const st = hookedStruct(c, 'st', L.Stat);
    return { run: () => F('stat')(p, st), verify: (res) => trapResult(res) ?? scanPaths(), cleanup: cleanPaths };
  }),
  statTarget('lstat', (_c, _e, st) => F('lstat')(`${FX}data`, st), () => L.Stat),
  statTarget('fstatat', (_c, _e, st) => F('fstatat')(AT_FDCWD, `${FX}data`, 0, st), () => L.Stat, (c) => {
    const dfd = callFd(c, '.', FS.O_RDONLY | FS.O_DIRECTORY);
    const { v: p } = pathArg(c, 'path', { trap: true });
    const how = c.rng.chance(0.5) ? flagsArg(c, ['symlink_nofollow'], 'how') : 0;
    const st = how === 0 ? hookedStruct(c, 'st', L.Stat) : structArg(c, 'st', L.Stat);
    return { run: () => F('fstatat')(dfd, p, how, st), verify: (res) => trapResult(res) ?? scanPaths(), cleanup: cleanPaths };
  }),
  statTarget('statx', (_c, _e, stx) => F('statx')(AT_FDCWD, `${FX}data`, 0, 'basic_stats', stx), () => L.Statx, (c) => {
    const { v: p } = pathArg(c, 'path', { trap: true });
    const st = structArg(c, 'stx', L.Statx);
    const how = flagsArg(c, ['symlink_nofollow'], 'how');
    const mask = c.rng.chance(0.5) ? flagsArg(c, ['basic_stats'], 'mask') : 'basic_stats';
    return { run: () => F('statx')(AT_FDCWD, p, how, mask, st), verify: (res) => trapResult(res) ?? scanPaths(), cleanup: cleanPaths };
  }),
  statTarget('statfs', (_c, _e, s) => F('statfs')('.', s), () => L.Statfs),
  statTarget('fstatfs', (_c, e, s) => F('fstatfs')(e.urandom, s), () => L.Statfs),
  statTarget('getrusage', (c, _e, ru) => F('getrusage')(c.rng.pick(['self', 'children', 'thread']), ru), () => L.Rusage),
  statTarget('clock_gettime', (c, _e, ts) => F('clock_gettime')(c.rng.pick(['monotonic', 'realtime', 'boottime', 'process_cputime_id']), ts), () => L.Timespec),
  statTarget('clock_getres', (_c, _e, ts) => F('clock_getres')('monotonic', ts), () => L.Timespec),
  statTarget('gettimeofday', (_c, _e, tv) => F('gettimeofday')(tv), () => L.Timeval),
  // (no 'mapped' here: writing the fields of a struct over memory that SIGBUSes is what the caller asked for)
  { ...statTarget('toTimespec (accessors only)', (c, _e, ts) => F('toTimespec')(c.rng.pick([0, 1.5, 123456789n, new Date(0)]), ts), () => L.Timespec), classes: W_STRUCT.filter((x) => !['later', 'gc', 'mapped', 'global'].includes(x)) },
  {
    name: 'adjtimex', kind: 'W', classes: W_STRUCT.filter((x) => x !== 'later' && x !== 'gc'),
    make(c, e) {
      if (!e.timex) throw new Skip('CAP_SYS_TIME is not dropped: a lie could adjust the clock');
      const tx = structArg(c, 'tx', L.Timex);
      return c.rng.chance(0.5) ? { run: () => F('adjtimex')(tx) } : { run: () => F('clock_adjtime')('realtime', tx) };
    },
  },
  {
    name: 'fcntl getlk', kind: 'W', classes: W_STRUCT.filter((x) => x !== 'later' && x !== 'gc'),
    make(c) {
      const fd = callFd(c, `${FX}data`, FS.O_RDWR);
      const lk = structArg(c, 'lock', L.Lock);
      return { run: () => F('fcntl')(fd, c.rng.pick(['getlk', 'ofd_getlk']), lk) };
    },
  },
  {
    name: 'fcntl getown_ex', kind: 'W', classes: BYTE_LIES,
    make(c, e) {
      const { v } = bytesArg(c, 'arg', { len: c.rng.pick([8, 8, 16, 4, 0]) });
      return { run: () => F('fcntl')(e.urandom, 'getown_ex', v) };
    },
  },
  {
    name: 'recv', kind: 'W', classes: BYTE_LIES,
    make(c) {
      const { a, v } = bytesArg(c, 'buf');
      // a stream pair whose peer holds more than any window: the kernel fills as much as it is told it may
      const [r, w] = F('socketpair')('unix', 'stream, cloexec, nonblock') as [SockFd, SockFd];
      c.cleanups.push(() => { r.close(); w.close(); });
      F('send')(w, Buffer.alloc(a.len + 64, 0x5a));
      if (c.rng.chance(0.5)) {
        c.note('recvfrom(sock, buf)');
        return { run: () => F('recvfrom')(r, v) };
      }
      return { run: () => F('recv')(r, v, c.rng.chance(0.3) ? 'peek' : 0) };
    },
  },
  // ---- the kernel reads user memory ----
  {
    name: 'send', kind: 'R', classes: BYTE_LIES,
    make(c) {
      const { a, v } = bytesArg(c, 'data');
      // datagrams keep their boundary: what the kernel read is exactly the one message the peer receives
      const [s, p] = F('socketpair')('unix', 'dgram, cloexec, nonblock') as [SockFd, SockFd];
      c.cleanups.push(() => { s.close(); p.close(); });
      const got = () => {
        try { return F('recv')(p, 1 << 17) as Buffer; } catch { return Buffer.alloc(0); }
      };
      const to = c.rng.chance(0.3);
      if (to) c.note('sendto(sock, data, null)');
      return {
        run: () => (to ? F('sendto')(s, v, null) : F('send')(s, v)),
        verify: () => leakCheck('the datagram sent', got(), a.len),
      };
    },
  },
  {
    name: 'write', kind: 'R', classes: BYTE_LIES,
    make(c) {
      const { a, v } = bytesArg(c, 'data');
      const o = outFile();
      c.cleanups.push(o.close);
      const form = c.rng.below(3);
      const off = form === 1 ? c.rng.int(0, a.len) : 0;
      const len = form === 1 ? c.rng.int(0, a.len - off) : a.len;
      if (form === 1) c.note(`write(fd, data, ${off}, ${len})`);
      return {
        run: () => (form === 1 ? F('write')(o.fd, v, off, len) : form === 2 ? (F('pwrite')(o.fd, v, 0)) : F('write')(o.fd, v)),
        verify: () => leakCheck('the file written', o.read(), len),
      };
    },
  },
  {
    name: 'writev', kind: 'R', classes: [...BYTE_LIES, 'iovec', 'later', 'gc'],
    make(c) {
      const { v, max } = iovArg(c, 'bufs', true);
      const o = outFile();
      c.cleanups.push(o.close);
      const pw = c.rng.chance(0.4);
      const how = pw ? flagsArg(c, [0], 'how') : 0;
      return {
        run: () => (pw ? F('pwritev2')(o.fd, v, 0, how) : F('writev')(o.fd, v)),
        verify: () => leakCheck('the file written', o.read(), max()),
      };
    },
  },
  {
    name: 'vmsplice (into a pipe)', kind: 'R', classes: [...BYTE_LIES, 'iovec', 'later', 'gc'],
    make(c, e) {
      const { v, max } = iovArg(c, 'bufs', true);
      drain(e.pipeR);
      const how = flagsArg(c, ['nonblock'], 'how');
      return { run: () => F('vmsplice')(e.pipeW, v, how), verify: () => leakCheck('the pipe', drain(e.pipeR), max()) };
    },
  },
  {
    name: 'setxattr', kind: 'R', classes: BYTES_LATER,
    make(c, e) {
      const { a, v } = bytesArg(c, 'value', { max: 512 });
      const file = `${FX}x`;
      const form = c.rng.below(3);
      const how = flagsArg(c, [0], 'how');
      const fd = form === 2 ? callFd(c, file, FS.O_RDONLY) : -1;
      return {
        run: () => (form === 0 ? F('setxattr')(file, e.xattr, v, how) : form === 1 ? F('lsetxattr')(file, e.xattr, v, how) : F('fsetxattr')(fd, e.xattr, v, how)),
        verify: (_r, err) => {
          if (err) return undefined;
          return leakCheck('the xattr value', F('getxattr')(file, e.xattr) as Buffer, a.len);
        },
        cleanup: () => { try { F('removexattr')(file, e.xattr); } catch { /* none */ } },
      };
    },
  },
  {
    name: 'sethostname', kind: 'R', classes: BYTE_LIES,
    make(c, e) {
      if (!e.uts) throw new Skip('not in a UTS namespace of the sandbox');
      const dom = c.rng.chance(0.3);
      const { a, v } = bytesArg(c, 'name', { len: c.rng.int(1, 40) });
      const file = dom ? '/proc/sys/kernel/domainname' : '/proc/sys/kernel/hostname';
      return {
        run: () => F(dom ? 'setdomainname' : 'sethostname')(v),
        verify: (_r, err) => (err ? undefined : leakCheck(dom ? 'the domain name' : 'the hostname', procText(file), a.len)),
        cleanup: () => { F(dom ? 'setdomainname' : 'sethostname')(dom ? '(none)' : e.hostname); },
      };
    },
  },
  {
    name: 'writeFile', kind: 'R', classes: BYTES_LATER,
    make(c) {
      const { a, v } = bytesArg(c, 'data');
      const name = `${FX}wf`;
      const opts = c.cls === 'later' ? c.optionsWith({ flags: 'wronly, creat, trunc', mode: 0o644 }, c.rng.pick(['flags', 'mode']), 'options') : {};
      return { run: () => F('writeFile')(name, v, opts), verify: (_r, err) => (err ? undefined : leakCheck('the file written', readFileSync(name), a.len)) };
    },
  },
  // the *at calls with a later fd argument: its fileno getter (an Fd subclass) runs after the path was checked
  ...(['symlinkat', 'linkat', 'renameat2'] as const).map((name): Target => ({
    name: `${name} (later dirfd)`, kind: 'P', classes: ['honest', 'later'],
    make(c) {
      const { a, v: p } = pathArg(c, name === 'symlinkat' ? 'target' : 'old path', { trap: name !== 'symlinkat' });
      // the old path names a file (what an honest call links or renames)
      if (name !== 'symlinkat') { const nul = a.payload.indexOf(0); closeSync(openSync(a.payload.subarray(0, nul < 0 ? a.len : nul), FS.O_CREAT | FS.O_WRONLY, 0o644)); }
      const other = `adv-new-${c.rng.hex(6)}`;
      const dfd = c.cls === 'later' ? hookedDirFd(c, 'newDirfd') : AT_FDCWD;
      let run: () => unknown;
      if (name === 'symlinkat') run = () => F('symlinkat')(p, dfd, other);
      else if (name === 'linkat') run = () => F('linkat')(AT_FDCWD, p, dfd, other);
      else run = () => F('renameat2')(AT_FDCWD, p, dfd, other, c.cls === 'later' ? flagsArg(c, ['noreplace'], 'how') : 0);
      return { run, verify: (res) => trapFd(res) ?? scanPaths(), cleanup: cleanPaths };
    },
  })),
  {
    // the handle at the very end of a page whose next page is PROT_NONE: a kernel reading more than the library checked
    // (a length lie, or handle_bytes raised by another thread after the check) gets EFAULT
    name: 'open_by_handle_at', kind: 'R', classes: ['honest', 'own-value', 'own-getter', 'flip-getter', 'subclass', 'race'], weight: 2,
    make(c, e) {
      if (!e.page || !e.handle) throw new Skip('no guard page or no file handles');
      const h = e.handle;
      const off = 4096 - h.length;
      e.page.buf.fill(0xf7, 0, off);
      h.copy(e.page.buf, off);
      const win = e.page.buf.subarray(off);
      const bytes = h.readUInt32LE(0);
      let v: unknown = win;
      if (c.cls === 'race' && c.raceBuf?.page) {
        c.raceBuf.start(off, bytes, 128, 'page');
        c.cleanups.push(() => c.raceBuf!.stop());
        c.note(`handle: a ${h.length}-byte file handle at the end of a page (a PROT_NONE page after it) whose handle_bytes another thread flips between ${bytes} and 128`);
      } else if (c.cls === 'subclass') {
        const C = class LyingHandle extends Uint8Array {};
        Object.setPrototypeOf(C.prototype, Buffer.prototype);
        for (const k of ['length', 'byteLength']) Object.defineProperty(C.prototype, k, { get: () => { c.touch(k); return h.length + 128; }, configurable: true });
        v = Reflect.construct(Uint8Array, [win.buffer, win.byteOffset, win.length], C);
        c.note(`handle: a ${h.length}-byte handle at a page's end, a subclass claiming ${h.length + 128} bytes`);
      } else if (c.cls !== 'honest') {
        const e2 = c.rng.int(1, 128);
        for (const k of ['length', 'byteLength']) Object.defineProperty(win, k, c.liar(k, () => h.length, h.length + e2, c.cls));
        c.note(`handle: a ${h.length}-byte handle at a page's end with ${c.cls} length/byteLength ${h.length}+${e2}`);
      } else c.note(`handle: a ${h.length}-byte handle at a page's end`);
      const open = F('open_by_handle_at');
      // a race is won rarely: a burst of attempts per call (until the first error)
      const tries = c.cls === 'race' ? 256 : 1;
      return {
        run: () => {
          for (let i = 1; ; i++) {
            const fd = open(e.mountFd, v, 'rdonly') as { close(): void };
            if (i >= tries) return fd;
            fd.close();
          }
        },
        verify: (_r, err) => ((err as { code?: string } | undefined)?.code === 'EFAULT' ? 'over-read: the kernel read past the bytes the library checked (EFAULT from the PROT_NONE page after them)' : undefined),
      };
    },
  },
  // ---- the library allocates the memory (a 'global' liar can answer its allocations with less) ----
  ...([
    ['read (fresh buffer)', (c: Ctx, e: Env) => { const n = c.rng.int(1, 8192); return c.rng.chance(0.5) ? F('read')(e.urandom, n) : F('pread')(e.urandom, n, c.rng.int(0, 4096)); }],
    ['getrandom (fresh buffer)', (c: Ctx) => F('getrandom')(c.rng.int(1, 8192), 'nonblock')],
    ['getcwd', () => F('getcwd')()],
    ['readlink', () => F('readlink')(`${FX}link`, 'buffer')],
    ['getxattr', (_c: Ctx, e: Env) => F('getxattr')(`${FX}x2`, e.xattr)],
    ['listxattr', () => F('listxattr')(`${FX}x2`)],
    ['readFile', () => F('readFile')(`${FX}data`)],
    ['getdents', () => { const fd = F('open')(`${FX}dirA`, 'rdonly, directory') as { close(): void }; try { return [...(F('getdents')(fd, 256) as Iterable<unknown>)].length; } finally { fd.close(); } }],
    ['sched_getaffinity', () => F('sched_getaffinity')(0)],
    ['name_to_handle_at', () => F('name_to_handle_at')(AT_FDCWD, `${FX}data`)],
    ['uname, sysinfo, times', (c: Ctx) => F(c.rng.pick(['uname', 'sysinfo', 'times']))()],
  ] as const).map(([name, run]): Target => ({
    name, kind: 'W', classes: ['honest', 'global'],
    make: (c, e) => ({ run: () => run(c, e) }),
  })),
  // ---- the kernel reads a path ----
  ...(['open', 'openat', 'creat', 'mkdir', 'mknod', 'symlink', 'link', 'rename', 'openat2', 'memfd_create', 'setxattr name'] as const).map((name): Target => ({
    name: `${name} (path)`, kind: 'P',
    // 'later' needs an argument after the path that can run code
    classes: [...BYTE_LIES.filter((x) => x !== 'edge' && x !== 'species'), 'race',
      ...(['open', 'openat', 'openat2', 'symlink', 'memfd_create', 'setxattr name'].includes(name) ? ['later' as const] : [])],
    make(c, e) {
      const r = c.rng;
      const role = name === 'symlink' && (c.cls === 'later' || r.chance(0.5)) ? 'target' : 'path';
      const { v: p } = pathArg(c, role, { prefix: name === 'setxattr name' ? `${e.xattr.split('.')[0]}.adv` : 'adv' });
      const later = (where: string) => (c.cls === 'later' ? hookedPath(c, where, `adv-later-${r.hex(4)}`) : `adv-plain-${r.hex(4)}`);
      const flags = (w: string[]) => flagsArg(c, w, 'flags');
      const verify = (res: unknown) => trapFd(res) ?? scanPaths(name === 'setxattr name' ? `${FX}x` : undefined);
      let run: () => unknown;
      switch (name) {
        case 'open': { const f = flags(['wronly', 'creat']); run = () => F('open')(p, f, 0o644); break; }
        case 'openat': { const f = flags(['rdwr', 'creat']); run = () => F('openat')(AT_FDCWD, p, f, 0o600); break; }
        case 'creat': run = () => F('creat')(p, 0o644); break;
        case 'mkdir': run = () => F('mkdir')(p, 0o755); break;
        case 'mknod': run = () => F('mknod')(p, 0o100644, 0); break;
        case 'symlink': {
          const other = later('path');
          run = role === 'target' ? () => F('symlink')(p, other) : () => F('symlink')(`${FX}data`, p);
          break;
        }
        case 'link': run = () => F('link')(`${FX}data`, p); break;
        case 'rename': {
          const src = `adv-src-${r.hex(6)}`;
          closeSync(openSync(src, FS.O_CREAT | FS.O_WRONLY, 0o644));
          run = () => F('rename')(src, p);
          break;
        }
        case 'openat2': {
          const how = c.cls === 'later' ? c.optionsWith({ flags: 'wronly,creat', mode: 0o644 }, r.pick(['flags', 'mode', 'resolve']), 'how') : { flags: 'wronly,creat', mode: 0o644 };
          run = () => F('openat2')(AT_FDCWD, p, how);
          break;
        }
        case 'memfd_create': {
          const f = flags(['cloexec']);
          return {
            run: () => F('memfd_create')(p, f),
            verify: (res) => {
              const n = (res as { fileno?: number } | null)?.fileno;
              if (typeof n !== 'number' || n < 0) return undefined;
              const link = readlinkSync(`/proc/self/fd/${n}`, { encoding: 'buffer' }).toString('latin1');
              return link.includes('~GRD') ? `memfd name read past its window: ${JSON.stringify(link)}` : undefined;
            },
            cleanup: cleanPaths,
          };
        }
        default: { // setxattr name: the kernel reads the name as a string
          const val = later('value');
          const f = flags(['create']);
          return {
            run: () => F('setxattr')(`${FX}x`, p, typeof val === 'string' ? 'v' : val, f),
            verify,
            cleanup: () => { for (const n of (F('listxattr')(`${FX}x`) as string[])) try { F('removexattr')(`${FX}x`, n); } catch { /* gone */ } },
          };
        }
      }
      return { run, verify, cleanup: cleanPaths };
    },
  })),
  // ---- an fd's lifetime around garbage collection and await ----
  {
    name: 'getdents (gc between steps)', kind: 'G', classes: ['gc'], async: true, weight: 0.15,
    async make(c) {
      const small = c.rng.int(64, 400);
      const method = c.rng.chance(0.5);
      let fd: { getdents?: Fn; fileno?: number } | null = F('open')(`${FX}dirA`, 'rdonly, directory') as { getdents: Fn; fileno: number };
      const num = fd.fileno;
      const g = (method ? fd.getdents!(small) : F('getdents')(fd, small)) as Iterator<{ name: string }>;
      const names: string[] = [];
      const first = g.next();
      if (!first.done) names.push(first.value.name);
      fd = null;
      // the collector finalizes in a later task: full collections and timer turns
      for (let i = 0; i < 6; i++) { majorGc(); await new Promise((res) => setTimeout(res, 2)); }
      const other = F('open')(`${FX}dirB`, 'rdonly, directory') as { close(): void; fileno: number };
      c.cleanups.push(() => other.close());
      c.note(`${method ? 'Fd#getdents' : 'getdents'}(open(dirA), ${small}) without keeping the Fd; gc() and await between steps; then dirB opened (${other.fileno === num ? 'at the same number' : 'at another number: the first Fd was kept'})`);
      return {
        run: () => { for (let r = g.next(); !r.done; r = g.next()) names.push(r.value.name); return names.length; },
        verify: () => {
          const foreign = names.filter((n) => n.startsWith('b-'));
          return foreign.length ? `the iterator went on in another directory (its Fd was collected, the number reused): ${foreign.slice(0, 3).join(', ')}` : undefined;
        },
      };
    },
  },
];

/** The self-test: the raw layer, which checks nothing, with the same lies; every call must be caught. */
export const SELF_TEST: Target[] = [
  {
    name: 'raw.getrandom (self-test)', kind: 'S', classes: ['own-value'],
    make(c) {
      const a = c.arena('buf', winLen(c) || 8);
      const e = c.rng.int(8, a.after - 1);
      c.note(`raw.getrandom(window of ${a.len}, ${a.len + e}, 0)`);
      return { run: () => raw.getrandom(a.buffer(), a.len + e, 0) };
    },
  },
  {
    name: 'raw.write (self-test)', kind: 'S', classes: ['own-value'],
    make(c) {
      const a = c.arena('data', winLen(c) || 8);
      const e = c.rng.int(2, a.after - 1);
      const o = outFile();
      c.cleanups.push(o.close);
      c.note(`raw.write(fd, window of ${a.len}, ${a.len + e})`);
      return { run: () => raw.write(o.fd, a.buffer(), a.len + e), verify: () => leakCheck('the file written', o.read(), a.len) };
    },
  },
  {
    name: 'raw.openat (self-test)', kind: 'S', classes: ['own-value'],
    make(c) {
      const a = c.arena('path', c.rng.int(6, 40), { fill: 'path', prefix: 'adv', nul: false });
      c.note(`raw.openat(AT_FDCWD, a path window without NUL, O_CREAT|O_WRONLY)`);
      return {
        run: () => { const r = raw.openat(AT_FDCWD, a.buffer(), FS.O_CREAT | FS.O_WRONLY, 0o644); if (r >= 0) closeSync(r); return r; },
        verify: () => scanPaths(), cleanup: cleanPaths,
      };
    },
  },
];

/** A target that cannot run here (a reason, counted). */
export class Skip extends Error {}
