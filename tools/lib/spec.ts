// Loads abi/<os>/, validates every file against its JSON Schema in spec/, and resolves the data for one arch:
// namespace and file defaults pushed down to every item, the arch's overrides applied, absent items removed.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative, basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { LayoutEngine } from './layout.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SPEC_DIR = join(ROOT, 'spec');
export const ABI_DIR = join(ROOT, 'abi', 'linux');

// ---------------------------------------------------------------------------------------------------------------
// Raw file shapes (as the schemas describe them)

export type Header = string | string[];
export type IntValue = number | string;
/** An ioctl request as the header's _IO/_IOR/_IOW/_IOWR writes it; the number follows from the arch's IocLayout. */
export interface IoctlSpec {
  dir: 'none' | 'read' | 'write' | 'readwrite';
  /** The type (magic) byte: a character or a number. */
  type: number | string;
  nr: number;
  /** The argument's C type (its size on the arch goes into the request), or `size` in bytes; neither for dir none. */
  arg?: string;
  size?: number;
}
export interface ConstItemObject {
  value: IntValue; c?: string; message?: string; header?: Header; since?: string; note?: string; arches?: string[];
  /** Earlier values: each for headers older than its `until`. */
  was?: { value: IntValue; until: string }[];
}
export interface IoctlItemObject {
  ioctl: IoctlSpec; c?: string; header?: Header; since?: string; note?: string; arches?: string[];
}
export type ConstItem = IntValue | ConstItemObject | IoctlItemObject;
/** An arch's change to a common item that keeps its value or form (a header list, a later since, a note). */
export type ConstPatch = Partial<Pick<ConstItemObject, 'c' | 'header' | 'since' | 'note' | 'message'>>;
export interface NamespaceFile {
  prefix: string; header: Header; since: string; doc?: string; note?: string; arches?: string[];
  items: Record<string, ConstItem>;
}
export interface ConstantsFile { $schema?: string; namespaces: Record<string, NamespaceFile> }
export interface FieldSpec {
  name?: string; type?: string; kind?: 'struct' | 'union'; fields?: FieldSpec[];
  align?: number; packed?: boolean; since?: string; note?: string; unnamed?: boolean;
}
export interface StructSpec {
  kind: 'struct' | 'union'; c?: string; header?: Header; since: string; internal?: boolean; packed?: boolean;
  align?: number; note?: string; arches?: string[]; fields: FieldSpec[];
}
export interface StructsFile { $schema?: string; structs: Record<string, StructSpec> }
export interface TypedefSpec {
  type: string; align?: number; internal?: boolean; header?: Header; since?: string; note?: string; arches?: string[];
}
export interface TypedefsFile { $schema?: string; header: Header; since: string; typedefs: Record<string, TypedefSpec> }
export interface SyscallSpec {
  ret: string; args: string[]; note?: string; arches: Record<string, { nr: number; since: string; note?: string }>;
}
export interface SyscallsFile { $schema?: string; header: Header; syscalls: Record<string, SyscallSpec> }
export interface BaseType { size: number; align: number; signed?: boolean }
/** How _IOC(dir, type, nr, size) packs a request on an arch: field widths from bit 0 up, and the direction values. */
export interface IocLayout {
  nrBits: number; typeBits: number; sizeBits: number; dirBits: number; none: number; read: number; write: number;
  note?: string;
}
export interface ArchFile {
  $schema?: string; os: 'linux'; arch: string; triplet?: string; note?: string; endian: 'little' | 'big';
  types: Record<string, BaseType>;
  syscall: { argRegisters: number; split64: 'none' | 'pair' | 'aligned-pair' };
  /**
   * Required by arch.schema.json (the loader rejects a file without it); optional in this type only so that code
   * building an ArchFile field by field still compiles.
   */
  ioctl?: IocLayout;
}
export interface OverridesFile {
  $schema?: string;
  /** The arch whose overrides this one starts from (an arch family: mipsel extends mips). */
  extends?: string;
  constants?: Record<string, Record<string, ConstItem | ConstPatch>>;
  absent?: string[];
  typedefs?: Record<string, TypedefSpec>;
  structs?: Record<string, Partial<StructSpec>>;
}

