// The conventions of the main API: SyscallError, Fd, flags, argument checks.
import test from 'ava';
import { utimesSync, mkdtempSync, writeFileSync, readFileSync, statSync, existsSync, openSync, closeSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, close, read, write, fstat, Fd, SyscallError, flags, constant, abi } from '../src/index.ts';
import { region, path as checkPath, int, int64, mode } from '../src/core/args.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'tsyscall-core-'));

test('open creates a file with the mode asked for (less umask) and write puts bytes in it', (t) => {
  const p = join(tmp(), 'a');
  const fd = open(p, 'wronly, creat, excl', 0o640);
  t.true(fd instanceof Fd);
  t.is(write(fd, 'hello '), 6);
  t.is(fd.write(Buffer.from('world')), 5);
  fd.close();
  t.is(readFileSync(p, 'utf8'), 'hello world');
  t.is(statSync(p).mode & 0o777, 0o640 & ~process.umask());
});

test('a failed call throws a SyscallError shaped like Node\'s', (t) => {
  const err = t.throws(() => open('/nonexistent/dir/x'), { instanceOf: SyscallError }) as SyscallError;
  t.is(err.code, 'ENOENT');
  t.is(err.errno, -abi.E.NOENT);
  t.is(err.syscall, 'open');
  t.is(err.path, '/nonexistent/dir/x');
  t.is(err.message, "ENOENT: No such file or directory, open '/nonexistent/dir/x'");
  const p = join(tmp(), 'b');
  writeFileSync(p, '');
  t.throws(() => open(p, 'wronly|creat|excl'), { code: 'EEXIST' });
});

test('read into a caller buffer or a fresh one; lengths are checked against the buffer', (t) => {
  const p = join(tmp(), 'r');
  writeFileSync(p, 'abcdefgh');
  using fd = open(p);
  const buf = Buffer.alloc(4);
  t.is(read(fd, buf), 4);
  t.is(buf.toString(), 'abcd');
  t.is(fd.read(buf, 1, 2), 2);
  t.is(buf.toString(), 'aefd');
  t.deepEqual(read(fd, 100).toString(), 'gh');
  t.is(read(fd).length, 0);
  t.throws(() => read(fd, buf, 0, 5), { instanceOf: RangeError, message: /buf length out of range \[0, 4\]: 5/ });
  t.throws(() => read(fd, buf, 5), { instanceOf: RangeError });
  t.throws(() => read(fd, buf, -1), { instanceOf: RangeError });
  t.throws(() => read(fd, 'abc' as never), { instanceOf: TypeError });
});

test('Fd: close is idempotent, dispose closes, a closed Fd is EBADF, numbers work too', (t) => {
  const p = join(tmp(), 'c');
  writeFileSync(p, 'x');
  const fd = open(p);
  const n = fd.fileno;
  t.true(n >= 0);
  fd.close();
  fd.close();
  t.is(fd.fileno, -1);
  t.throws(() => fd.read(1), { code: 'EBADF' });
  {
    using g = open(p);
    t.is(read(g.fileno, 1).toString(), 'x');
  }
  // the number g had is free again: node can open it
  const m = openSync(p, 'r');
  t.is(fstatSync(m).size, 1);
  closeSync(m);
});

test('closing a number forgets its Fd, so the Fd never closes a reused number', (t) => {
  const p = join(tmp(), 'd');
  writeFileSync(p, 'y');
  const fd = open(p);
  const n = fd.fileno;
  close(n);
  t.true(fd.closed);
  const other = openSync(p, 'r'); // likely reuses n
  fd.close(); // must not close `other`
  t.is(fstatSync(other).size, 1);
  closeSync(other);
});

test('a new Fd for a reused number disowns the stale one', (t) => {
  const p = join(tmp(), 'e');
  writeFileSync(p, 'z');
  const a = new Fd(openSync(p, 'r'));
  const n = a.fileno;
  closeSync(n); // closed behind the library's back
  const b = open(p);
  if (b.fileno !== n) return t.pass('the kernel did not reuse the number');
  t.true(a.closed);
  a.close();
  t.is(read(b, 1).toString(), 'z');
  b.close();
});

