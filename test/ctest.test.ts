// The host conformance check (what npm start prints), and proof that it catches a wrong spec.
import test from 'ava';
import { join } from 'node:path';
import { countKinds } from '../ctest/report.ts';
import type { CtestRun } from '../ctest/ctest.ts';
import { ABI_DIR, ROOT, ctest, editJson, mismatches, scratchAbi } from './helpers.ts';
import { loadSpec, resolveArch, valueAt } from '../tools/lib/spec.ts';
import { mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { buildChecks, hostTarget, mergeRuns, runCtest } from '../ctest/ctest.ts';
import type { UapiHeaders } from '../ctest/headers.ts';
import { uapiTriplet } from '../tools/lib/targets.ts';

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
  const files = loadSpec(dir);
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
  const oFile = loadSpec(dir).constants.find((f) => 'O' in f.data.namespaces)!.file;
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

// ---------------------------------------------------------------------------------------------------------------
// The second header set (ctest/headers.ts): the newest kernel's UAPI headers, values that changed between kernels,
// and the risks of per-arch families.


test('a value that changed between kernels: the headers\' version decides which one ctest expects', (t) => {
  const x86 = resolveArch(loadSpec(), 'x86_64');
  const mask = x86.constants.find((k) => k.id === 'RTAX.FEATURE_MASK')!;
  t.is(mask.value, 31n); // the library exports the spec kernel's value
  t.is(valueAt(mask, '6.1.4'), 15n);
  t.is(valueAt(mask, '6.7'), 31n);
  t.is(valueAt(mask, '7.2.13'), 31n);
  // an arch's own history: parisc took the common MADV_ numbers in 6.2
  const hppa = resolveArch(loadSpec(), 'hppa');
  const merge = hppa.constants.find((k) => k.id === 'MADV.MERGEABLE')!;
  t.is(merge.value, 12n);
  t.is(valueAt(merge, '6.1.4'), 65n);
  // the C statement asserts the value of the headers it is compiled against
  const c = (h: string) => buildChecks(x86, undefined, h).find((k) => k.id === 'RTAX.FEATURE_MASK')!;
  t.deepEqual(c('6.1.4').expect, [15n]);
  t.regex(c('6.1.4').c(true), /, 15ULL\);$/);
  t.regex(c('7.2.13').c(true), /, 31ULL\);$/);
});

test('a family an arch numbers its own way: an item with the common value is a risk where no header checks it', (t) => {
  const dir = scratchAbi();
  // a socket option from a kernel newer than any header set, without sparc64's own number
  editJson(join(dir, 'constants', 'socket.json'), (d) => { d.namespaces.SO.items.FUTURE = { value: 999, since: '99.0' }; });
  const files = loadSpec(dir);
  const sparc = resolveArch(files, 'sparc64');
  t.is(sparc.constants.find((k) => k.id === 'SO.FUTURE')!.perArch, 'common');
  t.is(sparc.constants.find((k) => k.id === 'SO.PASSPIDFD')!.perArch, 'own');
  t.regex(buildChecks(sparc).find((k) => k.id === 'SO.FUTURE')!.risk ?? '', /sparc64 numbers SO its own way/);
  // x86_64 has no numbers of its own for SO: no risk
  t.is(resolveArch(files, 'x86_64').constants.find((k) => k.id === 'SO.FUTURE')!.perArch, undefined);
});

// fetched (or found in build/headers/) by a child process, so that the tests are declared synchronously, as ava wants,
// however long apt takes
let newest: UapiHeaders | undefined;
let newestWhy = '';
{
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tools', 'headers.ts')], { encoding: 'utf8', cwd: ROOT });
  if (r.status === 0) newest = JSON.parse(r.stdout) as UapiHeaders;
  else newestWhy = ` (skipped: the newest kernel headers could not be fetched from Debian's archive: ${(r.stderr || r.error?.message || `status ${r.status}`).trim().split('\n').pop()})`;
}
const withNewest = newest ? test : test.skip;

withNewest(`against the newest headers: items newer than the sysroot's are checked, and a wrong one is a mismatch${newestWhy}`, async (t) => {
  const h = newest!;
  t.regex(h.kernel, /^7\.2\.\d+$/);
  const dir = scratchAbi();
  // RTNLGRP_IPV6_ACADDR came in 6.14: the host's 6.1 headers cannot check it, 7.2's can; say 40 instead of 39
  editJson(join(dir, 'constants', 'rtnetlink.json'), (d) => { d.namespaces.RTNLGRP.items.IPV6_ACADDR.value = 40; });
  const abi = resolveArch(loadSpec(dir), 'x86_64');
  const tmp = (n: string) => mkdtempSync(join(tmpdir(), `tsyscall-ctest-${n}-`));
  const kinds = ['const', 'syscall'] as const;
  const base = await runCtest(abi, { target: hostTarget('x86_64'), dir: tmp('sysroot'), kinds: [...kinds] });
  const second = await runCtest(abi, {
    target: hostTarget('x86_64'), dir: tmp('newest'), kinds: [...kinds], uapi: { dir: h.dir, triplet: uapiTriplet('x86_64')! },
  });
  t.is(second.probe.headers, h.kernel);
  const status = (run: CtestRun, id: string) => run.results.find((r) => r.check.id === id);
  // glibc's units are not compiled against the kernel's headers
  const glibc = abi.constants.filter((k) => k.header.length === 1 && k.header[0] === 'sys/socket.h');
  t.true(glibc.length > 5);
  for (const k of glibc) t.is(status(second, k.id), undefined, k.id);
  t.is(status(base, glibc[0].id)!.status, 'ok');
  t.regex(status(base, 'RTNLGRP.IPV6_ACADDR')!.reason ?? '', /newer than the headers/);
  t.is(status(second, 'RTNLGRP.IPV6_ACADDR')!.status, 'mismatch');
  t.regex(status(second, 'RTNLGRP.IPV6_ACADDR')!.reason ?? '', /value: spec 40, headers 39/);
  // listns (470) and the old value of a mask with history check out against 7.2
  t.is(status(second, 'listns')!.status, 'ok');
  t.deepEqual(status(second, 'listns')!.actual, [470n]);
  t.is(status(second, 'RTAX.FEATURE_MASK')!.status, 'ok');
  t.deepEqual(status(base, 'RTAX.FEATURE_MASK')!.actual, [15n]);
  // merged: one result per item, the mismatch named with its headers, and the items that moved to checked counted
  const m = mergeRuns(base, second);
  const merged = m.results.find((r) => r.check.id === 'RTNLGRP.IPV6_ACADDR')!;
  t.is(merged.status, 'mismatch');
  t.regex(merged.reason ?? '', /^against the headers of Linux 7\.2\.\d+: value: spec 40, headers 39/);
  t.true(m.moved >= 50, `moved: ${m.moved}`);
  t.is(m.results.length, base.results.length);
});
