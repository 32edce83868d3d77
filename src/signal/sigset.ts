// Signals by name and number, and signal sets laid out as the kernel's sigset_t for the rt_sig* calls, signalfd4,
// ppoll and epoll_pwait. The kernel's sigset_t is not the C library's (glibc's has 1024 bits): it is an array of the
// kernel's unsigned long, _NSIG / 8 bytes, signal s at bit s - 1. _NSIG is SIGRTMAX (64) rounded up to whole 64-bit
// words: 8 bytes on most arches, 16 on mips, whose SIGRTMAX is 127. Both come from the generated ABI (SIG.RTMAX, the
// host's long and byte order), never from a list of arch names.
//
// Names are the kernel's: SIGRTMIN is 32 here, where glibc's SIGRTMIN is 34 or 35 (glibc keeps the first real-time
// signals for itself), as in the rest of the library (kill, tgkill).
import { abi } from '../core/abi.ts';
import { alloc, describe, isInt } from '../core/args.ts';
import { cpuBit } from '../core/words.ts';

/** A signal: a name ('usr1', 'SIGUSR1', 'rtmin+2', 'SIGRTMAX-1') or a number (10). */
export type SignalLike = string | number;

/** What a signal-set argument accepts as a list: signals by name ('usr1', 'SIGTERM') or number. */
export type SignalList = readonly (string | number)[];

import { once } from '../core/lazy.ts';
export { once };

/** The highest signal number: SIGRTMAX (64; 127 on mips). */
export const sigMax = once(() => Number(abi.SIG.RTMAX));
/** The lowest real-time signal, the kernel's SIGRTMIN (32). */
export const sigRtMin = once(() => Number(abi.SIG.RTMIN));

/** Bytes of the kernel's sigset_t (_NSIG / 8): 8, or 16 where there are 128 signals (mips). */
export const sigsetBytes = once(() => Math.ceil(sigMax() / 64) * 8);

/** The names of signal numbers (first name in the spec's order wins: SIGABRT before SIGIOT, SIGIO before SIGPOLL). */
const tables = once(() => {
  const byName = new Map<string, number>();
  const byNumber = new Map<number, string>();
  for (const [k, v] of Object.entries(abi.SIG as unknown as Record<string, unknown>)) {
    if (typeof v !== 'number' && typeof v !== 'bigint') continue;
    const n = Number(v);
    byName.set(k.toUpperCase(), n);
    if (k !== 'RTMIN' && k !== 'RTMAX' && !byNumber.has(n)) byNumber.set(n, `SIG${k.toUpperCase()}`);
  }
  return { byName, byNumber, valid: [...byName.keys()].map((k) => k.toLowerCase()).join(', ') };
});

const RT = /^(?:SIG)?RT(MIN|MAX)(?:\s*([+-])\s*(\d{1,4}))?$/i;
const NUMBERED = /^SIG(\d{1,4})$/i;

/**
 * The number of a signal given by name ('usr1', 'SIGUSR1', 'rtmin+2', 'SIGRTMAX-1', 'SIG7') or number (1 to SIGRTMAX,
 * 64 or 127 on mips); a TypeError names an unknown name or a value of the wrong type, a RangeError a number outside
 * that range (0 is not a signal).
 *
 * @example
 * ```ts
 * signalNumber('usr1'); // 10 on x86_64 and arm (16 on mips, 30 on alpha and sparc)
 * signalNumber('SIGRTMIN+2'); // 34
 * signalNumber(15); // 15
 * ```
 * @see https://man7.org/linux/man-pages/man7/signal.7.html
 */
export function signalNumber(signal: SignalLike): number {
  return toSignal(signal, 'signal');
}

