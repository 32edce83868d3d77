// The test harness: runs each ava test file in fresh Linux namespaces (mount, UTS, IPC, network, PID) when root, and
// compares the host's state before and after the whole run, so that no test can change the machine it runs on
// unnoticed (hostname, mounts, network links, the clock, cgroups, sysctls). Prints a closing line
// "N passed, N failed, N skipped" and exits non-zero on any failure or host change.
//
//   tsx harness/run.ts [--no-isolate] [--jobs N] [test files...]   (default: test/**/*.test.ts)
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { hostState, diffStates } from './host.ts';
import { tapCounts, tapSkipped } from './tap.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

interface FileResult { file: string; pass: number; fail: number; skip: number; todo: number; code: number | null; output: string }

/** Run one ava file, isolated in fresh namespaces when we can, and count its results from ava's TAP output. */
function runFile(file: string, isolate: boolean): Promise<FileResult> {
  const ava = join(ROOT, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
  const cmd = [process.execPath, ava, '--tap', '--timeout=5m', file];
  const argv = isolate
    ? ['unshare', '--mount', '--uts', '--ipc', '--net', '--pid', '--fork', '--mount-proc', '--propagation', 'private', ...cmd]
    : cmd;
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSYSCALL_ISOLATED: isolate ? '1' : '' } });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('close', (code) => {
      resolve({ file, ...tapCounts(output), code, output });
    });
  });
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  }).sort();
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'no-isolate': { type: 'boolean', default: false }, jobs: { type: 'string', default: String(Math.max(1, cpus().length)) } },
  });
  const root = process.getuid?.() === 0;
  const isolate = !values['no-isolate'] && root;
  if (!isolate) console.log(`harness: running without namespaces (${root ? '--no-isolate' : 'not root'})`);
  const files = positionals.length ? positionals : testFiles(join(ROOT, 'test'));
  const before = hostState();
  const results: FileResult[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Number(values.jobs) }, async () => {
    while (next < files.length) {
      const file = files[next++];
      const r = await runFile(file, isolate);
      results.push(r);
      const ok = r.code === 0 && r.fail === 0;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${relative(ROOT, file)}: ${r.pass} passed, ${r.fail} failed, ${r.skip} skipped`);
      if (!ok) console.log(r.output.split('\n').map((l) => `     ${l}`).join('\n'));
    }
  }));
  const changes = diffStates(before, hostState());
  const total = results.reduce((a, r) => ({ pass: a.pass + r.pass, fail: a.fail + r.fail + (r.code !== 0 && r.fail === 0 ? 1 : 0), skip: a.skip + r.skip }), { pass: 0, fail: 0, skip: 0 });
  const skipped = results.flatMap((r) => tapSkipped(r.output).map((title) => `${relative(ROOT, r.file)}: ${title}`));
  if (skipped.length) console.log(`\nSkipped (${skipped.length}), with their reasons:\n${skipped.map((s) => `  ${s}`).join('\n')}`);
  if (changes.length) {
    console.log(`\nThe tests changed the host:\n${changes.map((c) => `  ${c}`).join('\n')}`);
    total.fail++;
  } else {
    console.log('\nHost state unchanged (hostname, mounts, network links, clock, cgroups, sysctls).');
  }
  console.log(`\n${total.pass} passed, ${total.fail} failed, ${total.skip} skipped`);
  process.exitCode = total.fail ? 1 : 0;
}

await main();
