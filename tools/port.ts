// npm run port -- --arch <name> [--reference] [--abi DIR] [--seccomp FILE]
//
// <name> is any target of tools/lib/targets.ts: its cross compiler builds the extraction program and qemu-user runs it
// (or the host kernel, where a probe shows that it runs the target's programs: runChoice in tools/lib/targets.ts; port
// prints which and why). Missing toolchains are installed with apt when root; otherwise the apt command is printed.
//
// Extraction for porting: compiles the ctest program for a target *without* expectations, so that it prints what the
// target's headers say about every spec item (written as JSON to build/port/<arch>/extract.json), and turns that into
// abi/ files:
//   arch/<arch>.json         the data model (sizes, alignments, char signedness, endianness) from the probe;
//   syscalls.json            the arch's column: every spec syscall's __NR_ value, plus syscalls the headers define that
//                            the spec lacks (added with an empty signature and a note, for a human to complete);
//   overrides/<arch>.json    constants whose value differs from the common one, items the arch lacks, typedefs whose
//                            size or signedness differs (with a guessed C type);
//   with --reference         the common values themselves (x86_64 is the reference arch).
// Struct layouts that differ from what the layout engine computes are printed for review: fields cannot be extracted,
// so a per-arch struct variant is written by hand.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  ABI_DIR, ROOT, compareVersions, itemObject, itemSpec, isIoctlItem, ioctlType, loadSpec, resolveArch, valueAt, overridesOver,
  type ArchFile, type SyscallsFile, type ConstItem, type IntValue, type IocLayout, type IoctlSpec, type OverridesFile, type TypedefSpec,
} from './lib/spec.ts';
import { formatJson } from './lib/format.ts';
import { LayoutEngine } from './lib/layout.ts';
import { runCtest, type Target } from '../ctest/ctest.ts';
import { TARGETS, TARGET_NAMES, describeChoice, sysroot, ensureToolchains, targetFor, targetInfo, type TargetInfo } from './lib/targets.ts';
import { KVER_SUPPLEMENT, SeccompTable } from './port/seccomp.ts';
import { draftVariants } from './port/drafts.ts';
import { siblingCheck } from './port/sibling.ts';
import { COMMON_END, COMMON_FIRST, commonOffset } from './port/numbers.ts';

export interface Extraction {
  arch: string;
  headers: string;
  endian: 'little' | 'big';
  types: Record<string, { size: number; align: number; signed: boolean }>;
  constants: Record<string, string>;
  structs: Record<string, { size: number; align: number; members: Record<string, [number, number, number]> }>;
  typedefs: Record<string, [number, number, number]>;
  syscalls: Record<string, number>;
  /** __NR_ names the headers define, whether or not the spec has them. */
  headerSyscalls: Record<string, number>;
  /** Why an item could not be extracted ("kind:id" -> the compiler's complaint). */
  errors?: Record<string, string>;
  /** Header sets that do not compile at all for this target (each joined with newlines). */
  brokenHeaders?: string[];
}

/** Run the extraction program for a target. */
export async function extract(
  abiDir: string, target: Target, dir: string, log = (_: string) => {}, jobs?: number,
): Promise<Extraction> {
  const files = loadSpec(abiDir, { porting: target.arch });
  // a new arch has no data model yet: borrow the reference's (extraction asserts nothing, so it only names the items)
  files.arches[target.arch] ??= { file: '', data: { ...files.arches.x86_64.data, arch: target.arch } };
  // try every item, including those a previous port found absent
  if (files.overrides[target.arch]) delete files.overrides[target.arch].data.absent;
  const abi = resolveArch(files, target.arch);
  const run = await runCtest(abi, { target, dir, assert: false, log, jobs });
  const x: Extraction = {
    arch: target.arch, headers: run.probe.headers, endian: run.probe.endian, types: run.probe.types,
    constants: {}, structs: {}, typedefs: {}, syscalls: {}, headerSyscalls: await headerSyscalls(target),
    errors: {},
    brokenHeaders: run.brokenUnits.filter((u) => /No such file or directory/.test(u.error)).map((u) => u.header.join('\n')),
  };
  for (const r of run.results) {
    if (r.status !== 'ok' && r.reason && r.check.kind !== 'syscall') x.errors![`${r.check.kind}:${r.check.id}`] = r.reason;
    if (r.status !== 'ok' || !r.actual) continue;
    const a = r.actual;
    switch (r.check.kind) {
      case 'const': x.constants[r.check.id] = String(a[0]); break;
      case 'struct': (x.structs[r.check.id] ??= { size: 0, align: 0, members: {} }).size = Number(a[0]);
        x.structs[r.check.id].align = Number(a[1]); break;
      case 'field': {
        const dot = r.check.id.indexOf('.');
        const s = (x.structs[r.check.id.slice(0, dot)] ??= { size: 0, align: 0, members: {} });
        s.members[r.check.id.slice(dot + 1)] = [Number(a[0]), Number(a[1]), Number(a[2])];
        break;
      }
      case 'typedef': x.typedefs[r.check.id] = [Number(a[0]), Number(a[1]), Number(a[2])]; break;
      case 'syscall': x.syscalls[r.check.id] = Number(a[0]); break;
    }
  }
  return x;
}

