// Memory mappings: each call checked by its effect, in /proc/self/smaps, in the memory, in files, or in a child process
// for what would crash or change this one (faults, mlockall).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open, SyscallError, abi } from '../src/index.ts';
import {
  mmap, munmap, mremap, mprotect, madvise, msync, mincore, mlock, mlock2, munlock, mlockall, munlockall, mseal,
  Mapping, pageSize,
} from '../src/memory.ts';
import { needs, skip, USER_NS } from './skips.ts';
import { ADDRESS_LIMIT } from '../src/core/words.ts'; // 2^47 on x86_64, 2^48 on aarch64, 2^32 on 32-bit arches

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MEMORY = JSON.stringify(join(ROOT, 'src', 'memory.ts'));
const PS = pageSize();
const IS_ROOT = process.getuid?.() === 0;

/** Run an ES module in a child node (optionally under a wrapper command such as setpriv); its status and output. */
function child(code: string, opts: { wrapper?: string[]; node?: string[] } = {}) {
  const args = [...(opts.node ?? []), '--import', 'tsx', '--input-type=module', '-e', code];
  const [cmd, ...pre] = opts.wrapper ? [...opts.wrapper, process.execPath] : [process.execPath];
  const r = spawnSync(cmd, [...pre, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, signal: r.signal, out: r.stdout.trim(), err: r.stderr };
}

/**
 * The /proc/self/smaps entry of the vma the address is in (or, with `containing` false, of the vma that starts there,
 * for sizes: the kernel may merge a mapping with a neighbour of the same kind, which happens on crowded 32-bit address
 * spaces): its range, permissions and fields (kB), or undefined.
 */
function smaps(address: number, containing = true): { start: number; end: number; perms: string; fields: Record<string, number>; flags: string[] } | undefined {
  const lines = readFileSync('/proc/self/smaps', 'utf8').split('\n');
  const range = (l: string) => (/^([0-9a-f]+)-([0-9a-f]+) /.exec(l) ?? []).slice(1).map((h) => parseInt(h, 16));
  const i = lines.findIndex((l) => {
    const [lo, hi] = range(l);
    return lo !== undefined && (containing ? lo <= address && address < hi : lo === address);
  });
  if (i < 0) return undefined;
  const [start, end] = range(lines[i]);
  const perms = lines[i].split(/\s+/)[1];
  const fields: Record<string, number> = {};
  let flags: string[] = [];
  for (let j = i + 1; j < lines.length && !/^[0-9a-f]+-/.test(lines[j]); j++) {
    const [k, v] = lines[j].split(/:\s+/);
    if (k === 'VmFlags') flags = v.trim().split(' ');
    else if (v) fields[k] = parseInt(v, 10);
  }
  return { start, end, perms, fields, flags };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'tsyscall-memory-'));

needs('procMaps')('mmap: an anonymous private mapping, zero-filled, with a Buffer over it; munmap removes it, once', (t) => {
  const m = mmap(2 * PS);
  t.true(m instanceof Mapping);
  t.is(m.length, 2 * PS);
  t.true(m.address > 0 && m.address < ADDRESS_LIMIT && m.address % PS === 0);
  const b = m.buffer;
  t.is(b.length, 2 * PS);
  t.true(b.every((x) => x === 0));
  b.write('hello', PS);
  t.is(m.buffer, b); // the same view while nothing changes
  t.is(m.buffer.toString('utf8', PS, PS + 5), 'hello');
  const vma = smaps(m.address, true)!;
  t.is(vma.perms, 'rw-p');
  t.true(vma.start <= m.address && vma.end >= m.address + 2 * PS, 'one rw-p vma covers the mapping');
  if (vma.start === m.address && vma.end === m.address + 2 * PS) t.is(vma.fields.Size, (2 * PS) / 1024);
  t.regex(String(m), /^Mapping\(0x[0-9a-f]+, 8192\)$/);
  munmap(m);
  t.true(m.unmapped);
  t.is(smaps(m.address, true), undefined);
  t.is(smaps(m.address + PS, true), undefined);
  t.is(b.length, 0); // detached: nothing can reach the unmapped memory through it
  m.munmap(); // idempotent
  t.is(String(m), 'Mapping(unmapped)');
  const err = t.throws(() => m.buffer, { instanceOf: SyscallError, code: 'EFAULT' })!;
  t.regex(err.message, /was unmapped/);
  t.throws(() => mprotect(m, 'read'), { code: 'EFAULT' });
});