/** Everything under abi/<os>/, as read from disk (validated, not yet resolved for an arch). */
export interface SpecFiles {
  dir: string;
  arches: Record<string, { file: string; data: ArchFile }>;
  typedefs: { file: string; data: TypedefsFile };
  syscalls: { file: string; data: SyscallsFile };
  constants: { file: string; data: ConstantsFile }[];
  structs: { file: string; data: StructsFile }[];
  /** Each arch's overrides: `data` with what it extends merged in (what resolution uses), `own` as the file says. */
  overrides: Record<string, { file: string; data: OverridesFile; own?: OverridesFile }>;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

export class AbiError extends Error {
  constructor(message: string, readonly file: string, readonly pointer?: string) {
    super(message);
    this.name = 'AbiError';
  }
}

let ajv: InstanceType<typeof Ajv2020> | undefined;
const validators = new Map<string, ValidateFunction>();

function validator(schema: string): ValidateFunction {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    for (const f of readdirSync(SPEC_DIR).filter((f) => f.endsWith('.schema.json'))) {
      ajv.addSchema(JSON.parse(readFileSync(join(SPEC_DIR, f), 'utf8')), f);
    }
  }
  let v = validators.get(schema);
  if (!v) {
    v = ajv.getSchema(schema);
    if (!v) throw new Error(`no schema ${schema} in ${SPEC_DIR}`);
    validators.set(schema, v);
  }
  return v;
}

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required': return `missing required property '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'additionalProperties':
      return `unknown property '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    case 'enum': return `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    case 'pattern': return `must match ${(e.params as { pattern: string }).pattern}`;
    case 'type': return `must be ${(e.params as { type: string }).type}`;
    default: return e.message ?? e.keyword;
  }
}

/** The most useful errors: oneOf reports one failure per branch, so keep the deepest ones. */
function pickErrors(errors: ErrorObject[]): ErrorObject[] {
  const deepest = Math.max(...errors.map((e) => e.instancePath.split('/').length));
  const deep = errors.filter((e) => e.instancePath.split('/').length === deepest && e.keyword !== 'oneOf');
  return deep.length ? deep : errors;
}

/** Parse and validate one file; an invalid file throws an AbiError naming the file, the JSON pointer and what was expected. */
export function readValidated<T>(file: string, schema: string): T {
  const rel = relative(ROOT, file);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AbiError(`${rel}: not valid JSON: ${(err as Error).message}`, rel);
  }
  const v = validator(schema);
  if (!v(data)) {
    const errs = pickErrors(v.errors ?? []);
    const lines = errs.slice(0, 5).map((e) => `  at ${e.instancePath || '/'}: ${describe(e)}`);
    if (errs.length > 5) lines.push(`  (and ${errs.length - 5} more)`);
    throw new AbiError(`${rel} does not match ${schema}:\n${lines.join('\n')}`, rel, errs[0]?.instancePath || '/');
  }
  return data as T;
}

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
}

