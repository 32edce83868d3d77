// The layout engine: from a struct's fields and an arch's data model, the size, alignment and every member's offset
// and size, as GCC lays them out (System V rules: each member at the next multiple of its alignment, a union at
// offset 0 for every member, the whole rounded up to the largest alignment; `packed` drops member alignment to 1,
// `aligned(N)` raises it, on a typedef it sets it). It is the only place layouts come from: ctest checks its numbers
// against the C compiler for every arch, and the generated TypeScript accessors use the same numbers.
import type { ResolvedArch, FieldSpec, Struct } from './spec.ts';

export type Scalar = 'int' | 'float' | 'bool' | 'pointer';

export interface TypeLayout {
  /** What the type is, with typedefs looked through. */
  kind: Scalar | 'struct' | 'union' | 'array';
  size: number;
  align: number;
  /** Integers only. */
  signed?: boolean;
  /** A C long (its size is the arch's word size, as a pointer's is). */
  long?: boolean;
  /** Arrays: the element type and count (-1 for a flexible array member). */
  elem?: TypeLayout;
  count?: number;
  /** Structs and unions: the spec struct's key. */
  struct?: string;
  /** The type as written in the spec ("__u64", "char[16]"). */
  spelling: string;
}

export interface MemberLayout {
  /** C member designator from the outermost struct: "st_size", "ifr_ifru.ifru_addr", "sa_data". */
  path: string;
  offset: number;
  size: number;
  type: TypeLayout;
  /** The kernel version that added this member, when newer than its struct. */
  since?: string;
  flexible: boolean;
  /** True for an inline (not typedef'd) struct or union member: its own members follow in the list. */
  inline: boolean;
  /** Padding C cannot name (anonymous bit-fields): laid out, but not checkable by name. */
  unnamed?: boolean;
}

export interface StructLayout {
  name: string;
  c: string;
  kind: 'struct' | 'union';
  size: number;
  align: number;
  /** Every member C can name, depth first, in declaration order. */
  members: MemberLayout[];
}

const BASE: Record<string, { model: string; signed?: boolean; kind: Scalar }> = {
  'char': { model: 'char', kind: 'int' },
  'signed char': { model: 'char', signed: true, kind: 'int' },
  'unsigned char': { model: 'char', signed: false, kind: 'int' },
  'short': { model: 'short', signed: true, kind: 'int' },
  'unsigned short': { model: 'short', signed: false, kind: 'int' },
  'int': { model: 'int', signed: true, kind: 'int' },
  'unsigned int': { model: 'int', signed: false, kind: 'int' },
  'long': { model: 'long', signed: true, kind: 'int' },
  'unsigned long': { model: 'long', signed: false, kind: 'int' },
  'long long': { model: 'long long', signed: true, kind: 'int' },
  'unsigned long long': { model: 'long long', signed: false, kind: 'int' },
  'float': { model: 'float', kind: 'float' },
  'double': { model: 'double', kind: 'float' },
  'long double': { model: 'long double', kind: 'float' },
  '_Bool': { model: '_Bool', signed: false, kind: 'bool' },
  'void': { model: 'char', kind: 'int' },
};

const SYNONYMS: Record<string, string> = {
  'signed': 'int', 'unsigned': 'unsigned int', 'signed int': 'int', 'short int': 'short', 'signed short': 'short',
  'unsigned short int': 'unsigned short', 'long int': 'long', 'signed long': 'long', 'unsigned long int': 'unsigned long',
  'long unsigned int': 'unsigned long', 'long long int': 'long long', 'signed long long': 'long long',
  'unsigned long long int': 'unsigned long long',
};

export interface ParsedType { base: string; pointers: number; dims: number[] }

/**
 * "const struct iovec *" -> { base: "struct iovec", pointers: 1, dims: [] }; "__u32[2][4]" -> dims [2, 4];
 * "char[]" (a flexible array member) -> dims [-1]; "char[0]" (GNU zero-length array) -> dims [0].
 */
export function parseType(spelling: string): ParsedType {
  const m = /^\s*(?:const\s+)?(.*?)\s*((?:\*\s*(?:const\s*)?)*)((?:\[\s*\d*\s*\])*)\s*$/.exec(spelling);
  if (!m) throw new Error(`cannot parse type '${spelling}'`);
  const base = m[1].replace(/\s+/g, ' ').replace(/\s*const$/, '');
  const dims = [...m[3].matchAll(/\[\s*(\d*)\s*\]/g)].map((d) => (d[1] === '' ? -1 : Number(d[1])));
  return { base: SYNONYMS[base] ?? base, pointers: (m[2].match(/\*/g) ?? []).length, dims };
}

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

export class LayoutEngine {
  private structCache = new Map<string, StructLayout>();
  private inProgress = new Set<string>();

  constructor(readonly abi: ResolvedArch) {}

  private model(name: string) {
    const t = this.abi.arch.types[name];
    if (!t) throw new Error(`arch ${this.abi.arch.arch} has no data model entry for '${name}'`);
    return t;
  }

