// Reading and writing: read, write, positioned and vectored I/O (pread, pwrite, readv, writev, preadv2, pwritev2),
// lseek; sync (fsync, fdatasync, sync_file_range), size and allocation (truncate, ftruncate, fallocate), fadvise.
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { fdNum, type FdLike } from '../core/fd.ts';
import { flags, constant, type Flags } from '../core/flags.ts';
import { bufferFrom, allocUnsafe, int, region, lengthOf, type Bytes } from '../core/args.ts';
import * as sys from '../core/arch.ts';
import { off, iovecs, withIov, whence, pathArg } from './common.ts';
import type { PathLike } from './open.ts';

const { RWF, SYNC_FILE_RANGE, FALLOC } = abi;

/** fadvise advice (linux/fadvise.h). */
export const POSIX_FADV = abi.POSIX_FADV;

export { IOV_MAX } from './common.ts';

/**
 * Read into `buf` (all of it, or `length` bytes from `offset`) and return the count; without a buffer, read up to
 * `length` bytes (default 4096) into a fresh Buffer and return it, shortened to what was read.
 *
 * @example
 * ```ts
 * const buf = Buffer.alloc(4096);
 * read(fd, buf); // the count read into buf
 * read(fd, 64); // a fresh Buffer of up to 64 bytes
 * ```
 * @see https://man7.org/linux/man-pages/man2/read.2.html
 */
export function read(fd: FdLike, buf: Bytes, offset?: number, length?: number): number;
export function read(fd: FdLike, length?: number): Buffer;
export function read(fd: FdLike, a?: Bytes | number, offset?: number, length?: number): number | Buffer {
  const n = fdNum(fd, 'read');
  if (a === undefined || typeof a === 'number') {
    const len = a === undefined ? 4096 : int(a, 'length', 0, 2 ** 31 - 1);
    const out = allocUnsafe(len);
    return out.subarray(0, check(raw.read(n, out, len), 'read'));
  }
  const r = region(a, 'buf', offset, length);
  return check(raw.read(n, r, lengthOf(r)), 'read');
}

/**
 * Write a Buffer, typed array or string (UTF-8); returns the count written.
 *
 * @example
 * ```ts
 * write(fd, 'hello'); // 5
 * write(fd, Buffer.from('abc'), 1, 2); // 2: 'bc'
 * ```
 * @see https://man7.org/linux/man-pages/man2/write.2.html
 */
export function write(fd: FdLike, data: Bytes | string, offset?: number, length?: number): number {
  const n = fdNum(fd, 'write');
  const r = typeof data === 'string' ? bufferFrom(data) : region(data, 'data', offset, length);
  return check(raw.write(n, r, lengthOf(r)), 'write');
}

/**
 * Read at `position` without moving the file offset; into `buf` (returns the count) or into a fresh Buffer of up to
 * `length` bytes (returned, shortened to what was read).
 *
 * @example
 * ```ts
 * pread(fd, 10, 100); // <Buffer ...>: 10 bytes from offset 100
 * ```
 * @see https://man7.org/linux/man-pages/man2/pread64.2.html
 */
export function pread(fd: FdLike, buf: Bytes, position: number | bigint): number;
export function pread(fd: FdLike, length: number, position: number | bigint): Buffer;
export function pread(fd: FdLike, a: Bytes | number, position: number | bigint): number | Buffer {
  const n = fdNum(fd, 'pread');
  const pos = off(position, 'position');
  if (typeof a === 'number') {
    const out = allocUnsafe(int(a, 'length', 0, 2 ** 31 - 1));
    return out.subarray(0, check(raw.pread64(n, out, out.length, pos), 'pread'));
  }
  const r = region(a, 'buf');
  return check(raw.pread64(n, r, lengthOf(r), pos), 'pread');
}

/**
 * Write at `position` without moving the file offset; returns the count written.
 *
 * @example
 * ```ts
 * pwrite(fd, 'abc', 0); // 3
 * ```
 * @see https://man7.org/linux/man-pages/man2/pwrite64.2.html
 */
