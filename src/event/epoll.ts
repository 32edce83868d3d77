// epoll: an interest list of descriptors in the kernel, and a wait that reports the ready ones into a preallocated
// array of struct epoll_event (EpollEvents), read without allocating per event. The struct's layout is the generated
// view's for the arch (packed, 12 bytes, on x86_64; 16 bytes on most other arches); epoll_wait is epoll_pwait with a
// null sigmask on the arches that never had it (aarch64, riscv64), chosen by select().
import { abi, raw } from '../core/abi.ts';
import { alloc, describe, int, int64, isInt, lengthOf, push } from '../core/args.ts';
import { HOST } from '../core/arch.ts';
import { check } from '../core/errors.ts';
import { Fd, fdNum, retryFd, type FdLike } from '../core/fd.ts';
import { constant, flags, type Flags } from '../core/flags.ts';
import { structArg } from '../core/view.ts';
import { readI32, readU64 } from '../core/words.ts';
import * as sys from './common.ts';

/** epoll_create1's flags: 'cloexec' (EPOLL_CLOEXEC). */
const CREATE = sys.once(() => Object.freeze({ CLOEXEC: Number(abi.EPOLL._CLOEXEC) }));
/** The event bits users name: 'in', 'out', 'rdhup', 'pri', 'err', 'hup', 'et', 'oneshot', 'wakeup', 'exclusive'... */
const EVENTS = sys.once(() => sys.subset(abi.EPOLL, () => true));
const masker = sys.once(() => sys.masker(EVENTS()));
const eventNames = (mask: number) => masker()(mask);
/** The most events one EpollEvents holds (2^20: 12 or 16 MiB). */
const MAX_EVENTS = 2 ** 20;

/**
 * struct epoll_event on this arch, from the generated view, and where in its u64 `data` the low 32 bits (an fd number)
 * are: made by the first EpollEvents (so every method of one may read it).
 */
let L: sys.EpollLayout & { fd: number };
const layout = () => (L ??= ((l) => ({ ...l, fd: l.data + (HOST.littleEndian ? 0 : 4) }))(sys.epollLayout(abi.EpollEvent)));

/** An epoll_ctl operation: 'add', 'mod', 'del' (or EPOLL_CTL_ADD...), or its number. */
export type EpollOp = 'add' | 'mod' | 'del' | 'EPOLL_CTL_ADD' | 'EPOLL_CTL_MOD' | 'EPOLL_CTL_DEL' | number;

/** One ready descriptor of an EpollEvents, as its iterator yields it: the same object moved along, read in place. */
export interface EpollEvent {
  /** Its index in the EpollEvents. */
  readonly index: number;
  /** The low 32 bits of `data`, signed: the descriptor number when epoll_ctl's data was left to its default. */
  readonly fd: number;
  /** The ready events (EPOLLIN 1, EPOLLOUT 4, ...). */
  readonly events: number;
  /** The 64-bit data given to epoll_ctl (a bigint: reading it allocates one). */
  readonly data: bigint;
  /** The ready events by name ('in', 'hup', ...): an array made on request. */
  readonly names: string[];
}

let setCount: (e: EpollEvents, n: number) => void;
let memory: (e: unknown, syscall: string) => Buffer;

/** The cursor an iteration of EpollEvents moves along. */
class Cursor implements EpollEvent {
  index = -1;
  constructor(private readonly of: EpollEvents) {}
  get fd(): number { return this.of.fd(this.index); }
  get events(): number { return this.of.events(this.index); }
  get data(): bigint { return this.of.data(this.index); }
  get names(): string[] { return this.of.names(this.index); }
  toJSON(): object { return { fd: this.fd, events: this.names, data: this.data.toString() }; }
}

/**
 * A preallocated array of `maxevents` struct epoll_event (1 to 2^20), laid out as this arch's kernel reads it, for
 * epoll_wait to fill; `length` is how many the last wait reported.
 *
 * Read the ready descriptors by index (`fd(i)`, `events(i)`, `data(i)`) or iterate: the iterator yields one cursor
 * object, moved along, so a loop allocates nothing per event (`data`, a bigint, and `names` allocate when read). Make
 * one and reuse it across waits: each wait overwrites it.
 *
 * @example
 * ```ts
 * const events = new EpollEvents(64);
 * const ep = epoll_create1('cloexec');
 * epoll_ctl(ep, 'add', r, 'in');
 * const n = epoll_wait(ep, events, 1000); // up to 1 s
 * for (const ev of events) console.log(ev.fd, ev.names); // e.g. 5 [ 'in' ]
 * ```
 * @see https://man7.org/linux/man-pages/man2/epoll_wait.2.html
 */
