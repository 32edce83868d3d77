// Clocks, sleeps and timers: clock_gettime/settime/getres, clock_nanosleep, nanosleep, gettimeofday, POSIX timers
// (timer_create and friends), interval timers (getitimer/setitimer), adjtimex and clock_adjtime.
//
// Times go in as numbers (seconds, fractional), bigints (nanoseconds), Dates, or struct views, and come back as zero-copy
// views (Timespec, Timeval, Itimerspec, Itimerval) with friendly getters: `ns` (bigint), `seconds` (number), `date`.
// The sleeps block the thread that calls them (the event loop, on the main thread): Promise variants come later.
import { abi, raw } from './core/abi.ts';
import { check, SyscallError } from './core/errors.ts';
import { flags, constant, type Flags } from './core/flags.ts';
import { alloc, int, describe } from './core/args.ts';
import { structArg } from './core/view.ts';
import * as sys from './core/arch.ts';
import * as words from './core/words.ts';

/** A struct view argument of the right class (a TypeError naming it otherwise). */
function viewArg<T>(v: T, cls: abstract new (...a: never[]) => unknown, name: string): T {
  if (!(v instanceof cls)) throw new TypeError(`${name} must be a ${cls.name}, got ${describe(v)}`);
  return v;
}

const { CLOCK, TIMER, ITIMER, SIGEV, SIG, E } = abi;
const NS = 1_000_000_000n;
type KTimespec = InstanceType<typeof abi.Timespec>;
type KTimeval = InstanceType<typeof abi.Timeval>;
type KItimerspec = InstanceType<typeof abi.Itimerspec>;
type KItimerval = InstanceType<typeof abi.Itimerval>;
const INT64_MAX_SEC = 2n ** 63n - 1n;

/** A time: seconds (a number, fractional), nanoseconds (a bigint), a Date (since the epoch), or a time struct view. */
export type TimeLike = number | bigint | Date | KTimespec | KTimeval;
/** A clock: a CLOCK_ name ('monotonic', 'CLOCK_REALTIME') or id (dynamic clocks have negative ids). */
export type Clock = string | number;

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/**
 * A TimeLike as bigint nanoseconds; a TypeError or RangeError names the argument.
 *
 * @example
 * ```ts
 * toNs(1.5); // 1500000000n
 * toNs(new Date(0)); // 0n
 * toNs(clock_gettime('monotonic')); // the same as .ns
 * ```
 */
export function toNs(t: unknown, name = 'time'): bigint {
  let ns: bigint;
  if (typeof t === 'bigint') ns = t;
  else if (typeof t === 'number') {
    if (!Number.isFinite(t)) throw new RangeError(`${name} must be a finite number of seconds, got ${t}`);
    const sec = Math.floor(t);
    ns = BigInt(sec) * NS + BigInt(Math.round((t - sec) * 1e9));
  } else if (t instanceof Date) {
    const ms = t.getTime();
    if (Number.isNaN(ms)) throw new RangeError(`${name} is an invalid Date`);
    ns = BigInt(ms) * 1_000_000n;
  } else if (t instanceof abi.Timespec) ns = t.tv_sec * NS + t.tv_nsec;
  else if (t instanceof abi.Timeval) ns = BigInt(t.tv_sec) * NS + BigInt(t.tv_usec) * 1000n;
  else throw new TypeError(`${name} must be seconds, bigint nanoseconds, a Date or a time struct, got ${describe(t)}`);
  const sec = floorDiv(ns, NS);
  if (sec > INT64_MAX_SEC || sec < -INT64_MAX_SEC - 1n) throw new RangeError(`${name} out of range: ${ns} ns`);
  return ns;
}

/**
 * A time in seconds and nanoseconds (struct __kernel_timespec), with friendly getters: `ns`, `seconds`, `date`.
 *
 * Extends the generated `abi.Timespec`, and keeps its name.
 *
 * @example
 * ```ts
 * const ts = clock_gettime('monotonic');
 * ts.ns; // bigint nanoseconds
 * new Timespec().set(0.25).tv_nsec; // 250000000n
 * ```
 * @see https://man7.org/linux/man-pages/man3type/timespec.3type.html
 */
