// Roundtrips of struct layouts between C and the generated TypeScript views. Sizes and offsets (ctest.ts) can all be
// right while an accessor still reads the wrong bytes: a nested struct at the wrong place, an array element of the
// wrong size, an endianness slip, a setter that writes past its field into padding. So, for every struct that has a
// generated view and that the target's headers define:
//
//   C -> TS   C fills an instance with a byte pattern in which no two bytes of a field are equal and neighbouring
//             fields differ, prints the whole buffer and, for every leaf (scalar member, array element, member of a
//             nested struct or union), the value it reads through the header's own field access. The TS view over the
//             same bytes must read the same value (compared as the field's unsigned bit pattern).
//   TS -> C   every leaf gets its own value, written through the view's setters into a zeroed buffer (leaves that
//             overlap, as union members do, go to separate buffers). Each write may change only the bytes C says the
//             field has, padding stays zero, and C must read back every value.
//
// Which structs and fields count as checkable is ctest's decision (ctest runs first, structs and fields only): kernel-
// internal items, items newer than the headers and items the headers lack are skipped with ctest's reason. The C side
// is one translation unit per header set, as in ctest, compiled with the target's compiler and run under qemu-user like
// the matrix; it also links into a shared library (rt_fill_name/rt_read_name) for the targets koffi runs on, so the
// same check runs through the FFI in-process (test/roundtrip.test.ts, on the host and under emulation).
//
//   npm run roundtrip -- [--arch a,b,...] [--jobs N] [--abi DIR] [--out DIR] [--quiet]
//
// Prints a table per target (structs, fields each way, buffers, padding bytes, failures), writes
// build/roundtrip/report.md and report.json, exits non-zero on any failure.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import pc from 'picocolors';
import { ABI_DIR, ROOT, loadSpec, resolveArch, type ResolvedArch } from '../tools/lib/spec.ts';
import { LayoutEngine, type StructLayout, type TypeLayout } from '../tools/lib/layout.ts';
import { className } from '../tools/lib/generate.ts';
import { compile, parseErrors, pool, runCtest, type Result, type Target } from './ctest.ts';
import { TARGET_NAMES, ensureToolchains, archOption, describeChoice, runChoice, targetFor, targetInfo } from '../tools/lib/targets.ts';
import { describeExit } from '../tools/lib/exit.ts';

// ---------------------------------------------------------------------------------------------------------------
// The plan: every leaf of every struct, how C names it and how the TS view reaches it

/** One step from a view to a leaf: a property, or an index into what the property gave (an array, a Buffer). */
export interface Step {
  prop?: string;
  index?: number;
  /** The spec's offset (from the struct's start) of what this step yields: where a Buffer the view returns begins. */
  offset: number;
}

export type LeafKind = 'int' | 'pointer' | 'bool';

export interface Leaf {
  /** The C designator from the struct: "st_size", "stx_atime.tv_sec", "sun_path[3]", "fm_extents[1].fe_flags". */
  path: string;
  /** The spec's offset and size. */
  offset: number;
  size: number;
  kind: LeafKind;
  signed: boolean;
  steps: Step[];
  /** The scalar's C type as the spec spells it ("unsigned long", "__u32"). */
  ctype: string;
  /**
   * Set when C's member is not subscriptable although the spec lays it out as an array (a struct that wraps one, such
   * as the kernel's sigset_t on most arches): C then reads the element at its address, as the spec's type.
   */
  byAddress?: boolean;
}

export interface StructPlan {
  /** The spec's key ("stat"), its C spelling ("struct stat") and its view class ("Stat"). */
  name: string;
  c: string;
  cls: string;
  header: string[];
  /** The spec's size; the buffers are max(spec size, sizeof in C) + extra (room for a flexible array's elements). */
  size: number;
  extra: number;
  leaves: Leaf[];
}

export interface Skip { struct: string; path?: string; reason: string }

export interface Plan {
  arch: string;
  endian: 'little' | 'big';
  structs: StructPlan[];
  /** Structs and members not checked, with the reason. */
  skipped: Skip[];
  /** Leaves checked in a way worth saying (read at their address: C's member is not the array the spec has). */
  notes?: Skip[];
}

/** Why a member cannot be checked (undefined: it can), given its struct's spec key and its member path. */
export type Checkable = (struct: string, path: string) => string | undefined;

/** ctest's verdict as a Checkable: a member is checkable when ctest compiled its check (agreeing or not). */
export function checkableFromCtest(results: Result[]): Checkable {
  const fields = new Map(results.filter((r) => r.check.kind === 'field').map((r) => [r.check.id, r]));
  return (struct, path) => {
    const r = fields.get(`${struct}.${path}`);
    if (!r) return 'ctest has no check for it';
    if (r.status === 'ok' || (r.status === 'mismatch' && r.actual)) return undefined;
    return `ctest: ${(r.reason ?? r.status).replace(/:\s[\s\S]*$/, '')}`;
  };
}

/** Elements of a flexible array checked past the struct's end (structs, other elements). */
const FLEX_STRUCTS = 2;
const FLEX_SCALARS = 8;
const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