test('flags: strings, lists, arrays, numbers, prefixes, removal, memoised, unknown names', (t) => {
  const { O } = abi;
  t.is(flags(O, 'O', 'O_', 'rdonly, creat'), O.CREAT);
  t.is(flags(O, 'O', 'O_', 'WRONLY|CREAT|trunc'), O.WRONLY | O.CREAT | O.TRUNC);
  t.is(flags(O, 'O', 'O_', ['wronly', 'O_APPEND']), O.WRONLY | O.APPEND);
  t.is(flags(O, 'O', 'O_', O.RDWR | O.CLOEXEC), O.RDWR | O.CLOEXEC);
  t.is(flags(O, 'O', 'O_', '~nonblock', O.RDWR | O.NONBLOCK), O.RDWR);
  t.is(flags(O, 'O', 'O_', 'nonblock, ~append', O.APPEND), O.NONBLOCK);
  const err = t.throws(() => flags(O, 'O', 'O_', 'rdonly, bogus'), { instanceOf: TypeError });
  t.regex(err!.message, /unknown O flag 'bogus' \(valid: .*rdonly.*creat/);
  t.throws(() => flags(O, 'O', 'O_', 1.5), { instanceOf: TypeError });
  t.throws(() => flags(O, 'O', 'O_', {} as never), { instanceOf: TypeError });
  // above bit 31
  t.is(flags(abi.CLONE, 'CLONE', 'CLONE_', 'newns, into_cgroup'), abi.CLONE.NEWNS + 2 ** 33);
  t.is(constant(abi.AF, 'AF', 'AF_', 'inet6'), abi.AF.INET6);
  t.throws(() => constant(abi.AF, 'AF', 'AF_', 'nope'), { instanceOf: TypeError, message: /unknown AF flag 'nope'/ });
});

test('argument checks: regions, paths, integers, modes', (t) => {
  const b = Buffer.alloc(8);
  t.is(region(b, 'b').length, 8);
  t.is(region(b, 'b', 2, 3).length, 3);
  t.is(region(new Uint32Array(2), 'u').length, 8);
  t.throws(() => region(b, 'b', 9), { instanceOf: RangeError });
  t.throws(() => region({ length: 4 }, 'b'), { instanceOf: TypeError });
  t.throws(() => checkPath('a\0b'), { instanceOf: TypeError, message: /NUL/ });
  t.deepEqual(checkPath(Buffer.from('ab')), Buffer.from('ab\0'));
  t.is(checkPath(new URL('file:///tmp/x%20y')), '/tmp/x y');
  t.throws(() => checkPath(5), { instanceOf: TypeError });
  t.throws(() => int(2 ** 60, 'n'), { instanceOf: TypeError });
  t.is(int(5n, 'n'), 5);
  t.is(int64(2n ** 62n, 'off'), 2n ** 62n);
  t.throws(() => int64(-1, 'len', true), { instanceOf: RangeError });
  t.is(mode('755'), 0o755);
  t.is(mode('0o644'), 0o644);
  t.throws(() => mode('rwx'), { instanceOf: TypeError });
});

test('fstat fills a reusable Stat with friendly getters', (t) => {
  const p = join(tmp(), 's');
  writeFileSync(p, Buffer.alloc(1000), { mode: 0o600 });
  using fd = open(p);
  const st = fstat(fd);
  const node = statSync(p, { bigint: true });
  t.is(st.size, 1000n);
  t.is(st.perm, 0o600);
  t.true(st.isFile());
  t.false(st.isDirectory());
  t.is(st.ino, node.ino);
  t.is(st.mtimeNs, node.mtimeNs);
  t.is(st.mtime.getTime(), Number(node.mtimeMs));
  const again = fd.fstat(st);
  t.is(again, st);
  // a time before 1970: the kernel's unsigned fields must be read as signed
  utimesSync(p, new Date('1960-06-01T00:00:00Z'), new Date('1960-06-01T00:00:00Z'));
  t.is(fstat(fd).mtime.toISOString(), '1960-06-01T00:00:00.000Z');
  t.true(fstat(fd).mtimeNs < 0n);
  t.true(existsSync(p));
});
