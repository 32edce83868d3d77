// The adversary of test/fuzz-adversary.test.ts: memory with guard bytes around it, and objects that lie about it.
//
// Every Buffer, typed array or struct view the adversary hands to the library is a window inside a larger ArrayBuffer
// (an Arena) whose bytes before and after the window are guard bytes: random, but every other byte is 0xF7 (the guard
// mark), counted from the window outwards, so that the bytes right next to the window are marks. Window contents never
// hold a mark (printable ASCII but '/'). After each call:
//  - kernel writes: the guard bytes must be exactly as they were (the kernel wrote nothing outside the window);
//  - kernel reads: what the kernel took (a file's contents, a pipe, an xattr, the hostname) must hold no 0xF7 byte and
//    no more bytes than the windows hold;
//  - paths: the guard after a path window starts with '~GRD<8 hex>' and a NUL, so a kernel that reads a path past the
//    window's end sees a name with '~GRD' in it (made, or pre-made as a trap file of a known size).
// The lies are applied to one argument of a call (the liar), chosen by the call's lie class (LIE_CLASSES below).
import { runInNewContext } from 'node:vm';

// ---- seeded randomness: every call draws from its own generator (seed, slice, call index), so one call replays alone

function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(...seeds: number[]) {
    let h = 0x2545f491;
    for (const s of seeds) h = mix32((h + 0x9e3779b9 + (s >>> 0)) | 0) ^ Math.imul(s | 0, 0x27d4eb2d);
    this.a = mix32(h + 1);
    this.b = mix32(h + 2);
    this.c = mix32(h + 3);
    this.d = mix32(h + 4);
    for (let i = 0; i < 12; i++) this.u32();
  }
  /** sfc32 */
  u32(): number {
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  next(): number { return this.u32() / 4294967296; }
  below(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.below(xs.length)]; }
  chance(p: number): boolean { return this.next() < p; }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + this.below(hi - lo + 1); }
  hex(n: number): string { let s = ''; while (s.length < n) s += this.u32().toString(16).padStart(8, '0'); return s.slice(0, n); }
}

// ---- guarded memory ----------------------------------------------------------------------------------------------------

export const MARK = 0xf7;
const PAYLOAD = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+.,:;!?#%&()[]{}<>@^~*');
const GC = (globalThis as { gc?: (o?: { type: 'minor' | 'major' }) => void }).gc;
let gcs = 0;
/**
 * A garbage collection: mostly a minor one (young objects, cheap), every fourth a full one. (On Node 20, gc() with no
 * argument is the full collection that finalizes; gc({ type: 'major' }) does not collect what gc() does.)
 */
export const gc = (): void => { if (gcs++ % 4 === 3) GC?.(); else GC?.({ type: 'minor' }); };
export const majorGc = (): void => { GC?.(); };

export interface ArenaOptions {
  /** Guard bytes before and after the window (at least 8 each). */
  before?: number;
  after?: number;
  /** 'payload': printable bytes; 'path': printable then a NUL at the end (unless nul: false); 'zero'. */
  fill?: 'payload' | 'path' | 'zero';
  nul?: boolean;
  /** A resizable ArrayBuffer (maxByteLength twice the size). */
  resizable?: boolean;
  /** Inside this SharedArrayBuffer, at `at` (for the racing worker). */
  shared?: { sab: SharedArrayBuffer; at: number };
  /** Text the window starts with (paths). */
  prefix?: string;
}

/** A window of `len` bytes at `start` in an ArrayBuffer of `total` bytes; the rest is guard. */
export class Arena {
  readonly ab: ArrayBuffer | SharedArrayBuffer;
  readonly base: number; // where the arena starts in ab (non-zero for the shared one)
  readonly start: number; // window start, relative to ab
  readonly len: number;
  readonly total: number; // arena bytes from base
  readonly tag: string;
  /** The bytes of the whole arena when it was made (the guards' reference). */
  private readonly ref: Uint8Array;
  /** A copy of the window's bytes when it was made. */
  readonly payload: Buffer;
  readonly resizable: boolean;
  shrunkTo: number | undefined;
  detached = false;
  /** Where the memory went when a getter detached it (structuredClone with transfer), and its bytes then. */
  moved: { clone: ArrayBuffer; snap: Uint8Array } | undefined;
  /** Bytes of the window the adversary itself changed after the call began (not the kernel's doing). */
  readonly changedByUs = new Set<number>();

  constructor(rng: Rng, readonly role: string, len: number, o: ArenaOptions = {}) {
    this.len = len;
    this.tag = rng.hex(8);
    const before = Math.max(8, o.before ?? 8 * rng.int(2, 24));
    const after = Math.max(16, o.after ?? 8 * rng.int(4, 32));
    this.total = before + len + after;
    this.resizable = !!o.resizable;
    if (o.shared) {
      this.ab = o.shared.sab;
      this.base = o.shared.at;
    } else if (o.resizable) {
      this.ab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(this.total, { maxByteLength: this.total * 2 });
      this.base = 0;
    } else {
      this.ab = new ArrayBuffer(this.total);
      this.base = 0;
    }
    this.start = this.base + before;
    const all = new Uint8Array(this.ab, this.base, this.total);
    // guards: a mark at even distances from the window, random bytes between
    for (let i = 0; i < before; i++) all[before - 1 - i] = i & 1 ? rng.u32() & 0xff : MARK;
    for (let i = 0; i < after; i++) all[before + len + i] = i & 1 ? rng.u32() & 0xff : MARK;
    if (o.fill === 'path') {
      const g = Buffer.from(`~GRD${this.tag}\0`);
      all.set(g.subarray(0, Math.min(g.length, after)), before + len);
    }
    const fill = o.fill ?? 'payload';
    for (let i = 0; i < len; i++) all[before + i] = fill === 'zero' ? 0 : PAYLOAD[rng.below(PAYLOAD.length)];
    if (o.prefix) all.set(Buffer.from(o.prefix).subarray(0, len), before);
    if (fill === 'path' && len > 0) all[before + len - 1] = o.nul === false ? 0x5a /* Z */ : 0;
    this.ref = all.slice();
    this.payload = Buffer.from(all.slice(before, before + len));
  }