/** Every __NR_ macro of the target's asm/unistd.h with a numeric value. */
async function headerSyscalls(target: Target): Promise<Record<string, number>> {
  const [cc, ...flags] = target.cc;
  const stdout = execFileSync(cc, [...flags, '-dM', '-E', '-x', 'c', '-'], { input: '#include <asm/unistd.h>\n', encoding: 'utf8' });
  const defs = new Map<string, string>();
  for (const m of stdout.matchAll(/^#define (\w+) (.*)$/gm)) defs.set(m[1], m[2].trim());
  // numbers are literals or sums of other macros: __NR_Linux + 3 (mips), __X32_SYSCALL_BIT + 0 (x32)
  const value = (name: string, depth = 0): number | undefined => {
    const v = defs.get(name);
    if (v === undefined || depth > 8) return undefined;
    const expr = v.replace(/\b([A-Za-z_]\w*)\b/g, (n) => String(value(n, depth + 1) ?? 'NaN'))
      .replace(/\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b/g, '$1').replace(/[()]/g, ' ');
    if (!/^[\s\d+xXa-fA-F]+$/.test(expr)) return undefined;
    return expr.split('+').reduce((s, t) => s + Number(t.trim()), 0);
  };
  const out: Record<string, number> = {};
  for (const name of defs.keys()) {
    // syscall names are lower case: __NR_SYSCALL_MASK (arm) and the like are not syscalls
    if (!name.startsWith('__NR_') || !/[a-z]/.test(name.slice(5)) || /^__NR_(syscalls|arch_specific_syscall)$|Linux|_base$|_BASE$/.test(name)) continue;
    const n = value(name);
    if (n !== undefined && !Number.isNaN(n)) out[name.slice(5)] = n;
  }
  return out;
}

/** Arch columns in the order of the target table (tools/lib/targets.ts), others after it by name. */
export function sortColumns<T>(arches: Record<string, T>): Record<string, T> {
  const rank = (a: string) => (TARGET_NAMES.includes(a) ? TARGET_NAMES.indexOf(a) : TARGET_NAMES.length);
  return Object.fromEntries(Object.entries(arches).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)));
}

const asValue = (s: string): IntValue => {
  const v = BigInt(s);
  return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : s;
};

const INT_TYPES = ['int', 'unsigned int', 'long', 'unsigned long', 'long long', 'unsigned long long', 'short',
  'unsigned short', 'signed char', 'unsigned char'];

export interface PortReport {
  written: string[];
  /** Lines to act on: each says what is wrong, where (file and JSON path) and what to write. */
  review: string[];
  /** Lines for information: what port decided by itself, and what a human may want to know. */
  info: string[];
  /** Structs whose layout on this arch differs from the engine's: they need a variant. */
  variants: string[];
}

export interface ApplyOptions {
  /** Rewrite the common values (the reference arch, x86_64) instead of writing overrides. */
  reference: boolean;
  triplet?: string;
  /** The arch's syscall convention (from the target table); otherwise the file's, or a guess. */
  syscall?: ArchFile['syscall'];
  /** The `since` of a new entry in the arch's syscall column (given x86_64's); default: the headers' version. */
  columnSince?: (name: string, x86since: string | undefined) => string;
  /** Numbers of spec syscalls newer than the headers, from another source, and a note saying which. */
  newerSyscalls?: Record<string, { nr: number; note: string }>;
  /** This run has libseccomp's table (else entries taken from it earlier are kept as they are). */
  seccomp?: boolean;
}

/** The note of a syscall port found in the headers and the spec lacks: tools/port/signatures.ts signs it. */
const UNSIGNED = 'found by npm run port: write its signature';
/** The note of a column entry whose number port took from libseccomp's table. */
const FROM_SECCOMP = 'number from libseccomp';
/** A column entry port owns: a number it took from another source than the headers (its note says which). */
const ownNumber = (e: { note?: string }) => !!e.note?.startsWith('number from');

const hex = (v: string | bigint | undefined) => (v === undefined ? 'nothing' : `0x${BigInt(v).toString(16)}`);

/**
 * The arch's _IOC layout: the one its file has, or, for a new arch, the one of the known layouts (those of the arches
 * already ported) under which every ioctl number its headers gave decodes to the spec's direction, type and number.
 * A layout the numbers contradict, or none that fits, is a line for review.
 */
