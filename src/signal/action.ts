// sigaction: read a signal's disposition (the default action, ignored, or a handler someone installed), and set the
// default action or ignore, never a handler: a JavaScript function cannot run on a signal stack.
//
// rt_sigaction takes the kernel's own struct sigaction (include/linux/signal_types.h): sa_handler, sa_flags,
// sa_restorer where the arch has SA_RESTORER, and sa_mask last, _NSIG / 8 bytes (mips: sa_flags first, an unsigned
// int). On most arches the UAPI header's struct, which the spec describes, is that one. On i386, arm, m68k, alpha,
// sparc64 and x32 the header's is the C library's older struct (mask second and one word wide, or a 32-bit mask on
// x32), and hppa's header has none: there the kernel would write past the spec's struct, so sigaction refuses to run
// (an Error naming the arch). Which is which is read from the generated layout (sigactionLayout), not from arch names.
import { abi, raw, type ArchAbi } from '../core/abi.ts';
import { alloc, describe } from '../core/args.ts';
import { check } from '../core/errors.ts';
import type { StructClass, View } from '../core/view.ts';
import { SigSet, nameOf, once, signalNumber, sigsetBytes, sigsetFrom, type SignalLike } from './sigset.ts';
import { FAULTS, LIBC_RESERVED } from './common.ts';

/** Where a member is: [offset, size] in bytes. */
export type Span = readonly [offset: number, size: number];

/** The kernel's struct sigaction on an arch, as the spec's layout gives it. */
export interface SigactionLayout {
  readonly size: number;
  readonly handler: Span;
  readonly flags: Span;
  /** sa_restorer, where the arch has SA_RESTORER; null where it has not. */
  readonly restorer: Span | null;
  readonly mask: Span;
}

/**
 * Where member `name` of a generated struct is: the view's own accessor writes a value whose every byte is 0x01 into a
 * zeroed struct (the widest of 8, 4, 2 and 1 bytes the member takes), and the bytes that changed are the member's.
 */
function memberSpan(cls: StructClass, name: string): Span | null {
  const v = new cls() as unknown as Record<string, unknown>;
  if (!(name in v)) return null;
  const cur = v[name];
  const big = [0x0101010101010101n, 0x01010101n, 0x0101n, 0x01n];
  const num = [0x01010101, 0x0101, 0x01];
  const elem = Array.isArray(cur) ? cur[0] : cur;
  const values: unknown[] = typeof elem === 'bigint' ? big : typeof elem === 'number' ? num : [];
  for (const x of values) {
    try {
      v[name] = Array.isArray(cur) ? cur.map(() => x) : x;
      break;
    } catch {
      // too wide for the member: try the next
    }
  }
  const b = (v as unknown as View).$buffer;
  let first = -1;
  let last = -1;
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 0) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? null : [first, last - first + 1];
}

/**
 * The kernel's struct sigaction on arch `a` (any arch of the spec) if the spec's struct sigaction is it, or why not.
 *
 * The kernel's (include/linux/signal_types.h) has a pointer-sized sa_handler, sa_flags, an sa_restorer exactly where
 * the arch defines SA_RESTORER, and sa_mask last, _NSIG / 8 bytes. The C library's older struct that the UAPI headers
 * of i386, arm and m68k define (mask second, one word), alpha's and sparc64's (mask not last) and x32's (a 4-byte
 * mask) fail that test, and hppa has no struct sigaction in the spec.
 */
export function sigactionLayout(a: ArchAbi): SigactionLayout | string {
  const cls = (a as unknown as Record<string, StructClass | undefined>).Sigaction;
  const arch = a.arch.name;
  if (!cls) return `the spec has no struct sigaction for ${arch}`;
  const word = Number(a.arch.types.pointer.size);
  const setBytes = Math.ceil(Number(a.SIG.RTMAX) / 64) * 8;
  const handler = memberSpan(cls, 'sa_handler');
  const flags = memberSpan(cls, 'sa_flags');
  const restorer = memberSpan(cls, 'sa_restorer');
  const mask = memberSpan(cls, 'sa_mask');
  const hasRestorer = typeof (a.SA as unknown as Record<string, unknown>).RESTORER === 'number';
  const header = `the spec's struct sigaction for ${arch} (${cls.size} bytes)`;
  if (!handler || handler[1] !== word) return `${header} has no pointer-sized sa_handler (the C library's struct, with a union)`;
  if (!flags) return `${header} has no sa_flags`;
  if (!mask) return `${header} has no sa_mask`;
  if (mask[1] !== setBytes || mask[0] + mask[1] !== cls.size) {
    return `${header} has sa_mask at offset ${mask[0]}, ${mask[1]} bytes: the kernel's has it last, ${setBytes} bytes ` +
      '(the header describes the C library\'s struct, not the one rt_sigaction takes)';
  }
  if (hasRestorer !== (restorer !== null)) {
    return restorer ? `${header} has an sa_restorer, but the arch has no SA_RESTORER`
      : `${header} has no sa_restorer, but the arch has SA_RESTORER`;
  }
  if (restorer && restorer[1] !== word) return `${header} has an sa_restorer of ${restorer[1]} bytes`;
  return { size: cls.size, handler, flags, restorer, mask };
}

