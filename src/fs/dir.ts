// Directories: their entries (getdents, Dirent), the working directory (getcwd, chdir, fchdir) and the root (chroot).
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { fdNum, type FdLike } from '../core/fd.ts';
import { bufferFrom, allocUnsafe, int } from '../core/args.ts';
import { withFileTypeTests, dtToMode, type FileTypeTests } from '../core/filetype.ts';
import { pathArg } from './common.ts';
import type { PathLike } from './open.ts';

const { E } = abi;

/** d_type values of directory entries. */
export const DT = abi.DT;

/**
 * A directory entry, as getdents and ls yield them (from struct linux_dirent64).
 *
 * @example
 * ```ts
 * for (const e of ls('/etc')) if (e.isDirectory()) console.log(e.name, e.ino);
 * ```
 * @see https://man7.org/linux/man-pages/man2/getdents64.2.html
 */
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
 * Iterate the entries of an open directory, reading `bufSize` bytes of records per call, from the directory's current
 * position on.
 *
 * @example
 * ```ts
 * for (const e of getdents(open('/tmp', 'rdonly, directory'))) console.log(e.name, e.type, e.ino);
 * ```
 * @see https://man7.org/linux/man-pages/man2/getdents64.2.html
 */
export function getdents(fd: FdLike, bufSize: number = 32768): Generator<Dirent, void, undefined> {
  fdNum(fd, 'getdents64'); // a bad fd is a TypeError now, not at the first step
  return dirents(fd, int(bufSize, 'bufSize', 24, 2 ** 31 - 1));
}

/**
 * The working directory.
 *
 * @example
 * ```ts
 * getcwd(); // '/home/me'
 * ```
 * @see https://man7.org/linux/man-pages/man2/getcwd.2.html
 */
export function getcwd(): string {
  for (let size = 4096; ; size *= 2) {
    const buf = allocUnsafe(size);
    const r = raw.getcwd(buf, size);
    if (r === -E.RANGE) continue;
    return buf.toString('utf8', 0, check(r, 'getcwd') - 1);
  }
}

/**
 * Change the working directory.
 *
 * @example
 * ```ts
 * chdir('/tmp');
 * ```
 * @see https://man7.org/linux/man-pages/man2/chdir.2.html
 */
export function chdir(path: PathLike): void {
  const [p, text] = pathArg(path);
  check(raw.chdir(p), 'chdir', text);
}

/**
 * Change the working directory to an open directory.
 *
 * @example
 * ```ts
 * fchdir(open('/tmp', 'rdonly, directory'));
 * ```
 * @see https://man7.org/linux/man-pages/man2/fchdir.2.html
 */
export function fchdir(fd: FdLike): void {
  check(raw.fchdir(fdNum(fd, 'fchdir')), 'fchdir');
}

/**
 * Change the root directory of the process (needs CAP_SYS_CHROOT).
 *
 * @example
 * ```ts
 * chroot('/srv/jail');
 * chdir('/');
 * ```
 * @see https://man7.org/linux/man-pages/man2/chroot.2.html
 */
export function chroot(path: PathLike): void {
  const [p, text] = pathArg(path);
  check(raw.chroot(p), 'chroot', text);
}