  /** The layout of a type as the spec spells it. */
  type(spelling: string, seen: string[] = []): TypeLayout {
    const p = parseType(spelling);
    let t: TypeLayout;
    if (p.pointers > 0) {
      const m = this.model('pointer');
      t = { kind: 'pointer', size: m.size, align: m.align, spelling: spelling.replace(/\[.*$/, '').trim() };
    } else {
      t = this.baseType(p.base, seen);
    }
    for (let i = p.dims.length - 1; i >= 0; i--) {
      const n = p.dims[i];
      if (n < 0 && i > 0) throw new Error(`only the first dimension can be flexible: '${spelling}'`);
      t = { kind: 'array', size: t.size * Math.max(n, 0), align: t.align, elem: t, count: n, spelling };
    }
    return t;
  }

  private baseType(base: string, seen: string[]): TypeLayout {
    const b = BASE[base];
    if (b) {
      const m = this.model(b.model);
      const signed = b.kind === 'int' ? (b.signed ?? this.model('char').signed ?? true) : undefined;
      return { kind: b.kind, size: m.size, align: m.align, signed, ...(b.model === 'long' ? { long: true } : {}), spelling: base };
    }
    const td = this.abi.typedefs.get(base);
    if (td) {
      if (seen.includes(base)) throw new Error(`typedef cycle: ${[...seen, base].join(' -> ')}`);
      const inner = this.type(td.type, [...seen, base]);
      return { ...inner, align: td.align ?? inner.align, spelling: base };
    }
    const sm = /^(struct|union) (\w+)$/.exec(base);
    const key = sm ? sm[2] : base;
    if (this.abi.structs.has(key)) {
      const s = this.struct(key);
      return { kind: s.kind, size: s.size, align: s.align, struct: key, spelling: base };
    }
    throw new Error(`unknown type '${base}' (not a C base type, a typedef in typedefs.json, or a struct in structs/)`);
  }

  /** The layout of a spec struct or union by its key. */
  struct(name: string): StructLayout {
    const cached = this.structCache.get(name);
    if (cached) return cached;
    const s = this.abi.structs.get(name);
    if (!s) throw new Error(`unknown struct '${name}'`);
    if (this.inProgress.has(name)) throw new Error(`struct ${name} contains itself`);
    this.inProgress.add(name);
    try {
      const members: MemberLayout[] = [];
      const agg = this.aggregate(s.kind, s.fields, !!s.packed, s.align, '', 0, members, `struct ${name}`);
      const layout: StructLayout = { name, c: s.c, kind: s.kind, size: agg.size, align: agg.align, members };
      this.structCache.set(name, layout);
      return layout;
    } catch (err) {
      throw new Error(`${s.file}: ${name}: ${(err as Error).message}`);
    } finally {
      this.inProgress.delete(name);
    }
  }

  /**
   * Lay out the members of a struct or union starting at `base`, pushing every nameable member onto `out` with its
   * absolute offset. Returns the aggregate's size and alignment.
   */
  private aggregate(
    kind: 'struct' | 'union', fields: FieldSpec[], packed: boolean, alignAttr: number | undefined,
    prefix: string, base: number, out: MemberLayout[], where: string,
  ): { size: number; align: number } {
    let offset = 0;
    let size = 0;
    let align = 1;
    fields.forEach((f, i) => {
      const isLast = i === fields.length - 1;
      let t: TypeLayout;
      const path = f.name ? prefix + f.name : undefined;
      if (f.kind) {
        // an inline struct/union: lay it out in place; its members keep C's designators
        const inner: MemberLayout[] = [];
        const childPrefix = f.name ? `${path}.` : prefix;
        const sub = this.aggregate(f.kind, f.fields ?? [], !!f.packed || packed, f.align, childPrefix, 0, inner, where);
        t = { kind: f.kind, size: sub.size, align: sub.align, spelling: `${f.kind} {...}` };
        const a = packed && !f.align ? 1 : Math.max(f.align ?? 1, sub.align);
        const off = kind === 'union' ? 0 : roundUp(offset, a);
        if (path) out.push({ path, offset: base + off, size: t.size, type: t, since: f.since, flexible: false, inline: true });
        for (const m of inner) out.push({ ...m, offset: m.offset + base + off, since: m.since ?? f.since });
        align = Math.max(align, a);
        offset = off + t.size;
        size = Math.max(size, offset);
        return;
      }
      if (!f.type || !f.name) throw new Error(`${where}: a field needs a name and a type`);
      t = this.type(f.type);
      const flexible = t.kind === 'array' && t.count === -1;
      if (flexible && (!isLast || kind === 'union')) throw new Error(`${where}: flexible array ${f.name} must be the last member`);
      const natural = packed ? 1 : t.align;
      const a = f.align ? Math.max(f.align, natural) : natural;
      const off = kind === 'union' ? 0 : roundUp(offset, a);
      out.push({ path: path!, offset: base + off, size: t.size, type: t, since: f.since, flexible, inline: false, ...(f.unnamed ? { unnamed: true } : {}) });
      align = Math.max(align, a);
      offset = off + t.size;
      size = Math.max(size, offset);
    });
    if (alignAttr) align = Math.max(align, alignAttr);
    return { size: roundUp(size, align), align };
  }

  /** Every struct of the spec, laid out (internal ones included). */
  all(): StructLayout[] {
    return [...this.abi.structs.keys()].map((k) => this.struct(k));
  }
}

export function isInteger(t: TypeLayout): boolean {
  return t.kind === 'int' || t.kind === 'bool';
}

export type { Struct };