/** Every leaf of every struct of the spec that has a view, minus what `checkable` rules out. */
export function planRoundtrip(abi: ResolvedArch, checkable: Checkable = () => undefined): Plan {
  const engine = new LayoutEngine(abi);
  const structs: StructPlan[] = [];
  const skipped: Skip[] = [];
  for (const s of abi.structs.values()) {
    if (s.internal) {
      skipped.push({ struct: s.name, reason: 'kernel-internal: no UAPI header defines it' });
      continue;
    }
    let L: StructLayout;
    try {
      L = engine.struct(s.name);
    } catch (err) {
      skipped.push({ struct: s.name, reason: `spec error: ${(err as Error).message}` });
      continue;
    }
    const flex = L.members.find((m) => m.flexible);
    const extra = flex ? roundUp(Math.max(16, FLEX_STRUCTS * flex.type.elem!.size), 16) : 0;
    const leaves: Leaf[] = [];
    const skips: Skip[] = [];

    const members = (L2: StructLayout, prefix: string, steps: Step[], base: number) => {
      const offsets = new Map(L2.members.map((m) => [m.path, m.offset]));
      for (const m of L2.members) {
        if (m.inline) continue;
        const path = prefix + m.path;
        if (m.unnamed) {
          skips.push({ struct: s.name, path, reason: 'unnamed (anonymous bit-field padding): C cannot read it by name' });
          continue;
        }
        const why = checkable(L2.name, m.path);
        if (why) {
          skips.push({ struct: s.name, path, reason: why });
          continue;
        }
        const segs = m.path.split('.');
        const st = [...steps, ...segs.map((p, i) => ({ prop: p, offset: base + offsets.get(segs.slice(0, i + 1).join('.'))! }))];
        if (m.flexible && (L2 !== L || base !== 0)) {
          skips.push({ struct: s.name, path, reason: 'a flexible array inside a nested struct' });
          continue;
        }
        leaf(m.type, path, st, base + m.offset, m.flexible);
      }
    };
    const leaf = (t: TypeLayout, path: string, steps: Step[], off: number, flexible = false) => {
      if (t.kind === 'array') {
        const e = t.elem!;
        let n = t.count!;
        if (flexible) {
          n = Math.min(Math.floor((L.size + extra - off) / e.size), e.kind === 'struct' || e.kind === 'union' ? FLEX_STRUCTS : FLEX_SCALARS);
        }
        if (n <= 0) {
          skips.push({ struct: s.name, path, reason: 'a zero-length array: no bytes to read' });
          return;
        }
        for (let i = 0; i < n; i++) {
          const o = off + i * e.size;
          leaf(e, `${path}[${i}]`, [...steps, { index: i, offset: o }], o);
        }
      } else if (t.kind === 'struct' || t.kind === 'union') {
        members(engine.struct(t.struct!), `${path}.`, steps, off);
      } else if (t.kind === 'float') {
        skips.push({ struct: s.name, path, reason: 'floating point: not compared' });
      } else {
        leaves.push({ path, offset: off, size: t.size, kind: t.kind, signed: !!t.signed, steps, ctype: t.spelling });
      }
    };
    members(L, '', [], 0);
    skipped.push(...skips);
    if (!leaves.length) {
      skipped.push({ struct: s.name, reason: skips.length ? `no checkable member (${skips[0].reason})` : 'no members' });
      continue;
    }
    structs.push({ name: s.name, c: s.c, cls: className(s.name), header: s.header, size: L.size, extra, leaves });
  }
  return { arch: abi.arch.arch, endian: abi.arch.endian, structs, skipped };
}

/** A copy of the resolved spec with only these structs (by spec key or view class name) and the structs they contain. */
export function restrictAbi(abi: ResolvedArch, names: string[]): ResolvedArch {
  const engine = new LayoutEngine(abi);
  const byClass = new Map([...abi.structs.keys()].map((k) => [className(k), k]));
  const keep = new Set<string>();
  const add = (name: string) => {
    if (keep.has(name) || !abi.structs.has(name)) return;
    keep.add(name);
    for (const m of engine.struct(name).members) {
      for (let t: TypeLayout | undefined = m.type; t; t = t.elem) if (t.struct) add(t.struct);
    }
  };
  for (const n of names) add(abi.structs.has(n) ? n : byClass.get(n) ?? n);
  return { ...abi, structs: new Map([...abi.structs].filter(([k]) => keep.has(k))) };
}

/** A digest of what the plan depends on in the spec (prebuilt artifacts say which spec they were built from). */
export function specDigest(abi: ResolvedArch): string {
  const data = { arch: abi.arch, structs: [...abi.structs.values()], typedefs: [...abi.typedefs.values()] };
  return createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16);
}

// ---------------------------------------------------------------------------------------------------------------
// The C side

const cstr = (s: string) => JSON.stringify(s);

/** One translation unit: the structs of one header set, each a function that prints every leaf it reads. */
export function cUnit(items: { k: number; sp: StructPlan }[]): { code: string; lines: Map<number, [number, number]> } {
  const head = [
    '/* Generated by ctest/roundtrip.ts: do not edit. */',
    '#define _GNU_SOURCE',
    ...items[0].sp.header.map((h) => `#include <${h}>`),
    'void rt_v(const char *, long, unsigned long, unsigned long long);',
    '#define V(p, e) rt_v(p, (long)((const unsigned char *)&(e) - b), sizeof(e), (unsigned long long)(e))',
  ];
  const out = [...head];
  const lines = new Map<number, [number, number]>();
  for (const { k, sp } of items) {
    out.push(`unsigned long rt_s_${k}(const unsigned char *b) {`);
    out.push(`  const ${sp.c} *x = (const ${sp.c} *)b;`);
    out.push(`  if (!b) return (sizeof(*x) > ${sp.size}UL ? sizeof(*x) : ${sp.size}UL) + ${sp.extra}UL;`);
    sp.leaves.forEach((l, j) => {
      out.push(`  V(${cstr(l.path)}, ${l.byAddress ? byAddress(l) : `x->${l.path}`});`);
      lines.set(out.length, [k, j]);
    });
    out.push('  return 0;', '}');
  }
  return { code: out.join('\n') + '\n', lines };
}

/** The element at its address within the outermost array member, as the spec's scalar type. */
function byAddress(l: Leaf): string {
  const first = l.steps.findIndex((st) => st.index !== undefined);
  const base = l.path.slice(0, l.path.indexOf('['));
  const rel = l.offset - l.steps[first - 1].offset;
  return `(*(const ${l.ctype} *)((const unsigned char *)&x->${base} + ${rel}))`;
}

