// A snapshot of the host state tests must not change, and the difference between two snapshots.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
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
