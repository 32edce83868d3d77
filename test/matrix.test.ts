// The cross-arch matrix (npm run matrix, qemu/matrix.ts): a deliberately wrong per-arch value fails it, naming the
// target and the item; the target table gives every arch a compiler and a way to run what it builds.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runMatrix } from '../qemu/matrix.ts';
import { TARGETS, missingPackages, packagesFor, targetFor } from '../tools/lib/targets.ts';
import { loadSpec } from '../tools/lib/spec.ts';
import { ROOT, editJson, scratchAbi } from './helpers.ts';

test('the target table: a row per spec arch, each a compiler and a way to run (or read) what it builds', (t) => {
  // one row per arch of abi/linux/arch/, no more, no less: the row is the one place that describes an arch
  t.deepEqual(TARGETS.map((x) => x.name).sort(), Object.keys(loadSpec().arches).sort(), 'tools/lib/targets.ts against abi/linux/arch/');
  t.is(new Set(TARGETS.map((x) => x.name)).size, TARGETS.length);
  for (const x of TARGETS) {
    const target = targetFor(x.name);
    t.true(target.cc.length > 0, x.name);
    if (x.run === 'qemu') t.regex(target.runner.join(' '), new RegExp(`^qemu-\\w+-static -L /usr/${x.triplet}$`), x.name);
    if (x.run === 'object') t.true(target.object || target.runner.length > 0, x.name);
    t.true(x.packages.length >= 2, x.name);
    t.true(x.kernel.dir.length > 0 && ('generic' in x.kernel || x.kernel.table.startsWith(`arch/${x.kernel.dir}/`)), `${x.name}: its kernel tree entry`);
  }
  t.deepEqual(targetFor('aarch64').runner, ['qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu']);
  t.true(packagesFor(['aarch64']).includes('qemu-user-static'));
  // every target of the table is in the spec, with its data model's pointer size
  const files = loadSpec();
  for (const x of TARGETS) {
    t.truthy(files.arches[x.name], `abi/linux/arch/${x.name}.json`);
    t.is(files.arches[x.name]?.data.types.pointer.size, x.model === 'LP64' ? 8 : 4, x.name);
    t.is(files.arches[x.name]?.data.endian, x.endian, x.name);
    t.deepEqual(files.arches[x.name]?.data.syscall, x.syscall, x.name);
  }
});

test('the docs count the targets the table has', (t) => {
  // "20 targets" in a README is a count of the table's rows: a port that adds a row must see which lines to change
  const wrong: string[] = [];
  for (const file of ['README.md', 'qemu/README.md']) {
    readFileSync(join(ROOT, file), 'utf8').split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/\b(\d+) (?:Linux )?(?:targets|architectures)\b/g)) {
        if (Number(m[1]) !== TARGETS.length) wrong.push(`${file}:${i + 1}: "${m[0]}" (the table has ${TARGETS.length})`);
      }
    });
  }
  t.deepEqual(wrong, []);
});

const aarch64Missing = missingPackages(packagesFor(['aarch64']));

test('a deliberately wrong per-arch value fails the matrix, naming the target and the item', async (t) => {
  if (aarch64Missing.length) {
    t.log(`SKIP: the aarch64 toolchain or qemu is missing (${aarch64Missing.join(' ')}); .ci/run installs them`);
    t.pass();
    return;
  }
  const dir = scratchAbi();
  // O_DIRECTORY is 040000 (16384) on aarch64: say 65536 (x86_64's) instead
  editJson(join(dir, 'overrides', 'aarch64.json'), (d) => { d.constants.O.DIRECTORY = 65536; });
  const out = mkdtempSync(join(tmpdir(), 'tsyscall-matrix-'));
  const res = await runMatrix({ arches: ['aarch64'], abiDir: dir, out, install: false });
  t.false(res.ok);
  const o = res.outcomes.find((x) => x.arch === 'aarch64')!;
  t.is(o.error, undefined);
  t.is(o.mode, 'qemu');
  t.deepEqual(o.mismatches.map((m) => `${m.kind} ${m.id}`), ['const O.DIRECTORY']);
  t.regex(o.mismatches[0].reason, /value: spec 65536, headers 16384/);
  // the reports name the target and the item too
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  t.regex(md, /## aarch64[\s\S]*1 mismatches[\s\S]*O\.DIRECTORY.*spec 65536, headers 16384/);
  const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  t.false(json.ok);
  t.is(json.targets[0].arch, 'aarch64');
  t.is(json.targets[0].mismatches[0].id, 'O.DIRECTORY');
  // and everything else on aarch64 was checked and agreed
  t.true(o.totals!.const.checked >= 2500, `constants checked: ${o.totals!.const.checked}`);
  t.true(o.totals!.struct.checked >= 100, `structs checked: ${o.totals!.struct.checked}`);
});

test('a target without a spec or a toolchain is an error of that target, not a crash', async (t) => {
  const dir = scratchAbi();
  const out = mkdtempSync(join(tmpdir(), 'tsyscall-matrix-'));
  // remove m68k's data model: the matrix reports that it must be ported first
  const { rmSync } = await import('node:fs');
  rmSync(join(dir, 'arch', 'm68k.json'));
  if (existsSync(join(dir, 'overrides', 'm68k.json'))) rmSync(join(dir, 'overrides', 'm68k.json'));
  const res = await runMatrix({ arches: ['m68k'], abiDir: dir, out, install: false });
  t.false(res.ok);
  t.regex(res.outcomes[0].error ?? '', /no abi\/linux\/arch\/m68k\.json: port it first/);
});