/** signalNumber(), with `name` for the messages (the argument's name). */
export function toSignal(signal: unknown, name: string): number {
  let n: number;
  if (typeof signal === 'number') {
    if (!isInt(signal)) throw new TypeError(`${name} must be a signal name or number, got ${describe(signal)}`);
    n = signal;
  } else if (typeof signal === 'string') {
    const s = signal.trim();
    const rt = RT.exec(s);
    const numbered = rt ? null : NUMBERED.exec(s);
    if (rt) {
      const base = rt[1].toUpperCase() === 'MIN' ? sigRtMin() : sigMax();
      n = rt[2] === undefined ? base : base + (rt[2] === '-' ? -1 : 1) * Number(rt[3]);
      if (n < sigRtMin() || n > sigMax()) {
        throw new RangeError(`${name}: ${signal} is outside the real-time signals SIGRTMIN (${sigRtMin()}) to SIGRTMAX (${sigMax()})`);
      }
    } else if (numbered) {
      n = Number(numbered[1]);
    } else {
      const { byName, valid } = tables();
      let key = s.toUpperCase();
      if (!byName.has(key) && key.startsWith('SIG')) key = key.slice(3);
      const v = byName.get(key);
      if (v === undefined) {
        throw new TypeError(`${name}: unknown signal ${JSON.stringify(signal)} (valid: ${valid}, rtmin+N, rtmax-N, or a number)`);
      }
      n = v;
    }
  } else {
    throw new TypeError(`${name} must be a signal name or number, got ${describe(signal)}`);
  }
  if (n < 1 || n > sigMax()) throw new RangeError(`${name}: signal ${n} out of range [1, ${sigMax()}]`);
  return n;
}

/**
 * The name of a signal number: 'SIGUSR1', 'SIGRTMIN+2', 'SIGRTMAX'; 'SIG<n>' for a number the arch gives no name.
 * A TypeError or RangeError as signalNumber() gives them.
 *
 * @example
 * ```ts
 * signalName(2); // 'SIGINT'
 * signalName('iot'); // 'SIGABRT'
 * signalName(34); // 'SIGRTMIN+2'
 * ```
 * @see https://man7.org/linux/man-pages/man7/signal.7.html
 */
export function signalName(signal: SignalLike): string {
  return nameOf(toSignal(signal, 'signal'));
}

