// Opening and closing: open, openat, openat2, creat, memfd_create; close, close_range. (The model for the other
// domain modules: check every argument, call raw, turn -errno into a SyscallError, return friendly values.)
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { Fd, fdNum, isFd, retryFd, forgetRange, type FdLike } from '../core/fd.ts';
import { flags, type Flags } from '../core/flags.ts';
import { int, mode, path as checkPath, pathText } from '../core/args.ts';
import { structArg } from '../core/view.ts';
import { AT_FDCWD, oFlags, pathArg } from './common.ts';

const { O, AT, CLOSE_RANGE, RESOLVE, MFD } = abi;

export type PathLike = string | Buffer | URL;
export type Mode = number | string;

/**
 * Open a file and return it as an Fd; flags default to 'rdonly', the mode (used with 'creat') to 0o666 less the umask.
 *
 * Throws a SyscallError ENOENT when the path does not exist and 'creat' is not given.
 *
 * @example
 * ```ts
 * const hosts = open('/etc/hosts');
 * const out = open('/tmp/out', 'wronly, creat, trunc', 0o644);
 * ```
 * @see https://man7.org/linux/man-pages/man2/open.2.html
 */
export function open(path: PathLike, how: Flags = 'rdonly', perm: Mode = 0o666): Fd {
  const p = checkPath(path);
  const f = oFlags(how);
  const m = mode(perm);
  return new Fd(check(retryFd(() => raw.openat(AT.FDCWD, p, f, m)), 'open', pathText(p)));
}

/**
 * Open `path` relative to the directory `dirfd` (an Fd, a number, or AT.FDCWD for the working directory).
 *
 * @example
 * ```ts
 * const f = openat(dir, 'notes.txt', 'wronly, creat', 0o600);
 * ```
 * @see https://man7.org/linux/man-pages/man2/openat.2.html
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
 * Open a file relative to a directory, as openat does, with RESOLVE flags that restrict how the path resolves.
 *
 * @example
 * ```ts
 * openat2(dir, '../x', { flags: 'rdonly', resolve: 'beneath' }); // throws EXDEV: '..' escapes dir
 * ```
 * @see https://man7.org/linux/man-pages/man2/openat2.2.html
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
 * Create (or truncate) a file and open it write-only.
 *
 * @example
 * ```ts
 * const f = creat('/tmp/out', 0o644);
 * f.write('x');
 * ```
 * @see https://man7.org/linux/man-pages/man2/creat.2.html
 */
export function creat(path: PathLike, perm: Mode = 0o666): Fd {
  const [p, text] = pathArg(path);
  const m = mode(perm);
  return new Fd(check(retryFd(() => raw.openat(AT_FDCWD, p, O.CREAT | O.WRONLY | O.TRUNC, m)), 'creat', text));
}

/**
 * Close (or, with 'cloexec', mark close-on-exec) every descriptor from `first` to `last`; the Fds that owned closed
 * numbers forget them.
 *
 * @example
 * ```ts
 * close_range(3, 2 ** 32 - 1, 'cloexec'); // before an exec
 * ```
 * @see https://man7.org/linux/man-pages/man2/close_range.2.html
 */
export function close_range(first: number, last: number = 2 ** 32 - 1, how: Flags = 0): void {
  const lo = int(first, 'first', 0, 2 ** 32 - 1);
  const hi = int(last, 'last', 0, 2 ** 32 - 1);
  const f = flags(CLOSE_RANGE, 'CLOSE_RANGE', 'CLOSE_RANGE_', how);
  check(raw.close_range(lo, hi, f), 'close_range');
  // the Fds that owned closed numbers forget them (from the owners table: no /proc needed)
  if (!(f & CLOSE_RANGE.CLOEXEC)) forgetRange(lo, hi);
}

/**
 * Close a descriptor: an Fd (idempotent) or a number (whichever Fd owned it forgets it).
 *
 * @example
 * ```ts
 * close(fd);
 * close(7); // whichever Fd owned descriptor 7 forgets it
 * ```
 * @see https://man7.org/linux/man-pages/man2/close.2.html
 */
export function close(fd: FdLike): void {
  if (isFd(fd)) return fd.close();
  const n = fdNum(fd, 'close');
  Fd.forget(n);
  const r = raw.close(n);
  if (r < 0 && r !== -4) check(r, 'close');
}

/**
 * Create an anonymous file in memory and return it as an Fd; MFD flags ('cloexec', 'allow_sealing', 'noexec_seal',
 * 'hugetlb').
 *
 * @example
 * ```ts
 * const m = memfd_create('scratch', 'cloexec, allow_sealing');
 * ```
 * @see https://man7.org/linux/man-pages/man2/memfd_create.2.html
 */
export function memfd_create(name: string, how: Flags = 0): Fd {
  const [p, text] = pathArg(name, 'name');
  const f = flags(MFD, 'MFD', 'MFD_', how);
  return new Fd(check(retryFd(() => raw.memfd_create(p, f)), 'memfd_create', text));
}
