// The generated types make portability a type error: hand-written code sees the portable ABI, in which a syscall not
// every arch has is optional, so calling raw.open (which aarch64 and riscv64 lack) without a check fails `tsc`; an
// arch's own type (AbiOf<'aarch64'>) has exactly that arch's syscalls. Checked with TypeScript's own checker on a probe
// file that imports the library the way src/ does.
import test from 'ava';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers.ts';

const PROBE = `import { raw } from '../../src/core/abi.ts';
import { loadArch } from '../../src/generated/index.ts';
const aarch64 = await loadArch('aarch64');
const x86 = await loadArch('x86_64');
export const handWritten = raw.open('/x', 0, 0); // ERROR: open is not on every arch
export const onAarch64 = aarch64.raw.open('/x', 0, 0); // ERROR: aarch64 has no open
export const onX86 = x86.raw.open('/x', 0, 0);
export const everywhere = raw.openat(-100, '/x', 0, 0);
export const checked = raw.open ? raw.open('/x', 0, 0) : raw.openat(-100, '/x', 0, 0);
export const aarch64At = aarch64.raw.openat(-100, '/x', 0, 0);
export const number: number = aarch64.SYS.openat;
// @ts-expect-error: a constant the arches disagree on is a number, not x86_64's literal
export const literal: 2048 = raw && aarch64.O.NONBLOCK;
`;

/** The diagnostics of the probe, as [line, code, first line of the message]. */
function check(): [number, number, string][] {
  const dir = join(ROOT, 'build', 'types-probe');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'probe.ts');
  writeFileSync(file, PROBE);
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const program = ts.createProgram([file], { ...options, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0];
    return [d.file?.fileName === file ? where : -1, d.code, text] as [number, number, string];
  });
}

test('calling a syscall not every arch has fails the type check: raw.open in hand-written code, and on aarch64', (t) => {
  const diags = check();
  const lineOf = (marker: string) => PROBE.split('\n').findIndex((l) => l.includes(marker)) + 1;
  // nothing else: the modules the probe imports type-check, and the rest of the probe too
  t.deepEqual(diags.filter(([line]) => line !== lineOf('handWritten') && line !== lineOf('onAarch64')), []);
  const hand = diags.filter(([line]) => line === lineOf('handWritten'));
  // Cannot invoke an object which is possibly 'undefined' (2722), 'raw.open' is possibly 'undefined' (18048)
  t.true(hand.length > 0 && hand.every(([, code]) => code === 2722 || code === 18048), JSON.stringify(diags));
  const arm = diags.filter(([line]) => line === lineOf('onAarch64'));
  t.is(arm.length, 1, JSON.stringify(diags));
  t.is(arm[0][1], 2339, arm[0][2]); // Property 'open' does not exist on type ...
  t.regex(arm[0][2], /'open'/);
});
