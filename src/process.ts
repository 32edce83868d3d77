// Processes and identity: ids, credentials, sessions and process groups, resource limits, priorities, scheduling,
// resource usage, system information, randomness, waiting for children, signals to processes, pidfds.
//
// Credentials are per thread. These functions make the raw syscalls, so setuid() and friends change the credentials of
// the calling thread only (the kernel's semantics): glibc's setuid(3) broadcasts the change to every thread, this
// library does not. In Node the calling thread is the main JS thread; the libuv pool threads (fs.promises, dns.lookup,
// crypto) keep the credentials they had. Children spawned afterwards (child_process forks the main thread) inherit the
// new credentials. To drop privileges for good, do it in a child process before it runs untrusted work.
import { readFileSync } from 'node:fs';
import { abi, raw } from './core/abi.ts';
import { check } from './core/errors.ts';
import { Fd, fdNum, retryFd, addFdMethods, type FdLike, type FdMethods } from './core/fd.ts';
import { flags, constant, type Flags } from './core/flags.ts';
import { max, bufferFrom, allocUnsafe, alloc, int, int64, isInt, describe, isBytes, copyBytes, path as checkPath, pathText, region, lengthOf, type Bytes } from './core/args.ts';
import { structArg } from './core/view.ts';
import type { PathLike } from './fs/index.ts';
import * as sys from './core/arch.ts';
import * as words from './core/words.ts';

const { SIG, W, P, CLD, RLIM } = abi;

// ---------------------------------------------------------------------------------------------------------- helpers

const pidArg = (v: unknown, name = 'pid'): number => int(v, name, -(2 ** 31), 2 ** 31 - 1);
const U32 = 2 ** 32 - 1;

/** A uid or gid; with `keep`, -1, null or undefined mean "leave unchanged" (passed on as -1). */
function xid(v: unknown, name: string, keep = false): number {
  if (keep && (v === undefined || v === null || v === -1)) return -1;
  return int(v, name, 0, U32);
}

/** A signal: a number (0 to SIG.RTMAX), a name ('term', 'SIGTERM', 'kill'), or 'rtmin+N' / 'rtmax-N'. */
function sig(s: unknown, name = 'signal'): number {
  if (typeof s === 'string') {
    const m = /^(?:sig)?rt(min|max)\s*([+-]\s*\d+)?$/i.exec(s.trim());
    const v = m ? (m[1].toLowerCase() === 'min' ? SIG.RTMIN : SIG.RTMAX) + Number((m[2] ?? '0').replace(/\s/g, '')) : constant(SIG, 'SIG', 'SIG', s);
    return int(v, name, 0, SIG.RTMAX);
  }
  if (typeof s === 'number') return int(s, name, 0, SIG.RTMAX);
  throw new TypeError(`${name} must be a signal name or number, got ${describe(s)}`);
}

/** The kernel's view of a struct object, checked to be of class `cls` and to fit its buffer. */
const view = (v: unknown, cls: { size: number; name: string; prototype: object }, name: string): Uint8Array => structArg(v, cls, name);

/** A NUL-terminated char array as a string. */
const cstr = (b: Buffer): string => {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString();
};

// ---------------------------------------------------------------------------------------------------------- ids

/**
 * The process id.
 *
 * @example
 * ```ts
 * getpid() === process.pid;
 * ```
 * @see https://man7.org/linux/man-pages/man2/getpid.2.html
 */
export function getpid(): number {
  return raw.getpid();
}

/**
 * The parent's process id.
 *
 * @example
 * ```ts
 * getppid() === process.ppid;
 * ```
 * @see https://man7.org/linux/man-pages/man2/getppid.2.html
 */
export function getppid(): number {
  return raw.getppid();
}

/**
 * The calling thread's id (equal to getpid() on the main thread).
 *
 * @example
 * ```ts
 * gettid(); // 4242
 * ```
 * @see https://man7.org/linux/man-pages/man2/gettid.2.html
 */
export function gettid(): number {
  return raw.gettid();
}

/**
 * The real user id.
 *
 * @example
 * ```ts
 * getuid(); // 0
 * ```
 * @see https://man7.org/linux/man-pages/man2/getuid.2.html
 */
export function getuid(): number {
  return sys.ids.getuid();
}

/**
 * The effective user id.
 *
 * @example
 * ```ts
 * geteuid(); // 0
 * ```
 * @see https://man7.org/linux/man-pages/man2/geteuid.2.html
 */
export function geteuid(): number {
  return sys.ids.geteuid();
}

/**
 * The real group id.
 *
 * @example
 * ```ts
 * getgid(); // 0
 * ```
 * @see https://man7.org/linux/man-pages/man2/getgid.2.html
 */
export function getgid(): number {
  return sys.ids.getgid();
}

/**
 * The effective group id.
 *
 * @example
 * ```ts
 * getegid(); // 0
 * ```
 * @see https://man7.org/linux/man-pages/man2/getegid.2.html
 */
export function getegid(): number {
  return sys.ids.getegid();
}

/**
 * Set the user id (all three when privileged).
 *
 * Per thread: only the calling thread's credentials change (the kernel's semantics; glibc's wrapper changes
 * every thread's).
 *
 * @example
 * ```ts
 * setuid(1000);
 * ```
 * @see https://man7.org/linux/man-pages/man2/setuid.2.html
 */
export function setuid(uid: number): void {
  check(sys.ids.setuid(xid(uid, 'uid')), 'setuid');
}

/**
 * Set the group id (all three when privileged).
 *
 * Per thread: only the calling thread's credentials change (the kernel's semantics; glibc's wrapper changes
 * every thread's).
 *
 * @example
 * ```ts
 * setgid(1000);
 * ```
 * @see https://man7.org/linux/man-pages/man2/setgid.2.html
 */
export function setgid(gid: number): void {
  check(sys.ids.setgid(xid(gid, 'gid')), 'setgid');
}

