// Files and directories, the rest of them: the *at calls, positioned and vectored I/O, sync, truncate and allocate,
// stat/statx/statfs, permissions and owners, links, renames, directories and their entries, times, locks, fcntl,
// dup, pipes, in-kernel copies, memfds, extended attributes and file handles. (open/close/read/write/fstat and Stat
// are in files.ts.) Calls that can block (flock without 'nb', F_SETLKW, reads from pipes, splice) block the thread:
// they are wrapped synchronously; Promise variants come later.
import { abi, raw } from './core/abi.ts';
import { backend } from './core/backend.ts';
import * as sys from './core/arch.ts';
import * as words from './core/words.ts';
import { withFileTypeTests, dtToMode, type FileTypeTests } from './core/filetype.ts';
import { check } from './core/errors.ts';
import { Fd, fdNum, retryFd, forgetRange, addFdMethods, type FdLike, type FdMethods } from './core/fd.ts';
import { flags, constant, type Flags } from './core/flags.ts';
import { copyInto, push, min, bufferFrom, allocUnsafe, alloc, int, int64, mode, describe, isBytes, path as checkPath, pathText, region, lengthOf, type Bytes } from './core/args.ts';
import { structArg } from './core/view.ts';
import { Stat, type PathLike, type Mode } from './files.ts';

const { O, AT, F, F_SEAL, FD, LOCK, SEEK, RENAME, RWF, SYNC_FILE_RANGE, STATX, S, UTIME, XATTR, FALLOC, SPLICE,
  CLOSE_RANGE, RESOLVE, MFD, E } = abi;

// ---------------------------------------------------------------------------------------------------------------------
// Constants users of this module want by these names (all from the spec).

/** d_type values of directory entries. */
export const DT = abi.DT;
/** fadvise advice (linux/fadvise.h). */
export const POSIX_FADV = abi.POSIX_FADV;
/** access modes: F_OK, R_OK, W_OK, X_OK. */
export const ACCESS = abi.ACCESS;
/** The most buffers one readv/writev/preadv2/pwritev2/vmsplice takes (UIO_MAXIOV). */
export const IOV_MAX = abi.UIO.MAXIOV;
/** The largest file handle name_to_handle_at returns (MAX_HANDLE_SZ). */
export const MAX_HANDLE_SZ = abi.HANDLE.MAX_SZ;

// ---------------------------------------------------------------------------------------------------------------------
// Local helpers

const AT_FDCWD = AT.FDCWD;
const atFlags = (f: Flags) => flags(AT, 'AT', 'AT_', f);
const oFlags = (f: Flags) => flags(O, 'O', 'O_', f);

/** A checked path and its text for messages. */
function pathArg(p: unknown, name = 'path'): [string | Buffer, string] {
  const c = checkPath(p, name);
  return [c, pathText(c)];
}

/** The buffer of a Stat view, checked to hold a whole struct stat (struct statx where the stat calls use statx). */
const statBuffer = (st: Stat): Uint8Array => structArg(st, sys.StatStruct, 'st');

/** An ID for chown: -1 (or undefined) leaves it unchanged. */
function id(v: unknown, name: string): number {
  return v === undefined ? -1 : int(v, name, -1, 2 ** 32 - 1);
}

/** A file offset or length argument. */
/** A file offset (loff_t: signed 64 bits), non-negative unless `signed`. */
function off(v: unknown, name: string, unsigned = true): number | bigint {
  const r = int64(v, name, false);
  if (unsigned && r < 0) throw new RangeError(`${name} must not be negative: ${r}`);
  return r;
}

/** A 64-bit in/out offset for copy_file_range, sendfile, splice: null for "the file's own position". */
function offPtr(v: unknown, name: string): Buffer | null {
  if (v === null || v === undefined) return null;
  const b = alloc(8);
  words.writeI64(b, BigInt(off(v, name)));
  return b;
}

// Buffer addresses, for struct iovec.
const addressOf = (b: Uint8Array): bigint => backend().address(b);

/** Buffers whose addresses are in a struct iovec handed to the kernel: referenced here until the call returns. */
const pinned = new Set<unknown>();

interface Iov {
  iov: Buffer | null;
  count: number;
  keep: Uint8Array[];
}

/**
 * A struct iovec array over `bufs` (strings too when `strings`), each checked; at most IOV_MAX. Each element is read
 * once (a getter or a proxy runs here, before any address is taken); each buffer's range comes from intrinsics.
 */
function iovecs(bufs: unknown, name: string, strings: boolean): Iov {
  if (!Array.isArray(bufs)) throw new TypeError(`${name} must be an array of Buffers, got ${describe(bufs)}`);
  const count = int(bufs.length, `${name}.length`, 0, 2 ** 32 - 1);
  if (count > IOV_MAX) throw new RangeError(`${name}: at most ${IOV_MAX} buffers (IOV_MAX), got ${count}`);
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) push(items, bufs[i]);
  const keep: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = items[i];
    push(keep, strings && typeof b === 'string' ? bufferFrom(b) : region(b, `${name}[${i}]`));
  }
  const size = abi.Iovec.size;
  const iov = count ? alloc(count * size) : null;
  for (let i = 0; i < count; i++) {
    const b = keep[i];
    const len = lengthOf(b);
    const v = new abi.Iovec(iov!, i * size);
    v.iov_base = words.pointerField(len ? addressOf(b) : 0n) as bigint;
    v.iov_len = len;
  }
  return { iov, count, keep };
}

