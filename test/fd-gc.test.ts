// An Fd nobody holds is closed by the garbage collector, unless nogc(); checked in a child node with --expose-gc.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.ts';

const child = (code: string) => execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', code], {
  cwd: ROOT, encoding: 'utf8',
}).trim();

const script = (nogc: boolean) => `
import { open } from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};
import { readlinkSync } from 'node:fs';
let n;
(() => { const fd = open('/dev/null'); n = fd.fileno; ${nogc ? 'fd.nogc();' : ''} })();
const before = readlinkSync('/proc/self/fd/' + n);
for (let i = 0; i < 20; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
let after = 'closed';
try { after = readlinkSync('/proc/self/fd/' + n); } catch {}
console.log(before + ' ' + after);
`;

test('an unreferenced Fd is closed by the garbage collector', (t) => {
  t.is(child(script(false)), '/dev/null closed');
});

test('nogc() keeps an unreferenced Fd open', (t) => {
  t.is(child(script(true)), '/dev/null /dev/null');
});

// Descriptor pressure is memory pressure: a loop that never closes its Fds (and never yields) still gets descriptors,
// because an open that fails with EMFILE collects garbage and closes the collected Fds' descriptors first (retryFd).
// The child runs under a lowered RLIMIT_NOFILE (prlimit) to keep it quick.
// under qemu-user every call costs 10-15 times more: 5,000 Fds (five times the limit) make the same point there.
// Every Fd beyond the limit's 1,024 numbers must have been reclaimed: the warnings count more than N - 1,200.
const N = process.env.TSYSCALL_EMULATED ? 5000 : 100000;
const pressure = (loop: string) => `
import { readdirSync } from 'node:fs';
import { raw, abi } from ${JSON.stringify(join(ROOT, 'src', 'core', 'abi.ts'))};
import { check } from ${JSON.stringify(join(ROOT, 'src', 'core', 'errors.ts'))};
import * as fdModule from ${JSON.stringify(join(ROOT, 'src', 'core', 'fd.ts'))};
const { Fd, retryFd } = fdModule;
const { open, pipe2, dup, memfd_create } = await import(${JSON.stringify(join(ROOT, 'src', 'index.ts'))});
const warnings = [];
process.on('warning', (w) => warnings.push(w));
let opened = 0;
let highest = 0;
for (let i = 0; i < ${N}; i++) {
  const fd = ${loop};
  opened++;
  highest = Math.max(highest, fd.fileno);
}
const open_now = readdirSync('/proc/self/fd').length;
await new Promise((r) => setTimeout(r, 50));
const ours = warnings.filter((w) => w.code === 'TSYSCALL_FD_GC');
const counted = ours.reduce((sum, w) => sum + Number(/closed (\\d+) file descriptors/.exec(w.message)?.[1] ?? NaN), 0);
console.log(opened, highest < 1024, open_now <= 1024, ours.length >= 1, counted > ${N - 1200}, /close\\(\\) each Fd/.test(ours[0]?.message));
`;

const underLimit = (code: string) => execFileSync('prlimit', ['--nofile=1024:1024', process.execPath, '--import', 'tsx', '--input-type=module', '-e', code], {
  cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000,
}).trim();

test('100,000 Fds left open in a synchronous loop: EMFILE reclaims collected ones (retryFd), with a warning', (t) => {
  t.is(underLimit(pressure(`new Fd(check(retryFd(() => raw.openat(abi.AT.FDCWD, '/dev/null', abi.O.RDONLY | abi.O.CLOEXEC, 0)), 'open'))`)),
    `${N} true true true true true`);
});

test('100,000 open() left unclosed in a synchronous loop succeed under RLIMIT_NOFILE 1024', (t) => {
  t.is(underLimit(pressure(`open('/dev/null')`)), `${N} true true true true true`);
});

test('dup, pipe2 and memfd_create reclaim collected Fds too', (t) => {
  t.is(underLimit(pressure(`(i % 3 === 0 ? pipe2()[0] : i % 3 === 1 ? memfd_create('x') : dup(0))`)), `${N} true true true true true`);
});