/**
 * Set the real and effective user ids; -1 (or null) keeps one.
 *
 * Per thread: only the calling thread's credentials change.
 *
 * @example
 * ```ts
 * setreuid(-1, 1000);
 * ```
 * @see https://man7.org/linux/man-pages/man2/setreuid.2.html
 */
export function setreuid(ruid: number | null, euid: number | null): void {
  check(sys.ids.setreuid(xid(ruid, 'ruid', true), xid(euid, 'euid', true)), 'setreuid');
}

/**
 * Set the real and effective group ids; -1 (or null) keeps one.
 *
 * Per thread: only the calling thread's credentials change.
 *
 * @example
 * ```ts
 * setregid(-1, 1000);
 * ```
 * @see https://man7.org/linux/man-pages/man2/setregid.2.html
 */
export function setregid(rgid: number | null, egid: number | null): void {
  check(sys.ids.setregid(xid(rgid, 'rgid', true), xid(egid, 'egid', true)), 'setregid');
}

/**
 * Set the real, effective and saved user ids; -1 (or null) keeps one.
 *
 * Per thread: only the calling thread's credentials change.
 *
 * @example
 * ```ts
 * setresuid(1000, 1000, -1);
 * ```
 * @see https://man7.org/linux/man-pages/man2/setresuid.2.html
 */
export function setresuid(ruid: number | null, euid: number | null, suid: number | null): void {
  check(sys.ids.setresuid(xid(ruid, 'ruid', true), xid(euid, 'euid', true), xid(suid, 'suid', true)), 'setresuid');
}

/**
 * Set the real, effective and saved group ids; -1 (or null) keeps one.
 *
 * Per thread: only the calling thread's credentials change.
 *
 * @example
 * ```ts
 * setresgid(1000, 1000, -1);
 * ```
 * @see https://man7.org/linux/man-pages/man2/setresgid.2.html
 */
export function setresgid(rgid: number | null, egid: number | null, sgid: number | null): void {
  check(sys.ids.setresgid(xid(rgid, 'rgid', true), xid(egid, 'egid', true), xid(sgid, 'sgid', true)), 'setresgid');
}

function getres(fn: (a: Uint32Array, b: Uint32Array, c: Uint32Array) => number, syscall: string): [number, number, number] {
  const ids = new Uint32Array(3);
  check(fn(ids.subarray(0, 1), ids.subarray(1, 2), ids.subarray(2, 3)), syscall);
  return [ids[0], ids[1], ids[2]];
}

/**
 * The real, effective and saved user ids.
 *
 * @example
 * ```ts
 * getresuid(); // { ruid: 0, euid: 0, suid: 0 }
 * ```
 * @see https://man7.org/linux/man-pages/man2/getresuid.2.html
 */
export function getresuid(): { ruid: number; euid: number; suid: number } {
  const [ruid, euid, suid] = getres(sys.ids.getresuid, 'getresuid');
  return { ruid, euid, suid };
}

/**
 * The real, effective and saved group ids.
 *
 * @example
 * ```ts
 * getresgid(); // { rgid: 0, egid: 0, sgid: 0 }
 * ```
 * @see https://man7.org/linux/man-pages/man2/getresgid.2.html
 */
export function getresgid(): { rgid: number; egid: number; sgid: number } {
  const [rgid, egid, sgid] = getres(sys.ids.getresgid, 'getresgid');
  return { rgid, egid, sgid };
}

/**
 * Set the filesystem user id (used for file access checks) and return the previous one.
 *
 * The kernel reports no error: when the change is not permitted the id stays; setfsuid(-1) changes nothing and returns
 * the current one. Per thread.
 *
 * @example
 * ```ts
 * setfsuid(65534); // 0
 * setfsuid(-1); // 65534
 * ```
 * @see https://man7.org/linux/man-pages/man2/setfsuid.2.html
 */
export function setfsuid(uid: number): number {
  return sys.ids.setfsuid(xid(uid, 'uid', true));
}

/**
 * Set the filesystem group id and return the previous one (no error reported, as setfsuid; -1 reads it).
 *
 * @example
 * ```ts
 * setfsgid(65534); // 0
 * ```
 * @see https://man7.org/linux/man-pages/man2/setfsgid.2.html
 */
export function setfsgid(gid: number): number {
  return sys.ids.setfsgid(xid(gid, 'gid', true));
}

/**
 * The supplementary group ids.
 *
 * @example
 * ```ts
 * getgroups(); // [0, 1, 2]
 * ```
 * @see https://man7.org/linux/man-pages/man2/getgroups.2.html
 */
export function getgroups(): number[] {
  for (;;) {
    const n = check(sys.ids.getgroups(0, null), 'getgroups');
    if (n === 0) return [];
    const list = new Uint32Array(n);
    const r = sys.ids.getgroups(n, list);
    if (r === -abi.E.INVAL) continue; // the list grew in between
    return [...list.subarray(0, check(r, 'getgroups'))];
  }
}

/**
 * Set the supplementary group ids (at most LIMITS.NGROUPS_MAX).
 *
 * Per thread: only the calling thread's credentials change.
 *
 * @example
 * ```ts
 * setgroups([100, 101]);
 * ```
 * @see https://man7.org/linux/man-pages/man2/setgroups.2.html
 */
export function setgroups(gids: Iterable<number>): void {
  if (gids === null || typeof gids !== 'object' || !(Symbol.iterator in gids)) throw new TypeError(`gids must be an array of group ids, got ${describe(gids)}`);
  const list = [...gids].map((g, i) => xid(g, `gids[${i}]`));
  if (list.length > abi.LIMITS.NGROUPS_MAX) throw new RangeError(`gids: at most ${abi.LIMITS.NGROUPS_MAX} groups, got ${list.length}`);
  const arr = list.length ? Uint32Array.from(list) : null;
  // the count the kernel reads is the array's real one
  check(sys.ids.setgroups(arr ? lengthOf(arr) / 4 : 0, arr), 'setgroups');
}

