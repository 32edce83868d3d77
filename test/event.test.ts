// Events and readiness (src/event/): eventfd, timerfd, epoll, poll/ppoll and inotify, each checked by its effect: the
// counters and timers read back, what the kernel reports in /proc/self/fdinfo, pipes that have data or lost their
// writer, files made, renamed and removed in a temporary directory.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  eventfd, eventfdRead, eventfdWrite, timerfd_create, timerfd_settime, timerfd_gettime, timerfdRead, epoll_create1,
  epoll_ctl, epoll_wait, epoll_pwait, epollNames, EpollEvents, poll, ppoll, PollFds, pollNames, inotify_init1,
  inotify_add_watch, inotify_rm_watch, inotifyEvents, inotifyRead, type PollRequest, type InotifyEvent,
} from '../src/event/index.ts';
import { epollLayout, pollLayout, sigsetBytes } from '../src/event/common.ts';
import { Fd, SyscallError, abi } from '../src/index.ts';
import { pipe2, write, read } from '../src/fs/index.ts';
import { clock_gettime } from '../src/time.ts';
import { select, OPS } from '../src/core/arch.ts';
import { loadArch, ARCH_NAMES, type ArchAbi } from '../src/generated/index.ts';

const { O, EPOLL, POLL, INOTIFY } = abi;

/** Block this thread for `ms` milliseconds (what a busy event loop does to a timer). */
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The fields of /proc/self/fdinfo/<fd>: what the kernel says about the descriptor. */
function fdinfo(fd: Fd): string {
  return readFileSync(`/proc/self/fdinfo/${fd.fileno}`, 'utf8');
}
/** The open flags of a descriptor (fdinfo's octal "flags:"). */
const openFlags = (fd: Fd) => parseInt(/^flags:\s*([0-7]+)/m.exec(fdinfo(fd))![1], 8);

