// Native or emulated, decided by a probe (tools/lib/probe.ts, runChoice in tools/lib/targets.ts): a target the table hopes to run
// natively (i386) runs under qemu-user when the kernel refuses a minimal program of it. TSYSCALL_FORCE_EMULATION makes
// the probe fail on a machine whose kernel runs 32-bit x86, so these tests take the emulated path on any machine; and
// a target whose programs cannot start is reported with the command, how it ended and its stderr.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORCE_EMULATION, forcedEmulation, probeNative } from '../tools/lib/probe.ts';
import { describeChoice, missingPackages, packagesFor, runChoice, targetFor, targetInfo } from '../tools/lib/targets.ts';
import { runMatrix } from '../qemu/matrix.ts';
import { foreignTarget } from '../qemu/foreign.ts';
import { runCtest } from '../ctest/ctest.ts';
import { loadSpec, resolveArch } from '../tools/lib/spec.ts';
import { describeExit } from '../tools/lib/exit.ts';

// before any probe runs (probes run on first use, and this file has a process of its own)
process.env[FORCE_EMULATION] = 'i386,probe-host';

const i386Missing = missingPackages(packagesFor(['i386']));
const skipWithout = (t: { log: (m: string) => void; pass: () => void }) => {
  t.log(`SKIP: the i386 toolchain or qemu is missing (${i386Missing.join(' ')}); .ci/run installs them`);
  t.pass();
};

test('the variable names the targets whose probe must fail', (t) => {
  t.true(forcedEmulation('i386'));
  t.true(forcedEmulation('x32', { [FORCE_EMULATION]: 'all' }));
  t.true(forcedEmulation('i386', { [FORCE_EMULATION]: ' x32 , i386 ' }));
  t.false(forcedEmulation('i386', {}));
  t.false(forcedEmulation('i386', { [FORCE_EMULATION]: 'i3' }));
});

test('the probe runs a program of the host arch; forced, the kernel itself refuses it with ENOEXEC', (t) => {
  // the host's gcc and no runner: the probe's success path works on any machine
  const host = { ...targetInfo('x86_64'), name: 'probe-native' };
  const ok = probeNative(host, []);
  t.true(ok.ok, ok.full);
  t.false(ok.forced);
  t.is(ok.detail, '');
  // the same program, forced: a copy with e_machine EM_NONE, which no kernel runs; execve's errno comes back as it is
  // (not as the "Syntax error" of the shell that libuv falls back to)
  const forced = probeNative({ ...host, name: 'probe-host' }, []);
  t.false(forced.ok);
  t.true(forced.forced);
  t.falsy(forced.undecided);
  t.is(forced.errno, 'ENOEXEC', forced.full);
  // cached per process
  t.is(probeNative({ ...host, name: 'probe-host' }, []), forced);
});

test('a forced probe makes i386 run under qemu-i386-static everywhere, saying why', (t) => {
  if (i386Missing.length) return skipWithout(t);
  const c = runChoice('i386');
  t.is(c.how, 'qemu');
  t.deepEqual(c.runner, ['qemu-i386-static', '-L', '/usr/i686-linux-gnu']);
  t.is(c.probe?.errno, 'ENOEXEC', c.probe?.full);
  t.regex(c.why, /^this kernel cannot run 32-bit x86: ENOEXEC \(forced by TSYSCALL_FORCE_EMULATION=i386,probe-host\)$/);
  t.is(describeChoice(c), `i386: qemu-user (${c.why})`);
  // the ctest target (matrix, roundtrip, port, npm start) and the suite's row agree
  const tf = targetFor('i386');
  t.deepEqual([tf.how, tf.why, tf.runner], ['qemu', c.why, c.runner]);
  t.falsy(tf.object);
  const ft = foreignTarget('i386');
  t.deepEqual([ft.run, ft.why], ['qemu', c.why]);
  // qemu-user-static comes with the i386 toolchain, for this fallback
  t.true(packagesFor(['i386']).includes('qemu-user-static'));
  // the host's own arch is never probed, nor forced
  t.deepEqual(runChoice('x86_64'), { arch: 'x86_64', how: 'native', why: 'the host\'s own arch', runner: [] });
});

test('i386\'s checks run under qemu when forced: the matrix says how and why', async (t) => {
  if (i386Missing.length) return skipWithout(t);
  const out = mkdtempSync(join(tmpdir(), 'tsyscall-emulation-'));
  try {
    const res = await runMatrix({ arches: ['i386'], out, install: false });
    const o = res.outcomes[0];
    t.is(o.error, undefined);
    t.is(o.mode, 'qemu');
    t.regex(o.why ?? '', /cannot run 32-bit x86: ENOEXEC \(forced/);
    t.deepEqual(o.mismatches, []);
    t.true(o.totals!.const.checked >= 2500, `constants checked: ${o.totals!.const.checked}`);
    t.true(res.ok);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a target whose programs cannot start: the error names the command, its exit status and its stderr', async (t) => {
  if (i386Missing.length) return skipWithout(t);
  const abi = resolveArch(loadSpec(), 'i386');
  const dir = mkdtempSync(join(tmpdir(), 'tsyscall-emulation-'));
  try {
    // qemu with a sysroot that does not exist: qemu cannot find the dynamic loader
    const target = { arch: 'i386', cc: ['i686-linux-gnu-gcc'], runner: ['qemu-i386-static', '-L', '/nonexistent'], how: 'qemu' as const, why: 'a test' };
    const err = await t.throwsAsync(runCtest(abi, { target, dir, kinds: ['syscall'] }));
    t.regex(err!.message, /^the probe of i386 \(under qemu-user: a test\) failed: `qemu-i386-static -L \/nonexistent \S+\/probe` exited with status \d+\n {2}stderr:\n {4}.*ld-linux\.so\.2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('describeExit: a signal, a start failure, an empty stderr, the shell fallback after ENOEXEC', (t) => {
  t.is(describeExit(['prog', 'a b'], { signal: 'SIGSEGV', stderr: '' }), '`prog \'a b\'` was killed by SIGSEGV\n  (nothing on stderr)');
  t.is(describeExit(['nope'], { startError: 'ENOENT' }), '`nope` could not start: ENOENT\n  (nothing on stderr)');
  t.regex(describeExit(['./p'], { code: 2, stderr: './p: 1: Syntax error: "(" unexpected\n' }),
    /exited with status 2 \(a shell read the program as a script: the kernel refused to run it, ENOEXEC\)\n {2}stderr:\n {4}\.\/p: 1: Syntax/);
  const long = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
  t.regex(describeExit(['p'], { code: 1, stderr: long }, 3), /\.\.\. \(27 lines before\)\n {4}line 27\n {4}line 28\n {4}line 29$/);
});