// ---------------------------------------------------------------------------------------------------------- sessions

/**
 * Start a new session (and process group) led by the caller; returns its id.
 *
 * @example
 * ```ts
 * setsid() === getpid();
 * ```
 * @see https://man7.org/linux/man-pages/man2/setsid.2.html
 */
export function setsid(): number {
  return check(raw.setsid(), 'setsid');
}

/**
 * Move process `pid` (0: the caller) into process group `pgid` (0: its own pid).
 *
 * @example
 * ```ts
 * setpgid(0, 0);
 * ```
 * @see https://man7.org/linux/man-pages/man2/setpgid.2.html
 */
export function setpgid(pid = 0, pgid = 0): void {
  check(raw.setpgid(pidArg(pid), pidArg(pgid, 'pgid')), 'setpgid');
}

/**
 * The process group of `pid` (0: the caller).
 *
 * @example
 * ```ts
 * getpgid(0); // 4242
 * ```
 * @see https://man7.org/linux/man-pages/man2/getpgid.2.html
 */
export function getpgid(pid = 0): number {
  return check(raw.getpgid(pidArg(pid)), 'getpgid');
}

/**
 * The session of `pid` (0: the caller).
 *
 * @example
 * ```ts
 * getsid(0); // 4200
 * ```
 * @see https://man7.org/linux/man-pages/man2/getsid.2.html
 */
export function getsid(pid = 0): number {
  return check(raw.getsid(pidArg(pid)), 'getsid');
}

// ---------------------------------------------------------------------------------------------------------- limits

/** A limit value: a bigint, or Infinity for RLIM_INFINITY. */
export type RlimValue = bigint | number;
/** A resource limit: soft (`cur`) and hard (`max`); Infinity is RLIM_INFINITY. */
export interface Rlimit {
  cur: RlimValue;
  max: RlimValue;
}
/** What a limit argument accepts: bigint, non-negative integer, Infinity or 'infinity'. */
export type RlimInput = bigint | number | 'infinity';
/** A resource: a name ('nofile', 'RLIMIT_CORE') or a number (RLIMIT.NOFILE). */
export type Resource = string | number;

// prlimit64's struct rlimit64 on every arch: RLIM64_INFINITY (RLIM_INFINITY is an unsigned long's, 32 bits on 32-bit arches)
const INF = BigInt(RLIM['64_INFINITY']);
const resource = (r: unknown): number => int(constant(abi.RLIMIT, 'RLIMIT', 'RLIMIT_', r as Resource), 'resource', 0, U32);

function rlimIn(v: unknown, name: string): bigint {
  if (v === Infinity || (typeof v === 'string' && /^(rlim_)?infinity$/i.test(v.trim()))) return INF;
  if (typeof v === 'bigint') {
    if (v < 0n || v > INF) throw new RangeError(`${name} out of range: ${v}`);
    return v;
  }
  if (isInt(v) && v >= 0) return BigInt(v);
  throw new TypeError(`${name} must be a non-negative integer, a bigint, Infinity or 'infinity', got ${describe(v)}`);
}
const rlimOut = (v: bigint): RlimValue => (v === INF ? Infinity : v);

/**
 * Get, and with `limit` set, a resource limit of process `pid` (0: the caller); returns the limit before the call.
 *
 * A partial limit ({ cur }) keeps the other value (read first, so not atomic with the change).
 *
 * @example
 * ```ts
 * prlimit(pid, 'nofile', { cur: 256n }); // { cur: 1024n, max: 4096n }
 * ```
 * @see https://man7.org/linux/man-pages/man2/prlimit.2.html
 */
export function prlimit(pid: number, res: Resource, limit?: Partial<Record<'cur' | 'max', RlimInput>>): Rlimit {
  const p = pidArg(pid);
  const r = resource(res);
  const old = alloc(16);
  let next: Buffer | null = null;
  if (limit !== undefined) {
    if (limit === null || typeof limit !== 'object') throw new TypeError(`limit must be an object { cur, max }, got ${describe(limit)}`);
    let cur = limit.cur === undefined ? undefined : rlimIn(limit.cur, 'limit.cur');
    let max = limit.max === undefined ? undefined : rlimIn(limit.max, 'limit.max');
    if (cur === undefined || max === undefined) {
      check(raw.prlimit64(p, r, null, old), 'prlimit64');
      cur ??= words.readU64(old, 0);
      max ??= words.readU64(old, 8);
    }
    next = alloc(16);
    words.writeU64(next, cur, 0);
    words.writeU64(next, max, 8);
  }
  check(raw.prlimit64(p, r, next, old), 'prlimit64');
  return { cur: rlimOut(words.readU64(old, 0)), max: rlimOut(words.readU64(old, 8)) };
}

/**
 * The caller's limit of a resource.
 *
 * It calls prlimit64 for the calling process (pid 0).
 *
 * @example
 * ```ts
 * getrlimit('nofile'); // { cur: 1024n, max: 524288n }
 * ```
 * @see https://man7.org/linux/man-pages/man2/getrlimit.2.html
 */
export function getrlimit(res: Resource): Rlimit {
  return prlimit(0, res);
}

/**
 * Set the caller's limit of a resource; a partial limit keeps the other value.
 *
 * It calls prlimit64 for the calling process (pid 0).
 *
 * @example
 * ```ts
 * setrlimit('core', { cur: 0n });
 * ```
 * @see https://man7.org/linux/man-pages/man2/setrlimit.2.html
 */
export function setrlimit(res: Resource, limit: Partial<Record<'cur' | 'max', RlimInput>>): void {
  if (limit === undefined) throw new TypeError('limit must be an object { cur, max }, got undefined');
  prlimit(0, res, limit);
}

// ---------------------------------------------------------------------------------------------------------- priority