/** The driver: the table of structs, the fill pattern, the program's main and the library's entry points. */
export function cMain(plan: Plan): string {
  const n = plan.structs.length;
  return `/* Generated by ctest/roundtrip.ts: do not edit. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef unsigned long (*rt_fn)(const unsigned char *);
${plan.structs.map((_, k) => `unsigned long rt_s_${k}(const unsigned char *);`).join('\n')}
static const struct { const char *name; rt_fn fn; } rt_structs[${Math.max(n, 1)}] = {
${plan.structs.map((sp, k) => `  { ${cstr(sp.name)}, rt_s_${k} },`).join('\n')}
};
static FILE *rt_out;
/* a leaf: its path, where C has it, and what C reads there (as the unsigned pattern of its size) */
void rt_v(const char *path, long off, unsigned long size, unsigned long long v) {
  if (size < 8) v &= (1ULL << (size * 8)) - 1;
  fprintf(rt_out, "V\\t%s\\t%ld\\t%lu\\t%llx\\n", path, off, size, v);
}
/* byte i of a filled instance: within 256 bytes no two are equal; the next 256 differ again */
static unsigned char rt_pattern(unsigned long i) { return (unsigned char)((((i & 255) * 167 + 13) ^ ((i >> 8) * 59)) & 255); }
static unsigned char *rt_alloc(unsigned long len) {
  unsigned char *b = aligned_alloc(64, (len + 63) & ~63UL);
  if (!b) { perror("aligned_alloc"); exit(2); }
  memset(b, 0, (len + 63) & ~63UL);
  return b;
}
static int rt_find(const char *name) {
  for (int k = 0; k < ${n}; k++) if (!strcmp(rt_structs[k].name, name)) return k;
  return -1;
}
static void rt_fill1(int k) {
  unsigned long len = rt_structs[k].fn(0);
  unsigned char *b = rt_alloc(len);
  for (unsigned long i = 0; i < len; i++) b[i] = rt_pattern(i);
  fprintf(rt_out, "S\\t%s\\t%lu\\nH\\t", rt_structs[k].name, len);
  for (unsigned long i = 0; i < len; i++) fprintf(rt_out, "%02x", b[i]);
  fputc('\\n', rt_out);
  rt_structs[k].fn(b);
  free(b);
}
static int rt_unhex(int c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }
static void rt_read1(int k, const char *set, const char *hex) {
  unsigned long len = rt_structs[k].fn(0);
  unsigned char *b = rt_alloc(len);
  for (unsigned long i = 0; i < len && hex[2 * i] && hex[2 * i + 1]; i++) b[i] = (unsigned char)(rt_unhex(hex[2 * i]) << 4 | rt_unhex(hex[2 * i + 1]));
  fprintf(rt_out, "R\\t%s\\t%s\\t%lu\\n", rt_structs[k].name, set, len);
  rt_structs[k].fn(b);
  free(b);
}

/* the library's entry points (koffi): each returns the text the program would print, valid until the next call */
static char *rt_text;
static size_t rt_textlen;
static void rt_begin(void) { free(rt_text); rt_text = 0; rt_out = open_memstream(&rt_text, &rt_textlen); }
static const char *rt_end(void) { fclose(rt_out); rt_out = stdout; return rt_text; }
int rt_count(void) { return ${n}; }
const char *rt_name(int k) { return k >= 0 && k < ${n} ? rt_structs[k].name : 0; }
const char *rt_fill_name(const char *name) { int k = rt_find(name); if (k < 0) return 0; rt_begin(); rt_fill1(k); return rt_end(); }
const char *rt_read_name(const char *name, const char *set, const char *hex) {
  int k = rt_find(name); if (k < 0) return 0; rt_begin(); rt_read1(k, set, hex); return rt_end();
}

/* roundtrip fill: every struct, filled; roundtrip read: lines "name<TAB>set<TAB>hex" on stdin, each read back */
int main(int argc, char **argv) {
  rt_out = stdout;
  if (argc > 1 && !strcmp(argv[1], "fill")) {
    for (int k = 0; k < ${n}; k++) rt_fill1(k);
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "read")) {
    char *line = 0;
    size_t cap = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, stdin)) > 0) {
      if (line[got - 1] == '\\n') line[--got] = 0;
      char *set = strchr(line, '\\t'), *hex = set ? strchr(set + 1, '\\t') : 0;
      if (!hex) continue;
      *set++ = 0;
      *hex++ = 0;
      int k = rt_find(line);
      if (k < 0) { fprintf(stderr, "no struct %s\\n", line); return 2; }
      rt_read1(k, set, hex);
    }
    return 0;
  }
  fprintf(stderr, "usage: %s fill | read < lines\\n", argv[0]);
  return 2;
}
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Building

/** A failure, always naming the arch, the struct and (but for whole-struct failures) the field. */
export interface Failure {
  arch: string;
  struct: string;
  field?: string;
  /** C -> TS (the view read C's bytes), TS -> C (C read the view's writes), write (a setter touched other bytes),
   * layout (C has the leaf elsewhere than the spec), view (no class or accessor), compile (C could not read it). */
  check: 'C->TS' | 'TS->C' | 'write' | 'layout' | 'view' | 'compile';
  message: string;
}

export const describeFailure = (f: Failure) => `${f.arch} ${f.struct}${f.field ? `.${f.field}` : ''} [${f.check}]: ${f.message}`;

export interface Built {
  arch: string;
  dir: string;
  headers: string;
  plan: Plan;
  exe: string;
  /** The shared library, when built. */
  lib?: string;
  digest: string;
  /** Leaves C did not accept (the compiler's error), already removed from the plan. */
  failures: Failure[];
}

export interface BuildOptions {
  jobs?: number;
  /** Also link the shared library for the FFI (default: when koffi has a build for the target). */
  lib?: boolean;
  log?: (msg: string) => void;
}

/** Run ctest (structs and fields) for the target, plan, generate the C, compile it: the program and the library. */
export async function buildRoundtrip(abi: ResolvedArch, target: Target, dir: string, opts: BuildOptions = {}): Promise<Built> {
  const arch = abi.arch.arch;
  const jobs = opts.jobs ?? cpus().length;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ct = await runCtest(abi, { target, dir: join(dir, 'ctest'), kinds: ['struct', 'field'], jobs });
  opts.log?.(`${arch}: ctest (structs, fields) against headers ${ct.probe.headers}`);
  const plan = planRoundtrip(abi, checkableFromCtest(ct.results));
  const failures: Failure[] = [];
  const notes: Skip[] = [];
  const cc = target.cc;
  const flags = ['-w', '-fPIC', '-fno-strict-aliasing'];

  const groups = new Map<string, { k: number; sp: StructPlan }[]>();
  plan.structs.forEach((sp, k) => {
    const key = sp.header.join('\n');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push({ k, sp });
  });
  const units = [...groups.values()];
  const objects: string[] = [];
  await pool(units.map((u, i) => [u, i] as const), jobs, async ([unit, i]) => {
    const name = `tu_${i}.c`;
    let items = unit;
    for (let attempt = 0; attempt < 10 && items.length; attempt++) {
      const { code, lines } = cUnit(items);
      writeFileSync(join(dir, name), code);
      const res = await compile(cc, [...flags, '-fmax-errors=0', '-c', '-o', join(dir, `tu_${i}.o`), join(dir, name)]);
      if (res.ok) {
        objects[i] = join(dir, `tu_${i}.o`);
        return;
      }
      // a leaf C will not read as the spec lays it out: an array the header wraps in a struct is read at its address
      // instead (a note); anything else is a failure of that leaf, which leaves the plan
      const bad = new Set<string>();
      const viaAddress = new Set<string>();
      let unplaced = '';
      for (const d of parseErrors(res.stderr, name)) {
        const at = d.line !== undefined ? lines.get(d.line) : undefined;
        if (!at) { unplaced ||= d.message; continue; }
        const key = `${at[0]}:${at[1]}`;
        if (bad.has(key) || viaAddress.has(key)) continue;
        const sp = plan.structs[at[0]];
        const leaf = sp.leaves[at[1]];
        if (/subscripted value is neither array nor pointer/.test(d.message) && leaf.path.includes('[') && !leaf.byAddress) {
          viaAddress.add(key);
          const member = leaf.path.slice(0, leaf.path.indexOf('['));
          notes.push({ struct: sp.name, path: leaf.path, reason: `read at its address as ${leaf.ctype}: C's ${member} is not an array (${d.message})` });
          continue;
        }
        bad.add(key);
        failures.push({ arch, struct: sp.name, field: leaf.path, check: 'compile', message: `C does not read it as a scalar: ${d.message}` });
      }
      if (viaAddress.size) {
        items = items.map(({ k, sp }) => ({ k, sp: { ...sp, leaves: sp.leaves.map((l, j) => (viaAddress.has(`${k}:${j}`) ? { ...l, byAddress: true } : l)) } }));
      }
      if (!bad.size && !viaAddress.size) {
        // not a leaf's fault: every struct of the unit fails, with the compiler's first error
        for (const { sp } of items) {
          const why = unplaced || res.stderr.slice(0, 300);
          failures.push({ arch, struct: sp.name, check: 'compile', message: `headers ${sp.header.join(', ')} do not compile: ${why}` });
        }
        return;
      }
      items = items.map(({ k, sp }) => ({ k, sp: { ...sp, leaves: sp.leaves.filter((_, j) => !bad.has(`${k}:${j}`)) } }));
      for (const { k, sp } of items) plan.structs[k] = sp;
    }
    if (items.length) {
      for (const { sp } of items) {
        failures.push({ arch, struct: sp.name, check: 'compile', message: 'does not compile after removing every leaf the compiler named' });
      }
    }
  });
  // structs whose unit never compiled, or that lost every leaf, leave the plan (their failures are recorded); the
  // units are then made again with the remaining structs' new numbers
  const broken = new Set(units.flatMap((u, i) => (objects[i] ? [] : u.map(({ k }) => k))));
  plan.notes = notes;
  const finalPlan: Plan = { ...plan, structs: plan.structs.filter((sp, k) => !broken.has(k) && sp.leaves.length) };
  if (finalPlan.structs.length !== plan.structs.length) {
    return relink(abi, target, dir, finalPlan, failures, ct.probe.headers, opts, flags);
  }
  return link(abi, target, dir, plan, objects, failures, ct.probe.headers, opts, flags);
}

