// inotify: watches on files and directories, whose events are read from a descriptor as a run of struct inotify_event
// records (each with its NUL-padded name), decoded here into plain objects. inotify_init1 where the arch has it (every
// arch of the spec), chosen by select().
import { abi, raw } from '../core/abi.ts';
import { allocUnsafe, copyBytes, int, lengthOf, push, path as checkPath, pathText, region, type Bytes } from '../core/args.ts';
import { check } from '../core/errors.ts';
import { Fd, fdNum, retryFd, type FdLike } from '../core/fd.ts';
import { flags, type Flags } from '../core/flags.ts';
import * as sys from './common.ts';

/** inotify_init1's flags: 'cloexec', 'nonblock'. */
const INIT = sys.once(() => Object.freeze({ CLOEXEC: Number(abi.INOTIFY.CLOEXEC), NONBLOCK: Number(abi.INOTIFY.NONBLOCK) }));
/** The watch mask bits and the compound masks ('close', 'move', 'all_events'), without the init flags and the ioctl. */
const MASK = sys.once(() => sys.subset(abi.INOTIFY, (k) => !['CLOEXEC', 'NONBLOCK', 'IOC_SETNEXTWD'].includes(k)));
/** Decodes single bits only: 'close' and 'move' show as their parts. */
const masker = sys.once(() => sys.masker(MASK()));
const maskNames = (mask: number) => masker()(mask);
/** The size of struct inotify_event without its name. */
const header = sys.once(() => abi.InotifyEvent.size);
/** The smallest buffer a read takes: one event with the longest name (the kernel fails a smaller one with EINVAL). */
const minRead = sys.once(() => header() + Number(abi.LIMITS.NAME_MAX) + 1);
const DEFAULT_READ = 64 * 1024;

/** One event read from an inotify descriptor. */
export interface InotifyEvent {
  /** The watch it came from (what inotify_add_watch returned); -1 for IN_Q_OVERFLOW. */
  wd: number;
  /** The event bits (IN_CREATE 0x100, ...; IN_ISDIR when the subject is a directory). */
  mask: number;
  /** `mask` by name: 'create', 'isdir', ... */
  names: string[];
  /** Pairs the 'moved_from' and 'moved_to' events of one rename (0 for other events). */
  cookie: number;
  /** The name of the file in the watched directory the event is about ('' for the watched object itself). */
  name: string;
}

/**
 * The names of the bits of an inotify mask ('access', 'modify', 'create', 'moved_from', 'isdir', 'ignored', ...).
 *
 * @example
 * ```ts
 * inotifyNames(abi.INOTIFY.CREATE | abi.INOTIFY.ISDIR); // [ 'create', 'isdir' ]
 * ```
 * @see https://man7.org/linux/man-pages/man7/inotify.7.html
 */
export function inotifyNames(mask: number): string[] {
  return maskNames(mask);
}

/**
 * Create an inotify instance; flags 'cloexec', 'nonblock'.
 *
 * @example
 * ```ts
 * using ino = inotify_init1('cloexec, nonblock');
 * ```
 * @see https://man7.org/linux/man-pages/man2/inotify_init1.2.html
 */
export function inotify_init1(how: Flags = 0): Fd {
  const f = flags(INIT(), 'IN', 'IN_', how);
  return new Fd(check(retryFd(() => sys.inotifyInit(f)), sys.CALLS.inotify_init));
}

/**
 * Watch a file or directory for the events of `mask` ('create, modify, moved_from, moved_to, delete, close_write',
 * 'all_events', with 'onlydir', 'dont_follow', 'excl_unlink', 'mask_add', 'mask_create', 'oneshot'); returns the watch
 * descriptor that its events carry (the same one for a path already watched).
 *
 * @example
 * ```ts
 * const ino = inotify_init1('cloexec');
 * const wd = inotify_add_watch(ino, '/tmp', 'create, delete, moved_from, moved_to');
 * ```
 * @see https://man7.org/linux/man-pages/man2/inotify_add_watch.2.html
 */
