// Names in directories: hard and symbolic links (link, symlink, readlink), unlink, rename, mkdir, rmdir, mknod, and
// their *at forms.
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { fdNum, type FdLike } from '../core/fd.ts';
import { flags, type Flags } from '../core/flags.ts';
import { allocUnsafe, int, mode } from '../core/args.ts';
import * as sys from '../core/arch.ts';
import { AT_FDCWD, atFlags, pathArg, encode } from './common.ts';
import type { PathLike, Mode } from './open.ts';

const { AT, RENAME } = abi;

/**
 * Make `newPath` a new hard link to the file `oldPath` names.
 *
 * @example
 * ```ts
 * link('/tmp/a', '/tmp/b');
 * ```
 * @see https://man7.org/linux/man-pages/man2/link.2.html
 */
export function link(oldPath: PathLike, newPath: PathLike): void {
  const [a, at] = pathArg(oldPath, 'oldPath');
  const [b, bt] = pathArg(newPath, 'newPath');
  check(raw.linkat(AT_FDCWD, a, AT_FDCWD, b, 0), 'link', at, bt);
}

/**
 * Make a hard link, with both paths relative to directories and AT flags ('symlink_follow', 'empty_path').
 *
 * @example
 * ```ts
 * linkat(fd, '', dir, 'name', 'empty_path');
 * ```
 * @see https://man7.org/linux/man-pages/man2/linkat.2.html
 */
export function linkat(oldDirfd: FdLike, oldPath: PathLike, newDirfd: FdLike, newPath: PathLike, at: Flags = 0): void {
  const od = fdNum(oldDirfd, 'linkat');
  const nd = fdNum(newDirfd, 'linkat');
  const [a, at1] = pathArg(oldPath, 'oldPath');
  const [b, bt] = pathArg(newPath, 'newPath');
  check(raw.linkat(od, a, nd, b, atFlags(at)), 'linkat', at1, bt);
}

/**
 * Create `path` as a symbolic link to `target`.
 *
 * @example
 * ```ts
 * symlink('hosts', '/tmp/h');
 * ```
 * @see https://man7.org/linux/man-pages/man2/symlink.2.html
 */
export function symlink(target: PathLike, path: PathLike): void {
  const [a, at] = pathArg(target, 'target');
  const [b, bt] = pathArg(path);
  check(raw.symlinkat(a, AT_FDCWD, b), 'symlink', bt, at);
}

/**
 * Create `path`, relative to a directory, as a symbolic link to `target`.
 *
 * @example
 * ```ts
 * symlinkat('../x', dir, 'up');
 * ```
 * @see https://man7.org/linux/man-pages/man2/symlinkat.2.html
 */
export function symlinkat(target: PathLike, dirfd: FdLike, path: PathLike): void {
  const d = fdNum(dirfd, 'symlinkat');
  const [a, at] = pathArg(target, 'target');
  const [b, bt] = pathArg(path);
  check(raw.symlinkat(a, d, b), 'symlinkat', bt, at);
}

/** Encodings of names returned: 'buffer' for a Buffer, any BufferEncoding for a string (default 'utf8'). */
export type NameEncoding = BufferEncoding | 'buffer';

function readlinkLoop(call: (buf: Buffer) => number, syscall: string, text: string): Buffer {
  for (let size = 4096; ; size *= 2) {
    const buf = allocUnsafe(size);
    const r = check(call(buf), syscall, text);
    if (r < size) return buf.subarray(0, r);
  }
}

/**
 * The target of a symlink, as a string, or a Buffer with 'buffer'.
 *
 * @example
 * ```ts
 * readlink('/proc/self/exe'); // '/usr/bin/node'
 * ```
 * @see https://man7.org/linux/man-pages/man2/readlink.2.html
 */
export function readlink(path: PathLike, encoding?: BufferEncoding): string;
export function readlink(path: PathLike, encoding: 'buffer'): Buffer;
export function readlink(path: PathLike, encoding?: NameEncoding): string | Buffer {
  const [p, text] = pathArg(path);
  return encode(readlinkLoop((b) => raw.readlinkat(AT_FDCWD, p, b, b.length), 'readlink', text), encoding);
}

/**
 * The target of a symlink relative to a directory ('' with an O_PATH fd of the link itself).
 *
 * @example
 * ```ts
 * readlinkat(dir, 'link');
 * ```
 * @see https://man7.org/linux/man-pages/man2/readlinkat.2.html
 */
export function readlinkat(dirfd: FdLike, path: PathLike, encoding?: BufferEncoding): string;
export function readlinkat(dirfd: FdLike, path: PathLike, encoding: 'buffer'): Buffer;
export function readlinkat(dirfd: FdLike, path: PathLike, encoding?: NameEncoding): string | Buffer {
  const d = fdNum(dirfd, 'readlinkat');
  const [p, text] = pathArg(path);
  return encode(readlinkLoop((b) => raw.readlinkat(d, p, b, b.length), 'readlinkat', text), encoding);
}

/**
 * Remove a name (a file, a link).
 *
 * @example
 * ```ts
 * unlink('/tmp/f');
 * ```
 * @see https://man7.org/linux/man-pages/man2/unlink.2.html
 */
