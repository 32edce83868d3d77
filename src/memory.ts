// Memory mappings: mmap and the calls that act on a mapping (munmap, mremap, mprotect, madvise, msync, mincore, mlock,
// mlock2, munlock, mseal), and the process-wide mlockall/munlockall.
//
// mmap returns a Mapping: its address and length as numbers, and `buffer`, a zero-copy Buffer over the mapped memory.
// The calls on a mapping take the Mapping (and an offset and length checked against it), never a bare address, so no
// JS number reaches the kernel as a pointer to memory this library did not map. A Mapping is unmapped exactly once:
// munmap() is idempotent, `using` unmaps at the end of the block, and the garbage collector unmaps a Mapping that
// neither it nor any view of its memory can reach (unless nogc()).
//
// The memory behind `buffer` must never be touched once it is gone, so the library detaches the ArrayBuffer under the
// Buffer (every view of it then has length 0: reads give undefined or throw RangeError, writes do nothing) whenever the
// memory stops being readable: after munmap, after a successful mremap (the memory moved or changed size: take
// `m.buffer` again), and while any page of the mapping has no PROT_READ or is a guard page (`m.buffer` then throws
// EACCES until mprotect/madvise make every page readable again, when a fresh view comes back).
//
// What keeps a Mapping alive is its views' ArrayBuffer, through a WeakMap the library holds (nothing a caller can
// delete or overwrite on a view unlinks them). A Worker that returns or calls process.exit() unmaps its collectable
// Mappings: its isolate is torn down without running finalizers.
//
// What a Buffer cannot express is the caller's care: writing into a page mapped without PROT_WRITE, or reading a
// MAP_SHARED file mapping beyond the end of its file (after a truncate), faults (SIGSEGV, SIGBUS) like it would in C.
// Nor can munmap stop native I/O that already has the memory (an fs.read or a crypto call pending in libuv's pool).
import { constants as bufferConstants } from 'node:buffer';
import { createRequire } from 'node:module';
import { abi, raw } from './core/abi.ts';
import { backend } from './core/backend.ts';
import { check, SyscallError } from './core/errors.ts';
import { fdNum, workerThreads, type FdLike } from './core/fd.ts';
import { flags, constant, type Flags } from './core/flags.ts';
import { bufferFrom, alloc, int, int64, describe, markMapped, setKernelCopy } from './core/args.ts';
import * as sys from './core/arch.ts';
import * as words from './core/words.ts';

const { PROT, MAP, MREMAP, MADV, MSYNC, MLOCK, MCL, E, RLIMIT } = abi;

/**
 * The addresses user space gets without asking for more (47 bits on x86_64, 48 on aarch64, 32 on 32-bit arches):
 * mmap hints must be below it, so that every address the kernel returns is an exact number.
 */
const ADDRESS_LIMIT = words.ADDRESS_LIMIT;

let pageSizeValue = 0;
/**
 * The page size in bytes, from the auxiliary vector the kernel gave this process (AT_PAGESZ, through libc's getauxval:
 * no /proc).
 *
 * @example
 * ```ts
 * pageSize(); // 4096
 * const m = mmap(2 * pageSize());
 * ```
 * @see https://man7.org/linux/man-pages/man3/getauxval.3.html
 */
export function pageSize(): number {
  if (!pageSizeValue) {
    const value = backend().auxval(6); // AT_PAGESZ
    if (!value) throw new Error('the auxiliary vector has no AT_PAGESZ');
    pageSizeValue = Number(value);
  }
  return pageSizeValue;
}

// ---- zero-copy views, and taking them back ----

/** An external ArrayBuffer over `length` bytes at `address` (no copy). */
const externalView = (address: number, length: number): ArrayBuffer => backend().view(address, length);

let detachFn: ((ab: ArrayBuffer) => void) | undefined;
/**
 * Detach an ArrayBuffer: every view of it gets length 0, so nothing can reach the memory behind it any more. Uses
 * ArrayBuffer.prototype.transfer where the runtime has it (Node >= 21), else V8's %ArrayBufferDetach (Node 20), compiled
 * once with --allow-natives-syntax switched on for that one function only.
 */
