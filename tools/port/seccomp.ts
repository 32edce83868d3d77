// libseccomp's syscall table (src/syscalls.csv, libseccomp >= 2.6: a number and a kernel version per arch) as a
// second source for porting: the kernel version each syscall appeared in on each arch (libseccomp records 3.0 for
// everything older), and the numbers of syscalls newer than the headers a port extracts from.
//
// The file is not part of this repository. Get it from libseccomp's source package, e.g. on Debian 13
// (`apt-get source libseccomp`, or `apt-get source --download-only libseccomp` with a deb-src entry for trixie),
// then pass `--seccomp path/to/syscalls.csv` to `npm run port` (default: build/seccomp/syscalls.csv when it exists).
import { readFileSync } from 'node:fs';

/** Numbers in libseccomp's table are per ABI; the kernel headers add these bases. */
const NR_BASE: Record<string, number> = { mips: 4000, mips64: 5000, mips64n32: 6000, x32: 0x40000000 };

export interface SeccompEntry { nr: number; kver?: string }

/**
 * Kernel versions libseccomp 2.6.0 leaves undefined but its later table (v6.16, 2025-08) gives, where they differ from
 * x86_64's (the fallback): map_shadow_stack was reserved on every other arch one release after x86_64 got it.
 */
export const KVER_SUPPLEMENT: Record<string, Record<string, string>> = {
  map_shadow_stack: { '*': '6.7', x86_64: '6.6', x32: '6.10' },
};

export class SeccompTable {
  /** syscall -> column -> entry */
  private rows = new Map<string, Map<string, SeccompEntry>>();
  readonly version: string;

  constructor(text: string) {
    const lines = text.split('\n').filter((l) => l.trim());
    const head = lines[0].replace(/^#/, '').split(',');
    this.version = /\((v[^ )]*)/.exec(head[0])?.[1] ?? 'unknown';
    const cols = head.slice(1);
    for (const line of lines.slice(1)) {
      if (line.startsWith('#')) continue;
      const f = line.split(',');
      const row = new Map<string, SeccompEntry>();
      for (let i = 0; i + 1 < cols.length; i += 2) {
        const col = cols[i];
        const nr = f[1 + i];
        if (!nr || nr === 'PNR' || !/^\d+$/.test(nr)) continue;
        const kv = /KV_(\d+)_(\d+)/.exec(f[2 + i] ?? '');
        const sup = KVER_SUPPLEMENT[f[0]];
        row.set(col, { nr: Number(nr) + (NR_BASE[col] ?? 0), kver: kv ? `${kv[1]}.${kv[2]}` : sup?.[col] ?? sup?.['*'] });
      }
      this.rows.set(f[0], row);
    }
  }

  static load(file: string): SeccompTable {
    return new SeccompTable(readFileSync(file, 'utf8'));
  }

  /** The entry for a syscall on one of libseccomp's arch columns ("x86", "arm", "ppc64", "parisc", ...). */
  get(name: string, column: string): SeccompEntry | undefined {
    return this.rows.get(name)?.get(column);
  }

  names(): string[] {
    return [...this.rows.keys()];
  }
}
