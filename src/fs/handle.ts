// File handles: name_to_handle_at, open_by_handle_at.
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { Fd, fdNum, retryFd, type FdLike } from '../core/fd.ts';
import { type Flags } from '../core/flags.ts';
import { copyInto, bufferFrom, alloc, isBytes } from '../core/args.ts';
import { structArg } from '../core/view.ts';
import * as words from '../core/words.ts';
import { atFlags, oFlags, pathArg } from './common.ts';
import type { PathLike } from './open.ts';

const { AT } = abi;

/** The largest file handle name_to_handle_at returns (MAX_HANDLE_SZ). */
export const MAX_HANDLE_SZ = abi.HANDLE.MAX_SZ;

/** What name_to_handle_at returns: the handle (a struct file_handle view of its exact size) and the mount's ID. */
export interface HandleAt {
  handle: InstanceType<typeof abi.FileHandle>;
  /** The mount ID (as in /proc/self/mountinfo), a bigint with 'handle_mnt_id_unique'. */
  mountId: number | bigint;
}

/**
 * A persistent handle for a file, and the ID of its mount; AT flags ('symlink_follow', 'empty_path', 'handle_fid',
 * 'handle_mnt_id_unique').
 *
 * @example
 * ```ts
 * const { handle, mountId } = name_to_handle_at(AT.FDCWD, '/etc/hosts', 'symlink_follow');
 * ```
 * @see https://man7.org/linux/man-pages/man2/name_to_handle_at.2.html
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
 * Open the file a handle names, on the mount of `mountFd` (needs CAP_DAC_READ_SEARCH).
 *
 * @example
 * ```ts
 * const f = open_by_handle_at(open('/', 'rdonly, directory'), handle, 'rdonly');
 * ```
 * @see https://man7.org/linux/man-pages/man2/open_by_handle_at.2.html
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