function detach(ab: ArrayBuffer): void {
  if (!detachFn) {
    const transfer = (ArrayBuffer.prototype as { transfer?: (n: number) => ArrayBuffer }).transfer;
    if (typeof transfer === 'function') {
      detachFn = (b) => { transfer.call(b, 0); };
    } else {
      // node:v8 is loaded only here: importing it costs about 3 ms, which every `import 'tsyscall'` would pay
      const { setFlagsFromString } = createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
      setFlagsFromString('--allow-natives-syntax');
      try {
        const f = new Function('b', '%ArrayBufferDetach(b)') as (b: ArrayBuffer) => void;
        f(new ArrayBuffer(1)); // compile it fully while the flag is on
        detachFn = f;
      } finally {
        setFlagsFromString('--no-allow-natives-syntax');
      }
    }
  }
  if (ab.byteLength === 0) return;
  detachFn(ab);
  if (ab.byteLength !== 0) throw new Error('tsyscall: could not detach the view of an unmapped mapping');
}

// ---- Mapping ----

/** What the collector needs to unmap a Mapping: no reference to the Mapping itself. */
interface Region {
  address: number;
  length: number;
  live: boolean;
  /** In a Worker, for a collectable Mapping: its current view's ArrayBuffer, to detach when the Worker exits. */
  view: WeakRef<ArrayBuffer> | null;
}

const collector = new FinalizationRegistry<Region>((r) => {
  if (r.live) {
    r.live = false;
    unlist(r);
    raw.munmap(r.address, r.length);
  }
});

/**
 * Each view's ArrayBuffer to the Mapping it shows: while a view (any Buffer or typed array over that ArrayBuffer)
 * lives, so does its Mapping, and the memory stays mapped. A WeakMap: nothing a caller does to the views unlinks them.
 */
const viewOwners = new WeakMap<ArrayBuffer, Mapping>();
const INTERNAL = Symbol('tsyscall.internal');
/** A page's state bit for a guard page (MADV_GUARD_INSTALL); the other bits are its PROT_ bits. */
const GUARD = 0x80;

// ---- the Mappings of Worker threads ----
//
// A Worker's isolate is torn down without running finalizers: a Worker lists its collectable Mappings, and unmaps them
// when it exits by returning or by process.exit() (its views detached first, as munmap does, for the 'exit' listeners
// that run after the library's). After terminate(), no code of the Worker runs: its Mappings stay mapped (a leak, not a
// fault). No other thread may unmap them instead: the list would have to sit in memory every thread, and so any code,
// can write (environment data is readable by all), and whatever it said would be unmapped. The main thread lists
// nothing: its end is the process's.

/** This Worker's collectable Mappings; null on the main thread. */
let workerRegions: Set<Region> | null | undefined;

function regionsOfThisWorker(): Set<Region> | null {
  if (workerRegions !== undefined) return workerRegions;
  // a Worker always has node:worker_threads loaded: the main thread need not load it (3 ms) to know it is not one
  const list = (process as { moduleLoadList?: string[] }).moduleLoadList;
  if ((list && !list.includes('NativeModule worker_threads')) || workerThreads().isMainThread) return (workerRegions = null);
  const regions = new Set<Region>();
  process.on('exit', () => {
    for (const r of regions) {
      const ab = r.view?.deref();
      r.view = null;
      if (ab) detach(ab);
      if (r.live) {
        r.live = false;
        raw.munmap(r.address, r.length);
      }
    }
    regions.clear();
  });
  return (workerRegions = regions);
}

function list(r: Region): void {
  regionsOfThisWorker()?.add(r);
}

function unlist(r: Region): void {
  workerRegions?.delete(r);
  r.view = null;
}

function unmappedError(syscall: string, address: number): SyscallError {
  const err = new SyscallError(E.FAULT, syscall);
  err.message = `EFAULT: the mapping at 0x${address.toString(16)} was unmapped, ${syscall}`;
  return err;
}

