// File status: Stat (fstat, stat, lstat, fstatat), Statx (statx), Statfs (statfs, fstatfs).
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { fdNum, type FdLike } from '../core/fd.ts';
import { flags, type Flags } from '../core/flags.ts';
import { structArg } from '../core/view.ts';
import { withFileTypeTests, type FileTypeTests } from '../core/filetype.ts';
import * as sys from '../core/arch.ts';
import { AT_FDCWD, atFlags, pathArg } from './common.ts';
import type { PathLike } from './open.ts';

const { AT, STATX, S } = abi;

/**
 * File status, with friendly getters over the kernel's struct stat (and isFile(), isDirectory(), ...).
 *
 * Where the arch's struct stat is not 64-bit clean (32-bit arches, mips64) the stat calls use statx and a Stat is a
 * view of a struct statx: the friendly getters are the same, the raw st_* members are stx_* members there.
 *
 * Extends the generated struct the arch's stat calls fill (StatStruct in core/arch.ts): `abi.Stat` (struct stat), or
 * `abi.Statx` (struct statx). A class over a struct chosen per arch is named for its calls: stat, fstat, lstat,
 * fstatat.
 *
 * @example
 * ```ts
 * const st = stat('/etc/hosts');
 * st.size; // a bigint
 * st.mtime; // a Date
 * st.isFile(); // true
 * ```
 * @see https://man7.org/linux/man-pages/man2/stat.2.html
 */
export class Stat extends sys.StatStruct {
  get dev(): bigint { return BigInt(this.st_dev); }
  get ino(): bigint { return BigInt(this.st_ino); }
  get mode(): number { return this.st_mode; }
  /** The permission bits (mode & 0o7777). */
  get perm(): number { return this.mode & 0o7777; }
  get nlink(): number { return Number(this.st_nlink); }
  get uid(): number { return this.st_uid; }
  get gid(): number { return this.st_gid; }
  get rdev(): bigint { return BigInt(this.st_rdev); }
  get size(): bigint { return BigInt(this.st_size); }
  get blksize(): number { return Number(this.st_blksize); }
  get blocks(): bigint { return BigInt(this.st_blocks); }
  /** Times as bigint nanoseconds since the epoch, and as Dates. */
  // the kernel's fields are unsigned longs on x86_64: times before 1970 come back as huge values, read them signed;
  // alpha's, m68k's and sparc64's struct stat hold whole seconds only (no _nsec members: the portable type says so)
  get atimeNs(): bigint { return BigInt.asIntN(64, BigInt(this.st_atime)) * 1000000000n + BigInt(this.st_atime_nsec ?? 0); }
  get mtimeNs(): bigint { return BigInt.asIntN(64, BigInt(this.st_mtime)) * 1000000000n + BigInt(this.st_mtime_nsec ?? 0); }
  get ctimeNs(): bigint { return BigInt.asIntN(64, BigInt(this.st_ctime)) * 1000000000n + BigInt(this.st_ctime_nsec ?? 0); }
  get atime(): Date { return new Date(Number(this.atimeNs / 1000000n)); }
  get mtime(): Date { return new Date(Number(this.mtimeNs / 1000000n)); }
  get ctime(): Date { return new Date(Number(this.ctimeNs / 1000000n)); }
  get type(): number { return this.mode & S.IFMT; }
  get fileType(): number { return this.mode & S.IFMT; }
}
export interface Stat extends FileTypeTests {}
withFileTypeTests(Stat);

