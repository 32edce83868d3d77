// Clocks, sleeps and timers, each checked by its effect: clocks agree with Node's own, sleeps take their time, timers
// count down. Nothing here changes the host's clock: clock_settime and adjtimex adjustments are checked only where the
// kernel refuses them (a monotonic clock; a child in a new user namespace, without CAP_SYS_TIME in the initial one).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SyscallError, abi } from '../src/index.ts';
import {
  clock_gettime, clock_getres, clock_settime, clock_nanosleep, nanosleep, gettimeofday, adjtimex, clock_adjtime,
  timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete, getitimer, setitimer, Timer,
  Timespec, Timeval, Itimerspec, Itimerval, Timex, toNs, toTimespec, fromTimespec, toTimeval, fromTimeval,
  toItimerspec, fromItimerspec, toItimerval, fromItimerval,
} from '../src/time.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TIME = JSON.stringify(join(ROOT, 'src', 'time.ts'));
const ABI = JSON.stringify(join(ROOT, 'src', 'core', 'abi.ts'));

function child(code: string, wrapper: string[] = []) {
  const [cmd, ...pre] = [...wrapper, process.execPath];
  const r = spawnSync(cmd, [...pre, '--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT, encoding: 'utf8', timeout: 60_000,
  });
  return { status: r.status, signal: r.signal, out: r.stdout.trim(), err: r.stderr };
}

const hz = () => 1_000_000_000n / clock_getres('realtime_coarse').ns; // ticks per second

test('clock_gettime: CLOCK_MONOTONIC is the clock of process.hrtime, CLOCK_REALTIME the clock of Date.now', (t) => {
  const a = process.hrtime.bigint();
  const ts = clock_gettime('monotonic');
  const b = process.hrtime.bigint();
  t.true(ts instanceof Timespec);
  t.true(a <= ts.ns && ts.ns <= b);
  const before = Date.now();
  const now = clock_gettime();
  const after = Date.now();
  t.true(before <= now.date.getTime() && now.date.getTime() <= after);
  t.true(Math.abs(now.seconds - after / 1000) < 1);
  t.is(clock_gettime('CLOCK_MONOTONIC', ts), ts); // reuse a Timespec
  t.true(ts.ns >= b);
  t.true(clock_gettime(abi.CLOCK.PROCESS_CPUTIME_ID).ns > 0n); // this process has used some CPU
  t.throws(() => clock_gettime(999), { instanceOf: SyscallError, code: 'EINVAL', message: /clock_gettime/ });
  t.throws(() => clock_gettime('sundial'), { instanceOf: TypeError, message: /unknown CLOCK flag 'sundial'/ });
  t.throws(() => clock_gettime({} as never), { instanceOf: TypeError });
  t.throws(() => clock_gettime('monotonic', new abi.Timeval() as never), { instanceOf: TypeError, message: /ts must be a Timespec/ });
});

test('clock_getres: high-resolution clocks tick in nanoseconds, coarse ones once per jiffy', (t) => {
  t.is(clock_getres('monotonic').ns, 1n);
  t.is(clock_getres().ns, 1n);
  const coarse = clock_getres('monotonic_coarse').ns;
  t.true([100n, 250n, 300n, 1000n].includes(1_000_000_000n / coarse), `HZ = ${1_000_000_000n / coarse}`);
});

test('clock_settime: a monotonic clock cannot be set (EINVAL); bad times are refused before the kernel', (t) => {
  const err = t.throws(() => clock_settime('monotonic', clock_gettime('monotonic')), { instanceOf: SyscallError })!;
  t.is(err.code, 'EINVAL');
  t.is(err.syscall, 'clock_settime');
  // (on the monotonic clock: even if a check let one through, the kernel could not set that clock)
  t.throws(() => clock_settime('monotonic', NaN), { instanceOf: RangeError });
  t.throws(() => clock_settime('monotonic', new Date('nope')), { instanceOf: RangeError, message: /invalid Date/ });
  t.throws(() => clock_settime('monotonic', 2n ** 100n), { instanceOf: RangeError, message: /out of range/ });
  t.throws(() => clock_settime('monotonic', '12:00' as never), { instanceOf: TypeError });
});

test('clock_settime(CLOCK_REALTIME) and adjtimex adjustments: EPERM without CAP_SYS_TIME (child in a new user namespace)', (t) => {
  // root of a new user namespace has no CAP_SYS_TIME over the host's clock; the values asked for are the current ones
  const r = child(`
    import { clock_settime, clock_gettime, adjtimex, Timex } from ${TIME};
    const out = [];
    try { clock_settime('realtime', clock_gettime('realtime')); out.push('set'); } catch (e) { out.push(e.code); }
    const tx = adjtimex();
    tx.modes = 0x4000; // ADJ_TICK, to the current tick
    try { adjtimex(tx); out.push('adjusted'); } catch (e) { out.push(e.code); }
    console.log(out.join(' '));
  `, ['unshare', '--user', '--map-root-user']);
  t.is(r.status, 0, r.err);
  t.is(r.out, 'EPERM EPERM');
});