function iocLayout(files: ReturnType<typeof loadSpec>, x: Extraction, current?: IocLayout): { layout: IocLayout; review?: string } {
  const items: [string, IoctlSpec][] = [];
  for (const { data } of files.constants) {
    for (const [nsName, ns] of Object.entries(data.namespaces)) {
      for (const [name, item] of Object.entries(ns.items)) if (isIoctlItem(item)) items.push([`${nsName}.${name}`, item.ioctl]);
    }
  }
  const fits = (l: IocLayout) => items.every(([id, io]) => {
    const got = x.constants[id];
    if (got === undefined) return true;
    const v = BigInt(got);
    const field = (shift: number, bits: number) => Number((v >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n));
    const dir = { none: l.none, read: l.read, write: l.write, readwrite: l.read | l.write }[io.dir];
    return field(0, l.nrBits) === io.nr && field(l.nrBits, l.typeBits) === ioctlType(io.type)
      && field(l.nrBits + l.typeBits + l.sizeBits, l.dirBits) === dir;
  });
  const known = [...new Map(Object.values(files.arches).map(({ data }) => data.ioctl).filter((l): l is IocLayout => !!l)
    .map((l) => [JSON.stringify(l), l])).values()];
  if (current) return fits(current) ? { layout: current } : { layout: current, review: 'its ioctl layout does not decode the ioctl numbers of its headers: check it against asm/ioctl.h' };
  const found = known.find(fits);
  if (found) return { layout: found };
  return { layout: known[0], review: 'no known ioctl layout decodes the ioctl numbers of its headers: write the ioctl block from asm/ioctl.h' };
}

/**
 * Write an arch's column of syscalls.json from an extraction: numbers from its headers; for syscalls newer than the
 * headers, numbers from `opts.newerSyscalls` (port's own entries, made again on every run); review lines back.
 */
