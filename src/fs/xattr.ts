// Extended attributes: set, get, list and remove, by path, of a symlink itself (l*) and of an open file (f*).
import { abi, raw } from '../core/abi.ts';
import { check } from '../core/errors.ts';
import { fdNum, type FdLike } from '../core/fd.ts';
import { flags, type Flags } from '../core/flags.ts';
import { bufferFrom, allocUnsafe, alloc, region, lengthOf, type Bytes } from '../core/args.ts';
import { pathArg, encode } from './common.ts';
import type { PathLike } from './open.ts';
import type { NameEncoding } from './names.ts';

const { XATTR, E } = abi;

const xattrFlags = (f: Flags) => flags(XATTR, 'XATTR', 'XATTR_', f);
const xattrValue = (v: unknown) => (typeof v === 'string' ? bufferFrom(v) : region(v, 'value'));
const xattrName = (n: unknown) => pathArg(n, 'name')[0];

/** Read a value or list of unknown size: ask the size, then read (again if it grew meanwhile). */
function sized(call: (buf: Buffer | null, size: number) => number, syscall: string, text?: string): Buffer {
  for (;;) {
    const size = check(call(null, 0), syscall, text);
    if (size === 0) return alloc(0);
    const buf = allocUnsafe(size);
    const r = call(buf, size);
    if (r !== -E.RANGE) return buf.subarray(0, check(r, syscall, text));
  }
}

const names = (b: Buffer) => b.toString('utf8').split('\0').filter((s) => s !== '');

/**
 * Set an extended attribute, XATTR flags ('create': EEXIST if set; 'replace': ENODATA if not).
 *
 * @example
 * ```ts
 * setxattr(p, 'user.tag', 'blue');
 * ```
 * @see https://man7.org/linux/man-pages/man2/setxattr.2.html
 */
export function setxattr(path: PathLike, name: string, value: Bytes | string, how: Flags = 0): void {
  const [p, text] = pathArg(path);
  const k = xattrName(name);
  const f = xattrFlags(how);
  const v = xattrValue(value);
  check(raw.setxattr(p, k, v, lengthOf(v), f), 'setxattr', text);
}

/**
 * Set an extended attribute of a symlink itself, not of its target.
 *
 * @example
 * ```ts
 * lsetxattr('/tmp/link', 'trusted.x', 'y');
 * ```
 * @see https://man7.org/linux/man-pages/man2/lsetxattr.2.html
 */
export function lsetxattr(path: PathLike, name: string, value: Bytes | string, how: Flags = 0): void {
  const [p, text] = pathArg(path);
  const k = xattrName(name);
  const f = xattrFlags(how);
  const v = xattrValue(value);
  check(raw.lsetxattr(p, k, v, lengthOf(v), f), 'lsetxattr', text);
}

/**
 * Set an extended attribute of an open file.
 *
 * @example
 * ```ts
 * fd.fsetxattr('user.tag', Buffer.from([1, 2]));
 * ```
 * @see https://man7.org/linux/man-pages/man2/fsetxattr.2.html
 */
export function fsetxattr(fd: FdLike, name: string, value: Bytes | string, how: Flags = 0): void {
  const n = fdNum(fd, 'fsetxattr');
  const k = xattrName(name);
  const f = xattrFlags(how);
  const v = xattrValue(value);
  check(raw.fsetxattr(n, k, v, lengthOf(v), f), 'fsetxattr');
}

/**
 * The value of an extended attribute, as a Buffer, or a string with an encoding.
 *
 * @example
 * ```ts
 * getxattr(p, 'user.tag', 'utf8'); // 'blue'
 * ```
 * @see https://man7.org/linux/man-pages/man2/getxattr.2.html
 */
export function getxattr(path: PathLike, name: string): Buffer;
export function getxattr(path: PathLike, name: string, encoding: BufferEncoding): string;
export function getxattr(path: PathLike, name: string, encoding: NameEncoding = 'buffer'): Buffer | string {
  const [p, text] = pathArg(path);
  const nm = xattrName(name);
  return encode(sized((b, s) => raw.getxattr(p, nm, b, s), 'getxattr', text), encoding);
}