/** Run a call that reads or writes through an iovec, with its buffers pinned. */
function withIov(v: Iov, call: () => number, syscall: string): number {
  pinned.add(v);
  try {
    return check(call(), syscall);
  } finally {
    pinned.delete(v);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Opening

/**
 * Open `path` relative to the directory `dirfd` (an Fd, a number, or AT.FDCWD for the working directory).
 * @example const f = openat(dir, 'notes.txt', 'wronly, creat', 0o600);
 */
export function openat(dirfd: FdLike, path: PathLike, how: Flags = 'rdonly', perm: Mode = 0o666): Fd {
  const d = fdNum(dirfd, 'openat');
  const [p, text] = pathArg(path);
  const f = oFlags(how);
  const m = mode(perm);
  return new Fd(check(retryFd(() => raw.openat(d, p, f, m)), 'openat', text));
}

/** struct open_how, friendly: O flags, a mode, RESOLVE flags ('beneath, no_symlinks'). */
export interface OpenHow {
  flags?: Flags;
  mode?: Mode;
  resolve?: Flags;
}

/**
 * openat2: openat with RESOLVE flags that restrict how the path resolves.
 * @example openat2(dir, '../x', { flags: 'rdonly', resolve: 'beneath' }); // throws EXDEV: '..' escapes dir
 */
export function openat2(dirfd: FdLike, path: PathLike, how: OpenHow | Flags = {}): Fd {
  const d = fdNum(dirfd, 'openat2');
  const [p, text] = pathArg(path);
  const h = typeof how === 'object' && how !== null && !Array.isArray(how) ? (how as OpenHow) : { flags: how as Flags };
  const v = new abi.OpenHow();
  v.flags = oFlags(h.flags ?? 'rdonly');
  v.mode = mode(h.mode ?? 0);
  v.resolve = flags(RESOLVE, 'RESOLVE', 'RESOLVE_', h.resolve);
  const b = structArg(v, abi.OpenHow, 'how');
  return new Fd(check(retryFd(() => raw.openat2(d, p, b, abi.OpenHow.size)), 'openat2', text));
}

/**
 * creat: create (or truncate) a file and open it write-only.
 * @example const f = creat('/tmp/out', 0o644); f.write('x');
 */
export function creat(path: PathLike, perm: Mode = 0o666): Fd {
  const [p, text] = pathArg(path);
  const m = mode(perm);
  return new Fd(check(retryFd(() => raw.openat(AT_FDCWD, p, O.CREAT | O.WRONLY | O.TRUNC, m)), 'creat', text));
}

/**
 * close_range: close (or, with 'cloexec', mark close-on-exec) every descriptor from `first` to `last`; the Fds that
 * owned closed numbers forget them.
 * @example close_range(3, 2 ** 32 - 1, 'cloexec'); // before an exec
 */
export function close_range(first: number, last: number = 2 ** 32 - 1, how: Flags = 0): void {
  const lo = int(first, 'first', 0, 2 ** 32 - 1);
  const hi = int(last, 'last', 0, 2 ** 32 - 1);
  const f = flags(CLOSE_RANGE, 'CLOSE_RANGE', 'CLOSE_RANGE_', how);
  check(raw.close_range(lo, hi, f), 'close_range');
  // the Fds that owned closed numbers forget them (from the owners table: no /proc needed)
  if (!(f & CLOSE_RANGE.CLOEXEC)) forgetRange(lo, hi);
}

// ---------------------------------------------------------------------------------------------------------------------
// Positioned and vectored I/O

/**
 * pread: read at `position` without moving the file offset; into `buf` (returns the count) or into a fresh Buffer
 * of up to `length` bytes (returned, shortened to what was read).
 * @example pread(fd, 10, 100); // <Buffer ...>: 10 bytes from offset 100
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
 * pwrite: write at `position` without moving the file offset; returns the count written.
 * @example pwrite(fd, 'abc', 0); // 3
 */
export function pwrite(fd: FdLike, data: Bytes | string, position: number | bigint): number {
  const n = fdNum(fd, 'pwrite');
  const pos = off(position, 'position');
  const r = typeof data === 'string' ? bufferFrom(data) : region(data, 'data');
  return check(raw.pwrite64(n, r, lengthOf(r), pos), 'pwrite');
}

/**
 * readv: scatter one read into several buffers, in order; returns the total count.
 * @example const [a, b] = [alloc(2), alloc(3)]; readv(fd, [a, b]); // 5
 */
export function readv(fd: FdLike, bufs: readonly Bytes[]): number {
  const n = fdNum(fd, 'readv');
  const v = iovecs(bufs, 'bufs', false);
  return withIov(v, () => raw.readv(n, v.iov, v.count), 'readv');
}

/**
 * writev: gather several buffers (or strings) into one write; returns the total count.
 * @example writev(fd, ['hello ', bufferFrom('world')]); // 11
 */
export function writev(fd: FdLike, bufs: readonly (Bytes | string)[]): number {
  const n = fdNum(fd, 'writev');
  const v = iovecs(bufs, 'bufs', true);
  return withIov(v, () => raw.writev(n, v.iov, v.count), 'writev');
}

const rwf = (f: Flags) => flags(RWF, 'RWF', 'RWF_', f);

/**
 * preadv2: readv at `position` (-1: at the file offset, moving it) with RWF flags ('nowait', 'hipri', ...).
 * @example preadv2(fd, [buf], 0, 'nowait'); // EAGAIN if the data is not in the page cache
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
 * pwritev2: writev at `position` (-1: at the file offset) with RWF flags ('append', 'dsync', 'sync', 'nowait', ...).
 * @example pwritev2(fd, ['tail\n'], 0, 'append'); // appended at the end whatever the position
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
const whence = (w: unknown) => constant(SEEK, 'SEEK', 'SEEK_', w as Whence);

/**
 * lseek: move the file offset; returns the new offset. 'data' and 'hole' find the next data or hole.
 * @example lseek(fd, 0, 'end'); // the size
 */
export function lseek(fd: FdLike, offset: number | bigint, from: Whence = 'set'): number {
  const n = fdNum(fd, 'lseek');
  return check(sys.lseek(n, off(offset, 'offset', false), whence(from)), 'lseek');
}

// ---------------------------------------------------------------------------------------------------------------------
// Sync, size, allocation

/** fsync: flush the file's data and metadata to the device. @example fsync(fd); */
export function fsync(fd: FdLike): void {
  check(raw.fsync(fdNum(fd, 'fsync')), 'fsync');
}

/** fdatasync: flush the file's data (and the metadata needed to read it). @example fdatasync(fd); */
export function fdatasync(fd: FdLike): void {
  check(raw.fdatasync(fdNum(fd, 'fdatasync')), 'fdatasync');
}

/**
 * sync_file_range: start and/or wait for writeback of a byte range (nbytes 0: to the end), SYNC_FILE_RANGE flags.
 * @example sync_file_range(fd, 0, 0, 'write_and_wait');
 */
export function sync_file_range(fd: FdLike, offset: number | bigint, nbytes: number | bigint, how: Flags): void {
  const n = fdNum(fd, 'sync_file_range');
  const f = flags(SYNC_FILE_RANGE, 'SYNC_FILE_RANGE', 'SYNC_FILE_RANGE_', how);
  check(sys.syncFileRange(n, off(offset, 'offset'), off(nbytes, 'nbytes'), f), 'sync_file_range');
}

/** truncate: set a file's size by path. @example truncate('/tmp/f', 0); */
export function truncate(path: PathLike, length: number | bigint): void {
  const [p, text] = pathArg(path);
  check(sys.truncate(p, off(length, 'length')), 'truncate', text);
}

/** ftruncate: set an open file's size. @example fd.ftruncate(4096); */
export function ftruncate(fd: FdLike, length: number | bigint): void {
  check(sys.ftruncate(fdNum(fd, 'ftruncate'), off(length, 'length')), 'ftruncate');
}

/**
 * fallocate: allocate (mode 0 or 'keep_size'), punch holes ('punch_hole, keep_size'), zero, collapse or insert ranges.
 * @example fallocate(fd, 'punch_hole, keep_size', 0, 4096);
 */
export function fallocate(fd: FdLike, how: Flags, offset: number | bigint, len: number | bigint): void {
  const n = fdNum(fd, 'fallocate');
  const m = flags(FALLOC, 'FALLOC', 'FALLOC_FL_', how);
  check(raw.fallocate(n, m, off(offset, 'offset'), off(len, 'len')), 'fallocate');
}

/** Advice for fadvise: 'normal', 'random', 'sequential', 'willneed', 'dontneed', 'noreuse' or a POSIX_FADV value. */
export type Advice = Lowercase<keyof typeof POSIX_FADV> | number;

/**
 * fadvise (fadvise64 on x86_64): tell the kernel how a range will be used (len 0: to the end).
 * @example fadvise(fd, 0, 0, 'dontneed'); // drop its clean pages from the page cache
 */
export function fadvise(fd: FdLike, offset: number | bigint, len: number | bigint, advice: Advice): void {
  const n = fdNum(fd, 'fadvise');
  const a = constant(POSIX_FADV, 'POSIX_FADV', 'POSIX_FADV_', advice);
  check(sys.fadvise(n, off(offset, 'offset'), off(len, 'len'), a), 'fadvise64');
}

// ---------------------------------------------------------------------------------------------------------------------
// stat, statx, statfs

/** stat: status of the file a path names (following symlinks), into `st` or a fresh Stat. @example stat('/').isDirectory(); // true */
export function stat(path: PathLike, st: Stat = new Stat()): Stat {
  const [p, text] = pathArg(path);
  check(sys.fstatat(AT_FDCWD, p, statBuffer(st), 0), 'stat', text);
  return st;
}

/** lstat: like stat, but of a symlink itself. @example lstat('/tmp/link').isSymbolicLink(); // true */
export function lstat(path: PathLike, st: Stat = new Stat()): Stat {
  const [p, text] = pathArg(path);
  check(sys.fstatat(AT_FDCWD, p, statBuffer(st), AT.SYMLINK_NOFOLLOW), 'lstat', text);
  return st;
}

/**
 * fstatat (newfstatat): stat relative to a directory fd, AT flags ('symlink_nofollow', 'empty_path', 'no_automount').
 * @example fstatat(dir, 'link', 'symlink_nofollow').isSymbolicLink();
 */
export function fstatat(dirfd: FdLike, path: PathLike, how: Flags = 0, st: Stat = new Stat()): Stat {
  const d = fdNum(dirfd, 'fstatat');
  const [p, text] = pathArg(path);
  const f = atFlags(how);
  check(sys.fstatat(d, p, statBuffer(st), f), 'fstatat', text);
  return st;
}

const nsOf = (t: InstanceType<typeof abi.StatxTimestamp>) => t.tv_sec * 1000000000n + BigInt(t.tv_nsec);
const dateOf = (ns: bigint) => new Date(Number(ns / 1000000n));

/** statx results with friendly getters. Check `mask` (or has()) for which fields the kernel filled. */
export class Statx extends abi.Statx {
  /** STATX bits of the fields filled in. */
  get mask(): number { return this.stx_mask; }
  /** Whether the kernel filled this field ('btime', 'mnt_id', ...). */
  has(field: Flags): boolean {
    const m = flags(STATX, 'STATX', 'STATX_', field);
    return (this.stx_mask & m) === m;
  }
  get mode(): number { return this.stx_mode; }
  get perm(): number { return this.stx_mode & 0o7777; }
  get type(): number { return this.stx_mode & S.IFMT; }
  get nlink(): number { return this.stx_nlink; }
  get uid(): number { return this.stx_uid; }
  get gid(): number { return this.stx_gid; }
  get ino(): bigint { return this.stx_ino; }
  get size(): bigint { return this.stx_size; }
  get blocks(): bigint { return this.stx_blocks; }
  get blksize(): number { return this.stx_blksize; }
  /** STATX_ATTR bits ('immutable', 'append', ...) and which of them the filesystem supports. */
  get attributes(): bigint { return this.stx_attributes; }
  get attributesMask(): bigint { return this.stx_attributes_mask; }
  get devMajor(): number { return this.stx_dev_major; }
  get devMinor(): number { return this.stx_dev_minor; }
  get rdevMajor(): number { return this.stx_rdev_major; }
  get rdevMinor(): number { return this.stx_rdev_minor; }
  get mntId(): bigint { return this.stx_mnt_id; }
  get dioMemAlign(): number { return this.stx_dio_mem_align; }
  get dioOffsetAlign(): number { return this.stx_dio_offset_align; }
  /** Times as bigint nanoseconds since the epoch, and as Dates. */
  get atimeNs(): bigint { return nsOf(this.stx_atime); }
  get btimeNs(): bigint { return nsOf(this.stx_btime); }
  get ctimeNs(): bigint { return nsOf(this.stx_ctime); }
  get mtimeNs(): bigint { return nsOf(this.stx_mtime); }
  get atime(): Date { return dateOf(this.atimeNs); }
  get btime(): Date { return dateOf(this.btimeNs); }
  get ctime(): Date { return dateOf(this.ctimeNs); }
  get mtime(): Date { return dateOf(this.mtimeNs); }
  get fileType(): number { return this.type; }
}
export interface Statx extends FileTypeTests {}
withFileTypeTests(Statx);

/**
 * statx: extended status, `mask` of the STATX fields wanted (default 'basic_stats, btime'), AT flags
 * ('symlink_nofollow', 'empty_path' with path '' for the fd itself, 'statx_dont_sync').
 * @example statx(AT.FDCWD, '/etc/hosts').btime; // Date of creation, if has('btime')
 */
export function statx(dirfd: FdLike, path: PathLike, how: Flags = 0, mask: Flags = 'basic_stats, btime', stx: Statx = new Statx()): Statx {
  const d = fdNum(dirfd, 'statx');
  const [p, text] = pathArg(path);
  const f = atFlags(how);
  const m = flags(STATX, 'STATX', 'STATX_', mask);
  check(raw.statx(d, p, f, m, structArg(stx, abi.Statx, 'stx')), 'statx', text);
  return stx;
}

/**
 * Filesystem statistics with friendly getters: a view of struct statfs, or of struct statfs64 on arches whose struct
 * statfs has 32-bit counts (the same members).
 */
export class StatFs extends sys.StatfsStruct {
  /** The filesystem's magic number (0xef53 for ext4, 0x01021994 for tmpfs). */
  get type(): number { return Number(this.f_type); }
  get bsize(): number { return Number(this.f_bsize); }
  get blocks(): bigint { return BigInt(this.f_blocks); }
  get bfree(): bigint { return BigInt(this.f_bfree); }
  get bavail(): bigint { return BigInt(this.f_bavail); }
  get files(): bigint { return BigInt(this.f_files); }
  get ffree(): bigint { return BigInt(this.f_ffree); }
  get fsid(): [number, number] { const [a, b] = this.f_fsid.val; return [a, b]; }
  get namelen(): number { return Number(this.f_namelen); }
  get frsize(): number { return Number(this.f_frsize); }
  /** ST_* mount flags (ST_RDONLY 1, ST_NOSUID 2, ...). */
  get flags(): number { return Number(this.f_flags); }
}

const statfsBuffer = (s: StatFs): Uint8Array => structArg(s, sys.StatfsStruct, 'sfs', sys.StatfsStruct.size, 'StatFs');

/** statfs: statistics of the filesystem holding `path`. @example statfs('/').bavail * BigInt(statfs('/').bsize); */
export function statfs(path: PathLike, sfs: StatFs = new StatFs()): StatFs {
  const [p, text] = pathArg(path);
  check(sys.statfs(p, statfsBuffer(sfs)), 'statfs', text);
  return sfs;
}

/** fstatfs: statistics of the filesystem holding an open file. @example fd.fstatfs().type; */
export function fstatfs(fd: FdLike, sfs: StatFs = new StatFs()): StatFs {
  check(sys.fstatfs(fdNum(fd, 'fstatfs'), statfsBuffer(sfs)), 'fstatfs');
  return sfs;
}

// ---------------------------------------------------------------------------------------------------------------------
// Permissions and owners

const ACCESS_NAMES = { ...ACCESS, F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 };
/** An access mode: 'r', 'rw', 'rwx', 'f' (exists), 'r|w', 'R_OK', or ACCESS bits. */
function accessMode(m: unknown): number {
  if (typeof m === 'string' && /^[rwxf]+$/i.test(m)) {
    let v = 0;
    for (const c of m.toUpperCase()) v |= ACCESS[c as keyof typeof ACCESS];
    return v;
  }
  return flags(ACCESS_NAMES, 'access', '', m as Flags);
}

/**
 * access: check that the real user may access `path` ('f' exists, 'r', 'w', 'x', combined 'rw'); throws when not.
 * @example access('/etc/shadow', 'r'); // throws EACCES for an ordinary user
 */
export function access(path: PathLike, how: Flags = 'f'): void {
  const [p, text] = pathArg(path);
  check(raw.faccessat(AT_FDCWD, p, accessMode(how)), 'access', text);
}

/**
 * faccessat2: access relative to a directory, AT flags ('eaccess': the effective IDs; 'symlink_nofollow', 'empty_path').
 * @example faccessat2(AT.FDCWD, 'script.sh', 'x', 'eaccess');
 */
export function faccessat2(dirfd: FdLike, path: PathLike, how: Flags = 'f', at: Flags = 0): void {
  const d = fdNum(dirfd, 'faccessat2');
  const [p, text] = pathArg(path);
  check(raw.faccessat2(d, p, accessMode(how), atFlags(at)), 'faccessat2', text);
}

/** chmod: set the permission bits of a file by path. @example chmod('/tmp/f', 0o600); chmod('/tmp/f', '755'); */
export function chmod(path: PathLike, perm: Mode): void {
  const [p, text] = pathArg(path);
  check(raw.fchmodat(AT_FDCWD, p, mode(perm)), 'chmod', text);
}

/** fchmod: set the permission bits of an open file. @example fd.fchmod(0o644); */
export function fchmod(fd: FdLike, perm: Mode): void {
  check(raw.fchmod(fdNum(fd, 'fchmod'), mode(perm)), 'fchmod');
}

/**
 * fchmodat: chmod relative to a directory; with AT flags ('symlink_nofollow', 'empty_path') it calls fchmodat2 (6.6).
 * @example fchmodat(dir, 'f', 0o640);
 */
export function fchmodat(dirfd: FdLike, path: PathLike, perm: Mode, at: Flags = 0): void {
  const d = fdNum(dirfd, 'fchmodat');
  const [p, text] = pathArg(path);
  const m = mode(perm);
  const f = atFlags(at);
  if (f === 0) check(raw.fchmodat(d, p, m), 'fchmodat', text);
  else check(raw.fchmodat2(d, p, m, f), 'fchmodat2', text);
}

/** chown: set the owner and group of a file by path (-1 leaves one unchanged). @example chown('/tmp/f', 1000, -1); */
export function chown(path: PathLike, uid: number, gid: number = -1): void {
  const [p, text] = pathArg(path);
  check(raw.fchownat(AT_FDCWD, p, id(uid, 'uid'), id(gid, 'gid'), 0), 'chown', text);
}

/** fchown: chown of an open file. @example fd.fchown(1000, 1000); */
export function fchown(fd: FdLike, uid: number, gid: number = -1): void {
  check(sys.ids.fchown(fdNum(fd, 'fchown'), id(uid, 'uid'), id(gid, 'gid')), 'fchown');
}

/** lchown: chown of a symlink itself. @example lchown('/tmp/link', 1000, 1000); */
export function lchown(path: PathLike, uid: number, gid: number = -1): void {
  const [p, text] = pathArg(path);
  check(raw.fchownat(AT_FDCWD, p, id(uid, 'uid'), id(gid, 'gid'), AT.SYMLINK_NOFOLLOW), 'lchown', text);
}

/** fchownat: chown relative to a directory, AT flags ('symlink_nofollow', 'empty_path'). @example fchownat(dir, 'f', 0, 0); */
export function fchownat(dirfd: FdLike, path: PathLike, uid: number, gid: number = -1, at: Flags = 0): void {
  const d = fdNum(dirfd, 'fchownat');
  const [p, text] = pathArg(path);
  check(raw.fchownat(d, p, id(uid, 'uid'), id(gid, 'gid'), atFlags(at)), 'fchownat', text);
}

/** umask: set the file mode creation mask; returns the previous one. @example const old = umask(0o077); umask(old); */
export function umask(mask: Mode): number {
  const m = mode(mask, 'mask');
  if (m > 0o777) throw new RangeError(`mask out of range [0, 0o777]: 0o${m.toString(8)}`);
  return raw.umask(m);
}

// ---------------------------------------------------------------------------------------------------------------------
// Links, names, directories

/** link: a new hard link `newPath` to `oldPath`. @example link('/tmp/a', '/tmp/b'); */
export function link(oldPath: PathLike, newPath: PathLike): void {
  const [a, at] = pathArg(oldPath, 'oldPath');
  const [b, bt] = pathArg(newPath, 'newPath');
  check(raw.linkat(AT_FDCWD, a, AT_FDCWD, b, 0), 'link', at, bt);
}

/** linkat: link relative to directories, AT flags ('symlink_follow', 'empty_path'). @example linkat(fd, '', dir, 'name', 'empty_path'); */
export function linkat(oldDirfd: FdLike, oldPath: PathLike, newDirfd: FdLike, newPath: PathLike, at: Flags = 0): void {
  const od = fdNum(oldDirfd, 'linkat');
  const nd = fdNum(newDirfd, 'linkat');
  const [a, at1] = pathArg(oldPath, 'oldPath');
  const [b, bt] = pathArg(newPath, 'newPath');
  check(raw.linkat(od, a, nd, b, atFlags(at)), 'linkat', at1, bt);
}

/** symlink: create `path` as a symbolic link to `target`. @example symlink('hosts', '/tmp/h'); */
export function symlink(target: PathLike, path: PathLike): void {
  const [a, at] = pathArg(target, 'target');
  const [b, bt] = pathArg(path);
  check(raw.symlinkat(a, AT_FDCWD, b), 'symlink', bt, at);
}

/** symlinkat: symlink with `path` relative to a directory. @example symlinkat('../x', dir, 'up'); */
export function symlinkat(target: PathLike, dirfd: FdLike, path: PathLike): void {
  const d = fdNum(dirfd, 'symlinkat');
  const [a, at] = pathArg(target, 'target');
  const [b, bt] = pathArg(path);
  check(raw.symlinkat(a, d, b), 'symlinkat', bt, at);
}

/** Encodings of names returned: 'buffer' for a Buffer, any BufferEncoding for a string (default 'utf8'). */
export type NameEncoding = BufferEncoding | 'buffer';

function encode(b: Buffer, enc: unknown): string | Buffer {
  if (enc === 'buffer') return b;
  if (enc === undefined) return b.toString('utf8');
  if (typeof enc !== 'string' || !Buffer.isEncoding(enc)) throw new TypeError(`encoding must be 'buffer' or a Buffer encoding, got ${describe(enc)}`);
  return b.toString(enc);
}

function readlinkLoop(call: (buf: Buffer) => number, syscall: string, text: string): Buffer {
  for (let size = 4096; ; size *= 2) {
    const buf = allocUnsafe(size);
    const r = check(call(buf), syscall, text);
    if (r < size) return buf.subarray(0, r);
  }
}

/**
 * readlink: the target of a symlink, as a string, or a Buffer with 'buffer'.
 * @example readlink('/proc/self/exe'); // '/usr/bin/node'
 */
export function readlink(path: PathLike, encoding?: BufferEncoding): string;
export function readlink(path: PathLike, encoding: 'buffer'): Buffer;
export function readlink(path: PathLike, encoding?: NameEncoding): string | Buffer {
  const [p, text] = pathArg(path);
  return encode(readlinkLoop((b) => raw.readlinkat(AT_FDCWD, p, b, b.length), 'readlink', text), encoding);
}

/** readlinkat: readlink relative to a directory ('' with an O_PATH fd of the link itself). @example readlinkat(dir, 'link'); */
export function readlinkat(dirfd: FdLike, path: PathLike, encoding?: BufferEncoding): string;
export function readlinkat(dirfd: FdLike, path: PathLike, encoding: 'buffer'): Buffer;
export function readlinkat(dirfd: FdLike, path: PathLike, encoding?: NameEncoding): string | Buffer {
  const d = fdNum(dirfd, 'readlinkat');
  const [p, text] = pathArg(path);
  return encode(readlinkLoop((b) => raw.readlinkat(d, p, b, b.length), 'readlinkat', text), encoding);
}

/** unlink: remove a name (a file, a link). @example unlink('/tmp/f'); */
export function unlink(path: PathLike): void {
  const [p, text] = pathArg(path);
  check(raw.unlinkat(AT_FDCWD, p, 0), 'unlink', text);
}

/** unlinkat: unlink relative to a directory; 'removedir' removes an empty directory. @example unlinkat(dir, 'sub', 'removedir'); */
export function unlinkat(dirfd: FdLike, path: PathLike, at: Flags = 0): void {
  const d = fdNum(dirfd, 'unlinkat');
  const [p, text] = pathArg(path);
  check(raw.unlinkat(d, p, atFlags(at)), 'unlinkat', text);
}

/** rename: move `oldPath` to `newPath`, replacing it. @example rename('/tmp/a', '/tmp/b'); */
export function rename(oldPath: PathLike, newPath: PathLike): void {
  const [a, at] = pathArg(oldPath, 'oldPath');
  const [b, bt] = pathArg(newPath, 'newPath');
  check(sys.rename(AT_FDCWD, a, AT_FDCWD, b), 'rename', at, bt);
}

/**
 * renameat2: rename relative to directories, RENAME flags: 'noreplace' (EEXIST if the target exists), 'exchange'
 * (swap the two atomically), 'whiteout'.
 * @example renameat2(AT.FDCWD, 'a', AT.FDCWD, 'b', 'exchange');
 */
export function renameat2(oldDirfd: FdLike, oldPath: PathLike, newDirfd: FdLike, newPath: PathLike, how: Flags = 0): void {
  const od = fdNum(oldDirfd, 'renameat2');
  const nd = fdNum(newDirfd, 'renameat2');
  const [a, at] = pathArg(oldPath, 'oldPath');
  const [b, bt] = pathArg(newPath, 'newPath');
  check(raw.renameat2(od, a, nd, b, flags(RENAME, 'RENAME', 'RENAME_', how)), 'renameat2', at, bt);
}

/** mkdir: create a directory (mode less umask). @example mkdir('/tmp/d', 0o755); */
export function mkdir(path: PathLike, perm: Mode = 0o777): void {
  const [p, text] = pathArg(path);
  check(raw.mkdirat(AT_FDCWD, p, mode(perm)), 'mkdir', text);
}

/** mkdirat: mkdir relative to a directory. @example mkdirat(dir, 'sub'); */
export function mkdirat(dirfd: FdLike, path: PathLike, perm: Mode = 0o777): void {
  const d = fdNum(dirfd, 'mkdirat');
  const [p, text] = pathArg(path);
  check(raw.mkdirat(d, p, mode(perm)), 'mkdirat', text);
}

/** rmdir: remove an empty directory. @example rmdir('/tmp/d'); */
export function rmdir(path: PathLike): void {
  const [p, text] = pathArg(path);
  check(raw.unlinkat(AT_FDCWD, p, AT.REMOVEDIR), 'rmdir', text);
}

/** A device number in the kernel's encoding (new_encode_dev) from major and minor. @example makedev(1, 3); // 259 */
export function makedev(major: number, minor: number): number {
  const ma = int(major, 'major', 0, 0xfff);
  const mi = int(minor, 'minor', 0, 0xfffff);
  return ((mi & 0xff) | (ma << 8) | ((mi & ~0xff) << 12)) >>> 0;
}

/** The major and minor of a device number (st_rdev, as bigint or number). @example devParts(259n); // { major: 1, minor: 3 } */
export function devParts(dev: number | bigint): { major: number; minor: number } {
  const d = BigInt(int64(dev, 'dev', true));
  return {
    major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)),
    minor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)),
  };
}

