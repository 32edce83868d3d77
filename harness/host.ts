// The state tests must not change, and the difference between two snapshots:
//
// - nsState(): what lives in namespaces (hostname, domainname, mounts, network links and addresses, per-namespace
//   sysctls). run.ts takes it inside the namespaces each test file runs in (NS_WRAP, before and after the file), or,
//   when the tests run in the harness's own namespaces, in those, before and after the run. Nothing else on the machine
//   changes a test file's fresh namespaces, so a difference there is the file's doing.
// - globalState(): what no namespace isolates (CLOCK_REALTIME, the kernel's global sysctls): compared before and
//   after the run, machine-wide.
// - cgroups: cgroups.ts and trace.ts.
//
// hostState() and diffStates() are the older whole-host snapshot (qemu/suite.ts uses them).
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface HostState {
  hostname: string;
  domainname: string;
  mounts: string[];
  links: string[];
  /** CLOCK_REALTIME minus CLOCK_MONOTONIC, in ms: it moves only when someone sets the clock. */
  clockOffsetMs: number;
  cgroups: string[];
  sysctls: Record<string, string>;
}

const read = (p: string) => { try { return readFileSync(p, 'utf8').trim(); } catch { return '<unreadable>'; } };

function cgroupDirs(dir: string, depth = 0): string[] {
  if (depth > 3 || !existsSync(dir)) return [];
  let out: string[] = [];
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) out = out.concat([join(dir, e.name)], cgroupDirs(join(dir, e.name), depth + 1));
    }
  } catch { /* gone meanwhile */ }
  return out;
}

const SYSCTLS = ['kernel/hostname', 'kernel/domainname', 'net/ipv4/ip_forward', 'kernel/pid_max', 'fs/file-max',
  'kernel/core_pattern', 'net/core/somaxconn', 'vm/overcommit_memory', 'kernel/randomize_va_space', 'kernel/printk'];

export function hostState(): HostState {
  const mono = process.hrtime.bigint();
  return {
    hostname: read('/proc/sys/kernel/hostname'),
    domainname: read('/proc/sys/kernel/domainname'),
    // the init mount namespace's table, with mount IDs (they change when anything is remounted)
    mounts: read('/proc/1/mountinfo').split('\n').map((l) => l.split(' ').slice(0, 10).join(' ')).sort(),
    links: readdirSync('/sys/class/net').sort().map((l) => `${l} ${read(`/sys/class/net/${l}/operstate`)} ${read(`/sys/class/net/${l}/address`)}`),
    clockOffsetMs: Date.now() - Number(mono / 1000000n),
    cgroups: cgroupDirs('/sys/fs/cgroup').sort(),
    sysctls: Object.fromEntries(SYSCTLS.map((s) => [s, read(`/proc/sys/${s}`)])),
  };
}