/**
 * The value of an extended attribute of a symlink itself, not of its target.
 *
 * @example
 * ```ts
 * lgetxattr('/tmp/link', 'trusted.x');
 * ```
 * @see https://man7.org/linux/man-pages/man2/lgetxattr.2.html
 */
export function lgetxattr(path: PathLike, name: string): Buffer;
export function lgetxattr(path: PathLike, name: string, encoding: BufferEncoding): string;
export function lgetxattr(path: PathLike, name: string, encoding: NameEncoding = 'buffer'): Buffer | string {
  const [p, text] = pathArg(path);
  const nm = xattrName(name);
  return encode(sized((b, s) => raw.lgetxattr(p, nm, b, s), 'lgetxattr', text), encoding);
}

/**
 * The value of an extended attribute of an open file.
 *
 * @example
 * ```ts
 * fd.fgetxattr('user.tag', 'utf8');
 * ```
 * @see https://man7.org/linux/man-pages/man2/fgetxattr.2.html
 */
export function fgetxattr(fd: FdLike, name: string): Buffer;
export function fgetxattr(fd: FdLike, name: string, encoding: BufferEncoding): string;
export function fgetxattr(fd: FdLike, name: string, encoding: NameEncoding = 'buffer'): Buffer | string {
  const n = fdNum(fd, 'fgetxattr');
  const nm = xattrName(name);
  return encode(sized((b, s) => raw.fgetxattr(n, nm, b, s), 'fgetxattr'), encoding);
}

/**
 * The names of a file's extended attributes.
 *
 * @example
 * ```ts
 * listxattr(p); // ['user.tag']
 * ```
 * @see https://man7.org/linux/man-pages/man2/listxattr.2.html
 */
export function listxattr(path: PathLike): string[] {
  const [p, text] = pathArg(path);
  return names(sized((b, s) => raw.listxattr(p, b, s), 'listxattr', text));
}

/**
 * The names of a symlink's own extended attributes.
 *
 * @example
 * ```ts
 * llistxattr('/tmp/link');
 * ```
 * @see https://man7.org/linux/man-pages/man2/llistxattr.2.html
 */
export function llistxattr(path: PathLike): string[] {
  const [p, text] = pathArg(path);
  return names(sized((b, s) => raw.llistxattr(p, b, s), 'llistxattr', text));
}

/**
 * The names of an open file's extended attributes.
 *
 * @example
 * ```ts
 * fd.flistxattr();
 * ```
 * @see https://man7.org/linux/man-pages/man2/flistxattr.2.html
 */
export function flistxattr(fd: FdLike): string[] {
  const n = fdNum(fd, 'flistxattr');
  return names(sized((b, s) => raw.flistxattr(n, b, s), 'flistxattr'));
}

/**
 * Remove an extended attribute.
 *
 * @example
 * ```ts
 * removexattr(p, 'user.tag');
 * ```
 * @see https://man7.org/linux/man-pages/man2/removexattr.2.html
 */
export function removexattr(path: PathLike, name: string): void {
  const [p, text] = pathArg(path);
  check(raw.removexattr(p, xattrName(name)), 'removexattr', text);
}

/**
 * Remove an extended attribute of a symlink itself, not of its target.
 *
 * @example
 * ```ts
 * lremovexattr('/tmp/link', 'trusted.x');
 * ```
 * @see https://man7.org/linux/man-pages/man2/lremovexattr.2.html
 */
export function lremovexattr(path: PathLike, name: string): void {
  const [p, text] = pathArg(path);
  check(raw.lremovexattr(p, xattrName(name)), 'lremovexattr', text);
}

/**
 * Remove an extended attribute of an open file.
 *
 * @example
 * ```ts
 * fd.fremovexattr('user.tag');
 * ```
 * @see https://man7.org/linux/man-pages/man2/fremovexattr.2.html
 */
export function fremovexattr(fd: FdLike, name: string): void {
  check(raw.fremovexattr(fdNum(fd, 'fremovexattr'), xattrName(name)), 'fremovexattr');
}