export function applyColumn(sc: SyscallsFile, x: Pick<Extraction, 'arch' | 'headers' | 'syscalls' | 'headerSyscalls'>, opts: ApplyOptions): string[] {
  const report = { review: [] as string[] };
  const newer = (since: string) => compareVersions(since, x.headers) > 0;
  const sinceOf = (name: string) => opts.columnSince?.(name, sc.syscalls[name]?.arches.x86_64?.since) ?? x.headers;
  for (const [name, s] of Object.entries(sc.syscalls)) {
    const nr = x.syscalls[name] ?? x.headerSyscalls[name];
    const cur = s.arches[x.arch];
    if (nr !== undefined) {
      s.arches[x.arch] = { ...cur, nr, since: cur?.since ?? sinceOf(name) };
      if (s.arches[x.arch].note?.startsWith('number from')) delete s.arches[x.arch].note;
    } else if (cur && !newer(cur.since)) {
      delete s.arches[x.arch];
      report.review.push(`syscall ${name}: not in the ${x.arch} headers, removed from its column`);
    } else if (!cur || ownNumber(cur)) {
      // port's own entries are made again on every run, from this run's inputs: a fix of those inputs shows at once;
      // one from libseccomp's table stays when this run has no table (an input missing is not an input changed)
      const fresh = opts.newerSyscalls?.[name];
      if (fresh !== undefined && newer(sinceOf(name))) {
        if (!(cur?.note?.startsWith(FROM_SECCOMP) && !opts.seccomp && !fresh.note.startsWith(FROM_SECCOMP))) {
          s.arches[x.arch] = { ...fresh, since: sinceOf(name) };
        }
      } else if (cur && !(cur.note?.startsWith(FROM_SECCOMP) && !opts.seccomp)) {
        delete s.arches[x.arch];
        report.review.push(`syscall ${name}: removed from the ${x.arch} column of syscalls.json: its number (${cur.nr}) came from ${cur.note!.replace(/^number from (.*?): .*$/, '$1')}, which gives none now`);
      }
    }
    if (Object.keys(s.arches).length === 0) delete sc.syscalls[name];
  }
  for (const [name, nr] of Object.entries(x.headerSyscalls)) {
    if (sc.syscalls[name]) {
      if (sc.syscalls[name].note === UNSIGNED && sc.syscalls[name].arches[x.arch]) {
        report.review.push(`syscall ${name} (${nr}): no signature yet in syscalls.json (syscalls.${name}): run tools/port/signatures.ts, or write its ret and args by hand`);
      }
      continue;
    }
    sc.syscalls[name] = { ret: 'long', args: [], note: UNSIGNED, arches: { [x.arch]: { nr, since: sinceOf(name) } } };
    report.review.push(`syscall ${name} (${nr}): new, write its signature`);
  }
  sc.syscalls = Object.fromEntries(Object.entries(sc.syscalls).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  // columns in the target table's order (x86_64 first), whatever order arches were ported in
  for (const s of Object.values(sc.syscalls)) s.arches = sortColumns(s.arches);
  return report.review;
}

/** Turn an extraction into abi/ files. */
export function apply(abiDir: string, x: Extraction, opts: ApplyOptions): PortReport {
  const files = loadSpec(abiDir, { porting: x.arch });
  const report: PortReport = { written: [], review: [], info: [], variants: [] };
  // what is absent is decided again from this extraction (except for what these headers cannot say: see below)
  const prevAbsent = new Set(files.overrides[x.arch]?.data.absent ?? []);
  if (files.overrides[x.arch]) delete files.overrides[x.arch].data.absent;
  const write = (file: string, data: unknown) => {
    const text = formatJson(data);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, text);
      report.written.push(relative(abiDir, file));
    }
  };
  const newer = (since: string) => compareVersions(since, x.headers) > 0;

  // 1. the data model
  const archPath = join(abiDir, 'arch', `${x.arch}.json`);
  const old = files.arches[x.arch]?.data;
  const types: ArchFile['types'] = {};
  for (const name of ['char', 'short', 'int', 'long', 'long long', 'pointer', 'float', 'double', 'long double', '_Bool']) {
    const t = x.types[name];
    if (t) types[name] = name === 'char' ? { size: t.size, align: t.align, signed: t.signed } : { size: t.size, align: t.align };
  }
  const ioc = iocLayout(files, x, old?.ioctl);
  if (ioc.review) report.review.push(`arch/${x.arch}.json: ${ioc.review}`);
  const arch: ArchFile = {
    $schema: '../../../spec/arch.schema.json', os: 'linux', arch: x.arch,
    triplet: opts.triplet ?? old?.triplet, ...(old?.note ? { note: old.note } : {}), endian: x.endian, types,
    syscall: opts.syscall ?? old?.syscall ?? { argRegisters: 6, split64: types.pointer.size === 4 ? 'aligned-pair' : 'none' },
    ioctl: ioc.layout,
  };
  if (!arch.triplet) delete arch.triplet;
  if (!old && !opts.syscall) report.review.push(`arch/${x.arch}.json: check syscall.split64 and argRegisters (guessed)`);
  write(archPath, arch);
  files.arches[x.arch] = { file: archPath, data: arch };

  // 2. the syscall column
  const sc = files.syscalls.data;
  report.review.push(...applyColumn(sc, x, opts));
  write(files.syscalls.file, sc);

  // 3. constants: common values (reference arch) or overrides
  // items whose header does not even exist on this arch are absent whatever their since (x86's asm/prctl.h)
  const broken = new Set(x.brokenHeaders ?? []);
  const before = resolveArch(files, x.arch);
  const brokenIds = new Set([
    ...before.constants.filter((k) => broken.has(k.header.join('\n'))).map((k) => k.id),
    ...[...before.structs.values()].filter((k) => broken.has(k.header.join('\n'))).map((k) => `struct:${k.name}`),
    ...[...before.typedefs.values()].filter((k) => broken.has(k.header.join('\n'))).map((k) => `typedef:${k.name}`),
  ]);
  const cNames = new Map(before.constants.map((k) => [k.id, k.c]));
  const computed = new Map(before.constants.map((k) => [k.id, k.value]));
  const cHeaders = new Map(before.constants.map((k) => [k.id, k.header.join(', ')]));
  const ovPath = join(abiDir, 'overrides', `${x.arch}.json`);
  const prev = files.overrides[x.arch]?.data;
  const ov: OverridesFile = { $schema: '../../../spec/overrides.schema.json' };
  const absent: string[] = [];
  for (const { file, data } of files.constants) {
    for (const [nsName, ns] of Object.entries(data.namespaces)) {
      // the common items, and the items only this arch has (an override of a name the common file lacks)
      const ownItems = prev?.constants?.[nsName] ?? {};
      const names = [...Object.keys(ns.items), ...Object.keys(ownItems).filter((k) => !(k in ns.items))];
      for (const name of names) {
        const extra = !(name in ns.items);
        const item = (extra ? ownItems[name] : ns.items[name]) as ConstItem;
        const id = `${nsName}.${name}`;
        const got = x.constants[id];
        const it = itemSpec(item) as ReturnType<typeof itemObject>;
        const mine = prev?.constants?.[nsName]?.[name];
        if (got === undefined) {
          const why = x.errors?.[`const:${id}`] ?? '';
          const c = cNames.get(id) ?? '';
          // an arch override may say the item came later on this arch (or in these headers)
          const since = (typeof mine === 'object' ? mine.since : undefined) ?? it.since ?? ns.since;
          if (brokenIds.has(id)) absent.push(id);
          else if (newer(since) || /compile-time constant/.test(why)) {
            // these headers cannot say: what the arch's file says stays as it is (its value, its header list, its
            // absence), so that a second run changes nothing
            if (mine !== undefined) ((ov.constants ??= {})[nsName] ??= {})[name] = mine;
            if (prevAbsent.has(id)) absent.push(id);
            continue;
          }
          // absent when the compiler does not know the name itself; otherwise the name is there but needs more than
          // its header on this arch (time_t for SO_TIMESTAMP on 32-bit, _IOW for FIOSETOWN on alpha)
          else if (!why || why.includes(`‘${c}’`) || why.includes(`'${c}'`) || opts.reference) absent.push(id);
          else {
            // keep what a human wrote so far (a header list that is not enough yet)
            const before = prev?.constants?.[nsName]?.[name];
            if (typeof before === 'object') ((ov.constants ??= {})[nsName] ??= {})[name] = before;
            report.review.push(`constant ${id}: in the headers, but ${c} does not compile with ${cHeaders.get(id)} alone on ${x.arch} (${why.replace(/^.*?\d: /, '')}): give the item a header list in overrides/${x.arch}.json`);
          }
          continue;
        }
        if (isIoctlItem(item)) {
          // an ioctl's number is computed from its form and the arch's _IOC layout: the form stays; a number the
          // headers disagree with is an override on this arch (or, on the reference arch, a form to correct)
          if (computed.get(id) === BigInt(got)) {
            if (mine !== undefined && !opts.reference) ((ov.constants ??= {})[nsName] ??= {})[name] = mine;
          } else if (opts.reference) {
            report.review.push(`constant ${id}: the headers say ${hex(got)}, its ioctl form computes ${hex(computed.get(id))}: correct the form`);
          } else {
            ((ov.constants ??= {})[nsName] ??= {})[name] = asValue(got);
            report.review.push(`constant ${id}: the headers say ${hex(got)}, the common ioctl form computes ${hex(computed.get(id))} here: an override with the headers' number was written (or write an ioctl form in overrides/${x.arch}.json)`);
          }
          continue;
        }
        // a value with a history: what these headers should say is the value of their kernel version
        const at = (o: { value: IntValue; was?: { value: IntValue; until: string }[] }) =>
          valueAt({ value: BigInt(o.value), was: o.was?.map((w) => ({ value: BigInt(w.value), until: w.until })) }, x.headers);
        if (opts.reference) {
          if (at(it) === BigInt(got)) continue;
          if (it.was) report.review.push(`constant ${id}: the headers (${x.headers}) say ${got}, its history expects ${at(it)}: check its value and was`);
          ns.items[name] = (typeof item === 'object' ? { ...item, value: asValue(got) } : asValue(got)) as ConstItem;
        } else {
          // keep a hand-written override (a note, a header list) that still has the right value
          const before = prev?.constants?.[nsName]?.[name];
          // (an object replaces the common item: it keeps the common c, since and message unless it says otherwise)
          if (typeof before === 'object' && 'was' in before && before.was && at(before) === BigInt(got)) {
            ((ov.constants ??= {})[nsName] ??= {})[name] = before;
          } else if (typeof before === 'object') ((ov.constants ??= {})[nsName] ??= {})[name] = { ...it, ...before, value: asValue(got) };
          else if (extra || at(it) !== BigInt(got)) ((ov.constants ??= {})[nsName] ??= {})[name] = asValue(got);
        }
      }
    }
    if (opts.reference) write(file, data);
  }
  if (opts.reference && absent.length) report.review.push(`constants the reference headers lack: ${absent.join(', ')}`);

  // 4. typedefs whose size, alignment or signedness differ: guess a C type of the same shape (integers only), then
  // look again with the guesses applied (a struct typedef follows its members' new types)
  const withTypedefs = (typedefs: OverridesFile['typedefs']) => {
    if (opts.reference) return resolveArch(files, x.arch);
    const data: OverridesFile = { ...(prev ?? {}), typedefs };
    delete data.absent;
    return resolveArch({ ...files, overrides: { ...files.overrides, [x.arch]: { file: ovPath, data } } }, x.arch);
  };
  if (!opts.reference && prev?.typedefs) ov.typedefs = { ...prev.typedefs };
  const typedefDiff = (engine: LayoutEngine, name: string, [size, align, sgn]: [number, number, number]) => {
    const t = engine.type(name);
    const spec = [t.size, t.align, t.kind === 'int' || t.kind === 'bool' ? (t.signed ? 1 : 0) : -1];
    return !(spec[0] === size && spec[1] === align && spec[2] === sgn);
  };
  {
    const engine = new LayoutEngine(withTypedefs(ov.typedefs));
    for (const [name, got] of Object.entries(x.typedefs)) {
      if (!typedefDiff(engine, name, got)) continue;
      const [size, align, sgn] = got;
      const guess = INT_TYPES.find((c) => {
        const g = engine.type(c);
        return g.size === size && g.align === align && (g.signed ? 1 : 0) === sgn;
      });
      if (guess) {
        ((ov.typedefs ??= {}) as Record<string, TypedefSpec>)[name] = { type: guess };
        report.info.push(`typedef ${name}: the headers say size ${size}, align ${align}, ${sgn ? 'signed' : 'unsigned'}: written as ${guess} in overrides/${x.arch}.json (typedefs.${name})`);
      }
    }
  }
  const abi = withTypedefs(ov.typedefs);
  const engine = new LayoutEngine(abi);
  for (const [name, got] of Object.entries(x.typedefs)) {
    if (ov.typedefs?.[name] || !typedefDiff(engine, name, got)) continue;
    report.review.push(`typedef ${name}: headers say size ${got[0]} align ${got[1]} signed ${got[2]}: write it by hand`);
  }
  for (const [name, t] of abi.typedefs) {
    if (t.internal || x.typedefs[name]) continue;
    if (newer(t.since) && !brokenIds.has(`typedef:${name}`)) {
      if (prevAbsent.has(`typedef:${name}`)) absent.push(`typedef:${name}`);
      continue;
    }
    const why = x.errors?.[`typedef:${name}`] ?? '';
    // it exists, but not as the kind of type the spec says (a struct where the spec has an integer)
    if (/non-scalar|invalid operands|aggregate value|cannot convert/.test(why)) {
      report.review.push(`typedef ${name}: exists in the headers but is not a ${t.type} (${why.replace(/^.*?: /, '')}): override it by hand`);
    } else absent.push(`typedef:${name}`);
  }

  // 5. struct layouts: report what the engine gets wrong on this arch
  for (const [name, s] of abi.structs) {
    if (s.internal || x.structs[name]) continue;
    if (newer(s.since) && !brokenIds.has(`struct:${name}`)) {
      if (prevAbsent.has(`struct:${name}`)) absent.push(`struct:${name}`);
      continue;
    }
    const why = x.errors?.[`struct:${name}`] ?? '';
    if (/spec error/.test(why)) report.review.push(`struct ${name}: ${why}`);
    else absent.push(`struct:${name}`);
  }
  for (const [name, got] of Object.entries(x.structs)) {
    if (!abi.structs.has(name)) continue;
    const L = engine.struct(name);
    const diffs: string[] = [];
    // members newer than the headers cannot be compared, nor the size of a struct that has them
    const hasNewer = L.members.some((m) => m.since && newer(m.since));
    if (!hasNewer && (L.size !== got.size || L.align !== got.align)) diffs.push(`size/align spec ${L.size}/${L.align}, headers ${got.size}/${got.align}`);
    for (const m of L.members) {
      if (m.since && newer(m.since)) continue;
      const g = got.members[m.path];
      if (g && (g[0] !== m.offset || (!m.flexible && g[1] !== m.size))) diffs.push(`${m.path} spec ${m.offset}+${m.size}, headers ${g[0]}+${g[1]}`);
      const sgn = m.type.kind === 'int' || m.type.kind === 'bool' ? (m.type.signed ? 1 : 0) : -1;
      if (g && g[0] === m.offset && g[2] !== sgn) diffs.push(`${m.path} ${sgn ? 'signed' : 'unsigned'} in the spec, not in the headers`);
      if (!g && !m.unnamed) {
        const why = x.errors?.[`field:${name}.${m.path}`]?.replace(/^.*?: /, '') ?? '';
        diffs.push(`${m.path}: ${/has no member/.test(why) || !why ? 'not a member in the headers' : why}`);
      }
    }
    if (diffs.length) {
      report.variants.push(name);
      report.review.push(`struct ${name}: needs a variant in overrides/${x.arch}.json: ${diffs.slice(0, 4).join('; ')}`);
    }
  }

  if (!opts.reference) {
    if (absent.length) ov.absent = absent;
    if (prev?.structs) ov.structs = prev.structs;
    // an arch family: write only what differs from the arch it extends
    const parent = files.overrides[x.arch]?.own?.extends;
    if (parent) {
      const r = overridesOver(parent, files.overrides[parent].data, ov, files);
      if (r.cannot.length) report.review.push(`overrides/${x.arch}.json extends ${parent}, but cannot say that it lacks ${r.cannot.join(', ')} of ${parent}'s: write them by hand or drop extends`);
      Object.keys(ov).forEach((k) => delete (ov as Record<string, unknown>)[k]);
      Object.assign(ov, r.own);
    }
    if (Object.keys(ov).length > 1) write(ovPath, ov);
    else if (existsSync(ovPath)) { rmSync(ovPath); report.written.push(relative(abiDir, ovPath) + ' (removed)'); }
  }
  return report;
}