export class Timespec extends abi.Timespec {
  /** Nanoseconds (tv_sec * 1e9 + tv_nsec). */
  get ns(): bigint { return this.tv_sec * NS + this.tv_nsec; }
  /** Seconds, fractional (a double: nanoseconds are rounded beyond 2^53). */
  get seconds(): number { return Number(this.tv_sec) + Number(this.tv_nsec) / 1e9; }
  /** As a Date (since the epoch), to the millisecond below. */
  get date(): Date { return new Date(Number(floorDiv(this.ns, 1_000_000n))); }
  /** Set it from any TimeLike; returns itself. */
  set(t: TimeLike): this {
    const ns = toNs(t);
    this.tv_sec = floorDiv(ns, NS);
    this.tv_nsec = ns - floorDiv(ns, NS) * NS;
    return this;
  }
}

/**
 * A time in seconds and microseconds (struct __kernel_old_timeval), with friendly getters: `ns`, `seconds`, `date`.
 *
 * Its fields are longs, bigints here on every arch; on 32-bit arches they have 32 bits, and seconds beyond 2038 do not
 * fit (a RangeError when set). Extends the generated `abi.Timeval`, and keeps its name.
 *
 * @example
 * ```ts
 * gettimeofday().date; // now, as a Date
 * new Timeval().set(1.5).tv_usec; // 500000n
 * ```
 * @see https://man7.org/linux/man-pages/man3type/timeval.3type.html
 */
export class Timeval extends abi.Timeval {
  /** Nanoseconds (tv_sec * 1e9 + tv_usec * 1000). */
  get ns(): bigint { return BigInt(this.tv_sec) * NS + BigInt(this.tv_usec) * 1000n; }
  get seconds(): number { return Number(this.tv_sec) + Number(this.tv_usec) / 1e6; }
  get date(): Date { return new Date(Number(floorDiv(this.ns, 1_000_000n))); }
  /** Set it from any TimeLike (nanoseconds truncated to microseconds, downwards); returns itself. */
  set(t: TimeLike): this {
    const us = floorDiv(toNs(t), 1000n);
    this.tv_sec = floorDiv(us, 1_000_000n);
    this.tv_usec = us - floorDiv(us, 1_000_000n) * 1_000_000n;
    return this;
  }
}

/**
 * A timer setting (struct __kernel_itimerspec): `value` (time to the next expiry) and `interval` (the period), as
 * friendly Timespecs.
 *
 * Extends the generated `abi.Itimerspec`, and keeps its name.
 *
 * @example
 * ```ts
 * const its = timer_gettime(t);
 * its.value.seconds; // time left before the next expiry
 * its.interval.ns; // 0n for a one-shot timer
 * ```
 * @see https://man7.org/linux/man-pages/man3type/itimerspec.3type.html
 */
export class Itimerspec extends abi.Itimerspec {
  get value(): Timespec { const v = this.it_value; return new Timespec(v.$buffer, v.$offset); }
  get interval(): Timespec { const v = this.it_interval; return new Timespec(v.$buffer, v.$offset); }
}

/**
 * An interval timer setting (struct __kernel_old_itimerval): `value` and `interval` as friendly Timevals.
 *
 * Extends the generated `abi.Itimerval`, and keeps its name.
 *
 * @example
 * ```ts
 * getitimer('real').value.seconds; // 0 when disarmed
 * ```
 * @see https://man7.org/linux/man-pages/man2/getitimer.2.html
 */
export class Itimerval extends abi.Itimerval {
  get value(): Timeval { const v = this.it_value; return new Timeval(v.$buffer, v.$offset); }
  get interval(): Timeval { const v = this.it_interval; return new Timeval(v.$buffer, v.$offset); }
}

/**
 * The kernel clock's discipline (struct timex), and `state`: what adjtimex or clock_adjtime returned (TIME_OK 0,
 * TIME_INS 1, ..., TIME_ERROR 5).
 *
 * Extends the generated `abi.Timex`, and keeps its name.
 *
 * @example
 * ```ts
 * const tx = adjtimex();
 * tx.state; // 0 (TIME_OK) on a synchronised clock
 * tx.freq; // the frequency offset, scaled ppm
 * ```
 * @see https://man7.org/linux/man-pages/man2/adjtimex.2.html
 */