async function relink(abi: ResolvedArch, target: Target, dir: string, plan: Plan, failures: Failure[], headers: string,
  opts: BuildOptions, flags: string[]): Promise<Built> {
  const groups = new Map<string, { k: number; sp: StructPlan }[]>();
  plan.structs.forEach((sp, k) => {
    const key = sp.header.join('\n');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push({ k, sp });
  });
  const objects: string[] = [];
  await pool([...groups.values()].map((u, i) => [u, i] as const), opts.jobs ?? cpus().length, async ([unit, i]) => {
    writeFileSync(join(dir, `tu_${i}.c`), cUnit(unit).code);
    const res = await compile(target.cc, [...flags, '-c', '-o', join(dir, `tu_${i}.o`), join(dir, `tu_${i}.c`)]);
    if (!res.ok) throw new Error(`${abi.arch.arch}: ${dir}/tu_${i}.c does not compile:\n${res.stderr.slice(0, 2000)}`);
    objects[i] = join(dir, `tu_${i}.o`);
  });
  return link(abi, target, dir, plan, objects, failures, headers, opts, flags);
}

async function link(abi: ResolvedArch, target: Target, dir: string, plan: Plan, objects: string[], failures: Failure[],
  headers: string, opts: BuildOptions, flags: string[]): Promise<Built> {
  const arch = abi.arch.arch;
  writeFileSync(join(dir, 'main.c'), cMain(plan));
  const mainObj = join(dir, 'main.o');
  const mc = await compile(target.cc, [...flags, '-c', '-o', mainObj, join(dir, 'main.c')]);
  if (!mc.ok) throw new Error(`${arch}: cannot compile the roundtrip driver:\n${mc.stderr.slice(0, 2000)}`);
  const objs = objects.filter(Boolean);
  const exe = join(dir, 'roundtrip');
  const ln = await compile(target.cc, ['-w', '-o', exe, mainObj, ...objs]);
  if (!ln.ok) throw new Error(`${arch}: cannot link the roundtrip program:\n${ln.stderr.slice(0, 2000)}`);
  let lib: string | undefined;
  const wantLib = opts.lib ?? (TARGET_NAMES.includes(arch) && !!targetInfo(arch).koffi);
  if (wantLib) {
    lib = join(dir, 'libroundtrip.so');
    const sl = await compile(target.cc, ['-w', '-shared', '-o', lib, mainObj, ...objs]);
    if (!sl.ok) throw new Error(`${arch}: cannot link the roundtrip library:\n${sl.stderr.slice(0, 2000)}`);
  }
  const digest = specDigest(abi);
  const built: Built = { arch, dir, headers, plan, exe, lib, digest, failures };
  writeFileSync(join(dir, 'plan.json'), JSON.stringify({ arch, headers, digest, failures, plan }));
  return built;
}

/** What a previous build left in `dir` (plan.json and the library), for running without a compiler (under emulation). */
export function loadBuilt(dir: string): Built | undefined {
  const file = join(dir, 'plan.json');
  if (!existsSync(file)) return undefined;
  const j = JSON.parse(readFileSync(file, 'utf8')) as Pick<Built, 'arch' | 'headers' | 'digest' | 'failures' | 'plan'>;
  const lib = join(dir, 'libroundtrip.so');
  return { ...j, dir, exe: join(dir, 'roundtrip'), lib: existsSync(lib) ? lib : undefined };
}

// ---------------------------------------------------------------------------------------------------------------
// Running C: the program (natively or under qemu-user) or the library through koffi

/** How the C side is reached: fill every struct; read back lines "name\tset\thex". Both return the printed text. */
export interface Executor {
  fill(names: string[]): Promise<string>;
  read(lines: string[]): Promise<string>;
}