/**
 * Where the target's headers define an item: the first headers under the sysroot's include folder with a #define of
 * the constant's C name, or the struct's body ("defined in asm/sockios.h"); undefined when none does.
 */
function definitions(root: string, abi: ReturnType<typeof resolveArch>) {
  const inc = root === '/' ? '/usr/include' : join(root, 'include');
  const cOf = new Map(abi.constants.map((k) => [k.id, k.c]));
  return (kind: 'const' | 'struct', id: string): string | undefined => {
    const c = kind === 'const' ? cOf.get(id) : (abi.structs.get(id)?.c ?? `struct ${id}`).replace(/^struct /, '');
    if (!c) return undefined;
    const re = kind === 'const' ? `^\\s*#\\s*define\\s+${c}\\b` : `struct\\s+${c}\\s*\\{`;
    let out = '';
    try {
      out = execFileSync('grep', ['-rlE', '--include=*.h', re, inc], { encoding: 'utf8', maxBuffer: 1 << 20 });
    } catch { return undefined; }
    const files = out.split('\n').filter(Boolean).map((f) => relative(inc, f)).sort();
    return files.length ? `defined in ${files.slice(0, 2).join(', ')}${files.length > 2 ? ', ...' : ''}` : undefined;
  };
}

const maxVersion = (a: string, b: string) => (compareVersions(a, b) >= 0 ? a : b);