export class Timex extends abi.Timex {
  state = -1;
}

/**
 * A Timespec from seconds, bigint nanoseconds, a Date or another time struct (into `ts` if given).
 *
 * @example
 * ```ts
 * toTimespec(1.5);                          // tv_sec 1n, tv_nsec 500000000n
 * toTimespec(new Date(0)).ns;               // 0n
 * ```
 * @see https://man7.org/linux/man-pages/man3type/timespec.3type.html
 */
export function toTimespec(t: TimeLike, ts: Timespec = new Timespec()): Timespec {
  return viewArg(ts, Timespec, 'ts').set(t);
}

/**
 * The bigint nanoseconds of a timespec view.
 *
 * @example
 * ```ts
 * fromTimespec(clock_gettime('monotonic')); // 123456789012345n
 * ```
 * @see https://man7.org/linux/man-pages/man3type/timespec.3type.html
 */
export function fromTimespec(ts: KTimespec): bigint {
  if (!(ts instanceof abi.Timespec)) throw new TypeError(`expected a Timespec, got ${describe(ts)}`);
  return ts.tv_sec * NS + ts.tv_nsec;
}

/**
 * A Timeval from seconds, bigint nanoseconds (truncated to microseconds), a Date or another time struct.
 *
 * @example
 * ```ts
 * toTimeval(2.25).tv_usec;                  // 250000n
 * ```
 * @see https://man7.org/linux/man-pages/man3type/timeval.3type.html
 */
export function toTimeval(t: TimeLike, tv: Timeval = new Timeval()): Timeval {
  return viewArg(tv, Timeval, 'tv').set(t);
}

/**
 * The bigint nanoseconds of a timeval view.
 *
 * @example
 * ```ts
 * fromTimeval(gettimeofday());              // 1767225600123456000n
 * ```
 * @see https://man7.org/linux/man-pages/man3type/timeval.3type.html
 */
export function fromTimeval(tv: KTimeval): bigint {
  if (!(tv instanceof abi.Timeval)) throw new TypeError(`expected a Timeval, got ${describe(tv)}`);
  return BigInt(tv.tv_sec) * NS + BigInt(tv.tv_usec) * 1000n;
}

/**
 * An Itimerspec: first expiry after `value`, then every `interval` (0: once).
 *
 * @example
 * ```ts
 * toItimerspec(1, 0.5).interval.ns;         // 500000000n
 * ```
 * @see https://man7.org/linux/man-pages/man3type/itimerspec.3type.html
 */
export function toItimerspec(value: TimeLike, interval: TimeLike = 0, its: Itimerspec = new Itimerspec()): Itimerspec {
  viewArg(its, Itimerspec, 'its');
  its.value.set(value);
  its.interval.set(interval);
  return its;
}

/**
 * An itimerspec's value and interval as bigint nanoseconds.
 *
 * @example
 * ```ts
 * fromItimerspec(timer_gettime(t));         // { value: 9999712345n, interval: 0n }
 * ```
 * @see https://man7.org/linux/man-pages/man3type/itimerspec.3type.html
 */
export function fromItimerspec(its: KItimerspec): { value: bigint; interval: bigint } {
  if (!(its instanceof abi.Itimerspec)) throw new TypeError(`expected an Itimerspec, got ${describe(its)}`);
  return { value: fromTimespec(its.it_value), interval: fromTimespec(its.it_interval) };
}

/**
 * An Itimerval (microseconds) from a value and an interval.
 *
 * @example
 * ```ts
 * toItimerval(0.25).value.tv_usec;          // 250000n
 * ```
 * @see https://man7.org/linux/man-pages/man2/setitimer.2.html
 */
export function toItimerval(value: TimeLike, interval: TimeLike = 0, itv: Itimerval = new Itimerval()): Itimerval {
  viewArg(itv, Itimerval, 'itv');
  itv.value.set(value);
  itv.interval.set(interval);
  return itv;
}

/**
 * An itimerval's value and interval as bigint nanoseconds.
 *
 * @example
 * ```ts
 * fromItimerval(getitimer('virtual'));      // { value: 0n, interval: 0n }
 * ```
 * @see https://man7.org/linux/man-pages/man2/getitimer.2.html
 */
