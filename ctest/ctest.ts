// ctest: checks the spec against real C headers. From the resolved spec of one arch it generates C translation units
// (one per header set, so that conflicting headers such as glibc's and the kernel's never meet), each of which asserts
// every item it holds: constant values, struct and union sizes and alignments, every member's offset, size and
// signedness, typedef sizes and signedness, syscall numbers. The same program, generated without expectations, prints
// the real values: that is the extraction used for porting.
//
// Items the headers cannot check are reported, never dropped: kernel-internal types, items newer than the headers'
// LINUX_VERSION_CODE, and items the compiler does not know (found by compiling, reading the errors, and compiling again
// without them). An item absent although the spec says the headers' kernel has it is a mismatch.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import { compareVersions, valueAt, type ResolvedArch } from '../tools/lib/spec.ts';
import { LayoutEngine, isInteger, type TypeLayout } from '../tools/lib/layout.ts';
import { elfReader } from '../tools/lib/elf.ts';
import { describeExit, endingOf } from '../tools/lib/exit.ts';
import { isUapiHeader } from './headers.ts';
import type { Target } from '../tools/lib/targets.ts';

export type { Target };

const run = promisify(execFile);

export type Kind = 'base' | 'const' | 'struct' | 'field' | 'typedef' | 'syscall';

/** One thing C can check. `expect` holds the spec's values, in the order the C check prints them. */
export interface Check {
  kind: Kind;
  id: string;
  /** Report group: the constants namespace, "structs:<file>", "typedefs", "syscalls". */
  group: string;
  file: string;
  header: string[];
  since: string;
  expect: bigint[];
  /** Builds the C statement (one line) given whether to assert. */
  c: (assert: boolean) => string;
  /** The C expressions of the values the statement prints (for targets whose programs cannot run: see Target.object). */
  values?: string[];
  /** Set when the spec itself is wrong (a type the layout engine cannot resolve): a mismatch without compiling. */
  error?: string;
  /** Padding C cannot name: reported, not checked. */
  unnamed?: boolean;
  /** Why `since` is later than the item's own (a struct whose size depends on a newer member). */
  sinceWhy?: string;
  /** Why a wrong value would go unnoticed if no header checks this item (see Constant.perArch). */
  risk?: string;
}

export interface Result {
  check: Check;
  status: 'ok' | 'mismatch' | 'unchecked';
  actual?: bigint[];
  reason?: string;
  /** For an item no header could check whose value may be wrong on this arch: why (Check.risk). */
  risk?: string;
}


export const hostTarget = (arch = 'x86_64'): Target => ({ arch, cc: ['gcc'], runner: [] });

const cstr = (s: string) => JSON.stringify(s);
const u64 = (v: bigint) => `${BigInt.asUintN(64, v)}ULL`;
const signedExpr = (t: TypeLayout, expr: string) => (isInteger(t) ? `((${expr})-1 < 0)` : '-1');
const signedValue = (t: TypeLayout) => (isInteger(t) ? (t.signed ? 1n : 0n) : -1n);

