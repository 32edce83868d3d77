// Memory safety at the boundary: arguments that lie about themselves (own properties, getters, subclasses, proxies,
// objects made from a prototype) never make the kernel touch memory outside the object's real bytes, and nothing the
// caller runs during argument conversion changes what was checked. Every Buffer handed over here is a window inside a
// larger ArrayBuffer filled with guard bytes: an out-of-bounds write shows as a changed guard byte (not as a crash, or
// as nothing), an out-of-bounds read as guard bytes in what the kernel wrote out.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  open, close, read, write, pread, pwrite, readv, writev, preadv2, pwritev2, pipe2, fstat, stat, fstatat, statx, statfs,
  fstatfs, getrandom, getrusage, clock_gettime, gettimeofday, vmsplice, setxattr, getxattr, fcntl, getdents,
  Stat, Statx, Statfs, Rusage, Timespec, Timeval, Lock, flags, abi, unlink, dup3, close_range,
} from '../src/index.ts';
import { needs, NEEDS } from './skips.ts';

/** preadv2/pwritev2 where the kernel (not qemu 7.2) answers them. */
const RWF = !NEEDS.rwf();

const GUARD = 0xa5;
const PAD = 256;

/** A Buffer of `n` bytes (zeroed) inside guard bytes; `intact()` says whether the guards are still all GUARD. */
function guarded(n: number) {
  const all = new Uint8Array(PAD + n + PAD).fill(GUARD);
  const b = Buffer.from(all.buffer, PAD, n).fill(0);
  const intact = () => all.subarray(0, PAD).every((x) => x === GUARD) && all.subarray(PAD + n).every((x) => x === GUARD);
  return { b, intact };
}

/** Ways a Buffer of n bytes can claim to be larger. */
const LIES: Record<string, (b: Buffer) => Buffer> = {
  'own length': (b) => Object.defineProperty(b, 'length', { value: b.length + PAD }),
  'own byteLength': (b) => Object.defineProperty(b, 'byteLength', { value: b.length + PAD }),
  'getters on length, byteLength, byteOffset, buffer': (b) => {
    const big = new ArrayBuffer(1 << 16);
    Object.defineProperty(b, 'length', { get: () => 1 << 16 });
    Object.defineProperty(b, 'byteLength', { get: () => 1 << 16 });
    Object.defineProperty(b, 'byteOffset', { get: () => 0 });
    Object.defineProperty(b, 'buffer', { get: () => big });
    return b;
  },
  'subclass overrides': (b) => {
    class Liar extends Buffer {
      get length() { return 1 << 16; }
      get byteLength() { return 1 << 16; }
      subarray() { return Buffer.alloc(1 << 16); }
      slice() { return Buffer.alloc(1 << 16); }
    }
    return Object.setPrototypeOf(b, Liar.prototype) as Buffer;
  },
};

const dir = mkdtempSync(join(tmpdir(), 'tsyscall-safety-'));
const file = join(dir, 'data');
writeFileSync(file, Buffer.alloc(4096, 0x11));

