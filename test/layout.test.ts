import test from 'ava';
import { cpSync, mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSpec, resolveArch } from '../tools/lib/spec.ts';
import { LayoutEngine, parseType } from '../tools/lib/layout.ts';
import { runCtest } from '../ctest/ctest.ts';
import { ABI_DIR, ROOT, editJson } from './helpers.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures');

/** A small spec holding only the fixture structs of test/fixtures/layout.json. */
function fixtureAbi(change?: (structs: any) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsyscall-layout-'));
  for (const d of ['arch', 'structs', 'constants']) mkdirSync(join(dir, d));
  cpSync(join(ABI_DIR, 'arch', 'x86_64.json'), join(dir, 'arch', 'x86_64.json'));
  cpSync(join(ABI_DIR, 'typedefs.json'), join(dir, 'typedefs.json'));
  editJson(join(dir, 'typedefs.json'), (d) => {
    d.typedefs.t_u64a4 = { type: 'unsigned long long', align: 4, header: 'layout.h' };
  });
  writeFileSync(join(dir, 'syscalls.json'), JSON.stringify({ header: 'asm/unistd.h', syscalls: {
    read: { ret: 'long', args: ['unsigned int fd', 'char *buf', 'size_t count'], arches: { x86_64: { nr: 0, since: '2.6.12' } } },
  } }));
  writeFileSync(join(dir, 'constants', 'o.json'), JSON.stringify({ namespaces: {
    O: { prefix: 'O_', header: 'linux/fcntl.h', since: '2.6.12', items: { RDONLY: 0 } },
  } }));
  const structs = JSON.parse(readFileSync(join(FIXTURES, 'layout.json'), 'utf8'));
  change?.(structs.structs);
  writeFileSync(join(dir, 'structs', 'layout.json'), JSON.stringify(structs));
  return dir;
}

function engineFor(dir: string) {
  return new LayoutEngine(resolveArch(loadSpec(dir), 'x86_64'));
}

const members = (e: LayoutEngine, name: string) =>
  Object.fromEntries(e.struct(name).members.map((m) => [m.path, [m.offset, m.size]]));

test('parseType reads pointers, arrays, qualifiers and synonyms', (t) => {
  t.deepEqual(parseType('const struct iovec *'), { base: 'struct iovec', pointers: 1, dims: [] });
  t.deepEqual(parseType('__u32[2][4]'), { base: '__u32', pointers: 0, dims: [2, 4] });
  t.deepEqual(parseType('char[]'), { base: 'char', pointers: 0, dims: [-1] });
  t.deepEqual(parseType('unsigned char[0]'), { base: 'unsigned char', pointers: 0, dims: [0] });
  t.deepEqual(parseType('const char *const *'), { base: 'char', pointers: 2, dims: [] });
  t.deepEqual(parseType('unsigned'), { base: 'unsigned int', pointers: 0, dims: [] });
  t.deepEqual(parseType('long unsigned int'), { base: 'unsigned long', pointers: 0, dims: [] });
});

test('the engine applies padding, packing, alignment attributes, unions and flexible arrays', (t) => {
  const e = engineFor(fixtureAbi());
  t.like(e.struct('t_basic'), { size: 32, align: 8 });
  t.deepEqual(members(e, 't_basic'), { a: [0, 1], b: [4, 4], c: [8, 2], d: [16, 8], e: [24, 1] });
  t.like(e.struct('t_packed'), { size: 13, align: 1 });
  t.deepEqual(members(e, 't_member_aligned'), { a: [0, 1], b: [16, 4], c: [20, 1] });
  t.like(e.struct('t_member_aligned'), { size: 32, align: 16 });
  t.like(e.struct('t_struct_aligned'), { size: 32, align: 32 });
  t.like(e.struct('t_union'), { size: 8, align: 8 });
  t.deepEqual(members(e, 't_anon'), { kind: [0, 4], i: [8, 4], l: [8, 8], pt: [8, 4], 'pt.x': [8, 2], 'pt.y': [10, 2], z: [16, 1] });
  t.deepEqual(members(e, 't_named_inline')['pair.v'], [24, 8]);
  t.like(e.struct('t_flex'), { size: 4, align: 4 });
  t.deepEqual(members(e, 't_flex').items, [4, 0]);
  t.like(e.struct('t_typedef_align'), { size: 12, align: 4 });
  t.like(e.struct('t_packed_aligned'), { size: 12, align: 4 });
  t.deepEqual(members(e, 't_packed_inner'), { a: [0, 1], in: [1, 5], 'in.b': [1, 1], 'in.c': [2, 4], d: [8, 4] });
  t.like(e.struct('t_multi'), { size: 14, align: 2 });
});

test('the engine agrees with gcc on every fixture struct and member', async (t) => {
  const dir = fixtureAbi();
  const abi = resolveArch(loadSpec(dir), 'x86_64');
  const run = await runCtest(abi, {
    target: { arch: 'x86_64', cc: ['gcc', '-I', FIXTURES], runner: [] }, dir: mkdtempSync(join(tmpdir(), 'tsyscall-lc-')),
    kinds: ['struct', 'field'],
  });
  const bad = run.results.filter((r) => r.status !== 'ok');
  t.deepEqual(bad.map((r) => `${r.check.id}: ${r.reason}`), []);
  t.is(run.results.filter((r) => r.check.kind === 'struct').length, 15);
  t.true(run.results.filter((r) => r.check.kind === 'field').length >= 50);
});

test('a wrong packed attribute or field alignment in the spec is caught by gcc', async (t) => {
  const dir = fixtureAbi((s) => {
    delete s.t_packed.packed;
    delete s.t_member_aligned.fields[1].align;
  });
  const abi = resolveArch(loadSpec(dir), 'x86_64');
  const run = await runCtest(abi, {
    target: { arch: 'x86_64', cc: ['gcc', '-I', FIXTURES], runner: [] }, dir: mkdtempSync(join(tmpdir(), 'tsyscall-lc-')),
    kinds: ['struct', 'field'],
  });
  const bad = new Set(run.results.filter((r) => r.status === 'mismatch').map((r) => r.check.id));
  for (const id of ['t_packed', 't_packed.b', 't_packed.c', 't_member_aligned', 't_member_aligned.b']) t.true(bad.has(id), id);
  t.false(bad.has('t_basic'));
  t.is(run.exitCode, 1);
});

test('an unknown field type is a spec error that names the struct and file', (t) => {
  const e = engineFor(fixtureAbi((s) => { s.t_basic.fields[0].type = 'no_such_t'; }));
  t.throws(() => e.struct('t_basic'), { message: /layout\.json: t_basic: unknown type 'no_such_t'/ });
});