needs('procMaps')('mmap: `using` unmaps at the end of the block; PROT_NONE mappings have no buffer until readable', (t) => {
  let address = 0;
  {
    using m = mmap(PS, 'none');
    address = m.address;
    t.is(smaps(address)!.perms, '---p');
    t.throws(() => m.buffer, { instanceOf: SyscallError, code: 'EACCES' });
    m.mprotect('read');
    t.is(m.buffer[0], 0);
  }
  t.is(smaps(address), undefined);
});

needs('procMaps', 'smaps')('mmap of a file, shared: the file sees the bytes; msync writes them back (the pages are clean again)', (t) => {
  const dir = tmp();
  const p = join(dir, 'f');
  writeFileSync(p, Buffer.alloc(2 * PS, '.'));
  using fd = open(p, 'rdwr');
  using m = mmap(2 * PS, 'read, write', undefined, fd); // shared by default with an fd
  t.is(m.buffer.toString('utf8', 0, 3), '...');
  m.buffer.write('hello', PS);
  t.true(smaps(m.address)!.fields.Private_Dirty + smaps(m.address)!.fields.Shared_Dirty > 0);
  msync(m, 'sync');
  const vma = smaps(m.address)!;
  t.is(vma.fields.Private_Dirty + vma.fields.Shared_Dirty, 0);
  t.is(readFileSync(p).toString('utf8', PS, PS + 5), 'hello');
  m.buffer.write('async', 0);
  m.msync('async, invalidate');
  msync(m, 'sync', PS, PS); // a page-aligned part
  t.is(readFileSync(p).toString('utf8', 0, 5), 'async');
  t.throws(() => msync(m, 'bogus'), { instanceOf: TypeError, message: /unknown MSYNC flag 'bogus'/ });
  t.throws(() => msync(m, 'sync', 1), { code: 'EINVAL' }); // not page-aligned: the kernel says so
  // read-only: a private mapping at an offset
  using ro = mmap(PS, 'read', 'private', fd, BigInt(PS)); // offsets may be bigints
  t.is(ro.buffer.toString('utf8', 0, 5), 'hello');
  t.is(smaps(ro.address)!.perms, 'r--p');
  rmSync(dir, { recursive: true });
});

needs('fixedNoreplace')('mmap: MAP_FIXED is refused, fixed_noreplace places a mapping exactly and never over another', (t) => {
  t.throws(() => mmap(PS, 'read', 'private, anonymous, fixed', undefined, 0, 0x10000000), {
    instanceOf: TypeError, message: /MAP_FIXED could replace memory/,
  });
  const probe = mmap(PS);
  const address = probe.address;
  probe.munmap();
  using m = mmap(PS, 'read, write', 'private, anonymous, fixed_noreplace', undefined, 0, address);
  t.is(m.address, address);
  t.throws(() => mmap(PS, 'read', 'private, anonymous, fixed_noreplace', undefined, 0, address), { code: 'EEXIST' });
  t.is(m.buffer.length, PS);
});

