// Utilities users of the original library relied on, built on the calls: directory listings, recursive removal and
// creation, whole-file reads and writes on raw descriptors, a /proc/<pid> reader, and the mount table.
import { constants as bufferConstants } from 'node:buffer';
import { abi } from './core/abi.ts';
import { Fd, type FdLike } from './core/fd.ts';
import { SyscallError } from './core/errors.ts';
import { min, max, concatBuffers, bufferFrom, allocUnsafe, int, mode as checkMode, describe, region, lengthOf, isBytes } from './core/args.ts';
import { type Flags } from './core/flags.ts';
import { open, read, write, fstat, getdents, openat, unlinkat, mkdir, fstatat, readlink, type Dirent, type Mode, type PathLike } from './fs/index.ts';

const { AT, S } = abi;
const MAX_LENGTH = bufferConstants.MAX_LENGTH;

function* entries(dir: FdLike): Generator<Dirent> {
  for (const e of getdents(dir)) if (e.name !== '.' && e.name !== '..') yield e;
}

/**
 * The entries of a directory, as the kernel lists them (without '.' and '..').
 *
 * @example
 * ```ts
 * for (const e of ls('/etc')) if (e.isFile()) console.log(e.name);
 * ```
 * @see https://man7.org/linux/man-pages/man2/getdents64.2.html
 */
export function* ls(path: PathLike): Generator<Dirent> {
  using dir = open(path, 'rdonly, directory, cloexec');
  yield* entries(dir);
}

/**
 * The names in a directory, sorted (byte order, as `ls` with LC_ALL=C).
 *
 * @example
 * ```ts
 * dirtable('/'); // ['bin', 'boot', ...]
 * ```
 * @see https://man7.org/linux/man-pages/man2/getdents64.2.html
 */
export function dirtable(path: PathLike): string[] {
  const names = [...ls(path)].map((e) => e.nameBuffer);
  return names.sort(Buffer.compare).map((b) => b.toString());
}

/** Remove the entries of an open directory, recursively, never following symlinks. */
function emptyDir(dir: Fd): void {
  for (const e of [...entries(dir)]) {
    let isDir = e.isDirectory();
    if (e.type === abi.DT.UNKNOWN) isDir = (fstatat(dir, e.nameBuffer, 'symlink_nofollow').mode & S.IFMT) === S.IFDIR;
    if (isDir) {
      // O_NOFOLLOW: a directory swapped for a symlink meanwhile makes this fail rather than escape
      using sub = openat(dir, e.nameBuffer, 'rdonly, directory, nofollow, cloexec');
      emptyDir(sub);
      unlinkat(dir, e.nameBuffer, 'removedir');
    } else {
      unlinkat(dir, e.nameBuffer);
    }
  }
}

/**
 * Remove a file, symlink or (recursively) a directory tree, like `rm -r`; symlinks are removed, never followed.
 *
 * A path that does not exist is an ENOENT SyscallError unless `force`.
 *
 * @example
 * ```ts
 * rm('/tmp/build', { force: true });
 * ```
 * @see https://man7.org/linux/man-pages/man2/unlinkat.2.html
 * @see https://man7.org/linux/man-pages/man2/getdents64.2.html
 */
export function rm(path: PathLike, options: { force?: boolean } = {}): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`rm: options must be an object, got ${describe(options)}`);
  try {
    const st = fstatat(AT.FDCWD, path, 'symlink_nofollow');
    if ((st.mode & S.IFMT) !== S.IFDIR) return unlinkat(AT.FDCWD, path);
    {
      using dir = open(path, 'rdonly, directory, nofollow, cloexec');
      emptyDir(dir);
    }
    unlinkat(AT.FDCWD, path, 'removedir');
  } catch (err) {
    if (options.force && err instanceof SyscallError && err.code === 'ENOENT') return;
    throw err;
  }
}

/**
 * Create a directory and any missing parents, like `mkdir -p`; an existing directory is fine, an existing non-directory
 * is an EEXIST SyscallError.
 *
 * @example
 * ```ts
 * mkdirp('/tmp/a/b/c', 0o755);
 * ```
 * @see https://man7.org/linux/man-pages/man2/mkdir.2.html
 */
export function mkdirp(path: string, perm: Mode = 0o777): void {
  if (typeof path !== 'string') throw new TypeError(`mkdirp: path must be a string, got ${typeof path}`);
  const m = checkMode(perm);
  const parts = path.split('/').filter(Boolean);
  let cur = path.startsWith('/') ? '' : '.';
  parts.forEach((part, i) => {
    cur = cur === '' ? `/${part}` : `${cur}/${part}`;
    try {
      mkdir(cur, m);
    } catch (err) {
      if (!(err instanceof SyscallError) || err.code !== 'EEXIST') throw err;
      if ((fstatat(AT.FDCWD, cur).mode & S.IFMT) === S.IFDIR) return;
      // an existing non-directory: the last component exists (EEXIST); an inner one cannot hold the rest (ENOTDIR)
      throw i === parts.length - 1 ? err : new SyscallError(abi.E.NOTDIR, 'mkdir', path);
    }
  });
}

