// Struct variant drafts for porting: when a struct's layout on a target differs from what the layout engine makes of
// the common fields, the compiler already knows the target's real definition. This compiles the struct's headers with
// debug info (-g), reads the DWARF description (binutils' readelf) and writes it back as spec fields: member names,
// their types spelled with the spec's typedefs and structs, inline anonymous members, array dimensions, `packed` and
// `aligned` where the engine needs them to reproduce the compiler's offsets. Every draft is laid out by the layout
// engine and compared with the compiler's offsets before it is offered; what cannot be expressed (bit-fields, arrays of
// anonymous structs) is reported instead. A human reviews the drafts (git diff) before they are committed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FieldSpec, ResolvedArch, StructSpec } from '../lib/spec.ts';
import { LayoutEngine } from '../lib/layout.ts';
import type { Target } from '../lib/targets.ts';

interface Die { tag: string; offset: number; attrs: Record<string, string>; children: Die[] }

/** Parse `readelf --debug-dump=info` into DIE trees, indexed by offset. */
export function parseDwarf(text: string): Map<number, Die> {
  const byOffset = new Map<number, Die>();
  const stack: Die[] = [];
  let current: Die | undefined;
  for (const line of text.split('\n')) {
    const head = /^\s*<(\d+)><([0-9a-f]+)>: Abbrev Number: (\d+)(?: \((DW_TAG_\w+)\))?/.exec(line);
    if (head) {
      const depth = Number(head[1]);
      if (head[3] === '0') { current = undefined; continue; }
      const die: Die = { tag: head[4], offset: parseInt(head[2], 16), attrs: {}, children: [] };
      byOffset.set(die.offset, die);
      stack.length = depth;
      if (depth > 0 && stack[depth - 1]) stack[depth - 1].children.push(die);
      stack[depth] = die;
      current = die;
      continue;
    }
    const attr = /^\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*:\s*(.*)$/.exec(line);
    if (attr && current) {
      let v = attr[2].trim();
      const ind = /^\(indirect (?:line )?string, offset: (?:0x)?[0-9a-f]+\): (.*)$/.exec(v);
      if (ind) v = ind[1];
      current.attrs[attr[1]] = v;
    }
  }
  return byOffset;
}

const BASE_NAMES: Record<string, string> = {
  'long int': 'long', 'long unsigned int': 'unsigned long', 'short int': 'short', 'short unsigned int': 'unsigned short',
  'long long int': 'long long', 'long long unsigned int': 'unsigned long long', 'unsigned int': 'unsigned int',
  'int': 'int', 'char': 'char', 'signed char': 'signed char', 'unsigned char': 'unsigned char', '_Bool': '_Bool',
  'float': 'float', 'double': 'double', 'long double': 'long double',
};

const ref = (v: string | undefined) => (v ? parseInt(v.replace(/[<>]/g, ''), 16) : undefined);
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v.split(/\s/)[0]));

export interface Draft {
  struct: string;
  /** The variant for overrides/<arch>.json "structs", when it reproduces the compiler's layout. */
  variant?: Partial<StructSpec>;
  /** Why no variant is offered, or what to look at. */
  problem?: string;
}

class Speller {
  problems: string[] = [];
  constructor(private dies: Map<number, Die>, private abi: ResolvedArch, private cToKey: Map<string, string>) {}

  private die(o: number | undefined): Die | undefined {
    return o === undefined ? undefined : this.dies.get(o);
  }

  /** Whether the spec has this struct or union (by its C name). */
  knownAggregate(d: Die): boolean {
    const kind = d.tag === 'DW_TAG_union_type' ? 'union' : 'struct';
    return !!d.attrs.DW_AT_name && this.cToKey.has(`${kind} ${d.attrs.DW_AT_name}`);
  }

  /** The struct/union DIE a type refers to (through typedefs and qualifiers), if it is one. */
  aggregate(d: Die | undefined): Die | undefined {
    while (d && /typedef|const_type|volatile_type/.test(d.tag)) d = this.die(ref(d.attrs.DW_AT_type));
    return d && /structure_type|union_type/.test(d.tag) ? d : undefined;
  }