export function diffStates(a: HostState, b: HostState): string[] {
  const out: string[] = [];
  if (a.hostname !== b.hostname) out.push(`hostname: '${a.hostname}' -> '${b.hostname}'`);
  if (a.domainname !== b.domainname) out.push(`domainname: '${a.domainname}' -> '${b.domainname}'`);
  const setDiff = (what: string, x: string[], y: string[]) => {
    const xs = new Set(x);
    const ys = new Set(y);
    for (const v of x) if (!ys.has(v)) out.push(`${what} gone: ${v}`);
    for (const v of y) if (!xs.has(v)) out.push(`${what} new: ${v}`);
  };
  setDiff('mount', a.mounts, b.mounts);
  setDiff('network link', a.links, b.links);
  setDiff('cgroup', a.cgroups, b.cgroups);
  // NTP slews by milliseconds; a set jumps
  if (Math.abs(a.clockOffsetMs - b.clockOffsetMs) > 2000) out.push(`the clock jumped by ${b.clockOffsetMs - a.clockOffsetMs} ms`);
  for (const k of Object.keys(a.sysctls)) if (a.sysctls[k] !== b.sysctls[k]) out.push(`sysctl ${k}: '${a.sysctls[k]}' -> '${b.sysctls[k]}'`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Namespaces

/** Sysctls that belong to a namespace (UTS, network; pid_max to the pid namespace since Linux 6.14). */
const NS_SYSCTLS = ['kernel/hostname', 'kernel/domainname', 'kernel/pid_max', 'net/ipv4/ip_forward', 'net/core/somaxconn',
  'net/ipv4/ip_local_port_range', 'net/ipv4/ping_group_range', 'net/ipv6/conf/all/forwarding'];

/**
 * A shell function, `state`, that prints the state of the namespaces it runs in, a line each: "sysctl k=v",
 * "mount <mountinfo line>", "link <ip -o link line>", "addr <ip -o addr line>" (from /proc/self/net/dev when there
 * is no ip(8)). Plain sh, so that it costs nothing inside each file's namespaces.
 */
export const NS_STATE_FN = `state() {
  for s in ${NS_SYSCTLS.join(' ')}; do printf 'sysctl %s=%s\\n' "$s" "$(tr '\\t' ' ' < /proc/sys/$s 2>/dev/null)"; done
  sed 's/^/mount /' /proc/self/mountinfo
  if command -v ip >/dev/null; then
    ip -o link show | sed 's/^/link /'
    ip -o addr show | sed 's/^/addr /'
  else
    sed -n '3,$s/^ *\\([^:]*\\):.*/link \\1/p' /proc/self/net/dev
  fi
}`;

/**
 * sh -c NS_WRAP sh CMD...: runs CMD (without fd 3), with the state of its namespaces before and after written to fd 3
 * ("@@ before", "@@ after" and state's lines). It stays the parent of CMD: as pid 1 of a fresh pid namespace it reaps
 * orphans, and the namespaces live until it has looked at them.
 */
export const NS_WRAP = `${NS_STATE_FN}
{ echo '@@ before'; state; } >&3
"$@" 3>&-
rc=$?
{ echo '@@ after'; state; } >&3
exit $rc`;

export interface NsState {
  sysctls: Record<string, string>;
  /** mountinfo lines without the mount and parent IDs (a test that unmounts and mounts the same again restored it). */
  mounts: string[];
  /** name, flags, operational state, link type and address. */
  links: string[];
  /** device, family, address/prefix (lifetimes left out: they count down). */
  addrs: string[];
}

function parseNsLines(lines: string[]): NsState {
  const st: NsState = { sysctls: {}, mounts: [], links: [], addrs: [] };
  for (const line of lines) {
    const sp = line.indexOf(' ');
    const kind = line.slice(0, sp);
    const v = line.slice(sp + 1);
    if (kind === 'sysctl') {
      const eq = v.indexOf('=');
      st.sysctls[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (kind === 'mount') {
      st.mounts.push(v.split(' ').slice(2).join(' '));
    } else if (kind === 'link') {
      const m = /^\d+: ([^:]+): <([^>]*)>.*? state (\S+).*?link\/(\S+)(?: (\S+))?/.exec(v);
      st.links.push(m ? `${m[1]} <${m[2]}> ${m[3]} ${m[4]}${m[5] && m[4] !== 'none' ? ` ${m[5]}` : ''}` : v.trim());
    } else if (kind === 'addr') {
      const m = /^\d+: (\S+)\s+(inet6?) (\S+)/.exec(v);
      if (m) st.addrs.push(`${m[1]} ${m[2]} ${m[3]}`);
    }
  }
  for (const k of ['mounts', 'links', 'addrs'] as const) st[k].sort();
  return st;
}

/** The "@@ before" and "@@ after" states NS_WRAP wrote (undefined for one it did not get to write). */
export function parseNsStates(out: string): { before?: NsState; after?: NsState } {
  const res: { before?: NsState; after?: NsState } = {};
  for (const part of out.split(/^@@ /m).slice(1)) {
    const [head, ...lines] = part.split('\n');
    if (head === 'before' || head === 'after') res[head] = parseNsLines(lines.filter(Boolean));
  }
  return res;
}

/** The state of this process's own namespaces. */
export function nsState(): NsState {
  const r = spawnSync('sh', ['-c', `${NS_STATE_FN}\nstate`], { encoding: 'utf8' });
  return parseNsLines(r.stdout.split('\n').filter(Boolean));
}

/** The differences between two states of the same namespaces, a line each. */
export function diffNs(a: NsState, b: NsState): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a.sysctls), ...Object.keys(b.sysctls)])) {
    if (a.sysctls[k] !== b.sysctls[k]) out.push(`sysctl ${k}: '${a.sysctls[k] ?? ''}' -> '${b.sysctls[k] ?? ''}'`);
  }
  out.push(...setDiff('mount', a.mounts, b.mounts), ...setDiff('network link', a.links, b.links),
    ...setDiff('address', a.addrs, b.addrs));
  return out;
}

function setDiff(what: string, x: string[], y: string[]): string[] {
  const xs = new Set(x);
  const ys = new Set(y);
  return [...x.filter((v) => !ys.has(v)).map((v) => `${what} gone: ${v}`), ...y.filter((v) => !xs.has(v)).map((v) => `${what} new: ${v}`)];
}

// ---------------------------------------------------------------------------------------------------------------------
// What no namespace isolates

/** Sysctls that are the kernel's, whatever namespace reads them. */
const GLOBAL_SYSCTLS = ['fs/file-max', 'kernel/core_pattern', 'vm/overcommit_memory', 'kernel/randomize_va_space',
  'kernel/printk', 'kernel/modules_disabled', 'kernel/kptr_restrict'];

export interface GlobalState {
  /** CLOCK_REALTIME minus CLOCK_MONOTONIC, in ms: it moves only when someone sets the clock. */
  clockOffsetMs: number;
  sysctls: Record<string, string>;
}

export function globalState(): GlobalState {
  const mono = process.hrtime.bigint();
  return { clockOffsetMs: Date.now() - Number(mono / 1000000n), sysctls: Object.fromEntries(GLOBAL_SYSCTLS.map((s) => [s, read(`/proc/sys/${s}`)])) };
}

export function diffGlobal(a: GlobalState, b: GlobalState): string[] {
  const out: string[] = [];
  // NTP slews by milliseconds; a set jumps
  if (Math.abs(a.clockOffsetMs - b.clockOffsetMs) > 2000) out.push(`the clock jumped by ${b.clockOffsetMs - a.clockOffsetMs} ms`);
  for (const k of Object.keys(a.sysctls)) if (a.sysctls[k] !== b.sysctls[k]) out.push(`sysctl ${k}: '${a.sysctls[k]}' -> '${b.sysctls[k]}'`);
  return out;
}