/**
 * Read a whole file (a path or an open descriptor, from its current position) with read(2); a Buffer, or a string when
 * an encoding is given.
 *
 * @example
 * ```ts
 * readFile('/proc/self/status', 'utf8');
 * ```
 * @see https://man7.org/linux/man-pages/man2/read.2.html
 * @see https://man7.org/linux/man-pages/man2/open.2.html
 */
export function readFile(file: PathLike | FdLike): Buffer;
export function readFile(file: PathLike | FdLike, encoding: BufferEncoding): string;
export function readFile(file: PathLike | FdLike, encoding?: BufferEncoding): Buffer | string {
  if (encoding !== undefined && !Buffer.isEncoding(encoding)) throw new TypeError(`readFile: unknown encoding ${describe(encoding)}`);
  const own = typeof file !== 'number' && !(file instanceof Fd);
  const fd = own ? open(file as PathLike, 'rdonly, cloexec') : (file as FdLike);
  try {
    // files in /proc say size 0: read until EOF in chunks, growing
    const chunks: Buffer[] = [];
    let size = 0;
    const hint = Number(fstat(fd).size);
    let chunk = allocUnsafe(max(4096, min(hint + 1, 1 << 24)));
    for (;;) {
      const n = read(fd, chunk);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      size += n;
      if (size > MAX_LENGTH) throw new RangeError(`readFile: the file is larger than a Buffer can be (${MAX_LENGTH} bytes)`);
      if (n === chunk.length) chunk = allocUnsafe(min(chunk.length * 2, 1 << 24));
      else chunk = chunk.subarray(n);
    }
    const all = chunks.length === 1 ? chunks[0] : concatBuffers(chunks, size);
    return encoding ? all.toString(encoding) : all;
  } finally {
    if (own) (fd as Fd).close();
  }
}

/**
 * Write a whole file with write(2), looping over short writes.
 *
 * A path is opened 'wronly, creat, trunc' (or `flags`) with `mode` (default 0o666, less the umask); an open descriptor
 * is written at its position.
 *
 * @example
 * ```ts
 * writeFile('/sys/fs/cgroup/x/cgroup.procs', String(pid));
 * ```
 * @see https://man7.org/linux/man-pages/man2/write.2.html
 * @see https://man7.org/linux/man-pages/man2/open.2.html
 */
export function writeFile(file: PathLike | FdLike, data: string | ArrayBufferView,
  options: { mode?: Mode; flags?: Flags } = {}): void {
  if (typeof data !== 'string' && !isBytes(data)) throw new TypeError(`writeFile: data must be a string, a Buffer or a typed array, got ${describe(data)}`);
  if (typeof options !== 'object' || options === null) throw new TypeError(`writeFile: options must be an object, got ${describe(options)}`);
  const own = typeof file !== 'number' && !(file instanceof Fd);
  const fd = own ? open(file as PathLike, options.flags ?? 'wronly, creat, trunc, cloexec', options.mode ?? 0o666) : (file as FdLike);
  try {
    // the bytes' range from intrinsics (region), never from the caller's buffer/byteOffset/byteLength properties
    const buf = typeof data === 'string' ? bufferFrom(data) : region(data, 'data');
    const n = lengthOf(buf);
    for (let done = 0; done < n; ) done += write(fd, buf, done, n - done);
  } finally {
    if (own) (fd as Fd).close();
  }
}

/** The fields of /proc/<pid>/stat, the first 22 by their proc(5) names. */
export interface ProcStat {
  pid: number; comm: string; state: string; ppid: number; pgrp: number; session: number; tty_nr: number; tpgid: number;
  flags: number; minflt: number; cminflt: number; majflt: number; cmajflt: number; utime: number; stime: number;
  cutime: number; cstime: number; priority: number; nice: number; num_threads: number; itrealvalue: number;
  starttime: number;
  /** Every field, as text, in order (index 0 is pid). */
  fields: string[];
}

/**
 * A reader of /proc/<pid> (default: this process); every getter reads afresh.
 *
 * @example
 * ```ts
 * const self = new Proc();
 * self.status.Name; // 'node'
 * new Proc(1).cmdline; // ['/sbin/init']
 * ```
 * @see https://man7.org/linux/man-pages/man5/proc.5.html
 */