/** A device number from major and minor, as glibc's makedev (the kernel's encoding where that fits 32 bits). */
function makedev64(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

if (sys.STAT_VIA_STATX) {
  type X = InstanceType<typeof abi.Statx>;
  const ns = (t: InstanceType<typeof abi.StatxTimestamp>) => t.tv_sec * 1000000000n + BigInt(t.tv_nsec);
  const getters: Record<string, (this: X) => unknown> = {
    dev() { return makedev64(this.stx_dev_major, this.stx_dev_minor); },
    ino() { return this.stx_ino; },
    mode() { return this.stx_mode; },
    nlink() { return this.stx_nlink; },
    uid() { return this.stx_uid; },
    gid() { return this.stx_gid; },
    rdev() { return makedev64(this.stx_rdev_major, this.stx_rdev_minor); },
    size() { return this.stx_size; },
    blksize() { return this.stx_blksize; },
    blocks() { return this.stx_blocks; },
    atimeNs() { return ns(this.stx_atime); },
    mtimeNs() { return ns(this.stx_mtime); },
    ctimeNs() { return ns(this.stx_ctime); },
  };
  for (const [name, get] of Object.entries(getters)) Object.defineProperty(Stat.prototype, name, { get, configurable: true });
}

/**
 * The status of an open file, into `st` (reuse one for speed) or a fresh Stat.
 *
 * @example
 * ```ts
 * fstat(fd).size; // 6n
 * const st = fstat(fd);
 * fstat(fd, st); // the same Stat, refilled: no allocation
 * ```
 * @see https://man7.org/linux/man-pages/man2/fstat.2.html
 */
export function fstat(fd: FdLike, st: Stat = new Stat()): Stat {
  check(sys.fstat(fdNum(fd, 'fstat'), structArg(st, sys.StatStruct, 'st')), 'fstat');
  return st;
}

/** The buffer of a Stat view, checked to hold a whole struct stat (struct statx where the stat calls use statx). */
const statBuffer = (st: Stat): Uint8Array => structArg(st, sys.StatStruct, 'st');

/**
 * The status of the file a path names (following symlinks), into `st` or a fresh Stat.
 *
 * @example
 * ```ts
 * stat('/').isDirectory(); // true
 * ```
 * @see https://man7.org/linux/man-pages/man2/stat.2.html
 */
export function stat(path: PathLike, st: Stat = new Stat()): Stat {
  const [p, text] = pathArg(path);
  check(sys.fstatat(AT_FDCWD, p, statBuffer(st), 0), 'stat', text);
  return st;
}

/**
 * The status of the file a path names, like stat, but of a symlink itself rather than its target.
 *
 * @example
 * ```ts
 * lstat('/tmp/link').isSymbolicLink(); // true
 * ```
 * @see https://man7.org/linux/man-pages/man2/lstat.2.html
 */
export function lstat(path: PathLike, st: Stat = new Stat()): Stat {
  const [p, text] = pathArg(path);
  check(sys.fstatat(AT_FDCWD, p, statBuffer(st), AT.SYMLINK_NOFOLLOW), 'lstat', text);
  return st;
}

/**
 * The status of a file relative to a directory fd, with AT flags ('symlink_nofollow', 'empty_path', 'no_automount').
 *
 * @example
 * ```ts
 * fstatat(dir, 'link', 'symlink_nofollow').isSymbolicLink();
 * ```
 * @see https://man7.org/linux/man-pages/man2/fstatat.2.html
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

/**
 * The result of statx, with friendly getters.
 *
 * Check `mask` (or has()) for which fields the kernel filled.
 *
 * Extends the generated `abi.Statx` (struct statx) on every arch, and keeps its name, as every class over one generated
 * struct does: statx() returns a Statx, which is `instanceof abi.Statx`.
 *
 * @example
 * ```ts
 * const stx = statx(AT.FDCWD, '/etc/hosts');
 * if (stx.has('btime')) console.log(stx.btime);
 * ```
 * @see https://man7.org/linux/man-pages/man2/statx.2.html
 */
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
 * The extended status of a file: `mask` names the STATX fields wanted (default 'basic_stats, btime'), AT flags
 * ('symlink_nofollow', 'empty_path' with path '' for the fd itself, 'statx_dont_sync').
 *
 * @example
 * ```ts
 * statx(AT.FDCWD, '/etc/hosts').btime; // Date of creation, if has('btime')
 * ```
 * @see https://man7.org/linux/man-pages/man2/statx.2.html
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
 *
 * Extends the generated struct the arch's statfs calls fill (StatfsStruct in core/arch.ts): `abi.Statfs` (struct
 * statfs), or `abi.Statfs64` (struct statfs64). A class over a struct chosen per arch is named for its calls: statfs
 * and fstatfs (so it is not always an `abi.Statfs`).
 *
 * @example
 * ```ts
 * statfs('/').type; // 0xef53 on ext4
 * statfs('/').bavail; // free blocks for unprivileged users
 * ```
 * @see https://man7.org/linux/man-pages/man2/statfs.2.html
 */
export class Statfs extends sys.StatfsStruct {
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

const statfsBuffer = (s: Statfs): Uint8Array => structArg(s, sys.StatfsStruct, 'sfs', sys.StatfsStruct.size, 'Statfs');

/**
 * Statistics of the filesystem holding `path`.
 *
 * @example
 * ```ts
 * statfs('/').bavail * BigInt(statfs('/').bsize);
 * ```
 * @see https://man7.org/linux/man-pages/man2/statfs.2.html
 */
export function statfs(path: PathLike, sfs: Statfs = new Statfs()): Statfs {
  const [p, text] = pathArg(path);
  check(sys.statfs(p, statfsBuffer(sfs)), 'statfs', text);
  return sfs;
}

/**
 * Statistics of the filesystem holding an open file.
 *
 * @example
 * ```ts
 * fd.fstatfs().type;
 * ```
 * @see https://man7.org/linux/man-pages/man2/fstatfs.2.html
 */
export function fstatfs(fd: FdLike, sfs: Statfs = new Statfs()): Statfs {
  check(sys.fstatfs(fdNum(fd, 'fstatfs'), statfsBuffer(sfs)), 'fstatfs');
  return sfs;
}