/** The name of a valid signal number (no checks). */
export function nameOf(n: number): string {
  const named = tables().byNumber.get(n);
  if (named !== undefined) return named;
  const lo = sigRtMin();
  const hi = sigMax();
  if (n === lo) return 'SIGRTMIN';
  if (n === hi) return 'SIGRTMAX';
  if (n > lo && n < hi) return `SIGRTMIN+${n - lo}`;
  return `SIG${n}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// SigSet

let bitsOf: (s: SigSet) => Buffer;
let isSigSet: (v: unknown) => v is SigSet;

/**
 * A set of signals, held as the kernel's sigset_t of this arch (the memory the rt_sig* calls, signalfd4, ppoll and
 * epoll_pwait read and write): made from names or numbers, read back as numbers or names.
 *
 * Iterating yields the signal numbers in order. The calls of the signal domain return SigSets (the old mask of
 * sigprocmask, the pending set of sigpending, the mask of a sigaction), and take a SigSet or a plain list wherever
 * they take a set.
 *
 * @example
 * ```ts
 * const set = new SigSet(['usr1', 'SIGUSR2']).add('rtmin+1');
 * set.has('usr1'); // true
 * set.names(); // [ 'SIGUSR1', 'SIGUSR2', 'SIGRTMIN+1' ]
 * [...set]; // [ 10, 12, 33 ]
 * ```
 * @see https://man7.org/linux/man-pages/man3/sigsetops.3.html
 */
export class SigSet implements Iterable<number> {
  readonly #bits: Buffer;

  constructor(signals: SignalList | SigSet = []) {
    this.#bits = alloc(sigsetBytes());
    if (isSigSet(signals)) this.#bits.set(signals.#bits);
    else if (Array.isArray(signals)) {
      const n = signals.length;
      for (let i = 0; i < n; i++) this.#put(toSignal(signals[i], `signals[${i}]`), true);
    } else throw new TypeError(`signals must be an array of signal names or numbers, or a SigSet, got ${describe(signals)}`);
  }

  /** Add signals (names or numbers); returns the set. */
  add(...signals: SignalLike[]): this {
    for (let i = 0; i < signals.length; i++) this.#put(toSignal(signals[i], 'signal'), true);
    return this;
  }

  /** Remove a signal; whether it was in the set. */
  delete(signal: SignalLike): boolean {
    const n = signalNumber(signal);
    const had = this.#get(n);
    this.#put(n, false);
    return had;
  }

  /** Whether a signal is in the set. */
  has(signal: SignalLike): boolean {
    return this.#get(signalNumber(signal));
  }

  /** Remove every signal; returns the set. */
  clear(): this {
    this.#bits.fill(0);
    return this;
  }

  /** How many signals the set holds. */
  get size(): number {
    let n = 0;
    for (let s = 1; s <= sigMax(); s++) if (this.#get(s)) n++;
    return n;
  }

  *[Symbol.iterator](): IterableIterator<number> {
    const max = sigMax();
    for (let s = 1; s <= max; s++) if (this.#get(s)) yield s;
  }

  /** The signal numbers, in order. */
  numbers(): number[] {
    return [...this];
  }

  /** The signal names ('SIGINT', 'SIGRTMIN+1'), in the order of their numbers. */
  names(): string[] {
    const out: string[] = [];
    for (const s of this) out.push(nameOf(s));
    return out;
  }

  /** Whether the set holds exactly the signals of `other` (a SigSet or a list). */
  equals(other: SigSet | SignalList): boolean {
    const o = isSigSet(other) ? other : new SigSet(other);
    return this.#bits.equals(o.#bits);
  }

  toJSON(): string[] {
    return this.names();
  }

  toString(): string {
    return `SigSet(${this.names().join(', ')})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SigSet(${this.size}) ${JSON.stringify(this.names())}`;
  }

  #get(n: number): boolean {
    const [byte, bit] = cpuBit(n - 1);
    return (this.#bits[byte] & (1 << bit)) !== 0;
  }

  #put(n: number, on: boolean): void {
    const [byte, bit] = cpuBit(n - 1);
    if (on) this.#bits[byte] |= 1 << bit;
    else this.#bits[byte] &= ~(1 << bit);
  }

  static {
    bitsOf = (s) => s.#bits;
    isSigSet = (v): v is SigSet => typeof v === 'object' && v !== null && #bits in v;
  }
}

/** A SigSet over a copy of the kernel's bytes (what a call wrote), `sigsetBytes()` of them from `offset`. */
export function sigsetFrom(bytes: Uint8Array, offset = 0): SigSet {
  const s = new SigSet();
  bitsOf(s).set(bytes.subarray(offset, offset + sigsetBytes()));
  return s;
}

/**
 * The kernel's sigset_t for a set argument: a SigSet (its own memory: the kernel only reads it, during the call) or a
 * list of names and numbers (a fresh set); null for null or undefined. A TypeError or RangeError names a bad one.
 */
export function sigsetArg(signals: unknown, name = 'sigmask'): Buffer | null {
  if (signals === undefined || signals === null) return null;
  return bitsOf(toSigSet(signals, name));
}

/** The SigSet of a set argument (a SigSet itself, or one made from a list); a TypeError for anything else. */
export function toSigSet(signals: unknown, name: string): SigSet {
  if (isSigSet(signals)) return signals;
  if (!Array.isArray(signals)) throw new TypeError(`${name} must be an array of signal names or numbers, or a SigSet, got ${describe(signals)}`);
  const set = new SigSet();
  const n = signals.length;
  for (let i = 0; i < n; i++) set.add(toSignal(signals[i], `${name}[${i}]`));
  return set;
}

/** The memory of a SigSet, for the calls. */
export function sigsetMemory(s: SigSet): Buffer {
  return bitsOf(s);
}