/**
 * mknod: create a special file; `fileMode` has the type and permission bits (S.IFIFO | 0o644), `dev` a device number
 * (makedev(major, minor)) for S.IFCHR and S.IFBLK.
 * @example mknod('/tmp/fifo', S.IFIFO | 0o600); mknod('/tmp/null', S.IFCHR | 0o666, makedev(1, 3));
 */
export function mknod(path: PathLike, fileMode: number, dev: number = 0): void {
  const [p, text] = pathArg(path);
  check(raw.mknodat(AT_FDCWD, p, int(fileMode, 'mode', 0, 0o177777), int(dev, 'dev', 0, 2 ** 32 - 1)), 'mknod', text);
}

/** mknodat: mknod relative to a directory. @example mknodat(dir, 'fifo', S.IFIFO | 0o600); */
export function mknodat(dirfd: FdLike, path: PathLike, fileMode: number, dev: number = 0): void {
  const d = fdNum(dirfd, 'mknodat');
  const [p, text] = pathArg(path);
  check(raw.mknodat(d, p, int(fileMode, 'mode', 0, 0o177777), int(dev, 'dev', 0, 2 ** 32 - 1)), 'mknodat', text);
}

/** A directory entry from getdents (struct linux_dirent64). */
export class Dirent {
  constructor(
    /** d_ino */
    readonly ino: bigint,
    /** d_off: the position of the next entry (for lseek) */
    readonly off: bigint,
    /** d_type: a DT value (DT.REG, DT.DIR, ...; DT.UNKNOWN when the filesystem does not say) */
    readonly type: number,
    /** The name's bytes. */
    readonly nameBuffer: Buffer,
  ) {}
  /** The name, decoded as UTF-8. */
  get name(): string { return this.nameBuffer.toString(); }
  /** The S_IFMT bits the d_type stands for (0 for DT_UNKNOWN). */
  get fileType(): number { return dtToMode(this.type); }
}
export interface Dirent extends FileTypeTests {}
withFileTypeTests(Dirent);

