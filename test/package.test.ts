// The built package (dist/ as npm run build bundles it): each entry point loads and works, and `import 'tsyscall'`
// loads only its own bundle, the shared chunks and the host arch's chunk.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundle } from '../tools/lib/bundle.ts';
import { ROOT } from './helpers.ts';

const OUT = join(ROOT, 'build', 'test-dist');

test.before(async () => {
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  await bundle(OUT);
});

const run = (code: string) => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};

test('the main entry point makes syscalls and carries the host constants', (t) => {
  const r = run(`
    const m = await import('${OUT}/index.js');
    const fd = m.open('/proc/self/stat');
    const stat = m.fstat(fd);
    const pid = Number(m.read(fd, 4096).toString().split(' ')[0]);
    fd.close();
    let code = '';
    try { m.open('/nonexistent/x'); } catch (e) { code = e.code; }
    console.log(JSON.stringify({ pid, self: process.pid, dir: m.abi.O.DIRECTORY, mode: stat.isFile(), code }));`);
  t.is(r.pid, r.self);
  t.is(r.dir, 65536);
  t.true(r.mode);
  t.is(r.code, 'ENOENT');
});

test('tsyscall/raw returns the result or -errno; tsyscall/generated loads any arch', (t) => {
  const r = run(`
    const { raw } = await import('${OUT}/raw.js');
    const g = await import('${OUT}/generated/index.js');
    const a = await g.loadArch('aarch64');
    console.log(JSON.stringify({ pid: raw.getpid(), self: process.pid, badf: raw.close(-1), arch: a.arch.name, dir: a.O.DIRECTORY, openat: a.SYS.openat, stat: a.Stat.size }));`);
  t.is(r.pid, r.self);
  t.is(r.badf, -9);
  t.deepEqual([r.arch, r.dir, r.openat, r.stat], ['aarch64', 16384, 56, 128]);
});

test('import loads the bundle, the shared chunks and only the host arch\'s chunk', (t) => {
  // NODE_DEBUG=esm makes Node's module loader log every module it stores
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await import('${OUT}/index.js')`], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm' },
  });
  t.is(r.status, 0, r.stderr);
  const loaded = [...new Set([...r.stderr.matchAll(/Storing file:\/\/(\S+)/g)].map((m) => m[1]))]
    .filter((f) => f.startsWith(OUT)).map((f) => f.slice(OUT.length + 1)).sort();
  const arches = loaded.filter((f) => /^chunks\/[a-z0-9_]+-[A-Z0-9]+\.js$/.test(f) && !f.startsWith('chunks/chunk-'));
  t.deepEqual(arches.map((f) => f.replace(/^chunks\/|-[A-Z0-9]+\.js$/g, '')), ['x86_64']);
  t.true(loaded.includes('index.js'));
  t.true(loaded.length <= 8, `loaded ${loaded.join(', ')}`);
  // every arch of the spec has its chunk, built but not loaded
  t.is(readdirSync(join(OUT, 'chunks')).filter((f) => /^(x86_64|aarch64|armhf|mips64el)-\w+\.js$/.test(f)).length, 4);
});
