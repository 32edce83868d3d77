// timerfd: a timer whose expiries are read from a descriptor (and wait in epoll or poll as readability). The settings
// are struct __kernel_itimerspec: timerfd_settime64 and timerfd_gettime64 on 32-bit arches, chosen by select(), as
// src/time.ts's POSIX timers are.
import { abi, raw } from '../core/abi.ts';
import { describe, int } from '../core/args.ts';
import { check } from '../core/errors.ts';
import { Fd, fdNum, retryFd, type FdLike } from '../core/fd.ts';
import { constant, flags, type Flags } from '../core/flags.ts';
import { structArg } from '../core/view.ts';
import { Itimerspec, toItimerspec, type Clock, type TimeLike } from '../time.ts';
import * as sys from './common.ts';

/** timerfd_create's flags: 'cloexec', 'nonblock'. */
const CREATE = sys.once(() => Object.freeze({ CLOEXEC: Number(abi.TFD.CLOEXEC), NONBLOCK: Number(abi.TFD.NONBLOCK) }));
/** timerfd_settime's flags: 'abstime', 'cancel_on_set' (TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET). */
const SETTIME = sys.once(() => Object.freeze({ ABSTIME: Number(abi.TFD.TIMER_ABSTIME), CANCEL_ON_SET: Number(abi.TFD.TIMER_CANCEL_ON_SET) }));

/** A timerfd setting: the first expiry after `value` (at `value` with 'abstime'), then every `interval` (0: once). */
export interface TimerfdSetting {
  /** Time to the first expiry (seconds, bigint nanoseconds, a Date or a time struct); 0 disarms the timer. */
  value: TimeLike;
  /** The period after the first expiry; 0 (the default) for a one-shot timer. */
  interval?: TimeLike;
}

function clockId(c: unknown): number {
  if (typeof c !== 'string' && typeof c !== 'number') throw new TypeError(`clock must be a CLOCK_ name or an id, got ${describe(c)}`);
  return int(constant(abi.CLOCK, 'CLOCK', 'CLOCK_', c), 'clock', -(2 ** 31), 2 ** 31 - 1);
}

/**
 * Create a timerfd on a clock ('monotonic' by default; 'realtime', 'boottime', 'realtime_alarm', 'boottime_alarm');
 * flags 'cloexec', 'nonblock'.
 *
 * The timer starts disarmed: arm it with timerfd_settime, then read its expiry count with timerfdRead, or wait for it
 * in epoll or poll (it is readable once it has expired).
 *
 * @example
 * ```ts
 * using tfd = timerfd_create('monotonic', 'cloexec');
 * timerfd_settime(tfd, { value: 0.5, interval: 0.5 }); // every 500 ms
 * ```
 * @see https://man7.org/linux/man-pages/man2/timerfd_create.2.html
 */
export function timerfd_create(clock: Clock = 'monotonic', how: Flags = 0): Fd {
  const id = clockId(clock);
  const f = flags(CREATE(), 'TFD', 'TFD_', how);
  return new Fd(check(retryFd(() => raw.timerfd_create(id, f)), 'timerfd_create'));
}

/**
 * Arm (or with `value` 0, disarm) a timerfd: the first expiry after `setting.value`, then every `setting.interval`;
 * flags 'abstime' (`value` is a time on the timer's clock, a Date for 'realtime') and 'cancel_on_set' (with 'abstime'
 * on a realtime clock: a read fails with ECANCELED when the clock is set).
 *
 * Returns the previous setting.
 *
 * @example
 * ```ts
 * const tfd = timerfd_create('monotonic', 'nonblock');
 * timerfd_settime(tfd, { value: 0.01, interval: 0.01 }); // in 10 ms, then every 10 ms
 * timerfd_settime(tfd, { value: 0 }); // disarm
 * ```
 * @see https://man7.org/linux/man-pages/man2/timerfd_settime.2.html
 */
export function timerfd_settime(fd: FdLike, setting: TimerfdSetting, how: Flags = 0): Itimerspec {
  const n = fdNum(fd, sys.CALLS.timerfd_settime);
  if (typeof setting !== 'object' || setting === null) {
    throw new TypeError(`setting must be an object { value, interval }, got ${describe(setting)}`);
  }
  const value = setting.value;
  const interval = setting.interval;
  const its = toItimerspec(value, interval ?? 0);
  const f = flags(SETTIME(), 'TFD_TIMER', 'TFD_TIMER_', how);
  const old = new Itimerspec();
  check(sys.timerfdSettime(n, f, structArg(its, abi.Itimerspec, 'setting'), structArg(old, abi.Itimerspec, 'old')), sys.CALLS.timerfd_settime);
  return old;
}

/**
 * A timerfd's time to the next expiry (`value`, relative even when armed with 'abstime'; 0 when disarmed) and its
 * period (`interval`).
 *
 * @example
 * ```ts
 * const tfd = timerfd_create();
 * timerfd_settime(tfd, { value: 10 });
 * timerfd_gettime(tfd).value.seconds; // 9.99...
 * ```
 * @see https://man7.org/linux/man-pages/man2/timerfd_gettime.2.html
 */
export function timerfd_gettime(fd: FdLike): Itimerspec {
  const n = fdNum(fd, sys.CALLS.timerfd_gettime);
  const its = new Itimerspec();
  check(sys.timerfdGettime(n, structArg(its, abi.Itimerspec, 'its')), sys.CALLS.timerfd_gettime);
  return its;
}

/**
 * Read a timerfd: how many times it has expired since it was armed or last read (a bigint, at least 1n).
 *
 * Before the first expiry this blocks the calling thread (the event loop, on the main thread) until it expires,
 * unless the timerfd is 'nonblock': then it throws a SyscallError with code 'EAGAIN'. After the clock of an 'abstime',
 * 'cancel_on_set' timer was set, it throws ECANCELED.
 *
 * @example
 * ```ts
 * const tfd = timerfd_create('monotonic');
 * timerfd_settime(tfd, { value: 0.01, interval: 0.01 });
 * timerfdRead(tfd); // 1n after about 10 ms (more if the reader was late)
 * ```
 * @see https://man7.org/linux/man-pages/man2/timerfd_create.2.html
 */
export function timerfdRead(fd: FdLike): bigint {
  return sys.readCounter(fdNum(fd, 'read'));
}