  /** A spec type string, or an inline member (fields) for an anonymous struct or union. */
  type(d: Die | undefined): string | { kind: 'struct' | 'union'; fields: FieldSpec[]; align?: number } {
    if (!d) return 'void';
    switch (d.tag) {
      case 'DW_TAG_base_type': return BASE_NAMES[d.attrs.DW_AT_name] ?? d.attrs.DW_AT_name;
      case 'DW_TAG_const_type': case 'DW_TAG_volatile_type': return this.type(this.die(ref(d.attrs.DW_AT_type)));
      case 'DW_TAG_typedef': {
        const name = d.attrs.DW_AT_name;
        if (this.abi.typedefs.has(name)) return name;
        const key = this.cToKey.get(name);
        if (key) return `struct ${key}`;
        return this.type(this.die(ref(d.attrs.DW_AT_type)));
      }
      case 'DW_TAG_enumeration_type': {
        const under = this.die(ref(d.attrs.DW_AT_type));
        return under ? this.type(under) : 'unsigned int';
      }
      case 'DW_TAG_pointer_type': {
        const inner = this.die(ref(d.attrs.DW_AT_type));
        if (!inner || inner.tag === 'DW_TAG_subroutine_type') return 'void *';
        const agg = this.aggregate(inner);
        if (agg && !this.knownAggregate(agg)) return 'void *';
        const t = this.type(inner);
        return typeof t === 'string' ? `${t} *` : 'void *';
      }
      case 'DW_TAG_array_type': {
        const dims = d.children.filter((c) => c.tag === 'DW_TAG_subrange_type').map((c) => {
          if (c.attrs.DW_AT_count !== undefined) return num(c.attrs.DW_AT_count)!;
          if (c.attrs.DW_AT_upper_bound !== undefined) return num(c.attrs.DW_AT_upper_bound)! + 1;
          return -1;
        });
        const el = this.type(this.die(ref(d.attrs.DW_AT_type)));
        if (typeof el !== 'string') { this.problems.push('an array of an anonymous struct or union'); return 'char[0]'; }
        return `${el}${dims.map((n) => (n < 0 ? '[]' : `[${n}]`)).join('')}`;
      }
      case 'DW_TAG_structure_type': case 'DW_TAG_union_type': {
        const kind = d.tag === 'DW_TAG_union_type' ? 'union' : 'struct';
        const cname = d.attrs.DW_AT_name ? `${kind} ${d.attrs.DW_AT_name}` : undefined;
        const key = cname ? this.cToKey.get(cname) : undefined;
        if (key) return `struct ${key}`;
        const align = num(d.attrs.DW_AT_alignment);
        return { kind, fields: this.fields(d), ...(align ? { align } : {}) };
      }
      default:
        this.problems.push(`unexpected ${d.tag}`);
        return 'void';
    }
  }

  fields(s: Die): FieldSpec[] {
    const out: FieldSpec[] = [];
    for (const m of s.children.filter((c) => c.tag === 'DW_TAG_member')) {
      const name = m.attrs.DW_AT_name;
      if (m.attrs.DW_AT_bit_size !== undefined) this.problems.push(`bit-field ${name ?? '(anonymous)'}`);
      const t = this.type(this.die(ref(m.attrs.DW_AT_type)));
      const align = num(m.attrs.DW_AT_alignment);
      if (typeof t === 'string') out.push({ name, type: t, ...(align ? { align } : {}) });
      else out.push({ ...(name ? { name } : {}), kind: t.kind, fields: t.fields, ...(align ?? t.align ? { align: align ?? t.align } : {}) });
    }
    return out;
  }

  /** Every named member's offset, by C designator (anonymous members flattened), from the DWARF. */
  offsets(s: Die, prefix = '', base = 0, out = new Map<string, number>()): Map<string, number> {
    for (const m of s.children.filter((c) => c.tag === 'DW_TAG_member')) {
      const off = base + (num(m.attrs.DW_AT_data_member_location) ?? 0);
      const name = m.attrs.DW_AT_name;
      if (name) out.set(prefix + name, off);
      const agg = this.aggregate(this.die(ref(m.attrs.DW_AT_type)));
      if (agg && !this.knownAggregate(agg)) {
        this.offsets(agg, name ? `${prefix}${name}.` : prefix, off, out);
      }
    }
    return out;
  }
}