/**
 * The `since` of a syscall on a target: libseccomp's kernel version for the arch when it says more than its 3.0 floor,
 * otherwise the later of x86_64's since and the arch's first kernel version.
 */
export function columnSince(t: TargetInfo, sec?: SeccompTable) {
  return (name: string, x86since: string | undefined): string => {
    const e = t.seccomp ? sec?.get(name, t.seccomp) : undefined;
    // without the table (or a column for the arch), what it would say: the versions the table left out, kept here
    const sup = KVER_SUPPLEMENT[name];
    const kver = e?.kver ?? (sup ? sup[t.seccomp ?? t.name] ?? sup['*'] : undefined);
    const k = kver && compareVersions(kver, '3.0') > 0 ? kver : undefined;
    return maxVersion(k ?? x86since ?? t.since, t.since);
  };
}

/** Numbers of spec syscalls newer than a target's headers, and what a human should know about them. */
export interface OtherNumbers {
  numbers: Record<string, { nr: number; note: string }>;
  review: string[];
}

/**
 * Numbers of spec syscalls for a target from libseccomp's table, else from the common numbering (x86_64's 424 and
 * up) at the arch's offset, measured from the common-numbered syscalls its headers have (`headerNumbers`; else its
 * column in the spec). With neither, no number is made up: a review line says why.
 */
