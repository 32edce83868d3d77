// rt_sigtimedwait: take a pending signal of a set, waiting for one up to a timeout, and decode its siginfo_t (the
// generated view of the arch's struct siginfo: si_code and si_errno are swapped on mips, the union is laid out with the
// arch's longs and pointers). rt_sigtimedwait_time64 on 32-bit arches, chosen by select().
import { abi } from '../core/abi.ts';
import { describe } from '../core/args.ts';
import { check } from '../core/errors.ts';
import { structArg } from '../core/view.ts';
import { Timespec, toNs } from '../time.ts';
import { SigSet, nameOf, sigsetMemory, toSigSet, type SignalList } from './sigset.ts';
import { CALLS, codeName, sigtimedwait } from './common.ts';

/** Which member of siginfo_t's union a siginfo uses: chosen by the kernel from its signal and code. */
export type SiginfoLayout = 'kill' | 'timer' | 'rt' | 'chld' | 'fault' | 'poll' | 'sys';

/**
 * A siginfo_t, decoded: the signal, its code, and the fields of the union member its signal and code use (`layout`):
 * pid and uid of a sender (kill, rt, chld), the child's status and times (chld), the value of sigqueue or a timer
 * (rt, timer), the fault address (fault), the band and fd (poll), the syscall of a seccomp trap (sys).
 */
export interface SigInfo {
  /** The signal number. */
  signo: number;
  /** Its name: 'SIGUSR1'. */
  signal: string;
  /** si_code: who sent it or why (SI_USER 0 from kill, SI_TKILL -6 from tgkill, SI_QUEUE -1, CLD_EXITED 1, ...). */
  code: number;
  /** si_code by name: 'SI_USER', 'SI_TKILL', 'CLD_EXITED', 'SEGV_MAPERR'... */
  codeName: string;
  /** si_errno (0 almost always). */
  errno: number;
  /** The union member the kernel filled. */
  layout: SiginfoLayout;
  /** The sender's pid (kill, rt), or the child's (chld). */
  pid?: number;
  /** The sender's real uid (kill, rt), or the child's (chld). */
  uid?: number;
  /** SIGCHLD: the exit code (CLD_EXITED) or the signal (otherwise). */
  status?: number;
  /** SIGCHLD: the child's user and system time, in clock ticks. */
  utime?: bigint;
  stime?: bigint;
  /** The value sent with sigqueue, or a timer's sigev_value: as an int and as a pointer-sized integer. */
  value?: { int: number; ptr: bigint };
  /** A POSIX timer's id and overrun count (timer). */
  timerid?: number;
  overrun?: number;
  /** The faulting address (fault). */
  addr?: bigint;
  /** The band event and descriptor (poll: SIGIO). */
  band?: bigint;
  fd?: number;
  /** The trapped syscall's address, number and AUDIT_ARCH (sys: a seccomp SECCOMP_RET_TRAP). */
  callAddr?: bigint;
  syscall?: number;
  arch?: number;
}

/** The union member of a siginfo for signal `signo` and code `code`, as the kernel's siginfo_layout() chooses it. */
export function siginfoLayout(signo: number, code: number): SiginfoLayout {
  const SIG = abi.SIG as unknown as Record<string, number | undefined>;
  const SI = abi.SI;
  if (code > 0 && code < Number(SI.KERNEL)) {
    if ([SIG.ILL, SIG.FPE, SIG.SEGV, SIG.BUS, SIG.TRAP].includes(signo)) return 'fault';
    if (signo === SIG.CHLD) return 'chld';
    if (signo === SIG.SYS) return 'sys';
    // SIGIO's own codes, and (the kernel's rule) any other signal's codes up to NSIGPOLL (6)
    return signo === SIG.IO || code <= 6 ? 'poll' : 'kill';
  }
  if (code === Number(SI.TIMER)) return 'timer';
  if (code === Number(SI.SIGIO)) return 'poll';
  if (code < 0) return 'rt';
  return 'kill';
}