export function unlink(path: PathLike): void {
  const [p, text] = pathArg(path);
  check(raw.unlinkat(AT_FDCWD, p, 0), 'unlink', text);
}

/**
 * Remove a name relative to a directory; 'removedir' removes an empty directory.
 *
 * @example
 * ```ts
 * unlinkat(dir, 'sub', 'removedir');
 * ```
 * @see https://man7.org/linux/man-pages/man2/unlinkat.2.html
 */
export function unlinkat(dirfd: FdLike, path: PathLike, at: Flags = 0): void {
  const d = fdNum(dirfd, 'unlinkat');
  const [p, text] = pathArg(path);
  check(raw.unlinkat(d, p, atFlags(at)), 'unlinkat', text);
}

/**
 * Move `oldPath` to `newPath`, replacing it.
 *
 * @example
 * ```ts
 * rename('/tmp/a', '/tmp/b');
 * ```
 * @see https://man7.org/linux/man-pages/man2/rename.2.html
 */
export function rename(oldPath: PathLike, newPath: PathLike): void {
  const [a, at] = pathArg(oldPath, 'oldPath');
  const [b, bt] = pathArg(newPath, 'newPath');
  check(sys.rename(AT_FDCWD, a, AT_FDCWD, b), 'rename', at, bt);
}

/**
 * Rename a file, with both paths relative to directories and RENAME flags: 'noreplace' (EEXIST if the target exists),
 * 'exchange' (swap the two atomically), 'whiteout'.
 *
 * @example
 * ```ts
 * renameat2(AT.FDCWD, 'a', AT.FDCWD, 'b', 'exchange');
 * ```
 * @see https://man7.org/linux/man-pages/man2/renameat2.2.html
 */
export function renameat2(oldDirfd: FdLike, oldPath: PathLike, newDirfd: FdLike, newPath: PathLike, how: Flags = 0): void {
  const od = fdNum(oldDirfd, 'renameat2');
  const nd = fdNum(newDirfd, 'renameat2');
  const [a, at] = pathArg(oldPath, 'oldPath');
  const [b, bt] = pathArg(newPath, 'newPath');
  check(raw.renameat2(od, a, nd, b, flags(RENAME, 'RENAME', 'RENAME_', how)), 'renameat2', at, bt);
}

/**
 * Create a directory (mode less umask).
 *
 * @example
 * ```ts
 * mkdir('/tmp/d', 0o755);
 * ```
 * @see https://man7.org/linux/man-pages/man2/mkdir.2.html
 */
export function mkdir(path: PathLike, perm: Mode = 0o777): void {
  const [p, text] = pathArg(path);
  check(raw.mkdirat(AT_FDCWD, p, mode(perm)), 'mkdir', text);
}

/**
 * Create a directory relative to a directory (mode less umask).
 *
 * @example
 * ```ts
 * mkdirat(dir, 'sub');
 * ```
 * @see https://man7.org/linux/man-pages/man2/mkdirat.2.html
 */
export function mkdirat(dirfd: FdLike, path: PathLike, perm: Mode = 0o777): void {
  const d = fdNum(dirfd, 'mkdirat');
  const [p, text] = pathArg(path);
  check(raw.mkdirat(d, p, mode(perm)), 'mkdirat', text);
}

/**
 * Remove an empty directory.
 *
 * @example
 * ```ts
 * rmdir('/tmp/d');
 * ```
 * @see https://man7.org/linux/man-pages/man2/rmdir.2.html
 */
export function rmdir(path: PathLike): void {
  const [p, text] = pathArg(path);
  check(raw.unlinkat(AT_FDCWD, p, AT.REMOVEDIR), 'rmdir', text);
}

/**
 * Create a special file; `fileMode` has the type and permission bits (S.IFIFO | 0o644), `dev` a device number
 * (makedev(major, minor)) for S.IFCHR and S.IFBLK.
 *
 * @example
 * ```ts
 * mknod('/tmp/fifo', S.IFIFO | 0o600);
 * mknod('/tmp/null', S.IFCHR | 0o666, makedev(1, 3));
 * ```
 * @see https://man7.org/linux/man-pages/man2/mknod.2.html
 */
export function mknod(path: PathLike, fileMode: number, dev: number = 0): void {
  const [p, text] = pathArg(path);
  check(raw.mknodat(AT_FDCWD, p, int(fileMode, 'mode', 0, 0o177777), int(dev, 'dev', 0, 2 ** 32 - 1)), 'mknod', text);
}

/**
 * Create a special file relative to a directory, as mknod does.
 *
 * @example
 * ```ts
 * mknodat(dir, 'fifo', S.IFIFO | 0o600);
 * ```
 * @see https://man7.org/linux/man-pages/man2/mknodat.2.html
 */
export function mknodat(dirfd: FdLike, path: PathLike, fileMode: number, dev: number = 0): void {
  const d = fdNum(dirfd, 'mknodat');
  const [p, text] = pathArg(path);
  check(raw.mknodat(d, p, int(fileMode, 'mode', 0, 0o177777), int(dev, 'dev', 0, 2 ** 32 - 1)), 'mknodat', text);
}
