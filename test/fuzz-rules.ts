// What the fuzzer (test/fuzz.test.ts, test/fuzz-child.ts) must not do, and why. The children already run as root inside
// fresh mount, UTS, IPC, network and pid namespaces, with every mount read-only except their working directory (a
// 64 MiB tmpfs, nodev, nosuid, noexec): hostnames, mounts, SysV IPC, network configuration, signals to other processes
// and writes to files stay inside. What is left is listed here, by kind:
//  - EXCLUDED: functions never called (matched by name, against every export and Fd/Mapping/Timer method);
//  - GUARDS: functions called, but argument sets that could still do harm are not made (a fresh set is drawn);
//  - RESTORES: process state a call may change that is put back after each call (so that one call does not break
//    the rest of the run: uids, limits, scheduling, affinity, cwd/root, timers).
// A rule whose name matches no export is not printed. The rules are by name: a new module whose functions need one
// must add it here.

/** The arguments of one call by parameter name (parsed from the function's source), and the fuzzer's state. */
export interface CallView {
  /** The argument for the first parameter whose name matches (undefined when absent). */
  arg(name: RegExp): unknown;
  /** Whether an argument was passed for that parameter. */
  has(name: RegExp): boolean;
  /** The arguments for every parameter whose name matches, in order (undefined where none was passed). */
  all(name: RegExp): unknown[];
  /** Every argument of the call. */
  args: readonly unknown[];
  /** The highest descriptor number the fuzzer does not own (Node's own, stdio, the harness's). */
  reservedFdMax: number;
  /** Whether the child has children of its own (then a wait could block). */
  hasChildren(): boolean;
  /** The class of the generated struct timex (to recognise a read-only one). */
  Timex: abstract new (...a: never[]) => { modes: number };
}

export interface Rule {
  name: RegExp;
  reason: string;
}
export interface Guard extends Rule {
  /** True: do not make this call. */
  reject(c: CallView): boolean;
}
export interface Restore extends Rule {
  /** The id of the restore the child performs after each call of a matching function. */
  restore: 'bigfiles' | 'creds' | 'rlimits' | 'sched' | 'affinity' | 'nice' | 'personality' | 'umask' | 'root' | 'acct' | 'itimers' | 'fifos' | 'munlockall' | 'fdtimes';
}

export const EXCLUDED: Rule[] = [
  { name: /^(exit|_exit|exit_group|abort|raise)$/, reason: 'ends or signals the child itself' },
  { name: /^(fork|vfork|clone|clone3)$/, reason: 'would fork the multithreaded Node process: the copy would go on fuzzing' },
  { name: /^(execve|execveat|execv|execvp|fexecve)$/, reason: 'replaces the child with another program' },
  { name: /^(reboot|kexec_load|kexec_file_load)$/, reason: "reboots or replaces the host's kernel (a pid namespace only catches restart and halt)" },
  { name: /^(init_module|finit_module|delete_module)$/, reason: 'loads or removes host kernel modules' },
  { name: /^(swapon|swapoff)$/, reason: "changes the host's swap" },
  { name: /^(settimeofday|stime|adjtime)$/, reason: "sets the host's clock (CLOCK_REALTIME is not namespaced)" },
  { name: /^(pause|sigsuspend|rt_sigsuspend|sigwaitinfo|sigtimedwait|sigwait|sleep|usleep)$/, reason: 'waits for a signal or a time that may never come (a hang)' },
  { name: /^(syslog|klogctl)$/, reason: "reads or clears the host's kernel log (not namespaced)" },
  { name: /^(keyctl|add_key|request_key)$/, reason: "root's keyrings are shared with the host" },
  { name: /^(ptrace|process_vm_writev)$/, reason: "can stop or write into another process (the namespace's init is the child's shell)" },
  { name: /^seccomp$/, reason: 'a random filter would kill the child (SIGSYS) on a later, unrelated syscall' },
];

const PID_MAX = 4194304; // PID_MAX_LIMIT on 64-bit
const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'bigint' && v >= -(2n ** 63n) && v < 2n ** 64n ? Number(v) : undefined;
const name = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim().toLowerCase() : undefined);
const isId = (v: unknown) => {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 2 ** 32 - 2;
};
const MIB64 = 64 * 1024 * 1024;