/** The host's kernel struct sigaction, or an Error naming the arch. */
const hostLayout = once(() => sigactionLayout(abi));

function layout(): SigactionLayout {
  const l = hostLayout();
  if (typeof l === 'string') {
    throw new Error(`sigaction is not supported on ${abi.arch.name} yet: ${l}; rt_sigaction would write the kernel's ` +
      'struct over it (the spec needs the kernel\'s struct sigaction for this arch)');
  }
  return l;
}

const LE = abi.arch.endian === 'little';
function readUnsigned(b: Buffer, [off, size]: Span): bigint {
  if (size === 8) return LE ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off);
  if (size === 4) return BigInt(LE ? b.readUInt32LE(off) : b.readUInt32BE(off));
  throw new RangeError(`a member of ${size} bytes`);
}
function writeUnsigned(b: Buffer, [off, size]: Span, v: bigint): void {
  if (size === 8) LE ? b.writeBigUInt64LE(v, off) : b.writeBigUInt64BE(v, off);
  else LE ? b.writeUInt32LE(Number(v), off) : b.writeUInt32BE(Number(v), off);
}

/** SA flags by bit, lowercase ('restorer', 'restart', 'siginfo'...): a value's first name wins (nodefer, resethand). */
const SA_BITS = once(() => {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(abi.SA as unknown as Record<string, unknown>)) {
    if (typeof v !== 'number') continue;
    if (v > 0 && v <= 0xffffffff && ((v & (v - 1)) >>> 0) === 0 && !out.some(([, x]) => x === v)) out.push([k.toLowerCase(), v]);
  }
  return out.sort((x, y) => x[1] - y[1]);
});

/** What is done with a signal: its default action, nothing (ignored), or a handler someone installed. */
export type Disposition = 'default' | 'ignore' | 'handler';

const SIG_DFL = 0n;
const SIG_IGN = 1n;
const TOKEN = Symbol('SigAction');
let bytesOf: (a: SigAction) => Buffer;
let isSigAction: (v: unknown) => v is SigAction;

/**
 * A signal's action as sigaction read it from the kernel: its disposition ('default', 'ignore', or 'handler' when code
 * of the process installed one: Node for SIGINT and SIGTERM, its inspector for SIGUSR1, V8 for SIGSEGV, libuv for the
 * signals `process.on` listens to and SIGCHLD), the handler's address, the flags by name, the mask held during the
 * handler. Only sigaction makes one; passing it back to sigaction for the same signal puts that action back.
 *
 * @example
 * ```ts
 * const pipe = sigaction('pipe');
 * pipe.disposition; // 'ignore': Node ignores SIGPIPE, so writes to a closed pipe fail with EPIPE
 * sigaction('int').disposition; // 'handler' (Node's: it restores the terminal, then ends the process)
 * ```
 * @see https://man7.org/linux/man-pages/man2/rt_sigaction.2.html
 */
export class SigAction {
  readonly #signo: number;
  readonly #bytes: Buffer;

  constructor(token: symbol, signo: number, bytes: Buffer) {
    if (token !== TOKEN) throw new TypeError('a SigAction is made by sigaction(), which reads it from the kernel');
    this.#signo = signo;
    this.#bytes = bytes;
  }

