// Why a test cannot check what it means to here, as declared skips with their reason:
//
// - under qemu-user (qemu/suite.ts runs the suite on foreign arches and sets TSYSCALL_EMULATED=<arch> and
//   TSYSCALL_QEMU=<qemu's version>), the syscalls that qemu does not implement for a foreign guest, and what it emulates
//   differently from the kernel: each gap measured under the suite, with the qemu versions it was measured on (Debian
//   12's qemu-user-static 7.2, Debian 13's qemu-user 10.0); a gap 10.0 does not have is skipped only under an older
//   qemu (or one of unknown version);
// - in a user namespace whose uid 0 is not the host's root (qemu/suite.ts needs one for binfmt_misc; also
//   `unshare -r`), what needs a capability in the initial user namespace or ids the namespace does not map.
//
//   needs('openat2')('openat2 opens ...', (t) => { ... })   // test, or test.skip with " (skipped: why)" in the title
//
// TSYSCALL_UNSKIP=<need>,<need>... (or `qemu`: every qemu gap) runs those tests all the same: to measure whether a gap
// is still there (npm run suite passes it on to the tests).
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** The arch the suite runs on under qemu-user, or undefined on a real kernel. */
export const EMULATED = process.env.TSYSCALL_EMULATED || undefined;

/** The version of that qemu-user (`10.0.13`), or undefined (not emulated, or not said). */
export const QEMU = EMULATED ? process.env.TSYSCALL_QEMU || undefined : undefined;

/** Needs not to skip for (TSYSCALL_UNSKIP): measuring whether a gap is still there. */
const UNSKIP = new Set((process.env.TSYSCALL_UNSKIP ?? '').split(',').map((s) => s.trim()).filter(Boolean));

/** uid 0 here is root of a user namespace, not of the host (the initial user namespace maps all 2^32 ids). */
export const USER_NS = (() => {
  try {
    return !/^\s*0\s+0\s+4294967295\s*$/.test(readFileSync('/proc/self/uid_map', 'utf8'));
  } catch {
    return false;
  }
})();

const isRoot = process.getuid?.() === 0;

/**
 * Why a test that is not root cannot get a user namespace that maps it to root (`unshare --user --map-root-user`), or ''.
 * Probed once, when a test first asks: machines may forbid unprivileged user namespaces (user.max_user_namespaces = 0,
 * kernel.unprivileged_userns_clone = 0, an AppArmor or seccomp policy).
 */
let usernsWhy: string | undefined;
const probeUserns = () => {
  const r = spawnSync('unshare', ['--user', '--map-root-user', 'true'], { encoding: 'utf8' });
  if (r.error) return 'needs root, or unshare(1) for a user namespace';
  return r.status === 0 ? '' : `needs root, or an unprivileged user namespace, which this machine refuses (${(r.stderr || `status ${r.status}`).trim()})`;
};
const BITS32 = ['arm', 'ia32', 'mips', 'mipsel', 'ppc', 's390'].includes(process.arch);
/** a.b.c >= x.y (numerically, part by part). */
const atLeast = (version: string, min: string) => {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < b.length; i++) if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) > b[i];
  return true;
};
/** The qemu here is `version` or newer (one of unknown version is taken for the oldest). */
const since = (version: string) => !!QEMU && atLeast(QEMU, version);
/**
 * A gap of qemu-user: what it does here instead of what the kernel does. `fixed`: the first qemu the suite measured
 * without it (10.0: between 7.2 and 10.0 nothing was measured, so those skip); `if`: only where it holds (32-bit guests).
 */
const qemu = (what: string | (() => string), o: { fixed?: string; if?: () => boolean } = {}) => () =>
  (EMULATED && !(o.fixed && since(o.fixed)) && (o.if?.() ?? true)
    ? `qemu-user ${QEMU ?? '(version not said)'} (${EMULATED}) ${typeof what === 'string' ? what : what()}` : '');
const userns = (what: string) => (isRoot && USER_NS ? `root of a user namespace ${what}` : '');

