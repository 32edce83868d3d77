// File descriptors as objects. An Fd has its number (`fileno`), a method for every fd-first call (added by the domain
// modules), an idempotent close(), Symbol.dispose for `using`, and is closed by the garbage collector unless nogc().
// A plain number is accepted wherever an fd is.
//
// Ownership. Closing never touches a number that another open has reused, in any thread: every descriptor number has a
// generation in a table shared by the threads of the process (a SharedArrayBuffer handed to Worker threads through
// worker_threads' environment data). An Fd records the generation it made when it took its number, and closes the
// number (on close(), dispose or collection) only if the generation is still its own. Whatever closes or replaces a
// number by other means (close of the number, dup2/dup3 onto it, close_range) moves its generation on (Fd.forget,
// forgetRange), and a new Fd for a number moves it on too, so the Fd that owned it before forgets it.
//
// The table is made at import where node:worker_threads is loaded already (a program that starts Workers), else on the
// thread's first Fd (or forget), and reaches the Workers started after it exists; a Worker started before keeps a table
// of its own, and its Fds are not protected from the other threads' (nor theirs from it). It covers RLIMIT_NOFILE's hard
// limit (2^20 numbers at most, and at import, where no syscall is made, 2^20: only the pages in use cost memory).
// Numbers beyond it (a hard limit raised later) are tracked per thread.
//
// Descriptor pressure is memory pressure: Fds are small, so the collector may not run before a loop that forgets
// close() runs out of descriptors. retryFd() runs a call that makes a descriptor and, on EMFILE or ENFILE, collects
// garbage and closes the descriptors of collected Fds synchronously, then tries once more. Every collection that closes
// descriptors emits one process warning that says how many, as Node does for a FileHandle it closes.
//
// A thread that ends takes its collectable Fds with it: when a Worker exits (returns, process.exit(), or terminate()
// from the thread that started it), the descriptors its collectable Fds still own are closed.
import { createRequire } from 'node:module';
import { abi, raw } from './abi.ts';
import { min, max, alloc, describe } from './args.ts';
import { SyscallError } from './errors.ts';
import { readU64 } from './words.ts';

let requireFn: NodeJS.Require | undefined;
/** require(), made on first use: createRequire (and import.meta) cost the import about 3 ms. */
const require = (id: string): unknown => (requireFn ??= createRequire(import.meta.url))(id);

// ---- threads: what the modules that own process-wide resources (descriptors, mappings) share ----

type WorkerThreads = typeof import('node:worker_threads');
let workerThreadsModule: WorkerThreads | undefined;
/** node:worker_threads, loaded on first use (it costs about 3 ms, which `import 'tsyscall'` must not pay). */
export function workerThreads(): WorkerThreads {
  return (workerThreadsModule ??= require('node:worker_threads') as WorkerThreads);
}

/** This thread's mark in shared tables: its threadId + 1 (0 is nobody). */
export function threadMark(): number {
  return workerThreads().threadId + 1;
}

/**
 * A SharedArrayBuffer every thread of the process shares under `key`: the one this thread's Worker environment data
 * holds (from the thread that started it) if `valid` accepts it, else a new one from `make`, which the Workers this
 * thread starts from now on receive.
 */
export function sharedBuffer(key: string, make: () => SharedArrayBuffer, valid: (b: SharedArrayBuffer) => boolean): SharedArrayBuffer {
  const wt = workerThreads();
  const got = wt.getEnvironmentData(key);
  if (got instanceof SharedArrayBuffer && valid(got)) return got;
  const made = make();
  wt.setEnvironmentData(key, made);
  return made;
}

type Reaper = (mark: number) => void;
const reapers: Reaper[] = [];
/**
 * Call `reap(mark)` when a thread ends that may hold resources: this thread, if it is a Worker, when it exits (its
 * `process` 'exit' event: on return or process.exit(), not on terminate()), and every Worker this thread starts, when
 * its 'exit' event comes here (also after terminate()). A reaper must be idempotent: both may call it for one Worker.
 */
export function onThreadEnd(reap: Reaper): void {
  if (reapers.push(reap) > 1) return;
  const wt = workerThreads();
  const all = (mark: number) => { for (const r of reapers) r(mark); };
  if (!wt.isMainThread) {
    const me = threadMark();
    process.on('exit', () => all(me));
  }
  process.on('worker', (w) => {
    const mark = w.threadId + 1;
    w.once('exit', () => all(mark));
  });
}

