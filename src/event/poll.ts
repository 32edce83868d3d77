// poll and ppoll: wait until one of a set of descriptors is ready, over an array of struct pollfd (a preallocated
// PollFds, or a plain list of { fd, events } whose `revents` are written back). poll is ppoll with a timespec on the
// arches that never had it (aarch64, riscv64); ppoll is ppoll_time64 on 32-bit arches: select() chooses.
import { abi } from '../core/abi.ts';
import { alloc, describe, int, isInt, lengthOf, push } from '../core/args.ts';
import { HOST } from '../core/arch.ts';
import { check } from '../core/errors.ts';
import { fdNum, type FdLike } from '../core/fd.ts';
import { flags, type Flags } from '../core/flags.ts';
import { structArg } from '../core/view.ts';
import { readI32, writeI32 } from '../core/words.ts';
import { Timespec, toTimespec } from '../time.ts';
import * as sys from './common.ts';

const EVENTS = sys.once(() => sys.subset(abi.POLL, () => true));
const masker = sys.once(() => sys.masker(EVENTS()));
const eventNames = (mask: number) => masker()(mask);
/** The most descriptors one call takes (2^20; the kernel's own limit is RLIMIT_NOFILE: EINVAL beyond it). */
const MAX_FDS = 2 ** 20;

/** struct pollfd on this arch, from the generated view: made by the first PollFds (every method of one may read it). */
let L: sys.PollLayout;
const layout = () => (L ??= sys.pollLayout(abi.Pollfd));
const LE = HOST.littleEndian;
const rd16 = LE ? (b: Buffer, o: number) => b.readInt16LE(o) : (b: Buffer, o: number) => b.readInt16BE(o);
const wr16 = LE ? (b: Buffer, v: number, o: number) => b.writeInt16LE(v, o) : (b: Buffer, v: number, o: number) => b.writeInt16BE(v, o);

/** One descriptor to poll, as a plain object: poll writes `revents` back into it. */
export interface PollRequest {
  /** The descriptor (a negative number is skipped by the kernel: its revents are 0). */
  fd: FdLike;
  /** What to wait for: POLL names ('in', 'out', 'pri', 'rdhup') or a mask; 'err', 'hup' and 'nval' always come. */
  events: Flags;
  /** What was ready, written by poll and ppoll (a mask; pollNames() gives its names). */
  revents?: number;
}

/** A relative timeout for ppoll: seconds (a number, fractional), bigint nanoseconds, or a Timespec. */
export type PollTimeout = number | bigint | InstanceType<typeof abi.Timespec>;

/** A mask of POLL events for a struct pollfd's 16-bit field. */
const eventsArg = (f: Flags, name: string) => int(flags(EVENTS(), 'POLL', 'POLL', f), name, 0, 0xffff);

let memory: (p: unknown, syscall: string) => Buffer;

/**
 * A preallocated array of `nfds` struct pollfd (0 to 2^20), as this arch's kernel reads it, for poll and ppoll to
 * fill: set each entry once with set(i, fd, events), then poll as often as needed and read `revents(i)`.
 *
 * Entries not set have fd -1, which the kernel skips.
 *
 * @example
 * ```ts
 * const fds = new PollFds(2).set(0, r, 'in').set(1, w, 'out');
 * poll(fds, 100); // up to 100 ms
 * fds.names(0); // [ 'in' ] once r has data
 * ```
 * @see https://man7.org/linux/man-pages/man2/poll.2.html
 */
export class PollFds {
  readonly #buf: Buffer;
  readonly #n: number;