function runProgram(target: Target, exe: string, args: string[], input?: string): Promise<string> {
  const [cmd, ...pre] = target.runner.length ? [...target.runner, exe] : [exe];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...pre, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => { err += d; });
    const command = [cmd, ...pre, ...args];
    const how = target.how === 'qemu' ? ` (under qemu-user: ${target.why})` : target.how === 'native' && target.why ? ` (natively: ${target.why})` : '';
    child.on('error', (e) => reject(new Error(`cannot run ${exe}${how}: ${describeExit(command, { startError: (e as NodeJS.ErrnoException).code ?? e.message })}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`the roundtrip program of ${target.arch}${how} failed: ${describeExit(command, { code, signal, stderr: err })}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

export function programExecutor(target: Target, exe: string): Executor {
  return {
    fill: () => runProgram(target, exe, ['fill']),
    read: (lines) => runProgram(target, exe, ['read'], lines.map((l) => l + '\n').join('')),
  };
}

/** The library through koffi, in this process (it must be built for the arch Node runs on). */
export async function ffiExecutor(lib: string): Promise<Executor> {
  const koffi = (await import('koffi')).default;
  const l = koffi.load(lib);
  const fill = l.func('const char *rt_fill_name(const char *name)');
  const read = l.func('const char *rt_read_name(const char *name, const char *set, const char *hex)');
  const call = (f: () => string | null, what: string) => {
    const s = f();
    if (s === null) throw new Error(`${lib}: ${what}: no such struct`);
    return s;
  };
  return {
    fill: async (names) => names.map((n) => call(() => fill(n), n)).join(''),
    read: async (lines) => lines.map((line) => {
      const [n, set, hex] = line.split('\t');
      return call(() => read(n, set, hex), n);
    }).join(''),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing

export interface CValue { off: number; size: number; value: bigint }
export interface CInstance { name: string; set?: string; len: number; bytes?: Buffer; values: Map<string, CValue> }

/** Parse what the C side printed: fills (by struct name) and reads (by "name\tset"). */
export function parseOutput(text: string): { fills: Map<string, CInstance>; reads: Map<string, CInstance> } {
  const fills = new Map<string, CInstance>();
  const reads = new Map<string, CInstance>();
  let cur: CInstance | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'V' && cur) cur.values.set(f[1], { off: Number(f[2]), size: Number(f[3]), value: BigInt(`0x${f[4]}`) });
    else if (f[0] === 'S') fills.set(f[1], (cur = { name: f[1], len: Number(f[2]), values: new Map() }));
    else if (f[0] === 'H' && cur) cur.bytes = Buffer.from(f[1], 'hex');
    else if (f[0] === 'R') reads.set(`${f[1]}\t${f[2]}`, (cur = { name: f[1], set: f[2], len: Number(f[3]), values: new Map() }));
  }
  return { fills, reads };
}

/** The generated ABI of an arch, as loadArch gives it: struct classes by name. */
export type Views = Record<string, unknown>;
type ViewClass = { new (buffer: Buffer, offset?: number): object; readonly size: number };

const hex = (v: bigint, size: number) => `0x${v.toString(16).padStart(size * 2, '0')}`;
const mask = (v: bigint, size: number) => BigInt.asUintN(size * 8, v);

function readUnsigned(b: Buffer, off: number, size: number, endian: 'little' | 'big'): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(b[endian === 'big' ? off + i : off + size - 1 - i]);
  return v;
}

function writeUnsigned(b: Buffer, off: number, size: number, endian: 'little' | 'big', v: bigint): void {
  for (let i = 0; i < size; i++) {
    b[endian === 'big' ? off + size - 1 - i : off + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  }
}

const typeName = (v: unknown) => (v === null ? 'null' : Buffer.isBuffer(v) ? 'a Buffer' : Array.isArray(v) ? 'an array'
  : typeof v === 'object' ? `a ${(v as object).constructor?.name ?? 'object'}` : typeof v);

/** Walk the steps from the view; stop at a Buffer (the rest is bytes in it) or at the leaf's value. */
interface Walked { holders: { holder: unknown; key: string | number }[]; value: unknown; bufStart?: number; error?: string }

function walk(view: object, leaf: Leaf): Walked {
  let cur: unknown = view;
  const holders: Walked['holders'] = [];
  for (const step of leaf.steps) {
    const key = step.prop ?? step.index!;
    if (cur === null || typeof cur !== 'object') {
      return { holders, value: cur, error: `${holders.map((h) => h.key).join('.')} is ${typeName(cur)}, not a view or an array` };
    }
    const next = (cur as Record<string | number, unknown>)[key];
    if (next === undefined) {
      const at = holders.length ? `${typeName(cur)} at ${holders.map((h) => h.key).join('.')}` : `the view ${(view.constructor as { name: string }).name}`;
      return { holders, value: undefined, error: `${at} has no ${typeof key === 'number' ? `element ${key}` : `accessor '${key}'`}` };
    }
    holders.push({ holder: cur, key });
    cur = next;
    if (Buffer.isBuffer(cur)) return { holders, value: cur, bufStart: step.offset };
  }
  return { holders, value: cur };
}

/** What the view reads for a leaf, as the unsigned pattern of the leaf's size. */
export function viewRead(view: object, leaf: Leaf, endian: 'little' | 'big'): { value?: bigint; error?: string } {
  const w = walk(view, leaf);
  if (w.error) return { error: w.error };
  const v = w.value;
  if (Buffer.isBuffer(v)) {
    const rel = leaf.offset - w.bufStart!;
    if (rel < 0 || rel + leaf.size > v.length) return { error: `the Buffer it gives has ${v.length} bytes, the leaf is at ${rel}..${rel + leaf.size}` };
    return { value: readUnsigned(v, rel, leaf.size, endian) };
  }
  if (typeof v === 'bigint') return { value: mask(v, leaf.size) };
  if (typeof v === 'number' && Number.isInteger(v)) return { value: mask(BigInt(v), leaf.size) };
  if (typeof v === 'boolean') return { value: v ? 1n : 0n };
  return { error: `the accessor gives ${typeName(v)}, not a scalar` };
}

const setterOf = (o: unknown, key: string | number) => {
  for (let p = o; p && typeof p === 'object'; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, key);
    if (d) return d.set;
  }
  return undefined;
};

/** Write a leaf through the view: its setter, the array setter of its array, or the Buffer the view gives for it. */
export function viewWrite(view: object, leaf: Leaf, value: bigint, endian: 'little' | 'big'): string | undefined {
  const w = walk(view, leaf);
  if (w.error) return w.error;
  const last = w.holders[w.holders.length - 1];
  try {
    if (Buffer.isBuffer(w.value)) {
      const rel = leaf.offset - w.bufStart!;
      if (rel < 0 || rel + leaf.size > w.value.length) return `the Buffer it gives has ${w.value.length} bytes, the leaf is at ${rel}..${rel + leaf.size}`;
      // a byte array with a setter: a modified copy through the setter; otherwise into the Buffer (a view of the struct)
      const set = setterOf(last.holder, last.key);
      if (set) {
        const copy = Buffer.from(w.value);
        writeUnsigned(copy, rel, leaf.size, endian, value);
        (last.holder as Record<string | number, unknown>)[last.key] = copy;
      } else {
        writeUnsigned(w.value, rel, leaf.size, endian, value);
      }
      return undefined;
    }
    const js = leaf.kind === 'bool' ? value !== 0n
      : leaf.size === 8 ? (leaf.signed ? BigInt.asIntN(64, value) : value)
        : Number(leaf.signed ? BigInt.asIntN(leaf.size * 8, value) : value);
    if (Array.isArray(last.holder)) {
      // an element of a scalar array: the array setter writes the whole array back
      const arr = last.holder as unknown[];
      const owner = w.holders[w.holders.length - 2];
      arr[last.key as number] = js;
      if (!setterOf(owner.holder, owner.key)) return `array '${owner.key}' has no setter`;
      (owner.holder as Record<string | number, unknown>)[owner.key] = arr;
    } else {
      if (!setterOf(last.holder, last.key)) return `accessor '${last.key}' has no setter`;
      (last.holder as Record<string | number, unknown>)[last.key] = js;
    }
  } catch (err) {
    return `the setter threw: ${(err as Error).message}`;
  }
  return undefined;
}

/** The value TS writes into leaf j: distinct nonzero bytes (no two equal within a leaf), different for every leaf. */
export function leafValue(leaf: Leaf, j: number): bigint {
  if (leaf.kind === 'bool') return 1n;
  let v = 0n;
  for (let i = 0; i < leaf.size; i++) v = (v << 8n) | BigInt(1 + (((j * 9 + i) * 97 + 29) % 255));
  return v;
}

export interface Counts {
  /** Structs compared, leaves compared C -> TS, leaves written and read back TS -> C, buffers handed to C. */
  structs: number;
  fields: number;
  written: number;
  buffers: number;
  /** Bytes of the structs no leaf covers (C's view), checked to stay zero after the TS writes. */
  paddingBytes: number;
}

export interface CheckResult extends Counts { failures: Failure[] }

/** Group a struct's leaves into sets of non-overlapping ones (the spec's ranges): one zeroed buffer per set. */
export function writeSets(leaves: Leaf[]): number[][] {
  const sets: { used: Set<number>; members: number[] }[] = [];
  leaves.forEach((l, j) => {
    const bytes = Array.from({ length: l.size }, (_, i) => l.offset + i);
    let s = sets.find((x) => bytes.every((b) => !x.used.has(b)));
    if (!s) sets.push((s = { used: new Set(), members: [] }));
    for (const b of bytes) s.used.add(b);
    s.members.push(j);
  });
  return sets.map((s) => s.members);
}

/**
 * The whole roundtrip of a plan against a C side: fill and compare, write and read back. `views` is the arch's
 * generated ABI (loadArch), or any object with the same struct classes.
 */
export async function roundtrip(plan: Plan, exec: Executor, views: Views): Promise<CheckResult> {
  const { arch, endian } = plan;
  const failures: Failure[] = [];
  const fail = (struct: string, field: string | undefined, check: Failure['check'], message: string) =>
    failures.push({ arch, struct, ...(field ? { field } : {}), check, message });
  const counts: Counts = { structs: 0, fields: 0, written: 0, buffers: 0, paddingBytes: 0 };
  const { fills } = parseOutput(await exec.fill(plan.structs.map((s) => s.name)));
  const lines: string[] = [];
  const expected = new Map<string, { sp: StructPlan; leaves: [Leaf, bigint][] }>();

  for (const sp of plan.structs) {
    const fr = fills.get(sp.name);
    if (!fr?.bytes) { fail(sp.name, undefined, 'compile', 'the C side printed nothing for it'); continue; }
    let Cls: ViewClass | undefined;
    try {
      Cls = views[sp.cls] as ViewClass | undefined;
    } catch (err) {
      fail(sp.name, undefined, 'view', `${sp.cls}: ${(err as Error).message}`);
      continue;
    }
    if (typeof Cls !== 'function') { fail(sp.name, undefined, 'view', `no generated view class ${sp.cls}`); continue; }
    counts.structs++;

    // C -> TS
    const view = new Cls(fr.bytes, 0);
    const cov = new Uint8Array(fr.len);
    for (const leaf of sp.leaves) {
      const c = fr.values.get(leaf.path);
      if (!c) { fail(sp.name, leaf.path, 'C->TS', 'C printed no value for it'); continue; }
      cov.fill(1, c.off, c.off + c.size);
      if (c.off !== leaf.offset || c.size !== leaf.size) {
        fail(sp.name, leaf.path, 'layout', `spec: offset ${leaf.offset}, ${leaf.size} bytes; C: offset ${c.off}, ${c.size} bytes`);
      }
      counts.fields++;
      const r = viewRead(view, leaf, endian);
      if (r.error) fail(sp.name, leaf.path, 'view', r.error);
      else if (leaf.kind === 'bool' ? (r.value !== 0n) !== (c.value !== 0n) : r.value !== mask(c.value, leaf.size)) {
        fail(sp.name, leaf.path, 'C->TS', `C reads ${hex(c.value, c.size)} at offset ${c.off}, the view ${hex(r.value!, leaf.size)}`);
      }
    }
    const padding: number[] = [];
    for (let i = 0; i < Math.min(fr.len, Math.max(sp.size, ...[...fr.values.values()].map((c) => c.off + c.size))); i++) {
      if (!cov[i]) padding.push(i);
    }
    counts.paddingBytes += padding.length;

    // each setter alone, over C's filled bytes: it may change only the bytes C says its field has (a zeroed buffer
    // would hide a setter that writes zeros past its field)
    sp.leaves.forEach((leaf, j) => {
      const c = fr.values.get(leaf.path);
      if (!c) return;
      const buf = Buffer.from(fr.bytes!);
      const err = viewWrite(new Cls!(buf, 0), leaf, leafValue(leaf, j), endian);
      if (err) return; // reported by the write below
      const stray: number[] = [];
      for (let i = 0; i < buf.length; i++) if (buf[i] !== fr.bytes![i] && (i < c.off || i >= c.off + c.size)) stray.push(i);
      if (stray.length) {
        const bytes = `byte${stray.length > 1 ? 's' : ''} ${ranges(stray)}`;
        fail(sp.name, leaf.path, 'write', `writing it changed ${bytes}, outside C's ${c.off}..${c.off + c.size - 1}`);
      }
    });

    // TS -> C: each set of non-overlapping leaves into a zeroed buffer, for C to read back
    writeSets(sp.leaves).forEach((set, si) => {
      const buf = Buffer.alloc(fr.len);
      const w = new Cls!(buf, 0);
      const done: [Leaf, bigint][] = [];
      for (const j of set) {
        const leaf = sp.leaves[j];
        if (!fr.values.has(leaf.path)) continue;
        const value = leafValue(leaf, j);
        const err = viewWrite(w, leaf, value, endian);
        if (err) { fail(sp.name, leaf.path, 'view', err); continue; }
        done.push([leaf, value]);
      }
      const dirty = padding.filter((i) => buf[i] !== 0);
      if (dirty.length) {
        fail(sp.name, undefined, 'write', `padding byte${dirty.length > 1 ? 's' : ''} ${ranges(dirty)} changed by the writes of buffer ${si}`);
      }
      counts.buffers++;
      counts.written += done.length;
      lines.push(`${sp.name}\t${si}\t${buf.toString('hex')}`);
      expected.set(`${sp.name}\t${si}`, { sp, leaves: done });
    });
  }

  const { reads } = parseOutput(lines.length ? await exec.read(lines) : '');
  for (const [key, { sp, leaves }] of expected) {
    const rd = reads.get(key);
    if (!rd) { fail(sp.name, undefined, 'TS->C', `C printed nothing for buffer ${key.split('\t')[1]}`); continue; }
    for (const [leaf, value] of leaves) {
      const c = rd.values.get(leaf.path);
      if (!c) { fail(sp.name, leaf.path, 'TS->C', 'C printed no value for it'); continue; }
      const want = leaf.kind === 'bool' ? 1n : mask(value, leaf.size);
      const got = leaf.kind === 'bool' ? (c.value !== 0n ? 1n : 0n) : mask(c.value, leaf.size);
      if (got !== want) fail(sp.name, leaf.path, 'TS->C', `the view wrote ${hex(want, leaf.size)}, C reads ${hex(c.value, c.size)} at offset ${c.off}`);
    }
  }
  return { ...counts, failures };
}

function ranges(list: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j] + 1) j++;
    out.push(i === j ? String(list[i]) : `${list[i]}..${list[j]}`);
    i = j;
  }
  return out.length > 6 ? `${out.slice(0, 6).join(', ')}, ...` : out.join(', ');
}