// ---- the generation table ----

const MAGIC = 0x74737966; // 'tsyf'
const HEADER = 4; // Int32s: magic, size, high-water mark (1 + the highest number ever taken), spare
const MAX_TABLE = 2 ** 20; // the kernel's default fs.nr_open: no descriptor number reaches it unless raised
const ENV_KEY = 'tsyscall:fd-owners';

/**
 * Per number: `gen`, odd while an Fd owns it (a new owner takes the next odd value, the owner closing it or anything
 * forgetting it makes it even), and `owner`, the thread mark of its collectable owner (0 for a nogc() Fd).
 */
interface Table { hdr: Int32Array; gen: Int32Array; owner: Int32Array; size: number }
let table: Table | undefined;
/** Generations of the numbers beyond the table, this thread's only; and which of them a collectable Fd owns. */
const far = new Map<number, number>();
const farCollectable = new Set<number>();
let me = 0;

/** A new table: sized from RLIMIT_NOFILE's hard limit (at most MAX_TABLE), or MAX_TABLE when made at import. */
function makeTable(atImport: boolean): SharedArrayBuffer {
  let size = MAX_TABLE;
  const lim = alloc(16);
  // at import, no syscall (it would load the FFI): 2^20 numbers of address space, of which only pages in use cost memory
  if (!atImport && raw.prlimit64(0, abi.RLIMIT.NOFILE, null, lim) === 0) {
    const max = readU64(lim, 8); // rlim_max
    if (max < BigInt(MAX_TABLE)) size = Math.max(Number(max), 1024);
  }
  const sab = new SharedArrayBuffer(4 * (HEADER + 2 * size));
  const hdr = new Int32Array(sab, 0, HEADER);
  hdr[0] = MAGIC;
  hdr[1] = size;
  return sab;
}

function validTable(sab: SharedArrayBuffer): boolean {
  if (sab.byteLength < 4 * HEADER) return false;
  const hdr = new Int32Array(sab, 0, HEADER);
  return hdr[0] === MAGIC && hdr[1] >= 0 && hdr[1] <= MAX_TABLE && sab.byteLength === 4 * (HEADER + 2 * hdr[1]);
}

function owners(atImport = false): Table {
  if (table) return table;
  const sab = sharedBuffer(ENV_KEY, () => makeTable(atImport), validTable);
  const hdr = new Int32Array(sab, 0, HEADER);
  const size = hdr[1];
  table = { hdr, size, gen: new Int32Array(sab, 4 * HEADER, size), owner: new Int32Array(sab, 4 * (HEADER + size), size) };
  me = threadMark();
  onThreadEnd(reapThread);
  return table;
}

// A program that starts Workers has loaded node:worker_threads before this module runs (an ES module's static imports
// of builtins load before any module body runs; and in a Worker it is always loaded): make the table now, so that the
// Workers started from now on share it. Otherwise it is made on this thread's first Fd.
if ((process as { moduleLoadList?: string[] }).moduleLoadList?.includes('NativeModule worker_threads')) owners(true);

/** Take number n for a new Fd: the Fd that owned it (in any thread) forgets it. Returns the new owner's generation. */
function take(n: number, collectable: boolean): number {
  const t = owners();
  if (n < t.size) {
    // the owner first: a reaper that sees this generation sees this owner (see reapThread)
    Atomics.store(t.owner, n, collectable ? me : 0);
    for (;;) {
      const v = Atomics.load(t.gen, n);
      const next = ((v | 1) + 2) | 0;
      if (Atomics.compareExchange(t.gen, n, v, next) === v) {
        for (let h = Atomics.load(t.hdr, 2); n >= h; h = Atomics.load(t.hdr, 2)) {
          if (Atomics.compareExchange(t.hdr, 2, h, n + 1) === h) break;
        }
        return next;
      }
    }
  }
  const next = (((far.get(n) ?? 0) | 1) + 2) | 0;
  far.set(n, next);
  if (collectable) farCollectable.add(n);
  else farCollectable.delete(n);
  return next;
}

