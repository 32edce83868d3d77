// Who may close a descriptor number: an Fd closes (on close() or when collected) only the number it was made with, only
// while it still owns it, and ownership is shared by every thread of the process. Checked in /proc/self/fd, in files,
// and in child processes for what needs Worker threads or a fresh heap.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, write, close, Fd, SyscallError, abi } from '../src/index.ts';
import { raw } from '../src/core/abi.ts';
import * as fdModule from '../src/core/fd.ts';
import { ROOT } from './helpers.ts';

const SRC = JSON.stringify(join(ROOT, 'src', 'index.ts'));
const FD = JSON.stringify(join(ROOT, 'src', 'core', 'fd.ts'));

/** What descriptor `n` of this process refers to, or 'closed'. */
const target = (n: number) => {
  try {
    return readlinkSync(`/proc/self/fd/${n}`);
  } catch {
    return 'closed';
  }
};

/** Run an ES module in a child node with --expose-gc; its status, signal and output. */
function child(code: string) {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000,
  });
  return { status: r.status, signal: r.signal, out: r.stdout.trim(), err: r.stderr };
}

/**
 * The source of a Worker (eval, ESM: children run with --input-type=module, which workers inherit) that loads tsx and
 * then `body` with `src` (the library), `fs` (node:fs) and `port` (parentPort) in scope.
 */
const worker = (body: string) => JSON.stringify(`
  const { register } = await import('tsx/esm/api');
  register();
  const { parentPort: port, workerData } = await import('node:worker_threads');
  const fs = await import('node:fs');
  const src = await import(${SRC});
  ${body}
`);

/** Script helpers for the children: `where(n)` as `target` above, `exited(w)` resolves when Worker w has exited. */
const PRELUDE = `
  import { Worker } from 'node:worker_threads';
  import { readlinkSync } from 'node:fs';
  const where = (n) => { try { return readlinkSync('/proc/self/fd/' + n); } catch { return 'closed'; } };
  const exited = (w) => new Promise((r) => w.once('exit', r));
  const message = (w) => new Promise((r) => w.once('message', r));
`;

test('an Fd takes numbers in [0, 2^31) only: 2^32 + k is refused, not truncated by the kernel to k', (t) => {
  using f = open('/dev/null');
  const k = f.fileno;
  for (const bad of [2 ** 32 + k, 2 ** 31, 2 ** 40 + 1, -1, 1.5, Number.NaN]) {
    t.throws(() => new Fd(bad), { instanceOf: Error }, String(bad));
  }
  t.false(f.closed); // f still owns k: no Fd was made for k under another name
  t.is(target(k), '/dev/null');
  t.throws(() => new Fd('3' as never), { instanceOf: TypeError });
});

test('fdNum reads the number an Fd was made with, never a getter a subclass overrides', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsyscall-fdown-'));
  const victim = open(join(dir, 'victim'), 'wronly, creat, trunc', 0o600);
  const real = open(join(dir, 'real'), 'wronly, creat, trunc', 0o600);
  class Evil extends Fd {
    override get fileno(): number { return 2 ** 32 + victim.fileno; }
    override get closed(): boolean { return false; }
  }
  const number = real.fileno;
  const evil = new Evil(real.release());
  t.is(fdModule.fdNum(evil, 'write'), number);
  t.is(write(evil, 'abc'), 3);
  class Far extends Fd {
    override get fileno(): number { return 2 ** 40 + 1; }
  }
  const far = new Far(evil.release());
  t.is(write(far, 'def'), 3);
  far.close();
  victim.close();
  t.is(readFileSync(join(dir, 'real'), 'utf8'), 'abcdef');
  t.is(readFileSync(join(dir, 'victim'), 'utf8'), '');
  // a closed Fd whose getter lies is still closed
  t.throws(() => write(far, 'x'), { instanceOf: SyscallError, code: 'EBADF' });
  // an object that only looks like an Fd is not one
  const fake = Object.create(Fd.prototype);
  t.throws(() => write(fake, 'x'), { instanceOf: TypeError });
  rmSync(dir, { recursive: true });
});

test('forgetRange: Fds owning numbers closed by other means (close_range) forget them and never close their reuse', (t) => {
  // three free numbers in a row, far above what the process uses, so that close_range closes nothing else
  const lo = 900;
  const nums = [lo, lo + 1, lo + 2];
  t.true(nums.every((n) => target(n) === 'closed'));
  using src = open('/dev/null');
  const fds = nums.map((n) => new Fd(raw.dup3(src.fileno, n, abi.O.CLOEXEC)));
  t.deepEqual(fds.map((f) => f.fileno), nums);
  t.is(raw.close_range(lo, lo + 2, 0), 0);
  const forgetRange = (fdModule as Record<string, unknown>).forgetRange as (a: number, b: number) => void;
  forgetRange(lo, lo + 2);
  t.true(fds.every((f) => f.closed && f.fileno === -1));
  // the numbers come back (here from dup3 again); the old Fds must not close them
  using host = open('/etc/hostname');
  const again = nums.map((n) => new Fd(raw.dup3(host.fileno, n, abi.O.CLOEXEC)));
  for (const f of fds) f.close();
  for (const n of nums) t.is(target(n), '/etc/hostname');
  for (const f of again) f.close();
  t.true(nums.every((n) => target(n) === 'closed'));
});