export function pwrite(fd: FdLike, data: Bytes | string, position: number | bigint): number {
  const n = fdNum(fd, 'pwrite');
  const pos = off(position, 'position');
  const r = typeof data === 'string' ? bufferFrom(data) : region(data, 'data');
  return check(raw.pwrite64(n, r, lengthOf(r), pos), 'pwrite');
}

/**
 * Scatter one read into several buffers, in order; returns the total count.
 *
 * @example
 * ```ts
 * const [a, b] = [Buffer.alloc(2), Buffer.alloc(3)];
 * readv(fd, [a, b]); // 5
 * ```
 * @see https://man7.org/linux/man-pages/man2/readv.2.html
 */
export function readv(fd: FdLike, bufs: readonly Bytes[]): number {
  const n = fdNum(fd, 'readv');
  const v = iovecs(bufs, 'bufs', false);
  return withIov(v, () => raw.readv(n, v.iov, v.count), 'readv');
}

/**
 * Gather several buffers (or strings) into one write; returns the total count.
 *
 * @example
 * ```ts
 * writev(fd, ['hello ', Buffer.from('world')]); // 11
 * ```
 * @see https://man7.org/linux/man-pages/man2/writev.2.html
 */
export function writev(fd: FdLike, bufs: readonly (Bytes | string)[]): number {
  const n = fdNum(fd, 'writev');
  const v = iovecs(bufs, 'bufs', true);
  return withIov(v, () => raw.writev(n, v.iov, v.count), 'writev');
}

const rwf = (f: Flags) => flags(RWF, 'RWF', 'RWF_', f);

/**
 * Read into several buffers at `position` (-1: at the file offset, moving it) with RWF flags ('nowait', 'hipri', ...).
 *
 * @example
 * ```ts
 * preadv2(fd, [buf], 0, 'nowait'); // EAGAIN if the data is not in the page cache
 * ```
 * @see https://man7.org/linux/man-pages/man2/preadv2.2.html
 */
export function preadv2(fd: FdLike, bufs: readonly Bytes[], position: number | bigint = -1, how: Flags = 0): number {
  const n = fdNum(fd, 'preadv2');
  const pos = off(position, 'position', false);
  const f = rwf(how);
  const v = iovecs(bufs, 'bufs', false);
  // pos_l and pos_h: where a long has 64 bits, the whole offset goes in pos_l and the kernel ignores pos_h
  const [lo, hi] = sys.posPair(pos);
  return withIov(v, () => raw.preadv2(n, v.iov, v.count, lo, hi, f), 'preadv2');
}

/**
 * Write several buffers at `position` (-1: at the file offset) with RWF flags ('append', 'dsync', 'sync', 'nowait',
 * ...).
 *
 * @example
 * ```ts
 * pwritev2(fd, ['tail\n'], 0, 'append'); // appended at the end whatever the position
 * ```
 * @see https://man7.org/linux/man-pages/man2/pwritev2.2.html
 */
export function pwritev2(fd: FdLike, bufs: readonly (Bytes | string)[], position: number | bigint = -1, how: Flags = 0): number {
  const n = fdNum(fd, 'pwritev2');
  const pos = off(position, 'position', false);
  const f = rwf(how);
  const v = iovecs(bufs, 'bufs', true);
  const [lo, hi] = sys.posPair(pos);
  return withIov(v, () => raw.pwritev2(n, v.iov, v.count, lo, hi, f), 'pwritev2');
}

/** Where lseek counts from: 'set', 'cur', 'end', 'data', 'hole' or a SEEK value. */
export type Whence = 'set' | 'cur' | 'end' | 'data' | 'hole' | number;

/**
 * Move the file offset; returns the new offset. 'data' and 'hole' find the next data or hole.
 *
 * @example
 * ```ts
 * lseek(fd, 0, 'end'); // the size
 * ```
 * @see https://man7.org/linux/man-pages/man2/lseek.2.html
 */
export function lseek(fd: FdLike, offset: number | bigint, from: Whence = 'set'): number {
  const n = fdNum(fd, 'lseek');
  return check(sys.lseek(n, off(offset, 'offset', false), whence(from)), 'lseek');
}

// ---------------------------------------------------------------------------------------------------------------------
// Sync, size, allocation