test('argument checks: a Mapping, offsets and lengths within it, known names; no bare addresses', (t) => {
  using m = mmap(2 * PS);
  t.throws(() => new (Mapping as any)(Symbol('x'), 0x1000, 4096), { instanceOf: TypeError, message: /come from mmap/ });
  t.throws(() => mprotect(0x1000 as never, 'read'), { instanceOf: TypeError, message: /mprotect: expected a Mapping/ });
  t.throws(() => munmap({ address: 1, length: 2 } as never), { instanceOf: TypeError });
  t.throws(() => mprotect(m, 'read', 0, 2 * PS + 1), { instanceOf: RangeError, message: /length out of range/ });
  t.throws(() => mprotect(m, 'read', 3 * PS), { instanceOf: RangeError, message: /offset out of range/ });
  t.throws(() => mprotect(m, 'read', -1), { instanceOf: RangeError });
  t.throws(() => mprotect(m, 'reed'), { instanceOf: TypeError, message: /unknown PROT flag 'reed'/ });
  t.throws(() => madvise(m, 'hwpoison'), { instanceOf: RangeError, message: /HWPOISON/ });
  t.throws(() => madvise(m, 'nope'), { instanceOf: TypeError, message: /unknown MADV flag/ });
  t.throws(() => mmap(-1), { instanceOf: RangeError });
  t.throws(() => mmap(PS, 'read', 'private, anonymous', undefined, 0, ADDRESS_LIMIT), { instanceOf: RangeError, message: /address/ });
  t.throws(() => mmap(PS, 'read', 'shared', 'x' as never), { instanceOf: TypeError });
  t.throws(() => mmap(0), { code: 'EINVAL' });
  t.throws(() => mremap(m, 3 * PS, 'maymove, fixed'), { instanceOf: TypeError, message: /MREMAP_FIXED/ });
  t.is(m.length, 2 * PS); // nothing happened
});

needs('procMaps')('mprotect: the vma gets the protection; a page without PROT_READ detaches the views until readable again', (t) => {
  using m = mmap(3 * PS);
  const b = m.buffer;
  b.write('data', 0);
  mprotect(m, 'read');
  t.is(smaps(m.address)!.perms, 'r--p');
  t.is(m.buffer, b); // still readable: the same view
  t.is(b.toString('utf8', 0, 4), 'data');
  mprotect(m, 'none', PS, PS);
  t.is(smaps(m.address + PS)!.perms, '---p');
  t.is(b.length, 0);
  t.throws(() => m.buffer, { code: 'EACCES' });
  mprotect(m, 'read, write', PS, PS);
  t.is(m.buffer.toString('utf8', 0, 4), 'data'); // a fresh view of the same memory
  t.throws(() => mprotect(m, 'read', 1, PS), { code: 'EINVAL' }); // not page-aligned
  m.mprotect('read, write');
  t.is(smaps(m.address)!.perms, 'rw-p');
});

test('mprotect: writing to a PROT_READ mapping faults (a child dies of SIGSEGV; this process is untouched)', (t) => {
  const r = child(`
    import { mmap } from ${MEMORY};
    const m = mmap(4096);
    m.mprotect('read');
    console.log('readable', m.buffer[0]);
    m.buffer[0] = 1;
    console.log('not reached');
  `);
  t.is(r.signal, 'SIGSEGV');
  t.is(r.out, 'readable 0');
});

test('after munmap, old views and the Mapping throw or read nothing, and the process does not crash (child)', (t) => {
  const r = child(`
    import { mmap, munmap, madvise } from ${MEMORY};
    const m = mmap(8192);
    const b = m.buffer;
    const sub = b.subarray(100, 200);
    const u32 = new Uint32Array(b.buffer);
    b.fill(7);
    munmap(m);
    const out = [b.length, sub.length, u32.length, String(b[0]), String(sub[5]), String(u32[0])];
    b[0] = 1; u32[0] = 1; // stores into a detached view go nowhere
    for (const f of [() => b.readUInt8(0), () => b.writeUInt32LE(1, 0), () => m.buffer, () => madvise(m, 'dontneed')]) {
      try { f(); out.push('no throw'); } catch (e) { out.push(e.code); }
    }
    console.log(out.join(' '));
  `);
  t.is(r.status, 0, r.err);
  t.is(r.signal, null);
  t.is(r.out, '0 0 0 undefined undefined undefined ERR_BUFFER_OUT_OF_BOUNDS ERR_BUFFER_OUT_OF_BOUNDS EFAULT EFAULT');
});

