// ioctl request numbers are computed per arch from the spec's _IOC form (dir, type, nr, argument) and the arch's
// layout (arch/<arch>.json "ioctl"), not copied from x86_64: the values the kernel's headers give on each arch, also
// for ioctls newer than every header ctest can check them against.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AbiError, compareVersions, iocNumber, loadSpec, resolveArch, type Constant, type ResolvedArch,
} from '../tools/lib/spec.ts';
import { LayoutEngine } from '../tools/lib/layout.ts';
import { generate, generatedNamespace } from '../tools/lib/generate.ts';
import { readValues } from '../ctest/ctest.ts';
import { ROOT, ctest, editJson, mismatches, scratchAbi } from './helpers.ts';

const run = promisify(execFile);
const files = loadSpec();
const ARCHES = Object.keys(files.arches).sort();
const resolved = new Map<string, ResolvedArch>(ARCHES.map((a) => [a, resolveArch(files, a)]));
const constant = (arch: string, id: string): Constant => {
  const k = resolved.get(arch)!.constants.find((c) => c.id === id);
  if (!k) throw new Error(`no ${id} on ${arch}`);
  return k;
};
const value = (arch: string, id: string) => constant(arch, id).value;
const hex = (v: bigint) => `0x${v.toString(16)}`;

test('every arch has an _IOC layout; three kinds exist', (t) => {
  const kinds = new Map<string, string[]>();
  for (const a of ARCHES) {
    const l = files.arches[a].data.ioctl!;
    t.truthy(l, a);
    const k = `size ${l.sizeBits} dir ${l.dirBits} none ${l.none} read ${l.read} write ${l.write}`;
    kinds.set(k, [...(kinds.get(k) ?? []), a]);
  }
  t.deepEqual(kinds.get('size 14 dir 2 none 0 read 2 write 1'),
    ['aarch64', 'arc', 'armel', 'armhf', 'i386', 'm68k', 'riscv64', 's390x', 'sh4', 'x32', 'x86_64']);
  t.deepEqual(kinds.get('size 14 dir 2 none 0 read 1 write 2'), ['hppa']);
  t.deepEqual(kinds.get('size 13 dir 3 none 1 read 2 write 4'),
    ['alpha', 'mips', 'mips64', 'mips64el', 'mipsel', 'mipsisa32r6', 'mipsisa32r6el', 'mipsisa64r6', 'mipsisa64r6el',
      'powerpc', 'ppc64', 'ppc64le', 'sparc64']);
  t.is(kinds.size, 3);
});

test('an _IOR differs between x86_64 and mips64el as the kernel says (NS_GET_ID, newer than every cross header)', (t) => {
  t.is(hex(value('x86_64', 'NS_GET.ID')), '0x8008b70d');
  t.is(hex(value('mips64el', 'NS_GET.ID')), '0x4008b70d');
  for (const a of ['mips', 'ppc64le', 'powerpc', 'sparc64', 'alpha', 'hppa']) t.is(hex(value(a, 'NS_GET.ID')), '0x4008b70d', a);
  for (const a of ['i386', 'armhf', 'aarch64', 's390x', 'm68k']) t.is(hex(value(a, 'NS_GET.ID')), '0x8008b70d', a);
  // _IO: none is 1 on mips and friends
  t.is(hex(value('x86_64', 'NS_GET.USERNS')), '0xb701');
  t.is(hex(value('mips64el', 'NS_GET.USERNS')), '0x2000b701');
  t.is(hex(value('hppa', 'NS_GET.USERNS')), '0xb701');
  // _IOW: write is 4 on mips, 2 on hppa
  t.is(hex(value('x86_64', 'SECCOMP_IOCTL_NOTIF.SET_FLAGS')), '0x40082104');
  t.is(hex(value('mips64el', 'SECCOMP_IOCTL_NOTIF.SET_FLAGS')), '0x80082104');
  t.is(hex(value('hppa', 'SECCOMP_IOCTL_NOTIF.SET_FLAGS')), '0x80082104');
  t.is(hex(value('sparc64', 'EPIOC.GPARAMS')), '0x40088a02');
  t.is(hex(value('ppc64le', 'EPIOC.SPARAMS')), '0x80088a01');
});

