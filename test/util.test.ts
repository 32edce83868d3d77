// Utilities: listings, recursive removal and creation, whole-file I/O, /proc and the mount table.
import test from 'ava';
import { copyFileSync, chmodSync, mkdtempSync, mkdirSync, writeFileSync, readFileSync, symlinkSync, existsSync, readdirSync, statSync, openSync, closeSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ls, dirtable, rm, mkdirp, readFile, writeFile, proc, mounts, open, SyscallError } from '../src/index.ts';
import { ROOT } from './helpers.ts';
import { needs } from './skips.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'tsyscall-util-'));

test('ls lists a directory\'s entries with their types; dirtable sorts the names', (t) => {
  const d = tmp();
  writeFileSync(join(d, 'b'), '');
  mkdirSync(join(d, 'a'));
  symlinkSync('b', join(d, 'C'));
  const seen = new Map([...ls(d)].map((e) => [e.name, e]));
  t.deepEqual([...seen.keys()].sort(), ['C', 'a', 'b']);
  t.true(seen.get('a')!.isDirectory());
  t.true(seen.get('b')!.isFile());
  t.true(seen.get('C')!.isSymbolicLink());
  t.deepEqual(dirtable(d), ['C', 'a', 'b']);
  t.deepEqual(dirtable('/proc/self/fd').length > 0, true);
  t.throws(() => [...ls(join(d, 'b'))], { instanceOf: SyscallError, code: 'ENOTDIR' });
});

test('rm removes a tree, deletes symlinks without following them', (t) => {
  const d = tmp();
  const outside = tmp();
  writeFileSync(join(outside, 'keep'), 'precious');
  mkdirSync(join(d, 'x', 'y', 'z'), { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(d, 'x', 'y', `f${i}`), String(i));
  symlinkSync(outside, join(d, 'x', 'link-to-outside'));
  rm(d);
  t.false(existsSync(d));
  t.is(readFileSync(join(outside, 'keep'), 'utf8'), 'precious');
  t.throws(() => rm(d), { code: 'ENOENT' });
  t.notThrows(() => rm(d, { force: true }));
  const f = join(outside, 'keep');
  rm(f);
  t.false(existsSync(f));
});

test('mkdirp creates missing parents with the mode, accepts existing directories, refuses files', (t) => {
  const d = tmp();
  const deep = join(d, 'a', 'b', 'c');
  mkdirp(deep, 0o750);
  t.true(statSync(deep).isDirectory());
  t.is(statSync(join(d, 'a')).mode & 0o777, 0o750 & ~process.umask());
  t.notThrows(() => mkdirp(deep));
  writeFileSync(join(d, 'file'), '');
  t.throws(() => mkdirp(join(d, 'file', 'sub')), { code: 'ENOTDIR' });
  t.throws(() => mkdirp(join(d, 'file')), { code: 'EEXIST' });
});

test('readFile and writeFile on paths and on raw descriptors, including /proc files of size 0', (t) => {
  const d = tmp();
  const p = join(d, 'data');
  const big = Buffer.alloc(200_000).map((_, i) => i % 251);
  writeFile(p, big, { mode: 0o600 });
  t.deepEqual(readFileSync(p), big);
  t.is(statSync(p).mode & 0o777, 0o600);
  t.deepEqual(readFile(p), big);
  writeFile(p, 'short');
  t.is(readFile(p, 'utf8'), 'short');
  const fd = open(p, 'rdwr, append');
  writeFile(fd, ' and more');
  fd.close();
  t.is(readFileSync(p, 'utf8'), 'short and more');
  const status = readFile('/proc/self/status', 'utf8');
  t.regex(status, new RegExp(`^Pid:\\s+${process.pid}$`, 'm'));
  const n = openSync(p, 'r');
  t.is(readFile(n, 'utf8'), 'short and more');
  closeSync(n);
});

test('proc reads status, stat, cmdline, environ, fds, exe and cwd of a process', (t) => {
  const me = proc(process.pid);
  t.is(me.status.Pid, String(process.pid));
  t.is(me.stat.pid, process.pid);
  t.is(me.stat.ppid, process.ppid);
  t.is(me.stat.state.length, 1);
  t.is(me.exe, process.execPath);
  t.is(me.cwd, process.cwd());
  t.is(me.environ.PATH, process.env.PATH ?? '');
  const d = tmp();
  writeFileSync(join(d, 'marker'), '');
  const fd = open(join(d, 'marker'));
  t.is(proc().fds.get(fd.fileno), join(d, 'marker'));
  fd.close();
  t.false([...proc().fds.values()].includes(join(d, 'marker')));
  t.throws(() => proc(0), { instanceOf: RangeError });
  t.throws(() => me.read('../1/environ'), { instanceOf: TypeError });
  // a name with spaces and parentheses in comm
  copyFileSync('/bin/sleep', join(d, 'a (b) c'));
  chmodSync(join(d, 'a (b) c'), 0o755);
  // spawn returns once the child has exec'd (libuv waits on a close-on-exec pipe)
  const child = spawn(join(d, 'a (b) c'), ['5'], { stdio: 'ignore' });
  const pid = child.pid!;
  try {
    t.is(proc(pid).stat.comm, 'a (b) c');
    t.deepEqual(proc(pid).cmdline, [`${d}/a (b) c`, '5']);
    t.is(proc(pid).stat.ppid > 0, true);
  } finally {
    child.kill();
  }
});

needs('userns')('mounts parses the mount table, and sees a mount made in a fresh mount namespace', (t) => {
  const all = mounts();
  const root = all.find((m) => m.target === '/');
  t.truthy(root);
  t.is(all.length, readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').length);
  t.true(all.some((m) => m.fstype === 'proc' && m.target === '/proc'));
  // in a new mount namespace, a tmpfs on a path with a space shows up (escaped \040 in mountinfo), and nowhere else
  const d = tmp();
  mkdirSync(join(d, 'with space'));
  const code = `import { mounts } from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};
    const m = mounts().find((m) => m.target === ${JSON.stringify(join(d, 'with space'))});
    console.log(JSON.stringify({ fstype: m?.fstype, source: m?.source, ro: m?.options.includes('ro') }));`;
  // root: a mount namespace; otherwise one owned by a user namespace that maps us to root (tmpfs mounts there)
  const userns = process.getuid!() === 0 ? [] : ['--user', '--map-root-user'];
  const out = execFileSync('unshare', [...userns, '--mount', '--propagation', 'private', 'sh', '-c',
    `mount -t tmpfs -o ro my-tmpfs '${join(d, 'with space')}' && exec "$0" --import tsx --input-type=module -e "$1"`,
    process.execPath, code], { cwd: ROOT, encoding: 'utf8' });
  t.deepEqual(JSON.parse(out), { fstype: 'tmpfs', source: 'my-tmpfs', ro: true });
  t.false(mounts().some((m) => m.target === join(d, 'with space')), 'the host mount table is untouched');
  t.deepEqual(readdirSync(d), ['with space']);
});
