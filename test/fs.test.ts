// Files and directories (src/fs/): each call is checked by its effect on the world, mostly through node:fs.
import test, { type ExecutionContext } from 'ava';
import {
  mkdtempSync, writeFileSync, readFileSync, statSync, lstatSync, existsSync, symlinkSync, mkdirSync, rmSync,
  readlinkSync, statfsSync, realpathSync, openSync, closeSync, fstatSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open, read, write, fstat, Fd, SyscallError, abi } from '../src/index.ts';
import { raw } from '../src/core/abi.ts';
import {
  openat, openat2, creat, close_range, pread, pwrite, readv, writev, preadv2, pwritev2, lseek, fsync, fdatasync,
  sync_file_range, truncate, ftruncate, fallocate, fadvise, stat, lstat, fstatat, statx, Statx, statfs, fstatfs, Statfs,
  access, faccessat2, chmod, fchmod, fchmodat, chown, fchown, lchown, fchownat, link, linkat, symlink, symlinkat,
  readlink, readlinkat, unlink, unlinkat, rename, renameat2, mkdir, mkdirat, rmdir, mknod, mknodat, makedev, devParts,
  getdents, Dirent, DT, getcwd, chdir, fchdir, chroot, utimensat, futimens, umask, flock, fcntl, Lock, dup, dup3, pipe2,
  copy_file_range, sendfile, splice, tee, vmsplice, memfd_create, setxattr, lsetxattr, fsetxattr, getxattr, lgetxattr,
  fgetxattr, listxattr, llistxattr, flistxattr, removexattr, lremovexattr, fremovexattr, name_to_handle_at,
  open_by_handle_at, IOV_MAX, ACCESS, POSIX_FADV,
} from '../src/fs/index.ts';
import { needs, skip } from './skips.ts';

const { AT, S, E, F } = abi;
const CWD = AT.FDCWD;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const isRoot = process.getuid?.() === 0;