/** The checks for every item of the resolved spec. */
export function buildChecks(abi: ResolvedArch, engine = new LayoutEngine(abi), headers?: string): Check[] {
  const checks: Check[] = [];
  for (const k of abi.constants) {
    // a value that changed between kernels: the headers' version decides which one they must show
    const value = headers ? valueAt(k, headers) : k.value;
    checks.push({
      kind: 'const', id: k.id, group: k.ns, file: k.file, header: k.header, since: k.since, expect: [value],
      ...(k.perArch === 'common' ? {
        risk: `${abi.arch.arch} numbers ${k.ns} its own way (abi/linux/overrides/${abi.arch.arch}.json), and this item has the common value`,
      } : {}),
      c: (a) => `ck_c(${cstr(k.id)}, (${k.c}) < 0, (unsigned long long)(${k.c}), ${a ? 1 : 0}, ${u64(value)});`,
      values: [`(${k.c}) < 0`, `(unsigned long long)(${k.c})`],
    });
  }
  for (const s of abi.structs.values()) {
    const group = `structs:${s.file.replace(/^.*\//, '').replace(/\.json$/, '')}`;
    const base = { file: s.file, header: s.header, since: s.since, group };
    let L;
    try {
      L = engine.struct(s.name);
    } catch (err) {
      checks.push({ ...base, kind: 'struct', id: s.name, expect: [], c: () => '', error: (err as Error).message });
      continue;
    }
    if (s.internal) {
      checks.push({ ...base, kind: 'struct', id: s.name, expect: [BigInt(L.size), BigInt(L.align)], c: () => '' });
      continue;
    }
    const newest = L.members.map((m) => m.since).filter((v): v is string => !!v).sort(compareVersions).pop();
    checks.push({
      ...base, kind: 'struct', id: s.name, expect: [BigInt(L.size), BigInt(L.align)],
      // a member newer than the struct can change its size: then the size is only checkable on headers that have it
      ...(newest && compareVersions(newest, s.since) > 0 ? { since: newest, sinceWhy: 'a member' } : {}),
      c: (a) => `ck_s(${cstr(s.name)}, sizeof(${s.c}), __builtin_offsetof(struct { char c; ${s.c} x; }, x), ${a ? 1 : 0}, ${L.size}UL, ${L.align}UL);`,
      values: [`sizeof(${s.c})`, `__builtin_offsetof(struct { char c; ${s.c} x; }, x)`],
    });
    for (const m of L.members) {
      if (m.unnamed) {
        checks.push({ ...base, kind: 'field', id: `${s.name}.${m.path}`, expect: [BigInt(m.offset), BigInt(m.size), -1n], c: () => '',
          unnamed: true });
        continue;
      }
      const member = `((${s.c} *)0)->${m.path}`;
      const size = m.flexible ? '-1L' : `(long)sizeof(${member})`;
      // a flexible array member sits after every other member: a newer member moves it (rseq's end[])
      const own = m.since ?? s.since;
      const moved = m.flexible && newest && compareVersions(newest, own) > 0;
      checks.push({
        ...base, kind: 'field', id: `${s.name}.${m.path}`, since: moved ? newest : own,
        ...(moved ? { sinceWhy: 'a member before it' } : {}),
        expect: [BigInt(m.offset), m.flexible ? -1n : BigInt(m.size), signedValue(m.type)],
        c: (a) =>
          `ck_f(${cstr(`${s.name}.${m.path}`)}, __builtin_offsetof(${s.c}, ${m.path}), ${size}, ${signedExpr(m.type, `__typeof__(${member})`)}, ` +
          `${a ? 1 : 0}, ${m.offset}UL, ${m.flexible ? -1 : m.size}L, ${signedValue(m.type)});`,
        values: [`__builtin_offsetof(${s.c}, ${m.path})`, size, signedExpr(m.type, `__typeof__(${member})`)],
      });
    }
  }
  for (const t of abi.typedefs.values()) {
    let L;
    try {
      L = engine.type(t.name);
    } catch (err) {
      checks.push({
        kind: 'typedef', id: t.name, group: 'typedefs', file: t.file, header: t.header, since: t.since, expect: [],
        c: () => '', error: (err as Error).message,
      });
      continue;
    }
    checks.push({
      kind: 'typedef', id: t.name, group: 'typedefs', file: t.file, header: t.header, since: t.since,
      expect: [BigInt(L.size), BigInt(L.align), signedValue(L)],
      c: t.internal ? () => '' : (a) =>
        `ck_t(${cstr(t.name)}, sizeof(${t.name}), __builtin_offsetof(struct { char c; ${t.name} x; }, x), ${signedExpr(L, t.name)}, ` +
        `${a ? 1 : 0}, ${L.size}UL, ${L.align}UL, ${signedValue(L)});`,
      values: [`sizeof(${t.name})`, `__builtin_offsetof(struct { char c; ${t.name} x; }, x)`, signedExpr(L, t.name)],
    });
  }
  for (const s of abi.syscalls) {
    checks.push({
      kind: 'syscall', id: s.name, group: 'syscalls', file: s.file, header: s.header, since: s.since,
      expect: [BigInt(s.nr)], c: (a) => `ck_n(${cstr(s.name)}, (long)(__NR_${s.name}), ${a ? 1 : 0}, ${s.nr}L);`,
      values: [`(long)(__NR_${s.name})`],
    });
  }
  return checks;
}

const PROTOTYPES = `void ck_c(const char *, int, unsigned long long, int, unsigned long long);
void ck_s(const char *, unsigned long, unsigned long, int, unsigned long, unsigned long);
void ck_f(const char *, unsigned long, long, int, int, unsigned long, long, int);
void ck_t(const char *, unsigned long, unsigned long, int, int, unsigned long, unsigned long, int);
void ck_n(const char *, long, int, long);
`;

