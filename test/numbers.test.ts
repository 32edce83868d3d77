// Syscall numbers newer than a port's headers: the common numbering's offset is measured from data (never looked up
// by arch name), a port remakes its own entries on every run, and the spec's columns agree with the numbering.
import test from 'ava';
import { loadSpec, type SyscallsFile } from '../tools/lib/spec.ts';
import { targetInfo } from '../tools/lib/targets.ts';
import { COMMON_END, COMMON_FIRST, commonOffset } from '../tools/port/numbers.ts';
import { applyColumn, otherNumbers } from '../tools/port.ts';
import { ABI_DIR } from './helpers.ts';

const spec = loadSpec();
const table = spec.syscalls.data.syscalls;
const column = (arch: string) => Object.fromEntries(Object.entries(table).filter(([, s]) => s.arches[arch]).map(([n, s]) => [n, s.arches[arch].nr]));
const x86 = column('x86_64');

test('every arch numbers the syscalls since 5.1 at one offset from x86_64\'s (a wrong base would show here)', (t) => {
  const offsets: Record<string, number | undefined> = {};
  for (const arch of Object.keys(spec.arches)) {
    const o = commonOffset(x86, column(arch));
    t.deepEqual(o.conflicts, [], `${arch}: abi/linux/syscalls.json has numbers off the common numbering`);
    t.true(o.agree >= 40, `${arch}: ${o.agree} common-numbered syscalls`);
    offsets[arch] = o.offset;
  }
  // what the kernel's tables say (arch/mips/kernel/syscalls/*.tbl, arch/alpha, the x32 bit)
  t.like(offsets, { x86_64: 0, aarch64: 0, i386: 0, mips: 4000, mipsel: 4000, mips64: 5000, mips64el: 5000, alpha: 110, x32: 0x40000000 });
});

test('a new row in no table gets the numbers newer than its headers at the offset its headers show', (t) => {
  // a new MIPS n64 arch: its headers (6.1) number pidfd_send_signal and the rest of 5.1..6.1 at 5000 + x86_64's
  const headers = Object.fromEntries(Object.entries(column('mips64el')).filter(([n]) => (x86[n] ?? 0) < 452));
  const row = { ...targetInfo('mips64el'), name: 'mipsisa64r6el-test', seccomp: undefined };
  const { numbers, review } = otherNumbers(ABI_DIR, row, undefined, headers);
  t.deepEqual(review, []);
  for (const name of ['open_tree_attr', 'file_getattr', 'file_setattr']) {
    t.is(numbers[name]?.nr, x86[name] + 5000, name);
    t.is(numbers[name]?.nr, column('mips64el')[name], `${name}: as on mips64el`);
  }
  t.true(Object.values(numbers).every((n) => n.nr >= 5000 + COMMON_FIRST && n.nr < 5000 + COMMON_END));
});

test('with no common-numbered syscall anywhere, no number is made up and a review line says what to add', (t) => {
  const row = { ...targetInfo('mips64el'), name: 'unknown-test', seccomp: undefined };
  const { numbers, review } = otherNumbers(ABI_DIR, row, undefined, { read: 5000, write: 5001 });
  t.deepEqual(numbers, {});
  t.is(review.length, 1);
  t.regex(review[0], /^syscalls\.json, unknown-test: no syscall of the common numbering .* add one of them \(pidfd_send_signal\) to its column by hand/);
});

test('port remakes its own column entries on every run: a fixed base replaces wrong numbers, a second run changes nothing', (t) => {
  const arch = 'mipsisa64r6el-test';
  const sc = structuredClone(spec.syscalls.data) as SyscallsFile;
  const headers = Object.fromEntries(Object.entries(column('mips64el')).filter(([n]) => (x86[n] ?? 0) < 452));
  const x = { arch, headers: '6.1.187', syscalls: headers, headerSyscalls: headers };
  const row = { ...targetInfo('mips64el'), name: arch, seccomp: undefined };
  // a first run with the bug of old: no offset, numbers at x86_64's
  const wrong = Object.fromEntries(Object.entries(otherNumbers(ABI_DIR, row, undefined, headers).numbers).map(([n, v]) => [n, { ...v, nr: v.nr - 5000 }]));
  const opts = { reference: false, columnSince: () => '7.2' };
  applyColumn(sc, x, { ...opts, newerSyscalls: wrong });
  t.is(sc.syscalls.file_getattr.arches[arch].nr, x86.file_getattr);
  // a hand-made entry (no note of port's) is kept whatever the run
  sc.syscalls.listns.arches[arch] = { nr: 9999, since: '7.2' };
  // the fixed run replaces them
  const right = otherNumbers(ABI_DIR, row, undefined, headers).numbers;
  applyColumn(sc, x, { ...opts, newerSyscalls: right });
  t.is(sc.syscalls.file_getattr.arches[arch].nr, x86.file_getattr + 5000);
  t.is(sc.syscalls.open_tree_attr.arches[arch].nr, x86.open_tree_attr + 5000);
  t.deepEqual(sc.syscalls.listns.arches[arch], { nr: 9999, since: '7.2' });
  const once = JSON.stringify(sc);
  applyColumn(sc, x, { ...opts, newerSyscalls: right });
  t.is(JSON.stringify(sc), once, 'a second run changes nothing');
});