/** A temporary directory removed after the test. */
function tmp(t: ExecutionContext): string {
  const d = mkdtempSync(join(tmpdir(), 'tsyscall-fs-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Page cache state of a whole file (cachestat, Linux 6.5). */
function cachestat(fd: Fd) {
  const range = new abi.CachestatRange();
  const cs = new abi.Cachestat();
  const r = raw.cachestat(fd.fileno, range.$buffer, cs.$buffer, 0);
  if (r < 0) throw new SyscallError(-r, 'cachestat');
  return cs;
}

/** Run a module snippet in a child node (with tsx), optionally under a command prefix such as unshare; JSON out. */
function child(code: string, prefix: string[] = []): { status: number | null; out: any; stderr: string } {
  const argv = [...prefix, process.execPath, '--import', 'tsx', '--input-type=module', '-e', code];
  const r = spawnSync(argv[0], argv.slice(1), { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  let out: unknown;
  try { out = JSON.parse(r.stdout); } catch { out = r.stdout; }
  return { status: r.status, out, stderr: r.stderr };
}
const FS_URL = new URL('../src/fs/index.ts', import.meta.url).href;

const tmpIsDisk = statfsSync(tmpdir()).type !== 0x01021994;
const hasUnshare = spawnSync('unshare', ['--version']).status === 0;

// xattr support of the temp dir's filesystem, probed once
const xattrOk = (() => {
  const d = mkdtempSync(join(tmpdir(), 'tsyscall-xattr-'));
  try {
    writeFileSync(join(d, 'f'), '');
    return raw.setxattr(join(d, 'f'), 'user.tsyscall.probe', Buffer.from('1'), 1, 0) === 0;
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
})();

// ---------------------------------------------------------------------------------------------------------------------
// Opening

test('openat creates relative to a directory fd and to AT_FDCWD', (t) => {
  const d = tmp(t);
  using dir = open(d, 'rdonly, directory');
  const f = openat(dir, 'a', 'wronly, creat, excl', 0o600);
  f.write('via dir');
  f.close();
  t.is(readFileSync(join(d, 'a'), 'utf8'), 'via dir');
  t.is(statSync(join(d, 'a')).mode & 0o777, 0o600 & ~process.umask());
  using g = openat(CWD, join(d, 'a'));
  t.is(read(g, 10).toString(), 'via dir');
  using h = dir.openat('a', 'rdonly');
  t.is(h.read(3).toString(), 'via');
  const err = t.throws(() => openat(dir, 'missing'), { instanceOf: SyscallError }) as SyscallError;
  t.is(err.code, 'ENOENT');
  t.is(err.syscall, 'openat');
  t.is(err.path, 'missing');
  t.throws(() => openat('x' as never, 'a'), { instanceOf: TypeError, message: /openat: fd must be an Fd or an integer/ });
});

needs('openat2')('openat2 opens within the directory and RESOLVE flags stop escapes and symlinks', (t) => {
  const d = tmp(t);
  mkdirSync(join(d, 'sub'));
  writeFileSync(join(d, 'sub', 'f'), 'inside');
  writeFileSync(join(d, 'outside'), 'outside');
  symlinkSync('f', join(d, 'sub', 'link'));
  using sub = open(join(d, 'sub'), 'rdonly, directory');
  using f = openat2(sub, 'f', { flags: 'rdonly', resolve: 'beneath' });
  t.is(f.read(10).toString(), 'inside');
  t.throws(() => openat2(sub, '../outside', { resolve: 'beneath' }), { code: 'EXDEV' });
  // without RESOLVE the same path opens
  using out = openat2(sub, '../outside', 'rdonly');
  t.is(out.read(10).toString(), 'outside');
  t.throws(() => openat2(sub, 'link', { resolve: 'no_symlinks' }), { code: 'ELOOP' });
  using viaLink = sub.openat2('link', { resolve: ['beneath'] });
  t.is(viaLink.read(10).toString(), 'inside');
  using created = openat2(sub, 'new', { flags: 'wronly, creat', mode: 0o640 });
  t.is(statSync(join(d, 'sub', 'new')).mode & 0o777, 0o640 & ~process.umask());
  t.throws(() => openat2(sub, 'f', { resolve: 'bogus' }), { instanceOf: TypeError, message: /unknown RESOLVE flag 'bogus'/ });
});

test('creat creates or truncates and opens write-only', (t) => {
  const p = join(tmp(t), 'c');
  writeFileSync(p, 'old content');
  using fd = creat(p, 0o644);
  t.is(statSync(p).size, 0);
  t.throws(() => read(fd, 1), { code: 'EBADF' });
  write(fd, 'new');
  t.is(readFileSync(p, 'utf8'), 'new');
  using fresh = creat(join(tmp(t), 'n'), '600');
  t.true(fresh.fileno >= 0);
});

test('close_range marks close-on-exec, then closes, and the owning Fds forget their numbers', (t) => {
  const p = join(tmp(t), 'r');
  writeFileSync(p, 'x');
  using base = open(p);
  const nums = [700, 701, 702];
  for (const n of nums) t.throws(() => fcntl(n, 'getfd'), { code: 'EBADF' }, `fd ${n} must be free for this test`);
  const fds = nums.map((n) => dup3(base, n));
  close_range(700, 702, 'cloexec');
  for (const fd of fds) t.is(fd.fcntl('getfd'), abi.FD.CLOEXEC);
  close_range(700, 702);
  for (const n of nums) t.throws(() => fcntl(n, 'getfd'), { code: 'EBADF' });
  for (const fd of fds) t.true(fd.closed);
  t.is(read(base, 1).toString(), 'x'); // outside the range: still open
  t.throws(() => close_range(5, 4), { code: 'EINVAL' });
  t.throws(() => close_range(-1, 4), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------------------------------------------------
// Positioned and vectored I/O

test('pread and pwrite work at a position and leave the file offset alone', (t) => {
  const p = join(tmp(t), 'p');
  writeFileSync(p, '0123456789');
  using fd = open(p, 'rdwr');
  t.is(pwrite(fd, 'AB', 3), 2);
  t.is(fd.pwrite(Buffer.from('Z'), 9n), 1);
  t.is(readFileSync(p, 'utf8'), '012AB5678Z');
  const buf = Buffer.alloc(4);
  t.is(pread(fd, buf, 2), 4);
  t.is(buf.toString(), '2AB5');
  t.is(fd.pread(3, 7).toString(), '78Z');
  t.is(pread(fd, 10, 100).length, 0);
  t.is(lseek(fd, 0, 'cur'), 0);
  t.throws(() => pread(fd, buf, -1), { instanceOf: RangeError });
  t.throws(() => pwrite(fd, 5 as never, 0), { instanceOf: TypeError });
});

test('readv scatters and writev gathers, with every buffer checked', (t) => {
  const p = join(tmp(t), 'v');
  using fd = open(p, 'rdwr, creat');
  t.is(writev(fd, ['hello ', Buffer.from('wor'), new Uint8Array([108, 100]), Buffer.alloc(0)]), 11);
  t.is(readFileSync(p, 'utf8'), 'hello world');
  lseek(fd, 0);
  const parts = [Buffer.alloc(5), Buffer.alloc(1), new Uint16Array(2), Buffer.alloc(10)];
  t.is(readv(fd, parts), 11);
  t.is(parts[0].toString(), 'hello');
  t.is(parts[1].toString(), ' ');
  t.is(Buffer.from(parts[2].buffer).toString(), 'worl');
  t.is(parts[3].subarray(0, 1).toString(), 'd');
  // subarrays of a pooled Buffer land at their own addresses
  const pool = Buffer.from('xxABCDyy');
  t.is(fd.writev([pool.subarray(2, 4), pool.subarray(4, 6)]), 4);
  t.is(readFileSync(p, 'utf8'), 'hello worldABCD');
  t.is(writev(fd, []), 0);
  t.throws(() => writev(fd, 'abc' as never), { instanceOf: TypeError, message: /bufs must be an array/ });
  t.throws(() => readv(fd, [Buffer.alloc(1), 'x' as never]), { instanceOf: TypeError, message: /bufs\[1\]/ });
  t.throws(() => writev(fd, new Array(IOV_MAX + 1).fill('a')), { instanceOf: RangeError, message: /IOV_MAX/ });
  t.is(writev(fd, new Array(IOV_MAX).fill('a')), IOV_MAX);
  t.is(statSync(p).size, 15 + IOV_MAX);
});

needs('rwf')('preadv2 and pwritev2 honour the position and RWF flags', (t) => {
  const p = join(tmp(t), 'v2');
  writeFileSync(p, 'abcdef');
  using fd = open(p, 'rdwr');
  // RWF_APPEND writes at the end whatever the position
  t.is(pwritev2(fd, ['XY'], 0, 'append'), 2);
  t.is(readFileSync(p, 'utf8'), 'abcdefXY');
  t.is(fd.pwritev2([Buffer.from('Q')], 1), 1);
  t.is(readFileSync(p, 'utf8'), 'aQcdefXY');
  const b = Buffer.alloc(3);
  // the data is in the page cache, so RWF_NOWAIT reads it
  t.is(preadv2(fd, [b], 2, 'nowait'), 3);
  t.is(b.toString(), 'cde');
  // position -1: at the file offset, which moves
  t.is(fd.preadv2([b]), 3);
  t.is(b.toString(), 'aQc');
  t.is(lseek(fd, 0, 'cur'), 3);
  t.throws(() => preadv2(fd, [b], 0, 'bogus'), { instanceOf: TypeError, message: /unknown RWF flag/ });
});

test('lseek moves the offset from set, cur, end and finds data and holes', (t) => {
  const p = join(tmp(t), 's');
  using fd = open(p, 'rdwr, creat');
  ftruncate(fd, 1 << 20);
  pwrite(fd, 'data', 512 * 1024);
  t.is(lseek(fd, 10), 10);
  t.is(fd.lseek(5, 'cur'), 15);
  t.is(lseek(fd, -4, 'end'), (1 << 20) - 4);
  t.is(lseek(fd, 0, 'data'), 512 * 1024);
  const hole = lseek(fd, 512 * 1024, 'hole');
  t.true(hole > 512 * 1024 && hole <= (1 << 20));
  t.is(lseek(fd, 0, abi.SEEK.SET), 0);
  t.throws(() => lseek(fd, -1), { code: 'EINVAL' });
  t.throws(() => lseek(fd, 0, 'middle' as never), { instanceOf: TypeError, message: /unknown SEEK flag 'middle'/ });
});

// ---------------------------------------------------------------------------------------------------------------------
// Sync, size, allocation

(tmpIsDisk ? needs('cachestat') : skip)(`fsync, fdatasync and sync_file_range write dirty pages back${tmpIsDisk ? '' : ' (skipped: the temp dir is on tmpfs)'}`, (t) => {
  const d = tmp(t);
  for (const [name, sync] of [
    ['fsync', (fd: Fd) => fsync(fd)],
    ['fdatasync', (fd: Fd) => fd.fdatasync()],
    ['sync_file_range', (fd: Fd) => sync_file_range(fd, 0, 0, 'wait_before, write, wait_after')],
  ] as const) {
    using fd = open(join(d, name), 'wronly, creat');
    write(fd, Buffer.alloc(64 * 1024, 1));
    t.true(cachestat(fd).nr_dirty > 0n, `${name}: dirty before`);
    sync(fd);
    const cs = cachestat(fd);
    t.is(cs.nr_dirty, 0n, `${name}: clean after`);
    t.is(cs.nr_writeback, 0n, `${name}: written back`);
  }
  using fd = open(join(d, 'fsync'));
  t.throws(() => sync_file_range(fd, 0, 0, 'bogus'), { instanceOf: TypeError });
  t.throws(() => fsync(-1), { code: 'EBADF' });
});

test('truncate and ftruncate set the size', (t) => {
  const p = join(tmp(t), 't');
  writeFileSync(p, '0123456789');
  truncate(p, 4);
  t.is(readFileSync(p, 'utf8'), '0123');
  using fd = open(p, 'rdwr');
  ftruncate(fd, 8n);
  t.deepEqual(readFileSync(p), Buffer.from('0123\0\0\0\0'));
  fd.ftruncate(0);
  t.is(statSync(p).size, 0);
  t.throws(() => truncate(join(p, 'x'), 0), { code: 'ENOTDIR' });
  t.throws(() => ftruncate(fd, -1), { instanceOf: RangeError });
});

(tmpIsDisk ? test : test.skip)(`fallocate allocates, keeps the size, and punches holes${tmpIsDisk ? '' : ' (skipped: the temp dir is on tmpfs)'}`, (t) => {
  const p = join(tmp(t), 'fa');
  using fd = open(p, 'rdwr, creat');
  fallocate(fd, 0, 0, 8192);
  t.is(statSync(p).size, 8192);
  fd.fallocate('keep_size', 8192, 1 << 20);
  const st = statSync(p);
  t.is(st.size, 8192);
  t.true(st.blocks * 512 >= (1 << 20) + 8192);
  pwrite(fd, Buffer.alloc(8192, 7), 0);
  fsync(fd);
  fallocate(fd, 'punch_hole, keep_size', 0, 4096);
  t.deepEqual(pread(fd, 4096, 0), Buffer.alloc(4096));
  t.deepEqual(pread(fd, 4096, 4096), Buffer.alloc(4096, 7));
  t.true(statSync(p).blocks < st.blocks);
  t.throws(() => fallocate(fd, 'punch_hole', 0, 4096), { code: 'EOPNOTSUPP' }); // punch_hole needs keep_size
});

(tmpIsDisk ? needs('cachestat') : skip)(`fadvise drops and preloads page cache${tmpIsDisk ? '' : ' (skipped: the temp dir is on tmpfs)'}`, (t) => {
  const p = join(tmp(t), 'fadv');
  writeFileSync(p, Buffer.alloc(256 * 1024, 3));
  using fd = open(p);
  fsync(fd);
  fadvise(fd, 0, 0, 'dontneed');
  t.is(cachestat(fd).nr_cache, 0n);
  fd.fadvise(0, 0, 'willneed');
  t.true(cachestat(fd).nr_cache > 0n);
  fadvise(fd, 0, 0, POSIX_FADV.SEQUENTIAL);
  t.throws(() => fadvise(fd, 0, 0, 'often' as never), { instanceOf: TypeError, message: /unknown POSIX_FADV flag/ });
  t.throws(() => fadvise(fd, 0, 0, 99), { code: 'EINVAL' });
});

// ---------------------------------------------------------------------------------------------------------------------
// stat, statx, statfs

test('stat, lstat and fstatat agree with node:fs, following symlinks or not', (t) => {
  const d = tmp(t);
  const p = join(d, 'f');
  writeFileSync(p, 'twelve bytes');
  symlinkSync('f', join(d, 'l'));
  const st = stat(join(d, 'l'));
  const node = statSync(p, { bigint: true });
  t.true(st.isFile());
  t.is(st.size, 12n);
  t.is(st.ino, node.ino);
  t.is(st.mtimeNs, node.mtimeNs);
  t.true(lstat(join(d, 'l')).isSymbolicLink());
  t.is(lstat(join(d, 'l')).ino, lstatSync(join(d, 'l'), { bigint: true }).ino);
  using dir = open(d, 'rdonly, directory');
  t.true(fstatat(dir, 'l', 'symlink_nofollow').isSymbolicLink());
  t.true(fstatat(dir, 'l').isFile());
  t.true(dir.fstatat('', 'empty_path').isDirectory());
  const reuse = fstat(dir);
  t.is(stat(p, reuse), reuse);
  t.is(reuse.size, 12n);
  t.throws(() => stat(join(d, 'none')), { code: 'ENOENT', message: /stat '.*none'/ });
  t.throws(() => stat(p, {} as never), { instanceOf: TypeError, message: /st must be a Stat/ });
});

needs('statxMntId')('statx fills the fields asked for, with times as bigint ns and Dates', (t) => {
  const d = tmp(t);
  const p = join(d, 'x');
  writeFileSync(p, 'statx!', { mode: 0o640 });
  const stx = statx(CWD, p);
  const node = statSync(p, { bigint: true });
  t.true(stx instanceof Statx);
  t.true(stx.has('basic_stats'));
  t.is(stx.mask & abi.STATX.SIZE, abi.STATX.SIZE);
  t.is(stx.size, 6n);
  t.is(stx.perm, 0o640 & ~process.umask());
  t.true(stx.isFile());
  t.false(stx.isDirectory());
  t.is(stx.ino, node.ino);
  t.is(stx.nlink, 1);
  t.is(stx.uid, Number(node.uid));
  t.is(stx.gid, Number(node.gid));
  t.is(stx.blocks, node.blocks);
  t.is(stx.blksize, Number(node.blksize));
  t.is(stx.mtimeNs, node.mtimeNs);
  t.is(stx.atimeNs, node.atimeNs);
  t.is(stx.ctimeNs, node.ctimeNs);
  t.is(stx.mtime.getTime(), Number(node.mtimeMs));
  if (stx.has('btime')) {
    t.is(stx.btimeNs, node.birthtimeNs);
    t.is(stx.btime.getTime(), Number(node.birthtimeMs));
  }
  t.is(BigInt(makedev(stx.devMajor, stx.devMinor)), node.dev);
  // the fd itself, with empty_path; the mount ID when asked
  using fd = open(p);
  const viaFd = fd.statx('', 'empty_path', 'basic_stats, mnt_id');
  t.true(viaFd.has('mnt_id'));
  t.true(viaFd.mntId > 0n);
  t.is(viaFd.ino, node.ino);
  t.is(typeof viaFd.attributes, 'bigint');
  t.is(typeof viaFd.attributesMask, 'bigint');
  t.is(typeof viaFd.dioMemAlign, 'number');
  t.is(typeof viaFd.dioOffsetAlign, 'number');
  t.is(viaFd.rdevMajor, 0);
  t.is(viaFd.rdevMinor, 0);
  t.is(viaFd.atime.getTime(), Number(node.atimeMs));
  t.is(viaFd.ctime.getTime(), Number(node.ctimeMs));
  symlinkSync('x', join(d, 'lx'));
  t.true(statx(CWD, join(d, 'lx'), 'symlink_nofollow', 'type').isSymbolicLink());
  t.true(statx(CWD, '/dev/null').isCharacterDevice());
  t.true(statx(CWD, d).isDirectory());
  t.throws(() => statx(CWD, p, 0, 'bogus'), { instanceOf: TypeError, message: /unknown STATX flag/ });
  t.throws(() => statx(CWD, p, 0, 'size', {} as never), { instanceOf: TypeError });
});

test('statfs and fstatfs report the filesystem, as node:fs does', (t) => {
  const d = tmp(t);
  const sfs = statfs(d);
  const node = statfsSync(d, { bigint: true });
  t.true(sfs instanceof Statfs);
  t.is(BigInt(sfs.type), node.type);
  t.is(BigInt(sfs.bsize), node.bsize);
  t.is(sfs.blocks, node.blocks);
  t.is(sfs.files, node.files);
  t.true(sfs.bavail <= sfs.bfree);
  t.true(sfs.ffree <= sfs.files);
  t.true(sfs.namelen >= 255);
  t.true(sfs.frsize > 0);
  t.is(typeof sfs.flags, 'number');
  t.is(sfs.fsid.length, 2);
  // a memfd lives on tmpfs (shmem)
  using m = memfd_create('statfs');
  t.is(fstatfs(m).type, 0x01021994);
  t.is(m.fstatfs(sfs), sfs);
  t.throws(() => statfs(join(d, 'none')), { code: 'ENOENT' });
  t.throws(() => statfs(d, new Uint8Array(4) as never), { instanceOf: TypeError, message: /sfs must be a Statfs/ });
});

// ---------------------------------------------------------------------------------------------------------------------
// Permissions and owners

test('access and faccessat2 check existence and permissions', (t) => {
  const d = tmp(t);
  const p = join(d, 'a');
  writeFileSync(p, '', { mode: 0o644 });
  access(p);
  access(p, 'rw');
  access(p, 'r|w');
  access(p, ['R_OK', 'W_OK']);
  access(p, ACCESS.R);
  // no execute bit anywhere: even root may not execute it
  t.throws(() => access(p, 'x'), { code: 'EACCES', message: /access '.*a'/ });
  t.throws(() => access(join(d, 'none')), { code: 'ENOENT' });
  symlinkSync('none', join(d, 'dangling'));
  t.throws(() => faccessat2(CWD, join(d, 'dangling')), { code: 'ENOENT' });
  faccessat2(CWD, join(d, 'dangling'), 'f', 'symlink_nofollow');
  using dir = open(d, 'rdonly, directory');
  dir.faccessat2('a', 'r', 'eaccess');
  t.throws(() => faccessat2(dir, 'a', 'x', 'eaccess'), { code: 'EACCES' });
  t.throws(() => access(p, 'q' as never), { instanceOf: TypeError, message: /unknown access flag 'q'/ });
});

needs('fchmodat2')('chmod, fchmod and fchmodat set permission bits', (t) => {
  const d = tmp(t);
  const p = join(d, 'm');
  writeFileSync(p, '');
  chmod(p, 0o604);
  t.is(statSync(p).mode & 0o7777, 0o604);
  using fd = open(p);
  fchmod(fd, '4750');
  t.is(statSync(p).mode & 0o7777, 0o4750);
  fd.fchmod(0o600);
  t.is(statSync(p).mode & 0o7777, 0o600);
  using dir = open(d, 'rdonly, directory');
  fchmodat(dir, 'm', 0o640);
  t.is(statSync(p).mode & 0o7777, 0o640);
  // with a flag: fchmodat2
  dir.fchmodat('m', 0o644, 'symlink_nofollow');
  t.is(statSync(p).mode & 0o7777, 0o644);
  symlinkSync('m', join(d, 'l'));
  const e = t.throws(() => fchmodat(dir, 'l', 0o600, 'symlink_nofollow'), { code: 'EOPNOTSUPP' }) as SyscallError;
  t.is(e.syscall, 'fchmodat2');
  t.is(statSync(p).mode & 0o7777, 0o644);
  t.throws(() => chmod(p, 'rwx' as never), { instanceOf: TypeError });
  t.throws(() => chmod(join(d, 'none'), 0o600), { code: 'ENOENT' });
});

(isRoot ? needs('hostIds') : skip)(`chown, fchown, lchown and fchownat set owners${isRoot ? '' : ' (skipped: needs root)'}`, (t) => {
  const d = tmp(t);
  const p = join(d, 'o');
  writeFileSync(p, '');
  symlinkSync('o', join(d, 'l'));
  chown(p, 1234, 5678);
  t.like(statSync(p), { uid: 1234, gid: 5678 });
  using fd = open(p);
  fchown(fd, 2000);
  t.like(statSync(p), { uid: 2000, gid: 5678 });
  fd.fchown(-1, 3000);
  t.like(statSync(p), { uid: 2000, gid: 3000 });
  lchown(join(d, 'l'), 4000, 4001);
  t.like(lstatSync(join(d, 'l')), { uid: 4000, gid: 4001 });
  t.like(statSync(p), { uid: 2000, gid: 3000 });
  using dir = open(d, 'rdonly, directory');
  fchownat(dir, 'l', 5000, 5001);
  t.like(statSync(p), { uid: 5000, gid: 5001 });
  dir.fchownat('l', 6000, 6001, 'symlink_nofollow');
  t.like(lstatSync(join(d, 'l')), { uid: 6000, gid: 6001 });
  t.like(statSync(p), { uid: 5000, gid: 5001 });
  t.throws(() => chown(p, 2 ** 32), { instanceOf: RangeError });
  t.throws(() => lchown(join(d, 'none'), 0), { code: 'ENOENT' });
});

test('umask sets the creation mask and returns the old one', (t) => {
  const old = umask(0o027);
  t.teardown(() => umask(old));
  t.is(umask(0o077), 0o027);
  const p = join(tmp(t), 'u');
  open(p, 'wronly, creat', 0o666).close();
  t.is(statSync(p).mode & 0o777, 0o600);
  t.is(umask(old), 0o077);
  t.throws(() => umask(0o1777), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------------------------------------------------
// Links, names, directories

test('link, linkat, symlink, symlinkat, readlink and readlinkat', (t) => {
  const d = tmp(t);
  const p = join(d, 'orig');
  writeFileSync(p, 'shared');
  link(p, join(d, 'hard'));
  t.is(statSync(p).nlink, 2);
  t.is(statSync(join(d, 'hard')).ino, statSync(p).ino);
  using dir = open(d, 'rdonly, directory');
  linkat(dir, 'orig', CWD, join(d, 'hard2'));
  t.is(statSync(p).nlink, 3);
  symlink('orig', join(d, 'sym'));
  t.is(readlinkSync(join(d, 'sym')), 'orig');
  symlinkat('hard', dir, 'sym2');
  t.is(readFileSync(join(d, 'sym2'), 'utf8'), 'shared');
  // linkat follows a symlink only when asked
  dir.linkat('sym', dir, 'hard3', 'symlink_follow');
  t.true(lstatSync(join(d, 'hard3')).isFile());
  linkat(dir, 'sym', dir, 'sym3');
  t.true(lstatSync(join(d, 'sym3')).isSymbolicLink());
  t.is(readlink(join(d, 'sym')), 'orig');
  t.deepEqual(readlink(join(d, 'sym'), 'buffer'), Buffer.from('orig'));
  t.is(readlinkat(dir, 'sym2'), 'hard');
  t.is(dir.readlinkat('sym2', 'hex'), Buffer.from('hard').toString('hex'));
  t.deepEqual(dir.readlinkat('sym2', 'buffer'), Buffer.from('hard'));
  const long = 'x/'.repeat(2000) + 'y';
  symlink(long, join(d, 'long'));
  t.is(readlink(join(d, 'long')), long);
  // an O_TMPFILE file gets a name with linkat('', 'empty_path')
  using anon = open(d, 'wronly, tmpfile', 0o600);
  write(anon, 'was anonymous');
  linkat(anon, '', dir, 'named', 'empty_path');
  t.is(readFileSync(join(d, 'named'), 'utf8'), 'was anonymous');
  const e = t.throws(() => link(p, join(d, 'hard')), { code: 'EEXIST' }) as SyscallError;
  t.is(e.dest, join(d, 'hard'));
  t.throws(() => readlink(p), { code: 'EINVAL' });
  t.throws(() => readlink(p, 'nope' as never), { code: 'EINVAL' });
  t.throws(() => readlink(join(d, 'sym'), 'nope' as never), { instanceOf: TypeError, message: /encoding/ });
});

test('unlink, unlinkat, rename and renameat2 with noreplace and exchange', (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'a'), 'A');
  writeFileSync(join(d, 'b'), 'B');
  rename(join(d, 'a'), join(d, 'a2'));
  t.false(existsSync(join(d, 'a')));
  t.is(readFileSync(join(d, 'a2'), 'utf8'), 'A');
  using dir = open(d, 'rdonly, directory');
  t.throws(() => renameat2(dir, 'a2', dir, 'b', 'noreplace'), { code: 'EEXIST' });
  renameat2(dir, 'a2', dir, 'b', 'exchange');
  t.is(readFileSync(join(d, 'a2'), 'utf8'), 'B');
  t.is(readFileSync(join(d, 'b'), 'utf8'), 'A');
  dir.renameat2('b', CWD, join(d, 'c'), 'noreplace');
  t.is(readFileSync(join(d, 'c'), 'utf8'), 'A');
  unlink(join(d, 'c'));
  t.false(existsSync(join(d, 'c')));
  unlinkat(dir, 'a2');
  t.false(existsSync(join(d, 'a2')));
  mkdirSync(join(d, 'sub'));
  t.throws(() => unlinkat(dir, 'sub'), { code: 'EISDIR' });
  dir.unlinkat('sub', 'removedir');
  t.false(existsSync(join(d, 'sub')));
  t.throws(() => unlink(join(d, 'none')), { code: 'ENOENT' });
  t.throws(() => rename(join(d, 'none'), join(d, 'x')), { code: 'ENOENT' });
  t.throws(() => renameat2(dir, 'x', dir, 'y', 'sideways'), { instanceOf: TypeError, message: /unknown RENAME flag/ });
});

test('mkdir, mkdirat and rmdir', (t) => {
  const d = tmp(t);
  mkdir(join(d, 'one'), 0o750);
  t.true(statSync(join(d, 'one')).isDirectory());
  t.is(statSync(join(d, 'one')).mode & 0o777, 0o750 & ~process.umask());
  using dir = open(d, 'rdonly, directory');
  mkdirat(dir, 'two');
  dir.mkdirat('three', '700');
  t.true(statSync(join(d, 'two')).isDirectory());
  t.is(statSync(join(d, 'three')).mode & 0o777, 0o700);
  t.throws(() => mkdir(join(d, 'one')), { code: 'EEXIST' });
  writeFileSync(join(d, 'one', 'f'), '');
  t.throws(() => rmdir(join(d, 'one')), { code: 'ENOTEMPTY' });
  rmdir(join(d, 'two'));
  t.false(existsSync(join(d, 'two')));
});

needs('deviceNodes')('mknod and mknodat make FIFOs and (as root) device nodes', (t) => {
  const d = tmp(t);
  mknod(join(d, 'fifo'), S.IFIFO | 0o600);
  t.true(statSync(join(d, 'fifo')).isFIFO());
  using dir = open(d, 'rdonly, directory');
  dir.mknodat('fifo2', S.IFIFO | 0o644);
  t.true(lstatSync(join(d, 'fifo2')).isFIFO());
  mknodat(dir, 'plain', S.IFREG | 0o600);
  t.true(statSync(join(d, 'plain')).isFile());
  t.is(makedev(1, 3), 259);
  t.deepEqual(devParts(makedev(259, 70000)), { major: 259, minor: 70000 });
  if (isRoot) {
    mknod(join(d, 'null'), S.IFCHR | 0o666, makedev(1, 3));
    const st = statSync(join(d, 'null'));
    t.true(st.isCharacterDevice());
    t.is(st.rdev, statSync('/dev/null').rdev);
    t.deepEqual(devParts(stat(join(d, 'null')).rdev), { major: 1, minor: 3 });
  }
  t.throws(() => mknod(join(d, 'fifo'), S.IFIFO | 0o600), { code: 'EEXIST' });
  t.throws(() => makedev(4096, 0), { instanceOf: RangeError });
});

test('getdents iterates linux_dirent64 records: names, types, inodes', (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'file'), '');
  mkdirSync(join(d, 'dir'));
  symlinkSync('file', join(d, 'link'));
  mknod(join(d, 'fifo'), S.IFIFO | 0o600);
  for (let i = 0; i < 50; i++) writeFileSync(join(d, `n${i}`), '');
  const byName = new Map<string, Dirent>();
  using dir = open(d, 'rdonly, directory');
  for (const e of getdents(dir, 256)) byName.set(e.name, e); // small buffer: several getdents64 calls
  t.is(byName.size, 56);
  t.is(byName.get('n7')!.name, 'n7');
  t.true(byName.get('.')!.isDirectory());
  t.true(byName.get('..')!.isDirectory());
  t.true(byName.get('file')!.isFile());
  t.is(byName.get('dir')!.type, DT.DIR);
  t.true(byName.get('link')!.isSymbolicLink());
  t.true(byName.get('fifo')!.isFIFO());
  t.false(byName.get('fifo')!.isSocket());
  t.false(byName.get('file')!.isCharacterDevice());
  t.false(byName.get('file')!.isBlockDevice());
  t.is(byName.get('file')!.ino, statSync(join(d, 'file'), { bigint: true }).ino);
  t.deepEqual(byName.get('dir')!.nameBuffer, Buffer.from('dir'));
  t.is(typeof byName.get('n7')!.off, 'bigint');
  // at the end: nothing more; after a rewind, everything again, through the Fd method
  t.is([...getdents(dir)].length, 0);
  lseek(dir, 0);
  t.is([...dir.getdents()].length, 56);
  // a buffer too small for one record
  mkdirSync(join(d, 'long'));
  writeFileSync(join(d, 'long', 'x'.repeat(100)), '');
  using long = open(join(d, 'long'), 'rdonly, directory');
  t.throws(() => [...getdents(long, 24)], { code: 'EINVAL' });
  t.throws(() => getdents(dir, 8), { instanceOf: RangeError });
  using dev = open('/dev');
  t.true([...getdents(dev)].some((e) => e.name === 'null' && e.isCharacterDevice()));
  using f = open(join(d, 'file'));
  t.throws(() => [...getdents(f)], { code: 'ENOTDIR' });
});

test('getcwd, chdir and fchdir move the working directory (restored after)', (t) => {
  const before = process.cwd();
  t.teardown(() => process.chdir(before));
  t.is(getcwd(), before);
  const d = realpathSync(tmp(t));
  chdir(d);
  t.is(getcwd(), d);
  writeFileSync('relative', 'here'); // node resolves a relative path against the kernel's working directory
  t.true(existsSync(join(d, 'relative')));
  using root = open('/', 'rdonly, directory');
  fchdir(root);
  t.is(getcwd(), '/');
  mkdirSync(join(d, 'sub'));
  using sub = open(join(d, 'sub'), 'rdonly, directory');
  sub.fchdir();
  t.is(getcwd(), join(d, 'sub'));
  writeFileSync(join(d, 'file'), '');
  t.throws(() => chdir(join(d, 'file')), { code: 'ENOTDIR', message: /chdir '.*file'/ });
  chdir(before);
  t.is(getcwd(), before);
});

(hasUnshare ? needs('userns') : skip)(`chroot in a child in a fresh mount namespace${hasUnshare ? '' : ' (skipped: no unshare(1))'}`, (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'marker'), 'in the jail');
  const code = `
    import { chroot, chdir, getcwd, stat } from ${JSON.stringify(FS_URL)};
    import { readFileSync } from 'node:fs';
    chroot(${JSON.stringify(d)});
    chdir('/');
    let err; try { stat('/etc/passwd'); } catch (e) { err = e.code; }
    console.log(JSON.stringify({ cwd: getcwd(), marker: readFileSync('/marker', 'utf8'), err }));`;
  // root: a mount namespace; otherwise a user namespace that maps us to root
  const r = child(code, isRoot ? ['unshare', '--mount', '--fork'] : ['unshare', '--user', '--map-root-user', '--mount', '--fork']);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.out, { cwd: '/', marker: 'in the jail', err: 'ENOENT' });
  if (!isRoot) t.throws(() => chroot(d), { code: 'EPERM' });
  t.throws(() => chroot(join(d, 'marker')), { code: 'ENOTDIR' }); // the path is looked up before the capability is checked
});

// ---------------------------------------------------------------------------------------------------------------------
// Times

test('utimensat and futimens set times from seconds, bigint ns, Dates, now and omit', (t) => {
  const d = tmp(t);
  const p = join(d, 't');
  writeFileSync(p, '');
  utimensat(CWD, p, 1_600_000_000.25, 1_500_000_000n * 1_000_000_000n + 123_456_789n);
  let st = statSync(p, { bigint: true });
  t.is(st.atimeNs, 1_600_000_000_250_000_000n);
  t.is(st.mtimeNs, 1_500_000_000_123_456_789n);
  using dir = open(d, 'rdonly, directory');
  dir.utimensat('t', new Date('2001-02-03T04:05:06.789Z'), 'omit');
  st = statSync(p, { bigint: true });
  t.is(st.atimeMs, BigInt(Date.parse('2001-02-03T04:05:06.789Z')));
  t.is(st.mtimeNs, 1_500_000_000_123_456_789n);
  using fd = open(p);
  futimens(fd, 'omit', -1_000_000_001n); // before the epoch
  t.is(statSync(p, { bigint: true }).mtimeNs, -1_000_000_001n);
  const now = BigInt(Date.now()) * 1_000_000n;
  fd.futimens();
  st = statSync(p, { bigint: true });
  t.true(st.atimeNs >= now - 5_000_000_000n && st.mtimeNs >= now - 5_000_000_000n);
  // on the symlink itself
  symlinkSync('t', join(d, 'l'));
  utimensat(dir, 'l', 0, 0, 'symlink_nofollow');
  t.is(lstatSync(join(d, 'l'), { bigint: true }).mtimeNs, 0n);
  t.not(statSync(p, { bigint: true }).mtimeNs, 0n);
  t.throws(() => futimens(fd, NaN), { instanceOf: RangeError });
  t.throws(() => futimens(fd, 'later' as never), { instanceOf: TypeError, message: /unknown UTIME flag/ });
  t.throws(() => futimens(fd, {} as never), { instanceOf: TypeError, message: /atime must be/ });
  t.throws(() => utimensat(CWD, join(d, 'none')), { code: 'ENOENT' });
});

// ---------------------------------------------------------------------------------------------------------------------
// Locks and fcntl

test('flock: two open file descriptions contend for the lock', (t) => {
  const p = join(tmp(t), 'lock');
  writeFileSync(p, '');
  using a = open(p);
  using b = open(p);
  flock(a, 'ex');
  const e = t.throws(() => flock(b, 'ex, nb'), { instanceOf: SyscallError }) as SyscallError;
  t.is(-e.errno, E.WOULDBLOCK);
  const wouldBlock = (f: () => void) => t.is((t.throws(f, { instanceOf: SyscallError }) as SyscallError).errno, -E.WOULDBLOCK);
  wouldBlock(() => b.flock('sh|nb'));
  // a dup shares the description, and so the lock
  using a2 = dup(a);
  flock(a2, 'ex, nb');
  a.flock('un');
  b.flock(['sh', 'nb']);
  flock(a, 'sh, nb'); // shared locks coexist
  wouldBlock(() => flock(a, 'ex, nb'));
  t.throws(() => flock(a, 'fast'), { instanceOf: TypeError, message: /unknown LOCK flag 'fast'/ });
});

test('fcntl getfd/setfd and getfl/setfl, with flags relative to the current ones', (t) => {
  const p = join(tmp(t), 'fl');
  writeFileSync(p, '');
  using fd = open(p, 'rdwr');
  t.is(fcntl(fd, 'getfd'), 0);
  fcntl(fd, 'setfd', 'cloexec');
  t.is(fd.fcntl('F_GETFD'), abi.FD.CLOEXEC);
  fd.fcntl('setfd', '~cloexec');
  t.is(fcntl(fd, 'getfd'), 0);
  fcntl(fd, 'setfl', 'nonblock');
  let fl = fcntl(fd, 'getfl');
  t.is(fl & abi.O.NONBLOCK, abi.O.NONBLOCK);
  t.is(fl & abi.O.ACCMODE, abi.O.RDWR);
  fcntl(fd, 'setfl', 'append');
  fl = fcntl(fd, 'getfl');
  t.is(fl & (abi.O.NONBLOCK | abi.O.APPEND), abi.O.NONBLOCK | abi.O.APPEND); // added to, not replacing
  fcntl(fd, 'setfl', '~nonblock');
  fl = fcntl(fd, 'getfl');
  t.is(fl & abi.O.NONBLOCK, 0);
  t.is(fl & abi.O.APPEND, abi.O.APPEND);
  write(fd, 'x');
  pwrite(fd, 'y', 0); // O_APPEND: even pwrite appends on Linux
  t.is(readFileSync(p, 'utf8'), 'xy');
  fcntl(fd, 'setfl', 0); // a number replaces
  t.is(fcntl(fd, 'getfl') & abi.O.APPEND, 0);
  fcntl(fd, F.SETFL, abi.O.NONBLOCK);
  t.is(fcntl(fd, F.GETFL) & abi.O.NONBLOCK, abi.O.NONBLOCK);
  t.throws(() => fcntl(fd, 'setfl' as never), { instanceOf: TypeError, message: /missing/ });
  t.throws(() => fcntl(fd, 'getgl' as never), { instanceOf: TypeError, message: /unknown fcntl command flag 'getgl'/ });
  t.throws(() => fcntl(fd, 'rdlck' as never), { instanceOf: TypeError });
  t.throws(() => fcntl(fd, 9999), { instanceOf: TypeError, message: /unknown command/ });
  t.throws(() => fcntl(-1, 'getfd'), { code: 'EBADF', message: /fcntl/ });
});

test('fcntl dupfd and dupfd_cloexec return Fds at or above the minimum', (t) => {
  const p = join(tmp(t), 'dupfd');
  writeFileSync(p, 'dup');
  using fd = open(p);
  using a = fcntl(fd, 'dupfd', 300);
  t.true(a instanceof Fd);
  t.true(a.fileno >= 300);
  t.is(fcntl(a, 'getfd'), 0);
  using b = fd.fcntl('F_DUPFD_CLOEXEC');
  t.is(b.fcntl('getfd'), abi.FD.CLOEXEC);
  t.is(read(b, 3).toString(), 'dup');
  t.is(read(a, 3).length, 0); // shared offset
  t.throws(() => fcntl(fd, 'dupfd', -1), { instanceOf: RangeError });
});

test('fcntl OFD locks conflict between two open file descriptions of one process', (t) => {
  const p = join(tmp(t), 'ofd');
  writeFileSync(p, Buffer.alloc(100));
  using a = open(p, 'rdwr');
  using b = open(p, 'rdwr');
  fcntl(a, 'ofd_setlk', { type: 'wrlck', start: 0, len: 10 });
  const l = fcntl(b, 'ofd_getlk', { type: 'rdlck', start: 5, len: 1 });
  t.true(l instanceof Lock);
  t.is(l.type, 'wrlck');
  t.is(l.start, 0n);
  t.is(l.len, 10n);
  t.is(l.pid, -1);
  t.is(l.whence, abi.SEEK.SET);
  t.throws(() => fcntl(b, 'ofd_setlk', { type: 'rdlck', start: 0, len: 1 }), { code: 'EAGAIN' });
  t.is(b.fcntl('ofd_getlk', { type: 'wrlck', start: 10, len: 5 }).type, 'unlck');
  b.fcntl('ofd_setlkw', { type: 'wrlck', start: 10, whence: 'set', len: 5 });
  a.fcntl('F_OFD_SETLK', Lock.from({ type: 'unlck' }));
  t.is(fcntl(b, 'ofd_getlk', { type: 'wrlck' }).type, 'unlck'); // its own lock does not conflict
  t.is(fcntl(a, 'ofd_getlk', { type: 'wrlck', start: 0, len: 0 }).start, 10n);
  t.throws(() => fcntl(a, 'ofd_setlk', { type: 'exclusive' as never }), { instanceOf: TypeError, message: /unknown lock type/ });
  t.throws(() => fcntl(a, 'ofd_setlk', null as never), { instanceOf: TypeError });
});

test('fcntl process-associated locks are seen by another process', (t) => {
  const p = join(tmp(t), 'posix');
  writeFileSync(p, Buffer.alloc(100));
  using fd = open(p, 'rdwr');
  fcntl(fd, 'setlkw', { type: 'wrlck', start: 0, len: 100 });
  const code = `
    import { fcntl, open } from ${JSON.stringify(FS_URL)};
    const f = open(${JSON.stringify(p)}, 'rdwr');
    const l = fcntl(f, 'getlk', { type: 'rdlck', start: 50, len: 1 });
    let err = null; try { fcntl(f, 'setlk', { type: 'rdlck' }); } catch (e) { err = e.code; }
    console.log(JSON.stringify({ type: l.type, pid: l.pid, start: String(l.start), len: String(l.len), err }));`;
  let r = child(code);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.out, { type: 'wrlck', pid: process.pid, start: '0', len: '100', err: 'EAGAIN' });
  fcntl(fd, 'setlk', { type: 'unlck', start: 0, len: 100 });
  r = child(code);
  t.is(r.status, 0, r.stderr);
  t.like(r.out, { type: 'unlck', err: null }); // nothing conflicts now, and the child gets its lock
});

test('fcntl seals on a memfd and pipe sizes', (t) => {
  using m = memfd_create('sealed', 'cloexec, allow_sealing');
  write(m, 'fixed');
  t.is(fcntl(m, 'get_seals'), 0);
  fcntl(m, 'add_seals', 'write, shrink');
  t.is(m.fcntl('F_GET_SEALS'), abi.F_SEAL.WRITE | abi.F_SEAL.SHRINK);
  t.throws(() => write(m, 'more'), { code: 'EPERM' });
  t.throws(() => ftruncate(m, 1), { code: 'EPERM' });
  m.fcntl('add_seals', 'seal');
  t.throws(() => fcntl(m, 'add_seals', 'grow'), { code: 'EPERM' });
  using plain = memfd_create('unsealable');
  t.throws(() => fcntl(plain, 'add_seals', 'write'), { code: 'EPERM' });
  const [r, w] = pipe2();
  using _r = r;
  using _w = w;
  t.is(fcntl(w, 'getpipe_sz'), 65536);
  t.true(fcntl(w, 'setpipe_sz', 200000) >= 200000);
  t.true(r.fcntl('getpipe_sz') >= 200000);
  // a pointer command through a Buffer, checked against its size
  const owner = Buffer.alloc(abi.FOwnerEx.size);
  t.is(fcntl(r, 'getown_ex', owner), 0);
  t.throws(() => fcntl(r, 'getown_ex', Buffer.alloc(4)), { instanceOf: RangeError });
  t.throws(() => fcntl(r, F.GETOWN_EX, 5), { instanceOf: TypeError, message: /Buffer of 8 bytes/ });
  t.is(fcntl(r, 'setown', process.pid), 0);
  t.is(fcntl(r, 'getown'), process.pid);
});

// ---------------------------------------------------------------------------------------------------------------------
// dup, pipes, in-kernel copies, memfd

test('dup shares the open file description; dup3 replaces a number and its owner forgets it', (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'a'), 'aaaa');
  writeFileSync(join(d, 'b'), 'bbbb');
  using a = open(join(d, 'a'));
  using d1 = a.dup();
  t.not(d1.fileno, a.fileno);
  read(d1, 2);
  t.is(lseek(a, 0, 'cur'), 2);
  const b = open(join(d, 'b'));
  const n = b.fileno;
  using c = dup3(a, b, 'cloexec');
  t.is(c.fileno, n);
  t.true(b.closed); // its number now belongs to c
  b.close(); // and closing the stale Fd does nothing to c
  t.is(read(c, 2).toString(), 'aa');
  t.is(fcntl(c, 'getfd'), abi.FD.CLOEXEC);
  // onto a plain number
  using e = dup3(a, 650);
  t.is(e.fileno, 650);
  lseek(a, 0);
  t.is(read(650, 4).toString(), 'aaaa');
  t.throws(() => dup3(a, a), { code: 'EINVAL' });
  t.throws(() => dup3(a, -5), { instanceOf: RangeError });
  t.throws(() => dup(-1), { code: 'EBADF' });
});

test('pipe2 returns [read, write] Fds with the flags asked for', (t) => {
  const [r, w] = pipe2('cloexec, nonblock');
  using _r = r;
  using _w = w;
  t.is(fcntl(r, 'getfd'), abi.FD.CLOEXEC);
  t.is(fcntl(w, 'getfl') & abi.O.NONBLOCK, abi.O.NONBLOCK);
  t.throws(() => read(r, 1), { code: 'EAGAIN' });
  write(w, 'through');
  t.is(read(r, 100).toString(), 'through');
  t.true(fstat(r).isFIFO());
  t.throws(() => pipe2('readable' as never), { instanceOf: TypeError });
});

test('copy_file_range and sendfile copy between files at offsets or file positions', (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'src'), '0123456789');
  using src = open(join(d, 'src'));
  using dst = open(join(d, 'dst'), 'rdwr, creat');
  t.is(copy_file_range(src, 2, dst, null, 5), 5);
  t.is(readFileSync(join(d, 'dst'), 'utf8'), '23456');
  t.is(lseek(src, 0, 'cur'), 0); // an explicit offset leaves the file position
  t.is(lseek(dst, 0, 'cur'), 5); // null uses and moves it
  t.is(src.copy_file_range(null, dst, 1n, 3), 3);
  t.is(readFileSync(join(d, 'dst'), 'utf8'), '20126');
  t.is(lseek(src, 0, 'cur'), 3);
  using out = open(join(d, 'out'), 'wronly, creat');
  t.is(sendfile(out, src, 7, 100), 3);
  t.is(readFileSync(join(d, 'out'), 'utf8'), '789');
  t.is(lseek(src, 0, 'cur'), 3);
  t.is(out.sendfile(src, null, 2), 2);
  t.is(readFileSync(join(d, 'out'), 'utf8'), '78934');
  t.is(lseek(src, 0, 'cur'), 5);
  t.throws(() => copy_file_range(src, -1, dst, null, 1), { instanceOf: RangeError });
  t.throws(() => sendfile(out, src, 'x' as never, 1), { instanceOf: TypeError });
});

