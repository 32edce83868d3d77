// The harness's cgroups: a cgroup of its own below the one it runs in, in every hierarchy mounted here (cgroup v1
// controllers, named v1 hierarchies, cgroup2), and below it one per test file, which the file's processes run in and
// the file's tests make their cgroups in. A file's cgroups are compared only below its own: what is left there after
// the file is a leak; a cgroup made or removed anywhere else is found by the tracer (trace.ts), not by comparing trees
// that other processes of the machine change at any time.
//
// Nested below the harness's own cgroup, not at a hierarchy's root: the run stays inside the limits (memory, pids) of
// whoever started it, and the machine's cgroups are left alone but for a child that is removed after the run.
import { readFileSync, readdirSync, readlinkSync, mkdirSync, rmdirSync, writeFileSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** One cgroup hierarchy, as mounted here. */
export interface Hierarchy {
  /** Its ID: the first field of /proc/self/cgroup and the root= of trace events (0 for cgroup2). */
  id: number;
  /** What names it: 'memory', 'cpu,cpuacct', 'name=systemd', or 'cgroup2'. */
  key: string;
  /** Where it is mounted here. */
  mount: string;
  /** Which cgroup that mount shows at its top (a path in the hierarchy; '/' unless a container mounted a subtree). */
  root: string;
  /** This process's cgroup, as a path in the hierarchy. */
  own: string;
}

const read = (p: string) => { try { return readFileSync(p, 'utf8'); } catch { return ''; } };

/** mountinfo's octal escapes (\040 for a space). */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));

/** The cgroup hierarchies this process sees mounted, each with its own cgroup there. */
export function hierarchies(pid: number | 'self' = 'self'): Hierarchy[] {
  const mounts = read(`/proc/${pid}/mountinfo`).split('\n').filter(Boolean).map((l) => {
    const [pre, post] = l.split(' - ');
    const f = pre.split(' ');
    const [fstype, , superOpts] = post.split(' ');
    return { root: unescape(f[3]), mount: unescape(f[4]), fstype, opts: new Set(superOpts.split(',')) };
  }).filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2');
  const out: Hierarchy[] = [];
  for (const line of read(`/proc/${pid}/cgroup`).split('\n').filter(Boolean)) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const id = Number(m[1]);
    const key = m[2] || 'cgroup2';
    const own = m[3];
    const within = (root: string) => root === '/' || own === root || own.startsWith(`${root}/`);
    const mount = mounts.find((x) => (key === 'cgroup2' ? x.fstype === 'cgroup2' : x.fstype === 'cgroup' && key.split(',').every((c) => x.opts.has(c))) && within(x.root));
    if (mount) out.push({ id, key, mount: mount.mount, root: mount.root, own });
  }
  return out;
}

/** The directory of cgroup `path` (a path in hierarchy `h`), or undefined when this mount does not show it. */
export function dirOf(h: Hierarchy, path: string): string | undefined {
  if (h.root === '/') return join(h.mount, path);
  if (path === h.root) return h.mount;
  return path.startsWith(`${h.root}/`) ? join(h.mount, path.slice(h.root.length)) : undefined;
}

/** Whether cgroup path `p` is `top` or below it. */
export const isBelow = (p: string, top: string) => p === top || p.startsWith(top === '/' ? '/' : `${top}/`);

/** Every cgroup below `dir` (not `dir` itself), parents before their children. */
export function cgroupsBelow(dir: string): string[] {
  const out: string[] = [];
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return out; /* gone meanwhile */ }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const p = join(dir, e.name);
    out.push(p, ...cgroupsBelow(p));
  }
  return out;
}

/** The processes in cgroup `dir` (by their pids in this pid namespace; 0 for those it does not show). */
export const procsOf = (dir: string): number[] => read(join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);

const writable = (dir: string) => { try { accessSync(dir, constants.W_OK); return true; } catch { return false; } };