// ---------------------------------------------------------------------------------------------------------------
// One target, all targets

export interface ArchOutcome extends Counts {
  arch: string;
  /** native, qemu, ffi (the library through koffi in this process), or not run (with the reason). */
  mode: 'native' | 'qemu' | 'ffi' | 'not run';
  reason?: string;
  /** Why the C side ran natively or under qemu (runChoice in tools/lib/targets.ts: for i386, what the probe found). */
  why?: string;
  headers?: string;
  seconds: number;
  failures: Failure[];
  /** Structs and members not checked, by reason (counts), and every one of them. */
  skippedStructs: number;
  skippedFields: number;
  skips: Skip[];
  /** Leaves read in C at their address (see Leaf.byAddress). */
  notes: Skip[];
  error?: string;
}

export interface ArchOptions {
  abi?: ResolvedArch;
  abiDir?: string;
  /** Where to build (default build/roundtrip/<arch>). */
  dir?: string;
  jobs?: number;
  /** Call the C side through koffi in this process (the library must be for the arch Node runs on). */
  ffi?: boolean;
  /** The struct classes to check (default: loadArch(arch), the generated ones). */
  views?: Views;
  log?: (msg: string) => void;
}

const empty = (): Counts => ({ structs: 0, fields: 0, written: 0, buffers: 0, paddingBytes: 0 });

