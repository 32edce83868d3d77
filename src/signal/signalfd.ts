// signalfd: signals read from a descriptor as struct signalfd_siginfo records (128 bytes each, the generated view's
// layout), into a preallocated SignalfdInfos whose iterator decodes them in place. signalfd4 where the arch has it
// (every arch of the spec), chosen by select().
//
// A signalfd reads the signals pending for the thread that reads it (sent to that thread) and for the process (sent to
// it while no thread could take them), among those of its mask. It does not block them: block them with sigprocmask
// first, or they are delivered as usual. Under Node, a signal sent to the whole process is taken by another of Node's
// threads (libuv's threadpool threads block nothing) before a signalfd can see it: see sigprocmask.
import { abi, raw } from '../core/abi.ts';
import { alloc, describe, int, isInt, lengthOf } from '../core/args.ts';
import { check } from '../core/errors.ts';
import { Fd, fdNum, isFd, retryFd, type FdLike } from '../core/fd.ts';
import { flags, type Flags } from '../core/flags.ts';
import { nameOf, once, sigsetMemory, toSigSet, type SigSet, type SignalList } from './sigset.ts';
import { CALLS, codeName, signalfd as signalfdCall } from './common.ts';

/** signalfd4's flags: 'cloexec', 'nonblock' (SFD_CLOEXEC, SFD_NONBLOCK). */
const SFD = once(() => Object.freeze({ CLOEXEC: Number(abi.SFD.CLOEXEC), NONBLOCK: Number(abi.SFD.NONBLOCK) }));
/** The most records one SignalfdInfos holds (4096: 512 KiB). */
const MAX_RECORDS = 4096;

/**
 * A signalfd_siginfo record, decoded: the kernel's fields under their names, with `ssi_signo` as the signal's name
 * and `signo` its number, and `code` the name of `ssi_code`.
 */
export interface SignalfdInfo {
  /** The signal, by name: 'SIGUSR1'. */
  readonly ssi_signo: string;
  /** The signal number (ssi_signo as the kernel gives it). */
  readonly signo: number;
  readonly ssi_errno: number;
  /** Who sent it or why: SI_USER 0 (kill), SI_TKILL -6 (tgkill), SI_QUEUE -1, CLD_EXITED 1, ... */
  readonly ssi_code: number;
  /** ssi_code by name: 'SI_USER', 'SI_TKILL', 'CLD_EXITED'... */
  readonly code: string;
  /** The sender's pid (kill, tgkill, sigqueue), or the child's (SIGCHLD). */
  readonly ssi_pid: number;
  /** The sender's real uid, or the child's. */
  readonly ssi_uid: number;
  /** The descriptor (SIGIO). */
  readonly ssi_fd: number;
  /** The POSIX timer's id. */
  readonly ssi_tid: number;
  /** The band event (SIGIO). */
  readonly ssi_band: number;
  /** The POSIX timer's overrun count. */
  readonly ssi_overrun: number;
  readonly ssi_trapno: number;
  /** SIGCHLD: the exit code or the signal. */
  readonly ssi_status: number;
  /** The int value sent with sigqueue (or a timer's sigev_value). */
  readonly ssi_int: number;
  /** The pointer value sent with sigqueue. */
  readonly ssi_ptr: bigint;
  /** SIGCHLD: the child's user and system time, in clock ticks. */
  readonly ssi_utime: bigint;
  readonly ssi_stime: bigint;
  /** The faulting address (SIGSEGV, SIGBUS, ...). */
  readonly ssi_addr: bigint;
  readonly ssi_addr_lsb: number;
  /** A seccomp SECCOMP_RET_TRAP: the syscall, its address and AUDIT_ARCH. */
  readonly ssi_syscall: number;
  readonly ssi_call_addr: bigint;
  readonly ssi_arch: number;
}

type Record_ = InstanceType<typeof abi.SignalfdSiginfo>;