/**
 * mkdir a cgroup. A v1 cpuset starts with no CPUs and no memory nodes (no task could join it): give it its parent's.
 * A v1 cpu cgroup (with real-time group scheduling) starts with no real-time runtime, so that SCHED_FIFO/RR is refused
 * inside it (EPERM) where it works outside: give it a quarter of its parent's (children's runtimes may not add up to
 * more than the parent's; if the kernel refuses, real-time tests skip with their reason).
 * Returns the error, or ''.
 */
function makeCgroup(dir: string): string {
  try {
    mkdirSync(dir);
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (read(join(dir, f)).trim() === '' && read(join(dir, '..', f)).trim() !== '') writeFileSync(join(dir, f), read(join(dir, '..', f)).trim());
    }
    const rt = Number(read(join(dir, '..', 'cpu.rt_runtime_us')).trim());
    if (rt > 0 && Number(read(join(dir, 'cpu.rt_runtime_us')).trim()) === 0) {
      try { writeFileSync(join(dir, 'cpu.rt_runtime_us'), String(Math.floor(rt / 4))); } catch { /* no runtime to give */ }
    }
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Sleep synchronously (the harness only waits here between files, for the kernel to let go of a cgroup). */
const nap = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Remove cgroup `dir` and everything below it, children first; processes still inside are killed first (they are
 * what a test left running). rmdir fails with EBUSY for a moment after the last process left: retried for `ms`.
 * Returns what could not be removed.
 */
export function removeCgroup(dir: string, ms = 3000): string[] {
  const failed: string[] = [];
  for (const d of [...cgroupsBelow(dir).reverse(), dir]) {
    const until = Date.now() + ms;
    for (;;) {
      for (const pid of procsOf(d)) { try { if (pid > 0) process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      try { rmdirSync(d); break; } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (Date.now() > until) { failed.push(`${d} (${code})`); break; }
        nap(20);
      }
    }
  }
  return failed;
}

/** A test file's cgroups: one per hierarchy, below the harness's. */
export interface FileCgroups {
  /** hierarchy key -> directory, for the tests (TSYSCALL_CGROUPS). */
  dirs: Record<string, string>;
  /** The cgroup.procs files the file's first process writes itself into. */
  procs: string[];
}

/** Our pid namespace, by its inode number: pids name processes only within it. */
const PID_NS = (() => { try { return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))![1]; } catch { return '0'; } })();

/** The harness's cgroups for one run: `<own cgroup>/tsyscall-harness-<pid ns>-<pid>-<time>/<file number>` everywhere. */
export class RunCgroups {
  readonly name: string;
  readonly hierarchies: Hierarchy[];
  /** The harness's cgroup, as a path in each hierarchy where it could be made. */
  readonly paths = new Map<Hierarchy, string>();
  /** Why it could not be made in the others. */
  readonly problems: string[] = [];
  private files = new Map<number, FileCgroups>();

  constructor(hs = hierarchies()) {
    this.hierarchies = hs;
    this.name = `tsyscall-harness-${PID_NS}-${process.pid}-${Date.now().toString(36)}`;
  }

  /**
   * Remove what harness runs that died without cleaning up (SIGKILL) left in our own cgroups: only those of our pid
   * namespace (the name says which) whose pid is gone, and only empty ones. Another harness, in another container
   * sharing the hierarchy, has a pid we cannot see: its cgroups are not ours to judge.
   */
  static removeStale(hs = hierarchies()): void {
    for (const h of hs) {
      const own = dirOf(h, h.own);
      if (!own) continue;
      let names: string[] = [];
      try { names = readdirSync(own); } catch { continue; }
      for (const n of names) {
        const m = /^tsyscall-harness-(\d+)-(\d+)-/.exec(n);
        if (!m || m[1] !== PID_NS || Number(m[2]) === process.pid || read(`/proc/${m[2]}/stat`)) continue;
        const dir = join(own, n);
        if ([dir, ...cgroupsBelow(dir)].some((d) => procsOf(d).length)) continue;
        removeCgroup(dir, 200);
      }
    }
  }