/** Read and validate every file of an abi/<os>/ folder. */
export function loadSpec(dir = ABI_DIR, opts: { porting?: string } = {}): SpecFiles {
  // a folder that is not a spec (abi/ instead of abi/linux): say what one holds, before any file is read
  const missing = ['arch', 'constants', 'structs', 'typedefs.json', 'syscalls.json'].filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    const inside = existsSync(dir) ? readdirSync(dir).filter((f) => existsSync(join(dir, f, 'syscalls.json'))).slice(0, 3) : [];
    throw new AbiError(`${relative(process.cwd(), dir) || '.'} is not a spec folder: it has no ${missing.join(', ')} ` +
      `(a spec folder holds arch/, constants/, structs/, overrides/, typedefs.json and syscalls.json` +
      `${inside.length ? `: did you mean ${inside.map((f) => join(relative(process.cwd(), dir) || '.', f)).join(' or ')}?` : ')'}`, dir);
  }
  const arches: SpecFiles['arches'] = {};
  for (const file of jsonFiles(join(dir, 'arch'))) {
    const data = readValidated<ArchFile>(file, 'arch.schema.json');
    if (data.arch !== basename(file, '.json')) {
      throw new AbiError(`${relative(ROOT, file)}: arch '${data.arch}' does not match the file name`, file, '/arch');
    }
    arches[data.arch] = { file, data };
  }
  const overrides: SpecFiles['overrides'] = {};
  for (const file of jsonFiles(join(dir, 'overrides'))) {
    const arch = basename(file, '.json');
    // (an arch being ported may have its overrides before its arch file: `extends` of a sibling, written first)
    if (!arches[arch] && arch !== opts.porting) throw new AbiError(`${relative(ROOT, file)}: no arch/${arch}.json`, file);
    overrides[arch] = { file, data: readValidated<OverridesFile>(file, 'overrides.schema.json') };
  }
  // an arch family: the parent's overrides first, the arch's own over them
  const merged = new Map<string, OverridesFile>();
  const effective = (arch: string, chain: string[] = []): OverridesFile => {
    const o = overrides[arch];
    if (merged.has(arch)) return merged.get(arch)!;
    const own = o.data;
    let data = own;
    if (own.extends) {
      const rel = relative(ROOT, o.file);
      if (chain.includes(own.extends)) throw new AbiError(`${rel}: extends ${own.extends}, which extends it again (${[...chain, arch, own.extends].join(' -> ')})`, o.file, '/extends');
      if (!overrides[own.extends]) throw new AbiError(`${rel}: extends ${own.extends}, which has no overrides file`, o.file, '/extends');
      data = mergeOverrides(effective(own.extends, [...chain, arch]), own);
    }
    merged.set(arch, data);
    return data;
  };
  for (const arch of Object.keys(overrides)) effective(arch);
  for (const [arch, o] of Object.entries(overrides)) overrides[arch] = { file: o.file, data: merged.get(arch)!, own: o.data };
  const typedefsFile = join(dir, 'typedefs.json');
  const syscallsFile = join(dir, 'syscalls.json');
  return {
    dir,
    arches,
    typedefs: { file: typedefsFile, data: readValidated<TypedefsFile>(typedefsFile, 'typedefs.schema.json') },
    syscalls: { file: syscallsFile, data: readValidated<SyscallsFile>(syscallsFile, 'syscalls.schema.json') },
    constants: jsonFiles(join(dir, 'constants')).map((file) => ({
      file, data: readValidated<ConstantsFile>(file, 'constants.schema.json'),
    })),
    structs: jsonFiles(join(dir, 'structs')).map((file) => ({
      file, data: readValidated<StructsFile>(file, 'structs.schema.json'),
    })),
    overrides,
  };
}

/**
 * An arch's overrides over its parent's: the arch's items win, item by item (constants per namespace, typedefs and
 * structs whole); the parent's absent items stay absent unless the arch gives them a value, a typedef or a struct.
 */
export function mergeOverrides(parent: OverridesFile, own: OverridesFile): OverridesFile {
  const constants: NonNullable<OverridesFile['constants']> = { ...(parent.constants ?? {}) };
  for (const [ns, items] of Object.entries(own.constants ?? {})) constants[ns] = { ...(parent.constants?.[ns] ?? {}), ...items };
  const defined = (a: string) => (a.startsWith('struct:') ? !!own.structs?.[a.slice(7)] : a.startsWith('typedef:')
    ? !!own.typedefs?.[a.slice(8)] : (() => { const i = a.indexOf('.'); return own.constants?.[a.slice(0, i)]?.[a.slice(i + 1)] !== undefined; })());
  const absent = [...(parent.absent ?? []).filter((a) => !defined(a)), ...(own.absent ?? []).filter((a) => !(parent.absent ?? []).includes(a))];
  const out: OverridesFile = { ...(own.$schema ? { $schema: own.$schema } : {}) };
  if (Object.keys(constants).length) out.constants = constants;
  if (absent.length) out.absent = absent;
  const typedefs = { ...(parent.typedefs ?? {}), ...(own.typedefs ?? {}) };
  if (Object.keys(typedefs).length) out.typedefs = typedefs;
  const structs = { ...(parent.structs ?? {}), ...(own.structs ?? {}) };
  if (Object.keys(structs).length) out.structs = structs;
  return out;
}

