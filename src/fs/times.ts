// File times: utimensat, futimens.
import { abi } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { fdNum, type FdLike } from '../core/fd.ts';
import { constant, type Flags } from '../core/flags.ts';
import { min, alloc, describe } from '../core/args.ts';
import * as sys from '../core/arch.ts';
import { atFlags, pathArg } from './common.ts';
import type { PathLike } from './open.ts';

const { UTIME } = abi;

/** A file time: seconds (a number, fractions allowed), bigint nanoseconds, a Date, or 'now' / 'omit' (UTIME). */
export type Time = number | bigint | Date | 'now' | 'omit';

function setTime(ts: InstanceType<typeof abi.Timespec>, t: unknown, name: string): void {
  let sec: bigint;
  let nsec: bigint;
  if (typeof t === 'string') {
    sec = 0n;
    nsec = BigInt(constant(UTIME, 'UTIME', 'UTIME_', t));
  } else if (typeof t === 'bigint') {
    nsec = ((t % 1000000000n) + 1000000000n) % 1000000000n;
    sec = (t - nsec) / 1000000000n;
  } else if (t instanceof Date || typeof t === 'number') {
    const ms = t instanceof Date ? t.getTime() : t * 1000;
    if (!Number.isFinite(ms)) throw new RangeError(`${name} must be a finite time, got ${describe(t)}`);
    const s = Math.floor(ms / 1000);
    sec = BigInt(s);
    nsec = BigInt(min(999999999, Math.round((ms - s * 1000) * 1e6)));
  } else {
    throw new TypeError(`${name} must be seconds, bigint nanoseconds, a Date, 'now' or 'omit', got ${describe(t)}`);
  }
  ts.tv_sec = sec;
  ts.tv_nsec = nsec;
}

function timespecs(atime: unknown, mtime: unknown): Buffer {
  const b = alloc(2 * abi.Timespec.size);
  setTime(new abi.Timespec(b, 0), atime, 'atime');
  setTime(new abi.Timespec(b, abi.Timespec.size), mtime, 'mtime');
  return b;
}

/**
 * Set the access and modification times of a file relative to a directory, AT flags ('symlink_nofollow').
 *
 * @example
 * ```ts
 * utimensat(AT.FDCWD, 'f', new Date('2020-01-01'), 'omit'); // atime set, mtime unchanged
 * ```
 * @see https://man7.org/linux/man-pages/man2/utimensat.2.html
 */
export function utimensat(dirfd: FdLike, path: PathLike, atime: Time = 'now', mtime: Time = 'now', at: Flags = 0): void {
  const d = fdNum(dirfd, 'utimensat');
  const [p, text] = pathArg(path);
  check(sys.utimensat(d, p, timespecs(atime, mtime), atFlags(at)), 'utimensat', text);
}

/**
 * Set the times of an open file.
 *
 * @example
 * ```ts
 * fd.futimens(1700000000, 1700000000n * 10n ** 9n);
 * ```
 * @see https://man7.org/linux/man-pages/man2/utimensat.2.html
 */
export function futimens(fd: FdLike, atime: Time = 'now', mtime: Time = 'now'): void {
  check(sys.utimensat(fdNum(fd, 'futimens'), null, timespecs(atime, mtime), 0), 'futimens');
}
