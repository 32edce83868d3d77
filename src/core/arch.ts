// Per-arch choices: which syscall and which struct each operation of the domain modules uses on an arch, chosen once,
// at import, from what the arch's generated table has, the way glibc chooses them:
//
// - the calls the asm-generic arches (aarch64, riscv64) never had (open, stat, mkdir, unlink, rename, chown, access...)
//   are made with the *at family on every arch (src/fs/), so one code path runs everywhere;
// - where a 64-bit argument travels in a register pair (32-bit arches), the calls with 64-bit offsets and sizes:
//   _llseek, truncate64, ftruncate64, fcntl64 with struct flock64, statfs64/fstatfs64 with struct statfs64,
//   sendfile64, mmap2, fadvise64_64 (arm_fadvise64_64 on arm, with its own argument order), sync_file_range2;
// - the time64 calls (clock_gettime64, ..., utimensat_time64), which take struct __kernel_timespec, where the arch has
//   them (32-bit arches; on 64-bit arches the plain calls take that struct already);
// - the 32-bit-id calls (getuid32, fchown32, ...) where the plain ones take 16-bit ids (i386, arm, m68k, sh4);
// - stat: where the arch's `struct stat` has 64-bit sizes, inodes and times and newfstatat exists, fstat/newfstatat;
//   elsewhere (every 32-bit arch, mips64 whose struct stat has 32-bit times, alpha and sparc64 without newfstatat)
//   statx, as glibc does for 64-bit time: Stat (fs/stat.ts) is then a view of a struct statx.
//
// `select(abi)` is the pure choice for any arch's generated ABI (test/portable.test.ts checks it for every arch); the
// rest of this file applies it to the host: functions with one signature whatever the arch, each a direct call on
// x86_64. The sizes and byte order of the words in memory the kernel shares are words.ts's business.
import { abi, raw, type ArchAbi } from './abi.ts';
import { alloc } from './args.ts';
import { backend, type SyscallFn } from './backend.ts';
import { wordsOf, readI64, type Words } from './words.ts';

/** The operations whose syscall differs between arches. */
export const OPS = [
  'fstat', 'fstatat', 'statfs', 'fstatfs', 'lseek', 'truncate', 'ftruncate', 'fcntl', 'sendfile', 'mmap', 'fadvise',
  'sync_file_range', 'rename',
  'clock_gettime', 'clock_settime', 'clock_getres', 'clock_nanosleep', 'nanosleep', 'timer_settime', 'timer_gettime',
  'utimensat',
  'getuid', 'geteuid', 'getgid', 'getegid', 'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid',
  'getresuid', 'getresgid', 'setfsuid', 'setfsgid', 'getgroups', 'setgroups', 'fchown',
  // event descriptors and readiness (src/event/): see the block of the same name in select()
  'epoll_create', 'epoll_wait', 'poll', 'ppoll', 'eventfd', 'inotify_init', 'timerfd_settime', 'timerfd_gettime',
  // signals (src/signal/): see the block of the same name in select()
  'rt_sigtimedwait', 'signalfd',
] as const;
export type Op = (typeof OPS)[number];

const ID_OPS = [
  'getuid', 'geteuid', 'getgid', 'getegid', 'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid',
  'getresuid', 'getresgid', 'setfsuid', 'setfsgid', 'getgroups', 'setgroups', 'fchown',
] as const;

/** What one arch uses, and its words (pointer and long sizes, byte order, address limit: see words.ts). */
export interface Selection extends Words {
  readonly arch: string;
  /** A 64-bit argument fits one register (64-bit arches, and x32); otherwise it travels in a pair. */
  readonly wide: boolean;
  /** The syscall behind each operation (a name of the arch's SYS table). */
  readonly calls: Readonly<Record<Op, string>>;
  /** The generated struct class each operation fills: for stat, statfs and record locks. */
  readonly structs: { readonly stat: 'Stat' | 'Statx'; readonly statfs: 'Statfs' | 'Statfs64'; readonly lock: 'Flock' | 'Flock64' };
  /** The fcntl commands (names in F) for F_GETLK, F_SETLK and F_SETLKW with that lock struct. */
  readonly lockCmds: { readonly GETLK: string; readonly SETLK: string; readonly SETLKW: string };
}

