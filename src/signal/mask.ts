// The signal mask of the calling thread, and the signals pending for it: rt_sigprocmask and rt_sigpending.
//
// What a mask means under Node (measured on Node 20.20 / Linux 6.18, x86_64, in /proc/self/task/*/status and with the
// kernel's signal_generate / signal_deliver trace events): a Node process has about a dozen threads. rt_sigprocmask
// changes the mask of the thread that calls it, here the JS thread (the main thread, or the Worker that calls it); the
// others keep theirs: V8's platform workers block SIGUSR1 only, Node's inspector thread blocks every signal, and
// libuv's threadpool threads block none.
//
// - A signal sent to the thread itself (tgkill(pid, gettid()): the main thread's tid is the pid; a timer with
//   SIGEV_THREAD_ID; pidfd_send_signal with 'signal_thread') waits in that thread's own queue while the thread blocks
//   it: sigpending(), a signalfd read on that thread and rt_sigtimedwait see it, and no other thread can take it.
// - A signal sent to the process as a whole (kill(pid), kill(1) from a shell, the terminal's ^C, SIGCHLD) waits in the
//   process's queue, and the kernel wakes any thread that does not block it to take it: blocking it on the JS thread
//   alone does not hold it back. It is handled on a threadpool thread at once, or, with its default action, ends the
//   process (a blocked SIGUSR2 sent with kill did, every time). It never shows as pending.
// - While the JS thread waits in rt_sigtimedwait, the kernel unblocks the set for the wait and prefers the thread whose
//   tid is the pid, so a process-wide signal of the set that comes meanwhile is usually its. Not always: any other
//   thread that handles a signal at that moment takes the lowest-numbered signal in the process's queue that it does
//   not block, ours included. A sender that exits right after kill(1) brings a SIGCHLD, which libuv handles on another
//   thread when Node has children: `sh -c 'kill -USR2 <pid>'` spawned by the waiting process killed it in 10 of 20
//   runs; a sender that lived on after its kill was taken by rt_sigtimedwait in 20 of 20.
//
// So under Node, take signals sent to the JS thread (tgkill), and use `process.on(signal)` for signals sent to the
// process: libuv's handler works on whichever thread the kernel picks.
import { abi, raw } from '../core/abi.ts';
import { describe } from '../core/args.ts';
import { check } from '../core/errors.ts';
import { constant } from '../core/flags.ts';
import { SigSet, sigsetBytes, sigsetMemory, toSigSet, type SignalList } from './sigset.ts';
import { whyNotBlock } from './common.ts';

/** How sigprocmask changes the mask: 'block' (add the set), 'unblock' (remove it), 'setmask' (replace the mask). */
export type SigHow = 'block' | 'unblock' | 'setmask' | 'SIG_BLOCK' | 'SIG_UNBLOCK' | 'SIG_SETMASK';

/**
 * Change the signal mask of the calling thread ('block' adds `set` to it, 'unblock' removes it, 'setmask' replaces it),
 * and return the mask it had; without arguments, return the mask unchanged.
 *
 * The calling thread is the JS thread (the main thread, or the Worker that calls it); Node's other threads keep their
 * masks (measured: V8's workers block SIGUSR1, the inspector's thread everything, libuv's threadpool nothing). A signal
 * sent to the whole process (kill(pid), a shell's kill, ^C, SIGCHLD) goes to any thread that does not block it:
 * blocking it here does not hold it back, and a signal whose default action is to terminate still ends the process when
 * it arrives (for those, listen with `process.on(signal)`). What the mask does hold pending is a signal sent to this
 * thread (tgkill(pid, gettid())): sigpending(), a signalfd read on this thread, and rt_sigtimedwait see it. Put the old
 * mask back when done (in a `finally`), after taking what is pending: unblocking delivers it.
 *
 * SIGKILL and SIGSTOP cannot be blocked (the kernel drops them from the mask). SIGSEGV, SIGBUS, SIGILL, SIGFPE and
 * SIGTRAP (a fault while one is blocked kills the process), and the first two real-time signals (glibc's SIGCANCEL
 * and SIGSETXID) are refused with a RangeError.
 *
 * @example
 * ```ts
 * const old = sigprocmask('block', ['usr1']);
 * try {
 *   tgkill(getpid(), gettid(), 'usr1'); // pending for this thread, not delivered
 *   sigpending().has('usr1'); // true
 *   rt_sigtimedwait(['usr1'], 0); // taken: not delivered when the mask is put back
 * } finally {
 *   sigprocmask('setmask', old);
 * }
 * ```
 * @see https://man7.org/linux/man-pages/man2/sigprocmask.2.html
 * @see https://man7.org/linux/man-pages/man2/rt_sigprocmask.2.html
 */
export function sigprocmask(how?: SigHow, set?: SignalList | SigSet): SigSet {
  const old = new SigSet();
  if (how === undefined) {
    if (set !== undefined) throw new TypeError('sigprocmask: a set needs a how (\'block\', \'unblock\' or \'setmask\')');
    check(raw.rt_sigprocmask(0, null, sigsetMemory(old), sigsetBytes()), 'rt_sigprocmask');
    return old;
  }
  if (typeof how !== 'string') throw new TypeError(`how must be 'block', 'unblock' or 'setmask', got ${describe(how)}`);
  const h = howArg(how);
  if (set === undefined) throw new TypeError(`sigprocmask: '${how}' needs a set of signals`);
  const s = toSigSet(set, 'set');
  if (h !== abi.SIG_HOW.UNBLOCK) {
    for (const n of s) {
      const why = whyNotBlock(n);
      if (why) throw new RangeError(`sigprocmask: ${why}`);
    }
  }
  check(raw.rt_sigprocmask(h, sigsetMemory(s), sigsetMemory(old), sigsetBytes()), 'rt_sigprocmask');
  return old;
}

function howArg(how: string): number {
  const HOW = abi.SIG_HOW as unknown as Readonly<Record<string, number>>;
  try {
    return constant(HOW, 'SIG_HOW', 'SIG_', how);
  } catch {
    throw new TypeError(`how must be 'block', 'unblock' or 'setmask', got ${JSON.stringify(how)}`);
  }
}

/**
 * The signals pending for the calling thread, among those it blocks: sent to it (tgkill), or to the process while no
 * thread could take them.
 *
 * Under Node a signal sent to the whole process is rarely pending: libuv's threadpool threads block nothing, and the
 * kernel gives it to one of them (see sigprocmask).
 *
 * @example
 * ```ts
 * const old = sigprocmask('block', ['usr2']);
 * tgkill(getpid(), gettid(), 'usr2');
 * sigpending().names(); // [ 'SIGUSR2' ]
 * rt_sigtimedwait(['usr2'], 0); // take it before unblocking: its default action ends the process
 * sigprocmask('setmask', old);
 * ```
 * @see https://man7.org/linux/man-pages/man2/sigpending.2.html
 * @see https://man7.org/linux/man-pages/man2/rt_sigpending.2.html
 */
export function sigpending(): SigSet {
  const set = new SigSet();
  check(raw.rt_sigpending(sigsetMemory(set), sigsetBytes()), 'rt_sigpending');
  return set;
}