/** A SignalfdInfo as a plain object, read from one record. */
function snapshot(v: Record_): SignalfdInfo {
  const signo = v.ssi_signo;
  const code = v.ssi_code;
  return Object.freeze({
    ssi_signo: nameOf(signo), signo, ssi_errno: v.ssi_errno, ssi_code: code, code: codeName(signo, code), ssi_pid: v.ssi_pid,
    ssi_uid: v.ssi_uid, ssi_fd: v.ssi_fd, ssi_tid: v.ssi_tid, ssi_band: v.ssi_band, ssi_overrun: v.ssi_overrun,
    ssi_trapno: v.ssi_trapno, ssi_status: v.ssi_status, ssi_int: v.ssi_int, ssi_ptr: v.ssi_ptr, ssi_utime: v.ssi_utime,
    ssi_stime: v.ssi_stime, ssi_addr: v.ssi_addr, ssi_addr_lsb: v.ssi_addr_lsb, ssi_syscall: v.ssi_syscall,
    ssi_call_addr: v.ssi_call_addr, ssi_arch: v.ssi_arch,
  });
}

let memory: (v: unknown) => Buffer;
let setCount: (v: SignalfdInfos, n: number) => void;

/** The cursor an iteration of SignalfdInfos moves along: getters over the current record's view. */
class Cursor implements SignalfdInfo {
  v!: Record_;
  get ssi_signo(): string { return nameOf(this.v.ssi_signo); }
  get signo(): number { return this.v.ssi_signo; }
  get ssi_errno(): number { return this.v.ssi_errno; }
  get ssi_code(): number { return this.v.ssi_code; }
  get code(): string { return codeName(this.v.ssi_signo, this.v.ssi_code); }
  get ssi_pid(): number { return this.v.ssi_pid; }
  get ssi_uid(): number { return this.v.ssi_uid; }
  get ssi_fd(): number { return this.v.ssi_fd; }
  get ssi_tid(): number { return this.v.ssi_tid; }
  get ssi_band(): number { return this.v.ssi_band; }
  get ssi_overrun(): number { return this.v.ssi_overrun; }
  get ssi_trapno(): number { return this.v.ssi_trapno; }
  get ssi_status(): number { return this.v.ssi_status; }
  get ssi_int(): number { return this.v.ssi_int; }
  get ssi_ptr(): bigint { return this.v.ssi_ptr; }
  get ssi_utime(): bigint { return this.v.ssi_utime; }
  get ssi_stime(): bigint { return this.v.ssi_stime; }
  get ssi_addr(): bigint { return this.v.ssi_addr; }
  get ssi_addr_lsb(): number { return this.v.ssi_addr_lsb; }
  get ssi_syscall(): number { return this.v.ssi_syscall; }
  get ssi_call_addr(): bigint { return this.v.ssi_call_addr; }
  get ssi_arch(): number { return this.v.ssi_arch; }
  toJSON(): object {
    const v = this.v;
    return {
      ...snapshot(v), ssi_ptr: String(v.ssi_ptr), ssi_utime: String(v.ssi_utime), ssi_stime: String(v.ssi_stime),
      ssi_addr: String(v.ssi_addr), ssi_call_addr: String(v.ssi_call_addr),
    };
  }
}

/**
 * A preallocated read buffer of `capacity` struct signalfd_siginfo records (1 to 4096), for signalfdRead to fill;
 * `length` is how many the last read returned.
 *
 * Iterating yields one cursor object moved along the records, whose getters read each field in place: a loop allocates
 * nothing per signal (the bigint fields allocate when read). `at(i)` gives a record as a frozen plain object, to keep.
 * Make one and reuse it across reads: each read overwrites it.
 *
 * @example
 * ```ts
 * const infos = new SignalfdInfos(8);
 * const sfd = signalfd(['usr1', 'usr2'], 'cloexec, nonblock');
 * signalfdRead(sfd, infos);
 * for (const si of infos) console.log(si.ssi_signo, si.ssi_pid, si.code); // SIGUSR1 1234 SI_TKILL
 * ```
 * @see https://man7.org/linux/man-pages/man2/signalfd.2.html
 */
export class SignalfdInfos implements Iterable<SignalfdInfo> {
  readonly #buf: Buffer;
  readonly #views: Record_[];
  #count = 0;

  constructor(capacity: number = 16) {
    const n = int(capacity, 'capacity', 1, MAX_RECORDS);
    const size = abi.SignalfdSiginfo.size;
    this.#buf = alloc(n * size);
    this.#views = [];
    for (let i = 0; i < n; i++) this.#views.push(new abi.SignalfdSiginfo(this.#buf, i * size));
  }

