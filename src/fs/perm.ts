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