/**
 * What an arch's file must say when it extends `parent` (effective overrides) to resolve exactly as `full` does: the
 * items that differ, the common value of each parent item the arch does not share, and the common definition's keys
 * of each struct or typedef variant of the parent's it does not have. `cannot` lists what such a file cannot express.
 */
export function overridesOver(parentName: string, parent: OverridesFile, full: OverridesFile, files: SpecFiles): { own: OverridesFile; cannot: string[] } {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const common: Record<string, Record<string, ConstItem>> = {};
  for (const { data } of files.constants) for (const [ns, n] of Object.entries(data.namespaces)) common[ns] = n.items;
  const cannot: string[] = [];
  const constants: NonNullable<OverridesFile['constants']> = {};
  const fullAbsent = full.absent ?? [];
  for (const [ns, items] of Object.entries(full.constants ?? {})) {
    for (const [k, v] of Object.entries(items)) if (!same(parent.constants?.[ns]?.[k], v)) (constants[ns] ??= {})[k] = v;
  }
  const restore = (ns: string, k: string) => {
    if (full.constants?.[ns]?.[k] !== undefined || constants[ns]?.[k] !== undefined) return;
    if (common[ns]?.[k] === undefined) cannot.push(`${ns}.${k}`);
    else (constants[ns] ??= {})[k] = common[ns][k];
  };
  for (const [ns, items] of Object.entries(parent.constants ?? {})) {
    for (const k of Object.keys(items)) if (!fullAbsent.includes(`${ns}.${k}`)) restore(ns, k);
  }
  for (const a of parent.absent ?? []) {
    if (fullAbsent.includes(a)) continue;
    if (a.startsWith('struct:') || a.startsWith('typedef:')) cannot.push(a);
    else restore(a.slice(0, a.indexOf('.')), a.slice(a.indexOf('.') + 1));
  }
  const own: OverridesFile = { ...(full.$schema ? { $schema: full.$schema } : {}), extends: parentName };
  if (Object.keys(constants).length) own.constants = constants;
  const absent = fullAbsent.filter((a) => !(parent.absent ?? []).includes(a));
  if (absent.length) own.absent = absent;
  for (const key of ['typedefs', 'structs'] as const) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(full[key] ?? {})) if (!same(parent[key]?.[k], v)) out[k] = v;
    for (const [k, pv] of Object.entries(parent[key] ?? {})) {
      if (full[key]?.[k]) continue;
      const base = (key === 'structs' ? files.structs.map((f) => f.data.structs[k]).find(Boolean) : files.typedefs.data.typedefs[k]) as Record<string, unknown> | undefined;
      const keys = Object.keys(pv as object);
      if (!base || keys.some((x) => base[x] === undefined)) { cannot.push(`${key}:${k}`); continue; }
      out[k] = Object.fromEntries(keys.map((x) => [x, base[x]]));
    }
    if (Object.keys(out).length) (own as Record<string, unknown>)[key] = out;
  }
  return { own, cannot };
}

// ---------------------------------------------------------------------------------------------------------------
// Resolution for one arch