test('the argument size comes from the layout engine on each arch', (t) => {
  // struct seccomp_notif is 80 bytes everywhere, and _IOWR is 0xc0000000 in both layouts
  for (const a of ARCHES) t.is(hex(value(a, 'SECCOMP_IOCTL_NOTIF.RECV')), '0xc0502100', a);
  t.is(constant('mips64el', 'SECCOMP_IOCTL_NOTIF.RECV').ioctl?.size, 80);
  // struct sock_fprog: 16 bytes on 64-bit arches, 8 on 32-bit ones, 6 on m68k (pointers aligned to 2)
  const fprog: Record<string, string> = {
    x86_64: '0x401054d5', aarch64: '0x401054d5', i386: '0x400854d5', x32: '0x400854d5', armhf: '0x400854d5',
    m68k: '0x400654d5', hppa: '0x800854d5', mips: '0x800854d5', mips64el: '0x801054d5', sparc64: '0x801054d5',
  };
  for (const [a, v] of Object.entries(fprog)) t.is(hex(value(a, 'TUN.ATTACHFILTER')), v, a);
  // long: FS_IOC_GETFLAGS is _IOR('f', 1, long)
  t.is(hex(value('x86_64', 'FS_IOC.GETFLAGS')), '0x80086601');
  t.is(hex(value('i386', 'FS_IOC.GETFLAGS')), '0x80046601');
  t.is(hex(value('mips', 'FS_IOC.GETFLAGS')), '0x40046601');
  t.is(hex(value('ppc64', 'FS_IOC.GETFLAGS')), '0x40086601');
  // struct termios2 is 48 bytes on mips (NCCS 23, its struct override) and 44 elsewhere
  t.is(hex(value('mips', 'TC.GETS2')), '0x4030542a');
  t.is(hex(value('x86_64', 'TC.GETS2')), '0x802c542a');
  // sparc numbers it differently (asm/ioctls.h): an ioctl-form override
  t.is(hex(value('sparc64', 'TC.GETS2')), '0x402c540c');
  t.is(hex(value('sparc64', 'TIOC.GPTN')), '0x40047486');
});

/** The C compiler of an arch (its cross gcc), or undefined when it is not installed. */
async function compilerOf(arch: string): Promise<string | undefined> {
  const cc = arch === 'x86_64' ? 'gcc' : `${files.arches[arch].data.triplet}-gcc`;
  try {
    await run(cc, ['--version']);
    return cc;
  } catch {
    return undefined;
  }
}

test('every ioctl item on every arch is what that arch\'s own asm/ioctl.h makes of its form', async (t) => {
  // The form's macro (_IOR(0xb7, 13, __u64)) compiled by each arch's cross compiler against its own headers, newer
  // items included (their definitions are not in those headers; the macros are). A struct argument goes in as a char
  // array of the engine's size (ctest checks those sizes against the headers); base types and typedefs as written,
  // so C sizes them.
  const dir = mkdtempSync(join(tmpdir(), 'tsyscall-ioctl-'));
  let checked = 0;
  const skipped: string[] = [];
  const todo = [...ARCHES];
  const worker = async () => {
    for (let arch = todo.shift(); arch; arch = todo.shift()) {
      const cc = await compilerOf(arch);
      if (!cc) { skipped.push(`${arch}: no cross compiler`); continue; }
      const abi = resolved.get(arch)!;
      const engine = new LayoutEngine(abi);
      const items = abi.constants.filter((k) => k.ioctl);
      const exprs = items.map((k) => {
        const io = k.ioctl!;
        const m = { none: '_IO', read: '_IOR', write: '_IOW', readwrite: '_IOWR' }[io.dir];
        if (io.dir === 'none') return `${m}(${io.type}, ${io.nr})`;
        const arg = io.arg && !/\bstruct |\bunion /.test(io.arg) && engine.type(io.arg).kind !== 'struct' ? io.arg : `char[${io.size}]`;
        return `${m}(${io.type}, ${io.nr}, ${arg})`;
      });
      const src = join(dir, `${arch}.c`);
      writeFileSync(src, `#include <linux/types.h>\n#include <linux/ioctl.h>\n` +
        `__attribute__((used, section("ctest_values"))) const unsigned long long v[] = {\n` +
        exprs.map((e) => `  (unsigned long long)(unsigned int)(${e}),`).join('\n') + '\n};\n');
      await run(cc, ['-c', '-o', join(dir, `${arch}.o`), src]);
      const got = readValues(join(dir, `${arch}.o`));
      t.is(got.length, items.length, arch);
      items.forEach((k, i) => {
        t.is(hex(k.value), hex(got[i]), `${arch} ${k.id} ${k.ioctl!.macro}`);
        checked++;
      });
    }
  };
  await Promise.all([worker(), worker()]);
  t.log(`${checked} (arch, ioctl) pairs compared with the arches' own _IOC macros; skipped: ${skipped.join(', ') || 'none'}`);
  t.true(checked >= 18 * 100, `checked ${checked}`);
});