interface Internal {
  /** The address and length of `length` bytes from `offset`, checked against the mapping. */
  range(m: unknown, syscall: string, offset?: unknown, length?: unknown): [number, number];
  /** Set the protection bits of some pages (after a successful mprotect). */
  protect(m: Mapping, prot: number, offset: number, len: number): void;
  /** Mark or clear guard pages (after a successful MADV_GUARD_INSTALL / MADV_GUARD_REMOVE). */
  guard(m: Mapping, on: boolean, offset: number, len: number): void;
  /** The mapping moved or changed size (after a successful mremap). */
  moved(m: Mapping, address: number, length: number): void;
  /** The page states for a new mapping of `length` bytes made from this one (mremap with MREMAP_DONTUNMAP). */
  pages(m: Mapping, length: number): Uint8Array;
}
let internal: Internal;

/**
 * A memory mapping made by mmap: `buffer` is a zero-copy view of it.
 *
 * Unmapped exactly once: by munmap() (idempotent), at the end of a `using` block, or by the garbage collector once
 * neither it nor any view of its memory is reachable (unless nogc()). Its views are detached when the memory goes or
 * stops being readable.
 *
 * @example
 * ```ts
 * using m = mmap(4096);
 * m.buffer.write('hi');
 * m.mprotect('read'); // the methods are the calls of this module on it
 * ```
 * @see https://man7.org/linux/man-pages/man2/mmap.2.html
 */
export class Mapping {
  #r: Region;
  #pages: Uint8Array;
  #ab: ArrayBuffer | null = null;
  #buf: Buffer | null = null;
  #token = {};
  #gc = true;

