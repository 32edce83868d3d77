// npm run port -- --arch <name> [--reference] [--abi DIR]
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
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  ABI_DIR, ROOT, compareVersions, itemObject, loadAbiFiles, resolveAbi,
  type ArchFile, type ConstItem, type IntValue, type OverridesFile, type TypedefSpec,
} from './lib/abi.ts';
import { formatJson } from './lib/format.ts';
import { LayoutEngine } from './lib/layout.ts';
import { hostTarget, runCtest, type Target } from '../ctest/ctest.ts';

const exec = promisify(execFile);

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
}

/** Run the extraction program for a target. */
export async function extract(abiDir: string, target: Target, dir: string, log = (_: string) => {}): Promise<Extraction> {
  const abi = resolveAbi(loadAbiFiles(abiDir), target.arch);
  const run = await runCtest(abi, { target, dir, assert: false, log });
  const x: Extraction = {
    arch: target.arch, headers: run.probe.headers, endian: run.probe.endian, types: run.probe.types,
    constants: {}, structs: {}, typedefs: {}, syscalls: {}, headerSyscalls: await headerSyscalls(target),
  };
  for (const r of run.results) {
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
  for (const m of stdout.matchAll(/^#define (__NR_\w+) (.*)$/gm)) defs.set(m[1], m[2].trim());
  const value = (name: string, depth = 0): number | undefined => {
    const v = defs.get(name);
    if (v === undefined || depth > 8) return undefined;
    const expr = v.replace(/\b(__NR_\w+)\b/g, (n) => String(value(n, depth + 1) ?? 'NaN')).replace(/[()]/g, ' ');
    if (!/^[\s\d+xXa-fA-F]+$/.test(expr)) return undefined;
    return expr.split('+').reduce((s, t) => s + Number(t.trim()), 0);
  };
  const out: Record<string, number> = {};
  for (const name of defs.keys()) {
    const n = value(name);
    if (n !== undefined && !Number.isNaN(n) && !/^__NR_(syscalls|arch_specific_syscall|Linux)$/.test(name) && !/_base$|_BASE$/.test(name)) {
      out[name.slice(5)] = n;
    }
  }
  return out;
}

const asValue = (s: string): IntValue => {
  const v = BigInt(s);
  return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : s;
};

const INT_TYPES = ['int', 'unsigned int', 'long', 'unsigned long', 'long long', 'unsigned long long', 'short',
  'unsigned short', 'signed char', 'unsigned char'];

export interface PortReport { written: string[]; review: string[] }

/** Turn an extraction into abi/ files. */
export function apply(abiDir: string, x: Extraction, opts: { reference: boolean; triplet?: string }): PortReport {
  const files = loadAbiFiles(abiDir);
  const report: PortReport = { written: [], review: [] };
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
  const arch: ArchFile = {
    $schema: '../../../spec/arch.schema.json', os: 'linux', arch: x.arch,
    triplet: opts.triplet ?? old?.triplet, ...(old?.note ? { note: old.note } : {}), endian: x.endian, types,
    syscall: old?.syscall ?? { argRegisters: 6, split64: types.pointer.size === 4 ? 'aligned-pair' : 'none' },
  };
  if (!arch.triplet) delete arch.triplet;
  if (!old) report.review.push(`arch/${x.arch}.json: check syscall.split64 and argRegisters (guessed)`);
  write(archPath, arch);
  files.arches[x.arch] = { file: archPath, data: arch };

  // 2. the syscall column
  const sc = files.syscalls.data;
  for (const [name, s] of Object.entries(sc.syscalls)) {
    const nr = x.syscalls[name] ?? x.headerSyscalls[name];
    const cur = s.arches[x.arch];
    if (nr !== undefined) s.arches[x.arch] = { ...cur, nr, since: cur?.since ?? x.headers };
    else if (cur && !newer(cur.since)) {
      delete s.arches[x.arch];
      report.review.push(`syscall ${name}: not in the ${x.arch} headers, removed from its column`);
    }
    if (Object.keys(s.arches).length === 0) delete sc.syscalls[name];
  }
  for (const [name, nr] of Object.entries(x.headerSyscalls)) {
    if (sc.syscalls[name]) continue;
    sc.syscalls[name] = { ret: 'long', args: [], note: 'found by npm run port: write its signature', arches: { [x.arch]: { nr, since: x.headers } } };
    report.review.push(`syscall ${name} (${nr}): new, write its signature`);
  }
  sc.syscalls = Object.fromEntries(Object.entries(sc.syscalls).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  write(files.syscalls.file, sc);

  // 3. constants: common values (reference arch) or overrides
  const ovPath = join(abiDir, 'overrides', `${x.arch}.json`);
  const ov: OverridesFile = { $schema: '../../../spec/overrides.schema.json' };
  const absent: string[] = [];
  for (const { file, data } of files.constants) {
    for (const [nsName, ns] of Object.entries(data.namespaces)) {
      for (const [name, item] of Object.entries(ns.items)) {
        const id = `${nsName}.${name}`;
        const got = x.constants[id];
        const it = itemObject(item);
        if (got === undefined) {
          if (!newer(it.since ?? ns.since)) absent.push(id);
          continue;
        }
        if (opts.reference) {
          ns.items[name] = (typeof item === 'object' ? { ...item, value: asValue(got) } : asValue(got)) as ConstItem;
        } else if (BigInt(it.value) !== BigInt(got)) {
          ((ov.constants ??= {})[nsName] ??= {})[name] = asValue(got);
        }
      }
    }
    if (opts.reference) write(file, data);
  }
  if (opts.reference && absent.length) report.review.push(`constants the reference headers lack: ${absent.join(', ')}`);
  if (!opts.reference && absent.length) ov.absent = absent;

  // 4. typedefs whose size, alignment or signedness differ: guess a C type of the same shape
  const abi = resolveAbi(files, x.arch);
  const engine = new LayoutEngine(abi);
  for (const [name, [size, align, sgn]] of Object.entries(x.typedefs)) {
    const t = engine.type(name);
    const spec = [t.size, t.align, t.kind === 'int' || t.kind === 'bool' ? (t.signed ? 1 : 0) : -1];
    if (spec[0] === size && spec[1] === align && spec[2] === sgn) continue;
    const guess = INT_TYPES.find((c) => {
      const g = engine.type(c);
      return g.size === size && g.align === align && (g.signed ? 1 : 0) === sgn;
    });
    if (guess) ((ov.typedefs ??= {}) as Record<string, TypedefSpec>)[name] = { type: guess };
    report.review.push(`typedef ${name}: headers say size ${size} align ${align} signed ${sgn}${guess ? `, written as ${guess}` : ', no guess: write it by hand'}`);
  }

  // 5. struct layouts: report what the engine gets wrong on this arch
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
    }
    if (diffs.length) report.review.push(`struct ${name}: needs a variant in overrides/${x.arch}.json: ${diffs.slice(0, 4).join('; ')}`);
  }

  if (!opts.reference) {
    const prev = files.overrides[x.arch]?.data;
    if (prev?.structs) ov.structs = prev.structs;
    if (Object.keys(ov).length > 1) write(ovPath, ov);
    else if (existsSync(ovPath)) { rmSync(ovPath); report.written.push(relative(abiDir, ovPath) + ' (removed)'); }
  }
  return report;
}

async function main() {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string', default: 'x86_64' },
      abi: { type: 'string', default: ABI_DIR },
      reference: { type: 'boolean', default: false },
    },
  });
  const arch = values.arch!;
  const host = { x64: 'x86_64' }[process.arch as 'x64'];
  if (arch !== host) throw new Error(`no target for ${arch} yet: this version can port the host arch (${host}) only`);
  const target = hostTarget(arch);
  const dir = join(ROOT, 'build', 'port', arch);
  const x = await extract(values.abi!, target, join(dir, 'c'), (m) => console.error(m));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'extract.json'), JSON.stringify(x, null, 1));
  const { stdout } = await exec(target.cc[0], ['-dumpmachine']);
  const report = apply(values.abi!, x, { reference: values.reference!, triplet: stdout.trim() });
  console.log(`extracted ${Object.keys(x.constants).length} constants, ${Object.keys(x.structs).length} structs, ` +
    `${Object.keys(x.typedefs).length} typedefs, ${Object.keys(x.syscalls).length} syscalls from the ${arch} headers (Linux ${x.headers})`);
  console.log(`extraction: ${relative(process.cwd(), join(dir, 'extract.json'))}`);
  console.log(report.written.length ? `wrote: ${report.written.join(', ')}` : 'no file changed');
  for (const r of report.review) console.log(`review: ${r}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
