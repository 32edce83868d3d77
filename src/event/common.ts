// What the topic files of the event domain share: the host's form of the calls select() chooses per arch (src/core/arch.ts,
// the block "event descriptors and readiness"), member offsets read from the generated struct views, flag namespaces by
// the names users write, masks back to names, signal sets (the signal domain's, src/signal/sigset.ts), and the 8-byte
// counters eventfd and timerfd read. Not part of the public API: index.ts does not re-export this module.
import { abi, raw } from '../core/abi.ts';
import { alloc, describe, int, isInt } from '../core/args.ts';
import { HOST } from '../core/arch.ts';
import { check } from '../core/errors.ts';
import type { StructClass, View } from '../core/view.ts';
import { readU64 } from '../core/words.ts';
import { sigsetArg, sigsetBytes } from '../signal/sigset.ts';

const C = HOST.calls;
/** The syscall behind each operation on the host (for the `syscall` of errors). */
export const CALLS = C;
/** The raw functions by name, for the syscalls only some arches have (raw's type is x86_64's). */
const R = raw as unknown as Readonly<Record<string, (...args: unknown[]) => number>>;

// ---- made on first use ----

export { once } from '../core/lazy.ts';

// ---- signal sets: the signal domain's (src/signal/sigset.ts) ----

export { sigsetBytes, type SignalList } from '../signal/sigset.ts';
/**
 * A kernel sigset_t holding `signals` (an array of signal names or numbers, or a SigSet), or null for none given; a
 * TypeError or RangeError names a bad one.
 */
export const sigset: (signals: unknown, name?: string) => Buffer | null = sigsetArg;

// ---- the calls select() chooses per arch, on the host ----

/** epoll_create1, or epoll_create (no flags) where an arch had only it. */
export const epollCreate: (flags: number) => number = C.epoll_create === 'epoll_create1'
  ? (f) => R[C.epoll_create](f)
  : (f) => (f === 0 ? R[C.epoll_create](1) : -abi.E.INVAL);

/** epoll_wait, or epoll_pwait with a null sigmask where the arch has no epoll_wait (asm-generic). */
export const epollWait: (ep: number, events: Uint8Array, max: number, timeout: number) => number = C.epoll_wait === 'epoll_wait'
  ? (ep, ev, n, t) => R[C.epoll_wait](ep, ev, n, t)
  : (ep, ev, n, t) => R[C.epoll_wait](ep, ev, n, t, null, sigsetBytes());

/** A struct __kernel_timespec for a timeout in milliseconds (null for a negative one: no timeout). */
function msTimespec(ms: number): Uint8Array | null {
  if (ms < 0) return null;
  const ts = new abi.Timespec();
  ts.tv_sec = BigInt(Math.floor(ms / 1000));
  ts.tv_nsec = BigInt((ms % 1000) * 1_000_000);
  return ts.$buffer;
}

/** poll, or ppoll (ppoll_time64) with a timespec where the arch has no poll (asm-generic). */
export const poll: (fds: Uint8Array | null, nfds: number, timeout: number) => number = C.poll === 'poll'
  ? (fds, n, t) => R[C.poll](fds, n, t)
  : (fds, n, t) => R[C.poll](fds, n, msTimespec(t), null, sigsetBytes());

/** ppoll, ppoll_time64 on 32-bit arches: `ts` is a struct __kernel_timespec. */
export const ppoll: (fds: Uint8Array | null, nfds: number, ts: Uint8Array | null, sigmask: Uint8Array | null) => number =
  (fds, n, ts, mask) => R[C.ppoll](fds, n, ts, mask, sigsetBytes());

/** eventfd2, or eventfd (no flags) where an arch had only it. */
export const eventfd: (count: number, flags: number) => number = C.eventfd === 'eventfd2'
  ? (n, f) => R[C.eventfd](n, f)
  : (n, f) => (f === 0 ? R[C.eventfd](n) : -abi.E.INVAL);

/** inotify_init1, or inotify_init (no flags) where an arch had only it. */
export const inotifyInit: (flags: number) => number = C.inotify_init === 'inotify_init1'
  ? (f) => R[C.inotify_init](f)
  : (f) => (f === 0 ? R[C.inotify_init]() : -abi.E.INVAL);

