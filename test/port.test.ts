// Extraction for porting: wipe x86_64's values from a copy of abi/, extract them again from the headers, and get
// byte-identical files back.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { compareVersions, loadSpec, overridesOver, resolveArch } from '../tools/lib/spec.ts';
import { abiJsonFiles } from '../tools/lib/format.ts';
import { apply, extract } from '../tools/port.ts';
import { hostTarget } from '../ctest/ctest.ts';
import { TARGETS, targetInfo } from '../tools/lib/targets.ts';
import { siblingCheck, siblingOf } from '../tools/port/sibling.ts';
import { ABI_DIR, editJson, scratchAbi } from './helpers.ts';

const HEADERS = '6.1.187';
const checkable = (since: string) => compareVersions(since, HEADERS) <= 0;

test('extraction reproduces x86_64\'s files from the headers', async (t) => {
  const dir = scratchAbi();
  const headers = execFileSync('sh', ['-c', 'echo LINUX_VERSION_CODE | gcc -include linux/version.h -E -P - | tail -1']).toString().trim();
  t.is(Number(headers), 6 * 65536 + 1 * 256 + 187, 'these tests assume Debian 12\'s 6.1 headers');
  // wipe: every checkable constant value, every checkable syscall number, the data model
  let wiped = 0;
  for (const file of abiJsonFiles(join(dir, 'constants'))) {
    editJson(file, (d) => {
      for (const ns of Object.values<any>(d.namespaces)) {
        for (const [k, v] of Object.entries<any>(ns.items)) {
          const since = typeof v === 'object' ? v.since ?? ns.since : ns.since;
          if (!checkable(since)) continue;
          // an ioctl item has no value: its number is computed from its form (port must leave the form as it is)
          if (typeof v === 'object' && 'ioctl' in v) continue;
          // a value that changed after these headers' kernel: they show the old one (was), and port keeps the item
          if (typeof v === 'object' && v.was?.some((w: { until: string }) => !checkable(w.until))) continue;
          ns.items[k] = typeof v === 'object' ? { ...v, value: 12345 } : 12345;
          wiped++;
        }
      }
    });
  }
  editJson(join(dir, 'syscalls.json'), (d) => {
    // (syscalls of other arches only, such as socketcall, have no x86_64 column)
    for (const s of Object.values<any>(d.syscalls)) if (s.arches.x86_64 && checkable(s.arches.x86_64.since)) s.arches.x86_64.nr = 9999;
  });
  editJson(join(dir, 'arch', 'x86_64.json'), (d) => { d.endian = 'big'; d.types.long = { size: 4, align: 4 }; d.types.char.signed = false; });
  t.true(wiped > 2500);

  const x = await extract(dir, hostTarget('x86_64'), mkdtempSync(join(tmpdir(), 'tsyscall-port-')));
  t.is(x.headers, HEADERS);
  t.is(x.constants['O.DIRECTORY'], '65536');
  t.is(x.syscalls.openat, 257);
  t.deepEqual(x.structs.stat?.members.st_size?.slice(0, 2), [48, 8]);
  const report = apply(dir, x, { reference: true, triplet: 'x86_64-linux-gnu' });
  t.deepEqual(report.review, [], 'nothing for a human to review on the reference arch');

  const diffs: string[] = [];
  for (const file of abiJsonFiles(ABI_DIR)) {
    const rel = relative(ABI_DIR, file);
    if (readFileSync(file, 'utf8') !== readFileSync(join(dir, rel), 'utf8')) diffs.push(rel);
  }
  t.deepEqual(diffs, [], 'regenerated files differ from abi/linux');
  t.deepEqual(abiJsonFiles(dir).map((f) => relative(dir, f)), abiJsonFiles(ABI_DIR).map((f) => relative(ABI_DIR, f)));
});