export interface Constant {
  id: string; ns: string; name: string; c: string; value: bigint; header: string[]; since: string;
  file: string; message?: string; note?: string;
  /**
   * Set when this arch numbers the item's namespace its own way (its overrides file changes values of the namespace):
   * 'own' for an item with a value of the arch's own, 'common' for one that takes the common value unconfirmed by the
   * overrides (right only if the arch's headers say so: ctest reports such an item as a risk when no header checks it).
   */
  perArch?: 'own' | 'common';
  /** Earlier values, oldest first: each for headers older than its `until` (see valueAt). */
  was?: { value: bigint; until: string }[];
  /** For an ioctl request: how the spec states it, with the type byte as a number and the argument's size on this arch. */
  ioctl?: ResolvedIoctl;
}
export interface ResolvedIoctl {
  dir: IoctlSpec['dir']; type: number; nr: number; size: number; arg?: string;
  /** The C macro as the spec states it: _IOR(0xb7, 13, __u64). */
  macro: string;
}
export interface Typedef {
  name: string; type: string; align?: number; internal: boolean; header: string[]; since: string; file: string;
}
export interface Syscall {
  name: string; ret: string; args: { type: string; name: string }[]; nr: number; since: string; header: string[];
  file: string; note?: string;
}
export interface Struct {
  name: string; kind: 'struct' | 'union'; c: string; header: string[]; since: string; internal: boolean;
  packed: boolean; align?: number; fields: FieldSpec[]; file: string; note?: string;
}
export interface Namespace { name: string; prefix: string; doc?: string; file: string; items: Constant[] }

export interface ResolvedArch {
  arch: ArchFile;
  namespaces: Namespace[];
  constants: Constant[];
  typedefs: Map<string, Typedef>;
  structs: Map<string, Struct>;
  syscalls: Syscall[];
}

const headerList = (h: Header | undefined, fallback: string[]): string[] =>
  h === undefined ? fallback : typeof h === 'string' ? [h] : h;

const onArch = (arches: string[] | undefined, arch: string) => !arches || arches.includes(arch);

export function toBigInt(v: IntValue): bigint {
  return BigInt(v);
}

/** A constant's value in headers of kernel `version`: an earlier value (`was`) where the headers predate its change. */
export function valueAt(k: Pick<Constant, 'value' | 'was'>, version: string): bigint {
  for (const w of k.was ?? []) if (compareVersions(version, w.until) < 0) return w.value;
  return k.value;
}

/** An item with a literal value as an object. An ioctl item has none (resolveArch computes it per arch): it throws. */
export function itemObject(item: ConstItem): ConstItemObject {
  if (isIoctlItem(item)) {
    throw new Error(`${ioctlMacro(item.ioctl)} is an ioctl item: its value is computed per arch (the resolved Constant's value), not stored`);
  }
  return typeof item === 'object' ? item : { value: item };
}

/** Any item as an object: a literal value or an ioctl form. */
export function itemSpec(item: ConstItem): ConstItemObject | IoctlItemObject {
  return typeof item === 'object' ? item : { value: item };
}

export function isIoctlItem(item: ConstItem | ConstPatch): item is IoctlItemObject {
  return typeof item === 'object' && 'ioctl' in item;
}

/** An override that changes a common item but keeps its value (see ConstPatch). */
export function isPatch(item: ConstItem | ConstPatch): item is ConstPatch {
  return typeof item === 'object' && !('value' in item) && !('ioctl' in item);
}

/** The C macro an ioctl item stands for: _IOR('T', 0x30, unsigned int). */
export function ioctlMacro(io: IoctlSpec): string {
  const m = { none: '_IO', read: '_IOR', write: '_IOW', readwrite: '_IOWR' }[io.dir];
  const type = typeof io.type === 'string' ? `'${io.type}'` : `0x${io.type.toString(16)}`;
  const arg = io.dir === 'none' ? '' : `, ${io.arg ?? `${io.size} bytes`}`;
  return `${m}(${type}, ${io.nr}${arg})`;
}

/**
 * _IOC(dir, type, nr, size) on an arch, as its asm/ioctl.h computes it. A field that does not fit its width is an
 * error (C would let it spill into the next field).
 */
export function iocNumber(layout: IocLayout, dir: IoctlSpec['dir'], type: number, nr: number, size: number): bigint {
  const d = { none: layout.none, read: layout.read, write: layout.write, readwrite: layout.read | layout.write }[dir];
  const fits = (v: number, bits: number, what: string) => {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new Error(`ioctl ${what} ${v} does not fit in ${bits} bits`);
  };
  fits(nr, layout.nrBits, 'number');
  fits(type, layout.typeBits, 'type');
  fits(size, layout.sizeBits, 'argument size');
  fits(d, layout.dirBits, 'direction');
  const typeShift = layout.nrBits;
  const sizeShift = typeShift + layout.typeBits;
  const dirShift = sizeShift + layout.sizeBits;
  return (BigInt(d) << BigInt(dirShift)) | (BigInt(size) << BigInt(sizeShift)) | (BigInt(type) << BigInt(typeShift)) | BigInt(nr);
}