export class EpollEvents implements Iterable<EpollEvent> {
  readonly #buf: Buffer;
  readonly #capacity: number;
  #count = 0;

  constructor(maxevents: number) {
    this.#capacity = int(maxevents, 'maxevents', 1, MAX_EVENTS);
    this.#buf = alloc(this.#capacity * layout().size);
  }

  /** How many events it holds (maxevents). */
  get capacity(): number { return this.#capacity; }
  /** How many events the last wait reported (0 before the first). */
  get length(): number { return this.#count; }

  /** The byte offset of event i, which must be one the last wait reported (a RangeError otherwise). */
  #at(i: number): number {
    if (!isInt(i) || i < 0 || i >= this.#count) {
      throw new RangeError(`event index must be an integer in [0, ${this.#count}), got ${describe(i)}`);
    }
    return i * L.size;
  }

  /** The low 32 bits of event i's data, signed: its descriptor number when epoll_ctl's data was the default. */
  fd(i: number): number { return readI32(this.#buf, this.#at(i) + L.fd); }
  /** Event i's ready events (a mask of EPOLL values). */
  events(i: number): number { return readI32(this.#buf, this.#at(i) + L.events) >>> 0; }
  /** Event i's 64-bit data, as given to epoll_ctl. */
  data(i: number): bigint { return readU64(this.#buf, this.#at(i) + L.data); }
  /** Event i's ready events by name. */
  names(i: number): string[] { return eventNames(this.events(i)); }

  /** The events of the last wait; one cursor, moved along (do not keep it: the next step moves it). */
  [Symbol.iterator](): IterableIterator<EpollEvent> {
    const cursor = new Cursor(this);
    const step = { value: cursor as EpollEvent, done: false };
    const end = { value: undefined as unknown as EpollEvent, done: true };
    const n = this.#count;
    const it: IterableIterator<EpollEvent> = {
      next: () => {
        if (cursor.index + 1 >= n || cursor.index + 1 >= this.#count) return end;
        cursor.index++;
        return step;
      },
      [Symbol.iterator]: () => it,
    };
    return it;
  }

  toJSON(): object[] {
    const out: object[] = [];
    for (const ev of this) push(out, (ev as Cursor).toJSON());
    return out;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `EpollEvents(${this.#count}/${this.#capacity}) ${JSON.stringify(this.toJSON())}`;
  }

  static {
    setCount = (e, n) => { e.#count = n; };
    memory = (e, syscall) => {
      if (typeof e !== 'object' || e === null || !(#buf in e)) throw new TypeError(`${syscall}: events must be an EpollEvents, got ${describe(e)}`);
      return e.#buf;
    };
  }
}

/**
 * The names of the bits of an epoll event mask ('in', 'out', 'err', 'hup', 'rdhup', 'et', 'oneshot', ...).
 *
 * @example
 * ```ts
 * epollNames(abi.EPOLL.IN | abi.EPOLL.HUP); // [ 'in', 'hup' ]
 * ```
 * @see https://man7.org/linux/man-pages/man2/epoll_ctl.2.html
 */
export function epollNames(mask: number): string[] {
  return eventNames(mask);
}

/**
 * Create an epoll instance; flags 'cloexec'.
 *
 * @example
 * ```ts
 * using ep = epoll_create1('cloexec');
 * ```
 * @see https://man7.org/linux/man-pages/man2/epoll_create1.2.html
 */
export function epoll_create1(how: Flags = 0): Fd {
  const f = flags(CREATE(), 'EPOLL', 'EPOLL_', how);
  return new Fd(check(retryFd(() => sys.epollCreate(f)), sys.CALLS.epoll_create));
}

/** A 64-bit data argument: a safe integer or a bigint in [-2^63, 2^64), as its 64 bits (negative ones two's complement). */
function u64(v: unknown): bigint {
  if (typeof v === 'bigint') {
    if (v < -(2n ** 63n) || v >= 2n ** 64n) throw new RangeError(`data must fit 64 bits, got ${v}`);
    return BigInt.asUintN(64, v);
  }
  return BigInt.asUintN(64, BigInt(int64(v, 'data')));
}

/** The struct epoll_event epoll_ctl hands the kernel, and its memory. */
const ctl = sys.once(() => {
  const event = new abi.EpollEvent();
  return { event, memory: structArg(event, abi.EpollEvent, 'event') };
});

/**
 * Add a descriptor to an epoll instance's interest list ('add'), change its events ('mod') or remove it ('del').
 *
 * `events` names what to wait for ('in', 'out', 'rdhup', 'pri') and how ('et' edge-triggered, 'oneshot', 'exclusive',
 * 'wakeup'); 'err' and 'hup' are always reported. `data` (a number or bigint, 64 bits) comes back with each event:
 * by default the descriptor's number.
 *
 * @example
 * ```ts
 * const ep = epoll_create1('cloexec');
 * epoll_ctl(ep, 'add', r, 'in, et');
 * epoll_ctl(ep, 'mod', r, 'in, oneshot', 42n);
 * epoll_ctl(ep, 'del', r);
 * ```
 * @see https://man7.org/linux/man-pages/man2/epoll_ctl.2.html
 */
export function epoll_ctl(ep: FdLike, op: EpollOp, fd: FdLike, events: Flags = 0, data?: number | bigint): void {
  const e = fdNum(ep, 'epoll_ctl');
  const n = fdNum(fd, 'epoll_ctl');
  if (typeof op !== 'string' && typeof op !== 'number') throw new TypeError(`op must be 'add', 'mod' or 'del', got ${describe(op)}`);
  const o = constant(abi.EPOLL_CTL, 'EPOLL_CTL', 'EPOLL_CTL_', op);
  const mask = int(flags(EVENTS(), 'EPOLL', 'EPOLL', events), 'events', 0, 0xffffffff);
  const d = data === undefined ? BigInt(n) : u64(data);
  const { event, memory: mem } = ctl();
  event.events = mask;
  event.data = d;
  check(raw.epoll_ctl(e, o, n, mem), 'epoll_ctl');
}

/**
 * Wait for events on an epoll instance, into `events` (a preallocated EpollEvents): returns how many were ready
 * (also `events.length`), 0 after the timeout.
 *
 * `timeout` is in milliseconds: 0 returns at once; a negative one (-1) waits for ever. Any other than 0 blocks the
 * calling thread (the event loop, on the main thread) until an event or the timeout: only because the caller asked.
 * A signal handler that runs meanwhile makes it throw a SyscallError with code 'EINTR'.
 *
 * @example
 * ```ts
 * const ep = epoll_create1('cloexec');
 * const events = new EpollEvents(16);
 * epoll_ctl(ep, 'add', r, 'in');
 * for (let i = 0, n = epoll_wait(ep, events, 0); i < n; i++) console.log(events.fd(i), events.events(i));
 * ```
 * @see https://man7.org/linux/man-pages/man2/epoll_wait.2.html
 */
export function epoll_wait(ep: FdLike, events: EpollEvents, timeout: number): number {
  const e = fdNum(ep, sys.CALLS.epoll_wait);
  const m = memory(events, sys.CALLS.epoll_wait);
  const t = sys.timeoutMs(timeout);
  setCount(events, 0);
  const r = check(sys.epollWait(e, m, lengthOf(m) / L.size, t), sys.CALLS.epoll_wait);
  setCount(events, r);
  return r;
}

/**
 * Wait as epoll_wait does, with the thread's signal mask replaced by `sigmask` (signal names or numbers: those to keep
 * blocked) for the duration of the wait; without it, epoll_wait itself.
 *
 * Blocks the calling thread (the event loop, on the main thread) as epoll_wait does, and only when `timeout` is not 0.
 *
 * @example
 * ```ts
 * const ep = epoll_create1();
 * const events = new EpollEvents(8);
 * epoll_pwait(ep, events, 10, ['usr1']); // SIGUSR1 stays blocked while it waits up to 10 ms
 * ```
 * @see https://man7.org/linux/man-pages/man2/epoll_pwait.2.html
 */
export function epoll_pwait(ep: FdLike, events: EpollEvents, timeout: number, sigmask?: sys.SignalList | null): number {
  const e = fdNum(ep, 'epoll_pwait');
  const m = memory(events, 'epoll_pwait');
  const t = sys.timeoutMs(timeout);
  const set = sys.sigset(sigmask);
  setCount(events, 0);
  const r = check(raw.epoll_pwait(e, m, lengthOf(m) / L.size, t, set, sys.sigsetBytes()), 'epoll_pwait');
  setCount(events, r);
  return r;
}