/** Decode a siginfo_t view (the generated struct of the arch). */
export function decodeSiginfo(v: InstanceType<typeof abi.Siginfo>): SigInfo {
  const signo = v.si_signo;
  const code = v.si_code;
  const layout = siginfoLayout(signo, code);
  const info: SigInfo = { signo, signal: nameOf(signo), code, codeName: codeName(signo, code), errno: v.si_errno, layout };
  const f = v._sifields;
  const value = (sv: InstanceType<typeof abi.Sigval>) => ({ int: sv.sival_int, ptr: BigInt(sv.sival_ptr) });
  switch (layout) {
    case 'kill': {
      const k = f._kill;
      info.pid = k._pid;
      info.uid = k._uid;
      break;
    }
    case 'rt': {
      const r = f._rt;
      info.pid = r._pid;
      info.uid = r._uid;
      info.value = value(r._sigval);
      break;
    }
    case 'timer': {
      const t = f._timer;
      info.timerid = t._tid;
      info.overrun = t._overrun;
      info.value = value(t._sigval);
      break;
    }
    case 'chld': {
      const c = f._sigchld;
      info.pid = c._pid;
      info.uid = c._uid;
      info.status = c._status;
      info.utime = BigInt(c._utime);
      info.stime = BigInt(c._stime);
      break;
    }
    case 'fault':
      info.addr = BigInt(f._sigfault._addr);
      break;
    case 'poll': {
      const p = f._sigpoll;
      info.band = BigInt(p._band);
      info.fd = p._fd;
      break;
    }
    case 'sys': {
      const s = f._sigsys;
      info.callAddr = BigInt(s._call_addr);
      info.syscall = s._syscall;
      info.arch = s._arch >>> 0;
      break;
    }
  }
  return info;
}

/** A relative timeout for rt_sigtimedwait: seconds (a number, fractional), bigint nanoseconds, or a Timespec. */
export type SigwaitTimeout = number | bigint | InstanceType<typeof abi.Timespec>;

/**
 * Take a pending signal of `set` (names, numbers or a SigSet), waiting for one up to `timeout` (seconds, bigint
 * nanoseconds or a Timespec; 0 only looks), and return its decoded siginfo (signo, signal name, code, pid, uid...);
 * null when none came in time (EAGAIN).
 *
 * The signals of the set should be blocked (sigprocmask): one that is not is delivered as usual when it comes at
 * another moment. A signal taken is not delivered. The wait blocks the calling thread (the event loop, on the main
 * thread), which is why the timeout is required: without one, the thread would wait until a signal of the set came, for
 * ever if none does, and nothing in JavaScript (no timer, no I/O callback) could run meanwhile to send one or give up.
 * A handler that runs on this thread meanwhile (for a signal it does not block) ends the wait with a SyscallError, code
 * 'EINTR'.
 *
 * Under Node, what it can take for sure is what is sent to the calling thread (tgkill). A signal sent to the whole
 * process while it waits is usually its too (the kernel unblocks the set for the wait and prefers the main thread), but
 * another thread that handles a signal at that moment takes it first: libuv's, for the SIGCHLD of a sender that exits
 * right after its kill (measured: half the runs; see sigprocmask's notes). At other times such a signal goes to another
 * thread, blocked here or not.
 *
 * @example
 * ```ts
 * const old = sigprocmask('block', ['usr2']);
 * try {
 *   tgkill(getpid(), gettid(), 'usr2');
 *   rt_sigtimedwait(['usr2'], 1); // { signal: 'SIGUSR2', codeName: 'SI_TKILL', pid: getpid(), ... }
 *   rt_sigtimedwait(['usr2'], 0.01); // null after 10 ms: nothing pending
 * } finally {
 *   sigprocmask('setmask', old);
 * }
 * ```
 * @see https://man7.org/linux/man-pages/man2/rt_sigtimedwait.2.html
 */
export function rt_sigtimedwait(set: SignalList | SigSet, timeout: SigwaitTimeout): SigInfo | null {
  const s = toSigSet(set, 'set');
  if (timeout === undefined || timeout === null) {
    throw new TypeError('rt_sigtimedwait: a timeout is required (seconds, bigint nanoseconds or a Timespec; 0 only looks): ' +
      'without one the calling thread, the event loop on the main thread, would wait for a signal for ever');
  }
  if (timeout instanceof Date) throw new TypeError('timeout must be relative: seconds, bigint nanoseconds or a Timespec, not a Date');
  if (typeof timeout !== 'number' && typeof timeout !== 'bigint' && !(timeout instanceof abi.Timespec)) {
    throw new TypeError(`timeout must be seconds, bigint nanoseconds or a Timespec, got ${describe(timeout)}`);
  }
  const ns = toNs(timeout, 'timeout');
  if (ns < 0n) throw new RangeError(`timeout must not be negative, got ${ns} ns`);
  const ts = new Timespec().set(ns);
  const info = new abi.Siginfo();
  const r = sigtimedwait(sigsetMemory(s), structArg(info, abi.Siginfo, 'info'), structArg(ts, abi.Timespec, 'timeout'));
  if (r === -abi.E.AGAIN) return null;
  check(r, CALLS.rt_sigtimedwait);
  return decodeSiginfo(info);
}
