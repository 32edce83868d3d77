// The calls of the fs domain as methods of Fd: every call whose first argument is a descriptor, and the
// directory-relative (*at) calls as methods of the directory. `fd.pread(10, 0)` is `pread(fd, 10, 0)`.
import { addFdMethods, type FdMethods } from '../core/fd.ts';
import type { Flags } from '../core/flags.ts';
import type { Bytes } from '../core/args.ts';
import type { Cmd } from './common.ts';
import { openat, openat2, type PathLike } from './open.ts';
import { read, write, pread, pwrite, readv, writev, preadv2, pwritev2, lseek, fsync, fdatasync, sync_file_range, ftruncate, fallocate, fadvise } from './io.ts';
import { fstat, fstatat, statx, fstatfs } from './stat.ts';
import { fchmod, fchown, faccessat2, fchmodat, fchownat } from './perm.ts';
import { linkat, readlinkat, unlinkat, renameat2, mkdirat, mknodat } from './names.ts';
import { getdents, fchdir } from './dir.ts';
import { futimens, utimensat } from './times.ts';
import { flock, fcntl, dup, dup3, type Lock, type LockSpec } from './fcntl.ts';
import { splice, tee, vmsplice } from './pipe.ts';
import { copy_file_range, sendfile } from './copy.ts';
import { fsetxattr, fgetxattr, flistxattr, fremovexattr } from './xattr.ts';
import { name_to_handle_at, open_by_handle_at } from './handle.ts';

const readWriteFns = { read, write, fstat };
addFdMethods(readWriteFns);

const fdFns = {
  pwrite, readv, writev, preadv2, pwritev2, lseek, fsync, fdatasync, sync_file_range, ftruncate, fallocate, fadvise,
  fstatfs, fchmod, fchown, fchdir, getdents, futimens, flock, dup, dup3, fsetxattr, flistxattr, fremovexattr,
  copy_file_range, sendfile, splice, tee, vmsplice,
  // the directory-relative calls, as methods of the directory
  openat, openat2, fstatat, statx, faccessat2, fchmodat, fchownat, linkat, unlinkat, renameat2, mkdirat, mknodat,
  utimensat, name_to_handle_at, open_by_handle_at,
};
const overloaded = { pread, fcntl, readlinkat, fgetxattr };
addFdMethods({ ...fdFns, ...overloaded } as unknown as Parameters<typeof addFdMethods>[0]);

type LockCmd = Cmd<'setlk' | 'setlkw' | 'ofd_setlk' | 'ofd_setlkw'>;
declare module '../core/fd.ts' {
  // overloaded functions are declared by hand: FdMethods keeps only the last overload
  interface Fd extends FdMethods<Omit<typeof readWriteFns, 'read'>>, FdMethods<typeof fdFns> {
    read(buf: Bytes, offset?: number, length?: number): number;
    read(length?: number): Buffer;
    pread(buf: Bytes, position: number | bigint): number;
    pread(length: number, position: number | bigint): Buffer;
    fcntl(cmd: Cmd<'getfd' | 'getfl' | 'get_seals' | 'getpipe_sz'>): number;
    fcntl(cmd: Cmd<'setfd' | 'setfl' | 'add_seals'>, value: Flags): void;
    fcntl(cmd: Cmd<'dupfd' | 'dupfd_cloexec'>, min?: number): Fd;
    fcntl(cmd: Cmd<'getlk' | 'ofd_getlk'>, lock: LockSpec | Lock): Lock;
    fcntl(cmd: LockCmd, lock: LockSpec | Lock): void;
    fcntl(cmd: Cmd<'setpipe_sz'>, size: number): number;
    fcntl(cmd: string | number, arg?: number | Bytes): number;
    readlinkat(path: PathLike, encoding?: BufferEncoding): string;
    readlinkat(path: PathLike, encoding: 'buffer'): Buffer;
    fgetxattr(name: string): Buffer;
    fgetxattr(name: string, encoding: BufferEncoding): string;
  }
}