/** A temporary directory removed after the test. */
function tmp(t: ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'tsyscall-event-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A pipe closed after the test. */
function pipe(t: ExecutionContext): [Fd, Fd] {
  const p = pipe2('cloexec, nonblock');
  t.teardown(() => { p[0].close(); p[1].close(); });
  return p;
}

// ---------------------------------------------------------------------------------------------------------------------
// eventfd

test('eventfd counts: writes add, a read returns the sum and resets it; the kernel shows the count', (t) => {
  using efd = eventfd(0, 'cloexec, nonblock');
  t.true((openFlags(efd) & O.CLOEXEC) !== 0 && (openFlags(efd) & O.NONBLOCK) !== 0);
  eventfdWrite(efd, 1);
  eventfdWrite(efd, 2n);
  t.regex(fdinfo(efd), /eventfd-count:\s*3\b/);
  t.is(eventfdRead(efd), 3n);
  t.regex(fdinfo(efd), /eventfd-count:\s*0\b/);
  // empty and nonblocking: EAGAIN from read(2)
  const err = t.throws(() => eventfdRead(efd), { instanceOf: SyscallError });
  t.is(err!.code, 'EAGAIN');
  t.is(err!.syscall, 'read');
  // the initial value, and the largest count
  using big = eventfd(7, 'nonblock');
  eventfdWrite(big, 2n ** 64n - 10n);
  t.is(eventfdRead(big), 2n ** 64n - 3n);
});

test('a semaphore eventfd reads 1n per read, decrementing', (t) => {
  using efd = eventfd(0, ['nonblock', 'semaphore']);
  eventfdWrite(efd, 3);
  t.is(eventfdRead(efd), 1n);
  t.is(eventfdRead(efd), 1n);
  t.regex(fdinfo(efd), /eventfd-count:\s*1\b/);
  t.is(eventfdRead(efd), 1n);
  t.throws(() => eventfdRead(efd), { instanceOf: SyscallError, code: 'EAGAIN' });
});

test('an eventfd that would overflow fails with EAGAIN (nonblocking); bad counts are RangeErrors and TypeErrors', (t) => {
  using efd = eventfd(0, 'nonblock');
  eventfdWrite(efd, 2n ** 64n - 2n);
  t.throws(() => eventfdWrite(efd, 1), { instanceOf: SyscallError, message: /^EAGAIN/ });
  t.throws(() => eventfdWrite(efd, 2n ** 64n - 1n), { instanceOf: RangeError });
  t.throws(() => eventfdWrite(efd, -1), { instanceOf: RangeError });
  t.throws(() => eventfdWrite(efd, 1.5), { instanceOf: TypeError });
  t.throws(() => eventfdWrite(efd, '1' as never), { instanceOf: TypeError });
  t.throws(() => eventfd(-1), { instanceOf: RangeError });
  t.throws(() => eventfd(2 ** 32), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------------------------------------------------
// timerfd

test('a timerfd armed every 10 ms has expired several times after ~55 ms; gettime and fdinfo show the setting', (t) => {
  using tfd = timerfd_create('monotonic', 'cloexec, nonblock');
  t.throws(() => timerfdRead(tfd), { instanceOf: SyscallError, message: /^EAGAIN/ }, 'disarmed: nothing to read');
  const old = timerfd_settime(tfd, { value: 0.01, interval: 10_000_000n });
  t.is(old.value.ns, 0n, 'it was disarmed');
  const now = timerfd_gettime(tfd);
  t.is(now.interval.ns, 10_000_000n);
  t.true(now.value.ns > 0n && now.value.ns <= 10_000_000n);
  t.regex(fdinfo(tfd), /it_interval:\s*\(0,\s*10000000\)/);
  sleep(55);
  const n = timerfdRead(tfd);
  t.true(n >= 4n, `${n} expiries`);
  // disarm: nothing more comes
  const prev = timerfd_settime(tfd, { value: 0 });
  t.is(prev.interval.ns, 10_000_000n);
  t.is(timerfd_gettime(tfd).value.ns, 0n);
  sleep(15);
  t.throws(() => timerfdRead(tfd), { instanceOf: SyscallError, message: /^EAGAIN/ });
});

test('a timerfd armed with abstime at a time on its clock expires once at it', (t) => {
  using tfd = timerfd_create('monotonic');
  const at = clock_gettime('monotonic').ns + 20_000_000n;
  timerfd_settime(tfd, { value: at }, 'abstime');
  t.regex(fdinfo(tfd), /settime flags:\s*0*1\b/);
  t.is(timerfdRead(tfd), 1n, 'a blocking read waits for the expiry'); // armed: returns within ~20 ms
  t.true(clock_gettime('monotonic').ns >= at);
});

test('timerfd arguments: unknown clocks and flags, bad times, closed descriptors', (t) => {
  t.throws(() => timerfd_create('nosuchclock'), { instanceOf: TypeError, message: /nosuchclock/ });
  t.throws(() => timerfd_create('monotonic', 'cloexec, sometimes'), { instanceOf: TypeError, message: /'sometimes'/ });
  t.throws(() => timerfd_create('process_cputime_id'), { instanceOf: SyscallError, message: /^EINVAL/ });
  using tfd = timerfd_create();
  t.throws(() => timerfd_settime(tfd, { value: 1 }, 'abstime, later'), { instanceOf: TypeError, message: /'later'/ });
  t.throws(() => timerfd_settime(tfd, 1 as never), { instanceOf: TypeError });
  t.throws(() => timerfd_settime(tfd, { value: 'soon' as never }), { instanceOf: TypeError });
  t.throws(() => timerfd_settime(tfd, { value: Infinity }), { instanceOf: RangeError });
  t.throws(() => timerfd_settime(tfd, { value: -1 }), { instanceOf: SyscallError, message: /^EINVAL/ });
  const closed = timerfd_create();
  closed.close();
  t.throws(() => timerfd_gettime(closed), { instanceOf: SyscallError, message: /^EBADF/ });
  t.throws(() => timerfdRead(closed), { instanceOf: SyscallError, message: /^EBADF/ });
});

// ---------------------------------------------------------------------------------------------------------------------
// epoll

test('epoll, level-triggered: a pipe with data is reported on every wait', (t) => {
  const [r, w] = pipe(t);
  using ep = epoll_create1('cloexec');
  t.true((openFlags(ep) & O.CLOEXEC) !== 0);
  epoll_ctl(ep, 'add', r, 'in');
  // the kernel's interest list: the pipe's read end, EPOLLIN, its number as data
  t.regex(fdinfo(ep), new RegExp(`tfd:\\s*${r.fileno}\\s+events:\\s*19\\s+data:\\s*${r.fileno.toString(16)}\\b`));
  const events = new EpollEvents(8);
  t.is(epoll_wait(ep, events, 0), 0);
  t.is(events.length, 0);
  write(w, 'x');
  for (let i = 0; i < 3; i++) {
    t.is(epoll_wait(ep, events, 0), 1);
    t.is(events.fd(0), r.fileno);
    t.is(events.events(0), EPOLL.IN);
    t.deepEqual(events.names(0), ['in']);
    t.is(events.data(0), BigInt(r.fileno));
  }
  read(r, 16);
  t.is(epoll_wait(ep, events, 0), 0, 'drained: not ready');
});

test('epoll, edge-triggered: reported once, then again only when new data comes', (t) => {
  const [r, w] = pipe(t);
  using ep = epoll_create1();
  epoll_ctl(ep, 'add', r, 'in, et');
  t.regex(fdinfo(ep), new RegExp(`tfd:\\s*${r.fileno}\\s+events:\\s*${((EPOLL.IN | EPOLL.ET | EPOLL.ERR | EPOLL.HUP) >>> 0).toString(16)}\\b`));
  const events = new EpollEvents(4);
  write(w, 'a');
  t.is(epoll_wait(ep, events, 0), 1);
  t.is(epoll_wait(ep, events, 0), 0, 'the data is still there, but no new edge');
  write(w, 'b');
  t.is(epoll_wait(ep, events, 0), 1, 'new data: a new edge');
  t.is(events.fd(0), r.fileno);
  t.is(epoll_wait(ep, events, 0), 0);
});

test('epoll oneshot: one report, then none until mod rearms it; del removes it', (t) => {
  const [r, w] = pipe(t);
  using ep = epoll_create1();
  const events = new EpollEvents(2);
  epoll_ctl(ep, 'add', r, 'in, oneshot', 42);
  write(w, 'x');
  t.is(epoll_wait(ep, events, 0), 1);
  t.is(events.data(0), 42n);
  t.is(epoll_wait(ep, events, 0), 0, 'disarmed after one event');
  write(w, 'y');
  t.is(epoll_wait(ep, events, 0), 0, 'still disarmed with new data');
  epoll_ctl(ep, 'mod', r, ['in', 'oneshot'], 43n);
  t.is(epoll_wait(ep, events, 0), 1, 'rearmed');
  t.is(events.data(0), 43n);
  epoll_ctl(ep, 'EPOLL_CTL_MOD', r, 'in');
  t.is(epoll_wait(ep, events, 0), 1);
  epoll_ctl(ep, 'del', r);
  t.notRegex(fdinfo(ep), /tfd:/, 'the interest list is empty');
  t.is(epoll_wait(ep, events, 0), 0);
  t.throws(() => epoll_ctl(ep, 'del', r), { instanceOf: SyscallError, message: /^ENOENT/ });
  epoll_ctl(ep, 'add', r, 'in');
  t.throws(() => epoll_ctl(ep, 'add', r, 'in'), { instanceOf: SyscallError, message: /^EEXIST/ });
});

test('epoll data is 64 bits: bigints up to 2^64 - 1, negative numbers as their two\'s complement', (t) => {
  const [r, w] = pipe(t);
  using efd = eventfd(1);
  using ep = epoll_create1();
  const events = new EpollEvents(4);
  epoll_ctl(ep, 'add', r, 'in', 2n ** 64n - 1n);
  epoll_ctl(ep, 'add', efd, 'in', -2);
  write(w, 'x');
  t.is(epoll_wait(ep, events, 0), 2);
  const got = new Map([0, 1].map((i) => [events.data(i), events.fd(i)]));
  t.deepEqual([...got.keys()].sort(), [2n ** 64n - 2n, 2n ** 64n - 1n]);
  t.is(got.get(2n ** 64n - 2n), -2, 'fd(i) is the low 32 bits, signed');
  t.throws(() => epoll_ctl(ep, 'mod', r, 'in', 2n ** 64n), { instanceOf: RangeError });
  t.throws(() => epoll_ctl(ep, 'mod', r, 'in', 2 ** 60), { instanceOf: TypeError }, 'not a safe integer: a bigint is');
  t.throws(() => epoll_ctl(ep, 'mod', r, 'in', 1.5), { instanceOf: TypeError });
});

test('the event array is reused across waits, and iterating it moves one cursor: nothing is allocated per event', (t) => {
  const pipes = [pipe(t), pipe(t), pipe(t)];
  using ep = epoll_create1();
  for (const [r] of pipes) epoll_ctl(ep, 'add', r, 'in');
  const events = new EpollEvents(8);
  t.is(events.capacity, 8);
  for (const [, w] of pipes) write(w, 'x');
  t.is(epoll_wait(ep, events, 0), 3);
  const it = events[Symbol.iterator]();
  const steps = [it.next(), it.next(), it.next()];
  t.true(steps.every((s) => s === steps[0] && !s.done), 'one result object');
  t.true(it.next().done);
  const cursors = new Set<unknown>();
  const fds: number[] = [];
  for (const ev of events) {
    cursors.add(ev);
    fds.push(ev.fd);
    t.is(ev.events, EPOLL.IN);
    t.deepEqual(ev.names, ['in']);
    t.is(ev.data, BigInt(ev.fd));
  }
  t.is(cursors.size, 1, 'one cursor object for every event');
  t.deepEqual(fds.sort(), pipes.map(([r]) => r.fileno).sort());
  // the same array, another wait: it holds the new result only
  read(pipes[0][0], 16);
  read(pipes[1][0], 16);
  t.is(epoll_wait(ep, events, 0), 1);
  t.is(events.length, 1);
  t.is(events.fd(0), pipes[2][0].fileno);
  t.throws(() => events.fd(1), { instanceOf: RangeError }, 'beyond the last wait');
  t.throws(() => events.events(-1), { instanceOf: RangeError });
  t.throws(() => events.data(0.5), { instanceOf: RangeError });
  t.deepEqual(JSON.parse(JSON.stringify(events)), [{ fd: pipes[2][0].fileno, events: ['in'], data: String(pipes[2][0].fileno) }]);
  // fewer slots than ready descriptors: the rest come on the next wait
  const one = new EpollEvents(1);
  write(pipes[0][1], 'y');
  t.is(epoll_wait(ep, one, 0), 1);
  t.is([...one].length, 1);
});

test('epoll reports hup and err without asking, and a waiting epoll_wait returns when data comes', (t) => {
  const [r, w] = pipe(t);
  using ep = epoll_create1();
  epoll_ctl(ep, 'add', r, 'in, rdhup');
  const events = new EpollEvents(1);
  t.is(epoll_wait(ep, events, 20), 0, 'nothing within 20 ms');
  w.close();
  t.is(epoll_wait(ep, events, -1), 1, 'the writer closed: returns at once though asked to wait for ever');
  t.deepEqual(events.names(0), ['hup']);
  t.deepEqual(epollNames(EPOLL.IN | EPOLL.OUT | EPOLL.ET), ['in', 'out', 'et']);
});

test('epoll_pwait waits as epoll_wait does, with a signal mask for the wait', (t) => {
  const [r, w] = pipe(t);
  using ep = epoll_create1();
  epoll_ctl(ep, 'add', r, 'in');
  const events = new EpollEvents(2);
  t.is(epoll_pwait(ep, events, 0), 0);
  write(w, 'x');
  t.is(epoll_pwait(ep, events, 10, ['usr1', 'SIGTERM', 34]), 1);
  t.is(events.fd(0), r.fileno);
  t.is(epoll_pwait(ep, events, 0, []), 1);
  t.throws(() => epoll_pwait(ep, events, 0, ['nosuchsignal']), { instanceOf: TypeError, message: /nosuchsignal/ });
  t.throws(() => epoll_pwait(ep, events, 0, [0]), { instanceOf: RangeError });
  t.throws(() => epoll_pwait(ep, events, 0, 'usr1' as never), { instanceOf: TypeError });
});

test('epoll arguments: unknown names, bad sizes and operations, closed descriptors', (t) => {
  using ep = epoll_create1();
  const [r] = pipe(t);
  t.throws(() => epoll_create1('cloexec, nonblock'), { instanceOf: TypeError, message: /'nonblock'/ });
  t.throws(() => epoll_ctl(ep, 'add', r, 'in, inn'), { instanceOf: TypeError, message: /'inn'.*valid: .*\bin\b/ });
  t.throws(() => epoll_ctl(ep, 'attach' as never, r, 'in'), { instanceOf: TypeError, message: /'attach'/ });
  t.throws(() => epoll_ctl(ep, {} as never, r, 'in'), { instanceOf: TypeError });
  t.throws(() => epoll_ctl(ep, 'add', r, 2 ** 32), { instanceOf: RangeError });
  t.throws(() => epoll_ctl(ep, 'add', ep, 'in'), { instanceOf: SyscallError, message: /^EINVAL/ }, 'an epoll cannot watch itself');
  for (const n of [0, -1, 2 ** 20 + 1, 2 ** 40]) t.throws(() => new EpollEvents(n), { instanceOf: RangeError }, String(n));
  t.throws(() => new EpollEvents(1.5), { instanceOf: TypeError });
  t.throws(() => new EpollEvents('8' as never), { instanceOf: TypeError });
  const events = new EpollEvents(1);
  t.throws(() => epoll_wait(ep, { capacity: 1000 } as never, 0), { instanceOf: TypeError });
  t.throws(() => epoll_wait(ep, events, NaN), { instanceOf: TypeError });
  t.throws(() => epoll_wait(ep, events, 2 ** 31), { instanceOf: RangeError });
  // a subclass cannot lie about the capacity the kernel writes into
  class Liar extends EpollEvents { override get capacity() { return 1_000_000; } }
  t.is(epoll_wait(ep, new Liar(1), 0), 0);
  const closed = epoll_create1();
  closed.close();
  t.throws(() => epoll_wait(closed, events, 0), { instanceOf: SyscallError, message: /^EBADF/ });
  t.throws(() => epoll_ctl(closed, 'add', r, 'in'), { instanceOf: SyscallError, message: /^EBADF/ });
  const gone = eventfd();
  const num = gone.fileno;
  gone.close();
  t.throws(() => epoll_ctl(ep, 'add', num, 'in'), { instanceOf: SyscallError, message: /^EBADF/ });
  const err = t.throws(() => epoll_ctl(ep, 'add', gone, 'in'), { instanceOf: SyscallError, code: 'EBADF' });
  t.is(err!.syscall, 'epoll_ctl');
});

// ---------------------------------------------------------------------------------------------------------------------
// poll and ppoll

test('poll on a pipe: nothing, then in after a write, then hup after the writer closes', (t) => {
  const [r, w] = pipe(t);
  const fds: PollRequest[] = [{ fd: r, events: 'in' }];
  t.is(poll(fds, 0), 0);
  t.is(fds[0].revents, 0);
  write(w, 'x');
  t.is(poll(fds, 0), 1);
  t.is(fds[0].revents, POLL.IN);
  t.deepEqual(pollNames(fds[0].revents!), ['in']);
  w.close();
  t.is(poll(fds, 0), 1);
  t.deepEqual(pollNames(fds[0].revents!), ['in', 'hup'], 'data left, and the writer gone');
  read(r, 16);
  t.is(poll(fds, -1), 1, 'returns at once though asked to wait for ever');
  t.deepEqual(pollNames(fds[0].revents!), ['hup']);
});

test('a preallocated PollFds: set once, polled many times; the write end is writable; a closed number is nval', (t) => {
  const [r, w] = pipe(t);
  const gone = eventfd();
  const num = gone.fileno;
  gone.close();
  const fds = new PollFds(4).set(0, r, 'in').set(1, w, 'out').set(2, num, 'in');
  t.is(fds.length, 4);
  t.is(fds.fd(3), -1, 'an entry not set is skipped');
  t.is(fds.fd(0), r.fileno);
  t.is(fds.events(1), POLL.OUT);
  t.is(poll(fds, 0), 2);
  t.is(fds.revents(0), 0);
  t.deepEqual(fds.names(1), ['out']);
  t.deepEqual(fds.names(2), ['nval']);
  t.is(fds.revents(3), 0);
  write(w, 'x');
  t.is(poll(fds, 10), 3);
  t.deepEqual(fds.names(0), ['in']);
  t.deepEqual(JSON.parse(JSON.stringify(fds))[0], { fd: r.fileno, events: ['in'], revents: ['in'] });
  t.throws(() => fds.set(4, r, 'in'), { instanceOf: RangeError });
  t.throws(() => fds.set(0, r, 'inn'), { instanceOf: TypeError, message: /'inn'/ });
  t.throws(() => new PollFds(-1), { instanceOf: RangeError });
  t.throws(() => new PollFds(2 ** 21), { instanceOf: RangeError });
  t.is(poll(new PollFds(0), 0), 0);
  t.is(poll([], 0), 0);
});

test('ppoll: a timeout in seconds or nanoseconds, null for none, and a signal mask', (t) => {
  const [r, w] = pipe(t);
  const fds = PollFds.from([{ fd: r, events: 'in, rdhup' }]);
  const start = process.hrtime.bigint();
  t.is(ppoll(fds, 0.02), 0);
  t.true(process.hrtime.bigint() - start >= 15_000_000n, 'it waited');
  t.is(ppoll(fds, 0n, ['int', 'usr2']), 0);
  write(w, 'x');
  t.is(ppoll(fds, null), 1);
  t.deepEqual(fds.names(0), ['in']);
  const list: PollRequest[] = [{ fd: r, events: POLL.IN }];
  t.is(ppoll(list, 0n), 1);
  t.is(list[0].revents, POLL.IN);
  t.throws(() => ppoll(fds, -1), { instanceOf: SyscallError, message: /^EINVAL/ });
  t.throws(() => ppoll(fds, 'now' as never), { instanceOf: TypeError });
  t.throws(() => ppoll(fds, new Date() as never), { instanceOf: TypeError, message: /relative/ });
  t.throws(() => ppoll([{ fd: 'r' as never, events: 'in' }], 0), { instanceOf: TypeError });
  t.throws(() => poll([null as never], 0), { instanceOf: TypeError });
  t.throws(() => poll({} as never, 0), { instanceOf: TypeError });
  const closed = pipe2();
  closed[0].close();
  closed[1].close();
  t.throws(() => poll([{ fd: closed[0], events: 'in' }], 0), { instanceOf: SyscallError, message: /^EBADF/ });
});

// ---------------------------------------------------------------------------------------------------------------------
// inotify

test('inotify reports create, modify, close_write, a move as a moved_from/moved_to pair with one cookie, and delete', (t) => {
  const d = tmp(t);
  using ino = inotify_init1('cloexec, nonblock');
  t.true((openFlags(ino) & O.NONBLOCK) !== 0);
  const wd = inotify_add_watch(ino, d, 'create, modify, moved_from, moved_to, delete, close_write');
  t.true(wd >= 1);
  t.regex(fdinfo(ino), new RegExp(`inotify wd:${wd.toString(16)} `));
  t.throws(() => inotifyRead(ino), { instanceOf: SyscallError, message: /^EAGAIN/ }, 'nothing yet');
  writeFileSync(join(d, 'a'), 'hello');
  renameSync(join(d, 'a'), join(d, 'b'));
  unlinkSync(join(d, 'b'));
  const events: InotifyEvent[] = [];
  for (let i = 0; i < 50 && events.length < 6; i++) {
    try {
      events.push(...inotifyRead(ino));
    } catch (e) {
      if (!(e instanceof SyscallError && e.code === 'EAGAIN')) throw e;
      sleep(5);
    }
  }
  t.deepEqual(events.map((e) => [e.names, e.name]), [
    [['create'], 'a'], [['modify'], 'a'], [['close_write'], 'a'], [['moved_from'], 'a'], [['moved_to'], 'b'], [['delete'], 'b'],
  ]);
  t.true(events.every((e) => e.wd === wd));
  const [from, to] = [events[3], events[4]];
  t.not(from.cookie, 0);
  t.is(from.cookie, to.cookie, 'the pair shares its cookie');
  t.is(events[0].mask, INOTIFY.CREATE);
  t.is(events[0].cookie, 0);
  // removing the watch: its last event is 'ignored'
  inotify_rm_watch(ino, wd);
  const last = inotifyRead(ino, Buffer.alloc(4096));
  t.deepEqual(last.map((e) => [e.wd, e.names, e.name]), [[wd, ['ignored'], '']]);
  t.throws(() => inotify_rm_watch(ino, wd), { instanceOf: SyscallError, message: /^EINVAL/ });
});

test('inotify: a directory made in the watched one is create + isdir; the same path gives the same watch', (t) => {
  const d = tmp(t);
  using ino = inotify_init1('nonblock');
  const wd = inotify_add_watch(ino, d, ['create']);
  t.is(inotify_add_watch(ino, Buffer.from(d), 'create, mask_add, delete'), wd);
  t.regex(fdinfo(ino), new RegExp(`mask:${(INOTIFY.CREATE | INOTIFY.DELETE).toString(16)}\\b`));
  mkdtempSync(join(d, 'sub'));
  const [ev] = inotifyRead(ino);
  t.deepEqual(ev.names, ['create', 'isdir']);
  t.regex(ev.name, /^sub/);
});

test('inotify arguments and decoding: unknown names, missing paths, small buffers, records cut short', (t) => {
  using ino = inotify_init1();
  t.throws(() => inotify_init1('cloexec, nonblock, quickly'), { instanceOf: TypeError, message: /'quickly'/ });
  t.throws(() => inotify_add_watch(ino, '/tmp', 'create, explode'), { instanceOf: TypeError, message: /'explode'.*moved_from/ });
  const err = t.throws(() => inotify_add_watch(ino, '/nonexistent/tsyscall', 'create'), { instanceOf: SyscallError });
  t.is(err!.code, 'ENOENT');
  t.is(err!.path, '/nonexistent/tsyscall');
  t.throws(() => inotify_add_watch(ino, 'a\0b', 'create'), { instanceOf: TypeError });
  t.throws(() => inotifyRead(ino, Buffer.alloc(100)), { instanceOf: RangeError });
  t.throws(() => inotifyRead(ino, 'buf' as never), { instanceOf: TypeError });
  // a record made by hand, in the host's byte order: the name is NUL-padded
  const rec = Buffer.alloc(16 + 8);
  const v = new abi.InotifyEvent(rec);
  v.wd = 3;
  v.mask = INOTIFY.MOVED_TO | INOTIFY.ISDIR;
  v.cookie = 77;
  v.len = 8;
  rec.write('xyz', 16);
  t.deepEqual([...inotifyEvents(rec)], [{ wd: 3, mask: INOTIFY.MOVED_TO | INOTIFY.ISDIR, names: ['moved_to', 'isdir'], cookie: 77, name: 'xyz' }]);
  t.deepEqual([...inotifyEvents(rec, 0)], []);
  t.throws(() => [...inotifyEvents(rec, 20)], { instanceOf: RangeError, message: /cut short/ });
  t.throws(() => [...inotifyEvents(rec, 10)], { instanceOf: RangeError, message: /cut short/ });
  t.throws(() => [...inotifyEvents(rec, 25)], { instanceOf: RangeError });
  const closed = inotify_init1();
  closed.close();
  t.throws(() => inotify_add_watch(closed, '/tmp', 'create'), { instanceOf: SyscallError, message: /^EBADF/ });
  t.throws(() => inotifyRead(closed), { instanceOf: SyscallError, message: /^EBADF/ });
});

// ---------------------------------------------------------------------------------------------------------------------
// every arch

const EVENT_OPS = ['epoll_create', 'epoll_wait', 'poll', 'ppoll', 'eventfd', 'inotify_init', 'timerfd_settime', 'timerfd_gettime'] as const;
const arches = new Map<string, Promise<{ a: ArchAbi; layouts: Awaited<ReturnType<ArchAbi['layouts']>> }>>();
const arch = (name: (typeof ARCH_NAMES)[number]) => {
  let p = arches.get(name);
  if (!p) arches.set(name, p = loadArch(name).then(async (a) => ({ a, layouts: await a.layouts() })));
  return p;
};

test('every arch: the calls select() names for events exist, and struct epoll_event and pollfd read at the spec\'s offsets', async (t) => {
  for (const op of EVENT_OPS) t.true((OPS as readonly string[]).includes(op), op);
  for (const name of ARCH_NAMES) {
    const { a, layouts } = await arch(name);
    const calls = select(a).calls;
    const sys = a.SYS as unknown as Record<string, number | undefined>;
    for (const op of EVENT_OPS) t.is(typeof sys[calls[op]], 'number', `${name}: ${op} -> ${calls[op]}`);
    for (const n of ['epoll_ctl', 'epoll_pwait', 'timerfd_create', 'inotify_add_watch', 'inotify_rm_watch', 'read', 'write']) {
      t.is(typeof sys[n], 'number', `${name}: ${n}`);
    }
    const ee = layouts.epoll_event;
    t.deepEqual(epollLayout(a.EpollEvent), { size: ee.size, events: ee.members.events[0], data: ee.members.data[0] }, name);
    const pf = layouts.pollfd;
    t.deepEqual(pollLayout(a.Pollfd), { size: pf.size, fd: pf.members.fd[0], events: pf.members.events[0], revents: pf.members.revents[0] }, name);
    t.is(layouts.inotify_event.members.name[0], a.InotifyEvent.size, `${name}: the name follows the header`);
  }
});

test('the per-arch choices: epoll_pwait and ppoll where epoll_wait and poll never were, time64 on 32-bit arches', async (t) => {
  const calls = async (n: (typeof ARCH_NAMES)[number]) => select((await arch(n)).a).calls;
  t.like(await calls('x86_64'), {
    epoll_create: 'epoll_create1', epoll_wait: 'epoll_wait', poll: 'poll', ppoll: 'ppoll', eventfd: 'eventfd2',
    inotify_init: 'inotify_init1', timerfd_settime: 'timerfd_settime', timerfd_gettime: 'timerfd_gettime',
  });
  for (const n of ['aarch64', 'riscv64'] as const) {
    t.like(await calls(n), { epoll_wait: 'epoll_pwait', poll: 'ppoll', ppoll: 'ppoll', timerfd_settime: 'timerfd_settime' }, n);
  }
  t.like(await calls('arc'), { epoll_wait: 'epoll_pwait', poll: 'ppoll_time64', ppoll: 'ppoll_time64', timerfd_settime: 'timerfd_settime64' });
  for (const n of ['armhf', 'i386', 'powerpc', 'mipsel'] as const) {
    t.like(await calls(n), { epoll_wait: 'epoll_wait', poll: 'poll', ppoll: 'ppoll_time64', timerfd_settime: 'timerfd_settime64', timerfd_gettime: 'timerfd_gettime64' }, n);
  }
  t.like(await calls('x32'), { ppoll: 'ppoll', timerfd_settime: 'timerfd_settime' });
  // packed on x86_64 and x32 (12 bytes, data at 4), natural elsewhere on 64-bit arches (16, data at 8)
  t.deepEqual(epollLayout((await arch('x86_64')).a.EpollEvent), { size: 12, events: 0, data: 4 });
  t.deepEqual(epollLayout((await arch('aarch64')).a.EpollEvent), { size: 16, events: 0, data: 8 });
  t.deepEqual(epollLayout((await arch('ppc64')).a.EpollEvent), { size: 16, events: 0, data: 8 }, 'big-endian');
  t.deepEqual(epollLayout((await arch('i386')).a.EpollEvent), { size: 12, events: 0, data: 4 });
  t.is(sigsetBytes(), 8);
});