needs('procMaps', 'smaps', 'madvise')('madvise: dontneed zeroes private pages, dontdump sets the vma flag, guard pages detach the views', (t) => {
  using m = mmap(2 * PS);
  m.buffer.fill(9);
  madvise(m, 'dontneed', PS, PS);
  t.is(m.buffer[0], 9);
  t.is(m.buffer[PS], 0);
  madvise(m, 'MADV_DONTDUMP');
  t.true(smaps(m.address)!.flags.includes('dd'));
  m.madvise(abi.MADV.DODUMP);
  t.false(smaps(m.address)!.flags.includes('dd'));
  const b = m.buffer;
  madvise(m, 'guard_install', PS, PS);
  t.is(b.length, 0);
  t.throws(() => m.buffer, { code: 'EACCES' });
  t.true(mincore(m, 0, PS)[0]); // the first page is still there
  madvise(m, 'guard_remove', PS, PS);
  t.is(m.buffer[0], 9);
  t.is(m.buffer[PS], 0);
});

test('mincore: which pages are resident', (t) => {
  using m = mmap(3 * PS);
  t.deepEqual(mincore(m), [false, false, false]);
  m.buffer[2 * PS] = 1;
  t.deepEqual(m.mincore(), [false, false, true]);
  t.deepEqual(mincore(m, 2 * PS, 1), [true]);
  t.throws(() => mincore(m, 1), { code: 'EINVAL' });
});

needs('procMaps', 'mremap32')('mremap: grows (moving if needed) with the contents; old views are detached; dontunmap makes a new Mapping', (t) => {
  using m = mmap(PS);
  const b = m.buffer;
  b.write('kept');
  const r = mremap(m, 4 * PS);
  t.is(r, m);
  t.is(m.length, 4 * PS);
  t.is(b.length, 0);
  t.is(m.buffer.length, 4 * PS);
  t.is(m.buffer.toString('utf8', 0, 4), 'kept');
  t.is(smaps(m.address, false)!.fields.Size, (4 * PS) / 1024);
  m.mremap(2 * PS);
  t.is(m.buffer.length, 2 * PS);
  t.is(smaps(m.address, false)!.fields.Size, (2 * PS) / 1024);
  // a neighbour right after it: growing in place is impossible, and without 'maymove' it may not move
  let neighbour: Mapping | undefined;
  try {
    neighbour = mmap(PS, 'read', 'private, anonymous, fixed_noreplace', undefined, 0, m.address + m.length);
  } catch (e) {
    t.is((e as SyscallError).code, 'EEXIST'); // something is there already: as good
  }
  t.throws(() => mremap(m, 3 * PS, 0), { code: 'ENOMEM' });
  neighbour?.munmap();
  // dontunmap: the pages move to a new mapping, the old range stays mapped and reads zeros
  using moved = mremap(m, 2 * PS, 'maymove, dontunmap');
  t.not(moved, m);
  t.not(moved.address, m.address);
  t.is(moved.buffer.toString('utf8', 0, 4), 'kept');
  t.is(m.buffer[0], 0);
});

needs('procMaps', 'smaps', 'mlock2')('mlock, mlock2 (onfault) and munlock: the vma is locked, populated or not, and unlocked', (t) => {
  using m = mmap(4 * PS);
  mlock(m);
  let vma = smaps(m.address, false)!;
  t.true(vma.flags.includes('lo'));
  t.is(vma.fields.Locked, (4 * PS) / 1024); // populated and locked
  munlock(m);
  t.false(smaps(m.address)!.flags.includes('lo'));
  using f = mmap(4 * PS);
  f.mlock2('onfault');
  vma = smaps(f.address, false)!;
  t.true(vma.flags.includes('lo'));
  t.true(vma.flags.includes('lf'));
  t.is(vma.fields.Rss, 0); // nothing populated yet
  f.buffer[0] = 1;
  t.is(smaps(f.address, false)!.fields.Locked, PS / 1024);
  f.munlock();
  mlock2(m, 0, 0, PS); // part of a mapping: the vma splits
  t.true(smaps(m.address)!.flags.includes('lo'));
  t.false(smaps(m.address + PS)!.flags.includes('lo'));
  m.munlock(0, PS);
});