const MAIN = (tus: number) => `/* Generated by ctest/ctest.ts: do not edit. */
#include <stdio.h>
#include <linux/version.h>
static int failures;
#define ALIGN_OF(T) __builtin_offsetof(struct { char c; T x; }, x)
#define BASE(T, NAME) printf("B\\t%s\\t%lu\\t%lu\\t%d\\n", NAME, (unsigned long)sizeof(T), (unsigned long)ALIGN_OF(T), (int)((T)-1 < 0))
static int verdict(int assert, int ok) { if (!assert) return 2; if (!ok) failures++; return ok; }
void ck_c(const char *id, int neg, unsigned long long v, int a, unsigned long long e) {
  int ok = verdict(a, v == e);
  if (neg) printf("C\\t%s\\t%d\\t%lld\\n", id, ok, (long long)v); else printf("C\\t%s\\t%d\\t%llu\\n", id, ok, v);
}
void ck_s(const char *id, unsigned long size, unsigned long align, int a, unsigned long es, unsigned long ea) {
  printf("S\\t%s\\t%d\\t%lu\\t%lu\\n", id, verdict(a, size == es && align == ea), size, align);
}
void ck_f(const char *id, unsigned long off, long size, int sgn, int a, unsigned long eo, long es, int esg) {
  printf("F\\t%s\\t%d\\t%lu\\t%ld\\t%d\\n", id, verdict(a, off == eo && size == es && sgn == esg), off, size, sgn);
}
void ck_t(const char *id, unsigned long size, unsigned long align, int sgn, int a, unsigned long es, unsigned long ea, int esg) {
  printf("T\\t%s\\t%d\\t%lu\\t%lu\\t%d\\n", id, verdict(a, size == es && align == ea && sgn == esg), size, align, sgn);
}
void ck_n(const char *id, long nr, int a, long e) { printf("N\\t%s\\t%d\\t%ld\\n", id, verdict(a, nr == e), nr); }
${Array.from({ length: tus }, (_, i) => `void tu_${i}(void);`).join('\n')}
int main(void) {
  union { unsigned int i; unsigned char c[4]; } e = { 1 };
  printf("V\\t%d\\n", LINUX_VERSION_CODE);
  printf("E\\t%s\\n", e.c[0] ? "little" : "big");
  BASE(char, "char"); BASE(short, "short"); BASE(int, "int"); BASE(long, "long"); BASE(long long, "long long");
  BASE(float, "float"); BASE(double, "double"); BASE(long double, "long double"); BASE(_Bool, "_Bool");
  printf("B\\tpointer\\t%lu\\t%lu\\t-1\\n", (unsigned long)sizeof(void *), (unsigned long)ALIGN_OF(void *));
${Array.from({ length: tus }, (_, i) => `  tu_${i}();`).join('\n')}
  fflush(stdout);
  return failures ? 1 : 0;
}
`;

/** What the headers of a target say about themselves. */
export interface Probe {
  headers: string;
  endian: 'little' | 'big';
  types: Record<string, { size: number; align: number; signed: boolean }>;
}

export interface CtestRun {
  target: Target;
  probe: Probe;
  results: Result[];
  exitCode: number;
  /** Translation units that did not compile even after removing every item the compiler named. */
  brokenUnits: { header: string[]; error: string }[];
}

export interface CtestOptions {
  target: Target;
  /** Where to write the C files and binaries. */
  dir: string;
  /** false: generate without expectations and try every item, whatever its `since` (extraction). */
  assert?: boolean;
  /** Only these kinds. */
  kinds?: Kind[];
  log?: (msg: string) => void;
  /** How many compilers to run at once (default: one per CPU). */
  jobs?: number;
  /**
   * Check against this include root of kernel UAPI headers instead of the target's sysroot (ctest/headers.ts: the
   * newest kernel's headers for every arch): only the items of at least one UAPI header there (an item absent from a
   * unit that also includes glibc's headers is not checkable rather than a mismatch: it may be glibc's), compiled with
   * `<dir>/<triplet>` and `<dir>` ahead of the sysroot's include folders, their values read from the objects (nothing
   * runs).
   */
  uapi?: { dir: string; triplet: string };
}

