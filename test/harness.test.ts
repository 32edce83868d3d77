// The harness itself (harness/): it still catches what a test leaves behind (a cgroup, a mount, a network link, a
// hostname), and it does not blame the tests for the cgroups other processes of the machine make and remove meanwhile.
// The root tests run the harness on fixture test files (test/fixtures/harness/), with a process beside it that makes
// and removes cgroups in a loop.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CgroupTracer, parseEvent } from '../harness/trace.ts';
import { RunCgroups, removeCgroup, hierarchies, dirOf } from '../harness/cgroups.ts';
import { parseNsStates, diffNs } from '../harness/host.ts';
import { needs, skip } from './skips.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'harness');
const isRoot = process.getuid?.() === 0;

// Whether the kernel lets the harness trace cgroup changes here (root, tracefs, event-fork): probed as the harness does
const traceable = await (async () => {
  if (!isRoot) return 'needs root';
  const t = await CgroupTracer.start();
  if (typeof t === 'string') return `cannot trace cgroup changes: ${t}`;
  await t.stop();
  return '';
})();
const traced = traceable ? skip : needs('root');
const why = traceable ? ` (skipped: ${traceable})` : '';

test('trace lines: cgroup events with spaces in paths and dashes in task names; other lines are not events', (t) => {
  t.deepEqual(parseEvent('     kworker/0:1-events-1234    [001] d..1.  3361.330668: cgroup_mkdir: root=4 id=4160 level=3 path=/a/b c'),
    { event: 'cgroup_mkdir', pid: 1234, comm: 'kworker/0:1-events', root: 4, path: '/a/b c' });
  t.deepEqual(parseEvent('              sh-3944    [001] d..1.  3361.334634: cgroup_attach_task: dst_root=0 dst_id=4193 dst_level=2 dst_path=/x y/z pid=3944 comm=sh'),
    { event: 'cgroup_attach_task', pid: 3944, comm: 'sh', root: 0, path: '/x y/z', moved: { pid: 3944, comm: 'sh' } });
  t.deepEqual(parseEvent('           mount-77      [000] ..... 12.5: cgroup_setup_root: root=12 ss_mask=0 name=mine'),
    { event: 'cgroup_setup_root', pid: 77, comm: 'mount', root: 12, path: 'mine' });
  t.is(parseEvent('            node-5  [000] ..... 1.0: sched_process_fork: comm=node pid=5 child_comm=node child_pid=6'), null);
  t.is(parseEvent('# tracer: nop'), null);
});

test('namespace states: what a file changed in its namespaces, line by line', (t) => {
  const out = [
    '@@ before', 'sysctl kernel/hostname=a', 'mount 20 1 0:20 / /proc rw - proc proc rw',
    'link 1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
    '@@ after', 'sysctl kernel/hostname=b', 'mount 21 1 0:20 / /proc rw - proc proc rw', 'mount 30 21 0:40 / /mnt rw - tmpfs x rw',
    'link 1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
    'link 2: v0@v1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/ether 0a:0b:0c:0d:0e:0f brd ff:ff:ff:ff:ff:ff',
    'addr 2: v0    inet 10.0.0.1/24 scope global v0\\       valid_lft forever preferred_lft forever', ''].join('\n');
  const { before, after } = parseNsStates(out);
  t.deepEqual(diffNs(before!, after!), [
    "sysctl kernel/hostname: 'a' -> 'b'",
    'mount new: 0:40 / /mnt rw - tmpfs x rw', // /proc got a new mount ID only: the same mount
    'network link new: v0@v1 <BROADCAST,MULTICAST,M-DOWN> DOWN ether 0a:0b:0c:0d:0e:0f',
    'address new: v0 inet 10.0.0.1/24',
  ]);
  t.deepEqual(diffNs(before!, before!), []);
  t.deepEqual(parseNsStates('@@ before\nsysctl a=b\n').after, undefined, 'a file whose namespaces ended early');
});

test('cgroup hierarchies: each with its mount and our own cgroup there', (t) => {
  for (const h of hierarchies()) {
    t.true(existsSync(dirOf(h, h.own)!), `${h.key}: ${dirOf(h, h.own)}`);
    t.regex(h.key, /^(cgroup2|[\w=,]+)$/);
  }
});

/** Where this file may make cgroups: those the harness gave it, or (run without the harness) its own, removed after. */
let own: RunCgroups | undefined;
let bases: string[] | undefined;
function cgroupBases(): string[] {
  const given: Record<string, string> = JSON.parse(process.env.TSYSCALL_CGROUPS || '{}');
  if (Object.keys(given).length) return Object.values(given);
  own ??= new RunCgroups().create();
  return (bases ??= Object.values(own.fileCgroups(0).dirs));
}
test.after.always(() => { own?.remove(); });

