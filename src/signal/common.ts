// What the topic files of the signal domain share: the host's form of the calls select() chooses per arch (src/core/
// arch.ts, the block "signals (src/signal/)"), the signals the library never lets a call block or re-dispose (and
// why), and the names of si_code values. Not part of the public API: index.ts does not re-export this module.
import { abi, raw } from '../core/abi.ts';
import { HOST } from '../core/arch.ts';
import { once, sigRtMin, sigsetBytes, nameOf } from './sigset.ts';

const C = HOST.calls;
/** The syscall behind each operation on the host (for the `syscall` of errors). */
export const CALLS = C;
/** The raw functions by name, for the syscalls only some arches have (raw's type is x86_64's). */
const R = raw as unknown as Readonly<Record<string, (...args: unknown[]) => number>>;

// ---- the calls select() chooses per arch, on the host ----

/** signalfd4, or signalfd (no flags) where an arch had only it: `fd` -1 makes a new descriptor. */
export const signalfd: (fd: number, mask: Uint8Array, flags: number) => number = C.signalfd === 'signalfd4'
  ? (fd, mask, f) => R[C.signalfd](fd, mask, sigsetBytes(), f)
  : (fd, mask, f) => (f === 0 ? R[C.signalfd](fd, mask, sigsetBytes()) : -abi.E.INVAL);

/** rt_sigtimedwait, rt_sigtimedwait_time64 on 32-bit arches: `ts` is a struct __kernel_timespec. */
export const sigtimedwait: (set: Uint8Array, info: Uint8Array, ts: Uint8Array) => number =
  (set, info, ts) => R[C.rt_sigtimedwait](set, info, ts, sigsetBytes());

// ---- signals the library keeps its hands off ----

/**
 * The signals of the thread's own faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP). Blocking one does not hold it
 * back: a fault the thread causes while it is blocked kills the process (the kernel resets it to its default action),
 * where V8's handler (Node's WebAssembly trap handler takes SIGSEGV) would have turned an out-of-bounds access into an
 * exception. So sigprocmask never blocks them.
 */
export const FAULTS = once(() => {
  const SIG = abi.SIG as unknown as Readonly<Record<string, number>>;
  return new Set(['SEGV', 'BUS', 'ILL', 'FPE', 'TRAP'].map((k) => Number(SIG[k])));
});

/**
 * The first two real-time signals, which glibc keeps for itself (SIGCANCEL for pthread_cancel, SIGSETXID for setuid()
 * and friends, which it sends to every thread and waits for): glibc's own sigprocmask never blocks them and its
 * sigaction refuses them, and so does this library. Ignoring or blocking SIGSETXID would make process.setuid() wait
 * for ever.
 */
export const LIBC_RESERVED = once(() => new Set([sigRtMin(), sigRtMin() + 1]));

/** Why a signal may not be blocked, or '' when it may. */
export function whyNotBlock(n: number): string {
  if (FAULTS().has(n)) {
    return `${nameOf(n)} may not be blocked: a fault the thread causes while it is blocked kills the process (the kernel ` +
      'resets it to the default action), where V8 and Node handle it';
  }
  if (LIBC_RESERVED().has(n)) return `${nameOf(n)} (signal ${n}) is reserved by the C library (glibc's SIGCANCEL and SIGSETXID)`;
  return '';
}

// ---- si_code names ----

/** The si_code namespace of a signal's own codes (0 < si_code < 128) and its C prefix. */
const CODES = once(() => {
  const SIG = abi.SIG as unknown as Record<string, number | undefined>;
  const A = abi as unknown as Record<string, Record<string, unknown> | undefined>;
  const table = (ns: string, prefix: string) => {
    const m = new Map<number, string>();
    for (const [k, v] of Object.entries(A[ns] ?? {})) {
      const named = typeof v === 'number' || typeof v === 'bigint';
      if (named && !m.has(Number(v)) && !k.startsWith('PERF_FLAG')) m.set(Number(v), prefix + k);
    }
    return m;
  };
  const bySignal = new Map<number, Map<number, string>>();
  for (const [sig, ns, prefix] of [['ILL', 'ILL', 'ILL_'], ['FPE', 'FPE', 'FPE_'], ['SEGV', 'SEGV', 'SEGV_'], ['BUS', 'BUS', 'BUS_'],
    ['TRAP', 'TRAP', 'TRAP_'], ['CHLD', 'CLD', 'CLD_'], ['IO', 'POLL_CODE', 'POLL_'], ['SYS', 'SYS_CODE', 'SYS_']] as const) {
    const n = SIG[sig];
    if (typeof n === 'number') bySignal.set(n, table(ns, prefix));
  }
  return { si: table('SI', 'SI_'), bySignal };
});

/**
 * The name of an si_code for signal `signo`: SI_USER (kill), SI_TKILL (tgkill), SI_QUEUE, SI_TIMER, SI_KERNEL... for
 * codes of any signal, CLD_EXITED, SEGV_MAPERR, POLL_IN... for a signal's own; the number as a string for one the spec
 * does not name.
 */
export function codeName(signo: number, code: number): string {
  const { si, bySignal } = CODES();
  const own = code > 0 && code < Number(abi.SI.KERNEL) ? bySignal.get(signo)?.get(code) : undefined;
  return own ?? si.get(code) ?? String(code);
}