/** getpriority/setpriority `which`: 'process', 'pgrp', 'user' or PRIO.* */
export type PrioWhich = 'process' | 'pgrp' | 'user' | string | number;
const which = (w: unknown) => int(constant(abi.PRIO, 'PRIO', 'PRIO_', w as string | number), 'which', 0, 2);

/**
 * The nice value (-20..19) of a process, process group or user (0: the caller's).
 *
 * @example
 * ```ts
 * getpriority('process', pid); // 10
 * ```
 * @see https://man7.org/linux/man-pages/man2/getpriority.2.html
 */
export function getpriority(w: PrioWhich = 'process', who = 0): number {
  // the kernel returns 20 - nice, to keep the result positive
  return 20 - check(raw.getpriority(which(w), int(who, 'who', 0, U32)), 'getpriority');
}

/**
 * Set the nice value of a process, process group or user (0: the caller's).
 *
 * @example
 * ```ts
 * setpriority('process', pid, 10);
 * ```
 * @see https://man7.org/linux/man-pages/man2/setpriority.2.html
 */
export function setpriority(w: PrioWhich, who: number, nice: number): void {
  check(raw.setpriority(which(w), int(who, 'who', 0, U32), int(nice, 'nice', -(2 ** 31), 2 ** 31 - 1)), 'setpriority');
}

// ---------------------------------------------------------------------------------------------------------- scheduling

/** A set of CPU numbers: a Set<number> or an array. */
export type CpuSet = Iterable<number>;
/** The largest CPU mask handled, in bytes (65536 CPUs; the kernel's NR_CPUS is at most 8192). */
const MAX_MASK = 8192;

/**
 * The CPUs process (thread) `pid` may run on (0: the calling thread).
 *
 * The mask grows until it holds the kernel's.
 *
 * @example
 * ```ts
 * sched_getaffinity(0); // Set { 0, 1 }
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_getaffinity.2.html
 */
export function sched_getaffinity(pid = 0): Set<number> {
  const p = pidArg(pid);
  for (let size = 128; ; size *= 2) {
    const mask = alloc(size);
    const r = raw.sched_getaffinity(p, size, mask);
    if (r === -abi.E.INVAL && size < MAX_MASK) continue;
    const n = check(r, 'sched_getaffinity');
    const cpus = new Set<number>();
    // the mask is an array of unsigned longs: CPU c is bit c % 64 (or 32) of word c / 64, in the arch's byte order
    for (let c = 0; c < n * 8; c++) {
      const [byte, bit] = words.cpuBit(c);
      if (mask[byte] & (1 << bit)) cpus.add(c);
    }
    return cpus;
  }
}

/**
 * Restrict process (thread) `pid` (0: the calling thread) to a set of CPUs.
 *
 * The mask is `size` bytes (a multiple of 8; by default the smallest that holds the largest CPU, at least 128); every
 * CPU must be below 8 * size.
 *
 * @example
 * ```ts
 * sched_setaffinity(pid, [0]);
 * sched_setaffinity(0, new Set([0, 1]));
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_setaffinity.2.html
 */
export function sched_setaffinity(pid: number, cpus: CpuSet, size?: number): void {
  const p = pidArg(pid);
  if (cpus === null || typeof cpus !== 'object' || !(Symbol.iterator in cpus)) throw new TypeError(`cpus must be a Set or an array of CPU numbers, got ${describe(cpus)}`);
  const list = [...cpus].map((c, i) => int(c, `cpus[${i}]`, 0, 8 * MAX_MASK - 1));
  let len: number;
  if (size === undefined) len = max(128, Math.ceil((list.reduce((a, c) => max(a, c), -1) + 1) / 64) * 8);
  else {
    len = int(size, 'size', 8, MAX_MASK);
    if (len % 8) throw new RangeError(`size must be a multiple of 8 bytes: ${len}`);
    for (const c of list) if (c >= 8 * len) throw new RangeError(`cpu ${c} does not fit in a mask of ${len} bytes`);
  }
  const mask = alloc(len);
  for (const c of list) {
    const [byte, bit] = words.cpuBit(c);
    mask[byte] |= 1 << bit;
  }
  check(raw.sched_setaffinity(p, len, mask), 'sched_setaffinity');
}

/** A policy: 'normal' (alias 'other'), 'fifo', 'rr', 'batch', 'idle', 'deadline', optionally '|reset_on_fork', or SCHED.* */
export type Policy = Flags;
const policy = (v: unknown): number =>
  flags(abi.SCHED, 'SCHED', 'SCHED_', (typeof v === 'string' ? v.replace(/\b(sched_)?other\b/gi, 'normal') : v) as Flags);

/**
 * The scheduling policy of `pid` (0: the calling thread): SCHED.*, with SCHED.RESET_ON_FORK set if it is.
 *
 * @example
 * ```ts
 * sched_getscheduler(0) === abi.SCHED.NORMAL;
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_getscheduler.2.html
 */
export function sched_getscheduler(pid = 0): number {
  return check(raw.sched_getscheduler(pidArg(pid)), 'sched_getscheduler');
}

/**
 * Set the policy and static priority of `pid` (0: the calling thread).
 *
 * @example
 * ```ts
 * sched_setscheduler(pid, 'fifo', 10);
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_setscheduler.2.html
 */
export function sched_setscheduler(pid: number, pol: Policy, priority = 0): void {
  const param = alloc(4);
  words.writeI32(param, int(priority, 'priority', 0, 2 ** 31 - 1));
  check(raw.sched_setscheduler(pidArg(pid), policy(pol), param), 'sched_setscheduler');
}

/**
 * The static (real-time) priority of `pid` (0 for the normal policies).
 *
 * @example
 * ```ts
 * sched_getparam(pid); // 10
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_getparam.2.html
 */