export function otherNumbers(abiDir: string, t: TargetInfo, sec?: SeccompTable, headerNumbers: Record<string, number> = {}, porting?: string): OtherNumbers {
  const table = loadSpec(abiDir, { porting }).syscalls.data.syscalls;
  const x86: Record<string, number> = {};
  const column: Record<string, number> = {};
  for (const [name, s] of Object.entries(table)) {
    if (s.arches.x86_64) x86[name] = s.arches.x86_64.nr;
    if (s.arches[t.name]) column[name] = s.arches[t.name].nr;
  }
  const review: string[] = [];
  let off = commonOffset(x86, headerNumbers);
  let from = `its headers (${off.agree} syscalls)`;
  if (off.offset === undefined) {
    off = commonOffset(x86, column);
    from = `its column in syscalls.json (${off.agree} syscalls)`;
  }
  if (off.conflicts.length) {
    review.push(`syscalls.json, ${t.name}: the common numbering (x86_64's ${COMMON_FIRST} and up) sits at offset ${off.offset} in ${from}, but not for ${off.conflicts.join(', ')}: check those numbers in the headers' asm/unistd.h`);
  }
  const numbers: Record<string, { nr: number; note: string }> = {};
  let unnumbered = 0;
  for (const [name, s] of Object.entries(table)) {
    const e = t.seccomp ? sec?.get(name, t.seccomp) : undefined;
    const x = s.arches.x86_64?.nr;
    const inTable = !!t.seccomp && !!sec?.names().includes(name);
    if (e) numbers[name] = { nr: e.nr, note: `number from libseccomp's table (${sec!.version}): newer than the headers` };
    else if (!inTable && x !== undefined && x >= COMMON_FIRST && x < COMMON_END) {
      if (off.offset === undefined) unnumbered++;
      else numbers[name] = { nr: x + off.offset, note: 'number from the common numbering of syscalls since 5.1: newer than the headers' };
    }
  }
  if (unnumbered) {
    review.push(`syscalls.json, ${t.name}: no syscall of the common numbering (x86_64's ${COMMON_FIRST} and up) in its headers or its column, so its offset is unknown and the ${unnumbered} syscalls newer than its headers got no number: add one of them (pidfd_send_signal) to its column by hand, with the number from the kernel's syscall table for the arch`);
  }
  return { numbers, review };
}

export interface PortOptions {
  /** The abi/ folder to read and write (default: the repository's). */
  abi?: string;
  /** Write the common values instead of overrides (the reference arch). */
  reference?: boolean;
  /** libseccomp's syscalls.csv (default: build/seccomp/syscalls.csv when it exists). */
  seccomp?: string;
  /** Write the verified struct variant drafts into the overrides. */
  acceptDrafts?: boolean;
  /** Progress and the run choice, as lines. */
  log?: (line: string) => void;
}

export interface PortResult {
  x: Extraction;
  report: PortReport;
  /** What became of the struct variant drafts, in words ('' when there were none). */
  drafted: string;
  /** Where the extraction is. */
  dir: string;
}