/** The current generation of number n. */
function generation(n: number): number {
  const t = table ?? owners();
  return n < t.size ? t.gen[n] : far.get(n) ?? 0;
}

/** Give up number n if generation g still owns it: true if it did (the caller may close n now, and only then). */
function giveUp(n: number, g: number): boolean {
  const t = table ?? owners();
  if (n < t.size) return Atomics.compareExchange(t.gen, n, g, (g + 1) | 0) === g;
  if (far.get(n) !== g) return false;
  far.set(n, (g + 1) | 0);
  farCollectable.delete(n);
  return true;
}

/** Whoever owns number n forgets it. */
function forgetNumber(n: number): void {
  const t = owners();
  if (n < t.size) {
    for (;;) {
      const v = Atomics.load(t.gen, n);
      if ((v & 1) === 0 || Atomics.compareExchange(t.gen, n, v, (v + 1) | 0) === v) return;
    }
  }
  const v = far.get(n);
  if (v !== undefined && (v & 1) === 1) {
    far.set(n, (v + 1) | 0);
    farCollectable.delete(n);
  }
}

/** A thread ended: close the numbers its collectable Fds still own (it can close nothing any more itself). */
function reapThread(mark: number): void {
  const t = table!;
  const high = min(Atomics.load(t.hdr, 2), t.size);
  for (let n = 0; n < high; n++) {
    // the generation first, then its owner: take() stores the owner before it moves the generation, so an owner read
    // after the generation belongs to that generation or a later one (never to the ended thread, which takes nothing)
    const g = Atomics.load(t.gen, n);
    if ((g & 1) === 0 || Atomics.load(t.owner, n) !== mark) continue;
    if (Atomics.compareExchange(t.gen, n, g, (g + 1) | 0) === g) raw.close(n);
  }
  if (mark === me) {
    for (const n of farCollectable) {
      const g = far.get(n)!;
      far.set(n, (g + 1) | 0);
      raw.close(n);
    }
    farCollectable.clear();
  }
}

/**
 * Descriptors first..last (inclusive) were closed by other means (close_range): every Fd, in any thread, that owned
 * one of them forgets it. Numbers beyond the shared table are forgotten in this thread only.
 */
export function forgetRange(first: number, last: number): void {
  const t = owners();
  const lo = max(0, Math.ceil(first));
  const hi = min(last, Atomics.load(t.hdr, 2) - 1, t.size - 1);
  for (let n = lo; n <= hi; n++) {
    const v = Atomics.load(t.gen, n);
    if ((v & 1) === 1) forgetNumber(n);
  }
  for (const n of [...far.keys()]) if (n >= first && n <= last) forgetNumber(n);
}

// ---- the collector ----

/** What the collector needs to close a collected Fd's number: no reference to the Fd. */
interface Cell { fd: number; gen: number }

interface Registry {
  register(target: object, held: Cell, token: object): void;
  unregister(token: object): boolean;
  cleanupSome?(): void;
}

let registry: Registry | undefined;
let forceGc: (() => void) | undefined;
let closedByCollector = 0;
let warningPending = false;

/** The collector closed a descriptor: one warning per batch (the job that collects), with the count. */
function collected(cell: Cell): void {
  if (!giveUp(cell.fd, cell.gen)) return; // closed, forgotten or taken over meanwhile
  raw.close(cell.fd);
  closedByCollector++;
  if (!warningPending) {
    warningPending = true;
    queueMicrotask(warnCollected);
  }
}

function warnCollected(): void {
  const n = closedByCollector;
  closedByCollector = 0;
  warningPending = false;
  if (n === 0) return;
  process.emitWarning(
    `tsyscall closed ${n} file descriptor${n === 1 ? '' : 's'} on garbage collection: close() each Fd when done ` +
      '(or declare it with `using`); nogc() keeps an Fd open',
    { code: 'TSYSCALL_FD_GC', detail: 'An Fd nothing references is closed by the garbage collector, which runs late: ' +
      'a program that leaves Fds to it can run out of descriptors (EMFILE) first.' },
  );
}

/**
 * The registry of collectable Fds. Where it can, one whose cleanupSome() runs the callbacks of collected Fds at once
 * (V8's --harmony-weak-refs-with-cleanup-some, switched on for a fresh context of node:vm while its
 * FinalizationRegistry is taken), with that context's gc() (--expose-gc, likewise): so that reclaim() can close the
 * descriptors of collected Fds synchronously. node:v8 and node:vm are loaded only here, on the first collectable Fd.
 */
