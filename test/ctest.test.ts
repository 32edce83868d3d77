// The host conformance check (what npm start prints), and proof that it catches a wrong spec.
import test from 'ava';
import { join } from 'node:path';
import { countKinds } from '../ctest/main.ts';
import type { CtestRun } from '../ctest/ctest.ts';
import { ABI_DIR, ctest, editJson, mismatches, scratchAbi } from './helpers.ts';
import { loadAbiFiles } from '../tools/lib/abi.ts';

let host: Promise<CtestRun>;
test.before(() => { host = ctest(ABI_DIR, { name: 'host' }); });

test('the spec matches this machine\'s headers: 0 mismatches', async (t) => {
  const run = await host;
  t.deepEqual(mismatches(run).map((r) => `${r.check.kind} ${r.check.id}: ${r.reason}`), []);
  t.is(run.exitCode, 0);
});

test('npm start checks >= 2,500 constants, >= 100 structs with every field, >= 350 syscalls', async (t) => {
  const run = await host;
  const k = countKinds(run.results);
  t.true(k.const.checked >= 2500, `constants checked: ${k.const.checked}`);
  t.true(k.struct.checked >= 100, `structs checked: ${k.struct.checked}`);
  t.true(k.syscall.checked >= 350, `syscalls checked: ${k.syscall.checked}`);
  // every member of every struct that was checked had its own offset check
  const checkedStructs = new Set(run.results.filter((r) => r.check.kind === 'struct' && r.status === 'ok').map((r) => r.check.id));
  const fields = run.results.filter((r) => r.check.kind === 'field' && checkedStructs.has(r.check.id.split('.')[0]));
  t.true(fields.length > 500);
  t.deepEqual(fields.filter((r) => r.status !== 'ok' && !/newer than the headers|unnamed in C/.test(r.reason ?? '')).map((r) => r.check.id), []);
});

test('every item that could not be checked says why', async (t) => {
  const run = await host;
  const unchecked = run.results.filter((r) => r.status === 'unchecked');
  t.true(unchecked.length > 0);
  for (const r of unchecked) t.regex(r.reason ?? '', /newer than the headers|kernel-internal|absent from the headers|unnamed in C/, r.check.id);
});

test('a wrong constant, a wrong field type and a wrong syscall number each fail ctest, named', async (t) => {
  const dir = scratchAbi();
  const files = loadAbiFiles(dir);
  const oFile = files.constants.find((f) => 'O' in f.data.namespaces)!.file;
  const statFile = files.structs.find((f) => 'stat' in f.data.structs)!.file;
  editJson(oFile, (d) => {
    const it = d.namespaces.O.items;
    it.DIRECTORY = typeof it.DIRECTORY === 'object' ? { ...it.DIRECTORY, value: 16384 } : 16384;
  });
  editJson(statFile, (d) => {
    const f = d.structs.stat.fields.find((x: any) => x.name === 'st_size');
    f.type = 'int';
  });
  editJson(join(dir, 'syscalls.json'), (d) => { d.syscalls.openat.arches.x86_64.nr = 56; });
  const run = await ctest(dir, { name: 'broken' });
  const bad = mismatches(run);
  const byId = new Map(bad.map((r) => [`${r.check.kind} ${r.check.id}`, r]));
  t.regex(byId.get('const O.DIRECTORY')?.reason ?? '', /value: spec 16384, headers 65536/);
  t.regex(byId.get('field stat.st_size')?.reason ?? '', /size: spec 4, headers 8/);
  t.regex(byId.get('syscall openat')?.reason ?? '', /nr: spec 56, headers 257/);
  t.true(byId.get('const O.DIRECTORY')!.check.file.endsWith(oFile.split('/').pop()!));
  t.is(bad.length, 3, bad.map((r) => r.check.id).join(', '));
  t.is(run.exitCode, 1, 'the C program itself fails');
});

test('an item the headers lack is a mismatch; one newer than the headers is reported, not checked', async (t) => {
  const dir = scratchAbi();
  const oFile = loadAbiFiles(dir).constants.find((f) => 'O' in f.data.namespaces)!.file;
  editJson(oFile, (d) => {
    d.namespaces.O.items.NO_SUCH_FLAG = 1;
    d.namespaces.O.items.FROM_THE_FUTURE = { value: 2, since: '99.0' };
  });
  const run = await ctest(dir, { kinds: ['const'], name: 'absent' });
  const r = new Map(run.results.map((x) => [x.check.id, x]));
  t.is(r.get('O.NO_SUCH_FLAG')?.status, 'mismatch');
  t.regex(r.get('O.NO_SUCH_FLAG')?.reason ?? '', /missing from the headers .*O_NO_SUCH_FLAG/);
  t.is(r.get('O.FROM_THE_FUTURE')?.status, 'unchecked');
  t.regex(r.get('O.FROM_THE_FUTURE')?.reason ?? '', /newer than the headers \(since 99\.0/);
  t.is(r.get('O.RDONLY')?.status, 'ok');
});
