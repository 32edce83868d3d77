// Locks, fcntl and duplicates: flock; record locks (Lock) and every fcntl command; dup, dup3.
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { Fd, fdNum, retryFd, type FdLike } from '../core/fd.ts';
import { flags, constant, type Flags } from '../core/flags.ts';
import { int, describe, isBytes, region, type Bytes } from '../core/args.ts';
import { structArg } from '../core/view.ts';
import * as sys from '../core/arch.ts';
import { off, whence, type Cmd } from './common.ts';
import type { Whence } from './io.ts';

const { O, F, F_SEAL, FD, LOCK } = abi;

/**
 * A whole-file advisory lock on the open file description: 'sh', 'ex', 'un', with 'nb' not to block ('ex, nb' throws
 * EWOULDBLOCK when another description holds it).
 *
 * Blocks the thread without 'nb'.
 *
 * @example
 * ```ts
 * fd.flock('ex, nb');
 * ```
 * @see https://man7.org/linux/man-pages/man2/flock.2.html
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
 * A record lock (struct flock) with friendly getters: what F_GETLK found (type 'unlck' when nothing conflicts).
 *
 * On 32-bit arches it is a struct flock64 (64-bit offsets), and the lock commands go to fcntl64 as F_GETLK64,
 * F_SETLK64, F_SETLKW64.
 *
 * Extends the generated struct chosen for the arch (LockStruct in core/arch.ts): `abi.Flock` (struct flock), or
 * `abi.Flock64` (struct flock64).
 *
 * @example
 * ```ts
 * const l = fcntl(fd, 'getlk', { type: 'wrlck' });
 * l.type; // 'unlck' when nothing conflicts, else the holder's lock and l.pid
 * ```
 * @see https://man7.org/linux/man-pages/man2/fcntl.2.html
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
 * Run an fcntl command on a descriptor, typed per command (names as 'getfl' or 'F_GETFL'):
 * - 'getfd' / 'setfd' (FD flags: 'cloexec'), 'getfl' / 'setfl' (O flags): strings are relative to the current flags
 *   ('nonblock' adds, '~nonblock' removes), numbers replace them;
 * - 'dupfd' / 'dupfd_cloexec' (lowest number >= min): a new Fd;
 * - 'getlk' / 'setlk' / 'setlkw' and the OFD ('ofd_getlk'...) variants, with a LockSpec: getlk returns a Lock
 *   (setlkw blocks the thread until it gets the lock);
 * - 'add_seals' (F_SEAL flags: 'write, grow, shrink, seal'), 'get_seals';
 * - 'getpipe_sz', 'setpipe_sz' (returns the size set).
 *
 * Other commands take a number, or a Buffer for the pointer ones (checked against the size the kernel uses). ('getown'
 * cannot return a process group, which would read as an error: use 'getown_ex' with a Buffer.)
 *
 * @example
 * ```ts
 * fcntl(fd, 'setfl', '~nonblock');
 * fcntl(fd, 'setlk', { type: 'wrlck', start: 0, len: 100 });
 * ```
 * @see https://man7.org/linux/man-pages/man2/fcntl.2.html
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

/**
 * A new descriptor for the same open file description (shared offset and status flags).
 *
 * @example
 * ```ts
 * const g = fd.dup();
 * ```
 * @see https://man7.org/linux/man-pages/man2/dup.2.html
 */
export function dup(fd: FdLike): Fd {
  const n = fdNum(fd, 'dup');
  return new Fd(check(retryFd(() => raw.dup(n)), 'dup'));
}

/**
 * Make `newfd` (a number or an Fd) a copy of `oldfd`, closing what `newfd` was ('cloexec' sets FD_CLOEXEC); returns an
 * Fd owning `newfd` (the Fd that owned it before forgets it).
 *
 * Keep a standard descriptor with .nogc(). The returned Fd closes `newfd` when collected: call .nogc() (or .release())
 * to keep e.g. a redirected stderr.
 *
 * @example
 * ```ts
 * dup3(logFd, 2).nogc(); // stderr now goes to the log
 * ```
 * @see https://man7.org/linux/man-pages/man2/dup3.2.html
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