needs('root', 'memlock')('mlockall and munlockall: the process locks all it maps (VmLck), then nothing (child, as root)', (t) => {
  const r = child(`
    import { mlockall, munlockall } from ${MEMORY};
    import { readFileSync } from 'node:fs';
    const lck = () => Number(/VmLck:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
    const before = lck();
    mlockall('current, future, onfault');
    const locked = lck();
    munlockall();
    console.log(before, locked > 10000 ? 'locked' : locked, lck());
  `);
  t.is(r.status, 0, r.err);
  t.is(r.out, '0 locked 0');
});

test('mlockall without CAP_IPC_LOCK: ENOMEM beyond RLIMIT_MEMLOCK (child under setpriv)', (t) => {
  const r = child(`
    import { mlockall } from ${MEMORY};
    try { mlockall('current'); console.log('locked'); } catch (e) { console.log(e.code); }
  `, { wrapper: ['setpriv', '--bounding-set', '-ipc_lock', '--inh-caps', '-ipc_lock', 'prlimit', '--memlock=65536'] });
  t.is(r.status, 0, r.err);
  t.is(r.out, 'ENOMEM');
});

needs('procMaps', 'mseal')('mseal: a sealed mapping refuses munmap and mprotect with EPERM and stays usable', (t) => {
  const m = mmap(PS);
  m.buffer.write('sealed');
  mseal(m);
  const err = t.throws(() => m.munmap(), { instanceOf: SyscallError, code: 'EPERM' })!;
  t.is(err.syscall, 'munmap');
  t.throws(() => mprotect(m, 'read'), { code: 'EPERM' });
  t.throws(() => mremap(m, 2 * PS), { code: 'EPERM' });
  t.false(m.unmapped);
  t.is(m.buffer.toString('utf8', 0, 6), 'sealed');
  t.is(smaps(m.address)!.perms, 'rw-p');
  t.true(smaps(m.address)!.flags.includes('sl'));
  const other = mmap(2 * PS); // sealed: never unmapped (no `using`)
  other.mseal(PS, PS); // part of a mapping
  t.throws(() => other.munmap(), { code: 'EPERM' });
});

const gcScript = (keep: 'nothing' | 'buffer' | 'nogc') => `
  import { mmap } from ${MEMORY};
  import { readFileSync } from 'node:fs';
  const mapped = (a) => readFileSync('/proc/self/maps', 'utf8').includes(a.toString(16) + '-');
  let address, kept;
  (() => {
    const m = mmap(4096);
    address = m.address;
    m.buffer.write('still here');
    ${keep === 'buffer' ? 'kept = m.buffer.subarray(0, 10);' : keep === 'nogc' ? 'm.nogc();' : ''}
  })();
  for (let i = 0; i < 20; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
  console.log(mapped(address) ? 'mapped' : 'unmapped', kept ? kept.toString() : '');
`;

needs('procMaps')('the garbage collector unmaps a Mapping nothing reaches; a live view keeps it; nogc() keeps it (child)', (t) => {
  const run = (k: 'nothing' | 'buffer' | 'nogc') => child(gcScript(k), { node: ['--expose-gc'] });
  t.is(run('nothing').out, 'unmapped');
  t.is(run('buffer').out, 'mapped still here');
  t.is(run('nogc').out, 'mapped');
});