  /** How many records the last read returned. */
  get length(): number { return this.#count; }

  /** How many records it holds. */
  get capacity(): number { return this.#views.length; }

  /** Record i of the last read, as a frozen plain object. */
  at(i: number): SignalfdInfo {
    if (!isInt(i) || i < 0 || i >= this.#count) throw new RangeError(`index must be an integer in [0, ${this.#count}), got ${describe(i)}`);
    return snapshot(this.#views[i]);
  }

  *[Symbol.iterator](): IterableIterator<SignalfdInfo> {
    const c = new Cursor();
    for (let i = 0; i < this.#count; i++) {
      c.v = this.#views[i];
      yield c;
    }
  }

  toJSON(): object[] {
    const out: object[] = [];
    for (const c of this) out.push((c as Cursor).toJSON());
    return out;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SignalfdInfos(${this.#count}/${this.capacity}) ${JSON.stringify(this.toJSON())}`;
  }

  static {
    memory = (v) => {
      if (typeof v !== 'object' || v === null || !(#buf in v)) throw new TypeError(`into must be a SignalfdInfos, got ${describe(v)}`);
      return v.#buf;
    };
    setCount = (v, n) => { v.#count = n; };
  }
}

/**
 * Create a signalfd for the signals of `set` (names, numbers or a SigSet); flags 'cloexec', 'nonblock'. Given an
 * existing signalfd as `fd`, replace its set instead (the flags are then checked, not applied) and return that `fd`.
 *
 * Reading it (signalfdRead) takes the signals of the set pending for the reading thread or the process. It does not
 * block them: block them with sigprocmask first, or they are delivered as usual. It is readable for epoll and poll
 * while one is pending for the thread that polls. Under Node, signals sent to the whole process are not held pending
 * for it (libuv's threads take them: see sigprocmask); those sent to the thread are (tgkill(pid, gettid())).
 *
 * @example
 * ```ts
 * const old = sigprocmask('block', ['usr1']);
 * using sfd = signalfd(['usr1'], 'cloexec, nonblock');
 * tgkill(getpid(), gettid(), 'usr1');
 * signalfdRead(sfd).at(0); // { ssi_signo: 'SIGUSR1', ssi_pid: getpid(), code: 'SI_TKILL', ... }
 * signalfd(['usr1', 'usr2'], 0, sfd); // the same descriptor, now for both
 * sigprocmask('setmask', old);
 * ```
 * @see https://man7.org/linux/man-pages/man2/signalfd.2.html
 */
export function signalfd(set: SignalList | SigSet, how?: Flags): Fd;
export function signalfd(set: SignalList | SigSet, how: Flags, fd: Fd): Fd;
export function signalfd(set: SignalList | SigSet, how: Flags, fd: number): number;
export function signalfd(set: SignalList | SigSet, how: Flags = 0, fd?: FdLike): Fd | number {
  const mask = sigsetMemory(toSigSet(set, 'set'));
  const f = flags(SFD(), 'SFD', 'SFD_', how);
  if (fd === undefined) return new Fd(check(retryFd(() => signalfdCall(-1, mask, f)), CALLS.signalfd));
  const n = fdNum(fd, CALLS.signalfd);
  if (n === -1) throw new RangeError(`${CALLS.signalfd}: fd -1 would make a new signalfd: leave fd out to make one`);
  check(signalfdCall(n, mask, f), CALLS.signalfd);
  return isFd(fd) ? fd : n;
}

/**
 * Read the pending signals of a signalfd into `into` (a SignalfdInfos, reused across reads) or a fresh one of 16
 * records, and return it: iterate it, or take records with `at(i)`. One read(2) takes as many pending signals as fit.
 *
 * With none pending this blocks the calling thread (the event loop, on the main thread) until one comes, unless the
 * signalfd is 'nonblock': then it throws a SyscallError with code 'EAGAIN'. Wait for it with epoll or poll.
 *
 * @example
 * ```ts
 * const sfd = signalfd(['usr2'], 'nonblock');
 * for (const si of signalfdRead(sfd)) console.log(si.ssi_signo, si.ssi_pid, si.ssi_uid);
 * ```
 * @see https://man7.org/linux/man-pages/man2/signalfd.2.html
 */
export function signalfdRead(fd: FdLike, into?: SignalfdInfos): SignalfdInfos {
  const n = fdNum(fd, 'read');
  const infos = into === undefined ? new SignalfdInfos() : into;
  const mem = memory(infos);
  setCount(infos, 0);
  const got = check(raw.read(n, mem, lengthOf(mem)), 'read');
  setCount(infos, Math.floor(got / abi.SignalfdSiginfo.size));
  return infos;
}