export function fromItimerval(itv: KItimerval): { value: bigint; interval: bigint } {
  if (!(itv instanceof abi.Itimerval)) throw new TypeError(`expected an Itimerval, got ${describe(itv)}`);
  return { value: fromTimeval(itv.it_value), interval: fromTimeval(itv.it_interval) };
}

// ---- arguments ----

function clockId(c: unknown): number {
  if (typeof c !== 'string' && typeof c !== 'number') throw new TypeError(`clock must be a CLOCK_ name or an id, got ${describe(c)}`);
  return int(constant(CLOCK, 'CLOCK', 'CLOCK_', c), 'clock', -(2 ** 31), 2 ** 31 - 1);
}

/** The bytes of a struct view, checked against its buffer; `cls` is the generated class it must be. */
const bytes = (s: unknown, cls: { size: number; name: string; prototype: object }, name: string): Uint8Array => structArg(s, cls, name);

// ---- clocks ----

/**
 * Read a clock (CLOCK_REALTIME by default) into `ts` or a fresh Timespec.
 *
 * @example
 * ```ts
 * clock_gettime('monotonic').ns;            // 123456789012345n
 * clock_gettime().date;                     // now, as a Date
 * ```
 * @see https://man7.org/linux/man-pages/man2/clock_gettime.2.html
 */
export function clock_gettime(clock: Clock = 'realtime', ts: Timespec = new Timespec()): Timespec {
  check(sys.clock_gettime(clockId(clock), bytes(ts, abi.Timespec, 'ts')), 'clock_gettime');
  return ts;
}

/**
 * A clock's resolution.
 *
 * @example
 * ```ts
 * clock_getres('monotonic').ns;             // 1n
 * clock_getres('realtime_coarse').ns;       // 4000000n (a tick)
 * ```
 * @see https://man7.org/linux/man-pages/man2/clock_getres.2.html
 */
export function clock_getres(clock: Clock = 'realtime', ts: Timespec = new Timespec()): Timespec {
  check(sys.clock_getres(clockId(clock), bytes(ts, abi.Timespec, 'ts')), 'clock_getres');
  return ts;
}

/**
 * Set a clock (CLOCK_REALTIME needs CAP_SYS_TIME in the initial user namespace; the monotonic clocks cannot be set).
 *
 * @example
 * ```ts
 * clock_settime('realtime', new Date());    // EPERM without CAP_SYS_TIME
 * clock_settime('monotonic', 0);            // EINVAL
 * ```
 * @see https://man7.org/linux/man-pages/man2/clock_settime.2.html
 */
export function clock_settime(clock: Clock, time: TimeLike): void {
  const id = clockId(clock);
  const ts = toTimespec(time);
  check(sys.clock_settime(id, bytes(ts, Timespec, 'ts')), 'clock_settime');
}

function sleepResult(r: number, rem: Timespec, syscall: string): Timespec {
  if (r === -E.INTR) return rem;
  check(r, syscall);
  return rem.set(0n);
}

/**
 * Sleep on a clock for a relative time, or until an absolute time with 'abstime' (TIMER_ABSTIME).
 *
 * Blocks the calling thread (the event loop, on the main thread). Returns the time left when a signal handler
 * interrupted it (zero when the sleep completed); with 'abstime', the deadline itself, to pass again.
 *
 * @example
 * ```ts
 * clock_nanosleep('monotonic', 0.01);       // 10 ms; returns a zero Timespec
 * const t = clock_gettime('monotonic').ns;
 * clock_nanosleep('monotonic', t + 10_000_000n, 'abstime');
 * ```
 * @see https://man7.org/linux/man-pages/man2/clock_nanosleep.2.html
 */
export function clock_nanosleep(clock: Clock, request: TimeLike, how: Flags = 0): Timespec {
  const id = clockId(clock);
  const f = flags(TIMER, 'TIMER', 'TIMER_', how);
  const req = toTimespec(request);
  if (f & TIMER.ABSTIME) {
    const r = sys.clock_nanosleep(id, f, bytes(req, Timespec, 'req'), null);
    return r === -E.INTR ? req : sleepResult(r, req, 'clock_nanosleep');
  }
  const rem = new Timespec();
  return sleepResult(sys.clock_nanosleep(id, f, bytes(req, Timespec, 'req'), bytes(rem, Timespec, 'rem')), rem, 'clock_nanosleep');
}

