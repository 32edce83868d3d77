// The runtime of the generated struct views. A generated struct is a row of a table: its size, alignment and member
// table as a JSON string. defineStructs() makes each struct's class on its first use, and the class gets its member
// accessors on its first construction. Keeping classes and accessors out of the generated source keeps
// `import 'tsyscall'` cheap: hundreds of structs cost a string each until one is used.
import { defineLazy } from './lazy.ts';

export function checkView(buffer: unknown, offset: unknown, size: number, name: string): void {
  if (!Buffer.isBuffer(buffer)) throw new TypeError(`${name}: expected a Buffer, got ${buffer === null ? 'null' : typeof buffer}`);
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset + size > buffer.length) {
    throw new RangeError(`${name}: ${size} bytes at offset ${String(offset)} do not fit in a buffer of ${buffer.length}`);
  }
}

/** The base of every generated struct view: `$buffer` and `$offset` say where the struct lives. */
export class View {
  static readonly size: number = 0;
  static readonly align: number = 1;
  readonly $buffer: Buffer;
  readonly $offset: number;
  constructor(buffer?: Buffer, offset = 0) {
    const cls = new.target as unknown as { size: number; name: string; $init?: (() => void) | null };
    if (cls.$init) cls.$init();
    const b = buffer ?? Buffer.alloc(cls.size);
    checkView(b, offset, cls.size, cls.name);
    this.$buffer = b;
    this.$offset = offset;
  }
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

function setBytes(buffer: Buffer, start: number, end: number, v: unknown): void {
  const src = typeof v === 'string' ? Buffer.from(v) : v;
  if (!ArrayBuffer.isView(src)) throw new TypeError(`expected a Buffer or a string, got ${typeof v}`);
  const bytes = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  if (bytes.length > end - start) throw new RangeError(`${bytes.length} bytes do not fit in a field of ${end - start}`);
  buffer.fill(0, start, end);
  bytes.copy(buffer, start);
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
          get(this: Self) { return this.$buffer.subarray(this.$offset + off, this.$offset + off + size); },
          set(this: Self, v: unknown) { setBytes(this.$buffer, this.$offset + off, this.$offset + off + size, v); },
        };
        break;
      case 'flex':
        desc = {
          get(this: Self) { return this.$buffer.subarray(this.$offset + off); },
          set(this: Self, v: unknown) { setBytes(this.$buffer, this.$offset + off, this.$buffer.length, v); },
        };
        break;
      case 'raw':
        desc = { get(this: Self) { return this.$buffer.subarray(this.$offset + off, this.$offset + off + size); } };
        break;
      case 'view': {
        const C = elem as ViewClass;
        desc = {
          get(this: Self) { return new C(this.$buffer, this.$offset + off); },
          set(this: Self, v: View) {
            if (!(v instanceof C)) throw new TypeError(`${name} must be a ${C.name}`);
            v.$buffer.copy(this.$buffer, this.$offset + off, v.$offset, v.$offset + C.size);
          },
        };
        break;
      }
      case 'views': {
        const C = elem as ViewClass;
        desc = {
          get(this: Self) {
            const r: View[] = [];
            for (let i = 0; i < count!; i++) r.push(new C(this.$buffer, this.$offset + off + i * C.size));
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
              const v = s.rd.call(this.$buffer, this.$offset + off + i * s.size);
              r.push(elem === 'bool' ? v !== 0 : v);
            }
            return r;
          },
          set(this: Self, a: readonly (number | bigint | boolean)[]) {
            if (!Array.isArray(a)) throw new TypeError(`${name} must be an array`);
            for (let i = 0; i < n; i++) {
              const v = a[i] ?? 0;
              s.wr.call(this.$buffer, (s.big ? BigInt(v) : Number(v)) as never, this.$offset + off + i * s.size);
            }
          },
        };
        break;
      }
      default: {
        const { rd, wr, big } = scalar(kind, endian);
        if (kind === 'bool') {
          desc = {
            get(this: Self) { return rd.call(this.$buffer, this.$offset + off) !== 0; },
            set(this: Self, v: boolean) { wr.call(this.$buffer, (v ? 1 : 0) as never, this.$offset + off); },
          };
        } else if (big) {
          desc = {
            get(this: Self) { return rd.call(this.$buffer, this.$offset + off); },
            set(this: Self, v: bigint | number) { wr.call(this.$buffer, BigInt(v) as never, this.$offset + off); },
          };
        } else {
          desc = {
            get(this: Self) { return rd.call(this.$buffer, this.$offset + off); },
            set(this: Self, v: number) { wr.call(this.$buffer, v as never, this.$offset + off); },
          };
        }
      }
    }
    Object.defineProperty(cls.prototype, name, { ...desc, enumerable: true, configurable: true });
  }
}
