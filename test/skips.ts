// Why a test cannot check what it means to here, as declared skips with their reason:
//
// - under qemu-user (qemu/suite.ts runs the suite on foreign arches and sets TSYSCALL_EMULATED=<arch>), the syscalls
//   qemu 7.2 does not implement for a foreign guest, and what it emulates differently from the kernel;
// - in a user namespace whose uid 0 is not the host's root (qemu/suite.ts needs one for binfmt_misc; also
//   `unshare -r`), what needs a capability in the initial user namespace or ids the namespace does not map.
//
//   needs('openat2')('openat2 opens ...', (t) => { ... })   // test, or test.skip with " (skipped: why)" in the title
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** The arch the suite runs on under qemu-user, or undefined on a real kernel. */
export const EMULATED = process.env.TSYSCALL_EMULATED || undefined;

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
const qemu = (what: string) => (EMULATED ? `qemu-user 7.2 (${EMULATED}) ${what}` : '');
const userns = (what: string) => (isRoot && USER_NS ? `root of a user namespace ${what}` : '');

/** What a test may need, and why it is missing here ('' when it is not). */
export const NEEDS = {
  root: () => (isRoot ? '' : 'needs root'),
  // root, or else a user namespace where it is root (tests run `unshare --user --map-root-user ...` when not root)
  userns: () => (usernsWhy ??= isRoot ? '' : probeUserns()),
  // syscalls qemu 7.2 returns ENOSYS for on foreign guests (measured under the suite on aarch64, armhf and ppc64le;
  // the last four with C programs, for tests to come)
  openat2: () => qemu('has no openat2 (ENOSYS)'),
  rwf: () => qemu('has no preadv2/pwritev2 (ENOSYS)'),
  cachestat: () => qemu('has no cachestat (Linux 6.5; ENOSYS)'),
  fchmodat2: () => qemu('has no fchmodat2 (Linux 6.6; ENOSYS)'),
  mlock2: () => qemu('has no mlock2 (ENOSYS)'),
  mseal: () => qemu('has no mseal (Linux 6.10; ENOSYS)'),
  landlock: () => qemu('has no landlock_* syscalls (ENOSYS)'),
  ioUring: () => qemu('has no io_uring_setup (ENOSYS)'),
  clone3: () => qemu('has no clone3 (ENOSYS)'),
  seccomp: () => qemu('has no seccomp for a foreign guest (ENOSYS)'),
  // what it emulates differently
  subreaper: () => qemu('refuses prctl(PR_SET_CHILD_SUBREAPER) with EINVAL: orphaned children are not ours to wait for'),
  procStat: () => qemu('writes its own /proc/self/stat: pgrp, session, times and most fields are 0'),
  procMaps: () => qemu('writes its own /proc/self/maps and smaps: neighbouring guest mappings merge into one entry ' +
    '(always on 32-bit guests, depending on the layout on 64-bit ones), so a mapping is not found by its address'),
  madvise: () => qemu('ignores madvise advice but DONTNEED (returns 0): no VM_DONTDUMP, no guard pages'),
  fixedNoreplace: () => qemu('takes MAP_FIXED_NOREPLACE as a hint: it maps elsewhere instead of failing with EEXIST'),
  statxMntId: () => qemu('copies only the statx fields it knows: stx_mnt_id is 0'),
  getrandomNull: () => qemu('fails getrandom(NULL, 0) with EFAULT (the kernel returns 0)'),
  sysinfo32: () => (BITS32 ? qemu('truncates sysinfo\'s memory sizes to 32 bits for a 32-bit guest (the kernel scales mem_unit)') : ''),
  // measured with the suite on aarch64, armhf, ppc64le (qemu-user-static 7.2) and i386 (Debian 13's qemu-user 10.0):
  // qemu copies a syscall's path out of guest memory itself, so the access faults in qemu, not in the kernel
  truncatedPath: () => (EMULATED ? `qemu-user (${EMULATED}) reads a syscall's path out of guest memory itself: a path ` +
    'in a shared mapping whose file was truncated kills the process with SIGBUS (the kernel returns EFAULT)' : ''),
  // measured on i386 under Debian 13's qemu-user 10.0, which allows PR_SET_CHILD_SUBREAPER (under 7.2 the subreaper
  // skip hides it)
  coreDump: () => (EMULATED ? `qemu-user (${EMULATED}) writes the guest's core file itself (qemu_<prog>_<time>_<pid>.core) ` +
    'and then dies of the signal with core dumps off: the wait status has no WCOREDUMP' : ''),
  // what root of a user namespace cannot do
  hostIds: () => userns('maps only uid and gid 0: other owners and ids are EINVAL'),
  deviceNodes: () => userns('cannot make device nodes (EPERM)'),
  trustedXattrs: () => userns('cannot set trusted.* xattrs (CAP_SYS_ADMIN in the initial namespace)'),
  openByHandle: () => userns('cannot open_by_handle_at (CAP_DAC_READ_SEARCH in the initial namespace)'),
  memlock: () => userns('is held to RLIMIT_MEMLOCK (CAP_IPC_LOCK in the initial namespace)'),
  sysNice: () => userns('cannot leave SCHED_IDLE or raise priority (CAP_SYS_NICE in the initial namespace)'),
  acct: () => userns('cannot switch process accounting on (CAP_SYS_PACCT in the initial namespace)'),
} satisfies Record<string, () => string>;

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