/**
 * Sleep for a relative time on CLOCK_MONOTONIC; blocks the calling thread.
 *
 * Returns the time left if a signal handler interrupted it (zero when it completed).
 *
 * @example
 * ```ts
 * nanosleep(0.005).ns;                      // 0n
 * ```
 * @see https://man7.org/linux/man-pages/man2/nanosleep.2.html
 */
export function nanosleep(request: TimeLike): Timespec {
  const req = toTimespec(request);
  const rem = new Timespec();
  return sleepResult(sys.nanosleep(bytes(req, Timespec, 'req'), bytes(rem, Timespec, 'rem')), rem, 'nanosleep');
}

/**
 * The wall-clock time, in microseconds (the time zone argument is obsolete and not offered).
 *
 * @example
 * ```ts
 * gettimeofday().seconds;                   // 1767225600.123456
 * ```
 * @see https://man7.org/linux/man-pages/man2/gettimeofday.2.html
 */
export function gettimeofday(tv: Timeval = new Timeval()): Timeval {
  check(raw.gettimeofday(bytes(tv, abi.Timeval, 'tv'), null), 'gettimeofday');
  return tv;
}

/**
 * Read the kernel clock's discipline (modes 0, the default: read-only) or adjust it (set tx.modes and the fields: needs
 * CAP_SYS_TIME).
 *
 * Returns `tx` with `state`, the clock state (TIME_OK 0 ... TIME_ERROR 5).
 *
 * @example
 * ```ts
 * const tx = adjtimex();                    // tx.tick === 10000n (microseconds per tick), tx.state 0 or 5
 * ```
 * @see https://man7.org/linux/man-pages/man2/adjtimex.2.html
 */
export function adjtimex(tx: Timex = new Timex()): Timex {
  tx.state = check(raw.adjtimex(bytes(tx, abi.Timex, 'tx')), 'adjtimex');
  return tx;
}

/**
 * Read or adjust the discipline of a given clock, as adjtimex does (CLOCK_REALTIME, or an auxiliary or dynamic clock).
 *
 * @example
 * ```ts
 * clock_adjtime('realtime').time.tv_sec;    // now, in seconds
 * ```
 * @see https://man7.org/linux/man-pages/man2/clock_adjtime.2.html
 */
export function clock_adjtime(clock: Clock, tx: Timex = new Timex()): Timex {
  const id = clockId(clock);
  tx.state = check(raw.clock_adjtime(id, bytes(tx, abi.Timex, 'tx')), 'clock_adjtime');
  return tx;
}

// ---- interval timers ----

const itimerWhich = (w: unknown) => {
  if (typeof w !== 'string' && typeof w !== 'number') throw new TypeError(`which must be an ITIMER_ name or number, got ${describe(w)}`);
  return constant(ITIMER, 'ITIMER', 'ITIMER_', w);
};

/**
 * Read an interval timer: 'real' (SIGALRM), 'virtual' (SIGVTALRM, user CPU time), 'prof' (SIGPROF, all CPU time).
 *
 * @example
 * ```ts
 * getitimer('virtual').value.seconds;       // 0 when disarmed
 * ```
 * @see https://man7.org/linux/man-pages/man2/getitimer.2.html
 */
export function getitimer(which: string | number): Itimerval {
  const itv = new Itimerval();
  check(raw.getitimer(itimerWhich(which), bytes(itv, Itimerval, 'itv')), 'getitimer');
  return itv;
}

/**
 * Arm an interval timer (value 0 disarms it); returns the previous setting.
 *
 * Its signal kills Node unless handled (process.on('SIGALRM', ...)).
 *
 * @example
 * ```ts
 * const old = setitimer('virtual', 100);    // SIGVTALRM after 100 s of CPU time
 * setitimer('virtual', old.value, old.interval);
 * ```
 * @see https://man7.org/linux/man-pages/man2/setitimer.2.html
 */