test('splice, tee and vmsplice move data through pipes', (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'in'), 'spliced data');
  using file = open(join(d, 'in'));
  const [r1, w1] = pipe2();
  const [r2, w2] = pipe2();
  using _a = r1; using _b = w1; using _c = r2; using _d = w2;
  t.is(splice(file, 8, w1, null, 4), 4);
  t.is(lseek(file, 0, 'cur'), 0);
  t.is(tee(r1, w2, 100), 4); // duplicated, not consumed
  t.is(read(r2, 10).toString(), 'data');
  using out = open(join(d, 'out'), 'wronly, creat');
  t.is(r1.splice(null, out, 0, 100, 'move'), 4);
  t.is(readFileSync(join(d, 'out'), 'utf8'), 'data');
  const keep = [Buffer.from('vm'), 'splice'];
  t.is(vmsplice(w1, keep), 8);
  t.is(read(r1, 100).toString(), 'vmsplice');
  // the read direction fills Buffers
  write(w2, 'back');
  const into = [Buffer.alloc(2), Buffer.alloc(2)];
  t.is(r2.vmsplice(into), 4);
  t.is(Buffer.concat(into).toString(), 'back');
  t.throws(() => r1.tee(out, 1), { code: 'EINVAL' }); // out is not a pipe
  t.throws(() => splice(file, null, out, null, 1), { code: 'EINVAL' }); // neither is a pipe
  t.throws(() => vmsplice(w1, ['a'], 'slowly'), { instanceOf: TypeError, message: /unknown SPLICE flag/ });
});

