// sigaltstack: the alternate signal stack of the calling thread, read only.
//
// Setting one is not offered. The kernel writes a signal frame to that memory whenever a handler flagged SA_ONSTACK
// runs on the thread, at any moment, for as long as the stack is set: memory from JavaScript (a Buffer) would have to
// outlive every such handler and never be touched meanwhile, and nothing in JavaScript can promise that. Replacing or
// disabling the stack another part of the process set would move its handlers onto the thread's own stack, where a
// stack-overflow handler cannot run. (Node 20 sets none on its main thread: measured, SS_DISABLE.)
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { structArg } from '../core/view.ts';
import { once } from './sigset.ts';

/** The alternate signal stack of a thread: where it is, its size, and its state. */
export interface SigAltStack {
  /** ss_sp: its lowest address (0n when none is set). */
  sp: bigint;
  /** ss_size: its size in bytes. */
  size: number;
  /** ss_flags: SS_ONSTACK (1: the thread runs on it now), SS_DISABLE (2: none is set), SS_AUTODISARM. */
  flags: number;
  /** ss_flags by name: 'onstack', 'disable', 'autodisarm'. */
  names: string[];
  /** Whether one is set (SS_DISABLE is not among the flags). */
  enabled: boolean;
}

const SS_BITS = once(() => {
  const out: [string, number][] = [];
  for (const k of ['ONSTACK', 'DISABLE', 'AUTODISARM']) {
    const v = (abi.SS as unknown as Record<string, unknown>)[k];
    if (typeof v === 'number') out.push([k.toLowerCase(), v]);
  }
  return out;
});

/**
 * The alternate signal stack of the calling thread (the JS thread): its address, size and flags ('disable' when none
 * is set, as on Node's main thread).
 *
 * Read only: setting one would hand the kernel memory it writes signal frames to at any moment, which memory from
 * JavaScript cannot promise to keep (see the module's notes); called with arguments it throws a TypeError.
 *
 * @example
 * ```ts
 * sigaltstack(); // { sp: 0n, size: 0, flags: 2, names: [ 'disable' ], enabled: false }
 * ```
 * @see https://man7.org/linux/man-pages/man2/sigaltstack.2.html
 */
export function sigaltstack(...args: never[]): SigAltStack {
  if (args.length > 0) {
    throw new TypeError('sigaltstack only reads the alternate signal stack: setting one from JavaScript is not offered ' +
      '(the kernel would write signal frames to memory the garbage collector owns)');
  }
  const ss = new abi.Sigaltstack();
  check(raw.sigaltstack(null, structArg(ss, abi.Sigaltstack, 'oss')), 'sigaltstack');
  const flags = ss.ss_flags;
  return {
    sp: BigInt(ss.ss_sp),
    size: Number(ss.ss_size),
    flags,
    names: SS_BITS().filter(([, v]) => (flags & v) >>> 0 === v).map(([k]) => k),
    enabled: (flags & Number(abi.SS.DISABLE)) === 0,
  };
}
