// Who changed a cgroup: the harness's tracer. Other processes of the machine make and remove cgroups at any time, so
// comparing cgroup trees before and after a run blames the tests for them; and a test running as root can make a
// cgroup anywhere, in any hierarchy, even one it mounts itself, so comparing only below the harness's cgroup would
// miss it. The kernel knows who did it: ftrace's cgroup events (cgroup_mkdir, cgroup_rmdir, cgroup_rename,
// cgroup_attach_task, cgroup_transfer_tasks, cgroup_setup_root, cgroup_destroy_root, cgroup_remount) in a tracing
// instance of the harness's own, filtered to the harness and every task it forks from then on (set_event_pid with the
// event-fork option: the kernel adds each child at fork, so a process that daemonizes, changes its pid namespace or
// moves to another cgroup stays traced, and processes that are not the run's are never recorded). sched_process_fork
// in the same instance gives each task's parent, which names the test file a change came from.
//
// So: a cgroup made, removed, renamed or joined outside the harness's cgroup by any process of the run is blamed, with
// the file it came from; one made by anyone else is not seen at all. Below the harness's cgroup, the per-file
// comparison (cgroups.ts) finds what a file left behind. When the kernel cannot trace (no tracefs, not root, events
// lost), run.ts falls back to comparing trees and says so.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(fileURLToPath(import.meta.url), '..', 'cgroup-trace.sh');

/** One traced event: a cgroup change by task `pid` (in the initial pid namespace). */
export interface CgroupEvent {
  event: string;
  pid: number;
  comm: string;
  /** The hierarchy ID (root= or dst_root=). */
  root: number;
  /** The cgroup, as a path in its hierarchy (for setup_root and destroy_root: the hierarchy's name). */
  path: string;
  /** cgroup_attach_task and cgroup_transfer_tasks: the task moved. */
  moved?: { pid: number; comm: string };
}

/** One line of ftrace's text output: task, pid, event and its fields. */
const LINE = /^\s*(.*)-(\d+)\s+\[\d+\]\s+\S+\s+[\d.]+: (\w+): (.*)$/;

/** Parse a cgroup event's fields (null for other lines). Exported for the harness's own tests. */
export function parseEvent(line: string): CgroupEvent | null {
  const m = LINE.exec(line);
  if (!m || !m[3].startsWith('cgroup_')) return null;
  const [, comm, pid, event, f] = m;
  const base = { event, pid: Number(pid), comm: comm.trim() };
  let x: RegExpExecArray | null;
  if ((x = /^dst_root=(\d+) dst_id=\d+ dst_level=\d+ dst_path=(.*) pid=(\d+) comm=(.*)$/.exec(f))) {
    return { ...base, root: Number(x[1]), path: x[2], moved: { pid: Number(x[3]), comm: x[4] } };
  }
  if ((x = /^root=(\d+) id=\d+ level=\d+ path=(.*)$/.exec(f))) return { ...base, root: Number(x[1]), path: x[2] };
  if ((x = /^root=(\d+) ss_mask=\S+ name=(.*)$/.exec(f))) return { ...base, root: Number(x[1]), path: x[2] };
  return { ...base, root: -1, path: f };
}

export class CgroupTracer {
  /** The harness's pid as ftrace knows it (in the initial pid namespace). */
  readonly pid: number;
  readonly events: CgroupEvent[] = [];
  /** task -> the task that forked it (initial pid namespace), as the trace has shown so far. */
  readonly parents = new Map<number, number>();
  /** Events the kernel dropped ("CPU:N [LOST M EVENTS]"): then the trace cannot vouch for anything. */
  lost = 0;
  private syncs = new Map<string, (seen: boolean) => void>();
  private nsync = 0;
  /** Called for each event as it is read (run.ts uses it to note which task joined which file's cgroup). */
  onEvent?: (e: CgroupEvent) => void;

  /** The tracer exited before stop(): what it would have read since is unknown. */
  dead = false;

  private constructor(private child: ChildProcess, private marker: string, pid: number) {
    this.pid = pid;
    child.on('close', () => { this.dead = true; for (const done of this.syncs.values()) done(false); this.syncs.clear(); });
  }

  /** Start tracing the harness (this process) and all it forks; the reason when the kernel cannot. */
  static async start(): Promise<CgroupTracer | string> {
    const name = `tsyscall-harness-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', SCRIPT, name], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    let buf = '';
    let tracer: CgroupTracer | undefined;
    let marker = '';
    return new Promise((resolve) => {
      const fail = (why: string) => { child.stdin!.end(); resolve(why); };
      child.on('error', (e) => fail(`cannot run unshare: ${e.message}`));
      child.on('close', (code) => {
        if (!tracer) fail(`the tracer exited (${code})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
      });
      child.stdout!.on('data', (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (tracer) { tracer.line(line); continue; }
          let m;
          if ((m = /^unavailable: (.*)$/.exec(line))) fail(m[1]);
          else if ((m = /^marker (.*)$/.exec(line))) {
            marker = join(`/proc/${child.pid}/root`, m[1]);
            try { writeFileSync(marker, `tsyscall-harness ${name}`); } catch (e) { fail(`cannot write the trace marker: ${(e as Error).message}`); }
          } else if ((m = /^ready (\d+)$/.exec(line))) {
            tracer = new CgroupTracer(child, marker, Number(m[1]));
            resolve(tracer);
          }
        }
      });
    });
  }

  private line(line: string) {
    const lost = /^CPU:\d+ \[LOST (\d+) EVENTS\]/.exec(line);
    if (lost) { this.lost += Number(lost[1]); return; }
    const s = /tracing_mark_write: tsyscall-sync (\d+)$/.exec(line);
    if (s) { this.syncs.get(s[1])?.(true); this.syncs.delete(s[1]); return; }
    const m = LINE.exec(line);
    if (m?.[3] === 'sched_process_fork') {
      const child = /child_pid=(\d+)$/.exec(m[4]);
      if (child) this.parents.set(Number(child[1]), Number(m[2]));
      return;
    }
    const e = parseEvent(line);
    if (e) { this.events.push(e); this.onEvent?.(e); }
  }

  /** Resolves once every event before this call has been read: a marker written now comes back after them. */
  sync(timeoutMs = 10000): Promise<boolean> {
    const id = String(++this.nsync);
    return new Promise((resolve) => {
      if (this.dead) { resolve(false); return; }
      const timer = setTimeout(() => { this.syncs.delete(id); resolve(false); }, timeoutMs);
      this.syncs.set(id, (seen) => { clearTimeout(timer); resolve(seen); });
      try { writeFileSync(this.marker, `tsyscall-sync ${id}`); } catch { clearTimeout(timer); resolve(false); }
    });
  }

  /** The chain of tasks from `pid` up to the harness (or as far as the trace knows), `pid` first. */
  ancestry(pid: number): number[] {
    const out = [pid];
    const seen = new Set(out);
    for (let p = this.parents.get(pid); p !== undefined && !seen.has(p); p = this.parents.get(p)) {
      out.push(p);
      seen.add(p);
    }
    return out;
  }

  /** Stop tracing and remove the instance. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.dead || this.child.exitCode !== null) { resolve(); return; }
      this.child.on('close', () => resolve());
      this.child.stdin!.end();
    });
  }
}