test('memfd_create makes an anonymous file named in /proc', (t) => {
  using m = memfd_create('tsyscall-memfd', 'cloexec');
  t.is(readlinkSync(`/proc/self/fd/${m.fileno}`), '/memfd:tsyscall-memfd (deleted)');
  t.is(fcntl(m, 'getfd'), abi.FD.CLOEXEC);
  write(m, 'in memory');
  t.is(pread(m, 100, 0).toString(), 'in memory');
  t.is(fstat(m).size, 9n);
  t.throws(() => memfd_create('x'.repeat(300)), { code: 'EINVAL' });
  t.throws(() => memfd_create('a\0b'), { instanceOf: TypeError });
});

// ---------------------------------------------------------------------------------------------------------------------
// Extended attributes

(xattrOk ? needs('trustedXattrs') : skip)(`xattrs: set, get, list, remove on paths, links and fds${xattrOk ? '' : ' (skipped: the temp dir does not support user.* xattrs)'}`, (t) => {
  const d = tmp(t);
  const p = join(d, 'x');
  writeFileSync(p, '');
  setxattr(p, 'user.color', 'blue');
  t.deepEqual(getxattr(p, 'user.color'), Buffer.from('blue'));
  t.is(getxattr(p, 'user.color', 'utf8'), 'blue');
  t.throws(() => setxattr(p, 'user.color', 'red', 'create'), { code: 'EEXIST' });
  setxattr(p, 'user.color', 'red', 'replace');
  t.is(getxattr(p, 'user.color', 'latin1'), 'red');
  t.throws(() => setxattr(p, 'user.size', 'x', 'replace'), { code: 'ENODATA' });
  setxattr(p, 'user.empty', Buffer.alloc(0));
  t.is(getxattr(p, 'user.empty').length, 0);
  t.deepEqual(listxattr(p).sort(), ['user.color', 'user.empty']);
  removexattr(p, 'user.empty');
  t.deepEqual(listxattr(p), ['user.color']);
  t.throws(() => getxattr(p, 'user.empty'), { code: 'ENODATA' });
  t.throws(() => removexattr(p, 'user.empty'), { code: 'ENODATA' });
  // through an fd
  using fd = open(p);
  fsetxattr(fd, 'user.bin', new Uint8Array([0, 1, 2, 255]));
  t.deepEqual(fgetxattr(fd, 'user.bin'), Buffer.from([0, 1, 2, 255]));
  t.is(fd.fgetxattr('user.color', 'utf8'), 'red');
  t.deepEqual(fd.flistxattr().sort(), ['user.bin', 'user.color']);
  fd.fremovexattr('user.bin');
  t.deepEqual(flistxattr(fd), ['user.color']);
  fd.fsetxattr('user.big', Buffer.alloc(3000, 9));
  t.deepEqual(fgetxattr(fd, 'user.big'), Buffer.alloc(3000, 9));
  fremovexattr(fd, 'user.big');
  // on a symlink itself (user.* is not allowed on symlinks; trusted.* is, for root)
  symlinkSync('x', join(d, 'l'));
  t.throws(() => lsetxattr(join(d, 'l'), 'user.color', 'green'), { code: 'EPERM' });
  if (isRoot) {
    lsetxattr(join(d, 'l'), 'trusted.tsyscall', 'on the link');
    t.is(lgetxattr(join(d, 'l'), 'trusted.tsyscall', 'utf8'), 'on the link');
    t.deepEqual(lgetxattr(join(d, 'l'), 'trusted.tsyscall'), Buffer.from('on the link'));
    t.true(llistxattr(join(d, 'l')).includes('trusted.tsyscall'));
    t.false(listxattr(join(d, 'l')).includes('trusted.tsyscall')); // the target has none
    lremovexattr(join(d, 'l'), 'trusted.tsyscall');
    t.false(llistxattr(join(d, 'l')).includes('trusted.tsyscall'));
  }
  t.throws(() => setxattr(p, 'user.v', 5 as never), { instanceOf: TypeError });
  t.throws(() => getxattr(join(d, 'none'), 'user.x'), { code: 'ENOENT' });
});