export function setitimer(which: string | number, value: TimeLike, interval: TimeLike = 0): Itimerval {
  const w = itimerWhich(which);
  const itv = toItimerval(value, interval);
  const old = new Itimerval();
  check(raw.setitimer(w, bytes(itv, Itimerval, 'itv'), bytes(old, Itimerval, 'old')), 'setitimer');
  return old;
}

// ---- POSIX timers ----

/** How a POSIX timer notifies its expiry (struct sigevent). */
export interface SigeventSpec {
  /** SIGEV_ name or number: 'none' (the default: read the timer instead), 'signal', 'thread_id'. */
  notify?: string | number;
  /** The signal: a SIG name ('usr1', 'SIGRTMIN') or number. */
  signo?: string | number;
  /** sigev_value: echoed in the signal's siginfo (si_value), never dereferenced by the kernel. */
  value?: number | bigint;
  /** For 'thread_id': the thread (gettid) to signal. */
  tid?: number;
}

/** Timer ids this module handed out, to the Timer that owns each (the collector deletes an unreferenced Timer). */
const timers = new Map<number, { ref: WeakRef<Timer>; token: object }>();
const timerCollector = new FinalizationRegistry<{ id: number; token: object }>(({ id, token }) => {
  if (timers.get(id)?.token === token) {
    timers.delete(id);
    raw.timer_delete(id);
  }
});

/**
 * A POSIX timer, as timer_create returns it: idempotent delete(), `using`, deleted by the garbage collector unless
 * nogc().
 *
 * @example
 * ```ts
 * using timer = timer_create('monotonic');
 * timer.settime(5);
 * timer.gettime().value.seconds; // 4.99...
 * ```
 * @see https://man7.org/linux/man-pages/man2/timer_create.2.html
 */
export class Timer {
  #id: number;
  #token = {};
  #gc = true;

