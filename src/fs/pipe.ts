// Pipes and moving data without copying it through user space: pipe2, splice, tee, vmsplice.
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { Fd, fdNum, retryFd, type FdLike } from '../core/fd.ts';
import { flags, type Flags } from '../core/flags.ts';
import { type Bytes } from '../core/args.ts';
import * as sys from '../core/arch.ts';
import { oFlags, off, offPtr, iovecs, withIov } from './common.ts';

const { SPLICE } = abi;

/**
 * Create a pipe, returned as [readEnd, writeEnd]; O flags ('cloexec', 'nonblock', 'direct').
 *
 * @example
 * ```ts
 * const [r, w] = pipe2('cloexec');
 * ```
 * @see https://man7.org/linux/man-pages/man2/pipe2.2.html
 */
export function pipe2(how: Flags = 0): [Fd, Fd] {
  const fds = new Int32Array(2);
  const f = oFlags(how);
  check(retryFd(() => raw.pipe2(fds, f)), 'pipe2');
  return [new Fd(fds[0]), new Fd(fds[1])];
}

const spliceFlags = (f: Flags) => flags(SPLICE, 'SPLICE', 'SPLICE_F_', f);

/**
 * Move up to `len` bytes between a pipe and another fd without copying through user space; SPLICE flags ('move',
 * 'nonblock', 'more').
 *
 * Offsets as in copy_file_range (null for pipes). Blocks the thread on an empty pipe.
 *
 * @example
 * ```ts
 * splice(file, 0, w, null, 4096);
 * ```
 * @see https://man7.org/linux/man-pages/man2/splice.2.html
 */
export function splice(fdIn: FdLike, offIn: number | bigint | null, fdOut: FdLike, offOut: number | bigint | null, len: number | bigint, how: Flags = 0): number {
  const i = fdNum(fdIn, 'splice');
  const o = fdNum(fdOut, 'splice');
  return check(raw.splice(i, offPtr(offIn, 'offIn'), o, offPtr(offOut, 'offOut'), sys.sizeArg(off(len, 'len')), spliceFlags(how)), 'splice');
}

/**
 * Duplicate up to `len` bytes from one pipe into another without consuming them.
 *
 * @example
 * ```ts
 * tee(r1, w2, 65536);
 * ```
 * @see https://man7.org/linux/man-pages/man2/tee.2.html
 */
export function tee(fdIn: FdLike, fdOut: FdLike, len: number | bigint, how: Flags = 0): number {
  const i = fdNum(fdIn, 'tee');
  const o = fdNum(fdOut, 'tee');
  return check(raw.tee(i, o, sys.sizeArg(off(len, 'len')), spliceFlags(how)), 'tee');
}

/**
 * Map Buffers (or strings) into a pipe's write end, or read a pipe's read end into Buffers.
 *
 * Into a pipe, the pipe references the Buffers' pages: do not change them until the data has been read.
 *
 * @example
 * ```ts
 * vmsplice(w, [Buffer.from('hello')]); // 5
 * ```
 * @see https://man7.org/linux/man-pages/man2/vmsplice.2.html
 */
export function vmsplice(fd: FdLike, bufs: readonly (Bytes | string)[], how: Flags = 0): number {
  const n = fdNum(fd, 'vmsplice');
  const f = spliceFlags(how);
  const v = iovecs(bufs, 'bufs', true);
  return withIov(v, () => raw.vmsplice(n, v.iov, v.count, f), 'vmsplice');
}
