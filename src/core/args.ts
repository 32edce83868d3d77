// Checks at the boundary: every pointer and length handed to the kernel is checked against the JS object it came from,
// so that no call, however wrong its arguments, lets the kernel write outside memory JavaScript owns.

/** Memory the kernel may fill or read. */
export type Bytes = ArrayBufferView;

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
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

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}`;
  return `${typeof v} ${String(v)}`;
}

export function isBytes(v: unknown): v is Bytes {
  return ArrayBuffer.isView(v);
}

const EMPTY = Buffer.alloc(0);

/** A struct view argument: an instance of `cls` (a generated view class or a subclass), as the Buffer region it covers. */
export function structArg(v: unknown, cls: { new (...a: never[]): { $buffer: Buffer; $offset: number }; size: number; name: string }, name: string): Buffer {
  if (!(v instanceof cls)) throw new TypeError(`${name} must be a ${cls.name}, got ${describe(v)}`);
  const { $buffer: b, $offset: o } = v;
  return o === 0 && b.length === cls.size ? b : region(b, name, o, cls.size);
}

/** A Buffer view of `len` bytes of `buf` from `offset`, checked; `len` defaults to the rest. */
export function region(buf: unknown, name: string, offset: unknown = 0, len?: unknown): Buffer {
  if (!isBytes(buf)) throw new TypeError(`${name} must be a Buffer or a typed array, got ${describe(buf)}`);
  const size = buf.byteLength;
  const off = int(offset, `${name} offset`, 0, size);
  const n = len === undefined ? size - off : int(len, `${name} length`, 0, size - off);
  // a view of a detached ArrayBuffer has no bytes (and Buffer.from would throw on it)
  if (size === 0) return EMPTY;
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return off === 0 && n === size ? b : b.subarray(off, off + n);
}

/** A path for the kernel: a string without NUL, or a Buffer (NUL-terminated on the way if it is not already). */
export function path(p: unknown, name = 'path'): string | Buffer {
  if (typeof p === 'string') {
    if (p.includes('\0')) throw new TypeError(`${name} must not contain NUL bytes: ${JSON.stringify(p)}`);
    return p;
  }
  if (p instanceof URL) {
    if (p.protocol !== 'file:') throw new TypeError(`${name} must be a file: URL, got ${p.protocol}`);
    return path(decodeURIComponent(p.pathname), name);
  }
  if (Buffer.isBuffer(p)) {
    const nul = p.indexOf(0);
    if (nul === p.length - 1) return p;
    if (nul >= 0) throw new TypeError(`${name} must not contain NUL bytes before its end`);
    return Buffer.concat([p, Buffer.alloc(1)]);
  }
  throw new TypeError(`${name} must be a string, a Buffer or a file: URL, got ${describe(p)}`);
}

/** Text of a path for error messages. */
export function pathText(p: string | Buffer): string {
  return typeof p === 'string' ? p : p.subarray(0, p.indexOf(0) >= 0 ? p.indexOf(0) : p.length).toString();
}