export const GUARDS: Guard[] = [
  {
    name: /^(kill|tkill|tgkill|killpg|sigqueue|rt_sigqueueinfo|rt_tgsigqueueinfo)$/,
    reason: 'pids that could name a process or group (|pid| <= 4194304: 0, -1, 1, the child, its shell) are not signalled: the signal could stop or kill the fuzzer',
    reject: (c) => [/^(pid|pgrp)$/, /^tgid$/, /^tid$/].some((p) => Math.abs(num(c.arg(p)) ?? Infinity) <= PID_MAX),
  },
  {
    name: /^(wait|waitpid|wait4|waitid)$/,
    reason: 'only while the child has no children of its own: then every wait returns ECHILD at once, with or without WNOHANG',
    reject: (c) => c.hasChildren(),
  },
  {
    name: /^(setuid|setreuid|setresuid)$/,
    reason: 'calls setting every uid to non-zero are not made: the child would lose root for the rest of the run',
    reject: (c) => {
      const ids = c.all(/^(uid|ruid|euid|suid)$/);
      return ids.length > 0 && ids.every(isId);
    },
  },
  {
    name: /^(setrlimit|prlimit)$/,
    reason: 'lowering cpu, fsize, data, stack, as or rttime is not done: the child would be killed (SIGXCPU, SIGXFSZ) or fail to allocate before the limit is restored',
    reject: (c) => {
      const r = c.arg(/^(res|resource)$/);
      const setting = c.arg(/^(limit|rlim|new)/) !== undefined;
      const n = name(r)?.replace(/^rlimit_/, '');
      return setting && ((n !== undefined && /^(cpu|fsize|data|stack|as|rttime)$/.test(n)) || [0, 1, 2, 3, 9, 15].includes(num(r) ?? -1));
    },
  },
  {
    name: /^clock_settime$/,
    reason: "CLOCK_REALTIME and dynamic clocks (negative ids: a PTP hardware clock by its fd) are not set: neither is namespaced (the other clocks answer EINVAL)",
    reject: (c) => {
      const k = c.arg(/^clock/);
      return (num(k) ?? 1) <= 0 || name(k)?.replace(/^clock_/, '') === 'realtime';
    },
  },
  {
    name: /^(adjtimex|clock_adjtime)$/,
    reason: "only read-only calls (no tx, or a Timex with modes 0): any other would adjust the host's clock",
    reject: (c) => {
      const tx = c.arg(/^(tx|buf|timex)$/);
      if (tx instanceof c.Timex) return tx.modes !== 0;
      return (typeof tx === 'object' && tx !== null) || typeof tx === 'function';
    },
  },
  {
    name: /^(nanosleep|clock_nanosleep)$/,
    reason: 'sleeps longer than 10 ms (or given as a Date or a struct), and sleeps on a CPU-time clock (which stands still while the sleeper sleeps), are not made: they would hang the child',
    reject: (c) => {
      const k = c.arg(/^clock/);
      if (/cputime/.test(name(k) ?? '') || [2, 3].includes(num(k) ?? 0) || (num(k) ?? 0) < 0) return true;
      const t = c.arg(/^(request|req|time|duration)$/);
      if (typeof t === 'number') return t > 0.01;
      if (typeof t === 'bigint') return t > 10_000_000n;
      return (typeof t === 'object' && t !== null) || typeof t === 'function';
    },
  },
  {
    name: /^close_range$/,
    reason: "ranges reaching descriptors the fuzzer does not own (Node's event loop, stdio) are not closed: libuv would abort",
    reject: (c) => {
      const first = num(c.arg(/^(first|fd|low|min)$/));
      return first !== undefined && first <= c.reservedFdMax;
    },
  },
  {
    name: /^fcntl$/,
    reason: 'F_SETLEASE and F_SETSIG are not set, and F_OFD_SETLKW is not waited on: a lease blocks the child\'s own opens for 45 s, F_SETSIG can turn SIGIO into SIGKILL or SIGSTOP, and an OFD lock the child holds through another open of the same file would block it for ever',
    reject: (c) => {
      const cmd = c.arg(/^cmd$/);
      return /^(f_)?(setlease|setsig|ofd_setlkw)$/.test(name(cmd) ?? '') || num(cmd) === 1024 || num(cmd) === 10 || num(cmd) === 38;
    },
  },
  {
    name: /^flock$/,
    reason: 'blocking locks (LOCK_SH or LOCK_EX without LOCK_NB) are not asked for: a lock the child holds through another open of the same file would block it for ever',
    reject: (c) => {
      const op = c.arg(/^op$/);
      if (typeof op === 'number') return (op & 3) !== 0 && (op & 4) === 0;
      const text = (Array.isArray(op) ? op.join(',') : typeof op === 'string' ? op : '').toLowerCase();
      return /(sh|ex)/.test(text) && !/nb/.test(text);
    },
  },
  {
    name: /^madvise$/,
    reason: 'MADV_HWPOISON and MADV_SOFT_OFFLINE are not given: they take a physical page of the host out of service, for good',
    reject: (c) => {
      const a = c.arg(/^advice$/);
      return /(hwpoison|soft_offline)/.test(name(a) ?? '') || num(a) === 100 || num(a) === 101;
    },
  },
  {
    name: /^(mmap|mremap|read|pread|getrandom|getdents|sendfile|splice|tee|copy_file_range|fallocate|recv|recvfrom)$/,
    reason: 'lengths over 64 MiB are not asked for: real allocations or copies of that size (from a sparse file, into a Buffer) take seconds and gigabytes',
    reject: (c) => c.has(/^(length|len|newLength|count|nbytes|bufSize|size|a)$/) && (num(c.arg(/^(length|len|newLength|count|nbytes|bufSize|size|a)$/)) ?? 0) > MIB64,
  },
  {
    name: /^mlockall$/,
    reason: "MCL_CURRENT and MCL_FUTURE are not asked for: with Node's memory locked, V8's next mprotect of its reserved code pages fails and V8 aborts (SIGTRAP), an effect of the call on any process, not a library bug",
    reject: (c) => {
      const f = c.arg(/^(how|flags)$/);
      const bits = (v: unknown): boolean =>
        typeof v === 'string' ? /current|future/i.test(v) : Array.isArray(v) ? v.some(bits) : ((num(v) ?? 0) & 3) !== 0 || (typeof v === 'bigint' && (v & 3n) !== 0n);
      return bits(f);
    },
  },
  {
    name: /^(epoll_wait|epoll_pwait|poll)$/,
    reason: 'waits longer than 10 ms (a negative timeout: for ever) are not made: nothing may ever become ready, and the child would hang',
    reject: (c) => {
      const t = c.arg(/^timeout$/);
      return typeof t === 'number' ? !(t >= 0 && t <= 10) : typeof t === 'bigint' ? t < 0n || t > 10n : false;
    },
  },
  {
    name: /^ppoll$/,
    reason: 'no timeout (for ever), more than 10 ms, or a timeout given as a struct is not asked for: the child would hang',
    reject: (c) => {
      const t = c.arg(/^timeout$/);
      if (t === null || t === undefined) return true;
      if (typeof t === 'number') return !(t >= 0 && t <= 0.01);
      if (typeof t === 'bigint') return t < 0n || t > 10_000_000n;
      return typeof t === 'object' || typeof t === 'function';
    },
  },
  {
    name: /^(epoll_ctl|epoll_wait|epoll_pwait|eventfdRead|eventfdWrite|timerfdRead|timerfd_settime|timerfd_gettime|inotifyRead|inotify_add_watch|inotify_rm_watch)$/,
    reason: "descriptors the fuzzer does not own (Node's own: libuv's epoll instance and its wakeup eventfd) are not used: a del on libuv's epoll stops Node's event loop, a read of its eventfd steals its wakeups, a blocking read hangs",
    reject: (c) => [/^fd$/, /^ep$/].some((p) => {
      const n = num(c.arg(p));
      return n !== undefined && n <= c.reservedFdMax;
    }),
  },
  {
    name: /^(bind|listen|connect|accept4|getsockname|getpeername|shutdown|send|sendto|recv|recvfrom)$/,
    reason: "descriptors the fuzzer does not own are not used: ava's IPC channel to its parent is a unix socket, and a recv on it would steal the messages that report the tests, a send corrupt them, a blocking accept or recv hang",
    reject: (c) => {
      const n = num(c.arg(/^fd$/));
      return n !== undefined && n <= c.reservedFdMax;
    },
  },
  {
    name: /^rt_sigtimedwait$/,
    reason: 'waits longer than 10 ms (or a timeout given as a struct) are not made: the signal may never come, and the child would hang',
    reject: (c) => {
      const t = c.arg(/^timeout$/);
      if (typeof t === 'number') return !(t >= 0 && t <= 0.01);
      if (typeof t === 'bigint') return t < 0n || t > 10_000_000n;
      return t !== undefined && t !== null;
    },
  },
  {
    name: /^(sigaction|sigprocmask)$/,
    reason: "only reads (no action, no set): a disposition set to default or ignore (SIGHUP, SIGALRM, SIGWINCH...) or a blocked signal would change how the child reacts for the rest of the run, and the child does not restore them",
    reject: (c) => c.args.length > 1 && c.args[1] !== undefined,
  },
  {
    name: /^(signalfd|signalfdRead)$/,
    reason: "descriptors the fuzzer does not own are not used: a signalfd update or a read of one of Node's descriptors could block or steal its data",
    reject: (c) => {
      const n = num(c.arg(/^fd$/));
      return n !== undefined && n <= c.reservedFdMax;
    },
  },
  {
    name: /^sched_setattr$/,
    reason: 'SCHED_DEADLINE is not asked for: a deadline reservation can throttle the child for seconds',
    reject: (c) => {
      const a = c.arg(/^attr/) as { policy?: unknown } | undefined;
      const p = typeof a === 'object' && a !== null ? (a as { policy?: unknown }).policy : undefined;
      return /deadline/.test(name(p) ?? '') || num(p) === 6;
    },
  },
];