for (const [lie, apply] of Object.entries(LIES)) {
  test(`kernel writes stay inside a Buffer that lies (${lie}): read, pread, readv, preadv2, getrandom`, (t) => {
    const calls: [string, (b: Buffer) => unknown][] = [
      ['read', (b) => { using f = open(file); return read(f, b); }],
      ['pread', (b) => { using f = open(file); return pread(f, b, 0); }],
      ['readv', (b) => { using f = open(file); return readv(f, [b]); }],
      ['preadv2', (b) => { using f = open(file); return preadv2(f, [b], 0); }],
      ['getrandom', (b) => getrandom(b)],
    ];
    for (const [name, call] of calls) {
      if (!RWF && (name === 'preadv2' || name === 'pwritev2')) continue; // qemu 7.2 has neither (ENOSYS)
      const g = guarded(16);
      const r = call(apply(g.b));
      t.true(g.intact(), `${name}: a guard byte changed`);
      t.is(r, 16, `${name}: the kernel was given 16 bytes`);
    }
  });

  test(`kernel reads stay inside a Buffer that lies (${lie}): write, pwrite, writev, pwritev2, vmsplice`, (t) => {
    const calls: [string, (w: ReturnType<typeof pipe2>[1], b: Buffer) => unknown][] = [
      ['write', (w, b) => write(w, b)],
      ['pwrite', (w, b) => { const p = join(dir, 'pw'); using f = open(p, 'wronly, creat, trunc'); pwrite(f, b, 0); return readFileSync(p); }],
      ['writev', (w, b) => writev(w, [b])],
      ['pwritev2', (w, b) => pwritev2(w, [b])],
      ['vmsplice', (w, b) => vmsplice(w, [b])],
    ];
    for (const [name, call] of calls) {
      if (!RWF && (name === 'preadv2' || name === 'pwritev2')) continue; // qemu 7.2 has neither (ENOSYS)
      const [r, w] = pipe2('nonblock');
      const g = guarded(8);
      g.b.write('payload!');
      const res = call(w, apply(g.b));
      const out = Buffer.isBuffer(res) ? res : read(r, 4096);
      t.is(out.toString('latin1'), 'payload!', `${name}: exactly the 8 bytes went out`);
      r.close();
      w.close();
    }
  });
}

test('the kernel fills a struct view only where its memory really is (fstat, stat, fstatat, statx, statfs, fstatfs, getrusage, clock_gettime, gettimeofday)', (t) => {
  const views: [string, { size: number; new (b?: Buffer, o?: number): object }, (v: never) => unknown][] = [
    ['fstat', Stat, (v) => { using f = open(file); return fstat(f, v); }],
    ['stat', Stat, (v) => stat(file, v)],
    ['fstatat', Stat, (v) => fstatat(abi.AT.FDCWD, file, 0, v)],
    ['statx', Statx, (v) => statx(abi.AT.FDCWD, file, 0, 'basic_stats', v)],
    ['statfs', Statfs, (v) => statfs(dir, v)],
    ['fstatfs', Statfs, (v) => { using f = open(dir, 'directory'); return fstatfs(f, v); }],
    ['getrusage', Rusage, (v) => getrusage('self', v)],
    ['clock_gettime', Timespec, (v) => clock_gettime('realtime', v)],
    ['gettimeofday', Timeval, (v) => gettimeofday(v)],
  ];
  for (const [name, Cls, call] of views) {
    // a view over a window that then claims to be tiny, or huge
    for (const lie of Object.keys(LIES)) {
      const g = guarded(Cls.size);
      const v = new Cls(g.b);
      LIES[lie](g.b);
      call(v as never);
      t.true(g.intact(), `${name} (${lie}): a guard byte changed`);
      t.true(g.b.some((x) => x !== 0), `${name} (${lie}): the kernel filled the view`);
    }
    // $buffer and $offset are the view's, read-only: reassigning them throws, redefining them changes nothing
    const g = guarded(Cls.size);
    const v = new Cls(g.b) as { $buffer: Buffer };
    t.throws(() => { v.$buffer = Buffer.alloc(1); }, { instanceOf: TypeError }, `${name}: $buffer is read-only`);
    Object.defineProperty(v, '$buffer', { value: Buffer.alloc(1) });
    Object.defineProperty(v, '$offset', { value: 1 << 20 });
    call(v as never);
    t.true(g.intact() && g.b.some((x) => x !== 0), `${name}: a redefined $buffer is not what the kernel gets`);
    // a subclass whose $buffer lies
    class Liar extends (Cls as unknown as new (b?: Buffer) => object) {
      get $buffer() { return Buffer.alloc(1); }
      get $offset() { return -5; }
    }
    const g2 = guarded(Cls.size);
    call(new Liar(g2.b) as never);
    t.true(g2.intact() && g2.b.some((x) => x !== 0), `${name}: a subclass's $buffer is not what the kernel gets`);
    // something that only looks like a view is refused before any memory is taken
    t.throws(() => call(Object.create(Cls.prototype) as never), { instanceOf: TypeError }, `${name}: a prototype-made object`);
    t.throws(() => call(new Proxy(new Cls(), {}) as never), { instanceOf: TypeError }, `${name}: a proxy of a view`);
  }
});