/** The type byte of an ioctl item as a number ('T' -> 84). */
export const ioctlType = (t: number | string) => (typeof t === 'string' ? t.charCodeAt(0) : t);

/** Split a C declaration ("const char *filename") into type and name. */
export function splitDeclaration(decl: string): { type: string; name: string } {
  const m = /^(.*?)([A-Za-z_][A-Za-z0-9_]*)$/.exec(decl.trim());
  if (!m || !m[1].trim()) throw new Error(`not a C declaration: ${decl}`);
  return { type: m[1].trim().replace(/\s*\*\s*$/, (s) => ' ' + s.trim()).replace(/\s+\*/g, ' *'), name: m[2] };
}

export function resolveArch(files: SpecFiles, arch: string): ResolvedArch {
  const archFile = files.arches[arch];
  if (!archFile) throw new Error(`unknown arch '${arch}' (known: ${Object.keys(files.arches).join(', ')})`);
  const ov = files.overrides[arch]?.data ?? {};
  const absent = new Set(ov.absent ?? []);
  const rel = (f: string) => relative(ROOT, f);

  const namespaces: Namespace[] = [];
  const seen = new Map<string, string>();
  // ioctl items get their value once typedefs and structs are known: [constant, spec, file and JSON pointer of the spec]
  const ioctls: [Constant, IoctlSpec, string, string][] = [];
  for (const { file, data } of files.constants) {
    for (const [nsName, ns] of Object.entries(data.namespaces)) {
      if (seen.has(nsName)) {
        throw new AbiError(`namespace ${nsName} is defined in both ${seen.get(nsName)} and ${rel(file)}`, rel(file), `/namespaces/${nsName}`);
      }
      seen.set(nsName, rel(file));
      if (!onArch(ns.arches, arch)) continue;
      const nsHeader = headerList(ns.header, []);
      const items: Constant[] = [];
      const merged: Record<string, ConstItem> = { ...ns.items };
      for (const [k, v] of Object.entries(ov.constants?.[nsName] ?? {})) {
        // an override is either a new value for an existing item (a literal value replaces an ioctl form) or a whole
        // new item
        // (an object without a value or form of its own changes the common item: a header list, a later since)
        if (isPatch(v) && k in ns.items) merged[k] = { ...itemSpec(ns.items[k]), ...v } as ConstItem;
        else if (typeof v === 'object' || !(k in ns.items)) merged[k] = v as ConstItem;
        else {
          const { ioctl: _, ...rest } = itemSpec(ns.items[k]) as Partial<IoctlItemObject> & Partial<ConstItemObject>;
          merged[k] = { ...rest, value: v };
        }
      }
      const own = ov.constants?.[nsName] ?? {};
      // literal values of the arch's own (an override that only adds a new item does not make a family per-arch)
      const numbered = Object.entries(own).some(([k, v]) => k in ns.items && !isIoctlItem(v) && !isPatch(v));
      for (const [name, raw] of Object.entries(merged)) {
        const it = itemSpec(raw);
        const id = `${nsName}.${name}`;
        if (absent.has(id) || !onArch(it.arches, arch)) continue;
        const k: Constant = {
          id, ns: nsName, name, c: it.c ?? ns.prefix + name, value: 'ioctl' in it ? 0n : toBigInt(it.value),
          header: headerList(it.header, nsHeader), since: it.since ?? ns.since, file: rel(file),
          message: 'ioctl' in it ? undefined : it.message, note: it.note,
          ...(numbered && !('ioctl' in it) ? { perArch: name in own ? 'own' as const : 'common' as const } : {}),
          ...('was' in it && it.was ? {
            was: it.was.map((w) => ({ value: toBigInt(w.value), until: w.until })).sort((a, b) => compareVersions(a.until, b.until)),
          } : {}),
        };
        if ('ioctl' in it) {
          const inOverride = typeof ov.constants?.[nsName]?.[name] === 'object';
          ioctls.push([k, it.ioctl, inOverride ? rel(files.overrides[arch].file) : rel(file),
            inOverride ? `/constants/${nsName}/${name}/ioctl` : `/namespaces/${nsName}/items/${name}/ioctl`]);
        }
        items.push(k);
      }
      namespaces.push({ name: nsName, prefix: ns.prefix, doc: ns.doc, file: rel(file), items });
    }
  }

  const typedefs = new Map<string, Typedef>();
  const td = files.typedefs.data;
  for (const [name, t0] of Object.entries(td.typedefs)) {
    if (absent.has(`typedef:${name}`)) continue;
    const t = { ...t0, ...(ov.typedefs?.[name] ?? {}) };
    if (!onArch(t.arches, arch)) continue;
    typedefs.set(name, {
      name, type: t.type, align: t.align, internal: !!t.internal, header: headerList(t.header, headerList(td.header, [])),
      since: t.since ?? td.since, file: rel(files.typedefs.file),
    });
  }
  for (const [name, t] of Object.entries(ov.typedefs ?? {})) {
    if (td.typedefs[name]) continue;
    typedefs.set(name, {
      name, type: t.type, align: t.align, internal: !!t.internal, header: headerList(t.header, headerList(td.header, [])),
      since: t.since ?? td.since, file: rel(files.overrides[arch].file),
    });
  }

  const structs = new Map<string, Struct>();
  for (const { file, data } of files.structs) {
    for (const [name, s0] of Object.entries(data.structs)) {
      if (structs.has(name)) throw new AbiError(`struct ${name} is defined twice (again in ${rel(file)})`, rel(file), `/structs/${name}`);
      if (absent.has(`struct:${name}`)) continue;
      const s = { ...s0, ...(ov.structs?.[name] ?? {}) } as StructSpec;
      if (!onArch(s.arches, arch)) continue;
      structs.set(name, {
        name, kind: s.kind, c: s.c ?? `${s.kind} ${name}`, header: headerList(s.header, []), since: s.since,
        internal: !!s.internal, packed: !!s.packed, align: s.align, fields: s.fields, file: rel(file), note: s.note,
      });
    }
  }

  const syscalls: Syscall[] = [];
  const sc = files.syscalls.data;
  for (const [name, s] of Object.entries(sc.syscalls)) {
    const a = s.arches[arch];
    if (!a) continue;
    syscalls.push({
      name, ret: s.ret, args: s.args.map(splitDeclaration), nr: a.nr, since: a.since,
      header: headerList(sc.header, []), file: rel(files.syscalls.file), note: s.note,
    });
  }

  const resolved: ResolvedArch = {
    arch: archFile.data, namespaces, constants: namespaces.flatMap((n) => n.items), typedefs, structs, syscalls,
  };
  if (ioctls.length) {
    // the argument's size on this arch comes from the layout engine, as every struct layout does
    const engine = new LayoutEngine(resolved);
    for (const [k, io, file, pointer] of ioctls) {
      try {
        const size = io.dir === 'none' ? 0 : io.arg !== undefined ? engine.type(io.arg).size : io.size!;
        const type = ioctlType(io.type);
        if (!archFile.data.ioctl) throw new Error(`${rel(archFile.file)} has no ioctl layout`);
        k.value = iocNumber(archFile.data.ioctl, io.dir, type, io.nr, size);
        k.ioctl = { dir: io.dir, type, nr: io.nr, size, ...(io.arg !== undefined ? { arg: io.arg } : {}), macro: ioctlMacro(io) };
      } catch (err) {
        throw new AbiError(`${file}: ${k.id} (${ioctlMacro(io)}) on ${arch}: ${(err as Error).message}`, file, pointer);
      }
    }
  }
  return resolved;
}

/** Compare two kernel versions ("6.1.187" vs "6.10"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}