test('nanosleep: sleeps at least as long as asked, and returns a zero remainder', (t) => {
  const a = process.hrtime.bigint();
  const rem = nanosleep(0.02);
  const slept = process.hrtime.bigint() - a;
  t.true(slept >= 20_000_000n, `slept ${slept} ns`);
  t.is(rem.ns, 0n);
  t.is(nanosleep(1_000_000n).ns, 0n);
  t.throws(() => nanosleep(-1), { code: 'EINVAL' });
});

test('clock_nanosleep: relative, and until an absolute deadline (TIMER_ABSTIME)', (t) => {
  const a = process.hrtime.bigint();
  t.is(clock_nanosleep('monotonic', 0.01).ns, 0n);
  t.true(process.hrtime.bigint() - a >= 10_000_000n);
  const deadline = clock_gettime('monotonic').ns + 30_000_000n;
  const r = clock_nanosleep('monotonic', deadline, 'abstime');
  t.true(clock_gettime('monotonic').ns >= deadline);
  t.is(r.ns, 0n);
  // a deadline in the past returns at once
  const b = process.hrtime.bigint();
  clock_nanosleep('realtime', new Date(0), abi.TIMER.ABSTIME);
  t.true(process.hrtime.bigint() - b < 1_000_000_000n);
  t.throws(() => clock_nanosleep('monotonic', 0.001, 'absolute'), { instanceOf: TypeError, message: /unknown TIMER flag/ });
  t.throws(() => clock_nanosleep(999, 0.001), { code: 'EINVAL' });
  t.throws(() => clock_nanosleep('thread_cputime_id', 0.001), { code: 'EOPNOTSUPP' });
});

test('sleeps interrupted by a signal handler return what is left; setitimer(ITIMER_REAL) sends SIGALRM (child)', (t) => {
  const r = child(`
    import { setitimer, getitimer, nanosleep, clock_nanosleep, clock_gettime } from ${TIME};
    let alarms = 0;
    process.on('SIGALRM', () => { alarms++; });
    setitimer('real', 0.1);
    const armed = getitimer('real').value.seconds;
    const rem = nanosleep(2);
    setitimer('real', 0.1);
    const rem2 = clock_nanosleep('monotonic', 2);
    setitimer('real', 0.1);
    const deadline = clock_gettime('monotonic').ns + 2_000_000_000n;
    const abs = clock_nanosleep('monotonic', deadline, 'abstime');
    await new Promise((r) => setTimeout(r, 50));
    console.log(JSON.stringify({ armed, rem: rem.seconds, rem2: rem2.seconds, abs: abs.ns === deadline, alarms }));
  `);
  t.is(r.status, 0, r.err);
  const o = JSON.parse(r.out);
  t.true(o.armed > 0.05 && o.armed <= 0.1, `armed ${o.armed}`);
  t.true(o.rem > 1.5 && o.rem < 2, `rem ${o.rem}`);
  t.true(o.rem2 > 1.5 && o.rem2 < 2, `rem2 ${o.rem2}`);
  t.true(o.abs);
  t.is(o.alarms, 3);
});

test('gettimeofday: the wall clock in microseconds', (t) => {
  const before = Date.now();
  const tv = gettimeofday();
  const after = Date.now();
  t.true(tv instanceof Timeval);
  t.true(before <= tv.date.getTime() && tv.date.getTime() <= after);
  t.true(tv.tv_usec >= 0n && tv.tv_usec < 1_000_000n);
  t.true(Math.abs(tv.seconds * 1000 - after) < 1000);
  t.is(fromTimeval(tv), tv.ns);
  const mine = new Timeval(Buffer.alloc(32), 16);
  t.is(gettimeofday(mine), mine);
  t.true(mine.tv_sec > 0n);
});