/** Drafts for these structs on a target (readelf from binutils reads any ELF). */
export function draftVariants(abi: ResolvedArch, target: Target, names: string[], dir: string): Draft[] {
  mkdirSync(dir, { recursive: true });
  const cToKey = new Map<string, string>();
  for (const s of abi.structs.values()) cToKey.set(s.c, s.name);
  const drafts: Draft[] = [];
  const raw: { name: string; sp: Speller; agg: Die; fields: FieldSpec[]; size: number; align?: number }[] = [];
  names.forEach((name, i) => {
    const s = abi.structs.get(name);
    if (!s) { drafts.push({ struct: name, problem: 'not in the spec for this arch' }); return; }
    const src = join(dir, `draft_${i}.c`);
    const obj = join(dir, `draft_${i}.o`);
    writeFileSync(src, ['#define _GNU_SOURCE', ...s.header.map((h) => `#include <${h}>`), `${s.c} *ctest_draft;`, ''].join('\n'));
    try {
      execFileSync(target.cc[0], [...target.cc.slice(1), '-w', '-g', '-c', '-o', obj, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      drafts.push({ struct: name, problem: `does not compile: ${String((err as { stderr?: Buffer }).stderr ?? err).split('\n')[0]}` });
      return;
    }
    const dies = parseDwarf(execFileSync('readelf', ['--debug-dump=info', obj], { encoding: 'utf8', maxBuffer: 256 << 20 }));
    const v = [...dies.values()].find((d) => d.tag === 'DW_TAG_variable' && d.attrs.DW_AT_name === 'ctest_draft');
    const sp = new Speller(dies, abi, cToKey);
    const ptr = v && dies.get(ref(v.attrs.DW_AT_type)!);
    const agg = sp.aggregate(ptr && dies.get(ref(ptr.attrs.DW_AT_type)!));
    if (!agg) { drafts.push({ struct: name, problem: 'no struct in the debug info' }); return; }
    raw.push({ name, sp, agg, fields: sp.fields(agg), size: num(agg.attrs.DW_AT_byte_size)!, align: num(agg.attrs.DW_AT_alignment) });
  });
  // lay each draft out as the engine will (with every other draft in place: shmid64_ds holds an ipc64_perm), and keep
  // the first variant (unpacked, then packed) that reproduces the compiler's size and every offset
  const structs = new Map(abi.structs);
  for (const r of raw) structs.set(r.name, { ...abi.structs.get(r.name)!, fields: r.fields, ...(r.align ? { align: r.align } : {}) });
  for (const r of raw) {
    const common = abi.structs.get(r.name)!;
    const actual = r.sp.offsets(r.agg);
    let best: { variant: Partial<StructSpec>; diff: string } | undefined;
    for (const packed of [false, true]) {
      const variant: Partial<StructSpec> = { fields: r.fields };
      if (packed || common.packed) variant.packed = packed;
      if (r.align) variant.align = r.align;
      else if (common.align) variant.align = 1;
      const trial = new Map(structs);
      trial.set(r.name, { ...common, fields: r.fields, packed, align: variant.align });
      let diff = '';
      try {
        const L = new LayoutEngine({ ...abi, structs: trial }).struct(r.name);
        if (L.size !== r.size) diff = `size: engine ${L.size}, compiler ${r.size}`;
        for (const m of L.members) {
          const a = actual.get(m.path);
          if (a !== undefined && a !== m.offset) diff ||= `${m.path}: engine ${m.offset}, compiler ${a}`;
        }
      } catch (err) {
        diff = (err as Error).message;
      }
      if (!diff) { best = { variant, diff }; break; }
      best ??= { variant, diff };
    }
    const problems = [...new Set(r.sp.problems)];
    if (best && !best.diff && !problems.length) drafts.push({ struct: r.name, variant: best.variant });
    else drafts.push({ struct: r.name, variant: best?.variant, problem: [best?.diff, ...problems].filter(Boolean).join('; ') });
  }
  return drafts;
}
