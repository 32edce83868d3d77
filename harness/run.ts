// The test harness: runs each ava test file in fresh Linux namespaces (mount, UTS, IPC, network, PID) when root, and
// checks that no test changes the machine it runs on unnoticed, while telling the tests' changes from those of the
// other processes on the machine (which make and remove cgroups, and may mount or set things, at any time):
//
// - namespaces: the state of each file's fresh namespaces (hostname, mounts, network links and addresses,
//   per-namespace sysctls) is taken inside them before and after the file (host.ts, NS_WRAP): nothing else changes
//   them. The tests get no handle on the harness's namespaces (their /proc shows only their own pid namespace, the
//   mounts are private), so this suffices for what namespaces hold. Without namespaces (not root, --no-isolate), the
//   harness's own namespaces, which the tests then share, are compared before and after the run.
// - what no namespace isolates (the clock, global sysctls): machine-wide, before and after the run.
// - cgroups: the run has a cgroup of its own below the harness's, and each file one below that, which the file's
//   processes run in and its tests make their cgroups in (TSYSCALL_CGROUPS: hierarchy -> directory); what a file
//   leaves there (cgroups, running processes) is blamed on it and removed. A cgroup made, removed or joined anywhere
//   else is found by tracing the run's processes (trace.ts): the kernel attributes each change to the task that made
//   it, so a cgroup another process makes meanwhile is never blamed, and one a test makes outside its cgroup is, with
//   the file it came from. Without tracing (not root, no tracefs, events lost), the cgroups outside the harness's are
//   compared before and after the run, and any change is blamed.
//
// Prints a closing line "N passed, N failed, N skipped" and exits non-zero on any failure or change.
//
//   tsx harness/run.ts [--no-isolate] [--no-trace] [--jobs N] [test files...]   (default: test/**/*.test.ts)
import { spawn } from 'node:child_process';
import { readdirSync, existsSync, rmdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { globalState, diffGlobal, nsState, diffNs, parseNsStates, NS_WRAP } from './host.ts';
import { hierarchies, dirOf, RunCgroups, cgroupSnapshot, type Hierarchy } from './cgroups.ts';
import { CgroupTracer, type CgroupEvent } from './trace.ts';
import { tapCounts, tapSkipped } from './tap.ts';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

interface FileResult { file: string; pass: number; fail: number; skip: number; todo: number; code: number | null; output: string; changes: string[] }

/** sh -c JOIN sh PROCS... -- CMD...: write itself into each cgroup.procs file, then exec CMD. */
const JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || { echo "harness: cannot join the cgroup $1" >&2; exit 125; }; shift; done; shift; exec "$@"';

/**
 * Run test file number `n` in its cgroups, isolated in fresh namespaces when we can, and count its results from ava's
 * TAP output; its changes are what it left in its namespaces and its cgroups.
 */
function runFile(file: string, n: number, isolate: boolean, cg: RunCgroups): Promise<FileResult> {
  const ava = join(ROOT, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
  let argv = [process.execPath, ava, '--tap', '--timeout=5m', file];
  if (isolate) {
    argv = ['unshare', '--mount', '--uts', '--ipc', '--net', '--pid', '--fork', '--mount-proc', '--propagation', 'private',
      'sh', '-c', NS_WRAP, 'sh', ...argv];
  }
  let fc;
  try { fc = cg.paths.size ? cg.fileCgroups(n) : undefined; } catch (e) {
    return Promise.resolve({ file, pass: 0, fail: 1, skip: 0, todo: 0, code: null, output: (e as Error).message, changes: [] });
  }
  if (fc) argv = ['sh', '-c', JOIN, 'sh', ...fc.procs, '--', ...argv];
  const env = { ...process.env, TSYSCALL_ISOLATED: isolate ? '1' : '', TSYSCALL_CGROUPS: fc ? JSON.stringify(fc.dirs) : '' };
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', isolate ? 'pipe' : 'ignore'], env });
    let output = '';
    let state = '';
    child.stdout!.on('data', (d) => { output += d; });
    child.stderr!.on('data', (d) => { output += d; });
    child.stdio[3]?.on('data', (d) => { state += d; });
    child.on('close', (code) => {
      const changes: string[] = [];
      if (isolate) {
        const { before, after } = parseNsStates(state);
        if (before && after) changes.push(...diffNs(before, after));
        else changes.push('the state of its namespaces could not be taken after the run');
      }
      changes.push(...cg.finishFile(n));
      resolve({ file, ...tapCounts(output), code, output, changes });
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

/** What the traced cgroup events outside the harness's cgroup say, attributed to the files they came from. */
class Blame {
  /** The global pid of each file's first process (the one that joined the file's cgroups) -> the file. */
  private starters = new Map<number, string>();
  readonly changes: { file?: string; what: string }[] = [];
  /** Cgroups the run made outside the harness's, and had not removed at the last event (hierarchy id + path). */
  readonly made = new Map<string, { h?: Hierarchy; root: number; path: string; file?: string }>();

  constructor(private tracer: CgroupTracer, private cg: RunCgroups, private hs: Hierarchy[], private files: string[]) {}

  private where(root: number, path: string): string {
    const h = this.hs.find((x) => x.id === root);
    return (h && dirOf(h, path)) ?? `${path} in cgroup hierarchy ${root}`;
  }

  /** Called for each event as it is read, while the task tree it knows is the one at the event's time. */
  event(e: CgroupEvent): void {
    const t = this.tracer;
    // a file's first process joins its cgroups: <harness's cgroup>/<n>
    if (e.event === 'cgroup_attach_task' && e.moved?.pid === e.pid) {
      for (const [h, p] of this.cg.paths) {
        const m = h.id === e.root && e.path.startsWith(`${p}/`) ? /^(\d+)$/.exec(e.path.slice(p.length + 1)) : null;
        if (m && !this.starters.has(e.pid)) this.starters.set(e.pid, this.files[Number(m[1])]);
      }
    }
    if (e.pid === t.pid) return; // the harness's own: its cgroups, and cleaning up after the tests
    const file = t.ancestry(e.pid).map((p) => this.starters.get(p)).find(Boolean);
    const by = `by pid ${e.pid} (${e.comm})`;
    const moves = e.event === 'cgroup_attach_task' || e.event === 'cgroup_transfer_tasks';
    // moving a process that is not the run's is a change to the machine, wherever to
    if (moves && e.moved && e.moved.pid !== t.pid && !t.parents.has(e.moved.pid)) {
      this.changes.push({ file, what: `a process not of the run, ${e.moved.pid} (${e.moved.comm}), moved into cgroup ${this.where(e.root, e.path)} ${by}` });
      return;
    }
    if (e.event === 'cgroup_setup_root' || e.event === 'cgroup_destroy_root' || e.event === 'cgroup_remount') {
      const what = { cgroup_setup_root: 'made', cgroup_destroy_root: 'destroyed', cgroup_remount: 'remounted' }[e.event];
      this.changes.push({ file, what: `cgroup hierarchy ${e.root} (${e.path}) ${what} ${by}` });
      return;
    }
    if (this.cg.contains(e.root, e.path)) return;
    const where = this.where(e.root, e.path);
    const key = `${e.root}:${e.path}`;
    if (e.event === 'cgroup_mkdir') this.made.set(key, { h: this.hs.find((x) => x.id === e.root), root: e.root, path: e.path, file });
    if (e.event === 'cgroup_rmdir') this.made.delete(key);
    const what = moves ? `moved ${e.moved?.pid} (${e.moved?.comm}) into cgroup ${where}`
      : e.event === 'cgroup_mkdir' ? `cgroup made outside the harness's cgroup: ${where}`
        : e.event === 'cgroup_rmdir' ? `cgroup removed: ${where}`
          : `${e.event.replace('cgroup_', 'cgroup ')}: ${where}`;
    this.changes.push({ file, what: `${what} ${by}` });
  }

  /** The changes blamed on `file` so far (taken: they are reported with the file). */
  take(file: string): string[] {
    const mine = this.changes.filter((c) => c.file === file);
    this.changes.splice(0, this.changes.length, ...this.changes.filter((c) => c.file !== file));
    return mine.map((c) => c.what);
  }

  /** Remove the cgroups the run made outside the harness's and left there (empty ones only: rmdir refuses others). */
  removeLeftovers(): string[] {
    const out: string[] = [];
    for (const { h, path, root, file } of [...this.made.values()].sort((a, b) => b.path.length - a.path.length)) {
      const dir = h && dirOf(h, path);
      if (dir && !existsSync(dir)) continue;
      const who = file ? `${relative(ROOT, file)}: ` : 'a process of the run: ';
      try {
        if (!dir) throw Object.assign(new Error(), { code: 'not mounted here' });
        rmdirSync(dir);
        out.push(`${who}left behind (the harness removed it): ${dir}`);
      } catch (e) {
        out.push(`${who}left behind: ${dir ?? `${path} in cgroup hierarchy ${root}`} (${(e as NodeJS.ErrnoException).code})`);
      }
    }
    return out;
  }
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'no-isolate': { type: 'boolean', default: false },
      'no-trace': { type: 'boolean', default: false },
      jobs: { type: 'string', default: String(Math.max(1, cpus().length)) },
    },
  });
  const root = process.getuid?.() === 0;
  const isolate = !values['no-isolate'] && root;
  if (!isolate) console.log(`harness: running without namespaces (${root ? '--no-isolate' : 'not root'})`);
  const files = positionals.length ? positionals : testFiles(join(ROOT, 'test'));

  const hs = hierarchies();
  if (root) RunCgroups.removeStale(hs);
  // tracing first, so that it sees the harness make its cgroups (and the marker in sync() has one to follow)
  let tracer: CgroupTracer | undefined;
  let untraced = 'not root';
  if (root && !values['no-trace']) {
    const t = await CgroupTracer.start();
    if (typeof t === 'string') untraced = t; else tracer = t;
  } else if (root) untraced = '--no-trace';
  const cg = new RunCgroups(hs).create();
  for (const p of cg.problems) console.log(`harness: no cgroup of its own in ${p}`);
  const blame = tracer && new Blame(tracer, cg, hs, files);
  if (tracer) tracer.onEvent = (e) => blame!.event(e);
  if (!root) console.log('harness: not root: cgroups compared before and after the run where this user may make them');
  else if (!tracer) {
    console.log(`harness: cannot trace cgroup changes (${untraced}): every cgroup made or removed during the run outside ` +
      'the harness\'s is blamed on the tests');
  }

  let cleaned = false;
  const cleanup = () => { if (!cleaned) { cleaned = true; cg.remove(); } };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => { cleanup(); void tracer?.stop(); process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 })[sig]); });
  }

  const globalBefore = globalState();
  const nsBefore = isolate ? undefined : nsState();
  const cgBefore = cgroupSnapshot(hs, cg, root);
  const results: FileResult[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Number(values.jobs) }, async () => {
    while (next < files.length) {
      const n = next++;
      const r = await runFile(files[n], n, isolate, cg);
      // what the trace blames on the file: every event of its processes has been read once a marker written now is
      if (tracer && blame && await tracer.sync()) r.changes.push(...blame.take(r.file));
      results.push(r);
      const ok = r.code === 0 && r.fail === 0 && !r.changes.length;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${relative(ROOT, r.file)}: ${r.pass} passed, ${r.fail} failed, ${r.skip} skipped`);
      if (r.code !== 0 || r.fail) console.log(r.output.split('\n').map((l) => `     ${l}`).join('\n'));
      for (const c of r.changes) console.log(`     changed: ${c}`);
    }
  }));

  // every event of the run read, then what they say; then the harness's own cgroups and the rest
  const changes: string[] = results.flatMap((r) => r.changes.map((c) => `${relative(ROOT, r.file)}: ${c}`));
  const synced = tracer ? await tracer.sync() : false;
  // a tracer that failed leaves the before-and-after comparison to judge: these are notes, not changes
  const notes: string[] = [];
  if (tracer && blame) {
    if (!synced) notes.push('the cgroup tracer did not answer: its events may be incomplete');
    for (const c of blame.changes) changes.push(`${c.file ? `${relative(ROOT, c.file)}: ` : 'a process of the run: '}${c.what}`);
    blame.changes.length = 0;
    changes.push(...blame.removeLeftovers());
  }
  cleanup();
  const lost = tracer?.lost ?? 0;
  const died = tracer?.dead ?? false;
  await tracer?.stop();
  if (lost) notes.push(`the cgroup tracer lost ${lost} events: cgroups compared before and after instead`);
  if (died) notes.push('the cgroup tracer died during the run: cgroups compared before and after instead');
  for (const n of notes) console.log(`harness: ${n}`);
  if (!tracer || lost || died || !synced) {
    const after = new Set(cgroupSnapshot(hs, undefined, root));
    const before = new Set(cgBefore);
    for (const c of cgBefore) if (!after.has(c)) changes.push(`cgroup gone: ${c}`);
    for (const c of after) if (!before.has(c)) changes.push(`cgroup new: ${c}`);
  }
  changes.push(...diffGlobal(globalBefore, globalState()));
  if (nsBefore) changes.push(...diffNs(nsBefore, nsState()));

  const total = results.reduce((a, r) => ({
    pass: a.pass + r.pass,
    fail: a.fail + r.fail + (r.code !== 0 && r.fail === 0 ? 1 : 0) + (r.changes.length ? 1 : 0),
    skip: a.skip + r.skip,
  }), { pass: 0, fail: 0, skip: 0 });
  const skipped = results.flatMap((r) => tapSkipped(r.output).map((title) => `${relative(ROOT, r.file)}: ${title}`));
  if (skipped.length) {
    console.log(`\nSkipped (${skipped.length}), with their reasons:\n${skipped.map((s) => `  ${s}${/\(skipped: [^)]/.test(s) ? '' : '  [no reason given]'}`).join('\n')}`);
  }
  if (changes.length) {
    console.log(`\nThe tests changed the host:\n${changes.map((c) => `  ${c}`).join('\n')}`);
    if (changes.length > results.reduce((a, r) => a + r.changes.length, 0)) total.fail++;
  } else {
    console.log(`\nHost state unchanged (hostname, mounts, network links, clock, cgroups, sysctls${tracer && !notes.length ? '; cgroups traced' : ''}).`);
  }
  console.log(`\n${total.pass} passed, ${total.fail} failed, ${total.skip} skipped`);
  process.exitCode = total.fail ? 1 : 0;
}

await main();