test('close(n) by number: the Fd that owned n forgets it and does not close the number when reused', (t) => {
  const f = open('/dev/null');
  const n = f.fileno;
  close(n);
  t.true(f.closed);
  const g = open('/etc/hostname');
  t.is(g.fileno, n);
  f.close();
  t.is(target(n), '/etc/hostname');
  g.close();
  t.is(target(n), 'closed');
});

(process.env.TSYSCALL_EMULATED ? test.skip : test)('ownership is shared by threads: a number a Worker closed and reused is not closed by the main thread\'s Fd' + (process.env.TSYSCALL_EMULATED ? ' (skipped: the Worker loads the TypeScript sources through tsx, which the compiled suite on foreign arches does not ship)' : ''), (t) => {
  const r = child(`${PRELUDE}
    import { open } from ${SRC};
    const a = open('/dev/null');
    const n = a.fileno;
    // the worker closes n by number, then opens a file that gets n again
    const w = new Worker(${worker(`
      src.close(workerData);
      const b = src.open('/etc/hostname');
      b.nogc();
      port.postMessage(b.fileno);
    `)}, { eval: true, workerData: n });
    const done = exited(w);
    const reused = await message(w);
    await done;
    a.close(); // a forgot n when the worker closed it
    console.log(reused === n, a.closed, where(n));
  `);
  t.is(r.status, 0, r.err);
  t.is(r.out, 'true true /etc/hostname');
});

(process.env.TSYSCALL_EMULATED ? test.skip : test)('ownership is shared by threads: a collected Fd of the main thread does not close a Worker\'s reuse of its number' + (process.env.TSYSCALL_EMULATED ? ' (skipped: the Worker loads the TypeScript sources through tsx, which the compiled suite on foreign arches does not ship)' : ''), (t) => {
  const r = child(`${PRELUDE}
    import { open } from ${SRC};
    // held until the worker has reused its number: collected earlier, it would close n before the worker runs, and the
    // worker's close(n) would then close whatever the process opened as n meanwhile (a race under load, not the case)
    const held = { fd: open('/dev/null') };
    const n = held.fd.fileno;
    const w = new Worker(${worker(`
      src.close(workerData);
      const b = src.open('/etc/hostname');
      b.nogc();
      port.postMessage(b.fileno);
    `)}, { eval: true, workerData: n });
    const done = exited(w);
    const reused = await message(w);
    await done;
    held.fd = null; // unreferenced from here on
    for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
    console.log(reused === n, where(n));
  `);
  t.is(r.status, 0, r.err);
  t.is(r.out, 'true /etc/hostname');
});

(process.env.TSYSCALL_EMULATED ? test.skip : test)('a Worker that exits closes the descriptors its collectable Fds own, not its nogc() ones' + (process.env.TSYSCALL_EMULATED ? ' (skipped: the Worker loads the TypeScript sources through tsx, which the compiled suite on foreign arches does not ship)' : ''), (t) => {
  const r = child(`${PRELUDE}
    import ${SRC}; // the thread that starts the Workers has the library: it closes what a terminated Worker left
    for (const how of ['return', 'process.exit', 'terminate']) {
      const w = new Worker(${worker(`
        globalThis.keep = [src.open('/dev/null'), src.open('/dev/null')];  // referenced until the thread ends
        const kept = src.open('/dev/null').nogc();
        port.postMessage([...globalThis.keep.map((f) => f.fileno), kept.fileno]);
        await new Promise((r) => port.once('message', r));
        if (workerData === 'process.exit') process.exit(0);
        if (workerData === 'terminate') setInterval(() => {}, 1000);
      `)}, { eval: true, workerData: how });
      const done = exited(w);
      const [a, b, kept] = await message(w);
      const before = [a, b, kept].map(where).join(',');
      w.postMessage('go');
      if (how === 'terminate') await w.terminate();
      await done;
      console.log(how, before, [a, b, kept].map(where).join(','));
    }
  `);
  t.is(r.status, 0, r.err);
  t.deepEqual(r.out.split('\n'), [
    'return /dev/null,/dev/null,/dev/null closed,closed,/dev/null',
    'process.exit /dev/null,/dev/null,/dev/null closed,closed,/dev/null',
    'terminate /dev/null,/dev/null,/dev/null closed,closed,/dev/null',
  ]);
});

test('numbers beyond the shared table (a small one handed in through the environment data) are tracked per thread', (t) => {
  const r = child(`${PRELUDE}
    import { setEnvironmentData } from 'node:worker_threads';
    // a valid table of 8 numbers: descriptors >= 8 fall back to per-thread tracking
    const sab = new SharedArrayBuffer(4 * (4 + 2 * 8));
    const hdr = new Int32Array(sab, 0, 4);
    hdr[0] = 0x74737966; hdr[1] = 8;
    setEnvironmentData('tsyscall:fd-owners', sab);
    const { open, close, Fd } = await import(${SRC});
    const { forgetRange } = await import(${FD});
    const f = open('/dev/null');
    const n = f.fileno;
    close(n);
    const g = open('/etc/hostname');
    f.close(); // forgotten: must not close g
    const out = [n >= 8, g.fileno === n, where(n)];
    const h = open('/dev/null');
    const m = h.fileno;
    forgetRange(m, m);
    close(m); // h forgot m; closing m by number is ours now
    const i = open('/etc/hostname');
    h.close();
    out.push(i.fileno === m, where(m), hdr[2] <= 8);
    console.log(out.join(' '));
  `);
  t.is(r.status, 0, r.err);
  t.is(r.out, 'true true /etc/hostname true /etc/hostname true');
});