  /** Wrap a timer id; the new Timer owns it. */
  constructor(id: number) {
    this.#id = int(id, 'timer id', 0, 2 ** 31 - 1);
    Timer.forget(id);
    timers.set(id, { ref: new WeakRef(this), token: this.#token });
    timerCollector.register(this, { id, token: this.#token }, this.#token);
  }

  /** The kernel's timer id; -1 once deleted. */
  get id(): number { return this.#id; }
  get deleted(): boolean { return this.#id < 0; }

  settime(value: TimeLike, interval?: TimeLike, how?: Flags): Itimerspec { return timer_settime(this, value, interval, how); }
  gettime(): Itimerspec { return timer_gettime(this); }
  getoverrun(): number { return timer_getoverrun(this); }

  /** Delete it. Idempotent. */
  delete(): void {
    const id = this.#id;
    if (id < 0) return;
    this.#disown();
    check(raw.timer_delete(id), 'timer_delete');
  }

  [Symbol.dispose](): void { this.delete(); }

  /** Do not delete it on garbage collection. */
  nogc(): this {
    if (this.#gc) timerCollector.unregister(this.#token);
    this.#gc = false;
    return this;
  }

  toString(): string { return this.#id < 0 ? 'Timer(deleted)' : `Timer(${this.#id})`; }

  #disown(): void {
    if (timers.get(this.#id)?.token === this.#token) timers.delete(this.#id);
    if (this.#gc) timerCollector.unregister(this.#token);
    this.#id = -1;
  }

  /** Timer id `n` was deleted by other means: whichever Timer owned it forgets it. */
  static forget(n: number): void {
    const owner = timers.get(n)?.ref.deref();
    if (owner) owner.#disown();
    else timers.delete(n);
  }
}

/** A timer argument: a Timer or an id; EINVAL (as the kernel says) for a deleted Timer. */
function timerId(t: unknown, syscall: string): number {
  if (t instanceof Timer) {
    if (t.deleted) throw new SyscallError(E.INVAL, syscall);
    return t.id;
  }
  if (typeof t === 'number') return int(t, 'timer', -(2 ** 31), 2 ** 31 - 1);
  throw new TypeError(`${syscall}: timer must be a Timer or an id, got ${describe(t)}`);
}

/**
 * Create a POSIX timer on a clock (CLOCK_MONOTONIC by default).
 *
 * With the default SIGEV_NONE nothing is delivered: read the timer with timer_gettime. A signal timer's signal kills
 * Node unless handled.
 *
 * @example
 * ```ts
 * using t = timer_create('monotonic');
 * t.settime(10);
 * t.gettime().value.seconds;                // 9.99...
 * ```
 * @see https://man7.org/linux/man-pages/man2/timer_create.2.html
 */
export function timer_create(clock: Clock = 'monotonic', event: SigeventSpec = {}): Timer {
  const id = clockId(clock);
  if (typeof event !== 'object' || event === null) throw new TypeError(`event must be an object, got ${describe(event)}`);
  const sev = new abi.Sigevent();
  sev.sigev_notify = constant(SIGEV, 'SIGEV', 'SIGEV_', event.notify ?? 'none');
  if (event.signo !== undefined) sev.sigev_signo = int(constant(SIG, 'SIG', 'SIG', event.signo), 'signo', 0, 2 ** 31 - 1);
  if (event.value !== undefined) {
    // a pointer-sized field: 32 bits on 32-bit arches (the value is truncated there)
    sev.sigev_value.sival_ptr = words.pointerField(BigInt.asUintN(64, BigInt(int(event.value, 'value', -(2 ** 53), 2 ** 53)))) as bigint;
  }
  if (event.tid !== undefined) sev._sigev_un._tid = int(event.tid, 'tid', 0, 2 ** 31 - 1);
  const out = alloc(4); // timer_t is an int
  check(raw.timer_create(id, bytes(sev, abi.Sigevent, 'sev'), out), 'timer_create');
  return new Timer(words.readI32(out));
}

/**
 * Arm a timer: first expiry after `value` (or at `value` with 'abstime'), then every `interval`; 0 disarms.
 *
 * Returns the previous setting.
 *
 * @example
 * ```ts
 * timer_settime(t, 1, 0.1);                 // in 1 s, then every 100 ms
 * timer_settime(t, 0);                      // disarm
 * ```
 * @see https://man7.org/linux/man-pages/man2/timer_settime.2.html
 */
export function timer_settime(timer: Timer | number, value: TimeLike, interval: TimeLike = 0, how: Flags = 0): Itimerspec {
  const id = timerId(timer, 'timer_settime');
  const f = flags(TIMER, 'TIMER', 'TIMER_', how);
  const its = toItimerspec(value, interval);
  const old = new Itimerspec();
  check(sys.timer_settime(id, f, bytes(its, Itimerspec, 'its'), bytes(old, Itimerspec, 'old')), 'timer_settime');
  return old;
}

/**
 * A timer's time to the next expiry (`value`, relative) and period (`interval`).
 *
 * @example
 * ```ts
 * timer_gettime(t).value.ns;                // 0n when disarmed
 * ```
 * @see https://man7.org/linux/man-pages/man2/timer_gettime.2.html
 */
export function timer_gettime(timer: Timer | number): Itimerspec {
  const its = new Itimerspec();
  check(sys.timer_gettime(timerId(timer, 'timer_gettime'), bytes(its, Itimerspec, 'its')), 'timer_gettime');
  return its;
}

/**
 * How many expiries of a signal timer were lost while its signal was pending (as of the last delivery).
 *
 * @example
 * ```ts
 * timer_getoverrun(t);                      // 0
 * ```
 * @see https://man7.org/linux/man-pages/man2/timer_getoverrun.2.html
 */
export function timer_getoverrun(timer: Timer | number): number {
  return check(raw.timer_getoverrun(timerId(timer, 'timer_getoverrun')), 'timer_getoverrun');
}

/**
 * Delete a timer: a Timer (idempotent) or an id (whichever Timer owned it forgets it).
 *
 * @example
 * ```ts
 * timer_delete(t);
 * ```
 * @see https://man7.org/linux/man-pages/man2/timer_delete.2.html
 */
export function timer_delete(timer: Timer | number): void {
  if (timer instanceof Timer) return timer.delete();
  const id = timerId(timer, 'timer_delete');
  Timer.forget(id);
  check(raw.timer_delete(id), 'timer_delete');
}