  /** Make the harness's cgroup in every hierarchy where we may. */
  create(): this {
    for (const h of this.hierarchies) {
      const own = dirOf(h, h.own);
      if (!own) { this.problems.push(`${h.key}: this mount does not show our own cgroup ${h.own}`); continue; }
      if (!writable(own)) continue; // not ours to write: an unprivileged run, without delegation
      const err = makeCgroup(join(own, this.name));
      if (err) this.problems.push(`${h.key}: ${err}`);
      else this.paths.set(h, join(h.own, this.name));
    }
    return this;
  }

  /** The directory of the harness's cgroup in `h`. */
  dir(h: Hierarchy): string | undefined {
    const p = this.paths.get(h);
    return p === undefined ? undefined : dirOf(h, p);
  }

  /** Whether cgroup path `path` of hierarchy `id` is the harness's or below it. */
  contains(id: number, path: string): boolean {
    for (const [h, p] of this.paths) if (h.id === id && isBelow(path, p)) return true;
    return false;
  }

  /** Make file `n`'s cgroups. */
  fileCgroups(n: number): FileCgroups {
    const fc: FileCgroups = { dirs: {}, procs: [] };
    for (const h of this.paths.keys()) {
      const dir = join(this.dir(h)!, String(n));
      const err = makeCgroup(dir);
      if (err) throw new Error(`harness: cannot make the cgroup of test file ${n} in ${h.key}: ${err}`);
      fc.dirs[h.key] = dir;
      fc.procs.push(join(dir, 'cgroup.procs'));
    }
    this.files.set(n, fc);
    return fc;
  }

  /**
   * After file `n`: what it left in its cgroups (processes still running, cgroups below them), then remove them.
   * Returns the leaks, as lines for the report.
   */
  finishFile(n: number): string[] {
    const fc = this.files.get(n);
    if (!fc) return [];
    this.files.delete(n);
    const out: string[] = [];
    for (const dir of Object.values(fc.dirs)) {
      // the last processes may still be exiting: give them a moment before calling them left behind
      const until = Date.now() + 3000;
      let procs = procsOf(dir);
      while (procs.length && Date.now() < until) { nap(50); procs = procsOf(dir); }
      for (const pid of procs) out.push(`process left running: ${pid} (${read(`/proc/${pid}/comm`).trim() || '?'}) in ${dir}`);
      for (const d of cgroupsBelow(dir)) out.push(`cgroup left behind: ${d}`);
      for (const f of removeCgroup(dir)) out.push(`cannot remove the file's cgroup ${f}`);
    }
    return out;
  }

  /** At the end of the run: anything left in the harness's cgroups (not in a file's), then remove them. */
  remove(): string[] {
    const out: string[] = [];
    for (const n of [...this.files.keys()]) out.push(...this.finishFile(n));
    for (const h of this.paths.keys()) {
      const dir = this.dir(h)!;
      for (const d of cgroupsBelow(dir)) out.push(`cgroup left behind: ${d}`);
      for (const f of removeCgroup(dir)) out.push(`cannot remove the harness's cgroup ${f}`);
    }
    this.paths.clear();
    return out;
  }
}

/**
 * For a run that cannot trace (not root, or no tracefs): the cgroups a process of ours could have made or removed,
 * compared before and after. Not root: only those whose parent we may write (the kernel refuses a mkdir elsewhere).
 * Root: all of them, but the harness's own cgroups.
 */
export function cgroupSnapshot(hs: Hierarchy[], run: RunCgroups | undefined, root: boolean): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const h of hs) {
    if (seen.has(h.mount)) continue;
    seen.add(h.mount);
    const skip = run?.dir(h);
    const walk = (dir: string) => {
      let entries;
      try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
      const mayWrite = root || writable(dir);
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const p = join(dir, e.name);
        if (p === skip) continue;
        if (mayWrite) out.push(p);
        walk(p);
      }
    };
    walk(h.mount);
  }
  return out.sort();
}