  get before(): number { return this.start - this.base; }
  get after(): number { return this.total - this.before - this.len; }

  /** The fuzzer's own view of the whole arena (never handed to the library). */
  private all(): Uint8Array { return new Uint8Array(this.ab, this.base, this.total); }

  /** An honest Buffer over the window. */
  buffer(): Buffer { return Buffer.from(this.ab, this.start, this.len); }
  u8(): Uint8Array { return new Uint8Array(this.ab, this.start, this.len); }
  /** A view covering the window and `extra` guard bytes on each side (what a lying subarray returns). */
  bigger(before = this.before, after = this.after): Uint8Array {
    const b = Math.min(before, this.before);
    return new Uint8Array(this.ab, this.start - b, b + this.len + Math.min(after, this.after));
  }
  /** The window as it is now (what a kernel read should see at most). */
  now(): Buffer { return Buffer.from(this.all().slice(this.before, this.before + this.len)); }
  /** The guard mark for paths ('~GRD<tag>'). */
  get pathGuard(): string { return `~GRD${this.tag}`; }
  /** Change a window byte (a mutation of the adversary's, excluded from nothing: windows are not compared). */
  poke(i: number, v: number): void {
    this.all()[this.before + i] = v;
    this.changedByUs.add(i);
  }

  /** Detach the memory (as a getter would, mid-call); keep where it went to see if the kernel writes there later. */
  detach(keep: boolean): void {
    if (this.detached || this.ab instanceof SharedArrayBuffer || this.ab.byteLength === 0) return;
    // ArrayBuffer.prototype.transfer where the engine has it (Node 22+), else structuredClone with a transfer list
    const transfer = (this.ab as { transfer?: () => ArrayBuffer }).transfer;
    const clone = typeof transfer === 'function' && this.payload.length % 2 ? transfer.call(this.ab) : structuredClone(this.ab, { transfer: [this.ab as ArrayBuffer] }) as ArrayBuffer;
    this.detached = true;
    if (keep) this.moved = { clone, snap: new Uint8Array(clone).slice() };
  }

  /** Shrink a resizable arena to `to` bytes (V8 zeroes what it cuts off). */
  shrink(to: number): boolean {
    const ab = this.ab as ArrayBuffer & { resizable?: boolean; resize?: (n: number) => void };
    if (!this.resizable || this.detached || !ab.resize) return false;
    ab.resize(to);
    this.shrunkTo = Math.min(this.shrunkTo ?? to, to);
    return true;
  }

  /**
   * What the kernel (or anything but the window's owner) changed outside the window: undefined when nothing, else a
   * description. A shrunk arena is grown back first: V8 zeroed the cut-off part, so any byte there that is not zero
   * was written after the shrink.
   */
  check(): string | undefined {
    const out: string[] = [];
    if (this.moved) {
      const now = new Uint8Array(this.moved.clone);
      const d = diff(now, this.moved.snap, 0, now.length);
      if (d) out.push(`memory moved away by a detach (structuredClone transfer) was written after the detach: ${d.n} bytes at ${d.first}..${d.last} of the old buffer`);
    }
    if (this.detached) return out.length ? `${this.role}: ${out.join('; ')}` : undefined;
    const ab = this.ab as ArrayBuffer & { resize?: (n: number) => void };
    if (this.shrunkTo !== undefined) ab.resize!(this.base + this.total);
    const all = this.all();
    const before = this.before;
    const end = before + this.len;
    const cut = this.shrunkTo;
    const zeroFrom = cut === undefined ? Infinity : cut - this.base;
    const part = (lo: number, hi: number, where: string) => {
      for (let i = lo; i < hi;) {
        // the bytes V8 cut off must still be zero; the others must be as made
        const j = Math.min(hi, i < zeroFrom ? Math.min(zeroFrom, hi) : hi);
        const d = i < zeroFrom ? diff(all, this.ref, i, j) : nonZero(all, i, j);
        if (d) {
          const rel = (k: number) => (k < before ? k - before : k - end);
          out.push(`${d.n} guard byte${d.n === 1 ? '' : 's'} ${where} the window ${i < zeroFrom ? 'changed' : 'written after a shrink (cut off at ' + zeroFrom + ')'} (at ${rel(d.first)}..${rel(d.last)} from the window's ${where === 'before' ? 'start' : 'end'})`);
        }
        i = j;
      }
    };
    part(0, before, 'before');
    part(end, this.total, 'after');
    // inside the window, after a shrink that cut the window: the kernel may not write there either
    if (cut !== undefined && zeroFrom < end) {
      const lo = Math.max(zeroFrom, before);
      const d = nonZero(all, lo, end);
      if (d) out.push(`${d.n} window bytes past a shrink (cut off at ${zeroFrom}) were written`);
    }
    return out.length ? `${this.role} (${this.len}-byte window, ${this.total}-byte arena${this.resizable ? ', resizable' : ''}): ${out.join('; ')}` : undefined;
  }
}