/**
 * The entries of directory `fd`. The generator holds `fd` itself, not its number, and asks for the number at every
 * read: an Fd stays reachable (uncollected) while its entries are iterated, and one closed meanwhile is an EBADF, never
 * another directory that reused its number.
 */
function* dirents(fd: FdLike, size: number): Generator<Dirent, void, undefined> {
  const buf = allocUnsafe(size);
  for (;;) {
    const got = check(raw.getdents64(fdNum(fd, 'getdents64'), buf, size), 'getdents64');
    if (got === 0) return;
    for (let at = 0; at < got; ) {
      const d = new abi.LinuxDirent64(buf, at);
      const reclen = d.d_reclen;
      const name = buf.subarray(at + 19, at + reclen);
      const nul = name.indexOf(0);
      yield new Dirent(d.d_ino, d.d_off, d.d_type, bufferFrom(nul >= 0 ? name.subarray(0, nul) : name));
      at += reclen;
    }
  }
}

/**
 * getdents (getdents64): iterate the entries of an open directory, reading `bufSize` bytes of records per call,
 * from the directory's current position on.
 * @example for (const e of getdents(open('/tmp', 'rdonly, directory'))) console.log(e.name, e.type, e.ino);
 */
export function getdents(fd: FdLike, bufSize: number = 32768): Generator<Dirent, void, undefined> {
  fdNum(fd, 'getdents64'); // a bad fd is a TypeError now, not at the first step
  return dirents(fd, int(bufSize, 'bufSize', 24, 2 ** 31 - 1));
}