test('a view whose buffer was detached or shrunk is a RangeError, not a write into freed memory', (t) => {
  const ab = new ArrayBuffer(Stat.size);
  const st = new Stat(Buffer.from(ab));
  structuredClone(ab, { transfer: [ab] });
  t.throws(() => stat(file, st), { instanceOf: RangeError });
  const rab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void })(Stat.size, { maxByteLength: Stat.size * 2 });
  const st2 = new Stat(Buffer.from(rab));
  rab.resize(8);
  t.throws(() => stat(file, st2), { instanceOf: RangeError });
});

test('fcntl getlk reads and writes only the Lock', (t) => {
  using f = open(file, 'rdwr');
  for (const lie of Object.keys(LIES)) {
    const g = guarded(Lock.size);
    const l = new Lock(g.b);
    l.l_type = abi.F.WRLCK;
    l.l_len = 10n as never;
    LIES[lie](g.b);
    fcntl(f, 'getlk', l);
    t.true(g.intact(), lie);
    t.is(l.type, 'unlck', lie); // nobody else holds a lock on it
  }
});

test('an iovec array whose elements or methods lie gets the real bytes of each element', (t) => {
  const [r, w] = pipe2('nonblock');
  const a = Buffer.from('one');
  const arr = [a, 'two'];
  Object.defineProperty(arr, 'map', { value: () => [Buffer.alloc(1 << 16)] });
  Object.defineProperty(arr, 'forEach', { value: () => undefined });
  writev(w, arr);
  // an element read through a getter is read once: the kernel gets what that read returned
  let reads = 0;
  const tricky = [] as Buffer[];
  Object.defineProperty(tricky, 0, { get: () => (reads++ === 0 ? Buffer.from('three') : Buffer.alloc(1 << 16)), enumerable: true });
  writev(w, tricky);
  t.is(read(r, 100).toString(), 'onetwothree');
  t.is(reads, 1);
  r.close();
  w.close();
});

test('a path cannot change after its check: a getter in a later argument rewrites the caller\'s Buffer, the kernel sees the checked copy', (t) => {
  const p = Buffer.from(join(dir, 'created') + '\0');
  const how: unknown[] = ['wronly', 'creat'];
  Object.defineProperty(how, 2, {
    enumerable: true,
    get() {
      p[p.length - 1] = 0x41; // the final NUL is gone: the kernel would read past the Buffer
      p.write('/nonexistent/zz', 0);
      return 'trunc';
    },
  });
  const f = open(p, how as never);
  f.close();
  t.true(existsSync(join(dir, 'created')));
  t.false(readdirSync(dir).some((n) => n.startsWith('createdA')));
  unlink(join(dir, 'created'));
});

test('setxattr and sethostname get the bytes that were checked', (t) => {
  const g = guarded(4);
  g.b.write('blue');
  LIES['own length'](g.b);
  try {
    setxattr(file, 'user.colour', g.b);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOTSUP' || (e as { code?: string }).code === 'EOPNOTSUPP') return t.pass('no user xattrs on this filesystem');
    throw e;
  }
  t.is(getxattr(file, 'user.colour').toString('latin1'), 'blue');
});

needs('root')('sethostname sends exactly the name\'s bytes (in a fresh UTS namespace)', (t) => {
  const r = spawnSync('unshare', ['--uts', process.execPath, '--import', 'tsx', '--input-type=module', '-e', `
    const { sethostname } = await import(${JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts'))});
    const { readFileSync } = await import('node:fs');
    const all = new Uint8Array(64).fill(0x41);
    const b = Buffer.from(all.buffer, 8, 3); b.write('box');
    Object.defineProperty(b, 'length', { value: 40 });
    sethostname(b);
    console.log(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
  `], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), 'box');
});