function diff(a: Uint8Array, b: Uint8Array, lo: number, hi: number): { n: number; first: number; last: number } | undefined {
  if (hi <= lo) return undefined;
  if (Buffer.compare(a.subarray(lo, hi), b.subarray(lo, hi)) === 0) return undefined;
  let n = 0, first = -1, last = -1;
  for (let i = lo; i < hi; i++) if (a[i] !== b[i]) { n++; if (first < 0) first = i; last = i; }
  return { n, first, last };
}
function nonZero(a: Uint8Array, lo: number, hi: number): { n: number; first: number; last: number } | undefined {
  let n = 0, first = -1, last = -1;
  for (let i = lo; i < hi; i++) if (a[i] !== 0) { n++; if (first < 0) first = i; last = i; }
  return n ? { n, first, last } : undefined;
}

/** Bytes the kernel took from user memory: no mark, and at most `max` of them. */
export function leakCheck(what: string, got: Uint8Array, max: number): string | undefined {
  const at = got.indexOf(MARK);
  if (at >= 0) return `${what}: the kernel read guard bytes (0xF7 at ${at} of ${got.length} bytes taken, windows hold ${max})`;
  if (got.length > max) return `${what}: ${got.length} bytes taken, the windows hold ${max}`;
  return undefined;
}

// ---- lie classes ---------------------------------------------------------------------------------------------------

export const LIE_CLASSES = [
  'honest', // no lie: the control (the detectors must stay quiet)
  'own-value', // own data properties: length, byteLength, byteOffset, buffer
  'own-getter', // own getters with a lying value
  'flip-getter', // own getters that tell the truth for the first reads, then lie (or the other way round)
  'subclass', // a class extending Uint8Array (with Buffer.prototype in its chain) overriding accessors and methods
  'species', // constructor[Symbol.species] making subarray/slice/map return a view over the guards
  'proxy', // Proxies around Buffers, arrays and struct views
  'fake', // Object.create(Buffer.prototype / Stat.prototype ...), plain look-alikes, URL subclasses, other realms
  'struct-$', // struct views with $buffer/$offset reassigned, redefined, or made over lying buffers
  'later', // a getter in a later argument (flags array, options, iovec element, struct) mutates a checked argument
  'iovec', // lying iovec arrays: Array subclasses, own map, Proxies, getter elements, lying elements
  'edge', // detached buffers, out-of-bounds views of shrunk resizable buffers, shared and growable buffers
  'gc', // garbage collection inside a call and between iterator steps (with await)
  'race', // a second thread flips a path's final NUL in a SharedArrayBuffer during the call
  'mapped', // memory of a shared file mapping whose file was truncated: any access from the process is a SIGBUS
  'global', // a built-in the library calls at call time (Buffer.alloc, Buffer.from, Array.prototype.push, Math.min)
  //           replaced, for the call only, by a liar: allocations smaller than asked, views over the guards
] as const;
export type LieClass = (typeof LIE_CLASSES)[number];

/** The byte-level lie classes (applied to a Buffer argument). */
export const BYTE_LIES: LieClass[] = ['honest', 'own-value', 'own-getter', 'flip-getter', 'subclass', 'species', 'proxy', 'fake', 'edge', 'mapped', 'global'];

type Victim =
  | { kind: 'bytes'; arena: Arena; obj: unknown }
  | { kind: 'path'; arena: Arena; obj: unknown }
  | { kind: 'struct'; arena: Arena; obj: unknown; small?: Arena }
  | { kind: 'fd'; fd: number; reopen: () => number };

/** One call's adversary: its randomness, the memory it made, and what to check afterwards. */
export class Ctx {
  readonly arenas: Arena[] = [];
  readonly notes: string[] = [];
  readonly checks: (() => string | undefined)[] = [];
  readonly cleanups: (() => void)[] = [];
  readonly victims: Victim[] = [];
  /** Hooks planted in later arguments, and whether each ran. */
  readonly hooks: { what: string; fired: number }[] = [];
  /** Reads of lying properties and calls of lying methods (by name), to tell which lies the library looked at. */
  readonly touched = new Map<string, number>();
  /** Set when the lie could not even be made (the library refused it at construction). */
  refused: string | undefined;
  /** The racing thread (for 'race'), and shared file mappings (for 'mapped'), from the child. */
  raceBuf?: { sab: SharedArrayBuffer; at: number; page?: number; start(i: number, a: number, b: number, where?: 'sab' | 'page'): void; stop(): void };
  mapper?: (size: number) => { buf: Buffer; truncate(): void; done(): void };
  constructor(readonly rng: Rng, readonly cls: LieClass) {}

  /**
   * 'mapped': a Buffer over a shared mapping of a memfd holding `bytes`, whose file is then truncated to 0: the
   * kernel answers EFAULT, but any read or write of it from the process dies of SIGBUS. No guards: nothing can look.
   */
  mappedBytes(role: string, bytes: Uint8Array, size = bytes.length): Buffer {
    if (!this.mapper) throw new Error('no mapper');
    const m = this.mapper(Math.max(size, 1));
    m.buf.set(bytes.subarray(0, m.buf.length));
    this.cleanups.push(m.done);
    this.truncate.push(m.truncate);
    this.note(`${role}: a Buffer of ${size} over a shared mapping of a memfd, truncated to 0 before the call`);
    return m.buf.subarray(0, size);
  }
  /** What to truncate right before the call. */
  readonly truncate: (() => void)[] = [];

  /** 'global': the liar installed for the call's duration (arm before the call, disarm right after). */
  private globalPatch: { arm(): void; disarm(): void } | undefined;
  arm(): void { if (this.cls === 'global') (this.globalPatch ??= this.makeGlobalLie()).arm(); }
  disarm(): void { this.globalPatch?.disarm(); }