/** getcwd: the working directory. @example getcwd(); // '/home/me' */
export function getcwd(): string {
  for (let size = 4096; ; size *= 2) {
    const buf = allocUnsafe(size);
    const r = raw.getcwd(buf, size);
    if (r === -E.RANGE) continue;
    return buf.toString('utf8', 0, check(r, 'getcwd') - 1);
  }
}

/** chdir: change the working directory. @example chdir('/tmp'); */
export function chdir(path: PathLike): void {
  const [p, text] = pathArg(path);
  check(raw.chdir(p), 'chdir', text);
}

/** fchdir: change the working directory to an open directory. @example fchdir(open('/tmp', 'rdonly, directory')); */
export function fchdir(fd: FdLike): void {
  check(raw.fchdir(fdNum(fd, 'fchdir')), 'fchdir');
}

/** chroot: change the root directory of the process (needs CAP_SYS_CHROOT). @example chroot('/srv/jail'); chdir('/'); */
export function chroot(path: PathLike): void {
  const [p, text] = pathArg(path);
  check(raw.chroot(p), 'chroot', text);
}

// ---------------------------------------------------------------------------------------------------------------------
// Times

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
 * utimensat: set the access and modification times of a file relative to a directory, AT flags ('symlink_nofollow').
 * @example utimensat(AT.FDCWD, 'f', new Date('2020-01-01'), 'omit'); // atime set, mtime unchanged
 */
export function utimensat(dirfd: FdLike, path: PathLike, atime: Time = 'now', mtime: Time = 'now', at: Flags = 0): void {
  const d = fdNum(dirfd, 'utimensat');
  const [p, text] = pathArg(path);
  check(sys.utimensat(d, p, timespecs(atime, mtime), atFlags(at)), 'utimensat', text);
}

/** futimens: set the times of an open file. @example fd.futimens(1700000000, 1700000000n * 10n ** 9n); */
export function futimens(fd: FdLike, atime: Time = 'now', mtime: Time = 'now'): void {
  check(sys.utimensat(fdNum(fd, 'futimens'), null, timespecs(atime, mtime), 0), 'futimens');
}

// ---------------------------------------------------------------------------------------------------------------------
// Locks and fcntl

/**
 * flock: a whole-file advisory lock on the open file description: 'sh', 'ex', 'un', with 'nb' not to block
 * ('ex, nb' throws EWOULDBLOCK when another description holds it). Blocks the thread without 'nb'.
 * @example fd.flock('ex, nb');
 */
export function flock(fd: FdLike, op: Flags): void {
  check(raw.flock(fdNum(fd, 'flock'), flags(LOCK, 'LOCK', 'LOCK_', op)), 'flock');
}

/** A record lock type. */
export type LockType = 'rdlck' | 'wrlck' | 'unlck';
const LOCK_TYPE = { RDLCK: F.RDLCK, WRLCK: F.WRLCK, UNLCK: F.UNLCK };
const LOCK_NAMES: Record<number, LockType> = { [F.RDLCK]: 'rdlck', [F.WRLCK]: 'wrlck', [F.UNLCK]: 'unlck' };

/** A record lock, friendly: type, whence, start, len (0: to the end), pid (0 for OFD locks when setting). */
export interface LockSpec {
  type: LockType | number;
  whence?: Whence;
  start?: number | bigint;
  len?: number | bigint;
  pid?: number;
}

/**
 * struct flock with friendly getters: what F_GETLK found (type 'unlck' when nothing conflicts). On 32-bit arches it is
 * a struct flock64 (64-bit offsets), and the lock commands go to fcntl64 as F_GETLK64, F_SETLK64, F_SETLKW64.
 */
export class Lock extends sys.LockStruct {
  get type(): LockType { return LOCK_NAMES[this.l_type] ?? (this.l_type as never); }
  get whence(): number { return this.l_whence; }
  get start(): bigint { return BigInt(this.l_start); }
  get len(): bigint { return BigInt(this.l_len); }
  /** The holder's pid (F_GETLK), -1 for an OFD lock. */
  get pid(): number { return this.l_pid; }

