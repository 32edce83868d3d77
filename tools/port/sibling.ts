// The sibling check of a port: the arch is compared with the nearest arch already ported that numbers its syscalls
// the same way (the same kernel syscall table and ABI columns, or the same asm-generic width), so that a wrong number
// base or a wrong family shows at once, before any header has a say. Syscall numbers of such a pair must agree: a
// difference is a line to act on. Constants and struct sizes may differ for good reasons (endianness, an older or
// newer ISA): those differences are listed for information.
import type { TargetInfo } from '../lib/targets.ts';
import { LayoutEngine } from '../lib/layout.ts';
import { resolveArch, type SpecFiles } from '../lib/spec.ts';

/** A key for how an arch numbers its syscalls: the kernel table and ABI columns, or the asm-generic width. */
export const numbering = (t: TargetInfo): string =>
  'generic' in t.kernel ? `asm-generic/unistd.h (${t.kernel.generic}-bit)` : `${t.kernel.table} (${t.kernel.abis.join(', ')})`;

/**
 * The nearest ported arch of the same numbering: the one the arch's overrides extend, else one with the same data
 * model and byte order, else the same data model, else any; undefined when no ported arch numbers the same way.
 */
export function siblingOf(t: TargetInfo, table: readonly TargetInfo[], files: SpecFiles): TargetInfo | undefined {
  const parent = files.overrides[t.name]?.own?.extends;
  const ported = table.filter((o) => o.name !== t.name && files.arches[o.name] && numbering(o) === numbering(t));
  const byParent = ported.find((o) => o.name === parent);
  return byParent ?? ported.find((o) => o.model === t.model && o.endian === t.endian)
    ?? ported.find((o) => o.model === t.model) ?? ported[0];
}

export interface SiblingReport {
  sibling?: string;
  /** Lines to act on (syscall numbers that differ). */
  review: string[];
  /** Lines for information (constants and struct sizes that differ, counts). */
  info: string[];
}

const LIST = 12;
const list = (xs: string[]) => xs.slice(0, LIST).join(', ') + (xs.length > LIST ? `, ... (${xs.length - LIST} more)` : '');

/** Compare a ported arch with its sibling in the spec as it now is. */
export function siblingCheck(t: TargetInfo, table: readonly TargetInfo[], files: SpecFiles): SiblingReport {
  const s = siblingOf(t, table, files);
  if (!s) return { review: [], info: [`sibling check: no ported arch numbers its syscalls as ${t.name} does (${numbering(t)}): nothing to compare with`] };
  const review: string[] = [];
  const info: string[] = [];
  // syscall numbers: the same table, so the same number for every syscall both columns have
  const nrDiff: string[] = [];
  let both = 0;
  for (const [name, sc] of Object.entries(files.syscalls.data.syscalls)) {
    const a = sc.arches[t.name];
    const b = sc.arches[s.name];
    if (!a || !b) continue;
    both++;
    if (a.nr !== b.nr) nrDiff.push(`${name} ${a.nr} (${s.name} ${b.nr})`);
  }
  for (const d of nrDiff) {
    review.push(`syscalls.json, syscalls.${d.split(' ')[0]}.arches.${t.name}.nr: ${d.slice(d.indexOf(' ') + 1)}, although both number their syscalls from ${numbering(t)}: check the number in the headers' asm/unistd.h (a number port made: the offset of the common numbering is wrong)`);
  }
  info.push(`sibling check against ${s.name} (${numbering(t)}): ${both - nrDiff.length} of ${both} syscall numbers agree`);
  // constants and struct sizes
  const a = resolveArch(files, t.name);
  const b = resolveArch(files, s.name);
  const bConst = new Map(b.constants.map((k) => [k.id, k.value]));
  const aIds = new Set(a.constants.map((k) => k.id));
  const cDiff = a.constants.filter((k) => bConst.has(k.id) && bConst.get(k.id) !== k.value).map((k) => `${k.id} 0x${k.value.toString(16)} (${s.name} 0x${bConst.get(k.id)!.toString(16)})`);
  const onlyA = a.constants.filter((k) => !bConst.has(k.id)).map((k) => k.id);
  const onlyB = b.constants.filter((k) => !aIds.has(k.id)).map((k) => k.id);
  if (cDiff.length) info.push(`${cDiff.length} constants differ from ${s.name}: ${list(cDiff)}`);
  if (onlyA.length) info.push(`${onlyA.length} constants ${s.name} lacks: ${list(onlyA)}`);
  if (onlyB.length) info.push(`${onlyB.length} constants of ${s.name} this arch lacks: ${list(onlyB)}`);
  const ea = new LayoutEngine(a);
  const eb = new LayoutEngine(b);
  const sDiff: string[] = [];
  for (const name of a.structs.keys()) {
    if (!b.structs.has(name)) continue;
    try {
      const x = ea.struct(name);
      const y = eb.struct(name);
      if (x.size !== y.size || x.align !== y.align) sDiff.push(`${name} ${x.size}/${x.align} (${s.name} ${y.size}/${y.align})`);
    } catch { /* a struct the engine cannot lay out on one of them is reported by port itself */ }
  }
  if (sDiff.length) info.push(`${sDiff.length} struct sizes differ from ${s.name}: ${list(sDiff)}`);
  return { sibling: s.name, review, info };
}