/** Port one arch: extract what its headers say and write it into the abi/ folder, with the lines for a human back. */
export async function portArch(arch: string, o: PortOptions = {}): Promise<PortResult> {
  const abiDir = o.abi ?? ABI_DIR;
  const log = o.log ?? (() => {});
  const info = targetInfo(arch);
  ensureToolchains([arch]);
  const target = targetFor(arch);
  log(describeChoice({ arch, how: target.how ?? 'native', why: target.why ?? '' }));
  const dir = join(ROOT, 'build', 'port', arch);
  const secFile = o.seccomp ?? join(ROOT, 'build', 'seccomp', 'syscalls.csv');
  if (o.seccomp && !existsSync(o.seccomp)) throw new Error(`no such file: ${o.seccomp}`);
  const sec = existsSync(secFile) ? SeccompTable.load(secFile) : undefined;
  const x = await extract(abiDir, target, join(dir, 'c'), log);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'extract.json'), JSON.stringify(x, null, 1));
  const other = otherNumbers(abiDir, info, sec, x.headerSyscalls, arch);
  const report = apply(abiDir, x, o.reference ? { reference: true, triplet: info.triplet } : {
    reference: false, triplet: info.triplet, syscall: info.syscall, columnSince: columnSince(info, sec),
    newerSyscalls: other.numbers, seccomp: !!sec,
  });
  if (!o.reference) report.review.push(...other.review);
  if (!o.reference) {
    const sib = siblingCheck(info, TARGETS, loadSpec(abiDir));
    report.review.push(...sib.review);
    report.info.push(...sib.info);
  }
  if (!sec) report.info.push(`no libseccomp table (${relative(process.cwd(), secFile)}): each new column entry's since is the later of x86_64's and ${info.since}; see tools/port/seccomp.ts`);
  else if (info.seccomp) {
    // a cross-check of the two sources: libseccomp's numbers against the headers'
    for (const [name, nr] of Object.entries(x.headerSyscalls)) {
      const e = sec.get(name, info.seccomp);
      if (e && e.nr !== nr) report.review.push(`syscall ${name}: headers ${nr}, libseccomp ${e.nr}`);
    }
  }
  // struct variants: drafts from the compiler's debug info, laid out by the engine and compared with the compiler
  let drafted = '';
  if (report.variants.length && !o.reference) {
    const drafts = draftVariants(resolveArch(loadSpec(abiDir), arch), target, report.variants, join(dir, 'drafts'));
    const draftFile = join(dir, 'struct-drafts.json');
    writeFileSync(draftFile, JSON.stringify(drafts, null, 1));
    const good = drafts.filter((d) => d.variant && !d.problem);
    for (const d of drafts.filter((d) => d.problem)) report.review.push(`struct ${d.struct}: draft needs a human: ${d.problem}`);
    if (o.acceptDrafts && good.length) {
      const ovFile = join(abiDir, 'overrides', `${arch}.json`);
      const ov: OverridesFile = existsSync(ovFile) ? JSON.parse(readFileSync(ovFile, 'utf8')) : { $schema: '../../../spec/overrides.schema.json' };
      ov.structs ??= {};
      for (const d of good) {
        const note = `${arch}'s own definition in its headers (drafted by npm run port from the compiler's debug info)`;
        ov.structs[d.struct] = { ...d.variant, note: ov.structs[d.struct]?.note ?? note };
      }
      ov.structs = Object.fromEntries(Object.entries(ov.structs).sort(([a], [b]) => (a < b ? -1 : 1)));
      writeFileSync(ovFile, formatJson(ov));
      const rel = relative(abiDir, ovFile);
      if (!report.written.includes(rel)) report.written.push(rel);
      drafted = `accepted ${good.length} struct variant drafts into overrides/${arch}.json: ${good.map((d) => d.struct).join(', ')}`;
      const done = new Set(good.map((d) => `struct ${d.struct}: needs a variant`));
      report.review = report.review.filter((r) => ![...done].some((p) => r.startsWith(p)));
    } else {
      drafted = `${good.length} of ${drafts.length} struct variants drafted and verified: ${relative(process.cwd(), draftFile)}` +
        (good.length ? ' (--accept-drafts writes them into the overrides)' : '');
    }
  }
  // each line about an item names the header that defines it on this target
  {
    const where = definitions(sysroot(info), resolveArch(loadSpec(abiDir), arch));
    report.review = report.review.map((line) => {
      const m = /^(constant|struct) ([\w.]+):/.exec(line);
      const h = m && where(m[1] === 'constant' ? 'const' : 'struct', m[2]);
      return h ? line.replace(/^([^:]+):/, `$1 (${h}):`) : line;
    });
  }
  return { x, report, drafted, dir };
}

async function main() {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string', default: 'x86_64' },
      abi: { type: 'string', default: ABI_DIR },
      reference: { type: 'boolean', default: false },
      seccomp: { type: 'string' },
      'accept-drafts': { type: 'boolean', default: false },
    },
  });
  const arch = values.arch!;
  let r: PortResult;
  try {
    r = await portArch(arch, {
      abi: values.abi, reference: values.reference, seccomp: values.seccomp, acceptDrafts: values['accept-drafts'],
      log: (m) => console.error(m),
    });
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const { x, report, drafted, dir } = r;
  console.log(`extracted ${Object.keys(x.constants).length} constants, ${Object.keys(x.structs).length} structs, ` +
    `${Object.keys(x.typedefs).length} typedefs, ${Object.keys(x.headerSyscalls).length} syscalls from the ${arch} headers (Linux ${x.headers})`);
  console.log(`extraction: ${relative(process.cwd(), join(dir, 'extract.json'))}`);
  if (drafted) console.log(drafted);
  console.log(report.written.length ? `wrote: ${report.written.join(', ')}` : 'no file changed');
  for (const r of report.info) console.log(`info: ${r}`);
  for (const r of report.review) console.log(`review: ${r}`);
  console.log(report.review.length ? `${report.review.length} review lines to act on; run port again after each change` : 'nothing to review');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