  /** A Lock from a friendly description. */
  static from(spec: LockSpec | Lock): Lock {
    if (spec instanceof Lock) return spec;
    if (typeof spec !== 'object' || spec === null) throw new TypeError(`lock must be an object, got ${describe(spec)}`);
    const l = new Lock();
    l.l_type = constant(LOCK_TYPE, 'lock type', 'F_', spec.type);
    l.l_whence = whence(spec.whence ?? 'set');
    l.l_start = BigInt(off(spec.start ?? 0, 'lock start', false));
    l.l_len = BigInt(off(spec.len ?? 0, 'lock len', false));
    l.l_pid = int(spec.pid ?? 0, 'lock pid', -(2 ** 31), 2 ** 31 - 1);
    return l;
  }
}

type Cmd<S extends string> = S | `F_${Uppercase<S>}`;
// the fcntl commands by name (F has lock types and a base among them)
const CMD: Record<string, number> = Object.fromEntries(
  Object.entries(F).filter(([k]) => !/^(RDLCK|WRLCK|UNLCK|EXLCK|SHLCK|LINUX_SPECIFIC_BASE)$/.test(k)),
);
// the record-lock commands: the command a caller names -> the one the kernel gets with a Lock (a struct flock64 and
// F_GETLK64 for F_GETLK on 32-bit arches; undefined if the arch's spec lacks it), and whether it fills the Lock in
const LOCK_CMDS = new Map<number, { kernel: number | undefined; get: boolean }>();
{
  const Fx = F as unknown as Readonly<Record<string, number | undefined>>;
  const lockCmd = (name: string, kernel: number | undefined, get: boolean) => {
    if (Fx[name] !== undefined) LOCK_CMDS.set(Fx[name]!, { kernel, get });
  };
  lockCmd('GETLK', sys.LOCK_CMDS.GETLK, true);
  lockCmd('SETLK', sys.LOCK_CMDS.SETLK, false);
  lockCmd('SETLKW', sys.LOCK_CMDS.SETLKW, false);
  // F_OFD_* take a struct flock64 everywhere (the same layout as struct flock on 64-bit arches)
  for (const [name, get] of [['OFD_GETLK', true], ['OFD_SETLK', false], ['OFD_SETLKW', false], ['GETLK64', true], ['SETLK64', false], ['SETLKW64', false]] as const) {
    lockCmd(name, Fx[name], get);
  }
}
// commands whose argument is a pointer, with the size the kernel reads or writes through it (locks above)
const POINTER_CMDS = new Map<number, number>([
  [F.GETOWN_EX, abi.FOwnerEx.size], [F.SETOWN_EX, abi.FOwnerEx.size], [F.GETOWNER_UIDS, 8],
  [F.GET_RW_HINT, 8], [F.SET_RW_HINT, 8], [F.GET_FILE_RW_HINT, 8], [F.SET_FILE_RW_HINT, 8],
]);
const INT_CMDS = new Set(Object.values(CMD).filter((c) => !POINTER_CMDS.has(c) && !LOCK_CMDS.has(c)));

/**
 * fcntl, typed per command (names as 'getfl' or 'F_GETFL'):
 * - 'getfd' / 'setfd' (FD flags: 'cloexec'), 'getfl' / 'setfl' (O flags): strings are relative to the current flags
 *   ('nonblock' adds, '~nonblock' removes), numbers replace them;
 * - 'dupfd' / 'dupfd_cloexec' (lowest number >= min): a new Fd;
 * - 'getlk' / 'setlk' / 'setlkw' and the OFD ('ofd_getlk'...) variants, with a LockSpec: getlk returns a Lock
 *   (setlkw blocks the thread until it gets the lock);
 * - 'add_seals' (F_SEAL flags: 'write, grow, shrink, seal'), 'get_seals';
 * - 'getpipe_sz', 'setpipe_sz' (returns the size set).
 * Other commands take a number, or a Buffer for the pointer ones (checked against the size the kernel uses).
 * ('getown' cannot return a process group, which would read as an error: use 'getown_ex' with a Buffer.)
 * @example fcntl(fd, 'setfl', '~nonblock'); fcntl(fd, 'setlk', { type: 'wrlck', start: 0, len: 100 });
 */
export function fcntl(fd: FdLike, cmd: Cmd<'getfd' | 'getfl' | 'get_seals' | 'getpipe_sz'>): number;
export function fcntl(fd: FdLike, cmd: Cmd<'setfd' | 'setfl' | 'add_seals'>, value: Flags): void;
export function fcntl(fd: FdLike, cmd: Cmd<'dupfd' | 'dupfd_cloexec'>, min?: number): Fd;
export function fcntl(fd: FdLike, cmd: Cmd<'getlk' | 'ofd_getlk'>, lock: LockSpec | Lock): Lock;
export function fcntl(fd: FdLike, cmd: Cmd<'setlk' | 'setlkw' | 'ofd_setlk' | 'ofd_setlkw'>, lock: LockSpec | Lock): void;
export function fcntl(fd: FdLike, cmd: Cmd<'setpipe_sz'>, size: number): number;
export function fcntl(fd: FdLike, cmd: string | number, arg?: number | Bytes): number;
export function fcntl(fd: FdLike, cmd: string | number, arg?: unknown): unknown {
  const n = fdNum(fd, 'fcntl');
  const c = constant(CMD, 'fcntl command', 'F_', cmd);
  switch (c) {
    case F.SETFD:
    case F.SETFL: {
      if (arg === undefined) throw new TypeError(`fcntl ${cmd}: the flags to set are missing`);
      const get = c === F.SETFD ? F.GETFD : F.GETFL;
      const cur = typeof arg === 'string' || Array.isArray(arg) ? check(sys.fcntl(n, get, 0), 'fcntl') : 0;
      const v = c === F.SETFD ? flags(FD, 'FD', 'FD_', arg as Flags, cur) : flags(O, 'O', 'O_', arg as Flags, cur);
      check(sys.fcntl(n, c, v), 'fcntl');
      return;
    }
    case F.ADD_SEALS:
      check(sys.fcntl(n, c, flags(F_SEAL, 'F_SEAL', 'F_SEAL_', arg as Flags)), 'fcntl');
      return;
    case F.DUPFD:
    case F.DUPFD_CLOEXEC:
      {
        const min = int(arg ?? 0, 'min', 0, 2 ** 31 - 1);
        return new Fd(check(retryFd(() => sys.fcntl(n, c, min)), 'fcntl'));
      }
  }
  const lock = LOCK_CMDS.get(c);
  if (lock) {
    if (lock.kernel === undefined) throw new Error(`fcntl ${cmd}: the spec of ${sys.HOST.arch} lacks F_${sys.HOST.lockCmds.GETLK} and friends`);
    const l = Lock.from(arg as LockSpec);
    check(sys.fcntlPtr(n, lock.kernel, structArg(l, sys.LockStruct, 'lock')), 'fcntl');
    return lock.get ? l : undefined;
  }
  const size = POINTER_CMDS.get(c);
  if (size !== undefined) {
    if (!isBytes(arg)) throw new TypeError(`fcntl ${cmd}: arg must be a Buffer of ${size} bytes, got ${describe(arg)}`);
    return check(sys.fcntlPtr(n, c, region(arg, 'arg', 0, size)), 'fcntl');
  }
  if (!INT_CMDS.has(c)) throw new TypeError(`fcntl: unknown command ${describe(cmd)}`);
  return check(sys.fcntl(n, c, int(arg ?? 0, 'arg', -(2 ** 31), 2 ** 32 - 1)), 'fcntl');
}

// ---------------------------------------------------------------------------------------------------------------------
// dup, pipes, in-kernel copies, memfd

/** dup: a new descriptor for the same open file description (shared offset and status flags). @example const g = fd.dup(); */
export function dup(fd: FdLike): Fd {
  const n = fdNum(fd, 'dup');
  return new Fd(check(retryFd(() => raw.dup(n)), 'dup'));
}