const versionString = (code: number) => `${code >> 16}.${(code >> 8) & 255}.${code & 255}`;

/** Run `fn` over `items`, `n` at a time (also used by ctest/roundtrip.ts). */
export async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>) {
  let i = 0;
  await Promise.all(Array.from({ length: Math.max(1, n) }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

/** Run the C compiler; a failure to compile is a result, a missing compiler an error (also used by ctest/roundtrip.ts). */
export async function compile(cc: string[], args: string[]): Promise<{ ok: boolean; stderr: string }> {
  try {
    await run(cc[0], [...cc.slice(1), ...args], { maxBuffer: 256 << 20 });
    return { ok: true, stderr: '' };
  } catch (err) {
    const e = err as { stderr?: string; message: string; code?: string | number };
    if (e.code === 'ENOENT') throw new Error(`C compiler not found: ${cc[0]}`);
    return { ok: false, stderr: e.stderr ?? e.message };
  }
}

interface Diagnostic { line?: number; message: string }

/** Attribute each compiler error to a line of the unit (through "in expansion of macro" notes when the error is in a header). */
export function parseErrors(stderr: string, unit: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  let current: Diagnostic | undefined;
  const re = /^(.*?):(\d+):(?:\d+:)? (fatal error|error|note|warning): (.*)$/;
  for (const text of stderr.split('\n')) {
    const m = re.exec(text);
    if (!m) continue;
    const [, file, line, level, message] = m;
    const inUnit = file.endsWith(unit);
    if (level === 'error' || level === 'fatal error') {
      current = { line: inUnit ? Number(line) : undefined, message };
      out.push(current);
    } else if (level === 'note' && current && current.line === undefined && inUnit) {
      current.line = Number(line);
    }
  }
  return out;
}

/** Compile, run and compare; returns a result for every check. */
export async function runCtest(abi: ResolvedArch, opts: CtestOptions): Promise<CtestRun> {
  const { dir, uapi } = opts;
  let target = opts.target;
  if (uapi) {
    // searched before the sysroot's own include folders: a UAPI header that includes a libc header (linux/if.h
    // includes sys/socket.h) gets the sysroot's, as on a system whose linux-libc-dev is newer than its glibc
    target = {
      ...target, object: true, how: 'object', why: `kernel UAPI headers of ${uapi.dir}: values read from the objects`,
      cc: [...target.cc, '-isystem', join(uapi.dir, uapi.triplet), '-isystem', uapi.dir],
    };
  }
  const assert = opts.assert ?? true;
  const log = opts.log ?? (() => {});
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  // 1. the probe: headers version and data model
  let probe: Probe;
  if (target.object) {
    writeFileSync(join(dir, 'probe.c'), PROBE_OBJECT);
    const pc = await compile(target.cc, ['-w', '-c', '-o', join(dir, 'probe.o'), join(dir, 'probe.c')]);
    if (!pc.ok) throw new Error(`cannot compile the probe for ${target.arch}:\n${pc.stderr}`);
    probe = parseProbe(probeFromObject(readValues(join(dir, 'probe.o'))));
  } else {
    writeFileSync(join(dir, 'main.c'), MAIN(0));
    const probeExe = join(dir, 'probe');
    const pc = await compile(target.cc, ['-w', '-o', probeExe, join(dir, 'main.c')]);
    if (!pc.ok) throw new Error(`cannot compile the probe for ${target.arch}:\n${pc.stderr}`);
    const out = await execute(target, probeExe);
    if (out.code !== 0) throw new Error(`the probe of ${target.arch}${via(target)} failed: ${out.ending}`);
    try {
      probe = parseProbe(out.stdout);
    } catch {
      throw new Error(`the probe of ${target.arch}${via(target)} printed no headers version: ${out.ending}\n  stdout: ${JSON.stringify(out.stdout.slice(0, 200))}`);
    }
  }
  log(`${target.arch}: headers ${probe.headers}${uapi ? ` (the kernel's UAPI headers in ${uapi.dir}: values read from the objects)`
    : target.object ? ' (values read from the objects: the target cannot run here)' : ''}`);

  // 2. which checks can run; the data model is checked against the probe right away
  let checks = buildChecks(abi, undefined, probe.headers);
  if (opts.kinds) checks = checks.filter((c) => opts.kinds!.includes(c.kind));
  // the items of at least one UAPI header (an item of linux/vm_sockets.h also names sys/socket.h, which stays glibc's)
  const isUapi = (h: string) => !!uapi && isUapiHeader(uapi.dir, uapi.triplet, h);
  if (uapi) checks = checks.filter((c) => c.header.some(isUapi));
  const results = new Map<Check, Result>();
  {
    const ch: Check = { kind: 'base', id: 'endian', group: 'data model', file: `arch/${abi.arch.arch}.json`, header: [], since: '0',
      expect: [abi.arch.endian === 'little' ? 1n : 0n], c: () => '' };
    checks.unshift(ch);
    const actual = [probe.endian === 'little' ? 1n : 0n];
    results.set(ch, actual[0] === ch.expect[0] ? { check: ch, status: 'ok', actual }
      : { check: ch, status: 'mismatch', actual, reason: `spec ${abi.arch.endian}-endian, headers ${probe.endian}-endian` });
  }
  for (const [name, t] of Object.entries(abi.arch.types)) {
    const p = probe.types[name];
    const expect = [BigInt(t.size), BigInt(t.align), ...(name === 'char' ? [t.signed ? 1n : 0n] : [])];
    const actual = p ? [BigInt(p.size), BigInt(p.align), ...(name === 'char' ? [p.signed ? 1n : 0n] : [])] : [];
    const ch: Check = { kind: 'base', id: name, group: 'data model', file: `arch/${abi.arch.arch}.json`, header: [], since: '0', expect, c: () => '' };
    checks.unshift(ch);
    const same = expect.length === actual.length && expect.every((e, i) => e === actual[i]);
    results.set(ch, same ? { check: ch, status: 'ok', actual } : { check: ch, status: 'mismatch', actual, reason: describeMismatch(ch, actual) });
  }
  const live: Check[] = [];
  for (const ch of checks) {
    if (results.has(ch)) continue;
    if (ch.error) {
      results.set(ch, { check: ch, status: 'mismatch', reason: `spec error: ${ch.error}` });
    } else if (ch.unnamed) {
      results.set(ch, { check: ch, status: 'unchecked', reason: 'unnamed in C (anonymous bit-field padding): checked through its struct\'s size' });
    } else if (ch.c(false) === '') {
      results.set(ch, { check: ch, status: 'unchecked', reason: 'kernel-internal: no UAPI header defines it' });
    } else if (assert && compareVersions(ch.since, probe.headers) > 0) {
      const what = ch.sinceWhy ? `has ${ch.sinceWhy} newer than the headers` : 'newer than the headers';
      results.set(ch, { check: ch, status: 'unchecked', reason: `${what} (since ${ch.since}, headers ${probe.headers})` });
    } else {
      live.push(ch);
    }
  }

  // 3. one translation unit per header set; compile, drop what the compiler does not know, compile again
  const units = new Map<string, Check[]>();
  for (const ch of live) {
    const key = ch.header.join('\n');
    if (!units.has(key)) units.set(key, []);
    units.get(key)!.push(ch);
  }
  const unitList = [...units.values()];
  const brokenUnits: CtestRun['brokenUnits'] = [];
  const objects: string[] = [];
  /** What each unit finally holds (object mode reads their values in this order). */
  const unitItems: Check[][] = [];
  let absentCount = 0;
  let newerCount = 0;
  const object = !!target.object;
  await pool(unitList.map((u, i) => [u, i] as const), opts.jobs ?? cpus().length, async ([unit, i]) => {
    const name = `tu_${i}.c`;
    let items = unit;
    for (let attempt = 0; attempt < 10; attempt++) {
      // one line per check; in run mode each in its own function, so that every use of an undeclared name is an error
      // of its own (GCC reports only the first use in a function)
      const lines = items.map((ch, j) => (object ? objectRow(ch) : `static void c_${j}(void) { ${ch.c(assert)} }`));
      const head = ['/* Generated by ctest/ctest.ts: do not edit. */', '#define _GNU_SOURCE',
        ...unit[0].header.map((h) => `#include <${h}>`),
        ...(object ? [`${SECTION} const unsigned long long tu_${i}_values[][3] = {`] : [PROTOTYPES])];
      const tail = object ? '};' : `void tu_${i}(void) { ${items.map((_, j) => `c_${j}();`).join(' ')} }`;
      unitItems[i] = items;
      writeFileSync(join(dir, name), [...head, ...lines, tail, ''].join('\n'));
      const res = await compile(target.cc, ['-w', '-fmax-errors=0', '-c', '-o', join(dir, `tu_${i}.o`), join(dir, name)]);
      if (res.ok) {
        objects[i] = join(dir, `tu_${i}.o`);
        return;
      }
      const diags = parseErrors(res.stderr, name);
      const firstLine = head.join('\n').split('\n').length + 1;
      const bad = new Map<Check, string>();
      for (const d of diags) {
        const ch = d.line !== undefined ? items[d.line - firstLine] : undefined;
        if (ch && !bad.has(ch)) bad.set(ch, d.message);
      }
      if (bad.size === 0) break;
      for (const [ch, message] of bad) {
        if (object && /initializer element is not (a )?constant/.test(message)) {
          // e.g. glibc's SIGRTMAX calls a function: only a running program can read it
          results.set(ch, { check: ch, status: 'unchecked', reason: 'not a compile-time constant, and the target cannot run here' });
          continue;
        }
        // with glibc's headers in the unit, the item may be glibc's own, and the sysroot's glibc older than it
        const newer = compareVersions(ch.since, probe.headers) > 0 || (uapi && !unit[0].header.every(isUapi));
        if (newer) newerCount++;
        else absentCount++;
        results.set(ch, {
          check: ch,
          status: assert && !newer ? 'mismatch' : 'unchecked',
          reason: assert && !newer
            ? `missing from the headers (the spec says since ${ch.since}, headers ${probe.headers}): ${message}`
            : `absent from the headers ${probe.headers}: ${message}`,
        });
      }
      items = items.filter((ch) => !bad.has(ch));
      unitItems[i] = items;
      if (items.length === 0) { objects[i] = ''; return; }
    }
    const res = await compile(target.cc, ['-w', '-c', '-o', join(dir, `tu_${i}.o`), join(dir, name)]);
    const error = res.stderr.split('\n').filter((l) => /error/.test(l)).slice(0, 3).join('\n');
    brokenUnits.push({ header: unit[0].header, error });
    for (const ch of items) {
      results.set(ch, { check: ch, status: 'mismatch', reason: `headers ${unit[0].header.join(', ')} do not compile: ${error}` });
    }
    unitItems[i] = [];
    // an empty unit keeps main's call valid
    writeFileSync(join(dir, name), `void tu_${i}(void) {}\n`);
    await compile(target.cc, ['-c', '-o', join(dir, `tu_${i}.o`), join(dir, name)]);
    objects[i] = join(dir, `tu_${i}.o`);
  });
  if (absentCount + newerCount) {
    log(`${target.arch}: the headers lack ${absentCount + newerCount} items: ${newerCount} newer than them (not checkable), ${absentCount} that they should have`);
  }

  // 4. link and run (or, for a target that cannot run here, read the values from the objects)
  const printed: { ch: Check; actual: bigint[]; ok?: string }[] = [];
  let out = { stdout: '', code: 0, ending: '' };
  if (object) {
    for (let i = 0; i < unitList.length; i++) {
      const items = unitItems[i] ?? [];
      if (!items.length || objects[i] === '' || !objects[i]) continue;
      const values = readValues(objects[i]);
      if (values.length !== items.length * 3) {
        throw new Error(`${objects[i]}: ${values.length / 3} values for ${items.length} checks`);
      }
      items.forEach((ch, j) => printed.push({ ch, actual: decodeRow(ch.kind, values.slice(j * 3, j * 3 + 3)) }));
    }
  } else {
    writeFileSync(join(dir, 'main.c'), MAIN(unitList.length));
    const exe = join(dir, 'ctest');
    for (let i = 0; i < unitList.length; i++) {
      if (objects[i] === '') {
        writeFileSync(join(dir, `tu_${i}.c`), `void tu_${i}(void) {}\n`);
        await compile(target.cc, ['-c', '-o', join(dir, `tu_${i}.o`), join(dir, `tu_${i}.c`)]);
      }
    }
    const link = await compile(target.cc, ['-w', '-o', exe, join(dir, 'main.c'), ...unitList.map((_, i) => join(dir, `tu_${i}.o`))]);
    if (!link.ok) throw new Error(`cannot link ctest for ${target.arch}:\n${link.stderr}`);
    out = await execute(target, exe);
    if (out.code !== 0 && out.code !== 1) throw new Error(`the ctest program of ${target.arch}${via(target)} failed: ${out.ending}`);
    const byId = new Map(live.map((ch) => [`${ch.kind}:${ch.id}`, ch]));
    const kindOf: Record<string, Kind> = { C: 'const', S: 'struct', F: 'field', T: 'typedef', N: 'syscall' };
    for (const line of out.stdout.split('\n')) {
      const [tag, id, ok, ...vals] = line.split('\t');
      const kind = kindOf[tag];
      if (!kind) continue;
      const ch = byId.get(`${kind}:${id}`);
      if (ch) printed.push({ ch, actual: vals.map((v) => BigInt(v)), ok });
    }
  }

  // 5. compare what C printed with the spec (C asserted too: its exit code must agree)
  let cFailures = 0;
  for (const { ch, actual, ok } of printed) {
    if (ok === '0') cFailures++;
    if (!assert) {
      results.set(ch, { check: ch, status: 'ok', actual });
      continue;
    }
    const same = ch.expect.length === actual.length && ch.expect.every((e, j) => e === actual[j]);
    results.set(ch, same
      ? { check: ch, status: 'ok', actual }
      : { check: ch, status: 'mismatch', actual, reason: describeMismatch(ch, actual) });
  }
  for (const ch of live) {
    if (!results.has(ch)) results.set(ch, { check: ch, status: 'mismatch', reason: 'the C program printed nothing for it' });
  }
  const all = checks.map((ch) => {
    const r = results.get(ch)!;
    return r.status === 'unchecked' && ch.risk ? { ...r, risk: ch.risk } : r;
  });
  const jsFailures = all.filter((r) => r.status === 'mismatch' && r.actual).length;
  if (object) out.code = assert && all.some((r) => r.status === 'mismatch') ? 1 : 0;
  else if (assert && (cFailures !== jsFailures || (out.code !== 0) !== (cFailures > 0))) {
    throw new Error(`ctest disagrees with itself: C counted ${cFailures} failures (exit ${out.code}), the comparison ${jsFailures}`);
  }
  return { target, probe, results: all, exitCode: out.code, brokenUnits };
}