export function sched_getparam(pid = 0): number {
  const param = new abi.SchedParam();
  check(raw.sched_getparam(pidArg(pid), view(param, abi.SchedParam, 'param')), 'sched_getparam');
  return param.sched_priority;
}

/**
 * Set the static priority of `pid` within its policy.
 *
 * @example
 * ```ts
 * sched_setparam(pid, 20);
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_setparam.2.html
 */
export function sched_setparam(pid: number, priority: number): void {
  const param = new abi.SchedParam();
  param.sched_priority = int(priority, 'priority', 0, 2 ** 31 - 1);
  check(raw.sched_setparam(pidArg(pid), view(param, abi.SchedParam, 'param')), 'sched_setparam');
}

/**
 * The lowest static priority of a policy.
 *
 * @example
 * ```ts
 * sched_get_priority_min('fifo'); // 1
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_get_priority_min.2.html
 */
export function sched_get_priority_min(pol: Policy): number {
  return check(raw.sched_get_priority_min(policy(pol)), 'sched_get_priority_min');
}

/**
 * The highest static priority of a policy.
 *
 * @example
 * ```ts
 * sched_get_priority_max('fifo'); // 99
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_get_priority_max.2.html
 */
export function sched_get_priority_max(pol: Policy): number {
  return check(raw.sched_get_priority_max(policy(pol)), 'sched_get_priority_max');
}

/**
 * Give up the CPU to another runnable thread of the same priority, if any.
 *
 * @example
 * ```ts
 * sched_yield();
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_yield.2.html
 */
export function sched_yield(): void {
  check(raw.sched_yield(), 'sched_yield');
}

/** Scheduling attributes (struct sched_attr): times in nanoseconds, for SCHED_DEADLINE. */
export interface SchedAttributes {
  policy: number;
  /** SCHED.FLAG_* */
  flags: number;
  nice: number;
  priority: number;
  runtime: bigint;
  deadline: bigint;
  period: bigint;
  utilMin: number;
  utilMax: number;
}

/**
 * The scheduling attributes of `pid` (0: the calling thread).
 *
 * @example
 * ```ts
 * sched_getattr(0); // { policy: 0, nice: 0, ... }
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_getattr.2.html
 */
export function sched_getattr(pid = 0): SchedAttributes {
  const a = new abi.SchedAttr();
  check(raw.sched_getattr(pidArg(pid), view(a, abi.SchedAttr, 'a'), abi.SchedAttr.size, 0), 'sched_getattr');
  return {
    policy: a.sched_policy, flags: Number(a.sched_flags), nice: a.sched_nice, priority: a.sched_priority,
    runtime: a.sched_runtime, deadline: a.sched_deadline, period: a.sched_period,
    utilMin: a.sched_util_min, utilMax: a.sched_util_max,
  };
}

/**
 * Set the scheduling attributes of `pid` (0: the calling thread); omitted fields are 0. `flags` are SCHED.FLAG_* names
 * ('flag_reset_on_fork') or numbers.
 *
 * @example
 * ```ts
 * sched_setattr(pid, { policy: 'batch', nice: 5 });
 * sched_setattr(pid, { policy: 'deadline', runtime: 10_000_000n, deadline: 30_000_000n, period: 30_000_000n });
 * ```
 * @see https://man7.org/linux/man-pages/man2/sched_setattr.2.html
 */
export function sched_setattr(pid: number, attr: Partial<Omit<SchedAttributes, 'policy' | 'flags' | 'runtime' | 'deadline' | 'period'>> & {
  policy: Policy; flags?: Flags; runtime?: bigint | number; deadline?: bigint | number; period?: bigint | number;
}): void {
  const p = pidArg(pid);
  if (attr === null || typeof attr !== 'object') throw new TypeError(`attr must be an object, got ${describe(attr)}`);
  const a = new abi.SchedAttr();
  const u64 = (v: unknown, name: string) => (v === undefined ? 0n : BigInt(int64(v, name, true)));
  a.size = abi.SchedAttr.size;
  a.sched_policy = policy(attr.policy);
  a.sched_flags = BigInt(flags(abi.SCHED, 'SCHED', 'SCHED_', attr.flags ?? 0));
  a.sched_nice = int(attr.nice ?? 0, 'nice', -20, 19);
  a.sched_priority = int(attr.priority ?? 0, 'priority', 0, U32);
  a.sched_runtime = u64(attr.runtime, 'runtime');
  a.sched_deadline = u64(attr.deadline, 'deadline');
  a.sched_period = u64(attr.period, 'period');
  a.sched_util_min = int(attr.utilMin ?? 0, 'utilMin', 0, U32);
  a.sched_util_max = int(attr.utilMax ?? 0, 'utilMax', 0, U32);
  check(raw.sched_setattr(p, view(a, abi.SchedAttr, 'a'), 0), 'sched_setattr');
}

// ---------------------------------------------------------------------------------------------------------- usage

// tv_usec is a long, or an int where __kernel_suseconds_t is one (sparc64)
const seconds = (tv: { tv_sec: bigint; tv_usec: bigint | number }) => Number(tv.tv_sec) + Number(tv.tv_usec) / 1e6;

/**
 * Resource usage (struct rusage) with friendly getters: times in seconds, counters as numbers, maxrss in KiB.
 *
 * Extends the generated `abi.Rusage`, and keeps its name.
 *
 * @example
 * ```ts
 * const ru = getrusage('self');
 * ru.utime; // user CPU seconds
 * ru.maxrss; // KiB
 * ```
 * @see https://man7.org/linux/man-pages/man2/getrusage.2.html
 */
