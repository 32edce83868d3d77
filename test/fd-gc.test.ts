// An Fd nobody holds is closed by the garbage collector, unless nogc(); checked in a child node with --expose-gc.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.ts';

const child = (code: string) => execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', code], {
  cwd: ROOT, encoding: 'utf8',
}).trim();

const script = (nogc: boolean) => `
import { open } from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};
import { readlinkSync } from 'node:fs';
let n;
(() => { const fd = open('/dev/null'); n = fd.fileno; ${nogc ? 'fd.nogc();' : ''} })();
const before = readlinkSync('/proc/self/fd/' + n);
for (let i = 0; i < 20; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
let after = 'closed';
try { after = readlinkSync('/proc/self/fd/' + n); } catch {}
console.log(before + ' ' + after);
`;

test('an unreferenced Fd is closed by the garbage collector', (t) => {
  t.is(child(script(false)), '/dev/null closed');
});

test('nogc() keeps an unreferenced Fd open', (t) => {
  t.is(child(script(true)), '/dev/null /dev/null');
});
