// Checks at the boundary: every pointer and length handed to the kernel is checked against the JS object it came from,
// so that no call, however wrong its arguments, lets the kernel touch memory outside what JavaScript owns.
//
// The one rule: a pointer and a length that reach the kernel are computed from values no user code can intercept.
// The byte range of a Buffer or typed array comes from the %TypedArray% (or DataView) intrinsic getters captured when
// this module loads, never from the argument's own `length`, `byteLength`, `buffer` or methods (an own property, a
// getter or a subclass can lie about all of those); what reaches the FFI is a fresh Uint8Array over the checked range,
// which no caller holds; and bytes the kernel parses (paths, names) are copied into memory the library owns before
// they are checked, so that nothing the caller runs later can change them.
import { fileURLToPath } from 'node:url';

/** Memory the kernel may fill or read. */
export type Bytes = ArrayBufferView;

// ---------------------------------------------------------------------------------------------------------------------
// Intrinsics, captured at import: later changes to globals and prototypes do not reach them.

const uncurry = <A extends unknown[], R>(f: (...a: A) => R): ((self: unknown, ...a: A) => R) =>
  Function.prototype.call.bind(f) as (self: unknown, ...a: A) => R;
const getter = (o: object, k: PropertyKey) => uncurry(Object.getOwnPropertyDescriptor(o, k)!.get as () => unknown);
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
const taTag = getter(TypedArrayProto, Symbol.toStringTag) as (v: unknown) => string | undefined;
const taBuffer = getter(TypedArrayProto, 'buffer') as (v: unknown) => ArrayBufferLike;
const taOffset = getter(TypedArrayProto, 'byteOffset') as (v: unknown) => number;
const taLength = getter(TypedArrayProto, 'byteLength') as (v: unknown) => number;
const dvBuffer = getter(DataView.prototype, 'buffer') as (v: unknown) => ArrayBufferLike;
const dvOffset = getter(DataView.prototype, 'byteOffset') as (v: unknown) => number;
const dvLength = getter(DataView.prototype, 'byteLength') as (v: unknown) => number;
const taSet = uncurry(TypedArrayProto.constructor.prototype.set as (src: ArrayLike<number>, offset?: number) => void);
const taIndexOf = uncurry(TypedArrayProto.constructor.prototype.indexOf as (v: number, from?: number) => number);
const isView = ArrayBuffer.isView;
const U8 = Uint8Array;

/**
 * The built-ins the library calls to make memory and sizes, as they were at import: code that replaces Buffer.alloc,
 * Buffer.from, Array.prototype.push or Math.min later cannot hand the library a smaller buffer than it asked for, or
 * a view over someone else's memory. (Bound to their owners, so that a later change to Function.prototype is no
 * matter either.)
 */
export const alloc: (size: number) => Buffer = Buffer.alloc.bind(Buffer);
export const allocUnsafe: (size: number) => Buffer = Buffer.allocUnsafe.bind(Buffer);
export const bufferFrom: typeof Buffer.from = Buffer.from.bind(Buffer);
export const concatBuffers: (list: readonly Uint8Array[], total?: number) => Buffer = Buffer.concat.bind(Buffer);
export const push: <T>(list: T[], item: T) => number = uncurry(Array.prototype.push) as never;
export const min: (...v: number[]) => number = Math.min;
export const max: (...v: number[]) => number = Math.max;
const NumberIsSafeInteger = Number.isSafeInteger;
const StringIncludes = uncurry(String.prototype.includes);

// ---------------------------------------------------------------------------------------------------------------------
// Integers

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && NumberIsSafeInteger(v);
}

/** An integer argument within [min, max]; a TypeError or RangeError names the argument. */
export function int(v: unknown, name: string, min = -(2 ** 53), max = 2 ** 53): number {
  if (typeof v === 'bigint') {
    if (v < BigInt(min) || v > BigInt(max)) throw new RangeError(`${name} out of range: ${v}`);
    return Number(v);
  }
  if (!isInt(v)) throw new TypeError(`${name} must be an integer, got ${describe(v)}`);
  if (v < min || v > max) throw new RangeError(`${name} out of range [${min}, ${max}]: ${v}`);
  return v;
}

/** A mode: a number (0o644) or an octal string ('644', '0o755'). */
export function mode(m: unknown, name = 'mode'): number {
  if (typeof m === 'string' && /^(0o?)?[0-7]{1,6}$/.test(m)) return parseInt(m.replace(/^0o?/, '') || '0', 8);
  return int(m, name, 0, 0o7777777);
}

/** A 64-bit integer argument (offsets, lengths): number or bigint, passed on as bigint when beyond 2^53. */
export function int64(v: unknown, name: string, unsigned = false): number | bigint {
  if (typeof v === 'bigint') {
    const lo = unsigned ? 0n : -(2n ** 63n);
    const hi = unsigned ? 2n ** 64n - 1n : 2n ** 63n - 1n;
    if (v < lo || v > hi) throw new RangeError(`${name} out of range: ${v}`);
    return v;
  }
  if (!isInt(v)) throw new TypeError(`${name} must be an integer or a bigint, got ${describe(v)}`);
  if (unsigned && v < 0) throw new RangeError(`${name} must not be negative: ${v}`);
  return v;
}