/**
 * One result per item from the two header sets of a target: a mismatch in either is a mismatch (naming the headers), an
 * item checked in either is checked, and an item neither could check keeps the newer headers' reason when they tried.
 */
export function mergeRuns(base: CtestRun, newest: CtestRun): { results: Result[]; moved: number; checked: number } {
  const key = (r: Result) => `${r.check.kind}:${r.check.id}`;
  const other = new Map(newest.results.map((r) => [key(r), r]));
  const label = `against the headers of Linux ${newest.probe.headers}`;
  let moved = 0;
  const results = base.results.map((r): Result => {
    const n = other.get(key(r));
    if (!n) return r;
    if (r.status === 'mismatch') return n.status === 'mismatch' ? { ...r, reason: `${r.reason}; ${label}: ${n.reason}` } : r;
    if (n.status === 'mismatch') return { ...n, reason: `${label}: ${n.reason}` };
    if (r.status === 'ok') return r;
    if (n.status === 'ok') moved++;
    return n;
  });
  // what the newest headers checked (the data model, probed by both sets, aside)
  const checked = newest.results.filter((r) => r.status !== 'unchecked' && r.check.kind !== 'base').length;
  return { results, moved, checked };
}

function describeMismatch(ch: Check, actual: bigint[]): string {
  const names: Record<Kind, string[]> = {
    base: ['size', 'align', 'signed'], const: ['value'], struct: ['size', 'align'], field: ['offset', 'size', 'signed'], typedef: ['size', 'align', 'signed'],
    syscall: ['nr'],
  };
  return names[ch.kind]
    .map((n, i) => (ch.expect[i] !== actual[i] ? `${n}: spec ${ch.expect[i]}, headers ${actual[i]}` : ''))
    .filter(Boolean).join('; ');
}