function makeRegistry(): Registry {
  const G = globalThis as { gc?: () => void };
  let FR: typeof FinalizationRegistry = FinalizationRegistry;
  let gc = typeof G.gc === 'function' ? G.gc : undefined;
  try {
    const { setFlagsFromString } = require('node:v8') as typeof import('node:v8');
    const { runInNewContext } = require('node:vm') as typeof import('node:vm');
    const hadGc = gc !== undefined; // node --expose-gc: leave the flag on
    setFlagsFromString('--harmony-weak-refs-with-cleanup-some');
    if (!hadGc) setFlagsFromString('--expose-gc');
    try {
      const [cls, g] = runInNewContext('[FinalizationRegistry, typeof gc === "function" ? gc : undefined]') as
        [typeof FinalizationRegistry, (() => void) | undefined];
      if (typeof (cls.prototype as Registry).cleanupSome === 'function') FR = cls;
      gc ??= g;
    } finally {
      setFlagsFromString('--no-harmony-weak-refs-with-cleanup-some');
      if (!hadGc) setFlagsFromString('--no-expose-gc');
    }
  } catch {
    // a runtime without these flags: the collector still closes collected Fds, later
  }
  forceGc = gc;
  return new FR<Cell>(collected) as unknown as Registry;
}

/**
 * Close the descriptors of the Fds the garbage collector can collect now: a full collection, then the registry's
 * callbacks, synchronously. Returns how many descriptors were closed (0 where the runtime cannot do it synchronously).
 */
export function reclaim(): number {
  const r = registry;
  if (!r || !forceGc || typeof r.cleanupSome !== 'function') return 0;
  const before = closedByCollector;
  forceGc();
  r.cleanupSome();
  return closedByCollector - before;
}

/**
 * Run `call`, a raw call that makes a descriptor (its result or -errno); if it fails with EMFILE or ENFILE, close the
 * descriptors of collected Fds (reclaim) and, if any was closed, run it once more. Returns the last result.
 *
 * ```ts
 * new Fd(check(retryFd(() => raw.openat(AT_FDCWD, p, flags, mode)), 'open', text))
 * ```
 */
export function retryFd(call: () => number): number {
  const r = call();
  if (r !== -24 && r !== -23) return r; // EMFILE, ENFILE
  return reclaim() > 0 ? call() : r;
}

// ---- Fd ----

let numberOf: (v: unknown) => number | undefined;

/**
 * An open file descriptor: its number (`fileno`), a method for every call whose first argument is a descriptor, and an
 * idempotent close().
 *
 * It closes at the end of a `using` block, and the garbage collector closes one nothing references unless nogc(). It
 * never closes a number that was closed or replaced by other means and reused since (close of the number, dup3,
 * close_range). A plain number is accepted wherever an Fd is.
 *
 * @example
 * ```ts
 * using f = open('/etc/hostname', 'rdonly, cloexec');
 * f.fileno; // 3
 * f.read(64); // <Buffer ...>
 * new Fd(0, { gc: false }); // stdin, never closed by the collector
 * ```
 * @see https://man7.org/linux/man-pages/man2/open.2.html
 * @see https://man7.org/linux/man-pages/man2/close.2.html
 */
export class Fd {
  #fd: number;
  #gen: number;
  /** What the collector holds (and the token to unregister it); null once not collectable. */
  #cell: Cell | null = null;