// ---------------------------------------------------------------------------------------------------------------------
// File handles

(isRoot ? needs('openByHandle', 'statxMntId') : skip)(`name_to_handle_at and open_by_handle_at${isRoot ? '' : ' (skipped: open_by_handle_at needs CAP_DAC_READ_SEARCH)'}`, (t) => {
  const d = tmp(t);
  const p = join(d, 'h');
  writeFileSync(p, 'found by handle');
  const { handle, mountId } = name_to_handle_at(CWD, p);
  t.true(handle.handle_bytes > 0 && handle.handle_bytes <= 128);
  t.is(handle.$buffer.length, 8 + handle.handle_bytes);
  t.is(BigInt(mountId), statx(CWD, p, 0, 'mnt_id').mntId);
  // the handle survives a rename
  renameat2(CWD, p, CWD, join(d, 'moved'));
  using dir = open(d, 'rdonly, directory');
  using f = open_by_handle_at(dir, handle);
  t.is(read(f, 100).toString(), 'found by handle');
  using g = dir.open_by_handle_at(handle.$buffer, 'rdonly');
  t.is(fstat(g).ino, statSync(join(d, 'moved'), { bigint: true }).ino);
  const unique = dir.name_to_handle_at('moved', 'handle_mnt_id_unique');
  t.is(typeof unique.mountId, 'bigint');
  t.is(unique.mountId, statx(CWD, join(d, 'moved'), 0, 'mnt_id_unique').mntId);
  // a handle whose handle_bytes claims more than its buffer holds
  const lying = Buffer.from(handle.$buffer);
  lying.writeUInt32LE(handle.handle_bytes + 8, 0);
  t.throws(() => open_by_handle_at(dir, lying), { instanceOf: RangeError });
  lying.writeUInt32LE(1000, 0);
  t.throws(() => open_by_handle_at(dir, lying), { instanceOf: RangeError, message: /MAX_HANDLE_SZ/ });
  t.throws(() => open_by_handle_at(dir, {} as never), { instanceOf: TypeError });
  f.close();
  g.close();
  unlink(join(d, 'moved'));
  t.throws(() => open_by_handle_at(dir, handle), { code: 'ESTALE' });
  t.throws(() => name_to_handle_at(CWD, join(d, 'none')), { code: 'ENOENT' });
});