  /** @internal: Mappings come from mmap and mremap only. */
  constructor(key: symbol, address: number, length: number, pages: Uint8Array) {
    if (key !== INTERNAL) throw new TypeError('Mapping: mappings come from mmap(), not from new');
    this.#r = { address, length, live: true, view: null };
    this.#pages = pages;
    collector.register(this, this.#r, this.#token);
    list(this.#r);
  }

  /** The start address (a number); still readable after munmap, for messages. */
  get address(): number {
    return this.#r.address;
  }

  /** The length asked for, in bytes (the kernel maps whole pages). */
  get length(): number {
    return this.#r.length;
  }

  get unmapped(): boolean {
    return !this.#r.live;
  }

  /**
   * A Buffer over the mapping's memory, without copy. The same Buffer until munmap, mremap or a protection change
   * that makes a page unreadable detaches it. Throws EFAULT once unmapped, EACCES while a page is not readable.
   */
  get buffer(): Buffer {
    if (this.#buf) return this.#buf;
    if (!this.#r.live) throw unmappedError('mmap', this.#r.address);
    if (!this.#readable()) {
      const err = new SyscallError(E.ACCES, 'mmap');
      err.message = `EACCES: the mapping at 0x${this.#r.address.toString(16)} has pages without PROT_READ or guard pages, mmap`;
      throw err;
    }
    const ab = externalView(this.#r.address, this.#r.length);
    viewOwners.set(ab, this);
    markMapped(ab);
    if (this.#gc && workerRegions) this.#r.view = new WeakRef(ab);
    this.#ab = ab;
    this.#buf = bufferFrom(ab);
    return this.#buf;
  }

  /** Unmap it. Idempotent; afterwards every view of it has length 0. Throws (and stays mapped) if the kernel refuses. */
  munmap(): void {
    const r = this.#r;
    if (!r.live) return;
    check(raw.munmap(r.address, r.length), 'munmap');
    r.live = false;
    unlist(r);
    collector.unregister(this.#token);
    this.#invalidate();
  }

  [Symbol.dispose](): void {
    this.munmap();
  }

  /** Do not unmap it on garbage collection (it still unmaps on munmap() or dispose). */
  nogc(): this {
    if (this.#gc) collector.unregister(this.#token);
    this.#gc = false;
    unlist(this.#r); // nor unmapped when its Worker exits
    return this;
  }

  mremap(newLength: number, how?: Flags): Mapping { return mremap(this, newLength, how); }
  mprotect(prot: Flags, offset?: number, length?: number): void { mprotect(this, prot, offset, length); }
  madvise(advice: string | number, offset?: number, length?: number): void { madvise(this, advice, offset, length); }
  msync(how?: Flags, offset?: number, length?: number): void { msync(this, how, offset, length); }
  mincore(offset?: number, length?: number): boolean[] { return mincore(this, offset, length); }
  mlock(offset?: number, length?: number): void { mlock(this, offset, length); }
  mlock2(how?: Flags, offset?: number, length?: number): void { mlock2(this, how, offset, length); }
  munlock(offset?: number, length?: number): void { munlock(this, offset, length); }
  mseal(offset?: number, length?: number): void { mseal(this, offset, length); }

  toString(): string {
    return this.#r.live ? `Mapping(0x${this.#r.address.toString(16)}, ${this.#r.length})` : 'Mapping(unmapped)';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  #readable(): boolean {
    for (const p of this.#pages) if (!(p & PROT.READ) || p & GUARD) return false;
    return true;
  }

  /** Detach the current view (the next `buffer` makes a fresh one, if the memory is there and readable). */
  #invalidate(): void {
    const ab = this.#ab;
    this.#ab = null;
    this.#buf = null;
    this.#r.view = null;
    if (ab) {
      viewOwners.delete(ab);
      detach(ab);
    }
  }

  // the functions of this module reach the private state through `internal`, which is not exported
  static {
    internal = {
      range(m, syscall, offset = 0, length) {
        if (!(m instanceof Mapping)) throw new TypeError(`${syscall}: expected a Mapping (from mmap), got ${describe(m)}`);
        const r = m.#r;
        if (!r.live) throw unmappedError(syscall, r.address);
        const off = int(offset, 'offset', 0, r.length);
        const len = length === undefined ? r.length - off : int(length, 'length', 0, r.length - off);
        return [r.address + off, len];
      },
      protect(m, prot, offset, len) {
        const [a, b] = pageSpan(offset, len);
        for (let i = a; i < b; i++) m.#pages[i] = (m.#pages[i] & GUARD) | prot;
        if (!m.#readable()) m.#invalidate();
      },
      guard(m, on, offset, len) {
        const [a, b] = pageSpan(offset, len);
        for (let i = a; i < b; i++) m.#pages[i] = on ? m.#pages[i] | GUARD : m.#pages[i] & ~GUARD;
        if (!m.#readable()) m.#invalidate();
      },
      moved(m, address, length) {
        m.#invalidate();
        m.#r.address = address;
        m.#r.length = length;
        m.#pages = resize(m.#pages, pagesOf(length));
      },
      pages: (m, length) => resize(m.#pages, pagesOf(length)),
    };
  }
}


/** Pages [first, end) touched by an operation on `len` bytes from `offset` (the kernel works on whole pages). */
function pageSpan(offset: number, len: number): [number, number] {
  const ps = pageSize();
  return [Math.floor(offset / ps), Math.ceil((offset + len) / ps)];
}

const pagesOf = (length: number) => Math.ceil(length / pageSize());

/** A copy of page states at a new page count; new pages take the last page's state (the kernel extends the last vma). */
function resize(pages: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(pages.subarray(0, n));
  if (n > pages.length && pages.length) out.fill(pages[pages.length - 1], pages.length);
  return out;
}

// ---- the calls ----

const protFlags = (p: Flags) => flags(PROT, 'PROT', 'PROT_', p);
const mapFlags = (f: Flags) => flags(MAP, 'MAP', 'MAP_', f);

/**
 * Map memory: `length` bytes, anonymous and private by default, or from `fd` at `offset` (shared by default). `address`
 * is a hint, or an exact place with 'fixed_noreplace' (MAP_FIXED, which may replace memory Node uses, is refused).
 *
 * @example
 * ```ts
 * using m = mmap(4096);                     // PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS
 * m.buffer.write('hello');
 * const f = mmap(size, 'read', 'shared', fd); // a file, read-only
 * ```
 * @see https://man7.org/linux/man-pages/man2/mmap.2.html
 */
export function mmap(length: number, prot: Flags = 'read, write', how?: Flags, fd?: FdLike, offset: number | bigint = 0, address = 0): Mapping {
  const len = int(length, 'length', 0, bufferConstants.MAX_LENGTH);
  const p = protFlags(prot);
  const f = mapFlags(how ?? (fd === undefined ? 'private, anonymous' : 'shared'));
  if ((f & MAP.FIXED) !== 0) {
    throw new TypeError("mmap: MAP_FIXED could replace memory this process uses; use 'fixed_noreplace'");
  }
  const n = fd === undefined ? -1 : fdNum(fd, 'mmap');
  const off = int64(offset, 'offset', true);
  const hint = int(address, 'address', 0, ADDRESS_LIMIT - 1);
  // everything that can fail before the kernel maps: nothing may throw between mapping and the Mapping that owns it
  const pages = new Uint8Array(pagesOf(len)).fill(p & 0x7f);
  const a = check(sys.mmap(hint, len, p, f, n, off), 'mmap');
  try {
    return new Mapping(INTERNAL, a, len, pages);
  } catch (err) {
    raw.munmap(a, len);
    throw err;
  }
}

/**
 * Unmap a mapping: the same as m.munmap() (idempotent; its views become empty).
 *
 * @example
 * ```ts
 * const m = mmap(4096);
 * const b = m.buffer;
 * munmap(m);                                // b.length === 0 now; m.buffer throws EFAULT
 * ```
 * @see https://man7.org/linux/man-pages/man2/munmap.2.html
 */
export function munmap(m: Mapping): void {
  if (!(m instanceof Mapping)) throw new TypeError(`munmap: expected a Mapping (from mmap), got ${describe(m)}`);
  m.munmap();
}

/**
 * Grow, shrink or move a mapping (flags 'maymove' by default).
 *
 * The Mapping follows its memory: its address and length change and its old views are detached (take m.buffer again).
 * With 'maymove, dontunmap' the memory moves to a new Mapping, which is returned, and the old range stays mapped
 * (empty). MREMAP_FIXED is refused, like MAP_FIXED.
 *
 * @example
 * ```ts
 * const m = mmap(4096);
 * mremap(m, 8192);                          // m.length === 8192, same contents, perhaps at a new address
 * ```
 * @see https://man7.org/linux/man-pages/man2/mremap.2.html
 */
export function mremap(m: Mapping, newLength: number, how: Flags = 'maymove'): Mapping {
  const [a, len] = internal.range(m, 'mremap');
  const n = int(newLength, 'newLength', 0, bufferConstants.MAX_LENGTH);
  const f = flags(MREMAP, 'MREMAP', 'MREMAP_', how);
  if ((f & MREMAP.FIXED) !== 0) throw new TypeError('mremap: MREMAP_FIXED could replace memory this process uses');
  const pages = internal.pages(m, n);
  const r = check(sys.unsignedResult(raw.mremap(a, len, n, f, 0)), 'mremap');
  if ((f & MREMAP.DONTUNMAP) !== 0) return new Mapping(INTERNAL, r, n, pages);
  internal.moved(m, r, n);
  return m;
}

/**
 * Change the protection of a mapping, or of `length` bytes from `offset` (page-aligned).
 *
 * A page without PROT_READ detaches the mapping's views until every page is readable again. Writing into a page without
 * PROT_WRITE through a view faults (SIGSEGV): the Buffer cannot refuse it.
 *
 * @example
 * ```ts
 * mprotect(m, 'read');                      // read-only
 * mprotect(m, 'none', 4096, 4096);          // the second page: m.buffer throws EACCES now
 * ```
 * @see https://man7.org/linux/man-pages/man2/mprotect.2.html
 */
export function mprotect(m: Mapping, prot: Flags, offset?: number, length?: number): void {
  const [a, len] = internal.range(m, 'mprotect', offset, length);
  const p = protFlags(prot);
  check(raw.mprotect(a, len, p), 'mprotect');
  internal.protect(m, p & 0x7f, a - m.address, len);
}

/**
 * Advise the kernel about a mapping's use: a MADV_ name ('dontneed', 'willneed', 'dontfork', 'guard_install'...) or
 * number.
 *
 * Guard pages detach the mapping's views until removed ('guard_remove'). MADV_HWPOISON is refused: it makes the pages
 * fault on any access.
 *
 * @example
 * ```ts
 * madvise(m, 'dontneed');                   // private anonymous pages read as zeros again
 * ```
 * @see https://man7.org/linux/man-pages/man2/madvise.2.html
 */
export function madvise(m: Mapping, advice: string | number, offset?: number, length?: number): void {
  const [a, len] = internal.range(m, 'madvise', offset, length);
  const adv = constant(MADV, 'MADV', 'MADV_', advice);
  if (adv === MADV.HWPOISON) throw new RangeError('madvise: MADV_HWPOISON makes the pages fault on any access; not offered');
  check(raw.madvise(a, len, adv), 'madvise');
  if (adv === MADV.GUARD_INSTALL || adv === MADV.GUARD_REMOVE) internal.guard(m, adv === MADV.GUARD_INSTALL, a - m.address, len);
}

/**
 * Write a file-backed mapping's changes to its file: 'sync' (the default, waits), 'async', 'invalidate'.
 *
 * @example
 * ```ts
 * const m = mmap(5, 'read, write', 'shared', fd);
 * m.buffer.write('hello');
 * msync(m);                                 // the file now holds 'hello'
 * ```
 * @see https://man7.org/linux/man-pages/man2/msync.2.html
 */
export function msync(m: Mapping, how: Flags = 'sync', offset?: number, length?: number): void {
  const [a, len] = internal.range(m, 'msync', offset, length);
  check(raw.msync(a, len, flags(MSYNC, 'MSYNC', 'MS_', how)), 'msync');
}

/**
 * Which pages of a mapping (or of `length` bytes from a page-aligned `offset`) are resident in memory.
 *
 * @example
 * ```ts
 * const m = mmap(3 * 4096);
 * m.buffer[0] = 1;
 * mincore(m);                               // [true, false, false]
 * ```
 * @see https://man7.org/linux/man-pages/man2/mincore.2.html
 */
export function mincore(m: Mapping, offset?: number, length?: number): boolean[] {
  const [a, len] = internal.range(m, 'mincore', offset, length);
  const vec = alloc(pagesOf(len));
  check(raw.mincore(a, len, vec), 'mincore');
  return [...vec].map((v) => (v & 1) === 1);
}

/**
 * Lock a mapping's pages (or some) in memory, populating them.
 *
 * Needs CAP_IPC_LOCK beyond RLIMIT_MEMLOCK.
 *
 * @example
 * ```ts
 * mlock(m);                                 // /proc/self/smaps: Locked: 8 kB, VmFlags: ... lo
 * ```
 * @see https://man7.org/linux/man-pages/man2/mlock.2.html
 */
export function mlock(m: Mapping, offset?: number, length?: number): void {
  const [a, len] = internal.range(m, 'mlock', offset, length);
  check(raw.mlock(a, len), 'mlock');
}

/**
 * Lock a mapping's pages (or some) in memory, as mlock does, with MLOCK_ flags: 'onfault' locks pages as they are
 * touched instead of populating them now.
 *
 * @example
 * ```ts
 * mlock2(m, 'onfault');
 * ```
 * @see https://man7.org/linux/man-pages/man2/mlock2.2.html
 */
export function mlock2(m: Mapping, how: Flags = 0, offset?: number, length?: number): void {
  const [a, len] = internal.range(m, 'mlock2', offset, length);
  check(raw.mlock2(a, len, flags(MLOCK, 'MLOCK', 'MLOCK_', how)), 'mlock2');
}

/**
 * Unlock a mapping's pages (or some).
 *
 * @example
 * ```ts
 * munlock(m);
 * ```
 * @see https://man7.org/linux/man-pages/man2/munlock.2.html
 */
export function munlock(m: Mapping, offset?: number, length?: number): void {
  const [a, len] = internal.range(m, 'munlock', offset, length);
  check(raw.munlock(a, len), 'munlock');
}

/**
 * Seal a mapping (or part): it can no longer be unmapped, moved, resized or have its protection changed (EPERM), for
 * the life of the process.
 *
 * Linux 6.10; man-pages have no page for it yet. A sealed Mapping is no longer unmapped by the garbage collector.
 *
 * @example
 * ```ts
 * mseal(m);
 * m.munmap();                               // throws EPERM
 * ```
 * @see (no man page yet)
 */
export function mseal(m: Mapping, offset?: number, length?: number): void {
  const [a, len] = internal.range(m, 'mseal', offset, length);
  check(raw.mseal(a, len, 0), 'mseal');
  m.nogc(); // munmap can never succeed now
}

/**
 * Lock all of the process's memory: MCL_ flags 'current', 'future', 'onfault'.
 *
 * Needs CAP_IPC_LOCK beyond RLIMIT_MEMLOCK (a Node process maps far more than the default 8 MB).
 *
 * 'future' is refused (EPERM) when the process could not lock what it maps later: without CAP_IPC_LOCK (in the initial
 * user namespace) and under a finite RLIMIT_MEMLOCK, the kernel accepts MCL_FUTURE, then fails V8's own later mmap and
 * mprotect calls, and V8 aborts the process ("Check failed: 0 == ret").
 *
 * @example
 * ```ts
 * mlockall('current, onfault');             // /proc/self/status: VmLck grows to the whole mapped size
 * munlockall();
 * ```
 * @see https://man7.org/linux/man-pages/man2/mlockall.2.html
 */
export function mlockall(how: Flags): void {
  const f = flags(MCL, 'MCL', 'MCL_', how);
  if ((f & MCL.FUTURE) !== 0) {
    const limit = futureLockLimit();
    if (limit !== undefined) {
      const err = new SyscallError(E.PERM, 'mlockall');
      err.message = `EPERM: MCL_FUTURE without CAP_IPC_LOCK under RLIMIT_MEMLOCK (${limit} bytes) would make Node's own ` +
        'later allocations fail and abort the process; refused, mlockall';
      throw err;
    }
  }
  check(raw.mlockall(f), 'mlockall');
}

/**
 * RLIMIT_MEMLOCK in bytes if this process could not lock memory beyond it, else undefined (no limit, or the kernel
 * lets it lock more: CAP_IPC_LOCK in the initial user namespace). The kernel is asked, not the capability sets (which
 * say nothing of the namespace): mlock2(MLOCK_ONFAULT) of a reserved range one page longer than the limit (nothing is
 * populated; where mlock2 is missing, mlock of read-only anonymous pages, which maps the shared zero page), then munmap.
 */
function futureLockLimit(): bigint | undefined {
  const lim = alloc(16);
  if (raw.prlimit64(0, RLIMIT.MEMLOCK, null, lim) !== 0) return undefined; // cannot tell: the kernel decides
  const cur = words.readU64(lim, 0);
  if (cur >= 2n ** 46n) return undefined; // RLIM64_INFINITY, or more than a process maps
  const ps = pageSize();
  const len = (Math.floor(Number(cur) / ps) + 1) * ps;
  const a = sys.mmap(0, len, PROT.READ, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE, -1, 0);
  if (a < 0) return cur; // not even reserved: assume the worst
  try {
    let r = raw.mlock2(a, len, MLOCK.ONFAULT);
    if (r === -E.NOSYS) r = raw.mlock(a, len);
    return r === 0 ? undefined : cur;
  } finally {
    raw.munmap(a, len);
  }
}

/**
 * Unlock all of the process's memory (and stop locking future mappings).
 *
 * @example
 * ```ts
 * munlockall();                             // /proc/self/status: VmLck: 0 kB
 * ```
 * @see https://man7.org/linux/man-pages/man2/munlockall.2.html
 */
export function munlockall(): void {
  check(raw.munlockall(), 'munlockall');
}

/**
 * Copy mapped memory through the kernel (process_vm_readv on this process): where the pages are gone (a shared file
 * mapping whose file was truncated) the kernel answers EFAULT, where reading them from JavaScript is a SIGBUS that
 * kills the process. The argument checks copy paths and names this way when they come from a mapping.
 */
function copyThroughKernel(dst: Uint8Array, src: Uint8Array): void {
  const n = src.byteLength;
  const size = abi.Iovec.size;
  const iov = alloc(2 * size);
  const local = new abi.Iovec(iov, 0);
  local.iov_base = words.pointerField(backend().address(dst)) as bigint;
  local.iov_len = n as never;
  const remote = new abi.Iovec(iov, size);
  remote.iov_base = words.pointerField(backend().address(src)) as bigint;
  remote.iov_len = n as never;
  const got = raw.process_vm_readv(raw.getpid(), iov.subarray(0, size), 1, iov.subarray(size), 1, 0);
  // no process_vm_readv here (qemu-user, a seccomp policy): copy as JavaScript would
  if (got === -E.NOSYS || got === -E.PERM) return void dst.set(src);
  if (got !== n) throw new SyscallError(got < 0 ? -got : E.FAULT, 'process_vm_readv');
}
setKernelCopy(copyThroughKernel);