test('POSIX timers (SIGEV_NONE): arm, read the countdown, re-arm for the old value, disarm, delete', (t) => {
  const timer = timer_create('monotonic');
  t.true(timer instanceof Timer);
  t.regex(String(timer), /^Timer\(\d+\)$/);
  t.is(timer_gettime(timer).value.ns, 0n); // created disarmed
  const old = timer_settime(timer, 10, 0.5);
  t.is(old.value.ns, 0n);
  const now = timer_gettime(timer);
  t.true(now instanceof Itimerspec);
  t.true(now.value.seconds > 9 && now.value.seconds <= 10, `${now.value.seconds}`);
  t.is(now.interval.ns, 500_000_000n);
  t.deepEqual(fromItimerspec(now).interval, 500_000_000n);
  // absolute: expiry at a time of the timer's clock
  const prev = timer.settime(clock_gettime('monotonic').ns + 20_000_000_000n, 0, 'abstime');
  t.true(prev.value.seconds > 9 && prev.value.seconds <= 10);
  t.is(prev.interval.ns, 500_000_000n);
  const abs = timer.gettime().value.seconds;
  t.true(abs > 19 && abs <= 20, `${abs}`);
  t.is(timer.getoverrun(), 0);
  timer_settime(timer.id, 0); // by id: disarms (but Linux 6.18 goes on counting down a disarmed SIGEV_NONE timer)
  t.false(timer.gettime().interval.ns > 0n);
  const id = timer.id;
  timer.delete();
  timer.delete(); // idempotent
  t.true(timer.deleted);
  t.is(String(timer), 'Timer(deleted)');
  t.throws(() => timer_gettime(id), { instanceOf: SyscallError, code: 'EINVAL' }); // the kernel forgot it
  t.throws(() => timer.gettime(), { code: 'EINVAL' });
  t.throws(() => timer_gettime('1' as never), { instanceOf: TypeError });
});

test('POSIX timers (SIGEV_SIGNAL, SIGURG which is ignored by default): disarming stops the countdown', (t) => {
  using timer = timer_create('monotonic', { notify: 'signal', signo: 'urg' });
  timer.settime(1000); // disarmed long before it could fire
  t.true(timer.gettime().value.seconds > 999);
  const old = timer_settime(timer, 0);
  t.true(old.value.seconds > 999 && old.value.seconds <= 1000);
  t.is(timer.gettime().value.ns, 0n);
  t.is(timer.gettime().interval.ns, 0n);
});

test('POSIX timers: a timer deleted by id is forgotten by its Timer; `using` deletes; other clocks work', (t) => {
  const a = timer_create('realtime', { notify: 'none' });
  timer_delete(a.id);
  t.true(a.deleted);
  let id = -1;
  {
    using b = timer_create(abi.CLOCK.BOOTTIME);
    id = b.id;
    b.settime(60);
  }
  t.throws(() => timer_getoverrun(id), { code: 'EINVAL' });
  const c = timer_create().nogc();
  timer_delete(c);
  t.true(c.deleted);
  t.throws(() => timer_create('monotonic', { notify: 'smoke' }), { instanceOf: TypeError, message: /unknown SIGEV flag/ });
  t.throws(() => timer_create('monotonic', null as never), { instanceOf: TypeError });
  t.throws(() => timer_create('monotonic', { notify: 'signal', signo: 99 }), { code: 'EINVAL' });
});

test('timer_getoverrun: expiries lost while the signal was pending (SIGEV_THREAD_ID to a blocked signal, child)', (t) => {
  const r = child(`
    import { timer_create } from ${TIME};
    import { raw, abi } from ${ABI};
    const set = Buffer.alloc(8);
    set.writeBigUInt64LE(1n << BigInt(abi.SIG.USR2 - 1));
    raw.rt_sigprocmask(abi.SIG_HOW.BLOCK, set, null, 8);
    const t = timer_create('monotonic', { notify: 'thread_id', signo: 'SIGUSR2', tid: raw.gettid(), value: 42 });
    const start = Date.now();
    t.settime(0.001, 0.001);
    const until = start + 100;
    while (Date.now() < until);
    const info = Buffer.alloc(128);
    const sig = raw.rt_sigtimedwait(set, info, Buffer.alloc(16), 8);
    const value = new abi.Siginfo(info)._sifields._timer._sigval.sival_int; // si_value of the timer's siginfo
    const ms = Date.now() - start;
    console.log(JSON.stringify({ sig, value, overrun: t.getoverrun(), ms }));
    t.delete();
  `);
  t.is(r.status, 0, r.err);
  const o = JSON.parse(r.out);
  t.is(o.sig, abi.SIG.USR2);
  t.is(o.value, 42);
  // one expiry per millisecond, all but the first lost while the signal waited (blocked) for ~100 ms
  t.true(o.overrun >= 50 && o.overrun <= o.ms + 1, `overrun ${o.overrun} in ${o.ms} ms`);
});