export function inotify_add_watch(fd: FdLike, path: string | Buffer | URL, mask: Flags): number {
  const n = fdNum(fd, 'inotify_add_watch');
  const p = checkPath(path);
  const m = int(flags(MASK(), 'IN', 'IN_', mask), 'mask', 0, 0xffffffff);
  return check(raw.inotify_add_watch(n, p, m), 'inotify_add_watch', pathText(p));
}

/**
 * Remove a watch; its last event is an 'ignored' one.
 *
 * @example
 * ```ts
 * const ino = inotify_init1();
 * inotify_rm_watch(ino, inotify_add_watch(ino, '/tmp', 'create'));
 * ```
 * @see https://man7.org/linux/man-pages/man2/inotify_rm_watch.2.html
 */
export function inotify_rm_watch(fd: FdLike, wd: number): void {
  const n = fdNum(fd, 'inotify_rm_watch');
  check(raw.inotify_rm_watch(n, int(wd, 'wd', -(2 ** 31), 2 ** 31 - 1)), 'inotify_rm_watch');
}

/**
 * Decode the struct inotify_event records in the first `length` bytes of `bytes` (all of it by default), one event
 * object at a time; a RangeError at a record cut short.
 *
 * The bytes are what a read of an inotify descriptor returned; inotifyRead reads and decodes in one call.
 *
 * @example
 * ```ts
 * const ino = inotify_init1('nonblock');
 * const buf = Buffer.alloc(4096);
 * const n = read(ino, buf);
 * for (const ev of inotifyEvents(buf, n)) console.log(ev.names, ev.name, ev.cookie);
 * ```
 * @see https://man7.org/linux/man-pages/man7/inotify.7.html
 */
export function* inotifyEvents(bytes: Bytes, length?: number): Generator<InotifyEvent, void, undefined> {
  // a copy in the library's memory: nothing the caller does between steps changes what is decoded
  const b = copyBytes(region(bytes, 'bytes', 0, length));
  const end = lengthOf(b);
  const HEADER = header();
  let off = 0;
  while (off < end) {
    if (end - off < HEADER) throw new RangeError(`inotify event at offset ${off} cut short: ${end - off} of its ${HEADER} header bytes`);
    const v = new abi.InotifyEvent(b, off);
    const len = v.len;
    if (len > end - off - HEADER) throw new RangeError(`inotify event at offset ${off} cut short: its name has ${len} bytes, ${end - off - HEADER} are left`);
    const nameAt = off + HEADER;
    let nul = b.indexOf(0, nameAt);
    if (nul < 0 || nul > nameAt + len) nul = nameAt + len;
    const mask = v.mask;
    yield { wd: v.wd, mask, names: maskNames(mask), cookie: v.cookie, name: b.toString('utf8', nameAt, nul) };
    off = nameAt + len;
  }
}

/**
 * Read the pending events of an inotify descriptor, decoded ({ wd, mask, names, cookie, name } each), into `buf` if
 * given (at least 272 bytes: one event with the longest name), else into a fresh 64 KiB Buffer.
 *
 * With no event pending this blocks the calling thread (the event loop, on the main thread) until one comes, unless
 * the descriptor is 'nonblock': then it throws a SyscallError with code 'EAGAIN'. Wait for it with epoll or poll.
 *
 * @example
 * ```ts
 * const ino = inotify_init1('nonblock');
 * inotify_add_watch(ino, '/tmp', 'moved_from, moved_to');
 * for (const ev of inotifyRead(ino)) console.log(ev.names[0], ev.name, ev.cookie); // a rename: one cookie, two names
 * ```
 * @see https://man7.org/linux/man-pages/man7/inotify.7.html
 */
export function inotifyRead(fd: FdLike, buf?: Bytes): InotifyEvent[] {
  const n = fdNum(fd, 'read');
  let r: Uint8Array;
  if (buf === undefined) r = allocUnsafe(DEFAULT_READ);
  else {
    r = region(buf, 'buf');
    if (lengthOf(r) < minRead()) throw new RangeError(`buf must hold at least ${minRead()} bytes (one event with the longest name), got ${lengthOf(r)}`);
  }
  const got = check(raw.read(n, r, lengthOf(r)), 'read');
  const out: InotifyEvent[] = [];
  for (const ev of inotifyEvents(r, got)) push(out, ev);
  return out;
}