/**
 * dup3: make `newfd` (a number or an Fd) a copy of `oldfd`, closing what `newfd` was ('cloexec' sets FD_CLOEXEC);
 * returns an Fd owning `newfd` (the Fd that owned it before forgets it). Keep a standard descriptor with .nogc().
 * The returned Fd closes `newfd` when collected: call .nogc() (or .release()) to keep e.g. a redirected stderr.
 * @example dup3(logFd, 2).nogc(); // stderr now goes to the log
 */
export function dup3(oldfd: FdLike, newfd: FdLike, how: Flags = 0): Fd {
  const o = fdNum(oldfd, 'dup3');
  const n = fdNum(newfd, 'dup3');
  const f = flags(O, 'O', 'O_', how);
  if (n < 0) throw new RangeError(`dup3: newfd must not be negative: ${n}`);
  const r = check(raw.dup3(o, n, f), 'dup3');
  // the kernel closed whatever newfd was: its owner forgets it, in the same turn (no finalizer can run in between);
  // not before the call, since a failed dup3 (EBADF, EINVAL) leaves newfd open and owned
  Fd.forget(n);
  return new Fd(r);
}

/** pipe2: a pipe as [readEnd, writeEnd], O flags ('cloexec', 'nonblock', 'direct'). @example const [r, w] = pipe2('cloexec'); */
export function pipe2(how: Flags = 0): [Fd, Fd] {
  const fds = new Int32Array(2);
  const f = oFlags(how);
  check(retryFd(() => raw.pipe2(fds, f)), 'pipe2');
  return [new Fd(fds[0]), new Fd(fds[1])];
}

/**
 * copy_file_range: copy `len` bytes between files in the kernel; an offset (number or bigint) reads/writes there
 * without moving the file offset, null uses and moves the file offset. Returns the count copied.
 * @example copy_file_range(src, 0, dst, null, 1 << 20);
 */
export function copy_file_range(fdIn: FdLike, offIn: number | bigint | null, fdOut: FdLike, offOut: number | bigint | null, len: number | bigint, how: number = 0): number {
  const i = fdNum(fdIn, 'copy_file_range');
  const o = fdNum(fdOut, 'copy_file_range');
  const r = raw.copy_file_range(i, offPtr(offIn, 'offIn'), o, offPtr(offOut, 'offOut'), sys.sizeArg(off(len, 'len')), int(how, 'flags', 0, 2 ** 32 - 1));
  return check(r, 'copy_file_range');
}

/**
 * sendfile: copy `count` bytes from `inFd` (at `offset`, or at its file offset when null) to `outFd`.
 * @example sendfile(socket, file, 0, size);
 */
export function sendfile(outFd: FdLike, inFd: FdLike, offset: number | bigint | null, count: number | bigint): number {
  const o = fdNum(outFd, 'sendfile');
  const i = fdNum(inFd, 'sendfile');
  return check(sys.sendfile(o, i, offPtr(offset, 'offset'), sys.sizeArg(off(count, 'count'))), 'sendfile');
}

const spliceFlags = (f: Flags) => flags(SPLICE, 'SPLICE', 'SPLICE_F_', f);

/**
 * splice: move up to `len` bytes between a pipe and another fd without copying through user space; SPLICE flags
 * ('move', 'nonblock', 'more'). Offsets as in copy_file_range (null for pipes). Blocks the thread on an empty pipe.
 * @example splice(file, 0, w, null, 4096);
 */
export function splice(fdIn: FdLike, offIn: number | bigint | null, fdOut: FdLike, offOut: number | bigint | null, len: number | bigint, how: Flags = 0): number {
  const i = fdNum(fdIn, 'splice');
  const o = fdNum(fdOut, 'splice');
  return check(raw.splice(i, offPtr(offIn, 'offIn'), o, offPtr(offOut, 'offOut'), sys.sizeArg(off(len, 'len')), spliceFlags(how)), 'splice');
}

/** tee: duplicate up to `len` bytes from one pipe into another without consuming them. @example tee(r1, w2, 65536); */
export function tee(fdIn: FdLike, fdOut: FdLike, len: number | bigint, how: Flags = 0): number {
  const i = fdNum(fdIn, 'tee');
  const o = fdNum(fdOut, 'tee');
  return check(raw.tee(i, o, sys.sizeArg(off(len, 'len')), spliceFlags(how)), 'tee');
}

/**
 * vmsplice: map Buffers (or strings) into a pipe's write end, or read a pipe's read end into Buffers. Into a pipe, the
 * pipe references the Buffers' pages: do not change them until the data has been read.
 * @example vmsplice(w, [bufferFrom('hello')]); // 5
 */
export function vmsplice(fd: FdLike, bufs: readonly (Bytes | string)[], how: Flags = 0): number {
  const n = fdNum(fd, 'vmsplice');
  const f = spliceFlags(how);
  const v = iovecs(bufs, 'bufs', true);
  return withIov(v, () => raw.vmsplice(n, v.iov, v.count, f), 'vmsplice');
}

/**
 * memfd_create: an anonymous file in memory, MFD flags ('cloexec', 'allow_sealing', 'noexec_seal', 'hugetlb').
 * @example const m = memfd_create('scratch', 'cloexec, allow_sealing');
 */
export function memfd_create(name: string, how: Flags = 0): Fd {
  const [p, text] = pathArg(name, 'name');
  const f = flags(MFD, 'MFD', 'MFD_', how);
  return new Fd(check(retryFd(() => raw.memfd_create(p, f)), 'memfd_create', text));
}

// ---------------------------------------------------------------------------------------------------------------------
// Extended attributes

const xattrFlags = (f: Flags) => flags(XATTR, 'XATTR', 'XATTR_', f);
const xattrValue = (v: unknown) => (typeof v === 'string' ? bufferFrom(v) : region(v, 'value'));
const xattrName = (n: unknown) => pathArg(n, 'name')[0];

/** Read a value or list of unknown size: ask the size, then read (again if it grew meanwhile). */
function sized(call: (buf: Buffer | null, size: number) => number, syscall: string, text?: string): Buffer {
  for (;;) {
    const size = check(call(null, 0), syscall, text);
    if (size === 0) return alloc(0);
    const buf = allocUnsafe(size);
    const r = call(buf, size);
    if (r !== -E.RANGE) return buf.subarray(0, check(r, syscall, text));
  }
}

const names = (b: Buffer) => b.toString('utf8').split('\0').filter((s) => s !== '');

/** setxattr: set an extended attribute, XATTR flags ('create': EEXIST if set; 'replace': ENODATA if not). @example setxattr(p, 'user.tag', 'blue'); */
export function setxattr(path: PathLike, name: string, value: Bytes | string, how: Flags = 0): void {
  const [p, text] = pathArg(path);
  const k = xattrName(name);
  const f = xattrFlags(how);
  const v = xattrValue(value);
  check(raw.setxattr(p, k, v, lengthOf(v), f), 'setxattr', text);
}

/** lsetxattr: setxattr on a symlink itself. @example lsetxattr(link, 'trusted.x', 'y'); */
export function lsetxattr(path: PathLike, name: string, value: Bytes | string, how: Flags = 0): void {
  const [p, text] = pathArg(path);
  const k = xattrName(name);
  const f = xattrFlags(how);
  const v = xattrValue(value);
  check(raw.lsetxattr(p, k, v, lengthOf(v), f), 'lsetxattr', text);
}

/** fsetxattr: setxattr on an open file. @example fd.fsetxattr('user.tag', bufferFrom([1, 2])); */
export function fsetxattr(fd: FdLike, name: string, value: Bytes | string, how: Flags = 0): void {
  const n = fdNum(fd, 'fsetxattr');
  const k = xattrName(name);
  const f = xattrFlags(how);
  const v = xattrValue(value);
  check(raw.fsetxattr(n, k, v, lengthOf(v), f), 'fsetxattr');
}

/** getxattr: an extended attribute's value, a Buffer, or a string with an encoding. @example getxattr(p, 'user.tag', 'utf8'); // 'blue' */
export function getxattr(path: PathLike, name: string): Buffer;
export function getxattr(path: PathLike, name: string, encoding: BufferEncoding): string;
export function getxattr(path: PathLike, name: string, encoding: NameEncoding = 'buffer'): Buffer | string {
  const [p, text] = pathArg(path);
  const nm = xattrName(name);
  return encode(sized((b, s) => raw.getxattr(p, nm, b, s), 'getxattr', text), encoding);
}