/** Build and run the roundtrip of one target; never throws for the target's failure (it becomes `error`). */
export async function roundtripArch(arch: string, opts: ArchOptions = {}): Promise<ArchOutcome> {
  const t0 = Date.now();
  const base = { arch, ...empty(), failures: [] as Failure[], skippedStructs: 0, skippedFields: 0, skips: [] as Skip[], notes: [] as Skip[] };
  const target = targetFor(arch);
  if (target.object) {
    // the roundtrip needs a running program (ctest can read its values from the objects instead; this cannot)
    const why = (target.why ?? targetInfo(arch).runNote ?? 'its programs cannot run on this machine').replace(/: values are read from the compiled objects$/, '');
    return { ...base, mode: 'not run', reason: `its programs cannot run here: ${why}`, seconds: 0 };
  }
  const mode = opts.ffi ? 'ffi' : target.how === 'qemu' ? 'qemu' : 'native';
  const why = opts.ffi ? undefined : target.why;
  try {
    const abi = opts.abi ?? resolveArch(loadSpec(opts.abiDir ?? ABI_DIR), arch);
    const dir = opts.dir ?? join(ROOT, 'build', 'roundtrip', arch);
    const built = await buildRoundtrip(abi, target, dir, { jobs: opts.jobs, log: opts.log, lib: opts.ffi || undefined });
    const views = opts.views ?? await loadViews(arch);
    const exec = opts.ffi ? await ffiExecutor(built.lib!) : programExecutor(target, built.exe);
    const res = await roundtrip(built.plan, exec, views);
    return { ...outcomeOf(arch, mode, built, res, (Date.now() - t0) / 1000), why };
  } catch (err) {
    const error = ((err as Error).message || String(err)).split('\n').slice(0, 16).join('\n').trim() || 'failed without saying why';
    return { ...base, mode, why, seconds: (Date.now() - t0) / 1000, error };
  }
}

export function outcomeOf(
  arch: string, mode: ArchOutcome['mode'], built: Pick<Built, 'plan' | 'headers' | 'failures'>, res: CheckResult, seconds: number,
): ArchOutcome {
  const skips = built.plan.skipped;
  return {
    arch, mode, headers: built.headers, seconds, structs: res.structs, fields: res.fields, written: res.written,
    buffers: res.buffers, paddingBytes: res.paddingBytes, failures: [...built.failures, ...res.failures],
    skippedStructs: skips.filter((s) => !s.path).length, skippedFields: skips.filter((s) => s.path).length, skips,
    notes: built.plan.notes ?? [],
  };
}

/** The generated struct views of an arch, through loadArch (whatever shape the arch object has, classes are its properties). */
export async function loadViews(arch: string): Promise<Views> {
  const { loadArch } = await import('../src/generated/index.ts');
  return (await loadArch(arch as Parameters<typeof loadArch>[0])) as unknown as Views;
}

export interface RoundtripRun { outcomes: ArchOutcome[]; seconds: number; ok: boolean; reportFiles: string[] }

/** Every target (or the ones named), two at a time on two cores; writes report.md and report.json to `out`. */
export interface RoundtripsOptions {
  arches?: string[];
  abiDir?: string;
  out?: string;
  /** Targets at once (default: one per CPU; each then compiles with the CPUs left over). */
  jobs?: number;
  /** Install missing toolchains with apt (as root). */
  install?: boolean;
  log?: (m: string) => void;
}