/** What a value is, for messages; reads nothing the value could lie about (no getters, no methods, no proxies' traps). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v !== 'object') return `${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return 'an array';
  const tag = taTag(v);
  if (tag !== undefined) return `a ${tag}`;
  if (isView(v)) return 'a DataView';
  return 'an object';
}

// ---------------------------------------------------------------------------------------------------------------------
// Memory

/** Whether `v` is really a typed array or a DataView (an internal-slot test: no proxy or prototype can fake it). */
export function isBytes(v: unknown): v is Bytes {
  return isView(v);
}

/** The byte length of a typed array or DataView, from the intrinsic getters (0 once its buffer is detached). */
export function lengthOf(v: Bytes): number {
  return taTag(v) !== undefined ? taLength(v) : dvLength(v);
}

/**
 * A fresh Uint8Array over the bytes of `v` (a typed array or DataView), from `offset` for `len` bytes (default: to the
 * end), computed from intrinsics; a TypeError or RangeError names the argument. No code of the caller's runs.
 */
export function region(v: unknown, name: string, offset: unknown = 0, len?: unknown): Uint8Array {
  if (!isView(v)) throw new TypeError(`${name} must be a Buffer or a typed array, got ${describe(v)}`);
  const ta = taTag(v) !== undefined;
  const size = ta ? taLength(v) : dvLength(v);
  const off = offset === 0 ? 0 : int(offset, `${name} offset`, 0, size);
  const n = len === undefined ? size - off : int(len, `${name} length`, 0, size - off);
  // a view of a detached buffer has no bytes (and no memory)
  if (n === 0) return new U8(0);
  return new U8(ta ? taBuffer(v) : dvBuffer(v), (ta ? taOffset(v) : dvOffset(v)) + off, n);
}

// Memory of shared mappings (registered by memory.ts): its pages can vanish under it (the file was truncated), and then
// a read from JavaScript is a SIGBUS that kills the process, where the kernel answers EFAULT. The library copies such
// memory through the kernel (process_vm_readv on itself), so that its calls fail with EFAULT instead.
const mapped = new WeakSet<object>();
let kernelCopy: ((dst: Uint8Array, src: Uint8Array) => void) | undefined;

/** memory.ts: the ArrayBuffer `ab` is mapped memory. */
export function markMapped(ab: ArrayBuffer): void {
  mapped.add(ab);
}

/** memory.ts: how to copy mapped memory through the kernel (throws a SyscallError, EFAULT where the pages are gone). */
export function setKernelCopy(copy: (dst: Uint8Array, src: Uint8Array) => void): void {
  kernelCopy = copy;
}

/** Copy the bytes of `src` (a region) to the start of `dst`, a Uint8Array the library owns and is long enough. */
export function copyInto(dst: Uint8Array, src: Uint8Array): void {
  if (kernelCopy && taLength(src) && mapped.has(taBuffer(src))) kernelCopy(dst, src);
  else taSet(dst, src);
}

/** A copy of the bytes of `v` (a typed array or DataView) in memory the library owns, with `extra` zero bytes after. */
export function copyBytes(v: Bytes, extra = 0): Buffer {
  const src = region(v, 'bytes');
  const n = taLength(src);
  const out = allocUnsafe(n + extra);
  copyInto(out, src);
  for (let i = n; i < n + extra; i++) out[i] = 0;
  return out;
}

/** The first index of `byte` in a Uint8Array the library owns (intrinsic: no method of the array is called). */
export function indexOfByte(v: Uint8Array, byte: number, from = 0): number {
  return taIndexOf(v, byte, from);
}

// ---------------------------------------------------------------------------------------------------------------------
// Strings the kernel parses

/**
 * A path for the kernel: a string without NUL, a file: URL (through node:url's fileURLToPath, which refuses encoded
 * slashes and remote hosts), or a Buffer / typed array, which is copied into the library's memory, NUL-terminated, and
 * checked there, so that nothing the caller runs afterwards can change what the kernel reads.
 */
export function path(p: unknown, name = 'path'): string | Buffer {
  if (typeof p === 'string') {
    if (StringIncludes(p, '\0')) throw new TypeError(`${name} must not contain NUL bytes: ${JSON.stringify(p)}`);
    return p;
  }
  if (isView(p)) {
    const c = copyBytes(p, 1);
    const n = taLength(c) - 1; // the caller's length; a NUL may end it, or the copy's own last byte ends it
    const nul = taIndexOf(c, 0);
    if (nul < n - 1) throw new TypeError(`${name} must not contain NUL bytes before its end`);
    return c;
  }
  if (p instanceof URL) {
    let s: string;
    try {
      s = fileURLToPath(p);
    } catch (e) {
      throw new TypeError(`${name}: ${(e as Error).message}`);
    }
    return path(s, name);
  }
  throw new TypeError(`${name} must be a string, a Buffer or a file: URL, got ${describe(p)}`);
}

/** Text of a path for error messages. */
export function pathText(p: string | Buffer): string {
  if (typeof p === 'string') return p;
  const nul = taIndexOf(p, 0);
  return p.toString('utf8', 0, nul >= 0 ? nul : p.length);
}