/** qemu-user's gaps: why each is missing under the qemu here ('' when it is not). */
const QEMU_GAPS = {
  // syscalls qemu-user returns ENOSYS for on foreign guests: measured under the suite on aarch64, armhf, ppc64le and
  // i386, and with a C program calling each on the four (qemu-user-static 7.2 and qemu-user 10.0.13)
  openat2: qemu('has no openat2 (ENOSYS)', { fixed: '10.0' }),
  rwf: qemu('has no preadv2/pwritev2 (ENOSYS)', { fixed: '10.0' }),
  fchmodat2: qemu('has no fchmodat2 (Linux 6.6; ENOSYS)', { fixed: '10.0' }),
  cachestat: qemu('has no cachestat (Linux 6.5; ENOSYS)'),
  mlock2: qemu('has no mlock2 (ENOSYS)'),
  mseal: qemu('has no mseal (Linux 6.10; ENOSYS)'),
  // with C programs only (7.2 and 10.0.13, the four arches), for tests to come
  landlock: qemu('has no landlock_* syscalls (ENOSYS)'),
  ioUring: qemu('has no io_uring_setup (ENOSYS)'),
  clone3: qemu('has no clone3 (ENOSYS)'),
  seccomp: qemu('has no seccomp for a foreign guest (ENOSYS)'),
  // what it emulates differently
  subreaper: qemu('refuses prctl(PR_SET_CHILD_SUBREAPER) with EINVAL: orphaned children are not ours to wait for', { fixed: '10.0' }),
  procStat: qemu('writes its own /proc/self/stat: pgrp, session, times and most fields are 0'),
  // 7.2: on every arch (always on armhf, in some runs on aarch64 and ppc64le); 10.0: on armhf and i386 (aarch64 and
  // ppc64le find every mapping, in four runs each)
  procMaps: qemu(() => 'writes its own /proc/self/maps and smaps: neighbouring guest mappings merge into one entry ' +
    `(${since('10.0') ? 'on 32-bit guests' : 'always on 32-bit guests, depending on the layout on 64-bit ones'}), so a ` +
    'mapping is not found by its address', { if: () => BITS32 || !since('10.0') }),
  // measured under 10.0 on the four arches (under 7.2 procMaps skips these tests first)
  smaps: qemu('writes its own /proc/self/smaps: Rss, the dirty and locked sizes are 0 and VmFlags has only the ' +
    'protection\'s flags (no lo, lf, dd)'),
  // measured under 10.0 with a C program (a guard page is not installed) and under 7.2 by the suite
  madvise: qemu('ignores madvise advice but DONTNEED (returns 0): no VM_DONTDUMP, no guard pages'),
  // measured with C programs on armhf and i386, 7.2 and 10.0 (aarch64 and ppc64le are right); under 10.0 the suite's
  // mremap test kills i386's qemu with SIGSEGV
  mremap32: qemu(() => `gets mremap wrong for a 32-bit guest: ${since('10.0')
    ? 'touching the old range MREMAP_DONTUNMAP leaves kills the process with SIGSEGV (the kernel leaves it mapped, reading zeros)'
    : 'growing in place without MREMAP_MAYMOVE (armhf) or touching the old range MREMAP_DONTUNMAP leaves (i386) kills ' +
      'the process with SIGSEGV'}`, { if: () => BITS32 }),
  fixedNoreplace: qemu('takes MAP_FIXED_NOREPLACE as a hint: it maps elsewhere instead of failing with EEXIST', { fixed: '10.0' }),
  statxMntId: qemu('copies only the statx fields it knows: stx_mnt_id is 0'),
  getrandomNull: qemu('fails getrandom(NULL, 0) with EFAULT (the kernel returns 0)'),
  // armhf and i386, 7.2 and 10.0
  sysinfo32: qemu('truncates sysinfo\'s memory sizes to 32 bits for a 32-bit guest (the kernel scales mem_unit)', { if: () => BITS32 }),
  // qemu copies a syscall's path out of guest memory itself, so the access faults in qemu, not in the kernel
  truncatedPath: qemu('reads a syscall\'s path out of guest memory itself: a path in a shared mapping whose file was ' +
    'truncated kills the process with SIGBUS (the kernel returns EFAULT)'),
  // measured under 10.0 on the four arches (under 7.2 the subreaper skip hides it)
  coreDump: qemu('writes the guest\'s core file itself (qemu_<prog>_<time>_<pid>.core) and then dies of the signal with ' +
    'core dumps off: the wait status has no WCOREDUMP'),
} satisfies Record<string, () => string>;