test('the spec\'s ioctl items: 111 in the common files, each newer item is one', (t) => {
  const x86 = resolved.get('x86_64')!;
  const io = x86.constants.filter((k) => k.ioctl);
  t.is(io.length, 111); // FS_IOC_SHUTDOWN (7.2) the newest
  const newer = io.filter((k) => compareVersions(k.since, '6.1.187') > 0).map((k) => k.id);
  for (const id of ['EPIOC.GPARAMS', 'EPIOC.SPARAMS', 'NS_GET.ID', 'NS_GET.MNTNS_ID', 'NS_GET.PID_FROM_PIDNS',
    'NS_GET.PID_IN_PIDNS', 'NS_GET.TGID_FROM_PIDNS', 'NS_GET.TGID_IN_PIDNS', 'SECCOMP_IOCTL_NOTIF.SET_FLAGS']) {
    t.true(newer.includes(id), id);
  }
  // legacy ioctls the headers define as plain numbers stay values
  for (const id of ['TC.GETS', 'TIOC.GWINSZ', 'SIOC.GIFFLAGS', 'FIO.NREAD']) t.is(constant('x86_64', id).ioctl, undefined, id);
});

/** The generated constants of one namespace on one arch: the base of common/constants.ts with the arch's difference. */
function namespaceOf(out: ReadonlyMap<string, string>, arch: string, ns: string): Record<string, number> {
  const table = generatedNamespace(out, arch, ns);
  if (!table) throw new Error(`no ${ns} on ${arch} in the generated files`);
  return table as Record<string, number>;
}

/** The checked-in generated files a namespace's values are read from. */
const checkedIn = (arch: string) => new Map(['common/constants.ts', `${arch}/index.ts`].map((p) => [p, readFileSync(join(ROOT, 'src', 'generated', p), 'utf8')]));

(process.env.TSYSCALL_EMULATED ? test.skip : test)('a spec edit of an ioctl\'s number or argument changes the generated value on every arch' + (process.env.TSYSCALL_EMULATED ? ' (skipped: host tooling: regenerates TypeScript from a spec copy, which the compiled suite does not ship)' : ''), (t) => {
  const dir = scratchAbi();
  const file = loadSpec(dir).constants.find((f) => 'NS_GET' in f.data.namespaces)!.file;
  editJson(file, (d) => {
    d.namespaces.NS_GET.items.ID.ioctl.nr = 14;
    d.namespaces.NS_GET.items.PID_FROM_PIDNS.ioctl.arg = '__u64';
  });
  const out = generate(loadSpec(dir));
  for (const arch of ARCHES) {
    const before = namespaceOf(checkedIn(arch), arch, 'NS_GET');
    const after = namespaceOf(out, arch, 'NS_GET');
    t.is(after.ID, before.ID + 1, `${arch}: nr 13 -> 14`);
    t.is(after.PID_FROM_PIDNS, before.PID_FROM_PIDNS + (4 << 16), `${arch}: argument int -> __u64`);
    t.is(after.USERNS, before.USERNS, `${arch}: the rest stays`);
  }
  // the portable type's doc comment states the macro and the argument's size
  t.regex(out.get('common/constants.ts')!, /\/\*\* _IOR\(0xb7, 14, __u64\): 8 bytes; .*\*\/\n {4}readonly ID: number;/);
  t.is(namespaceOf(out, 'mips64el', 'NS_GET').ID, 0x4008b70e);
  t.is(namespaceOf(out, 'x86_64', 'NS_GET').ID, 0x8008b70e);
});

test('the generated modules carry the computed values', async (t) => {
  const { loadArch } = await import('../src/generated/index.ts');
  // (the values differ by arch, so the portable type says number)
  t.is(Number((await loadArch('x86_64')).NS_GET.ID), 0x8008b70d);
  t.is(Number((await loadArch('mips64el')).NS_GET.ID), 0x4008b70d);
  t.is(Number((await loadArch('sparc64')).TIOC.GPTN), 0x40047486);
  t.is(Number((await loadArch('i386')).TUN.ATTACHFILTER), 0x400854d5);
});

test('iocNumber packs the fields as _IOC does and refuses what does not fit', (t) => {
  const generic = files.arches.x86_64.data.ioctl!;
  const mips = files.arches.mips.data.ioctl!;
  t.is(iocNumber(generic, 'readwrite', 0x58, 121, 24), 0xc0185879n); // FITRIM
  t.is(iocNumber(mips, 'none', 0, 1, 0), 0x20000001n); // FIBMAP on mips
  t.is(iocNumber(generic, 'read', 0x94, 49, 256), 0x81009431n); // FS_IOC_GETFSLABEL
  t.throws(() => iocNumber(mips, 'read', 1, 1, 8192), { message: /argument size 8192 does not fit in 13 bits/ });
  t.throws(() => iocNumber(generic, 'read', 256, 1, 4), { message: /type 256 does not fit in 8 bits/ });
});