/** A fresh cgroup for one test in each place we may make them. */
function scratch(name: string): string[] {
  return cgroupBases().map((b) => { const d = join(b, name); mkdirSync(d); return d; });
}

/** Run the harness on fixture files; its exit code and output. */
function harness(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'harness', 'run.ts'), '--jobs', '1', ...args], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => resolve({ code, out }));
  });
}

traced.serial(`a test's leaks are caught: a cgroup (below its own cgroup or anywhere else), a mount, a link, a hostname${why}`, async (t) => {
  const places = scratch('leaks');
  try {
    const { code, out } = await harness([join(FIXTURES, 'leaks.test.ts')], { TSYSCALL_FIXTURE_OUTSIDE: places[0] });
    t.log(out.split('\n').filter((l) => /changed|leak|harness:/.test(l)).join('\n'));
    t.is(code, 1);
    t.regex(out, /^FAIL test\/fixtures\/harness\/leaks\.test\.ts: 5 passed, 0 failed, 0 skipped$/m);
    t.regex(out, /changed: cgroup left behind: \S.*\/leak-inside$/m);
    t.regex(out, new RegExp(`leaks\\.test\\.ts: cgroup made outside the harness's cgroup: ${places[0]}/leak-outside by pid \\d+ \\(`));
    t.regex(out, new RegExp(`left behind \\(the harness removed it\\): ${places[0]}/leak-outside$`, 'm'));
    t.regex(out, /changed: mount new: .* - tmpfs leaked-tmpfs /);
    t.regex(out, /changed: network link new: tsyleak0/);
    t.regex(out, /changed: sysctl kernel\/hostname: '.*' -> 'leaked-by-a-test'/);
    t.regex(out, /^\d+ passed, [1-9]\d* failed/m);
    // and nothing is left: the harness removed its cgroups and the leaked ones
    t.false(existsSync(join(places[0], 'leak-outside')));
    for (const b of cgroupBases()) t.deepEqual(readdirSync(b).filter((n) => n.startsWith('tsyscall-harness-')), [], b);
  } finally {
    for (const p of places) removeCgroup(p);
  }
});

/**
 * An unrelated process beside the harness: makes and removes cgroups in a loop in each of `dirs`, and once the
 * fixture says it runs, removes `old` and makes `new` there (a change that outlasts the run).
 */
function churner(dirs: string[], signals: string) {
  for (const d of dirs) mkdirSync(join(d, 'old'));
  const script = `n=0; done=
    while [ ! -e "$S/stop" ]; do
      for d in "$@"; do mkdir "$d/churn" && rmdir "$d/churn"; done
      if [ -z "$done" ] && [ -e "$S/started" ]; then
        for d in "$@"; do rmdir "$d/old"; mkdir "$d/new"; done; touch "$S/churned"; done=1
      fi
      n=$((n + 1)); sleep 0.01
    done
    echo $n`;
  const child = spawn('sh', ['-c', script, 'sh', ...dirs], { env: { ...process.env, S: signals }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const done = new Promise<number>((resolve) => child.on('close', () => resolve(Number(out.trim()))));
  return { stop: () => { writeFileSync(join(signals, 'stop'), ''); return done; } };
}

for (const trace of [true, false]) {
  const title = trace
    ? 'cgroups an unrelated process makes and removes during the run are not blamed on the tests'
    : 'without tracing, the same run is blamed for them (the control: the unrelated process does change cgroups)';
  traced.serial(`${title}${why}`, async (t) => {
    const dirs = scratch(trace ? 'churn-traced' : 'churn-untraced');
    const signals = mkdtempSync(join(tmpdir(), 'tsyscall-harness-test-'));
    const churn = churner(dirs, signals);
    try {
      const { code, out } = await harness([...(trace ? [] : ['--no-trace']), join(FIXTURES, 'clean.test.ts')], { TSYSCALL_FIXTURE_SIGNALS: signals });
      const rounds = await churn.stop();
      t.log(`the unrelated process made and removed cgroups ${rounds} times in each of ${dirs.length} hierarchies`);
      t.true(rounds > 0);
      t.true(existsSync(join(signals, 'churned')));
      t.regex(out, /^ok +test\/fixtures\/harness\/clean\.test\.ts: 2 passed, 0 failed, 0 skipped$/m, out);
      if (trace) {
        t.is(code, 0, out);
        t.regex(out, /^Host state unchanged .*cgroups traced/m);
        t.regex(out, /^2 passed, 0 failed, 0 skipped$/m);
      } else {
        t.is(code, 1, out);
        t.regex(out, new RegExp(`^ {2}cgroup gone: ${dirs[0]}/old$`, 'm'));
        t.regex(out, new RegExp(`^ {2}cgroup new: ${dirs[0]}/new$`, 'm'));
      }
    } finally {
      await churn.stop();
      for (const d of dirs) removeCgroup(d);
      rmSync(signals, { recursive: true, force: true });
    }
  });
}