// What keeps a Mapping alive is the library's own link from its views' ArrayBuffer (a WeakMap), not a property of the
// views: deleting or redefining every property a caller can reach leaves the memory mapped while a view lives.
needs('procMaps')('nothing done to the properties of a view unlinks it from its Mapping: the collector leaves it mapped (child)', (t) => {
  const r = child(`
    import { mmap } from ${MEMORY};
    import { readFileSync } from 'node:fs';
    const mapped = (a) => readFileSync('/proc/self/maps', 'utf8').includes(a.toString(16) + '-');
    let address, view, typed;
    (() => {
      const m = mmap(4096);
      address = m.address;
      view = m.buffer.subarray(0, 10);
      view.write('still here');
      typed = new Uint32Array(m.buffer.buffer);
    })();
    const named = (o) => Reflect.ownKeys(o).filter((k) => typeof k === 'symbol' || !/^[0-9]+$/.test(k));
    let touched = 0;
    for (const o of [view, view.buffer, typed, Object.getPrototypeOf(view.buffer)]) {
      for (const k of named(o)) {
        try { delete o[k]; touched++; } catch {}
        try { Object.defineProperty(o, k, { value: null, configurable: true }); } catch {}
      }
      for (const k of Object.getOwnPropertySymbols(view.buffer)) { try { view.buffer[k] = null; } catch {} }
    }
    for (let i = 0; i < 20; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
    console.log(mapped(address) ? 'mapped' : 'unmapped', view.toString(), typed[0] !== undefined);
  `, { node: ['--expose-gc'] });
  t.is(r.signal, null, r.err);
  t.is(r.status, 0, r.err);
  t.is(r.out, 'mapped still here true');
});

// The page size comes from the auxiliary vector through libc's getauxval, before the kernel maps: without /proc, mmap
// works (it used to read /proc/self/auxv after mapping, and threw ENOENT with the memory left mapped).
(USER_NS ? skip : needs('root'))(`mmap without /proc (a fresh mount namespace with /proc unmounted, as root)${USER_NS ? ' (skipped: root of a user namespace cannot unmount the /proc it inherited: a locked mount)' : ''}`, (t) => {
  const r = child(`
    import { existsSync } from 'node:fs';
    import { mmap, mincore, pageSize } from ${MEMORY};
    const m = mmap(2 * 4096);
    m.buffer.write('no proc');
    const resident = mincore(m);
    const text = m.buffer.toString('utf8', 0, 7);
    m.munmap();
    let after;
    try { mincore(m); } catch (e) { after = e.code; }
    console.log(existsSync('/proc/self'), pageSize(), text, resident.join(','), after);
  `, {
    // every /proc mounted there (the test harness mounts a fresh one over the host's)
    wrapper: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
      'while mountpoint -q /proc; do umount -l /proc || exit 1; done; exec "$0" "$@"'],
  });
  t.is(r.status, 0, r.err);
  t.is(r.out, `false ${PS} no proc true,false EFAULT`);
});

// mlockall(MCL_FUTURE) without the right to lock Node's later growth used to be accepted by the kernel, and V8 then
// aborted (SIGTRAP, "Check failed: 0 == ret") on its next mmap. It is refused now, and the process goes on.
test('mlockall(\'future\') without the right to lock Node\'s growth is refused (EPERM) and the process lives on (child: uid 65534 when root, RLIMIT_MEMLOCK 8 MiB)', (t) => {
  const r = child(`
    import { mlockall } from ${MEMORY};
    let out = 'locked';
    try { mlockall('future'); } catch (e) { out = e.code + (/RLIMIT_MEMLOCK/.test(e.message) ? ' RLIMIT_MEMLOCK' : ''); }
    try { mlockall('current, future, onfault'); } catch (e) { out += ' ' + e.code; }
    const keep = [];
    for (let i = 0; i < 100; i++) keep.push(new Array(100000).fill(i), Buffer.alloc(1 << 20));
    console.log(out, 'survived', keep.length);
  `, {
    // root of the initial user namespace becomes nobody (root of another one has no CAP_IPC_LOCK where it counts)
    wrapper: [...(IS_ROOT && !USER_NS ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []), 'prlimit', '--memlock=8388608:8388608'],
  });
  t.is(r.signal, null, r.err);
  t.is(r.status, 0, r.err);
  t.is(r.out, 'EPERM RLIMIT_MEMLOCK EPERM survived 200');
});