/** timerfd_settime, timerfd_settime64 on 32-bit arches: struct __kernel_itimerspec. */
export const timerfdSettime: (fd: number, flags: number, value: Uint8Array, old: Uint8Array | null) => number =
  (fd, f, v, old) => R[C.timerfd_settime](fd, f, v, old);

/** timerfd_gettime, timerfd_gettime64 on 32-bit arches. */
export const timerfdGettime: (fd: number, value: Uint8Array) => number = (fd, v) => R[C.timerfd_gettime](fd, v);

// ---- layouts from the generated views ----

/**
 * The offset of one member of a generated struct, read through the view's own accessor: `set` writes a value whose
 * every byte is non-zero into a zeroed struct, and the first byte that changed is the member's first (in either byte
 * order). So the offsets follow the spec's layout for the arch (packed epoll_event on x86_64), never a number written
 * here.
 */
export function memberOffset<T extends View>(cls: StructClass<T>, set: (v: T) => void): number {
  const v = new cls();
  set(v);
  const b = v.$buffer;
  for (let i = 0; i < cls.size; i++) if (b[i] !== 0) return i;
  throw new Error(`${cls.name}: the member written reads as zeros`);
}

/** struct epoll_event of an arch: its size and the offsets of `events` (u32) and `data` (u64). */
export interface EpollLayout { size: number; events: number; data: number }

/** The layout of struct epoll_event from the generated class (of the host, or any arch's for the tests). */
export function epollLayout(cls: StructClass<InstanceType<typeof abi.EpollEvent>>): EpollLayout {
  return {
    size: cls.size,
    events: memberOffset(cls, (v) => { v.events = 0x01020304; }),
    data: memberOffset(cls, (v) => { v.data = 0x0102030405060708n; }),
  };
}

/** struct pollfd of an arch: its size and the offsets of `fd` (i32), `events` and `revents` (i16). */
export interface PollLayout { size: number; fd: number; events: number; revents: number }

export function pollLayout(cls: StructClass<InstanceType<typeof abi.Pollfd>>): PollLayout {
  return {
    size: cls.size,
    fd: memberOffset(cls, (v) => { v.fd = 0x01020304; }),
    events: memberOffset(cls, (v) => { v.events = 0x0102; }),
    revents: memberOffset(cls, (v) => { v.revents = 0x0102; }),
  };
}

// ---- flags and masks ----

type Namespace = Readonly<Record<string, number | bigint>>;

/** A namespace of the entries of `ns` that `keep` accepts (names starting with '_', C's internal ones, left out). */
export function subset(ns: Namespace, keep: (name: string) => boolean): Readonly<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(ns)) if (!k.startsWith('_') && keep(k)) out[k] = Number(v);
  return Object.freeze(out);
}

/** Decodes a mask into the lowercase names of its single-bit values, in the order of their bits. */
export function masker(ns: Readonly<Record<string, number>>): (mask: number) => string[] {
  const bits = Object.entries(ns)
    .filter(([, v]) => v > 0 && v <= 0xffffffff && ((v & (v - 1)) >>> 0) === 0)
    .sort((a, b) => a[1] - b[1])
    .map(([k, v]) => [k.toLowerCase(), v] as const);
  return (mask) => {
    if (!isInt(mask)) throw new TypeError(`mask must be an integer, got ${describe(mask)}`);
    const out: string[] = [];
    for (const [k, v] of bits) if ((mask & v) >>> 0 === v) out.push(k);
    return out;
  };
}

// ---- 8-byte counters (eventfd, timerfd) ----

const counter = alloc(8);

/** Read an 8-byte counter (eventfd, timerfd) from descriptor `fd`: one read(2) of 8 bytes, in the host's byte order. */
export function readCounter(fd: number): bigint {
  check(raw.read(fd, counter, 8), 'read');
  return readU64(counter);
}

/** A timeout in milliseconds: an integer, negative for none (wait for ever). */
export function timeoutMs(v: unknown, name = 'timeout'): number {
  return int(v, name, -(2 ** 31), 2 ** 31 - 1);
}