/** What a test may need, and why it is missing here ('' when it is not). */
const NEED_LIST = {
  root: () => (isRoot ? '' : 'needs root'),
  // root, or else a user namespace where it is root (tests run `unshare --user --map-root-user ...` when not root)
  userns: () => (usernsWhy ??= isRoot ? '' : probeUserns()),
  ...QEMU_GAPS,
  // Node before 20.19 (the official armv7l and ppc64le builds stop at 20.11) evaluates a Worker's code as CommonJS: from
  // 20.19 on it detects module syntax
  evalModule: () => (atLeast(process.versions.node, '20.19') ? '' : `node ${process.version} runs a Worker's eval'd code as ` +
    'CommonJS (module syntax is detected from 20.19 on): its top-level await is a SyntaxError'),
  // what root of a user namespace cannot do
  hostIds: () => userns('maps only uid and gid 0: other owners and ids are EINVAL'),
  deviceNodes: () => userns('cannot make device nodes (EPERM)'),
  trustedXattrs: () => userns('cannot set trusted.* xattrs (CAP_SYS_ADMIN in the initial namespace)'),
  openByHandle: () => userns('cannot open_by_handle_at (CAP_DAC_READ_SEARCH in the initial namespace)'),
  memlock: () => userns('is held to RLIMIT_MEMLOCK (CAP_IPC_LOCK in the initial namespace)'),
  sysNice: () => userns('cannot leave SCHED_IDLE or raise priority (CAP_SYS_NICE in the initial namespace)'),
  acct: () => userns('cannot switch process accounting on (CAP_SYS_PACCT in the initial namespace)'),
} satisfies Record<string, () => string>;

/** NEED_LIST, but '' for what TSYSCALL_UNSKIP names. */
export const NEEDS = Object.fromEntries(Object.entries(NEED_LIST).map(([name, why]) => [name,
  () => (UNSKIP.has(name) || (UNSKIP.has('qemu') && name in QEMU_GAPS) ? '' : why())])) as typeof NEED_LIST;

export type Need = keyof typeof NEEDS;

/** ' (skipped: why; why)' for the needs missing here, or ''. */
export function missing(...needs: Need[]): string {
  const why = [...new Set(needs.map((n) => NEEDS[n]()).filter(Boolean))];
  return why.length ? ` (skipped: ${why.join('; ')})` : '';
}

/** How a test is declared: `test(title, impl)`. */
export type Register = ((title: string, impl: (t: ExecutionContext) => unknown) => void) & {
  serial: (title: string, impl: (t: ExecutionContext) => unknown) => void;
};

/**
 * `test` when every need is met here; otherwise `test.skip`, with the reasons appended to the title. `.serial` for
 * `test.serial`. For a condition of the test file's own: `(cond ? needs('x') : skip)(title + (cond ? '' : why), impl)`.
 */
export function needs(...list: Need[]): Register {
  const why = missing(...list);
  const reg = (title: string, impl: (t: ExecutionContext) => unknown) => (why ? test.skip(`${title}${why}`, impl) : test(title, impl));
  reg.serial = (title: string, impl: (t: ExecutionContext) => unknown) =>
    (why ? test.serial.skip(`${title}${why}`, impl) : test.serial(title, impl));
  return reg;
}

/** `test.skip` as a Register, for the other branch of a condition. */
export const skip: Register = Object.assign(
  (title: string, impl: (t: ExecutionContext) => unknown) => test.skip(title, impl),
  { serial: (title: string, impl: (t: ExecutionContext) => unknown) => test.serial.skip(title, impl) },
);
