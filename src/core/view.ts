// The runtime of the generated struct views. A generated struct is a row of a table: its size, alignment and member
// table as a JSON string. defineStructs() makes each struct's class on its first use, and the class gets its member
// accessors on its first construction. Keeping classes and accessors out of the generated source keeps
// `import 'tsyscall'` cheap: hundreds of structs cost a string each until one is used.
import { defineLazy } from './lazy.ts';

import { bufferFrom, alloc, describe, int, isBytes, lengthOf, region } from './args.ts';

let memOf: (v: View) => Uint8Array & Buffer;
let isStruct: (v: unknown) => v is View;
let sizeOf: (v: View) => number;
let bufferOf: (v: View) => Buffer;
let offsetOf: (v: View) => number;

/**
 * The base of every generated struct view. A view covers `size` bytes of a buffer from an offset. The memory it reads
 * and writes, and hands to the kernel, is a private Buffer made at construction from the buffer's real bounds (the
 * %TypedArray% intrinsics, not its `length`): nothing outside can replace it or lie about its size. `$buffer` and
 * `$offset` say, read-only, what the view was made over.
 */
export class View {
  static readonly size: number = 0;
  static readonly align: number = 1;
  /** The memory from the struct's first byte to the end of the buffer (flexible arrays reach past `size`). */
  #mem: Uint8Array & Buffer;
  #buffer: Buffer;
  #offset: number;
  /** The size checked at construction. */
  #size: number;
  constructor(buffer?: Buffer, offset = 0) {
    const cls = new.target as unknown as { size: number; name: string; $init?: (() => void) | null };
    if (cls.$init) cls.$init();
    const size = cls.size;
    const name = String(cls.name);
    let b: Buffer;
    if (buffer === undefined) {
      b = alloc(size);
    } else {
      if (!isBytes(buffer)) throw new TypeError(`${name}: expected a Buffer, got ${describe(buffer)}`);
      b = buffer;
    }
    const total = lengthOf(b);
    const off = int(offset, `${name} offset`, 0, 2 ** 53);
    if (!Number.isSafeInteger(size) || size < 0 || off + size > total) {
      throw new RangeError(`${name}: ${size} bytes at offset ${off} do not fit in a buffer of ${total}`);
    }
    const mem = region(b, name, off);
    // Buffer's accessors on the library's own object: as a Buffer, without a user-visible reference to it
    Object.setPrototypeOf(mem, Buffer.prototype);
    this.#mem = mem as Uint8Array & Buffer;
    this.#buffer = b;
    this.#offset = off;
    this.#size = size;
  }
  /** The buffer the view was made over. */
  get $buffer(): Buffer { return this.#buffer; }
  /** Where in `$buffer` the struct starts. */
  get $offset(): number { return this.#offset; }
  static {
    memOf = (v) => v.#mem;
    bufferOf = (v) => v.#buffer;
    offsetOf = (v) => v.#offset;
    isStruct = (v): v is View => typeof v === 'object' && v !== null && #mem in v;
    sizeOf = (v) => v.#size;
  }
}

type Cls = { readonly size: number; readonly name: string; readonly prototype: object };

/**
 * The memory of struct view `v` for the kernel: a fresh Uint8Array over exactly `len` bytes (default: the struct's
 * size) from its first byte. `v` must be a real view (a brand check: a proxy or an object made from the prototype is
 * refused) of class `cls`, and its memory must still hold those bytes (a detached or shrunk buffer is a RangeError).
 */
export function structArg(v: unknown, cls: Cls, name: string, len: number = cls.size, label: string = cls.name): Uint8Array {
  if (!isStruct(v) || !(v instanceof (cls as unknown as new () => object))) {
    throw new TypeError(`${name} must be a ${label}, got ${describe(v)}`);
  }
  const mem = memOf(v);
  const have = lengthOf(mem);
  if (sizeOf(v) < cls.size || have < len) {
    throw new RangeError(`${name}: the ${cls.name} needs ${len} bytes, its buffer has ${have}`);
  }
  // the view's own memory is the library's object, which no caller holds: it goes to the kernel as it is
  return have === len ? mem : region(mem, name, 0, len);
}

/** The library's own Buffer behind a view (from its first byte to the end of its buffer), for the accessors. */
export function viewMemory(v: View): Uint8Array & Buffer {
  return memOf(v);
}

export type ViewClass = { new (buffer?: Buffer, offset?: number): View; readonly size: number; readonly name: string };

/** A generated struct's class: `new S()` (a zeroed buffer of S.size bytes), `new S(buffer, offset)`, `S.size`. */
export interface StructClass<T extends View = View> {
  new (buffer?: Buffer, offset?: number): T;
  readonly prototype: T;
  readonly size: number;
  readonly align: number;
  readonly name: string;
}

/** [size, align, member table as JSON] by class name: what the generator writes for each arch. */
export type StructTable = Readonly<Record<string, readonly [number, number, string]>>;

/**
 * Define each struct of `table` on `target` (an arch's ABI object), made on first access. A member table names nested
 * structs by class name; they are looked up on `target` too.
 */
export function defineStructs(target: object, endian: 'LE' | 'BE', table: StructTable): void {
  defineLazy(target, table, (name, [size, align, json]) => {
    const cls = { [name]: class extends View {} }[name];
    Object.defineProperties(cls, { size: { value: size }, align: { value: align } });
    defineMembers(cls, endian, () => (JSON.parse(json) as (string | number)[][]).map((row) => {
      const [member, kind, off, bytes, elem, count] = row as [string, MemberKind, number, number, string?, number?];
      const e = kind === 'view' || kind === 'views' ? (target as Record<string, ViewClass>)[elem!] : (elem as MemberKind | undefined);
      return [member, kind, off, bytes, e, count] as Member;
    }));
    return cls;
  });
}

/**
 * Member kinds: i8 u8 i16 u16 i32 u32 i64 u64 f32 f64 bool (scalars), i32n u32n (a C long or pointer in 4 bytes:
 * read as a bigint, as the same member is on 64-bit arches, so that its type is one on every arch), bytes (a byte array: a Buffer view; written
 * from a Buffer or string), flex (a flexible array: bytes to the end of the buffer), raw (anything else: a Buffer
 * view), view (a nested struct: a view of its class), array (of a scalar kind), views (an array of structs).
 */
export type MemberKind = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'f32' | 'f64' | 'bool'
  | 'i32n' | 'u32n' | 'bytes' | 'flex' | 'raw' | 'view' | 'array' | 'views';

/** [name, kind, offset, size in bytes, element kind or class, element count]. */
export type Member = readonly [string, MemberKind, number, number, (MemberKind | ViewClass)?, number?];

type Rd = (this: Buffer, off: number) => number | bigint;
type Wr = (this: Buffer, v: never, off: number) => number;
const P = Buffer.prototype as unknown as Record<string, Rd & Wr>;

function scalar(kind: MemberKind, endian: 'LE' | 'BE'): { rd: Rd; wr: Wr; size: number; big: boolean } {
  const m: Record<string, [string, number]> = {
    i8: ['Int8', 1], u8: ['UInt8', 1], bool: ['UInt8', 1], i16: ['Int16', 2], u16: ['UInt16', 2], i32: ['Int32', 4],
    u32: ['UInt32', 4], i64: ['BigInt64', 8], u64: ['BigUInt64', 8], f32: ['Float', 4], f64: ['Double', 8],
    i32n: ['Int32', 4], u32n: ['UInt32', 4],
  };
  const [name, size] = m[kind];
  const e = size === 1 ? '' : endian;
  const rd = P[`read${name}${e}`];
  const wr = P[`write${name}${e}`];
  if (kind === 'i32n' || kind === 'u32n') {
    // the accessors give a bigint; the 4-byte field is read and written as a number
    return {
      rd(this: Buffer, off: number) { return BigInt((rd as Rd).call(this, off) as number); },
      wr(this: Buffer, v: never, off: number) { return (wr as Wr).call(this, Number(v) as never, off); },
      size, big: true,
    };
  }
  return { rd, wr, size, big: size === 8 && kind[0] !== 'f' };
}

function setBytes(buffer: Uint8Array, start: number, end: number, v: unknown): void {
  if (typeof v !== 'string' && !isBytes(v)) throw new TypeError(`expected a Buffer or a string, got ${describe(v)}`);
  const bytes = typeof v === 'string' ? bufferFrom(v) : region(v, 'value');
  const n = lengthOf(bytes);
  if (n > end - start) throw new RangeError(`${n} bytes do not fit in a field of ${end - start}`);
  buffer.fill(0, start, end);
  buffer.set(bytes, start);
}

type Self = View;

/**
 * Give a generated view class its member accessors: on its first construction, so that importing hundreds of structs
 * costs nothing until one is used.
 */
export function defineMembers(cls: { prototype: object }, endian: 'LE' | 'BE', members: () => readonly Member[]): void {
  // the table is a function too: its array literals are only parsed and built when the struct is first used
  const c = cls as { $init?: (() => void) | null };
  c.$init = () => {
    c.$init = null;
    define(cls, endian, members());
  };
}

function define(cls: { prototype: object }, endian: 'LE' | 'BE', members: readonly Member[]): void {
  for (const [name, kind, off, size, elem, count] of members) {
    let desc: PropertyDescriptor;
    switch (kind) {
      case 'bytes':
        desc = {
          get(this: Self) { return memOf(this).subarray(off, off + size); },
          set(this: Self, v: unknown) { setBytes(memOf(this), off, off + size, v); },
        };
        break;
      case 'flex':
        desc = {
          get(this: Self) { return memOf(this).subarray(off); },
          set(this: Self, v: unknown) { const m = memOf(this); setBytes(m, off, lengthOf(m), v); },
        };
        break;
      case 'raw':
        desc = { get(this: Self) { return memOf(this).subarray(off, off + size); } };
        break;
      case 'view': {
        const C = elem as ViewClass;
        desc = {
          get(this: Self) { return new C(bufferOf(this), offsetOf(this) + off); },
          set(this: Self, v: View) {
            if (!(v instanceof C)) throw new TypeError(`${name} must be a ${C.name}`);
            memOf(this).set(structArg(v, C, name), off);
          },
        };
        break;
      }
      case 'views': {
        const C = elem as ViewClass;
        desc = {
          get(this: Self) {
            const r: View[] = [];
            for (let i = 0; i < count!; i++) r.push(new C(bufferOf(this), offsetOf(this) + off + i * C.size));
            return r;
          },
        };
        break;
      }
      case 'array': {
        const s = scalar(elem as MemberKind, endian);
        const n = count!;
        desc = {
          get(this: Self) {
            const r: (number | bigint | boolean)[] = [];
            for (let i = 0; i < n; i++) {
              const v = s.rd.call(memOf(this), off + i * s.size);
              r.push(elem === 'bool' ? v !== 0 : v);
            }
            return r;
          },
          set(this: Self, a: readonly (number | bigint | boolean)[]) {
            if (!Array.isArray(a)) throw new TypeError(`${name} must be an array`);
            for (let i = 0; i < n; i++) {
              const v = a[i] ?? 0;
              s.wr.call(memOf(this), (s.big ? BigInt(v) : Number(v)) as never, off + i * s.size);
            }
          },
        };
        break;
      }
      default: {
        const { rd, wr, big } = scalar(kind, endian);
        if (kind === 'bool') {
          desc = {
            get(this: Self) { return rd.call(memOf(this), off) !== 0; },
            set(this: Self, v: boolean) { wr.call(memOf(this), (v ? 1 : 0) as never, off); },
          };
        } else if (big) {
          desc = {
            get(this: Self) { return rd.call(memOf(this), off); },
            set(this: Self, v: bigint | number) { wr.call(memOf(this), BigInt(v) as never, off); },
          };
        } else {
          desc = {
            get(this: Self) { return rd.call(memOf(this), off); },
            set(this: Self, v: number) { wr.call(memOf(this), v as never, off); },
          };
        }
      }
    }
    Object.defineProperty(cls.prototype, name, { ...desc, enumerable: true, configurable: true });
  }
}