/**
 * Flush the file's data and metadata to the device.
 *
 * @example
 * ```ts
 * fsync(fd);
 * ```
 * @see https://man7.org/linux/man-pages/man2/fsync.2.html
 */
export function fsync(fd: FdLike): void {
  check(raw.fsync(fdNum(fd, 'fsync')), 'fsync');
}

/**
 * Flush the file's data (and the metadata needed to read it).
 *
 * @example
 * ```ts
 * fdatasync(fd);
 * ```
 * @see https://man7.org/linux/man-pages/man2/fdatasync.2.html
 */
export function fdatasync(fd: FdLike): void {
  check(raw.fdatasync(fdNum(fd, 'fdatasync')), 'fdatasync');
}

/**
 * Start and/or wait for writeback of a byte range (nbytes 0: to the end), SYNC_FILE_RANGE flags.
 *
 * @example
 * ```ts
 * sync_file_range(fd, 0, 0, 'write_and_wait');
 * ```
 * @see https://man7.org/linux/man-pages/man2/sync_file_range.2.html
 */
export function sync_file_range(fd: FdLike, offset: number | bigint, nbytes: number | bigint, how: Flags): void {
  const n = fdNum(fd, 'sync_file_range');
  const f = flags(SYNC_FILE_RANGE, 'SYNC_FILE_RANGE', 'SYNC_FILE_RANGE_', how);
  check(sys.syncFileRange(n, off(offset, 'offset'), off(nbytes, 'nbytes'), f), 'sync_file_range');
}

/**
 * Set a file's size by path.
 *
 * @example
 * ```ts
 * truncate('/tmp/f', 0);
 * ```
 * @see https://man7.org/linux/man-pages/man2/truncate.2.html
 */
export function truncate(path: PathLike, length: number | bigint): void {
  const [p, text] = pathArg(path);
  check(sys.truncate(p, off(length, 'length')), 'truncate', text);
}

/**
 * Set an open file's size.
 *
 * @example
 * ```ts
 * fd.ftruncate(4096);
 * ```
 * @see https://man7.org/linux/man-pages/man2/ftruncate.2.html
 */
export function ftruncate(fd: FdLike, length: number | bigint): void {
  check(sys.ftruncate(fdNum(fd, 'ftruncate'), off(length, 'length')), 'ftruncate');
}

/**
 * Allocate (mode 0 or 'keep_size'), punch holes ('punch_hole, keep_size'), zero, collapse or insert ranges.
 *
 * @example
 * ```ts
 * fallocate(fd, 'punch_hole, keep_size', 0, 4096);
 * ```
 * @see https://man7.org/linux/man-pages/man2/fallocate.2.html
 */
export function fallocate(fd: FdLike, how: Flags, offset: number | bigint, len: number | bigint): void {
  const n = fdNum(fd, 'fallocate');
  const m = flags(FALLOC, 'FALLOC', 'FALLOC_FL_', how);
  check(raw.fallocate(n, m, off(offset, 'offset'), off(len, 'len')), 'fallocate');
}

/** Advice for fadvise: 'normal', 'random', 'sequential', 'willneed', 'dontneed', 'noreuse' or a POSIX_FADV value. */
export type Advice = Lowercase<keyof typeof POSIX_FADV> | number;

/**
 * Tell the kernel how a range will be used (len 0: to the end).
 *
 * The syscall is fadvise64 on 64-bit arches, fadvise64_64 (arm_fadvise64_64 on arm) on 32-bit ones.
 *
 * @example
 * ```ts
 * fadvise(fd, 0, 0, 'dontneed'); // drop its clean pages from the page cache
 * ```
 * @see https://man7.org/linux/man-pages/man2/posix_fadvise.2.html
 */
export function fadvise(fd: FdLike, offset: number | bigint, len: number | bigint, advice: Advice): void {
  const n = fdNum(fd, 'fadvise');
  const a = constant(POSIX_FADV, 'POSIX_FADV', 'POSIX_FADV_', advice);
  check(sys.fadvise(n, off(offset, 'offset'), off(len, 'len'), a), 'fadvise64');
}