export class Rusage extends abi.Rusage {
  /** User CPU time, seconds. */
  get utime(): number { return seconds(this.ru_utime); }
  /** System CPU time, seconds. */
  get stime(): number { return seconds(this.ru_stime); }
  /** Largest resident set size, KiB. */
  get maxrss(): number { return Number(this.ru_maxrss); }
  /** Page faults served without I/O. */
  get minflt(): number { return Number(this.ru_minflt); }
  /** Page faults that needed I/O. */
  get majflt(): number { return Number(this.ru_majflt); }
  /** Blocks read from and written to file systems (512-byte units). */
  get inblock(): number { return Number(this.ru_inblock); }
  get oublock(): number { return Number(this.ru_oublock); }
  /** Voluntary and involuntary context switches. */
  get nvcsw(): number { return Number(this.ru_nvcsw); }
  get nivcsw(): number { return Number(this.ru_nivcsw); }
  /** Unused by Linux (always 0), kept for completeness. */
  get nsignals(): number { return Number(this.ru_nsignals); }
}

/** getrusage `who`: 'self', 'children' (waited-for descendants), 'thread', or RUSAGE.* */
export type RusageWho = 'self' | 'children' | 'thread' | string | number;

/**
 * Resource usage of the caller, its waited-for children or the calling thread.
 *
 * @example
 * ```ts
 * getrusage('self').maxrss; // 51200
 * ```
 * @see https://man7.org/linux/man-pages/man2/getrusage.2.html
 */
export function getrusage(who: RusageWho = 'self', ru: Rusage = new Rusage()): Rusage {
  const w = int(constant(abi.RUSAGE, 'RUSAGE', 'RUSAGE_', who), 'who', -2, 1);
  check(raw.getrusage(w, view(ru, abi.Rusage, 'ru')), 'getrusage');
  return ru;
}

/** Process times in seconds: user and system CPU of the caller and of its waited-for children. */
export interface Times {
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  /** Seconds since an arbitrary point in the past (the return value of times(2)): subtract two of them. */
  elapsed: number;
}

let clockTicks: number | undefined;
/**
 * Clock ticks per second (AT_CLKTCK from the auxiliary vector; 100 on Linux x86_64).
 *
 * @example
 * ```ts
 * times().utime * clkTck(); // the user CPU time in ticks, as /proc/<pid>/stat counts it
 * ```
 * @see https://man7.org/linux/man-pages/man3/getauxval.3.html
 */
export function clkTck(): number {
  if (clockTicks === undefined) {
    const [hz] = words.auxv(readFileSync('/proc/self/auxv'), 17); // AT_CLKTCK
    clockTicks = hz ? Number(hz) : 100;
  }
  return clockTicks;
}

/**
 * CPU times of the caller and its waited-for children, in seconds.
 *
 * @example
 * ```ts
 * times(); // { utime: 0.41, stime: 0.05, ... }
 * ```
 * @see https://man7.org/linux/man-pages/man2/times.2.html
 */
export function times(): Times {
  const t = new abi.Tms();
  const r = check(sys.unsignedResult(raw.times(view(t, abi.Tms, 't'))), 'times');
  const hz = clkTck();
  return {
    utime: Number(t.tms_utime) / hz, stime: Number(t.tms_stime) / hz,
    cutime: Number(t.tms_cutime) / hz, cstime: Number(t.tms_cstime) / hz, elapsed: r / hz,
  };
}

// ---------------------------------------------------------------------------------------------------------- system

/** The kernel's names (struct new_utsname). */
export interface Uname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

/**
 * The kernel's names: system, node (host), release, version, machine and domain.
 *
 * @example
 * ```ts
 * uname(); // { sysname: 'Linux', nodename: 'vm', release: '6.18.0', machine: 'x86_64', ... }
 * ```
 * @see https://man7.org/linux/man-pages/man2/uname.2.html
 */
export function uname(): Uname {
  const u = new abi.Utsname();
  check(raw.uname(view(u, abi.Utsname, 'u')), 'uname');
  return {
    sysname: cstr(u.sysname), nodename: cstr(u.nodename), release: cstr(u.release),
    version: cstr(u.version), machine: cstr(u.machine), domainname: cstr(u.domainname),
  };
}

/** System statistics (struct sysinfo): memory in bytes (already multiplied by mem_unit). */
export interface SysInfo {
  /** Seconds since boot. */
  uptime: number;
  /** Load averages over 1, 5 and 15 minutes. */
  loads: [number, number, number];
  totalram: number;
  freeram: number;
  sharedram: number;
  bufferram: number;
  totalswap: number;
  freeswap: number;
  totalhigh: number;
  freehigh: number;
  /** Number of processes (threads). */
  procs: number;
  memUnit: number;
}

/**
 * System statistics: uptime, load averages, memory and swap in bytes, the number of processes.
 *
 * @example
 * ```ts
 * sysinfo(); // { uptime: 5231, loads: [0.1, 0.05, 0.01], totalram: 25275863040, ... }
 * ```
 * @see https://man7.org/linux/man-pages/man2/sysinfo.2.html
 */
export function sysinfo(): SysInfo {
  const s = new abi.Sysinfo();
  check(raw.sysinfo(view(s, abi.Sysinfo, 's')), 'sysinfo');
  const unit = s.mem_unit || 1;
  const bytes = (v: bigint) => Number(v) * unit;
  const [a, b, c] = s.loads.map((l) => Number(l) / 65536);
  return {
    uptime: Number(s.uptime), loads: [a, b, c],
    totalram: bytes(s.totalram), freeram: bytes(s.freeram), sharedram: bytes(s.sharedram), bufferram: bytes(s.bufferram),
    totalswap: bytes(s.totalswap), freeswap: bytes(s.freeswap), totalhigh: bytes(s.totalhigh), freehigh: bytes(s.freehigh),
    procs: s.procs, memUnit: unit,
  };
}

function utsName(name: unknown, syscall: string): Buffer {
  if (typeof name === 'string') return bufferFrom(name);
  // the kernel reads the bytes: a copy the caller cannot change or lie about
  if (isBytes(name)) return copyBytes(name);
  throw new TypeError(`${syscall}: name must be a string or a Buffer, got ${describe(name)}`);
}