/**
 * Whether an arch's struct stat holds 64-bit times. Read from the layout, not from a list of arch names: a time
 * member of 8 bytes reads as a bigint, one of 4 (mips64's n64 struct stat: glibc's STAT_HAS_TIME32) as a number.
 * (On 32-bit arches a long reads as a bigint too, but there stat is not used: their 64-bit calls are.)
 */
export function statTime64(a: ArchAbi): boolean {
  return typeof new a.Stat().st_mtime === 'bigint';
}

/** The syscalls and structs the domain modules use on arch `a` (any arch of the spec, not only the host). */
export function select(a: ArchAbi): Selection {
  const sys = a.SYS as unknown as Readonly<Record<string, number | undefined>>;
  const has = (name: string) => typeof sys[name] === 'number';
  // the first name the arch has (the last one when it has none, for the caller to report)
  const first = (...names: string[]) => names.find(has) ?? names[names.length - 1];
  const name = a.arch.name;
  const wide = a.arch.syscall.split64 === 'none';
  const statNative = wide && has('fstat') && has('newfstatat') && statTime64(a);
  const time64 = !wide && has('clock_gettime64');
  const ids32 = has('getuid32');
  const t = (plain: string, t64: string) => (time64 ? t64 : plain);
  const calls: Record<string, string> = {
    fstat: statNative ? 'fstat' : 'statx',
    fstatat: statNative ? 'newfstatat' : 'statx',
    statfs: wide ? 'statfs' : 'statfs64',
    fstatfs: wide ? 'fstatfs' : 'fstatfs64',
    // (asm-generic's 32-bit arches, arc, name it llseek)
    lseek: wide ? 'lseek' : first('_llseek', 'llseek'),
    truncate: wide ? 'truncate' : 'truncate64',
    ftruncate: wide ? 'ftruncate' : 'ftruncate64',
    fcntl: wide ? 'fcntl' : 'fcntl64',
    sendfile: wide ? 'sendfile' : 'sendfile64',
    mmap: wide ? 'mmap' : 'mmap2',
    // 32-bit: a 64-bit len too (mips o32 has it as fadvise64)
    fadvise: wide ? first('fadvise64') : first('arm_fadvise64_64', 'fadvise64_64', 'fadvise64'),
    sync_file_range: first('arm_sync_file_range', 'sync_file_range2', 'sync_file_range'),
    rename: first('renameat', 'renameat2'),
    clock_gettime: t('clock_gettime', 'clock_gettime64'),
    clock_settime: t('clock_settime', 'clock_settime64'),
    clock_getres: t('clock_getres', 'clock_getres_time64'),
    clock_nanosleep: t('clock_nanosleep', 'clock_nanosleep_time64'),
    nanosleep: t('nanosleep', 'clock_nanosleep_time64'),
    timer_settime: t('timer_settime', 'timer_settime64'),
    timer_gettime: t('timer_gettime', 'timer_gettime64'),
    utimensat: t('utimensat', 'utimensat_time64'),
    // ---- event descriptors and readiness (src/event/), chosen as glibc chooses them ----
    // the flags-taking calls where the arch has them (every arch of the spec does; the old ones take no flags)
    epoll_create: first('epoll_create1', 'epoll_create'),
    eventfd: first('eventfd2', 'eventfd'),
    inotify_init: first('inotify_init1', 'inotify_init'),
    // the asm-generic arches (aarch64, riscv64, arc) never had epoll_wait and poll: epoll_pwait with a null sigmask,
    // and ppoll with a timespec (its time64 form where the arch has one)
    epoll_wait: first('epoll_wait', 'epoll_pwait'),
    poll: has('poll') ? 'poll' : t('ppoll', 'ppoll_time64'),
    // struct __kernel_timespec and __kernel_itimerspec: the time64 calls on 32-bit arches, as clock_gettime
    ppoll: t('ppoll', 'ppoll_time64'),
    timerfd_settime: t('timerfd_settime', 'timerfd_settime64'),
    timerfd_gettime: t('timerfd_gettime', 'timerfd_gettime64'),
    // ---- end of event ----
    // ---- signals (src/signal/), chosen as glibc chooses them ----
    // struct __kernel_timespec: the time64 call on 32-bit arches, as ppoll
    rt_sigtimedwait: t('rt_sigtimedwait', 'rt_sigtimedwait_time64'),
    // the flags-taking call where the arch has it (every arch of the spec does; aarch64, riscv64 and arc never had the
    // old one)
    signalfd: first('signalfd4', 'signalfd'),
    // ---- end of signals ----
  };
  for (const op of ID_OPS) calls[op] = ids32 ? `${op}32` : op;
  const lock64 = !wide;
  return {
    arch: name,
    wide,
    ...wordsOf(a),
    calls: calls as Record<Op, string>,
    structs: { stat: statNative ? 'Stat' : 'Statx', statfs: wide ? 'Statfs' : 'Statfs64', lock: lock64 ? 'Flock64' : 'Flock' },
    lockCmds: lock64 ? { GETLK: 'GETLK64', SETLK: 'SETLK64', SETLKW: 'SETLKW64' } : { GETLK: 'GETLK', SETLK: 'SETLK', SETLKW: 'SETLKW' },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// The host's choice

/** What the host arch uses. */
export const HOST: Selection = select(abi);
const C = HOST.calls;
/** The raw functions by name, for the syscalls only some arches have (raw's type is x86_64's). */
const R = raw as unknown as Readonly<Record<string, (...args: unknown[]) => number>>;
const { AT, STATX, CLOCK, E, F } = abi;

/** A size_t argument: on an arch with 32-bit registers, at most 2^32 - 1 (the calls that take one may do less). */
export const sizeArg: (v: number | bigint) => number | bigint = HOST.wide
  ? (v) => v
  : (v) => (v > 0xffffffff ? 0xffffffff : v);

/** The two words of a file position for preadv2/pwritev2 (pos_l, pos_h): the whole of it in pos_l where a long holds it. */
export const posPair: (pos: number | bigint) => [number | bigint, number] = HOST.wide
  ? (pos) => [pos, 0]
  : (pos) => {
    const v = BigInt(pos);
    return [Number(BigInt.asUintN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];
  };

/**
 * An unsigned long a syscall returned (an address from mmap or mremap, clock ticks from times): where a long has 32
 * bits, a value in the upper half comes back negative; -4095..-1 stay errors (-errno).
 */
export const unsignedResult: (r: number) => number = HOST.long === 8 ? (r) => r : (r) => (r < -4095 ? r + 2 ** 32 : r);

// ---- stat ----

/** The struct the stat calls fill on this arch: struct stat, or struct statx where stat is not 64-bit clean. */
export const STAT_VIA_STATX = HOST.structs.stat === 'Statx';
/** The class of that struct (typed as struct stat: Stat in fs/stat.ts gives the same getters over either). */
export const StatStruct = (STAT_VIA_STATX ? abi.Statx : abi.Stat) as unknown as typeof abi.Stat;

export const fstat: (fd: number, buf: Uint8Array) => number = STAT_VIA_STATX
  ? (fd, buf) => raw.statx(fd, '', AT.EMPTY_PATH, STATX.BASIC_STATS, buf)
  : (fd, buf) => R[C.fstat](fd, buf);

export const fstatat: (dirfd: number, path: string | Buffer, buf: Uint8Array, flags: number) => number = STAT_VIA_STATX
  ? (d, p, buf, f) => raw.statx(d, p, f, STATX.BASIC_STATS, buf)
  : (d, p, buf, f) => R[C.fstatat](d, p, buf, f);

/** The struct statfs calls fill: struct statfs, or struct statfs64 where statfs has 32-bit counts. */
export const StatfsStruct = (HOST.structs.statfs === 'Statfs64' ? abi.Statfs64 : abi.Statfs) as unknown as typeof abi.Statfs;

export const statfs: (path: string | Buffer, buf: Uint8Array) => number = HOST.wide
  ? (p, buf) => R[C.statfs](p, buf)
  : (p, buf) => R[C.statfs](p, StatfsStruct.size, buf);

export const fstatfs: (fd: number, buf: Uint8Array) => number = HOST.wide
  ? (fd, buf) => R[C.fstatfs](fd, buf)
  : (fd, buf) => R[C.fstatfs](fd, StatfsStruct.size, buf);

// ---- 64-bit offsets ----

const llseekResult = alloc(8);
/** lseek: the new offset, or -errno. */
export const lseek: (fd: number, offset: number | bigint, whence: number) => number = HOST.wide
  ? (fd, off, whence) => R[C.lseek](fd, off, whence)
  : (fd, off, whence) => {
    const v = BigInt(off);
    const r = R[C.lseek](fd, Number(BigInt.asIntN(32, v >> 32n)), Number(BigInt.asUintN(32, v)), llseekResult, whence);
    return r < 0 ? r : Number(readI64(llseekResult));
  };

export const truncate: (path: string | Buffer, length: number | bigint) => number = (p, len) => R[C.truncate](p, len);
export const ftruncate: (fd: number, length: number | bigint) => number = (fd, len) => R[C.ftruncate](fd, len);
export const sendfile: (outFd: number, inFd: number, offset: Uint8Array | null, count: number | bigint) => number =
  (o, i, off, n) => R[C.sendfile](o, i, off, n);

export const fadvise: (fd: number, offset: number | bigint, len: number | bigint, advice: number) => number =
  C.fadvise === 'arm_fadvise64_64'
    ? (fd, off, len, advice) => R[C.fadvise](fd, advice, off, len)
    : (fd, off, len, advice) => R[C.fadvise](fd, off, len, advice);

// sync_file_range2 (and arm's) put the flags second, so that the 64-bit pairs start at an even register
export const syncFileRange: (fd: number, offset: number | bigint, nbytes: number | bigint, flags: number) => number =
  C.sync_file_range === 'sync_file_range'
    ? (fd, off, n, f) => R[C.sync_file_range](fd, off, n, f)
    : (fd, off, n, f) => R[C.sync_file_range](fd, f, off, n);

/** mmap: the address (a number), or -errno. Where mmap2 is used, the offset counts 4096-byte units. */
export const mmap: (addr: number, length: number, prot: number, flags: number, fd: number, offset: number | bigint) => number =
  HOST.wide
    ? (a, len, prot, flags, fd, off) => R[C.mmap](a, len, prot, flags, fd, off)
    : (a, len, prot, flags, fd, off) => {
      const o = BigInt(off);
      // mmap2 takes the offset in 4096-byte units, whatever the page size; the kernel refuses other offsets too
      if (o % 4096n !== 0n) return -E.INVAL;
      if (o / 4096n > 0xffffffffn) return -E.OVERFLOW;
      return unsignedResult(R[C.mmap](a, len, prot, flags, fd, Number(o / 4096n)));
    };

// ---- fcntl ----

export const fcntl: (fd: number, cmd: number, arg: number) => number = (fd, cmd, arg) => R[C.fcntl](fd, cmd, arg);

let fcntlPtrFn: SyscallFn | undefined;
/** fcntl with a pointer argument (raw.fcntl's is an integer: unsigned long). */
export const fcntlPtr = (fd: number, cmd: number, arg: Uint8Array): number =>
  (fcntlPtrFn ??= backend().bind((abi.SYS as unknown as Record<string, number>)[C.fcntl], 'iip'))(fd, cmd, arg);

/** The struct record locks use: struct flock, or struct flock64 where struct flock has 32-bit offsets. */
export const LockStruct = (HOST.structs.lock === 'Flock64' ? abi.Flock64 : abi.Flock) as unknown as typeof abi.Flock;

const Fn = F as unknown as Readonly<Record<string, number | undefined>>;
/** The commands for F_GETLK, F_SETLK, F_SETLKW with LockStruct (F_GETLK64... on 32-bit arches); undefined if unknown. */
export const LOCK_CMDS: Readonly<Record<'GETLK' | 'SETLK' | 'SETLKW', number | undefined>> = {
  GETLK: Fn[HOST.lockCmds.GETLK], SETLK: Fn[HOST.lockCmds.SETLK], SETLKW: Fn[HOST.lockCmds.SETLKW],
};

// ---- names ----

export const rename: (oldDirfd: number, oldPath: string | Buffer, newDirfd: number, newPath: string | Buffer) => number =
  C.rename === 'renameat'
    ? (od, a, nd, b) => R[C.rename](od, a, nd, b)
    : (od, a, nd, b) => R[C.rename](od, a, nd, b, 0);

// ---- time64 ----

export const clock_gettime: (clock: number, ts: Uint8Array) => number = (c, ts) => R[C.clock_gettime](c, ts);
export const clock_settime: (clock: number, ts: Uint8Array) => number = (c, ts) => R[C.clock_settime](c, ts);
export const clock_getres: (clock: number, ts: Uint8Array) => number = (c, ts) => R[C.clock_getres](c, ts);
export const clock_nanosleep: (clock: number, flags: number, req: Uint8Array, rem: Uint8Array | null) => number =
  (c, f, req, rem) => R[C.clock_nanosleep](c, f, req, rem);
/** nanosleep: a relative sleep on CLOCK_MONOTONIC (what the kernel's nanosleep measures). */
export const nanosleep: (req: Uint8Array, rem: Uint8Array) => number = C.nanosleep === 'nanosleep'
  ? (req, rem) => R[C.nanosleep](req, rem)
  : (req, rem) => R[C.nanosleep](CLOCK.MONOTONIC, 0, req, rem);
export const timer_settime: (id: number, flags: number, value: Uint8Array, old: Uint8Array | null) => number =
  (id, f, v, old) => R[C.timer_settime](id, f, v, old);
export const timer_gettime: (id: number, value: Uint8Array) => number = (id, v) => R[C.timer_gettime](id, v);
export const utimensat: (dirfd: number, path: string | Buffer | null, times: Uint8Array | null, flags: number) => number =
  (d, p, ts, f) => R[C.utimensat](d, p, ts, f);

// ---- 32-bit ids ----

type Ids = {
  [K in (typeof ID_OPS)[number]]: (...args: never[]) => number;
};
/** The id calls with 32-bit uid_t and gid_t: getuid32 and friends where the plain calls take 16-bit ids. */
export const ids = {
  getuid: () => R[C.getuid](),
  geteuid: () => R[C.geteuid](),
  getgid: () => R[C.getgid](),
  getegid: () => R[C.getegid](),
  setuid: (uid: number) => R[C.setuid](uid),
  setgid: (gid: number) => R[C.setgid](gid),
  setreuid: (r: number, e: number) => R[C.setreuid](r, e),
  setregid: (r: number, e: number) => R[C.setregid](r, e),
  setresuid: (r: number, e: number, s: number) => R[C.setresuid](r, e, s),
  setresgid: (r: number, e: number, s: number) => R[C.setresgid](r, e, s),
  getresuid: (r: Uint32Array, e: Uint32Array, s: Uint32Array) => R[C.getresuid](r, e, s),
  getresgid: (r: Uint32Array, e: Uint32Array, s: Uint32Array) => R[C.getresgid](r, e, s),
  setfsuid: (uid: number) => R[C.setfsuid](uid),
  setfsgid: (gid: number) => R[C.setfsgid](gid),
  getgroups: (size: number, list: Uint32Array | null) => R[C.getgroups](size, list),
  setgroups: (size: number, list: Uint32Array | null) => R[C.setgroups](size, list),
  fchown: (fd: number, uid: number, gid: number) => R[C.fchown](fd, uid, gid),
} satisfies Ids;