export async function runRoundtrips(opts: RoundtripsOptions = {}): Promise<RoundtripRun> {
  const arches = opts.arches ?? [...TARGET_NAMES];
  for (const a of arches) targetInfo(a);
  const out = opts.out ?? join(ROOT, 'build', 'roundtrip');
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const missing: Record<string, string> = {};
  if (opts.install ?? true) {
    const runnable = arches.filter((a) => !targetFor(a).object);
    try {
      ensureToolchains(runnable, log);
    } catch (err) {
      for (const a of runnable) missing[a] = (err as Error).message;
    }
  }
  const files = loadSpec(opts.abiDir ?? ABI_DIR);
  const jobs = opts.jobs ?? cpus().length;
  const results = new Map<string, ArchOutcome>();
  // how each target runs (the probe of i386 runs here, once), said before the first result
  for (const a of arches) if (!missing[a] && targetInfo(a).run !== 'qemu') log(describeChoice(runChoice(a)));
  await pool([...arches], Math.min(jobs, arches.length), async (arch) => {
    let o: ArchOutcome;
    const notRun = (error: string): ArchOutcome => ({
      arch, mode: 'not run', ...empty(), failures: [], skippedStructs: 0, skippedFields: 0, skips: [], notes: [], seconds: 0, error,
    });
    if (missing[arch]) {
      o = notRun(missing[arch]);
    } else if (!files.arches[arch]) {
      o = notRun(`no abi/linux/arch/${arch}.json: port it first (npm run port -- --arch ${arch})`);
    } else {
      o = await roundtripArch(arch, { abi: resolveArch(files, arch), dir: join(out, arch), jobs: Math.max(1, Math.floor(cpus().length / jobs)) });
    }
    results.set(arch, o);
    const what = o.mode === 'not run' && !o.error ? pc.yellow(`not run: ${o.reason}`) : o.error ? pc.red('error')
      : o.failures.length ? pc.red(`${o.failures.length} failures`) : pc.green('ok');
    log(`${arch}: ${what} (${o.seconds.toFixed(1)} s)`);
  });
  const outcomes = arches.map((a) => results.get(a)!);
  const seconds = (Date.now() - t0) / 1000;
  const ok = outcomes.every((o) => !o.error && !o.failures.length);
  mkdirSync(out, { recursive: true });
  const md = join(out, 'report.md');
  const json = join(out, 'report.json');
  writeFileSync(json, JSON.stringify({ seconds, ok, targets: outcomes }, (_, v) => (typeof v === 'bigint' ? String(v) : v), 1));
  writeFileSync(md, markdown(outcomes, seconds));
  return { outcomes, seconds, ok, reportFiles: [md, json] };
}

const HEAD = ['target', 'run', 'headers', 'structs', 'fields C->TS', 'fields TS->C', 'buffers', 'padding bytes', 'skipped', 'failures', 'seconds'];

function cells(o: ArchOutcome): string[] {
  if (o.mode === 'not run') return [o.arch, 'not run', '', '', '', '', '', '', '', o.error ? 'error' : '', ''];
  return [o.arch, o.mode, o.headers ?? '', String(o.structs), String(o.fields), String(o.written), String(o.buffers),
    String(o.paddingBytes), `${o.skippedStructs} structs, ${o.skippedFields} fields`, o.error ? 'error' : String(o.failures.length),
    o.seconds.toFixed(0)];
}

function reasonCounts(skips: Skip[]): [string, number][] {
  const m = new Map<string, number>();
  for (const s of skips) {
    const k = `${s.path ? 'field' : 'struct'}: ${s.reason.replace(/ \(since [^)]*\)/g, '')}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m.entries()];
}

function markdown(list: ArchOutcome[], seconds: number): string {
  const lines = ['# Struct layout roundtrips', '',
    `${list.length} targets in ${seconds.toFixed(0)} s. For every struct with a generated view that the target's headers ` +
    'define, C fills an instance with a byte pattern and the view must read every leaf (scalar, array element, nested ' +
    'member) as C reads it; then the view writes a distinct value into every leaf of a zeroed buffer (only the ' +
    'field\'s own bytes may change, padding stays zero) and C must read each back. Generated by `npm run roundtrip`.', '',
    `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`,
    ...list.map((o) => `| ${cells(o).join(' | ')} |`), ''];
  for (const o of list) {
    lines.push(`## ${o.arch}`, '');
    if (o.mode === 'not run') {
      lines.push(o.error ? `Error: ${o.error}` : `Not run: ${o.reason}`, '');
      continue;
    }
    if (o.why) lines.push(`Run: ${o.mode === 'qemu' ? 'qemu-user' : o.mode} (${o.why}).`, '');
    if (o.error) lines.push(`Error: ${o.error}`, '');
    lines.push(`${o.failures.length} failures.`, '');
    for (const f of o.failures) lines.push(`- ${describeFailure(f)}`);
    if (o.failures.length) lines.push('');
    if (o.notes.length) {
      lines.push('Read in C at their address (the spec lays the member out as an array; the header wraps the array in a struct):', '');
      for (const n of o.notes) lines.push(`- ${n.struct}.${n.path}: ${n.reason}`);
      lines.push('');
    }
    const rc = reasonCounts(o.skips);
    if (rc.length) {
      lines.push('Not checked, by reason:', '');
      for (const [why, n] of rc) lines.push(`- ${n} ${why}`);
      lines.push('');
    }
  }
  return lines.join('\n');
}

function printTable(list: ArchOutcome[], seconds: number, files: string[]) {
  const table = new Table({ head: HEAD, style: { head: [], border: [], compact: true } });
  for (const o of list) {
    const row = cells(o);
    if (o.error || o.failures.length) row[9] = pc.red(row[9]);
    table.push(row);
  }
  console.log(table.toString());
  // every target the table does not simply run under qemu-user: how it ran and why
  for (const o of list) {
    if (o.why && o.mode !== 'not run' && targetInfo(o.arch).run !== 'qemu') console.log(`${o.arch}: ${o.mode === 'qemu' ? 'qemu-user' : o.mode} (${o.why})`);
  }
  for (const o of list) {
    if (o.mode === 'not run' && !o.error) console.log(pc.yellow(`${o.arch}: not run: ${o.reason}`));
    if (o.error) console.log(pc.red(`\n${o.arch}: ${o.error}`));
    if (o.failures.length) {
      console.log(pc.red(`\n${o.arch}: ${o.failures.length} failures:`));
      for (const f of o.failures.slice(0, 30)) console.log(`  ${describeFailure(f)}`);
      if (o.failures.length > 30) console.log(`  ... and ${o.failures.length - 30} more in the report`);
    }
  }
  const bad = list.filter((o) => o.error || o.failures.length).length;
  const ran = list.filter((o) => o.mode !== 'not run').length;
  console.log(`\n${list.length} targets (${ran} run) in ${seconds.toFixed(0)} s: ` +
    (bad ? pc.red(`${bad} with failures or errors`) : pc.green('0 failures')) +
    `. Reports: ${files.map((f) => relative(process.cwd(), f)).join(', ')}`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string' }, jobs: { type: 'string' }, abi: { type: 'string', default: ABI_DIR }, out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const arches = archOption(values.arch);
  const res = await runRoundtrips({
    arches, abiDir: values.abi, out: values.out, jobs: values.jobs ? Number(values.jobs) : undefined,
    log: values.quiet ? undefined : (m) => process.stderr.write(pc.dim(m) + '\n'),
  });
  if (values.quiet) console.log(`${res.outcomes.length} targets in ${res.seconds.toFixed(0)} s: ${res.ok ? '0 failures' : 'FAILED'}`);
  else printTable(res.outcomes, res.seconds, res.reportFiles);
  process.exitCode = res.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