/**
 * Set the host name of the UTS namespace (at most 64 bytes; needs CAP_SYS_ADMIN).
 *
 * @example
 * ```ts
 * sethostname('box');
 * ```
 * @see https://man7.org/linux/man-pages/man2/sethostname.2.html
 */
export function sethostname(name: string | Buffer): void {
  const b = utsName(name, 'sethostname');
  check(raw.sethostname(b, lengthOf(b)), 'sethostname');
}

/**
 * Set the NIS domain name of the UTS namespace (at most 64 bytes).
 *
 * @example
 * ```ts
 * setdomainname('example');
 * ```
 * @see https://man7.org/linux/man-pages/man2/setdomainname.2.html
 */
export function setdomainname(name: string | Buffer): void {
  const b = utsName(name, 'setdomainname');
  check(raw.setdomainname(b, lengthOf(b)), 'setdomainname');
}

const grnd = (f: Flags) => flags(abi.GRND, 'GRND', 'GRND_', f);

/**
 * Random bytes from the kernel: fill `buf` and return the count, or return a fresh Buffer of `length` bytes.
 *
 * Blocks until the pool is initialised unless 'nonblock' (then EAGAIN). GRND flags: 'nonblock', 'random', 'insecure'.
 *
 * @example
 * ```ts
 * getrandom(16); // <Buffer 9f 02 ...>
 * getrandom(buf, 'nonblock'); // 16
 * ```
 * @see https://man7.org/linux/man-pages/man2/getrandom.2.html
 */
export function getrandom(buf: Bytes, how?: Flags): number;
export function getrandom(length: number, how?: Flags): Buffer;
export function getrandom(a: Bytes | number, how: Flags = 0): number | Buffer {
  const f = grnd(how);
  if (typeof a === 'number') {
    const out = allocUnsafe(int(a, 'length', 0, 2 ** 31 - 1));
    // one call returns at most 32 MiB - 1: fill the whole buffer
    for (let done = 0; done < out.length;) {
      const rest = out.subarray(done);
      done += check(raw.getrandom(rest, rest.length, f), 'getrandom');
    }
    return out;
  }
  const r = region(a, 'buf');
  return check(raw.getrandom(r, lengthOf(r), f), 'getrandom');
}

// ---------------------------------------------------------------------------------------------------------- waiting

/** What a wait returned, decoded. `signal` is the terminating signal, or the stop signal when stopped. */
export interface WaitStatus {
  pid: number;
  /** wait4: the raw status word; waitid: si_status. */
  status: number;
  exited: boolean;
  /** The exit code when exited, else null. */
  code: number | null;
  signaled: boolean;
  signal: number | null;
  /** Killed with a core dump. */
  core: boolean;
  stopped: boolean;
  continued: boolean;
  /** waitid: the child's real user id and si_code (CLD.*). */
  uid?: number;
  siCode?: number;
  /** The child's resource usage, when a Rusage was passed. */
  rusage?: Rusage;
}

function decodeWait(pid: number, s: number): WaitStatus {
  const r: WaitStatus = { pid, status: s, exited: false, code: null, signaled: false, signal: null, core: false, stopped: false, continued: false };
  if (s === 0xffff) {
    r.continued = true;
    r.signal = SIG.CONT;
  } else if ((s & 0x7f) === 0) {
    r.exited = true;
    r.code = (s >> 8) & 0xff;
  } else if ((s & 0xff) === 0x7f) {
    r.stopped = true;
    r.signal = (s >> 8) & 0xff;
  } else {
    r.signaled = true;
    r.signal = s & 0x7f;
    r.core = (s & 0x80) !== 0;
  }
  return r;
}

const wopts = (o: Flags) => flags(W, 'W', 'W', o);

/**
 * Wait for a child to change state: `pid` > 0 that child, -1 any child, 0 any in the caller's process group, < -1 any
 * in group -pid.
 *
 * Options: 'nohang' (return null when none has changed), 'untraced' (report stops), 'continued', 'all', 'clone'. Pass a
 * Rusage to get the child's usage in `rusage`. Without 'nohang' it blocks the thread (synchronously) until a child
 * changes state. Note: it reaps children Node's child_process spawned too, which then never emit 'exit'.
 *
 * @example
 * ```ts
 * wait4(pid); // { pid, exited: true, code: 0, signaled: false, signal: null, ... }
 * ```
 * @see https://man7.org/linux/man-pages/man2/wait4.2.html
 */
export function wait4(pid = -1, options: Flags = 0, ru?: Rusage): WaitStatus | null {
  const p = pidArg(pid);
  const o = wopts(options);
  const rb = ru === undefined ? null : view(ru, abi.Rusage, 'ru');
  const status = new Int32Array(1);
  let r: number;
  do r = raw.wait4(p, status, o, rb);
  while (r === -abi.E.INTR);
  if (check(r, 'wait4') === 0) return null;
  const w = decodeWait(r, status[0]);
  if (ru) w.rusage = ru;
  return w;
}

/** waitid `idtype`: 'all', 'pid', 'pgid', 'pidfd' or P.* */
export type IdType = 'all' | 'pid' | 'pgid' | 'pidfd' | string | number;

/**
 * Wait for a child to change state, chosen by `idtype` and `id` (a pid, a process group, or a pidfd as Fd or number).
 *
 * Options (W names): 'exited' (the default), 'stopped', 'continued', 'nohang' (null when none has changed), 'nowait'
 * (leave the child waitable: peek at its state without reaping it). Without 'nohang' it blocks the thread
 * (synchronously).
 *
 * @example
 * ```ts
 * waitid('pid', pid, 'exited'); // { pid, exited: true, code: 7, uid: 0, siCode: CLD.EXITED, ... }
 * ```
 * @see https://man7.org/linux/man-pages/man2/waitid.2.html
 */