test('arch families: an overrides file extends its parent, and port would write exactly what it says', (t) => {
  const files = loadSpec();
  const children = Object.entries(files.overrides).filter(([, o]) => o.own?.extends);
  t.deepEqual(children.map(([a, o]) => `${a} extends ${o.own!.extends}`).sort(),
    ['armel extends armhf', 'mips64el extends mips64', 'mipsel extends mips', 'mipsisa32r6 extends mips',
      'mipsisa32r6el extends mipsel', 'mipsisa64r6 extends mips64', 'mipsisa64r6el extends mips64el', 'ppc64le extends ppc64']);
  for (const [arch, o] of children) {
    const parent = o.own!.extends!;
    const r = overridesOver(parent, files.overrides[parent].data, o.data, files);
    t.deepEqual(r.cannot, [], arch);
    t.deepEqual(JSON.parse(JSON.stringify(r.own)), JSON.parse(JSON.stringify(o.own)), arch);
  }
  // mipsel inherits mips's own numbers (O_DIRECTORY, an errno) and its struct variants, and keeps its own layout of iocb
  const mipsel = resolveArch(files, 'mipsel');
  const mips = resolveArch(files, 'mips');
  const v = (a: typeof mips, id: string) => a.constants.find((k) => k.id === id)?.value;
  t.is(v(mipsel, 'O.DIRECTORY'), v(mips, 'O.DIRECTORY'));
  t.is(v(mipsel, 'E.NOSYS'), 89n); // mips's own errno numbering (38 elsewhere)
  t.not(JSON.stringify(mipsel.structs.get('iocb')!.fields), JSON.stringify(mips.structs.get('iocb')!.fields));
});

test('arch families: a cycle or a missing parent is an error naming the file', (t) => {
  const dir = scratchAbi();
  editJson(join(dir, 'overrides', 'mips.json'), (d) => { d.extends = 'mipsel'; });
  t.throws(() => loadSpec(dir), { message: /overrides\/mips(el)?\.json: extends mips(el)?, which extends it again/ });
  const dir2 = scratchAbi();
  editJson(join(dir2, 'overrides', 'armel.json'), (d) => { d.extends = 'vax'; });
  t.throws(() => loadSpec(dir2), { message: /overrides\/armel\.json: extends vax, which has no overrides file/ });
});

test('the sibling check: a syscall number that differs from the arch numbered from the same table is a line to act on', (t) => {
  const r6 = targetInfo('mipsisa64r6el');
  t.is(siblingOf(r6, TARGETS, loadSpec())?.name, 'mips64el', 'the arch its overrides extend');
  const clean = siblingCheck(r6, TARGETS, loadSpec());
  t.deepEqual(clean.review, []);
  t.regex(clean.info[0], /^sibling check against mips64el \(arch\/mips\/kernel\/syscalls\/syscall_n64\.tbl \(n64\)\): (\d+) of \1 syscall numbers agree$/);
  // a wrong base for the numbers newer than the headers, as a name-keyed table once gave (467 for 5467)
  const dir = scratchAbi();
  editJson(join(dir, 'syscalls.json'), (d) => { d.syscalls.file_getattr.arches.mipsisa64r6el.nr = 468; });
  const bad = siblingCheck(r6, TARGETS, loadSpec(dir));
  t.is(bad.review.length, 1);
  t.regex(bad.review[0], /^syscalls\.json, syscalls\.file_getattr\.arches\.mipsisa64r6el\.nr: 468 \(mips64el 5468\)/);
  // an arch no other arch numbers like: said, nothing compared
  t.regex(siblingCheck(targetInfo('arc'), TARGETS, loadSpec()).info[0], /no ported arch numbers its syscalls as arc does/);
});

test('an override without a value changes the common item and keeps its value; the schema takes it', (t) => {
  const dir = scratchAbi();
  editJson(join(dir, 'overrides', 'arc.json'), (d) => {
    d.constants.SO.TIMESTAMP = { header: ['sys/types.h', 'asm/socket.h'], note: 'time_t first' };
  });
  const k = resolveArch(loadSpec(dir), 'arc').constants.find((c) => c.id === 'SO.TIMESTAMP')!;
  const common = resolveArch(loadSpec(dir), 'x86_64').constants.find((c) => c.id === 'SO.TIMESTAMP')!;
  t.is(k.value, common.value);
  t.deepEqual(k.header, ['sys/types.h', 'asm/socket.h']);
  // a value-less override with an unknown property is still a schema error naming the file and the item
  editJson(join(dir, 'overrides', 'arc.json'), (d) => { d.constants.SO.TIMESTAMP = { header: ['asm/socket.h'], vaule: 3 }; });
  t.throws(() => loadSpec(dir), { message: /overrides\/arc\.json[\s\S]*\/constants\/SO\/TIMESTAMP/ });
});

test('a folder that is not a spec says what a spec folder holds, and which folder was meant', (t) => {
  t.throws(() => loadSpec(join(ABI_DIR, '..')), { message: /abi is not a spec folder: it has no arch, constants, structs, typedefs\.json, syscalls\.json .*did you mean abi\/linux\?/ });
});