  constructor(nfds: number) {
    this.#n = int(nfds, 'nfds', 0, MAX_FDS);
    this.#buf = alloc(this.#n * layout().size);
    for (let i = 0; i < this.#n; i++) writeI32(this.#buf, -1, i * L.size + L.fd);
  }

  /**
   * A PollFds with an entry for each { fd, events } of `list`, in order.
   *
   * @example
   * ```ts
   * const fds = PollFds.from([{ fd: r, events: 'in' }]);
   * ```
   * @see https://man7.org/linux/man-pages/man2/poll.2.html
   */
  static from(list: readonly PollRequest[]): PollFds {
    if (!Array.isArray(list)) throw new TypeError(`fds must be an array of { fd, events }, got ${describe(list)}`);
    const n = int(list.length, 'fds.length', 0, MAX_FDS);
    const p = new PollFds(n);
    for (let i = 0; i < n; i++) {
      const item = list[i] as unknown;
      if (typeof item !== 'object' || item === null) throw new TypeError(`fds[${i}] must be { fd, events }, got ${describe(item)}`);
      const { fd, events } = item as PollRequest;
      p.set(i, fd, events);
    }
    return p;
  }

  /** How many entries it has (nfds). */
  get length(): number { return this.#n; }

  #at(i: number): number {
    if (!isInt(i) || i < 0 || i >= this.#n) throw new RangeError(`index must be an integer in [0, ${this.#n}), got ${describe(i)}`);
    return i * L.size;
  }

  /** Set entry i: the descriptor (its number now) and the events to wait for; its revents are cleared. */
  set(i: number, fd: FdLike, events: Flags): this {
    const at = this.#at(i);
    const n = fdNum(fd, 'poll');
    const ev = eventsArg(events, 'events');
    writeI32(this.#buf, n, at + L.fd);
    wr16(this.#buf, (ev << 16) >> 16, at + L.events);
    wr16(this.#buf, 0, at + L.revents);
    return this;
  }

  /** Entry i's descriptor number (-1 if not set). */
  fd(i: number): number { return readI32(this.#buf, this.#at(i) + L.fd); }
  /** Entry i's requested events. */
  events(i: number): number { return rd16(this.#buf, this.#at(i) + L.events) & 0xffff; }
  /** Entry i's returned events from the last poll (0 if it was not ready). */
  revents(i: number): number { return rd16(this.#buf, this.#at(i) + L.revents) & 0xffff; }
  /** Entry i's returned events by name. */
  names(i: number): string[] { return eventNames(this.revents(i)); }

  toJSON(): object[] {
    const out: object[] = [];
    for (let i = 0; i < this.#n; i++) out.push({ fd: this.fd(i), events: eventNames(this.events(i)), revents: this.names(i) });
    return out;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `PollFds(${this.#n}) ${JSON.stringify(this.toJSON())}`;
  }

  static {
    memory = (p, syscall) => {
      if (typeof p !== 'object' || p === null || !(#buf in p)) throw new TypeError(`${syscall}: fds must be a PollFds, got ${describe(p)}`);
      return p.#buf;
    };
  }
}

/**
 * The names of the bits of a poll event mask ('in', 'pri', 'out', 'err', 'hup', 'nval', 'rdnorm', 'rdhup', ...).
 *
 * @example
 * ```ts
 * pollNames(abi.POLL.IN | abi.POLL.HUP); // [ 'in', 'hup' ]
 * ```
 * @see https://man7.org/linux/man-pages/man2/poll.2.html
 */
export function pollNames(mask: number): string[] {
  return eventNames(mask);
}

/** The struct pollfd memory of a call's `fds`, and how to give the results back to a list. */
function pollArg(fds: unknown, syscall: string): { buf: Buffer; n: number; list: PollRequest[] | null } {
  if (Array.isArray(fds)) {
    const n = int(fds.length, 'fds.length', 0, MAX_FDS);
    const list: PollRequest[] = [];
    for (let i = 0; i < n; i++) push(list, fds[i] as PollRequest);
    return { buf: memory(PollFds.from(list), syscall), n, list };
  }
  const buf = memory(fds, syscall);
  return { buf, n: lengthOf(buf) / L.size, list: null };
}

/** Write revents back into the list's objects. */
function giveBack(buf: Buffer, list: PollRequest[] | null): void {
  if (!list) return;
  for (let i = 0; i < list.length; i++) list[i].revents = rd16(buf, i * L.size + L.revents) & 0xffff;
}

/**
 * Wait until one of `fds` is ready: a PollFds, or a list of { fd, events } into whose objects `revents` is written.
 * Returns how many descriptors have events (0 after the timeout).
 *
 * `timeout` is in milliseconds: 0 returns at once; a negative one (-1) waits for ever. Any other than 0 blocks the
 * calling thread (the event loop, on the main thread) until an event or the timeout: only because the caller asked.
 * A signal handler that runs meanwhile makes it throw a SyscallError with code 'EINTR'.
 *
 * @example
 * ```ts
 * const fds = [{ fd: r, events: 'in', revents: 0 }];
 * poll(fds, 0); // 1 if r has data (or its writer closed)
 * pollNames(fds[0].revents); // [ 'in' ], or [ 'hup' ]
 * ```
 * @see https://man7.org/linux/man-pages/man2/poll.2.html
 */
export function poll(fds: PollFds | readonly PollRequest[], timeout: number): number {
  const { buf, n, list } = pollArg(fds, sys.CALLS.poll);
  const t = sys.timeoutMs(timeout);
  const r = check(sys.poll(n ? buf : null, n, t), sys.CALLS.poll);
  giveBack(buf, list);
  return r;
}

/**
 * Wait as poll does, with a relative timeout to the nanosecond (seconds, bigint nanoseconds, or a Timespec; null waits
 * for ever), and, if `sigmask` is given (signal names or numbers), the thread's signal mask replaced by it for the wait.
 *
 * Any timeout but 0 blocks the calling thread (the event loop, on the main thread): only because the caller asked.
 *
 * @example
 * ```ts
 * const fds = new PollFds(1).set(0, r, 'in, rdhup');
 * ppoll(fds, 0.25); // up to 250 ms
 * ppoll(fds, 0n, ['int']); // at once, SIGINT blocked meanwhile
 * ```
 * @see https://man7.org/linux/man-pages/man2/ppoll.2.html
 */
export function ppoll(fds: PollFds | readonly PollRequest[], timeout: PollTimeout | null, sigmask?: sys.SignalList | null): number {
  const { buf, n, list } = pollArg(fds, sys.CALLS.ppoll);
  if (timeout instanceof Date) throw new TypeError('timeout must be relative: seconds, bigint nanoseconds or a Timespec, not a Date');
  const ts = timeout === null ? null : structArg(toTimespec(timeout, new Timespec()), abi.Timespec, 'timeout');
  const set = sys.sigset(sigmask);
  const r = check(sys.ppoll(n ? buf : null, n, ts, set), sys.CALLS.ppoll);
  giveBack(buf, list);
  return r;
}
