// Permissions and owners: access, faccessat2; chmod, fchmod, fchmodat; chown, fchown, lchown, fchownat; umask.
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { fdNum, type FdLike } from '../core/fd.ts';
import { flags, type Flags } from '../core/flags.ts';
import { int, mode } from '../core/args.ts';
import * as sys from '../core/arch.ts';
import { AT_FDCWD, atFlags, pathArg } from './common.ts';
import type { PathLike, Mode } from './open.ts';

const { AT } = abi;

/** access modes: F_OK, R_OK, W_OK, X_OK. */
export const ACCESS = abi.ACCESS;

/** An ID for chown: -1 (or undefined) leaves it unchanged. */
function id(v: unknown, name: string): number {
  return v === undefined ? -1 : int(v, name, -1, 2 ** 32 - 1);
}

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
 * Check that the real user may access `path` ('f' exists, 'r', 'w', 'x', combined 'rw'); throws when not.
 *
 * @example
 * ```ts
 * access('/etc/shadow', 'r'); // throws EACCES for an ordinary user
 * ```
 * @see https://man7.org/linux/man-pages/man2/access.2.html
 */
export function access(path: PathLike, how: Flags = 'f'): void {
  const [p, text] = pathArg(path);
  check(raw.faccessat(AT_FDCWD, p, accessMode(how)), 'access', text);
}

/**
 * Check access to a file relative to a directory, as access does, with AT flags ('eaccess': the effective IDs;
 * 'symlink_nofollow', 'empty_path').
 *
 * @example
 * ```ts
 * faccessat2(AT.FDCWD, 'script.sh', 'x', 'eaccess');
 * ```
 * @see https://man7.org/linux/man-pages/man2/faccessat2.2.html
 */
export function faccessat2(dirfd: FdLike, path: PathLike, how: Flags = 'f', at: Flags = 0): void {
  const d = fdNum(dirfd, 'faccessat2');
  const [p, text] = pathArg(path);
  check(raw.faccessat2(d, p, accessMode(how), atFlags(at)), 'faccessat2', text);
}

/**
 * Set the permission bits of a file by path.
 *
 * @example
 * ```ts
 * chmod('/tmp/f', 0o600);
 * chmod('/tmp/f', '755');
 * ```
 * @see https://man7.org/linux/man-pages/man2/chmod.2.html
 */
export function chmod(path: PathLike, perm: Mode): void {
  const [p, text] = pathArg(path);
  check(raw.fchmodat(AT_FDCWD, p, mode(perm)), 'chmod', text);
}

/**
 * Set the permission bits of an open file.
 *
 * @example
 * ```ts
 * fd.fchmod(0o644);
 * ```
 * @see https://man7.org/linux/man-pages/man2/fchmod.2.html
 */
export function fchmod(fd: FdLike, perm: Mode): void {
  check(raw.fchmod(fdNum(fd, 'fchmod'), mode(perm)), 'fchmod');
}

/**
 * Set the permission bits of a file relative to a directory.
 *
 * With AT flags ('symlink_nofollow', 'empty_path') it calls fchmodat2 (Linux 6.6), which has no man page of its own.
 *
 * @example
 * ```ts
 * fchmodat(dir, 'f', 0o640);
 * ```
 * @see https://man7.org/linux/man-pages/man2/fchmodat.2.html
 */
export function fchmodat(dirfd: FdLike, path: PathLike, perm: Mode, at: Flags = 0): void {
  const d = fdNum(dirfd, 'fchmodat');
  const [p, text] = pathArg(path);
  const m = mode(perm);
  const f = atFlags(at);
  if (f === 0) check(raw.fchmodat(d, p, m), 'fchmodat', text);
  else check(raw.fchmodat2(d, p, m, f), 'fchmodat2', text);
}

/**
 * Set the owner and group of a file by path (-1 leaves one unchanged).
 *
 * @example
 * ```ts
 * chown('/tmp/f', 1000, -1);
 * ```
 * @see https://man7.org/linux/man-pages/man2/chown.2.html
 */
export function chown(path: PathLike, uid: number, gid: number = -1): void {
  const [p, text] = pathArg(path);
  check(raw.fchownat(AT_FDCWD, p, id(uid, 'uid'), id(gid, 'gid'), 0), 'chown', text);
}

/**
 * Set the owner and group of an open file (-1 leaves one unchanged).
 *
 * @example
 * ```ts
 * fd.fchown(1000, 1000);
 * ```
 * @see https://man7.org/linux/man-pages/man2/fchown.2.html
 */
export function fchown(fd: FdLike, uid: number, gid: number = -1): void {
  check(sys.ids.fchown(fdNum(fd, 'fchown'), id(uid, 'uid'), id(gid, 'gid')), 'fchown');
}

/**
 * Set the owner and group of a symlink itself, not of its target.
 *
 * @example
 * ```ts
 * lchown('/tmp/link', 1000, 1000);
 * ```
 * @see https://man7.org/linux/man-pages/man2/lchown.2.html
 */
export function lchown(path: PathLike, uid: number, gid: number = -1): void {
  const [p, text] = pathArg(path);
  check(raw.fchownat(AT_FDCWD, p, id(uid, 'uid'), id(gid, 'gid'), AT.SYMLINK_NOFOLLOW), 'lchown', text);
}

/**
 * Set the owner and group of a file relative to a directory, with AT flags ('symlink_nofollow', 'empty_path').
 *
 * @example
 * ```ts
 * fchownat(dir, 'f', 0, 0);
 * ```
 * @see https://man7.org/linux/man-pages/man2/fchownat.2.html
 */
export function fchownat(dirfd: FdLike, path: PathLike, uid: number, gid: number = -1, at: Flags = 0): void {
  const d = fdNum(dirfd, 'fchownat');
  const [p, text] = pathArg(path);
  check(raw.fchownat(d, p, id(uid, 'uid'), id(gid, 'gid'), atFlags(at)), 'fchownat', text);
}

/**
 * Set the file mode creation mask; returns the previous one.
 *
 * @example
 * ```ts
 * const old = umask(0o077);
 * umask(old);
 * ```
 * @see https://man7.org/linux/man-pages/man2/umask.2.html
 */
export function umask(mask: Mode): number {
  const m = mode(mask, 'mask');
  if (m > 0o777) throw new RangeError(`mask out of range [0, 0o777]: 0o${m.toString(8)}`);
  return raw.umask(m);
}