test('getitimer/setitimer (ITIMER_VIRTUAL, ITIMER_PROF): set, read back the countdown, restore without waiting', (t) => {
  for (const which of ['virtual', 'prof'] as const) {
    const old = setitimer(which, 100, 50);
    t.true(old instanceof Itimerval);
    const now = getitimer(which);
    t.true(now.value.seconds > 99 && now.value.seconds <= 100 + 2 / Number(hz()), `${which} ${now.value.seconds}`);
    t.is(now.interval.seconds, 50);
    t.deepEqual(fromItimerval(now).interval, 50_000_000_000n);
    const mine = setitimer(which, old.value, old.interval); // restore
    t.is(mine.interval.seconds, 50);
    t.deepEqual(fromItimerval(getitimer(which)), fromItimerval(old));
  }
  t.throws(() => getitimer('sometimes'), { instanceOf: TypeError, message: /unknown ITIMER flag/ });
  t.throws(() => getitimer(7), { code: 'EINVAL' });
  t.throws(() => setitimer([] as never, 1), { instanceOf: TypeError });
});

test('adjtimex and clock_adjtime, read-only (modes 0): the kernel clock discipline', (t) => {
  const tx = adjtimex();
  t.true(tx instanceof Timex);
  t.true(tx.state >= 0 && tx.state <= 5, `state ${tx.state}`); // TIME_OK .. TIME_ERROR
  const userHz = BigInt(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());
  t.is(tx.tick, 1_000_000n / userHz); // microseconds per USER_HZ tick
  t.true(Math.abs(Number(tx.time.tv_sec) - Date.now() / 1000) < 2);
  const mine = new Timex();
  t.is(clock_adjtime('realtime', mine), mine);
  t.is(mine.state, tx.state);
  t.is(mine.tick, tx.tick);
  t.is(mine.modes, 0);
  t.throws(() => clock_adjtime('monotonic'), { code: 'EOPNOTSUPP' });
  t.throws(() => adjtimex(new Timespec() as never), { instanceOf: TypeError, message: /tx must be a Timex/ });
});

test('conversions: seconds, bigint nanoseconds, Dates and structs, to and from timespec and timeval', (t) => {
  const a = toTimespec(1.5);
  t.is(a.tv_sec, 1n);
  t.is(a.tv_nsec, 500_000_000n);
  t.is(a.seconds, 1.5);
  t.is(fromTimespec(a), 1_500_000_000n);
  const neg = toTimespec(-1.25); // normalised: tv_nsec is never negative
  t.is(neg.tv_sec, -2n);
  t.is(neg.tv_nsec, 750_000_000n);
  t.is(neg.ns, -1_250_000_000n);
  t.is(toTimespec(-1n).tv_nsec, 999_999_999n);
  t.is(toTimespec(new Date(1234)).ns, 1_234_000_000n);
  t.is(toTimespec(new Date(-1)).date.getTime(), -1);
  t.is(toTimespec(toTimeval(3.000_001)).ns, 3_000_001_000n); // struct to struct
  t.is(toTimespec(0.999_999_999_9).ns, 1_000_000_000n); // rounding carries into the seconds
  const reused = new Timespec();
  t.is(toTimespec(7n, reused), reused);
  t.is(reused.ns, 7n);
  const tv = toTimeval(2_000_001_999n); // nanoseconds truncated to microseconds
  t.is(tv.tv_sec, 2n);
  t.is(tv.tv_usec, 1n);
  t.is(toTimeval(-0.5).tv_sec, -1n);
  t.is(toTimeval(-0.5).tv_usec, 500_000n);
  t.is(toTimeval(new Date(1500)).seconds, 1.5);
  t.is(toTimeval(toTimespec(1.25)).date.getTime(), 1250);
  const its = toItimerspec(2, 0.25);
  t.deepEqual(fromItimerspec(its), { value: 2_000_000_000n, interval: 250_000_000n });
  t.deepEqual(fromItimerspec(toItimerspec(1)), { value: 1_000_000_000n, interval: 0n });
  t.deepEqual(fromItimerval(toItimerval(0.25, 1n)), { value: 250_000_000n, interval: 0n });
  t.is(toNs(1), 1_000_000_000n);
  t.throws(() => toNs(Infinity, 'when'), { instanceOf: RangeError, message: /when must be a finite number/ });
  t.throws(() => toNs({}), { instanceOf: TypeError });
  t.throws(() => fromTimespec({} as never), { instanceOf: TypeError });
  t.throws(() => fromTimeval(a as never), { instanceOf: TypeError });
  t.throws(() => fromItimerspec(a as never), { instanceOf: TypeError });
  t.throws(() => fromItimerval(its as never), { instanceOf: TypeError });
  t.throws(() => toTimespec(-(2n ** 63n) * 1_000_000_000n - 1n), { instanceOf: RangeError });
});
