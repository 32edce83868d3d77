// The common numbering of syscalls. Since Linux 5.1 every arch gives a new syscall the same number (x86_64's, from 424
// on: pidfd_send_signal), plus an offset of its own: 0 on most arches, 4000 on mips o32, 5000 on mips n64, 6000 on
// n32, 110 on alpha, the x32 bit on x32. A port takes the numbers of syscalls newer than its headers from this
// numbering, so it needs the arch's offset. The offset is measured, never looked up by arch name: from the syscalls
// of the common numbering that the arch's headers (or its spec column) already have.

/** x86_64's numbers from COMMON_FIRST up to COMMON_END (x32's own range starts at 512) are the common numbering. */
export const COMMON_FIRST = 424;
export const COMMON_END = 512;

export interface Offset {
  /** The offset most of the arch's common-numbered syscalls have; undefined when it has none of them. */
  offset?: number;
  /** How many syscalls agree on it. */
  agree: number;
  /** Syscalls at another offset: "name (nr, offset N)". */
  conflicts: string[];
}

/**
 * The offset of an arch's common numbering: for every syscall numbered in common (x86_64's number in
 * [COMMON_FIRST, COMMON_END)) that `arch` numbers too, arch's number minus x86_64's.
 */
export function commonOffset(x86: Readonly<Record<string, number>>, arch: Readonly<Record<string, number>>): Offset {
  const by = new Map<number, string[]>();
  for (const [name, nr] of Object.entries(arch)) {
    const x = x86[name];
    if (x === undefined || x < COMMON_FIRST || x >= COMMON_END) continue;
    by.set(nr - x, [...(by.get(nr - x) ?? []), name]);
  }
  if (by.size === 0) return { agree: 0, conflicts: [] };
  const [offset, names] = [...by].sort((a, b) => b[1].length - a[1].length || a[0] - b[0])[0];
  const conflicts = [...by].filter(([o]) => o !== offset).flatMap(([o, ns]) => ns.map((n) => `${n} (${arch[n]}, offset ${o})`)).sort();
  return { offset, agree: names.length, conflicts };
}
