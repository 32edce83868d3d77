// Files and directories: open, read, write, stat and friends. (The model for the other domain modules: check every
// argument, call raw, turn -errno into a SyscallError, return friendly values.)
import { abi, raw } from './core/abi.ts';
import { check } from './core/errors.ts';
import { Fd, fdNum, isFd, retryFd, addFdMethods, type FdLike, type FdMethods } from './core/fd.ts';
import { flags, type Flags } from './core/flags.ts';
import { bufferFrom, allocUnsafe, int, mode, path as checkPath, pathText, region, lengthOf, type Bytes } from './core/args.ts';
import { structArg } from './core/view.ts';
import { withFileTypeTests, type FileTypeTests } from './core/filetype.ts';
import * as sys from './core/arch.ts';

const { O, AT, S } = abi;
export type PathLike = string | Buffer | URL;
export type Mode = number | string;


const oflags = (f: Flags) => flags(O, 'O', 'O_', f);

/** Open a file: open('/etc/hosts'), open(p, 'wronly, creat, trunc', 0o644). Returns an Fd. */
export function open(path: PathLike, how: Flags = 'rdonly', perm: Mode = 0o666): Fd {
  const p = checkPath(path);
  const f = oflags(how);
  const m = mode(perm);
  return new Fd(check(retryFd(() => raw.openat(AT.FDCWD, p, f, m)), 'open', pathText(p)));
}

/** Close a descriptor: an Fd (idempotent) or a number (whichever Fd owned it forgets it). */
export function close(fd: FdLike): void {
  if (isFd(fd)) return fd.close();
  const n = fdNum(fd, 'close');
  Fd.forget(n);
  const r = raw.close(n);
  if (r < 0 && r !== -4) check(r, 'close');
}

/**
 * Read into `buf` (all of it, or `length` bytes from `offset`) and return the count; without a buffer, read up to
 * `length` bytes (default 4096) into a fresh Buffer and return it, shortened to what was read.
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

/** Write a Buffer, typed array or string (UTF-8); returns the count written. */
export function write(fd: FdLike, data: Bytes | string, offset?: number, length?: number): number {
  const n = fdNum(fd, 'write');
  const r = typeof data === 'string' ? bufferFrom(data) : region(data, 'data', offset, length);
  return check(raw.write(n, r, lengthOf(r)), 'write');
}

/**
 * File status, with friendly getters over the kernel's struct stat (and isFile(), isDirectory(), ...). Where the arch's
 * struct stat is not 64-bit clean (32-bit arches, mips64) the stat calls use statx and a Stat is a view of a struct
 * statx: the friendly getters are the same, the raw st_* members are stx_* members there.
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
  // the kernel's fields are unsigned longs on x86_64: times before 1970 come back as huge values, read them signed
  get atimeNs(): bigint { return BigInt.asIntN(64, BigInt(this.st_atime)) * 1000000000n + BigInt(this.st_atime_nsec); }
  get mtimeNs(): bigint { return BigInt.asIntN(64, BigInt(this.st_mtime)) * 1000000000n + BigInt(this.st_mtime_nsec); }
  get ctimeNs(): bigint { return BigInt.asIntN(64, BigInt(this.st_ctime)) * 1000000000n + BigInt(this.st_ctime_nsec); }
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

/** fstat into `st` (reuse one for speed) or a fresh Stat. */
export function fstat(fd: FdLike, st: Stat = new Stat()): Stat {
  check(sys.fstat(fdNum(fd, 'fstat'), structArg(st, sys.StatStruct, 'st')), 'fstat');
  return st;
}

const fdFns = { read, write, fstat };
addFdMethods(fdFns);
declare module './core/fd.ts' {
  // overloaded functions are declared by hand: FdMethods keeps only the last overload
  interface Fd extends FdMethods<Omit<typeof fdFns, 'read'>> {
    read(buf: Bytes, offset?: number, length?: number): number;
    read(length?: number): Buffer;
  }
}
