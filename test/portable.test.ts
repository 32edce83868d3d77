// Portability without an emulator: for every arch koffi has a build for (tools/lib/targets.ts), the syscalls and structs the
// domain modules use there exist in that arch's generated ABI, with 64-bit file offsets, sizes and times. The modules
// call per-arch syscalls only through src/core/arch.ts (select()); every other `raw.X(` in their source must exist
// on every one of these arches, and this test reads the source to check it.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { TARGETS } from '../tools/lib/targets.ts';
import { loadArch, ARCH_NAMES, type ArchAbi, type ArchName } from '../src/generated/index.ts';
import { abi } from '../src/core/abi.ts';
import * as sys from '../src/core/arch.ts';
import * as words from '../src/core/words.ts';
import { OPS, select, statTime64, HOST, type Selection } from '../src/core/arch.ts';
import { librarySources } from './helpers.ts';

// the hand-written modules (generated code is the spec's business): TypeScript, or the JavaScript compiled from it
// where the suite runs compiled (qemu/suite.ts), in every domain folder
const MODULES = librarySources();
const source = MODULES.map((f) => readFileSync(f, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')).join('\n');
/** Every syscall the modules call by name: raw.X(...). */
const RAW_CALLS = [...new Set([...source.matchAll(/\braw\.([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]))].sort();
/** Every generated struct class the modules name: abi.Xyz. */
const STRUCTS = [...new Set([...source.matchAll(/\babi\.([A-Z][A-Za-z0-9_]*[a-z][A-Za-z0-9_]*)\b/g)].map((m) => m[1]))].sort();

/** The arches koffi runs on that the spec has: the ones the test suite can run on under qemu. */
const KOFFI = TARGETS.filter((t) => t.koffi && (ARCH_NAMES as string[]).includes(t.name)).map((t) => t.name as ArchName);

/** The spec's struct key (the key of layouts()) of a generated class name. */
const KEY: Record<string, string> = {
  Stat: 'stat', Statx: 'statx', Statfs: 'statfs', Statfs64: 'statfs64', Flock: 'flock', Flock64: 'flock64',
  Timespec: 'timespec', Itimerspec: 'itimerspec', Iovec: 'iovec',
};

/** Struct sizes from the arches' headers (ctest proves the spec against them): what the calls will write. */
const SIZES: Record<string, Record<string, number>> = {
  x86_64: { Stat: 144, Statfs: 120, Flock: 32 },
  aarch64: { Stat: 128, Statfs: 120, Flock: 32 },
  riscv64: { Stat: 128, Statfs: 120, Flock: 32 },
  ppc64le: { Stat: 144, Statfs: 120, Flock: 32 },
  armhf: { Statfs64: 84, Flock64: 32 },
  i386: { Statfs64: 84, Flock64: 24 },
};

type Layouts = Awaited<ReturnType<ArchAbi['layouts']>>;
const loaded = new Map<string, Promise<{ a: ArchAbi; sel: Selection; layouts: Layouts }>>();
function arch(name: ArchName) {
  let p = loaded.get(name);
  if (!p) {
    p = loadArch(name).then(async (a) => ({ a, sel: select(a), layouts: await a.layouts() }));
    loaded.set(name, p);
  }
  return p;
}

const sysnr = (a: ArchAbi, name: string) => (a.SYS as unknown as Record<string, number | undefined>)[name];

test('the source scan finds the calls and structs the modules use', (t) => {
  // a scan that finds nothing would pass every arch: make sure it sees what is there
  for (const n of ['openat', 'unlinkat', 'statx', 'getdents64', 'close']) t.true(RAW_CALLS.includes(n), n);
  for (const n of ['Timespec', 'Statx', 'Iovec']) t.true(STRUCTS.includes(n), n);
  t.true(KOFFI.length >= 6, KOFFI.join(', '));
  t.true(KOFFI.includes('aarch64') && KOFFI.includes('armhf') && KOFFI.includes('i386'));
});

for (const name of KOFFI) {
  test(`${name}: every syscall the modules call exists`, async (t) => {
    const { a, sel } = await arch(name);
    const names = [...RAW_CALLS, ...OPS.map((op) => sel.calls[op])];
    const missing = names.filter((n) => typeof sysnr(a, n) !== 'number');
    t.deepEqual(missing, [], `${name} has no ${missing.join(', ')}`);
  });

  test(`${name}: every struct the modules use exists, 64-bit clean`, async (t) => {
    const { a, sel, layouts } = await arch(name);
    const structs = a as unknown as Record<string, { size: number } | undefined>;
    const classes = [...new Set([...STRUCTS, sel.structs.stat, sel.structs.statfs, sel.structs.lock])];
    for (const cls of classes) {
      const c = structs[cls];
      t.is(typeof c, 'function', `${name}: struct class ${cls}`);
      t.true((c?.size ?? 0) > 0, `${name}: ${cls} has a size`);
    }
    const width = (cls: string, member: string) => layouts[KEY[cls]]?.members[member]?.[1];
    const wide = (cls: string, members: string[]) => {
      t.is(layouts[KEY[cls]]?.size ?? -1, structs[cls]?.size ?? -2, `${name}: ${cls} class and layout agree`);
      for (const m of members) t.is(width(cls, m), 8, `${name}: ${cls}.${m} has 64 bits`);
    };
    // stat: sizes, inodes, blocks and times of 64 bits (or statx, which has them everywhere)
    if (sel.structs.stat === 'Stat') wide('Stat', ['st_ino', 'st_size', 'st_blocks', 'st_atime', 'st_mtime', 'st_ctime']);
    else t.is(structs.Statx?.size, 256);
    wide(sel.structs.statfs, ['f_blocks', 'f_bfree', 'f_bavail', 'f_files', 'f_ffree']);
    wide(sel.structs.lock, ['l_start', 'l_len']);
    // the time64 structs the clock, timer and utimensat calls take
    wide('Timespec', ['tv_sec', 'tv_nsec']);
    t.is(structs.Itimerspec?.size, 32);
    // pointer-sized iovec fields
    t.is(structs.Iovec?.size, 2 * sel.word);
    for (const [cls, size] of Object.entries(SIZES[name] ?? {})) t.is(structs[cls]?.size, size, `${name}: sizeof ${cls}`);
  });

  test(`${name}: the constants the portable calls need exist`, async (t) => {
    const { a, sel } = await arch(name);
    const c = a as unknown as Record<string, Record<string, unknown>>;
    for (const [ns, k] of [['AT', 'FDCWD'], ['AT', 'EMPTY_PATH'], ['AT', 'SYMLINK_NOFOLLOW'], ['AT', 'REMOVEDIR'],
      ['STATX', 'BASIC_STATS'], ['CLOCK', 'MONOTONIC'], ['E', 'INVAL'], ['E', 'OVERFLOW'], ['O', 'CREAT']]) {
      t.is(typeof c[ns][k], 'number', `${name}: ${ns}.${k}`);
    }
    for (const cmd of Object.values(sel.lockCmds)) t.is(typeof c.F[cmd], 'number', `${name}: F.${cmd}`);
  });
}

test('the choices per arch: legacy calls nowhere, 64-bit offsets and time64 on 32-bit arches, 32-bit ids', async (t) => {
  const calls = async (n: ArchName) => (await arch(n)).sel.calls;
  const x86 = await calls('x86_64');
  // x86_64 keeps its direct calls
  t.like(x86, { fstat: 'fstat', fstatat: 'newfstatat', lseek: 'lseek', mmap: 'mmap', clock_gettime: 'clock_gettime', getuid: 'getuid', fadvise: 'fadvise64' });
  // the asm-generic arches: no renameat on riscv64
  t.like(await calls('aarch64'), { fstat: 'fstat', fstatat: 'newfstatat', rename: 'renameat', sync_file_range: 'sync_file_range' });
  t.like(await calls('riscv64'), { fstat: 'fstat', rename: 'renameat2' });
  t.like(await calls('ppc64le'), { fstat: 'fstat', lseek: 'lseek', sync_file_range: 'sync_file_range2' });
  for (const n of ['armhf', 'i386'] as const) {
    t.like(await calls(n), {
      fstat: 'statx', fstatat: 'statx', lseek: '_llseek', truncate: 'truncate64', ftruncate: 'ftruncate64',
      fcntl: 'fcntl64', statfs: 'statfs64', sendfile: 'sendfile64', mmap: 'mmap2', clock_gettime: 'clock_gettime64',
      nanosleep: 'clock_nanosleep_time64', utimensat: 'utimensat_time64', timer_settime: 'timer_settime64',
      getuid: 'getuid32', setgroups: 'setgroups32', fchown: 'fchown32',
    });
  }
  t.like(await calls('armhf'), { fadvise: 'arm_fadvise64_64', sync_file_range: 'arm_sync_file_range' });
  t.like(await calls('i386'), { fadvise: 'fadvise64_64', sync_file_range: 'sync_file_range' });
  t.like((await arch('i386')).sel, { wide: false, word: 4, addressLimit: 2 ** 32, structs: { stat: 'Statx', statfs: 'Statfs64', lock: 'Flock64' } });
  t.like((await arch('aarch64')).sel, { wide: true, word: 8, addressLimit: 2 ** 48, structs: { stat: 'Stat', statfs: 'Statfs', lock: 'Flock' } });
});

test('every arch of the spec has the syscalls its selection names, and a 64-bit-clean stat where it uses one', async (t) => {
  for (const name of ARCH_NAMES) {
    const { a, sel, layouts } = await arch(name);
    const missing = OPS.map((op) => sel.calls[op]).filter((n) => typeof sysnr(a, n) !== 'number');
    t.deepEqual(missing, [], `${name} has no ${missing.join(', ')}`);
    if (sel.structs.stat === 'Stat') {
      for (const m of ['st_ino', 'st_size', 'st_atime', 'st_mtime', 'st_ctime']) t.is(layouts.stat.members[m][1], 8, `${name}: stat.${m}`);
    }
  }
});

test('the host uses what select() chose for it', (t) => {
  t.deepEqual(HOST, select(abi));
  t.is(sys.StatStruct as unknown, HOST.structs.stat === 'Stat' ? abi.Stat : abi.Statx);
  t.is(sys.LockStruct as unknown, HOST.structs.lock === 'Flock' ? abi.Flock : abi.Flock64);
});

test('host helpers: auxv words, CPU mask bits, file position pairs, addresses, sizes', (t) => {
  const w = words.WORD;
  const aux = Buffer.alloc(6 * w);
  const put = (i: number, v: number) => (w === 8 ? words.writeU64(aux, BigInt(v), i * 8) : aux.writeUInt32LE(v, i * 4));
  put(0, 6); put(1, 4096); put(2, 17); put(3, 100); // AT_PAGESZ, AT_CLKTCK, then AT_NULL
  t.deepEqual(words.auxv(aux, 6), [4096n]);
  t.deepEqual(words.auxv(aux, 17), [100n]);
  t.deepEqual(words.auxv(aux, 25), []);
  t.deepEqual(words.cpuBit(0), [0, 0]);
  t.deepEqual(words.cpuBit(9), [1, 1]);
  t.deepEqual(words.cpuBit(70), [8, 6]);
  t.deepEqual(sys.posPair(5), HOST.wide ? [5, 0] : [5, 0]);
  t.is(sys.unsignedResult(4096), 4096);
  t.is(sys.unsignedResult(-22), -22);
  t.is(sys.sizeArg(2 ** 40), HOST.wide ? 2 ** 40 : 0xffffffff);
  t.is(words.pointerField(5n), w === 8 ? 5n : 5);
  const b = Buffer.alloc(8);
  words.writeI64(b, -2n);
  t.is(words.readI64(b), -2n);
  words.writeI32(b, -3);
  t.is(words.readI32(b), -3);
});

test('a C long or pointer is a bigint on every arch: 4 bytes on 32-bit arches, read and written as a bigint', async (t) => {
  for (const [arch, size, le] of [['armhf', 4, true], ['powerpc', 4, false], ['x86_64', 8, true]] as const) {
    const A = await loadArch(arch);
    const tv = new A.Timeval();
    t.is(A.Timeval.size, 2 * size, arch);
    tv.tv_sec = -2n;
    tv.tv_usec = 999_999;
    t.is(tv.tv_sec, -2n, arch);
    t.is(BigInt(tv.tv_usec), 999_999n, arch); // a long here; an int on sparc64 (__kernel_suseconds_t)
    const raw = tv.$buffer;
    t.is(size === 4 ? (le ? raw.readInt32LE(0) : raw.readInt32BE(0)) : raw.readBigInt64LE(0), size === 4 ? -2 : -2n, arch);
    const iov = new A.Iovec();
    iov.iov_base = 0xdeadbeefn;
    t.is(iov.iov_base, 0xdeadbeefn, `${arch}: a pointer`);
    t.is(typeof iov.iov_len, 'bigint', `${arch}: a size_t`);
  }
});

test('the stat choice follows the layout, not the arch\'s name: mips64el\'s 32-bit stat times under a new name still take statx', async (t) => {
  // a port of a new arch of the n64 family (mipsisa64r6el) has mips64el's struct stat: nothing keyed by name may
  // decide that its times are 32-bit
  const renamed = (a: ArchAbi, name: string) => Object.create(a, { arch: { value: { ...a.arch, name } } }) as ArchAbi;
  const mips = await loadArch('mips64el');
  const x86 = await loadArch('x86_64');
  t.false(statTime64(mips));
  t.true(statTime64(x86));
  t.is(select(renamed(mips, 'mipsisa64r6el')).calls.fstat, 'statx');
  t.is(select(renamed(mips, 'mipsisa64r6el')).structs.stat, 'Statx');
  t.is(select(renamed(x86, 'newarch64')).calls.fstat, 'fstat');
});