test('Fd has a method for every fd-first call', (t) => {
  const methods = ['pread', 'pwrite', 'readv', 'writev', 'preadv2', 'pwritev2', 'lseek', 'fsync', 'fdatasync',
    'sync_file_range', 'ftruncate', 'fallocate', 'fadvise', 'fstatfs', 'fchmod', 'fchown', 'fchdir', 'getdents',
    'futimens', 'flock', 'fcntl', 'dup', 'dup3', 'fsetxattr', 'fgetxattr', 'flistxattr', 'fremovexattr',
    'copy_file_range', 'sendfile', 'splice', 'tee', 'vmsplice', 'openat', 'openat2', 'fstatat', 'statx', 'faccessat2',
    'fchmodat', 'fchownat', 'linkat', 'unlinkat', 'renameat2', 'mkdirat', 'mknodat', 'readlinkat', 'utimensat',
    'name_to_handle_at', 'open_by_handle_at'];
  for (const m of methods) t.is(typeof (Fd.prototype as any)[m], 'function', m);
  // a method acts on its own descriptor
  const p = join(tmp(t), 'm');
  writeFileSync(p, 'method');
  using fd = open(p);
  t.is(fd.pread(3, 3).toString(), 'hod');
  fd.close();
  t.throws(() => fd.pread(3, 0), { code: 'EBADF' });
  // node's own descriptors work as numbers
  const n = openSync(p, 'r');
  t.is(pread(n, 6, 0).toString(), 'method');
  t.is(fstatSync(n).size, 6);
  closeSync(n);
});
