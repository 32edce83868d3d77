// Helpers the topic files of the fs domain share: argument checks (paths, offsets, flags), struct iovec arrays, name
// encodings, lseek's whence and fcntl's command names. Not part of the public API: index.ts does not re-export this
// module.
import { abi } from '../core/abi.ts';
import { backend } from '../core/backend.ts';
import { check } from '../core/errors.ts';
import { flags, constant, type Flags } from '../core/flags.ts';
import { push, bufferFrom, alloc, int, int64, describe, path as checkPath, pathText, region, lengthOf } from '../core/args.ts';
import * as words from '../core/words.ts';
import type { Whence } from './io.ts';

const { O, AT, SEEK } = abi;

/** The most buffers one readv/writev/preadv2/pwritev2/vmsplice takes (UIO_MAXIOV). */
export const IOV_MAX = abi.UIO.MAXIOV;

export const AT_FDCWD = AT.FDCWD;
export const atFlags = (f: Flags) => flags(AT, 'AT', 'AT_', f);
export const oFlags = (f: Flags) => flags(O, 'O', 'O_', f);

/** A checked path and its text for messages. */
export function pathArg(p: unknown, name = 'path'): [string | Buffer, string] {
  const c = checkPath(p, name);
  return [c, pathText(c)];
}

/** A file offset or length argument. */
/** A file offset (loff_t: signed 64 bits), non-negative unless `signed`. */
export function off(v: unknown, name: string, unsigned = true): number | bigint {
  const r = int64(v, name, false);
  if (unsigned && r < 0) throw new RangeError(`${name} must not be negative: ${r}`);
  return r;
}

/** A 64-bit in/out offset for copy_file_range, sendfile, splice: null for "the file's own position". */
export function offPtr(v: unknown, name: string): Buffer | null {
  if (v === null || v === undefined) return null;
  const b = alloc(8);
  words.writeI64(b, BigInt(off(v, name)));
  return b;
}

// Buffer addresses, for struct iovec.
const addressOf = (b: Uint8Array): bigint => backend().address(b);

/** Buffers whose addresses are in a struct iovec handed to the kernel: referenced here until the call returns. */
const pinned = new Set<unknown>();

export interface Iov {
  iov: Buffer | null;
  count: number;
  keep: Uint8Array[];
}

/**
 * A struct iovec array over `bufs` (strings too when `strings`), each checked; at most IOV_MAX. Each element is read
 * once (a getter or a proxy runs here, before any address is taken); each buffer's range comes from intrinsics.
 */
export function iovecs(bufs: unknown, name: string, strings: boolean): Iov {
  if (!Array.isArray(bufs)) throw new TypeError(`${name} must be an array of Buffers, got ${describe(bufs)}`);
  const count = int(bufs.length, `${name}.length`, 0, 2 ** 32 - 1);
  if (count > IOV_MAX) throw new RangeError(`${name}: at most ${IOV_MAX} buffers (IOV_MAX), got ${count}`);
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) push(items, bufs[i]);
  const keep: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = items[i];
    push(keep, strings && typeof b === 'string' ? bufferFrom(b) : region(b, `${name}[${i}]`));
  }
  const size = abi.Iovec.size;
  const iov = count ? alloc(count * size) : null;
  for (let i = 0; i < count; i++) {
    const b = keep[i];
    const len = lengthOf(b);
    const v = new abi.Iovec(iov!, i * size);
    v.iov_base = words.pointerField(len ? addressOf(b) : 0n) as bigint;
    v.iov_len = len;
  }
  return { iov, count, keep };
}

/** Run a call that reads or writes through an iovec, with its buffers pinned. */
export function withIov(v: Iov, call: () => number, syscall: string): number {
  pinned.add(v);
  try {
    return check(call(), syscall);
  } finally {
    pinned.delete(v);
  }
}

/** A name as asked for: the Buffer itself ('buffer'), or a string in a Buffer encoding (default UTF-8). */
export function encode(b: Buffer, enc: unknown): string | Buffer {
  if (enc === 'buffer') return b;
  if (enc === undefined) return b.toString('utf8');
  if (typeof enc !== 'string' || !Buffer.isEncoding(enc)) throw new TypeError(`encoding must be 'buffer' or a Buffer encoding, got ${describe(enc)}`);
  return b.toString(enc);
}

/** lseek's `whence`, from a name ('set', 'cur', 'end', 'data', 'hole') or a SEEK value. */
export const whence = (w: unknown) => constant(SEEK, 'SEEK', 'SEEK_', w as Whence);

/** An fcntl command by name: 'getfl' or 'F_GETFL'. */
export type Cmd<S extends string> = S | `F_${Uppercase<S>}`;