export function waitid(idtype: IdType, id: number | Fd = 0, options: Flags = 'exited', ru?: Rusage): WaitStatus | null {
  const t = int(constant(P, 'P', 'P_', idtype as string | number), 'idtype', 0, U32);
  const i = id instanceof Fd ? fdNum(id, 'waitid') : int(id, 'id', -(2 ** 31), U32);
  const o = wopts(options);
  const rb = ru === undefined ? null : view(ru, abi.Rusage, 'ru');
  const info = new abi.Siginfo();
  let r: number;
  do r = raw.waitid(t, i, view(info, abi.Siginfo, 'info'), o, rb);
  while (r === -abi.E.INTR);
  check(r, 'waitid');
  const kid = info._sifields._sigchld;
  if (kid._pid === 0) return null; // WNOHANG and no child has changed
  const code = info.si_code;
  const st = kid._status;
  const w: WaitStatus = {
    pid: kid._pid, status: st, exited: code === CLD.EXITED, code: code === CLD.EXITED ? st : null,
    signaled: code === CLD.KILLED || code === CLD.DUMPED, signal: code === CLD.EXITED ? null : st,
    core: code === CLD.DUMPED, stopped: code === CLD.STOPPED || code === CLD.TRAPPED, continued: code === CLD.CONTINUED,
    uid: kid._uid, siCode: code,
  };
  if (ru) w.rusage = ru;
  return w;
}

// ---------------------------------------------------------------------------------------------------------- signals

/** A signal: a name ('term', 'SIGKILL', 'rtmin+1') or a number (SIG.TERM; 0 checks that the target exists). */
export type Signal = string | number;

/**
 * Send a signal to a process (pid > 0), the caller's group (0), every process (-1) or group -pid.
 *
 * @example
 * ```ts
 * kill(pid, 'term');
 * ```
 * @see https://man7.org/linux/man-pages/man2/kill.2.html
 */
export function kill(pid: number, signal: Signal = 'term'): void {
  check(raw.kill(pidArg(pid), sig(signal)), 'kill');
}

/**
 * Send a signal to thread `tid` of thread group `tgid`.
 *
 * @example
 * ```ts
 * tgkill(getpid(), gettid(), 'usr1');
 * ```
 * @see https://man7.org/linux/man-pages/man2/tgkill.2.html
 */
export function tgkill(tgid: number, tid: number, signal: Signal): void {
  check(raw.tgkill(pidArg(tgid, 'tgid'), pidArg(tid, 'tid'), sig(signal)), 'tgkill');
}

/**
 * Open a descriptor that refers to a process ('nonblock', 'thread' flags).
 *
 * @example
 * ```ts
 * using pidfd = pidfd_open(pid);
 * ```
 * @see https://man7.org/linux/man-pages/man2/pidfd_open.2.html
 */
export function pidfd_open(pid: number, how: Flags = 0): Fd {
  const p = pidArg(pid);
  const f = flags(abi.PIDFD, 'PIDFD', 'PIDFD_', how);
  return new Fd(check(retryFd(() => raw.pidfd_open(p, f)), 'pidfd_open'));
}

/**
 * Send a signal to the process a pidfd refers to (never to a recycled pid).
 *
 * Flags: 'signal_thread', 'signal_thread_group', 'signal_process_group'.
 *
 * @example
 * ```ts
 * pidfd_send_signal(pidfd, 'term');
 * pidfd.pidfd_send_signal('kill');
 * ```
 * @see https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html
 */
export function pidfd_send_signal(pidfd: FdLike, signal: Signal = 'term', how: Flags = 0): void {
  const n = fdNum(pidfd, 'pidfd_send_signal');
  check(raw.pidfd_send_signal(n, sig(signal), null, flags(abi.PIDFD, 'PIDFD', 'PIDFD_', how)), 'pidfd_send_signal');
}

/**
 * Copy descriptor `targetfd` of the process a pidfd refers to into this process (needs ptrace access).
 *
 * @example
 * ```ts
 * pidfd_getfd(pidfd, 3);
 * ```
 * @see https://man7.org/linux/man-pages/man2/pidfd_getfd.2.html
 */
export function pidfd_getfd(pidfd: FdLike, targetfd: number, how = 0): Fd {
  const n = fdNum(pidfd, 'pidfd_getfd');
  const target = int(targetfd, 'targetfd', 0, 2 ** 31 - 1);
  const f = int(how, 'flags', 0, U32);
  return new Fd(check(retryFd(() => raw.pidfd_getfd(n, target, f)), 'pidfd_getfd'));
}

// ---------------------------------------------------------------------------------------------------------- misc

/**
 * The execution domain: without an argument, return the current one; with one (PERSONALITY names such as
 * 'addr_no_randomize', 'uname26', or a number), set it and return the previous one.
 *
 * @example
 * ```ts
 * personality(); // 0
 * personality('addr_no_randomize'); // 0
 * ```
 * @see https://man7.org/linux/man-pages/man2/personality.2.html
 */
export function personality(persona?: Flags): number {
  const p = persona === undefined ? 0xffffffff : int(flags(abi.PERSONALITY, 'PERSONALITY', '', persona), 'persona', 0, 0xfffffffe);
  return check(raw.personality(p), 'personality');
}

/**
 * Turn process accounting on (records go to `file`) or off (null).
 *
 * Needs CAP_SYS_PACCT.
 *
 * @example
 * ```ts
 * acct('/var/log/pacct');
 * ```
 * @see https://man7.org/linux/man-pages/man2/acct.2.html
 */
export function acct(file: PathLike | null): void {
  if (file === null) return void check(raw.acct(null), 'acct');
  const p = checkPath(file);
  check(raw.acct(p), 'acct', pathText(p));
}

const fdFns = { pidfd_send_signal, pidfd_getfd };
addFdMethods(fdFns);
declare module './core/fd.ts' {
  interface Fd extends FdMethods<typeof fdFns> {}
}