  private makeGlobalLie(): { arm(): void; disarm(): void } {
    const r = this.rng;
    const kind = r.pick(['Buffer.allocUnsafe', 'Buffer.alloc', 'Buffer.allocUnsafeSlow', 'Buffer.from', 'Array.prototype.push', 'Math.min', 'Math.max'] as const);
    const [obj, key] = kind.startsWith('Buffer.') ? [Buffer, kind.slice(7)] : kind === 'Array.prototype.push' ? [Array.prototype, 'push'] : [Math, kind.slice(5)];
    const o = obj as unknown as Record<string, (...a: unknown[]) => unknown>;
    const orig = o[key];
    const origMax = Math.max;
    const self = this;
    let inside = false; // the liar's own work runs with the originals
    const arenaOf = (x: unknown) => {
      if (!ArrayBuffer.isView(x)) return undefined;
      return self.arenas.find((a) => a.ab === x.buffer);
    };
    const liar = function (this: unknown, ...args: unknown[]): unknown {
      if (inside) return orig.apply(this, args);
      inside = true;
      try {
        self.touch(`global ${kind}`);
        switch (kind) {
          case 'Buffer.allocUnsafe': case 'Buffer.alloc': case 'Buffer.allocUnsafeSlow': {
            const n = args[0];
            if (typeof n !== 'number' || n < 2 || n > 1 << 20) return orig.apply(this, args);
            const a = self.arena(`${kind}(${n}), answered with ${n >> 1} bytes`, n >> 1, { after: n + 64, fill: kind === 'Buffer.alloc' ? 'zero' : 'payload' });
            return a.buffer();
          }
          case 'Buffer.from': {
            const a = args.length >= 2 ? self.arenas.find((x) => x.ab === args[0]) : arenaOf(args[0]);
            if (!a) return orig.apply(this, args);
            return Buffer.from(a.ab, a.base, a.total); // the whole arena, guards and all
          }
          case 'Array.prototype.push': {
            const out = args.map((x) => { const a = arenaOf(x); return a ? new Uint8Array(a.ab, a.base, a.total) : x; });
            return orig.apply(this, out);
          }
          case 'Math.min': return origMax(...(args as number[]));
          default: { const m = origMax(...(args as number[])); return Number.isFinite(m) ? m * 2 + 4096 : m; }
        }
      } finally {
        inside = false;
      }
    };
    this.note(`global: ${kind} replaced for the call by a liar (${/alloc/.test(kind) ? 'half the bytes asked for, guards after' : /from|push/.test(kind) ? 'views over the whole arena, guards included' : kind === 'Math.min' ? 'answers the max' : 'answers twice the max + 4096'})`);
    return {
      arm() { o[key] = liar; },
      disarm() { o[key] = orig; },
    };
  }

  note(s: string): void { this.notes.push(s); }
  touch(what: string): void { this.touched.set(what, (this.touched.get(what) ?? 0) + 1); }

  arena(role: string, len: number, o: ArenaOptions = {}): Arena {
    const a = new Arena(this.rng, role, len, o);
    this.arenas.push(a);
    return a;
  }

  /** A guard-only arena (a decoy the lies point at). */
  decoy(role: string, len: number): Arena {
    return this.arena(role, 0, { before: 8, after: Math.max(16, len) });
  }

  /** Excess bytes for a length lie: within the guard after the window (or, rarely, far beyond). */
  excess(a: Arena, huge = 0.03): number {
    if (this.rng.chance(huge)) return this.rng.pick([1 << 16, 1 << 20, 2 ** 31 - 1 - a.len]);
    return this.rng.pick([1, 2, 7, 8, 16, 63, 64, Math.max(1, a.after >> 1), Math.max(1, a.after - 1)].filter((x) => x <= a.after - 1 || x === 1));
  }

  /** A value for a lying property `prop` of a view over `a`. */
  lieValue(a: Arena, prop: string, bpe = 1): [unknown, string] {
    const r = this.rng;
    if (r.chance(0.12)) {
      const w = r.pick<[unknown, string]>([
        [-1, '-1'], [NaN, 'NaN'], [1.5, '1.5'], [Infinity, 'Infinity'], [String(a.len + 64), `'${a.len + 64}'`], [BigInt(a.len + 64), `${a.len + 64}n`],
        [null, 'null'], [undefined, 'undefined'], [{ valueOf: () => a.len + 64 }, '{valueOf: () => len+64}'], [2 ** 32 + a.len, '2**32+len'], [-(2 ** 31), '-2**31'],
      ]);
      return w;
    }
    switch (prop) {
      case 'byteOffset': {
        const k = r.int(1, a.before);
        return r.chance(0.7) ? [a.start - k, `byteOffset-${k}`] : [a.start + r.int(1, a.after), 'byteOffset+k (past the window)'];
      }
      case 'buffer': {
        const c = r.below(4);
        if (c === 0) { const d = this.decoy(`decoy buffer for ${a.role}`, a.start - a.base + a.len + 64); return [d.ab, 'a decoy ArrayBuffer (all guard)']; }
        if (c === 1) return [new SharedArrayBuffer(a.start + a.len + 64), 'a fresh SharedArrayBuffer'];
        if (c === 2) return [{ byteLength: 1 << 20 }, '{byteLength: 1 MiB}'];
        return [new ArrayBuffer(8), 'a tiny ArrayBuffer'];
      }
      default: {
        const e = this.excess(a);
        const bytes = a.len + e;
        return [prop === 'length' ? Math.ceil(bytes / bpe) : bytes, `${prop}=window+${e}`];
      }
    }
  }