  /**
   * Wrap a descriptor number in [0, 2^31); the new Fd owns it (the Fd that owned it before, in any thread, forgets it),
   * and closes it when collected, unless `gc: false`.
   */
  constructor(fd: number, options: { gc?: boolean } = {}) {
    if (typeof fd !== 'number' || !Number.isInteger(fd)) throw new TypeError(`not a file descriptor: ${describe(fd)}`);
    if (fd < 0 || fd >= 2 ** 31) throw new RangeError(`not a file descriptor: ${fd} (descriptors are in [0, 2^31))`);
    const collectable = options.gc !== false;
    this.#fd = fd;
    this.#gen = take(fd, collectable);
    if (collectable) {
      const cell = { fd, gen: this.#gen };
      (registry ??= makeRegistry()).register(this, cell, cell);
      this.#cell = cell;
    }
  }

  /** The descriptor number; -1 once closed or forgotten. */
  get fileno(): number {
    return this.#owns() ? this.#fd : -1;
  }

  /** True once closed, released, or forgotten (its number was closed or replaced by other means). */
  get closed(): boolean {
    return !this.#owns();
  }

  /** Close it. Idempotent: a second close, or a close after its number was forgotten, does nothing. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    this.#uncollect();
    if (!giveUp(fd, this.#gen)) return;
    const r = raw.close(fd);
    // after EINTR the descriptor is gone on Linux: never retry
    if (r < 0 && r !== -4) throw new SyscallError(-r, 'close');
  }

  /** Do not close it on garbage collection, nor when its Worker exits (it still closes on close() or dispose). */
  nogc(): this {
    this.#uncollect();
    const fd = this.#fd;
    if (fd >= 0 && this.#owns()) {
      const t = table!;
      if (fd < t.size) Atomics.compareExchange(t.owner, fd, me, 0); // not collectable by a reaper either
      else farCollectable.delete(fd);
    }
    return this;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Release the number to the caller: this Fd forgets it and will never close it. -1 if it owned none. */
  release(): number {
    const fd = this.#fd;
    if (fd < 0) return -1;
    this.#fd = -1;
    this.#uncollect();
    return giveUp(fd, this.#gen) ? fd : -1;
  }

  toString(): string {
    return this.#owns() ? `Fd(${this.#fd})` : 'Fd(closed)';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  #owns(): boolean {
    return this.#fd >= 0 && generation(this.#fd) === this.#gen;
  }

  #uncollect(): void {
    if (this.#cell) registry!.unregister(this.#cell);
    this.#cell = null;
  }

  /** The library closed or replaced descriptor `n` by other means: whichever Fd owned it, in any thread, forgets it. */
  static forget(n: number): void {
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 2 ** 31) forgetNumber(n);
  }

  static {
    // the number an Fd was made with, read through its private field (a subclass's getters cannot change it): the
    // number while it owns it, -1 once not; undefined for anything that is not an Fd
    numberOf = (v) => (typeof v === 'object' && v !== null && #fd in v ? (v.#owns() ? v.#fd : -1) : undefined);
  }
}

/** Whether `v` is an Fd (made by its constructor: an object with Fd.prototype and no Fd state is not). */
export function isFd(v: unknown): v is Fd {
  return numberOf(v) !== undefined;
}

/** What an fd argument accepts: an Fd or a descriptor number. */
export type FdLike = Fd | number;

/** The number of an fd argument; a TypeError for anything else, an EBADF SyscallError for a closed Fd. */
export function fdNum(fd: unknown, syscall: string): number {
  if (typeof fd === 'number') {
    // a negative number goes through: the kernel answers EBADF (or, for AT_FDCWD, uses the working directory)
    if (Number.isInteger(fd) && fd >= -(2 ** 31) && fd < 2 ** 31) return fd;
    throw new TypeError(`${syscall}: fd must be an Fd or an integer, got ${describe(fd)}`);
  }
  const n = numberOf(fd);
  if (n === undefined) throw new TypeError(`${syscall}: fd must be an Fd or an integer, got ${describe(fd)}`);
  if (n < 0) throw new SyscallError(9, syscall);
  return n;
}

type Rest<F> = F extends (fd: never, ...rest: infer R) => infer T ? (...rest: R) => T : never;
/** The method form of fd-first functions. */
export type FdMethods<T> = { [K in keyof T]: Rest<T[K]> };

/** Give Fd a method for each fd-first function (the domain modules call this). */
export function addFdMethods(fns: Record<string, (fd: FdLike, ...rest: never[]) => unknown>): void {
  for (const [name, fn] of Object.entries(fns)) {
    if (Object.prototype.hasOwnProperty.call(Fd.prototype, name)) throw new Error(`Fd already has a method '${name}'`);
    Object.defineProperty(Fd.prototype, name, {
      value: function (this: Fd, ...rest: never[]) { return fn(this, ...rest); },
      writable: true, configurable: true,
    });
  }
}