export const RESTORES: Restore[] = [
  {
    name: /^(truncate|ftruncate|fallocate|write|pwrite|writev|pwritev2|writeFile|copy_file_range|sendfile|splice|tee)$/, restore: 'bigfiles',
    reason: 'files grown past 1 MiB (sparse ones too) are removed or cut back: reading a sparse terabyte back (readFile reads to EOF) takes minutes and gigabytes',
  },
  { name: /^(setuid|setgid|setreuid|setregid|setresuid|setresgid|setfsuid|setfsgid|setgroups)$/, restore: 'creds', reason: 'uids, gids and groups are set back to root\'s' },
  { name: /^(setrlimit|prlimit)$/, restore: 'rlimits', reason: 'every resource limit is set back' },
  { name: /^(sched_setscheduler|sched_setparam|sched_setattr)$/, restore: 'sched', reason: 'the child goes back to SCHED_OTHER (a SCHED_FIFO busy loop would starve a core)' },
  { name: /^sched_setaffinity$/, restore: 'affinity', reason: 'the CPU affinity is set back' },
  { name: /^setpriority$/, restore: 'nice', reason: 'the nice value is set back to 0' },
  { name: /^personality$/, restore: 'personality', reason: 'the personality is set back' },
  { name: /^umask$/, restore: 'umask', reason: 'the umask is set back' },
  { name: /^(chroot|pivot_root)$/, restore: 'root', reason: 'the root directory is set back' },
  { name: /^acct$/, restore: 'acct', reason: 'process accounting is turned off again' },
  { name: /^setitimer$/, restore: 'itimers', reason: 'the interval timers are disarmed (their signals are handled, but would interrupt later calls)' },
  { name: /^(mknod|mknodat|mkfifo|mkfifoat)$/, restore: 'fifos', reason: 'FIFOs it made are removed: opening one later would block for ever' },
  {
    name: /^(futimens|utimensat|utimes|lutimes|futimes)$/, restore: 'fdtimes',
    reason: 'the times of every descriptor the fuzzer owns are set back to now: the kernel reuses the inodes of closed sockets and pipes for new ones anywhere on the host without resetting their times (Linux 6.18), and a 32-bit Node whose stdio socket says year -271821 aborts at start',
  },
  { name: /^(mlockall|mlock|mlock2)$/, restore: 'munlockall', reason: 'memory is unlocked again (MCL_FUTURE would lock every later allocation of Node)' },
];

/** The base name of a target: 'read' for 'read', 'Fd#read', 'Mapping#madvise'. */
export const baseName = (target: string) => target.replace(/^\w+#/, '');

export const excludedBy = (target: string) => EXCLUDED.find((r) => r.name.test(baseName(target)));
export const guardsOf = (target: string) => GUARDS.filter((r) => r.name.test(baseName(target)));
export const restoresOf = (target: string) => RESTORES.filter((r) => r.name.test(baseName(target)));