  /** A property definition that lies with `value`, in the style of class `how`, counting reads. */
  liar(name: string, truth: () => unknown, value: unknown, how: LieClass): PropertyDescriptor {
    if (how === 'own-value') return { value, configurable: true, writable: true, enumerable: false };
    const self = this;
    if (how === 'own-getter') return { get() { self.touch(name); return value; }, configurable: true };
    // flip: the truth for the first k reads, then the lie; or lie first, then alternate
    const k = this.rng.int(0, 3);
    const alternate = this.rng.chance(0.3);
    let reads = 0;
    return {
      get() {
        self.touch(name);
        const i = reads++;
        if (alternate) return i % 2 ? truth() : value;
        return i < k ? truth() : value;
      },
      configurable: true,
    };
  }

  // ---- honest views ----

  /** An honest view of the window: a Buffer mostly, else another kind of typed array or a DataView. */
  view(a: Arena, kinds: 'bytes' | 'any' = 'any'): [ArrayBufferView, string] {
    const r = this.rng;
    const aligned = (n: number) => (a.start % n === 0 && a.len % n === 0);
    const c = r.below(kinds === 'bytes' ? 3 : 10);
    if (c <= 1 || c === 9) return [a.buffer(), 'Buffer'];
    if (c === 2) return [a.u8(), 'Uint8Array'];
    if (c === 3) return [new Int8Array(a.ab, a.start, a.len), 'Int8Array'];
    if (c === 4) return [new Uint8ClampedArray(a.ab, a.start, a.len), 'Uint8ClampedArray'];
    if (c === 5 && aligned(2)) return [new Uint16Array(a.ab, a.start, a.len / 2), 'Uint16Array'];
    if (c === 6 && aligned(8)) return [new Float64Array(a.ab, a.start, a.len / 8), 'Float64Array'];
    if (c === 7 && aligned(8)) return [new BigUint64Array(a.ab, a.start, a.len / 8), 'BigUint64Array'];
    if (c === 8) return [new DataView(a.ab, a.start, a.len), 'DataView'];
    return [a.buffer(), 'Buffer'];
  }

  // ---- lying bytes ----