test('file: URLs go through node:url: no encoded slashes, no remote hosts, no URIError', (t) => {
  const name = join(dir, 'u');
  writeFileSync(name, 'x');
  using f = open(pathToFileURL(name));
  t.is(read(f).toString(), 'x');
  for (const u of ['file:///tmp/a%2Fb', 'file://host/etc/hostname', 'file:///tmp/%ff', 'file:///tmp/..%2F..%2Fetc%2Fhostname']) {
    t.throws(() => open(new URL(u)), { instanceOf: TypeError }, u);
  }
});

test('the flags memo is bounded: 200,000 distinct flag strings do not grow the heap', (t) => {
  // in a child with --expose-gc, so that the heap is measured after a full collection
  const script = `
    const { flags, abi } = await import(${JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts'))});
    const names = ['rdonly','creat','excl','noctty','trunc','append','nonblock','dsync','direct','largefile','directory','nofollow','noatime','cloexec','sync','path','tmpfile'];
    const one = (i) => names.filter((_, k) => (i >> k) & 1).join(i & 1 ? ',' : '|') || 'rdonly';
    for (let i = 0; i < 5000; i++) flags(abi.O, 'O', 'O_', one(i));
    gc(); const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200000; i++) flags(abi.O, 'O', 'O_', one(i) + ' '.repeat(i % 7) + (i % 3 ? '' : ',rdonly'));
    gc(); const after = process.memoryUsage().heapUsed;
    console.log(JSON.stringify({ before, after }));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const { before, after } = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.true(after - before < 8 * 1024 * 1024, `the heap grew by ${((after - before) / 1048576).toFixed(1)} MiB`);
  void flags;
});

test('getdents holds its Fd: a collection between steps does not close it, nor let its number go to another directory', async (t) => {
  const a = mkdtempSync(join(tmpdir(), 'tsyscall-dents-a-'));
  const b = mkdtempSync(join(tmpdir(), 'tsyscall-dents-b-'));
  for (let i = 0; i < 300; i++) writeFileSync(join(a, `a${i}`), '');
  for (let i = 0; i < 300; i++) writeFileSync(join(b, `b${i}`), '');
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const seen: string[] = [];
  const others: ReturnType<typeof open>[] = [];
  // small reads: the iteration goes back to the kernel many times
  for (const e of getdents(open(a, 'rdonly, directory'), 64)) {
    seen.push(e.name);
    if (seen.length % 50 === 0) {
      gc();
      await new Promise((r) => setTimeout(r, 5)); // finalizers run here
      others.push(open(b, 'rdonly, directory')); // would take a freed number
    }
  }
  for (const o of others) close(o);
  t.is(seen.filter((n) => n.startsWith('b')).length, 0);
  t.is(seen.filter((n) => n.startsWith('a')).length, 300);
});

test('close_range makes the Fds it closed forget their numbers, from the owners table (no /proc read)', (t) => {
  const x = dup3(open('/dev/null'), 700);
  const y = dup3(open('/dev/null'), 701);
  close_range(700, 701);
  t.true(x.closed && y.closed);
  // the numbers are reused by new opens; the old Fds must never close them
  const z = dup3(open(file), 700);
  x.close();
  t.is(read(z, 1).length, 1);
  z.close();
});

needs('truncatedPath')('a path in a shared mapping whose file was truncated: EFAULT, not a SIGBUS that kills the process', (t) => {
  // in a child: if the library read the vanished page itself, the process would die
  const script = `
    const { memfd_create, ftruncate, mmap, open, sethostname } = await import(${JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts'))});
    const f = memfd_create('x');
    ftruncate(f, 4096);
    const b = mmap(4096, 'read, write', 'shared', f).buffer.subarray(0, 8);
    b.write('/tmp\\0');
    ftruncate(f, 0);
    const codes = [];
    for (const call of [() => open(b), () => sethostname(b)]) {
      try { call(); codes.push('ok'); } catch (e) { codes.push(e.code); }
    }
    console.log(codes.join(' '));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.is(r.signal, null, r.stderr);
  t.is(r.stdout.trim(), 'EFAULT EFAULT');
});
