// Copies in the kernel, between files or from a file to a socket: copy_file_range, sendfile.
import { raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { fdNum, type FdLike } from '../core/fd.ts';
import { int } from '../core/args.ts';
import * as sys from '../core/arch.ts';
import { off, offPtr } from './common.ts';

/**
 * Copy `len` bytes between files in the kernel; an offset (number or bigint) reads/writes there without moving the file
 * offset, null uses and moves the file offset.
 *
 * Returns the count copied.
 *
 * @example
 * ```ts
 * copy_file_range(src, 0, dst, null, 1 << 20);
 * ```
 * @see https://man7.org/linux/man-pages/man2/copy_file_range.2.html
 */
export function copy_file_range(fdIn: FdLike, offIn: number | bigint | null, fdOut: FdLike, offOut: number | bigint | null, len: number | bigint, how: number = 0): number {
  const i = fdNum(fdIn, 'copy_file_range');
  const o = fdNum(fdOut, 'copy_file_range');
  const r = raw.copy_file_range(i, offPtr(offIn, 'offIn'), o, offPtr(offOut, 'offOut'), sys.sizeArg(off(len, 'len')), int(how, 'flags', 0, 2 ** 32 - 1));
  return check(r, 'copy_file_range');
}

/**
 * Copy `count` bytes from `inFd` (at `offset`, or at its file offset when null) to `outFd`.
 *
 * @example
 * ```ts
 * sendfile(sock, file, 0, size);
 * ```
 * @see https://man7.org/linux/man-pages/man2/sendfile.2.html
 */
export function sendfile(outFd: FdLike, inFd: FdLike, offset: number | bigint | null, count: number | bigint): number {
  const o = fdNum(outFd, 'sendfile');
  const i = fdNum(inFd, 'sendfile');
  return check(sys.sendfile(o, i, offPtr(offset, 'offset'), sys.sizeArg(off(count, 'count'))), 'sendfile');
}