  /**
   * The object to pass for the window of `a`, lying as class `cls` says (honest for classes that do not apply to
   * bytes). `pathLike` makes the lies the path checks care about (indexOf, includes).
   */
  bytes(a: Arena, cls: LieClass = this.cls, pathLike = false): unknown {
    const r = this.rng;
    const [v, kind] = this.view(a, pathLike ? 'bytes' : 'any');
    const bpe = (v as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    switch (cls) {
      case 'own-value':
      case 'own-getter':
      case 'flip-getter': {
        const n = r.int(1, 2);
        const props = r.chance(0.5) ? ['length'] : ['length', 'byteLength', 'byteOffset', 'buffer'];
        const ds: string[] = [];
        for (let i = 0; i < n; i++) {
          const prop = r.pick(props);
          const [val, d] = this.lieValue(a, prop, bpe);
          try {
            Object.defineProperty(v, prop, this.liar(prop, () => Reflect.get(Object.getPrototypeOf(v), prop, v), val, cls));
            ds.push(d);
          } catch (e) {
            ds.push(`${prop}: refused (${(e as Error).message})`);
          }
        }
        this.note(`${a.role}: ${kind} window of ${a.len} with ${cls} ${ds.join(', ')}`);
        return v;
      }
      case 'subclass': return this.subclass(a, pathLike);
      case 'species': return this.species(a, v, kind);
      case 'proxy': return this.proxy(a, v, kind, pathLike);
      case 'fake': return this.fake(a, pathLike);
      case 'edge': return this.edge(a);
      case 'mapped': return this.mappedBytes(a.role, a.payload);
      default:
        this.note(`${a.role}: ${kind} window of ${a.len}`);
        return v;
    }
  }

  private subclass(a: Arena, pathLike: boolean): unknown {
    const r = this.rng;
    const self = this;
    const bufferChain = r.chance(0.7);
    const C = class LyingBuffer extends Uint8Array {};
    if (bufferChain) Object.setPrototypeOf(C.prototype, Buffer.prototype);
    const v = Reflect.construct(Uint8Array, [a.ab, a.start, a.len], C) as Uint8Array;
    const all = pathLike
      ? ['indexOf', 'indexOf', 'includes', 'length', 'subarray', 'slice', 'toString', 'lastIndexOf', 'at', Symbol.iterator]
      : ['length', 'length', 'byteLength', 'byteOffset', 'buffer', 'subarray', 'slice', 'copy', 'fill', 'toString', 'map', 'equals', Symbol.iterator];
    const picked = new Set<string | symbol>();
    for (let i = r.int(1, 3); i > 0; i--) picked.add(r.pick(all));
    const ds: string[] = [];
    const big = () => a.bigger(r.int(0, a.before), r.int(8, a.after));
    for (const k of picked) {
      const name = String(k);
      let d: PropertyDescriptor;
      switch (k) {
        case 'length': case 'byteLength': case 'byteOffset': case 'buffer': {
          const [val, vd] = this.lieValue(a, k);
          d = { get() { self.touch(name); return val; }, configurable: true };
          ds.push(`get ${vd}`);
          break;
        }
        case 'indexOf': case 'lastIndexOf': {
          // claims the last byte is a NUL (or that there is none)
          const ans = r.chance(0.8) ? a.len - 1 : -1;
          d = { value(this: unknown) { self.touch(name); return ans; }, configurable: true, writable: true };
          ds.push(`${name}() => ${ans}`);
          break;
        }
        case 'includes': d = { value() { self.touch(name); return false; }, configurable: true, writable: true }; ds.push('includes() => false'); break;
        case 'subarray': case 'slice': case 'map':
          d = { value() { self.touch(name); return big(); }, configurable: true, writable: true };
          ds.push(`${name}() => a view over the guards`);
          break;
        case 'copy': d = { value() { self.touch(name); return a.len + 64; }, configurable: true, writable: true }; ds.push('copy() => len+64, copies nothing'); break;
        case 'fill': d = { value(this: unknown) { self.touch(name); return this; }, configurable: true, writable: true }; ds.push('fill() does nothing'); break;
        case 'equals': d = { value() { self.touch(name); return true; }, configurable: true, writable: true }; ds.push('equals() => true'); break;
        case 'toString': d = { value() { self.touch(name); return 'lie'; }, configurable: true, writable: true }; ds.push("toString() => 'lie'"); break;
        case 'at': d = { value() { self.touch(name); return 0; }, configurable: true, writable: true }; ds.push('at() => 0'); break;
        default: // Symbol.iterator: the window, then guard bytes
          d = { *value() { self.touch('iterator'); yield* big(); }, configurable: true, writable: true };
          ds.push('[Symbol.iterator] yields the guards too');
      }
      Object.defineProperty(C.prototype, k, d);
    }
    this.note(`${a.role}: class extends Uint8Array${bufferChain ? ' (Buffer.prototype in its chain)' : ''}, window of ${a.len}, overriding ${ds.join(', ')}`);
    return v;
  }

  private species(a: Arena, v: ArrayBufferView, kind: string): unknown {
    const self = this;
    const whole = () => new Uint8Array(a.ab, a.start - a.before, a.total);
    const Species = function (this: unknown) { self.touch('species'); return whole(); } as unknown as new () => Uint8Array;
    if (this.rng.chance(0.5)) {
      Object.defineProperty(v, 'constructor', { value: { [Symbol.species]: Species }, configurable: true, writable: true });
      this.note(`${a.role}: ${kind} window of ${a.len} with own constructor whose [Symbol.species] returns a view over the whole arena`);
      return v;
    }
    const C = class SpeciesBuffer extends Uint8Array { static get [Symbol.species]() { return Species; } };
    Object.setPrototypeOf(C.prototype, Buffer.prototype);
    const w = Reflect.construct(Uint8Array, [a.ab, a.start, a.len], C);
    this.note(`${a.role}: subclass (Buffer chain) window of ${a.len} whose static [Symbol.species] returns a view over the whole arena`);
    return w;
  }

  private proxy(a: Arena, v: ArrayBufferView, kind: string, pathLike: boolean): unknown {
    const r = this.rng;
    const self = this;
    const lies = new Map<PropertyKey, unknown>();
    for (const p of ['length', 'byteLength', 'byteOffset', 'buffer']) if (r.chance(0.5)) lies.set(p, this.lieValue(a, p)[0]);
    if (pathLike || r.chance(0.3)) lies.set('indexOf', () => a.len - 1);
    lies.set('subarray', () => a.bigger());
    const proto = r.chance(0.5) ? Buffer.prototype : undefined;
    const p = new Proxy(v, {
      get(t, k) {
        if (lies.has(k)) { self.touch(`proxy.${String(k)}`); return lies.get(k); }
        const x = Reflect.get(t, k, t);
        return typeof x === 'function' ? x.bind(t) : x;
      },
      getPrototypeOf(t) { return proto ?? Reflect.getPrototypeOf(t); },
    });
    this.note(`${a.role}: Proxy around a ${kind} window of ${a.len}, lying about ${[...lies.keys()].map(String).join(', ')}${proto ? ', prototype Buffer.prototype' : ''}`);
    return p;
  }

  private fake(a: Arena, pathLike: boolean): unknown {
    const r = this.rng;
    const len = a.len + this.excess(a);
    const props: PropertyDescriptorMap = {
      length: { value: len }, byteLength: { value: len }, byteOffset: { value: a.start }, buffer: { value: a.ab },
      indexOf: { value: () => len - 1 },
    };
    switch (r.below(6)) {
      case 0: this.note(`${a.role}: Object.create(Buffer.prototype) claiming ${len} bytes of the arena`); return Object.create(Buffer.prototype, props);
      case 1: this.note(`${a.role}: Object.create(Uint8Array.prototype) claiming ${len} bytes`); return Object.create(Uint8Array.prototype, props);
      case 2: this.note(`${a.role}: a plain {buffer, byteOffset, byteLength: ${len}, length}`); return { buffer: a.ab, byteOffset: a.start, byteLength: len, length: len };
      case 3: {
        // a real typed array of another realm: honest memory, foreign prototypes
        const v = runInNewContext('new Uint8Array(ab, start, len)', { ab: a.ab, start: a.start, len: a.len }) as Uint8Array;
        this.note(`${a.role}: a Uint8Array of another realm (vm), window of ${a.len}`);
        return v;
      }
      case 4: {
        if (pathLike) {
          const U = class extends URL { override get pathname() { return '/x%00y'; } override get protocol() { return 'file:'; } };
          this.note(`${a.role}: a URL subclass whose pathname getter says '/x%00y'`);
          return new U('file:///tmp/adv');
        }
        this.note(`${a.role}: an ArrayBuffer (not a view) of ${a.len}`);
        return a.ab instanceof ArrayBuffer ? a.ab.slice(a.start, a.start + a.len) : new ArrayBuffer(a.len);
      }
      default: this.note(`${a.role}: Object.create(DataView.prototype) claiming ${len} bytes`); return Object.create(DataView.prototype, props);
    }
  }

  /** Edge memory: detached, out of bounds after a shrink, shared, zero-length. */
  private edge(a: Arena): unknown {
    const r = this.rng;
    switch (r.below(5)) {
      case 0: {
        const v = a.buffer();
        a.detach(true);
        this.note(`${a.role}: a Buffer whose ArrayBuffer was detached (structuredClone transfer) before the call`);
        return v;
      }
      case 1: {
        const v = a.buffer();
        a.detach(true);
        const len = a.len + this.excess(a);
        Object.defineProperty(v, 'length', { value: len });
        Object.defineProperty(v, 'byteLength', { value: len });
        this.note(`${a.role}: a detached Buffer with own length and byteLength ${len}`);
        return v;
      }
      case 2: {
        if (!a.resizable) break;
        const v = a.buffer();
        const to = a.start + r.int(0, a.len >> 1);
        a.shrink(to);
        this.note(`${a.role}: a Buffer over a resizable ArrayBuffer shrunk to ${to - a.start} bytes into the window (out of bounds)`);
        return v;
      }
      case 3: {
        const v = a.buffer();
        this.note(`${a.role}: a Buffer over a ${a.resizable ? 'resizable' : 'plain'} ArrayBuffer (honest)`);
        return v;
      }
    }
    const v = new Uint8Array(a.ab, a.start, 0);
    this.note(`${a.role}: a zero-length view at the window`);
    return v;
  }

  // ---- lying struct views ----

  /**
   * A struct view argument of class `Cls` over arena `a` (sized for the struct), lying as the call's class says. The
   * lies that point the struct elsewhere use a small window (fewer bytes than the struct) with guards after it.
   */
  struct(role: string, Cls: StructCls, cls: LieClass = this.cls): unknown {
    const r = this.rng;
    const size = Cls.size;
    const make = (len: number, o: ArenaOptions = {}) => this.arena(role, len, { after: Math.max(size + 64, 8 * r.int(4, 40)), ...o });
    const honestOver = (a: Arena) => this.construct(Cls, a.buffer(), 0);
    switch (cls) {
      case 'edge':
      case 'struct-$': {
        const small = make(r.pick([0, 8, size >> 1, size - 8, size - 1].filter((x) => x >= 0)));
        // 'edge': the struct's own memory shrunk or detached before the call; 'struct-$': the lies
        const c = cls === 'edge' ? r.int(6, 7) : r.below(6);
        if (c === 0) {
          const v = this.construct(Cls);
          const ok = Reflect.set(v as object, '$buffer', this.bytes(small, 'honest'));
          this.note(`${role}: new ${Cls.name}() with $buffer = a ${small.len}-byte window (assignment ${ok ? 'taken' : 'refused'})`);
          this.victim({ kind: 'struct', arena: small, obj: v });
          return v;
        }
        if (c === 1) {
          const big = make(size + 8);
          const v = this.construct(Cls, big.buffer(), 0);
          const d = this.liar('$buffer', () => big.buffer(), small.buffer(), 'flip-getter');
          const ok = tryDefine(v, '$buffer', d);
          this.note(`${role}: ${Cls.name} over a ${size + 8}-byte window with an own $buffer getter flipping to a ${small.len}-byte window (${ok})`);
          return v;
        }
        if (c === 2) {
          const big = make(size + 8);
          const v = this.construct(Cls, big.buffer(), 0);
          const off = r.pick<[unknown, string]>([[-big.before, 'negative (into the guard before)'], [big.len - 8, 'near the end'], [big.len + 8, 'past the end'], [0.5, '0.5'], [NaN, 'NaN'], ['0', "'0'"], [2 ** 53, '2**53']]);
          const how = r.pick<LieClass>(['own-value', 'own-getter', 'flip-getter']);
          const ok = tryDefine(v, '$offset', this.liar('$offset', () => 0, off[0], how));
          this.note(`${role}: ${Cls.name} over a ${size + 8}-byte window with $offset ${off[1]} (${how}, ${ok})`);
          return v;
        }
        if (c === 3) {
          // made over a window that lies about its length: the constructor's check sees a struct's worth
          const lying = small.buffer();
          Object.defineProperty(lying, 'length', { value: size });
          Object.defineProperty(lying, 'byteLength', { value: size });
          const v = this.construct(Cls, lying, 0);
          this.note(`${role}: new ${Cls.name}(a ${small.len}-byte Buffer with own length/byteLength ${size})`);
          return v;
        }
        if (c === 4) {
          const C = class extends (Cls as unknown as new (...a: unknown[]) => object) {
            constructor(...args: unknown[]) {
              super(...args);
              tryDefine(this, '$buffer', { get: () => small.buffer(), configurable: true });
            }
            get $buffer(): unknown { return small.buffer(); }
            set $buffer(_v: unknown) { /* ignore */ }
          };
          const v = this.construct(C as unknown as StructCls);
          this.note(`${role}: a subclass of ${Cls.name} whose $buffer getter returns a ${small.len}-byte window`);
          return v;
        }
        if (c === 5) {
          const v = this.construct(Cls);
          Reflect.set(v as object, '$buffer', this.bytes(small, r.pick(['own-value', 'own-getter', 'flip-getter', 'subclass'])));
          Reflect.set(v as object, '$offset', 0);
          this.note(`${role}: new ${Cls.name}() with $buffer reassigned to a lying window`);
          return v;
        }
        if (c === 6) {
          // the struct's memory in a resizable buffer, shrunk before the call
          const a = make(size, { resizable: true });
          const v = honestOver(a);
          const to = a.start + r.int(0, size - 1);
          a.shrink(to);
          this.note(`${role}: ${Cls.name} over a resizable ArrayBuffer shrunk to ${to - a.start} of its ${size} bytes before the call`);
          return v;
        }
        {
          const a = make(size);
          const v = honestOver(a);
          a.detach(true);
          this.note(`${role}: ${Cls.name} whose buffer was detached before the call`);
          return v;
        }
      }
      case 'mapped': {
        const v = this.construct(Cls, this.mappedBytes(role, new Uint8Array(size), size), 0);
        return v;
      }
      case 'proxy': {
        const small = make(r.pick([8, size >> 1]));
        const a = make(size);
        const v = honestOver(a);
        const p = new Proxy(v as object, { get: (t, k) => (k === '$buffer' ? small.buffer() : k === '$offset' ? 0 : Reflect.get(t, k)) });
        this.note(`${role}: Proxy around a ${Cls.name} answering $buffer with a ${small.len}-byte window`);
        return p;
      }
      case 'fake': {
        const small = make(r.pick([8, size >> 1]));
        const v = Object.create(Cls.prototype, { $buffer: { value: small.buffer(), writable: true }, $offset: { value: 0, writable: true } });
        this.note(`${role}: Object.create(${Cls.name}.prototype) with $buffer a ${small.len}-byte window`);
        return v;
      }
      default: {
        const a = make(size + r.pick([0, 0, 8, 64]), { resizable: cls === 'later' && r.chance(0.5) });
        const v = honestOver(a);
        this.note(`${role}: ${Cls.name} over a ${a.len}-byte window`);
        this.victim({ kind: 'struct', arena: a, obj: v });
        return v;
      }
    }
  }

  /** new Cls(buffer, offset); a refusal is noted (the call is then made without the lie's object). */
  construct(Cls: StructCls, buffer?: unknown, offset?: unknown): object {
    try {
      return buffer === undefined ? new Cls() : new Cls(buffer as Buffer, offset as number);
    } catch (e) {
      this.refused = `new ${Cls.name}(...) threw ${(e as Error).constructor.name}: ${(e as Error).message}`;
      throw new Refused(this.refused);
    }
  }

  // ---- later arguments that run code ----

  victim(v: Victim): void { this.victims.push(v); }

  /**
   * A hook for a later argument: when it runs (once), it mutates an argument checked before it. Returns the action's
   * description, or undefined when there is nothing to mutate.
   */
  hook(where: string): (() => void) | undefined {
    const r = this.rng;
    if (!this.victims.length) return undefined;
    const v = r.pick(this.victims);
    const acts: [string, () => void][] = [];
    if (v.kind === 'path') {
      const a = v.arena;
      acts.push([`rewrite the final byte of ${a.role} to 'X'`, () => a.poke(a.len - 1, 0x58)]);
      acts.push([`fill ${a.role} with 'Y'`, () => { for (let i = 0; i < a.len; i++) a.poke(i, 0x59); }]);
    }
    if (v.kind === 'bytes' || v.kind === 'struct' || v.kind === 'path') {
      const a = v.arena;
      acts.push([`detach ${a.role}'s ArrayBuffer (kept)`, () => a.detach(true)]);
      acts.push([`detach ${a.role}'s ArrayBuffer and gc()`, () => { a.detach(false); gc(); }]);
      if (a.resizable) acts.push([`shrink ${a.role}'s resizable ArrayBuffer into the window`, () => { a.shrink(a.start + r.int(0, a.len >> 1)); }]);
      if (v.obj && typeof v.obj === 'object') {
        const d = this.decoy(`decoy buffer for ${a.role}`, a.start - a.base + a.len + 64);
        acts.push([`give ${a.role} an own buffer property (a decoy ArrayBuffer, all guard)`, () => { tryDefine(v.obj as object, 'buffer', { value: d.ab, configurable: true }); }]);
        const e = this.excess(a);
        acts.push([`give ${a.role} own length/byteLength window+${e}`, () => {
          tryDefine(v.obj as object, 'length', { value: a.len + e, configurable: true });
          tryDefine(v.obj as object, 'byteLength', { value: a.len + e, configurable: true });
        }]);
      }
    }
    if (v.kind === 'struct') {
      const small = this.arena(`${v.arena.role} (small replacement)`, 8, { after: 320 });
      acts.push([`reassign ${v.arena.role}'s $buffer to an 8-byte window`, () => {
        if (!Reflect.set(v.obj as object, '$buffer', small.buffer())) tryDefine(v.obj as object, '$buffer', { value: small.buffer(), configurable: true });
      }]);
    }
    if (v.kind === 'fd') acts.push([`close fd ${v.fd} and open another file at its number`, () => { v.reopen(); }]);
    acts.push(['gc()', () => gc()]);
    const [what, act] = r.pick(this.cls === 'gc' ? acts.filter(([w]) => /gc\(\)/.test(w)) : acts);
    const h = { what: `${where}: ${what}`, fired: 0 };
    this.hooks.push(h);
    this.note(`hook in ${where}: ${what}`);
    return () => { if (h.fired++ === 0) act(); };
  }

  /** A flags argument (the honest words) as an array whose last element is a getter running `hook`. */
  flagsWith(words: string[], where: string): unknown {
    const h = this.hook(where);
    if (!h) return words.join(',');
    const arr: unknown[] = [...words.slice(0, -1)];
    const last = words[words.length - 1] ?? '';
    Object.defineProperty(arr, arr.length, { get() { h(); return last; }, enumerable: true, configurable: true });
    return arr;
  }

  /** An options object whose property `key` is a getter running the hook. */
  optionsWith(base: Record<string, unknown>, key: string, where: string): Record<string, unknown> {
    const h = this.hook(where);
    const o = { ...base };
    if (!h) return o;
    const val = base[key];
    Object.defineProperty(o, key, { get() { h(); return val; }, enumerable: true, configurable: true });
    return o;
  }
}

export class Refused extends Error {}

export type StructCls = { new (buffer?: Buffer, offset?: number): object; readonly size: number; readonly name: string; readonly prototype: object };

function tryDefine(o: object, k: PropertyKey, d: PropertyDescriptor): string {
  try {
    Object.defineProperty(o, k, d);
    return 'defined';
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  }
}