/** lgetxattr: getxattr of a symlink itself. @example lgetxattr(link, 'trusted.x'); */
export function lgetxattr(path: PathLike, name: string): Buffer;
export function lgetxattr(path: PathLike, name: string, encoding: BufferEncoding): string;
export function lgetxattr(path: PathLike, name: string, encoding: NameEncoding = 'buffer'): Buffer | string {
  const [p, text] = pathArg(path);
  const nm = xattrName(name);
  return encode(sized((b, s) => raw.lgetxattr(p, nm, b, s), 'lgetxattr', text), encoding);
}

/** fgetxattr: getxattr of an open file. @example fd.fgetxattr('user.tag', 'utf8'); */
export function fgetxattr(fd: FdLike, name: string): Buffer;
export function fgetxattr(fd: FdLike, name: string, encoding: BufferEncoding): string;
export function fgetxattr(fd: FdLike, name: string, encoding: NameEncoding = 'buffer'): Buffer | string {
  const n = fdNum(fd, 'fgetxattr');
  const nm = xattrName(name);
  return encode(sized((b, s) => raw.fgetxattr(n, nm, b, s), 'fgetxattr'), encoding);
}

/** listxattr: the names of a file's extended attributes. @example listxattr(p); // ['user.tag'] */
export function listxattr(path: PathLike): string[] {
  const [p, text] = pathArg(path);
  return names(sized((b, s) => raw.listxattr(p, b, s), 'listxattr', text));
}

/** llistxattr: listxattr of a symlink itself. @example llistxattr(link); */
export function llistxattr(path: PathLike): string[] {
  const [p, text] = pathArg(path);
  return names(sized((b, s) => raw.llistxattr(p, b, s), 'llistxattr', text));
}

/** flistxattr: listxattr of an open file. @example fd.flistxattr(); */
export function flistxattr(fd: FdLike): string[] {
  const n = fdNum(fd, 'flistxattr');
  return names(sized((b, s) => raw.flistxattr(n, b, s), 'flistxattr'));
}

/** removexattr: remove an extended attribute. @example removexattr(p, 'user.tag'); */
export function removexattr(path: PathLike, name: string): void {
  const [p, text] = pathArg(path);
  check(raw.removexattr(p, xattrName(name)), 'removexattr', text);
}

/** lremovexattr: removexattr on a symlink itself. @example lremovexattr(link, 'trusted.x'); */
export function lremovexattr(path: PathLike, name: string): void {
  const [p, text] = pathArg(path);
  check(raw.lremovexattr(p, xattrName(name)), 'lremovexattr', text);
}

/** fremovexattr: removexattr on an open file. @example fd.fremovexattr('user.tag'); */
export function fremovexattr(fd: FdLike, name: string): void {
  check(raw.fremovexattr(fdNum(fd, 'fremovexattr'), xattrName(name)), 'fremovexattr');
}

// ---------------------------------------------------------------------------------------------------------------------
// File handles

/** What name_to_handle_at returns: the handle (a struct file_handle view of its exact size) and the mount's ID. */
export interface HandleAt {
  handle: InstanceType<typeof abi.FileHandle>;
  /** The mount ID (as in /proc/self/mountinfo), a bigint with 'handle_mnt_id_unique'. */
  mountId: number | bigint;
}

/**
 * name_to_handle_at: a persistent handle for a file, AT flags ('symlink_follow', 'empty_path', 'handle_fid',
 * 'handle_mnt_id_unique').
 * @example const { handle, mountId } = name_to_handle_at(AT.FDCWD, '/etc/hosts', 'symlink_follow');
 */
export function name_to_handle_at(dirfd: FdLike, path: PathLike, at: Flags = 0): HandleAt {
  const d = fdNum(dirfd, 'name_to_handle_at');
  const [p, text] = pathArg(path);
  const f = atFlags(at);
  const h = new abi.FileHandle(alloc(abi.FileHandle.size + MAX_HANDLE_SZ));
  h.handle_bytes = MAX_HANDLE_SZ;
  const mnt = alloc(8);
  check(raw.name_to_handle_at(d, p, h.$buffer, mnt, f), 'name_to_handle_at', text);
  const exact = bufferFrom(h.$buffer.subarray(0, abi.FileHandle.size + h.handle_bytes));
  return {
    handle: new abi.FileHandle(exact),
    mountId: f & AT.HANDLE_MNT_ID_UNIQUE ? words.readU64(mnt) : words.readI32(mnt),
  };
}

/**
 * open_by_handle_at: open the file a handle names, on the mount of `mountFd` (needs CAP_DAC_READ_SEARCH).
 * @example const f = open_by_handle_at(open('/', 'rdonly, directory'), handle, 'rdonly');
 */
export function open_by_handle_at(mountFd: FdLike, handle: InstanceType<typeof abi.FileHandle> | Buffer, how: Flags = 'rdonly'): Fd {
  const m = fdNum(mountFd, 'open_by_handle_at');
  const f = oFlags(how);
  const h = isBytes(handle) ? new abi.FileHandle(handle as Buffer) : handle;
  // the kernel reads handle_bytes from the memory it is given: it gets a copy in the library's memory, whose
  // handle_bytes is the one checked (another thread changing the caller's memory meanwhile changes nothing)
  const size = abi.FileHandle.size;
  const head = new abi.FileHandle(alloc(size));
  copyInto(head.$buffer, structArg(h, abi.FileHandle, 'handle'));
  const bytes = head.handle_bytes;
  if (bytes > MAX_HANDLE_SZ) throw new RangeError(`handle: handle_bytes ${bytes} exceeds MAX_HANDLE_SZ (${MAX_HANDLE_SZ})`);
  const copy = alloc(size + bytes);
  copyInto(copy, structArg(h, abi.FileHandle, 'handle', size + bytes));
  const b = new abi.FileHandle(copy);
  b.handle_bytes = bytes;
  return new Fd(check(retryFd(() => raw.open_by_handle_at(m, copy, f)), 'open_by_handle_at'));
}

// ---------------------------------------------------------------------------------------------------------------------
// Fd methods

const fdFns = {
  pwrite, readv, writev, preadv2, pwritev2, lseek, fsync, fdatasync, sync_file_range, ftruncate, fallocate, fadvise,
  fstatfs, fchmod, fchown, fchdir, getdents, futimens, flock, dup, dup3, fsetxattr, flistxattr, fremovexattr,
  copy_file_range, sendfile, splice, tee, vmsplice,
  // the directory-relative calls, as methods of the directory
  openat, openat2, fstatat, statx, faccessat2, fchmodat, fchownat, linkat, unlinkat, renameat2, mkdirat, mknodat,
  utimensat, name_to_handle_at, open_by_handle_at,
};
const overloaded = { pread, fcntl, readlinkat, fgetxattr };
addFdMethods({ ...fdFns, ...overloaded } as unknown as Parameters<typeof addFdMethods>[0]);

type LockCmd = Cmd<'setlk' | 'setlkw' | 'ofd_setlk' | 'ofd_setlkw'>;
declare module './core/fd.ts' {
  // overloaded functions are declared by hand: FdMethods keeps only the last overload
  interface Fd extends FdMethods<typeof fdFns> {
    pread(buf: Bytes, position: number | bigint): number;
    pread(length: number, position: number | bigint): Buffer;
    fcntl(cmd: Cmd<'getfd' | 'getfl' | 'get_seals' | 'getpipe_sz'>): number;
    fcntl(cmd: Cmd<'setfd' | 'setfl' | 'add_seals'>, value: Flags): void;
    fcntl(cmd: Cmd<'dupfd' | 'dupfd_cloexec'>, min?: number): Fd;
    fcntl(cmd: Cmd<'getlk' | 'ofd_getlk'>, lock: LockSpec | Lock): Lock;
    fcntl(cmd: LockCmd, lock: LockSpec | Lock): void;
    fcntl(cmd: Cmd<'setpipe_sz'>, size: number): number;
    fcntl(cmd: string | number, arg?: number | Bytes): number;
    readlinkat(path: PathLike, encoding?: BufferEncoding): string;
    readlinkat(path: PathLike, encoding: 'buffer'): Buffer;
    fgetxattr(name: string): Buffer;
    fgetxattr(name: string, encoding: BufferEncoding): string;
  }
}