export class Proc {
  readonly dir: string;
  constructor(readonly pid: number | 'self' = 'self') {
    if (pid !== 'self') int(pid, 'pid', 1, 2 ** 31 - 1);
    this.dir = `/proc/${pid}`;
  }
  /** Any file of the process's /proc directory, as text. */
  read(name: string): string {
    if (name.includes('\0') || name.split('/').includes('..')) throw new TypeError(`not a /proc entry: ${name}`);
    return readFile(`${this.dir}/${name}`, 'utf8');
  }
  /** /proc/<pid>/status as a map ('Name' -> 'node', 'Uid' -> '0\t0\t0\t0', ...). */
  get status(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of this.read('status').split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    return out;
  }
  /** The command line, split at its NULs. */
  get cmdline(): string[] {
    const s = this.read('cmdline');
    return s ? s.replace(/\0$/, '').split('\0') : [];
  }
  /** The environment it started with. */
  get environ(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const kv of this.read('environ').split('\0')) {
      const i = kv.indexOf('=');
      if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return out;
  }
  /** /proc/<pid>/stat, parsed (the command name may hold spaces and parentheses). */
  get stat(): ProcStat {
    const s = this.read('stat');
    const open = s.indexOf('(');
    const close = s.lastIndexOf(')');
    const rest = s.slice(close + 2).trim().split(' ');
    const fields = [s.slice(0, open - 1), s.slice(open + 1, close), ...rest];
    const names = ['pid', 'comm', 'state', 'ppid', 'pgrp', 'session', 'tty_nr', 'tpgid', 'flags', 'minflt', 'cminflt',
      'majflt', 'cmajflt', 'utime', 'stime', 'cutime', 'cstime', 'priority', 'nice', 'num_threads', 'itrealvalue', 'starttime'];
    const out: Record<string, unknown> = { fields };
    names.forEach((n, i) => { out[n] = n === 'comm' || n === 'state' ? fields[i] : Number(fields[i]); });
    return out as unknown as ProcStat;
  }
  /** Open descriptors: number -> what they point at ('/dev/null', 'pipe:[1234]', 'socket:[5678]'). */
  get fds(): Map<number, string> {
    const out = new Map<number, string>();
    for (const e of ls(`${this.dir}/fd`)) {
      try {
        out.set(Number(e.name), readlink(`${this.dir}/fd/${e.name}`));
      } catch (err) {
        // closed between the listing and the readlink (the listing's own descriptor, for one)
        if (!(err instanceof SyscallError) || err.code !== 'ENOENT') throw err;
      }
    }
    return out;
  }
  get exe(): string { return readlink(`${this.dir}/exe`); }
  get cwd(): string { return readlink(`${this.dir}/cwd`); }
  get root(): string { return readlink(`${this.dir}/root`); }
}

/**
 * A reader of /proc/<pid> (default: this process), the same as new Proc(pid).
 *
 * @example
 * ```ts
 * proc().status.Name;
 * proc(1).cmdline;
 * ```
 * @see https://man7.org/linux/man-pages/man5/proc.5.html
 */
export function proc(pid: number | 'self' = 'self'): Proc {
  return new Proc(pid);
}

/** One line of /proc/<pid>/mountinfo. */
export interface Mount {
  id: number; parent: number; major: number; minor: number;
  /** The root of the mount within its filesystem. */
  root: string;
  /** Where it is mounted. */
  target: string;
  /** Per-mount options ('rw', 'nosuid', ...). */
  options: string[];
  /** Optional fields ('shared:1', 'master:2'). */
  propagation: string[];
  fstype: string;
  source: string;
  /** Per-superblock options. */
  superOptions: string[];
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * The mount table of a process's mount namespace, from /proc/<pid>/mountinfo.
 *
 * @example
 * ```ts
 * mounts().find((m) => m.target === '/')?.fstype; // 'ext4'
 * ```
 * @see https://man7.org/linux/man-pages/man5/proc.5.html
 */
export function mounts(pid: number | 'self' = 'self'): Mount[] {
  return proc(pid).read('mountinfo').split('\n').filter(Boolean).map((line) => {
    const [left, right] = line.split(' - ');
    const f = left.split(' ');
    const [fstype, source, superOptions] = right.split(' ');
    const [major, minor] = f[2].split(':').map(Number);
    return {
      id: Number(f[0]), parent: Number(f[1]), major, minor, root: unescape(f[3]), target: unescape(f[4]),
      options: f[5].split(','), propagation: f.slice(6), fstype, source: unescape(source),
      superOptions: superOptions ? superOptions.split(',') : [],
    };
  });
}

