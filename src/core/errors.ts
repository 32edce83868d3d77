// SyscallError: a failed syscall, shaped like Node's own system errors (errno, code, syscall, path, dest), so that
// `err.code === 'ENOENT'` works as it does with node:fs.
import { abi } from './abi.ts';

const names = new Map<number, string>();
for (const [k, v] of Object.entries(abi.E)) if (!names.has(Number(v))) names.set(Number(v), `E${k}`);

/**
 * The symbolic name of an errno value ('ENOENT'), or 'E<n>' for a value the spec does not know.
 *
 * @example
 * ```ts
 * errnoName(2); // 'ENOENT'
 * errnoName(4095); // 'E4095'
 * ```
 * @see https://man7.org/linux/man-pages/man3/errno.3.html
 */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `E${errno}`;
}

/**
 * The strerror text of an errno value.
 *
 * @example
 * ```ts
 * errnoMessage(2); // 'No such file or directory'
 * ```
 * @see https://man7.org/linux/man-pages/man3/strerror.3.html
 */
export function errnoMessage(errno: number): string {
  return abi.ERRNO_MESSAGES[errno] ?? `Unknown error ${errno}`;
}

/**
 * A failed syscall, as the library's calls throw it, shaped like Node's own system errors: `code` ('ENOENT'),
 * `errno` (negative, as Node has it), `syscall`, and `path` and `dest` when the call had them.
 *
 * The message reads as Node's: "ENOENT: No such file or directory, open '/nonexistent'".
 *
 * @example
 * ```ts
 * try {
 *   open('/nonexistent');
 * } catch (err) {
 *   if (err instanceof SyscallError && err.code === 'ENOENT') console.log(err.syscall, err.path); // open /nonexistent
 * }
 * ```
 * @see https://man7.org/linux/man-pages/man3/errno.3.html
 */
export class SyscallError extends Error {
  /** The errno value negated, as Node's own system errors carry it (-2 for ENOENT); `E.NOENT === -err.errno`. */
  readonly errno: number;
  /** 'ENOENT' */
  readonly code: string;
  /** The syscall that failed: 'openat' */
  readonly syscall: string;
  readonly path?: string;
  readonly dest?: string;

  constructor(errno: number, syscall: string, path?: string | Buffer, dest?: string | Buffer) {
    const code = errnoName(errno);
    const p = path === undefined ? undefined : String(path);
    const d = dest === undefined ? undefined : String(dest);
    super(`${code}: ${errnoMessage(errno)}, ${syscall}${p !== undefined ? ` '${p}'` : ''}${d !== undefined ? ` -> '${d}'` : ''}`);
    this.name = 'SyscallError';
    this.errno = -errno;
    this.code = code;
    this.syscall = syscall;
    if (p !== undefined) this.path = p;
    if (d !== undefined) this.dest = d;
  }
}

/** Throw a SyscallError when a raw result is negative; return it otherwise. */
export function check(r: number, syscall: string, path?: string | Buffer, dest?: string | Buffer): number {
  if (r < 0) throw new SyscallError(-r, syscall, path, dest);
  return r;
}