/** " (natively: why)", " (under qemu-user: why)" or "": how the target's programs were run, for errors. */
const via = (t: Target) => (t.how === 'qemu' ? ` (under qemu-user: ${t.why})` : t.how === 'native' && t.why ? ` (natively: ${t.why})` : '');

/**
 * Run a built program with the target's runner. An exit status comes back (the program's verdict); a program that
 * could not start or was killed by a signal is an error naming the command, how it ended and its stderr. `ending`
 * says the same for a status the caller does not expect.
 */
async function execute(target: Target, exe: string): Promise<{ stdout: string; code: number; ending: string }> {
  const command = target.runner.length ? [...target.runner, exe] : [exe];
  try {
    const { stdout, stderr } = await run(command[0], command.slice(1), { maxBuffer: 256 << 20 });
    return { stdout, code: 0, ending: describeExit(command, { code: 0, stderr }) };
  } catch (err) {
    const e = err as { stdout?: string; code?: number | string };
    const ending = describeExit(command, endingOf(err));
    if (typeof e.code !== 'number' || e.stdout === undefined) throw new Error(`cannot run ${exe}${via(target)}: ${ending}`);
    return { stdout: e.stdout, code: e.code, ending };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Object mode: the values as data in each object file, for targets whose programs cannot run here

const SECTION = '__attribute__((used, section("ctest_values")))';

/** One row of three 64-bit values per check (unused ones 0), in the order the run mode prints them. */
function objectRow(ch: Check): string {
  const v = [...(ch.values ?? []), '0', '0', '0'].slice(0, 3);
  return `  { ${v.map((e) => `(unsigned long long)(${e})`).join(', ')} },`;
}

function decodeRow(kind: Kind, v: bigint[]): bigint[] {
  const s = (x: bigint) => BigInt.asIntN(64, x);
  switch (kind) {
    case 'const': return [v[0] ? s(v[1]) : v[1]];
    case 'struct': return [v[0], v[1]];
    case 'field': return [v[0], s(v[1]), s(v[2])];
    case 'typedef': return [v[0], v[1], s(v[2])];
    case 'syscall': return [s(v[0])];
    default: return v;
  }
}

const PROBE_BASES = ['char', 'short', 'int', 'long', 'long long', 'float', 'double', 'long double', '_Bool'];
const PROBE_OBJECT = `/* Generated by ctest/ctest.ts: do not edit. */
#include <linux/version.h>
#define ALIGN_OF(T) __builtin_offsetof(struct { char c; T x; }, x)
#define B(T) sizeof(T), ALIGN_OF(T), ((T)-1 < 0)
${SECTION} const unsigned long long probe_values[] = {
  LINUX_VERSION_CODE, __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
  ${PROBE_BASES.map((b) => `B(${b})`).join(', ')},
  sizeof(void *), ALIGN_OF(void *), 0
};
`;

/** The probe's output, as the run mode prints it, from the values of PROBE_OBJECT. */
function probeFromObject(v: bigint[]): string {
  const lines = [`V\t${v[0]}`, `E\t${v[1] ? 'little' : 'big'}`];
  [...PROBE_BASES, 'pointer'].forEach((b, i) => {
    const [size, align, sgn] = v.slice(2 + i * 3, 5 + i * 3);
    lines.push(`B\t${b}\t${size}\t${align}\t${b === 'pointer' ? -1 : sgn}`);
  });
  return lines.join('\n') + '\n';
}

/** The 64-bit values of the ctest_values section of an ELF object file (32- or 64-bit, either endianness). */
export function readValues(file: string): bigint[] {
  const { bytes: b, is64, littleEndian: le, u16, u32, word: uw } = elfReader(file);
  const shoff = uw(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  const sh = (i: number) => {
    const o = shoff + i * shentsize;
    return { name: u32(o), offset: uw(o + (is64 ? 24 : 16)), size: uw(o + (is64 ? 32 : 20)) };
  };
  const strtab = sh(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const start = strtab.offset + s.name;
    const name = b.toString('latin1', start, b.indexOf(0, start));
    if (name !== 'ctest_values') continue;
    const out: bigint[] = [];
    for (let o = s.offset; o < s.offset + s.size; o += 8) out.push(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    return out;
  }
  throw new Error(`${file}: no ctest_values section`);
}

export function parseProbe(stdout: string): Probe {
  const probe: Probe = { headers: '', endian: 'little', types: {} };
  for (const line of stdout.split('\n')) {
    const f = line.split('\t');
    if (f[0] === 'V') probe.headers = versionString(Number(f[1]));
    if (f[0] === 'E') probe.endian = f[1] as Probe['endian'];
    if (f[0] === 'B') probe.types[f[1]] = { size: Number(f[2]), align: Number(f[3]), signed: f[4] === '1' };
  }
  if (!probe.headers) throw new Error(`the probe printed no version:\n${stdout}`);
  return probe;
}