needs('root', 'memlock')('mlockall(\'future\') with CAP_IPC_LOCK is not refused (child, as root)', (t) => {
  const r = child(`
    import { mlockall, munlockall } from ${MEMORY};
    mlockall('future, onfault');
    const keep = [];
    for (let i = 0; i < 20; i++) keep.push(Buffer.alloc(1 << 20));
    munlockall();
    console.log('ok', keep.length);
  `);
  t.is(r.status, 0, r.err);
  t.is(r.out, 'ok 20');
});

// A Worker's isolate is torn down without finalizers: its collectable Mappings are unmapped when it returns or calls
// process.exit() (its views detached first, for 'exit' listeners after the library's). After terminate() no code of the
// Worker runs, and no other thread may unmap on the word of memory any code can write: they stay mapped (README says so).
needs('procMaps', 'evalModule')('a Worker that returns or calls process.exit() unmaps its collectable Mappings, not nogc() ones; terminate() leaves them (child)', (t) => {
  const dir = tmp();
  // file mappings: /proc/self/maps names them, whatever else is mapped at their addresses afterwards
  const worker = JSON.stringify(`
    const { register } = await import('tsx/esm/api');
    register();
    const { parentPort: port, workerData } = await import('node:worker_threads');
    const { writeFileSync } = await import('node:fs');
    const { open } = await import(${JSON.stringify(join(ROOT, 'src', 'index.ts'))});
    const { mmap } = await import(${MEMORY});
    const file = (name) => {
      const p = workerData.dir + '/' + workerData.how + '-' + name;
      writeFileSync(p, 'worker');
      const fd = open(p, 'rdwr');
      try { return mmap(4096, 'read, write', 'shared', fd); } finally { fd.close(); }
    };
    globalThis.keep = [file('a'), file('b')];
    globalThis.views = globalThis.keep.map((m) => m.buffer);
    const kept = file('kept').nogc();
    process.on('exit', () => { globalThis.late = globalThis.views.map((v) => v[0]); }); // after the library's own
    port.postMessage('mapped');
    await new Promise((r) => port.once('message', r));
    if (workerData.how === 'process.exit') process.exit(0);
    if (workerData.how === 'terminate') setInterval(() => {}, 1000);
  `);
  const r = child(`
    import { Worker } from 'node:worker_threads';
    import { readFileSync } from 'node:fs';
    import ${MEMORY};
    const dir = ${JSON.stringify(dir)};
    const where = (how) => ['a', 'b', 'kept'].map((n) => readFileSync('/proc/self/maps', 'utf8').includes(dir + '/' + how + '-' + n) ? 'mapped' : 'unmapped').join(',');
    for (const how of ['return', 'process.exit', 'terminate']) {
      const w = new Worker(${worker}, { eval: true, workerData: { how, dir } });
      const done = new Promise((r) => w.once('exit', r));
      await new Promise((r) => w.once('message', r));
      const before = where(how);
      w.postMessage('go');
      if (how === 'terminate') await w.terminate();
      const code = await done;
      console.log(how, code, before, where(how));
    }
  `);
  rmSync(dir, { recursive: true });
  t.is(r.signal, null, r.err);
  t.is(r.status, 0, r.err);
  t.deepEqual(r.out.split('\n'), [
    'return 0 mapped,mapped,mapped unmapped,unmapped,mapped',
    'process.exit 0 mapped,mapped,mapped unmapped,unmapped,mapped',
    'terminate 1 mapped,mapped,mapped mapped,mapped,mapped', // the stated limitation
  ]);
});