  /** The signal number it was read for. */
  get signo(): number { return this.#signo; }
  /** The signal's name: 'SIGINT'. */
  get signal(): string { return nameOf(this.#signo); }
  /** 'default' (SIG_DFL), 'ignore' (SIG_IGN), or 'handler'. */
  get disposition(): Disposition {
    const h = this.handler;
    return h === SIG_DFL ? 'default' : h === SIG_IGN ? 'ignore' : 'handler';
  }
  /** sa_handler: 0n (SIG_DFL), 1n (SIG_IGN), or the handler's address. */
  get handler(): bigint { return readUnsigned(this.#bytes, layout().handler); }
  /** sa_flags (SA_RESTORER, SA_RESTART, SA_SIGINFO, ...). */
  get flags(): number { return Number(BigInt.asUintN(32, readUnsigned(this.#bytes, layout().flags))); }
  /** sa_flags by name: 'restorer', 'restart', 'siginfo', 'onstack', 'nodefer', 'resethand'... */
  get flagNames(): string[] {
    const f = this.flags;
    return SA_BITS().filter(([, v]) => (f & v) >>> 0 === v).map(([k]) => k);
  }
  /** sa_mask: the signals blocked while the handler runs. */
  get mask(): SigSet { return sigsetFrom(this.#bytes, layout().mask[0]); }
  /** sa_restorer: the C library's return trampoline (null where the arch has none). */
  get restorer(): bigint | null {
    const r = layout().restorer;
    return r ? readUnsigned(this.#bytes, r) : null;
  }

  toJSON(): object {
    const r = this.restorer;
    return {
      signal: this.signal, disposition: this.disposition, handler: `0x${this.handler.toString(16)}`, flags: this.flagNames,
      mask: this.mask.names(), ...(r === null ? {} : { restorer: `0x${r.toString(16)}` }),
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SigAction ${JSON.stringify(this.toJSON())}`;
  }

  static {
    bytesOf = (a) => a.#bytes;
    isSigAction = (v): v is SigAction => typeof v === 'object' && v !== null && #bytes in v;
  }
}

/** What sigaction sets: the default action, ignore, or a SigAction read earlier for the same signal. */
export type SigActionLike = 'default' | 'ignore' | 'SIG_DFL' | 'SIG_IGN' | SigAction;

/** rt_sigaction(sig, act, old): the old action. */
function call(n: number, act: Buffer | null): SigAction {
  const old = alloc(layout().size);
  check(raw.rt_sigaction(n, act, old, sigsetBytes()), 'rt_sigaction');
  return new SigAction(TOKEN, n, old);
}

/**
 * Read a signal's action (no `action`), or set it to its default action ('default', SIG_DFL) or to be ignored
 * ('ignore', SIG_IGN), or put back a SigAction read earlier for the same signal; returns the action it had.
 *
 * Only the default action and ignore can be set: a handler would be native code run on a signal stack, which a
 * JavaScript function is not (listen with `process.on(signal)`, or take signals with a signalfd or rt_sigtimedwait).
 * The action is the process's, shared by all its threads. What the library refuses, because the process relies on it:
 * replacing a handler another part of the process installed (an Error: Node's for SIGINT and SIGTERM, the inspector's
 * SIGUSR1, V8's SIGSEGV, libuv's for SIGCHLD and the signals `process.on` listens to); the default action for SIGPIPE
 * and SIGXFSZ (Node ignores them so that writes fail with EPIPE and EFBIG instead of ending the process), ignoring
 * SIGCHLD (the kernel would reap children itself, and child_process would never learn how they ended), any change to
 * SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP, and to glibc's two real-time signals (RangeErrors). SIGKILL and SIGSTOP
 * cannot be changed (EINVAL).
 *
 * Only where the spec's struct sigaction is the kernel's (x86_64, aarch64, ppc64le, riscv64, s390x, mips, ...): on
 * i386, arm, m68k, alpha, sparc64, x32 and hppa it throws an Error naming the arch.
 *
 * @example
 * ```ts
 * sigaction('usr2').disposition; // 'default'
 * const old = sigaction('usr2', 'ignore');
 * try {
 *   kill(getpid(), 'usr2'); // ignored: the process goes on
 * } finally {
 *   sigaction('usr2', old); // back to the default action
 * }
 * ```
 * @see https://man7.org/linux/man-pages/man2/sigaction.2.html
 * @see https://man7.org/linux/man-pages/man2/rt_sigaction.2.html
 */
export function sigaction(signal: SignalLike, action?: SigActionLike): SigAction {
  const n = signalNumber(signal);
  const L = layout();
  if (action === undefined) return call(n, null);
  let act: Buffer;
  if (isSigAction(action)) {
    if (action.signo !== n) throw new RangeError(`sigaction: the action was read for ${action.signal}, not ${nameOf(n)}`);
    if (action.disposition === 'handler') {
      throw new TypeError(`sigaction: only 'default' or 'ignore' can be set, and this SigAction of ${action.signal} ` +
        'has a handler');
    }
    act = bytesOf(action);
  } else if (typeof action === 'string' && /^(default|sig_dfl|ignore|sig_ign)$/i.test(action.trim())) {
    act = alloc(L.size);
    writeUnsigned(act, L.handler, /^(default|sig_dfl)$/i.test(action.trim()) ? SIG_DFL : SIG_IGN);
  } else {
    throw new TypeError(`action must be 'default', 'ignore' or a SigAction that sigaction returned, got ${describe(action)}`);
  }
  const handler = readUnsigned(act, L.handler);
  if (FAULTS().has(n)) throw new RangeError(`sigaction: ${nameOf(n)} is left as it is: V8 and Node handle the thread's faults`);
  if (LIBC_RESERVED().has(n)) {
    throw new RangeError(`sigaction: signal ${n} (${nameOf(n)}) is reserved by the C library (glibc's SIGCANCEL and SIGSETXID)`);
  }
  if (handler === SIG_IGN && n === abi.SIG.CHLD) {
    throw new RangeError('sigaction: SIGCHLD is not ignored: the kernel would then reap children itself, and ' +
      'child_process (libuv\'s waitpid) would never learn how they ended');
  }
  if (handler === SIG_DFL && (n === abi.SIG.PIPE || n === abi.SIG.XFSZ)) {
    throw new RangeError(`sigaction: ${nameOf(n)} stays ignored: Node ignores it so that a write fails (EPIPE, EFBIG) ` +
      'instead of ending the process');
  }
  const now = call(n, null);
  if (now.disposition === 'handler') {
    const at = now.handler.toString(16);
    throw new Error(`sigaction: ${nameOf(n)} has a handler another part of the process installed (at 0x${at}: Node's, ` +
      'V8\'s or libuv\'s); it is left in place');
  }
  return call(n, act);
}
