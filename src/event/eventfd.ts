// eventfd: a 64-bit counter in a descriptor, for waking a waiter (through epoll or poll) or counting events between
// threads and processes. eventfd2 where the arch has it (every arch of the spec), chosen by select().
import { abi, raw } from '../core/abi.ts';
import { alloc, int, int64 } from '../core/args.ts';
import { check } from '../core/errors.ts';
import { Fd, fdNum, retryFd, type FdLike } from '../core/fd.ts';
import { flags, type Flags } from '../core/flags.ts';
import { writeU64 } from '../core/words.ts';
import * as sys from './common.ts';

/** The largest value an eventfd counter holds (2^64 - 2): a write that would pass it waits, or fails with EAGAIN. */
const COUNTER_MAX = 2n ** 64n - 2n;

/**
 * Create an eventfd: a descriptor holding a 64-bit counter that starts at `initval`; EFD flags ('cloexec', 'nonblock',
 * 'semaphore').
 *
 * Reading it (eventfdRead) returns the counter and resets it to 0, or with 'semaphore' returns 1 and decrements it; a
 * read while the counter is 0 blocks the calling thread (the event loop, on the main thread) unless the eventfd is
 * 'nonblock', where it fails with EAGAIN. Writing adds to the counter. It is readable for epoll and poll while the
 * counter is not 0.
 *
 * @example
 * ```ts
 * using efd = eventfd(0, 'cloexec, nonblock');
 * eventfdWrite(efd, 3);
 * eventfdRead(efd); // 3n
 * ```
 * @see https://man7.org/linux/man-pages/man2/eventfd.2.html
 */
export function eventfd(initval: number = 0, how: Flags = 0): Fd {
  const n = int(initval, 'initval', 0, 2 ** 32 - 1);
  const f = flags(abi.EFD, 'EFD', 'EFD_', how);
  return new Fd(check(retryFd(() => sys.eventfd(n, f)), 'eventfd2'));
}

/**
 * Read an eventfd's counter: its value, which resets it to 0 (or 1n, decrementing it, for a 'semaphore' eventfd).
 *
 * While the counter is 0 this blocks the calling thread (the event loop, on the main thread) until another thread or
 * process writes, unless the eventfd is 'nonblock': then it throws a SyscallError with code 'EAGAIN'. Use epoll or poll
 * to wait for it without reading.
 *
 * @example
 * ```ts
 * const efd = eventfd(0, 'nonblock, semaphore');
 * eventfdWrite(efd, 2);
 * eventfdRead(efd); // 1n
 * eventfdRead(efd); // 1n; a third read throws EAGAIN
 * ```
 * @see https://man7.org/linux/man-pages/man2/eventfd.2.html
 */
export function eventfdRead(fd: FdLike): bigint {
  return sys.readCounter(fdNum(fd, 'read'));
}

/**
 * Add `n` (a number or bigint, 0 to 2^64 - 2) to an eventfd's counter.
 *
 * A write that would take the counter past 2^64 - 2 blocks the calling thread (the event loop, on the main thread)
 * until a read empties it, unless the eventfd is 'nonblock': then it throws a SyscallError with code 'EAGAIN'.
 *
 * @example
 * ```ts
 * const efd = eventfd();
 * eventfdWrite(efd, 1n); // wakes a waiter in epoll_wait or poll
 * ```
 * @see https://man7.org/linux/man-pages/man2/eventfd.2.html
 */
export function eventfdWrite(fd: FdLike, n: number | bigint): void {
  const v = BigInt(int64(n, 'n', true));
  if (v > COUNTER_MAX) throw new RangeError(`n must be at most 2^64 - 2 (${COUNTER_MAX}), got ${v}`);
  const f = fdNum(fd, 'write');
  const b = alloc(8);
  writeU64(b, v);
  check(raw.write(f, b, 8), 'write');
}