test('a spec error in an ioctl form names the file, the item and the arch', (t) => {
  const dir = scratchAbi();
  const file = loadSpec(dir).constants.find((f) => 'NS_GET' in f.data.namespaces)!.file;
  editJson(file, (d) => { d.namespaces.NS_GET.items.ID.ioctl.arg = 'struct no_such_struct'; });
  const err = t.throws(() => resolveArch(loadSpec(dir), 'mips64el'), { instanceOf: AbiError }) as AbiError;
  t.regex(err.message, /constants\/process\.json: NS_GET\.ID \(_IOR\(0xb7, 13, struct no_such_struct\)\) on mips64el: unknown type/);
  t.is(err.pointer, '/namespaces/NS_GET/items/ID/ioctl');
  editJson(file, (d) => { d.namespaces.NS_GET.items.ID.ioctl = { dir: 'read', type: 0xb7, nr: 13, size: 9000 }; });
  t.throws(() => resolveArch(loadSpec(dir), 'mips'), { instanceOf: AbiError, message: /argument size 9000 does not fit in 13 bits/ });
  t.is(resolveArch(loadSpec(dir), 'x86_64').constants.find((k) => k.id === 'NS_GET.ID')?.value, 0x8000b70dn | (9000n << 16n));
});

test('the schema takes a form or a value, never both, and _IO has no argument', (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['both', { value: 1, ioctl: { dir: 'none', type: 'T', nr: 1 } }, /unknown property|must match exactly one/],
    ['_IO with an argument', { ioctl: { dir: 'none', type: 'T', nr: 1, arg: 'int' } }, /must NOT be valid|must match/],
    ['_IOR without one', { ioctl: { dir: 'read', type: 'T', nr: 1 } }, /missing required property '(arg|size)'|must match/],
    ['two-character type', { ioctl: { dir: 'none', type: 'TT', nr: 1 } }, /must match|must be integer/],
    ['nr over 255', { ioctl: { dir: 'none', type: 'T', nr: 256 } }, /must be <= 255/],
    ['unknown direction', { ioctl: { dir: 'both', type: 'T', nr: 1, arg: 'int' } }, /must be one of/],
  ];
  for (const [what, item, re] of cases) {
    const dir = scratchAbi();
    const file = loadSpec(dir).constants.find((f) => 'NS_GET' in f.data.namespaces)!.file;
    editJson(file, (d) => { d.namespaces.NS_GET.items.ID = item; });
    const err = t.throws(() => loadSpec(dir), { instanceOf: AbiError }, what) as AbiError;
    t.regex(err.message, re, what);
    t.regex(err.message, /\/namespaces\/NS_GET\/items\/ID/, what);
  }
  // and an arch file without its layout
  const dir = scratchAbi();
  editJson(join(dir, 'arch', 'mips.json'), (d) => { delete d.ioctl; });
  t.throws(() => loadSpec(dir), { instanceOf: AbiError, message: /arch\/mips\.json[\s\S]*missing required property 'ioctl'/ });
});

test('an override: a plain number replaces the form on that arch, an ioctl form is the arch\'s own', (t) => {
  const dir = scratchAbi();
  editJson(join(dir, 'overrides', 'mips64el.json'), (d) => {
    ((d.constants ??= {}).NS_GET ??= {}).ID = 12345;
    d.constants.NS_GET.PARENT = { ioctl: { dir: 'none', type: 'n', nr: 2 } };
  });
  const abi = resolveArch(loadSpec(dir), 'mips64el');
  const k = (id: string) => abi.constants.find((c) => c.id === id)!;
  t.is(k('NS_GET.ID').value, 12345n);
  t.is(k('NS_GET.ID').ioctl, undefined);
  t.is(k('NS_GET.PARENT').value, 0x20006e02n);
  t.is(k('NS_GET.PARENT').ioctl?.macro, "_IO('n', 2)");
  t.is(k('NS_GET.USERNS').value, 0x2000b701n);
});

test('ctest checks the computed value against the headers: a wrong number is a mismatch', async (t) => {
  const dir = scratchAbi();
  const file = loadSpec(dir).constants.find((f) => 'TIOC' in f.data.namespaces)!.file;
  editJson(file, (d) => { d.namespaces.TIOC.items.GPTN.ioctl.nr = 0x31; });
  const run = await ctest(dir, { kinds: ['const'], name: 'ioctl' });
  const r = new Map(run.results.map((x) => [x.check.id, x]));
  t.is(r.get('TIOC.GPTN')?.status, 'mismatch');
  t.regex(r.get('TIOC.GPTN')?.reason ?? '', /value: spec 2147767345, headers 2147767344/);
  t.is(r.get('TIOC.SPTLCK')?.status, 'ok', 'an ioctl-form item the headers have is checked');
  t.is(r.get('NS_GET.ID')?.status, 'unchecked', 'one newer than the headers is reported');
  t.deepEqual(mismatches(run).map((x) => x.check.id), ['TIOC.GPTN']);
});
