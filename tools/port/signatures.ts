// npx tsx tools/port/signatures.ts --kernel DIR [--abi DIR] [--dry-run]
//
// Fills in the signatures of syscalls that `npm run port` added to syscalls.json with an empty one (the ones an arch
// has and the spec lacked: socketcall, stat64, _llseek, mmap2, arm_fadvise64_64, ...). For each such syscall and each
// arch column it has, the arch's syscall table in the kernel source (arch/*/.../syscall*.tbl, or asm-generic/unistd.h)
// names the entry point; the entry point's prototype comes from its SYSCALL_DEFINEn() or its asmlinkage declaration.
// An entry point of sys_ni_syscall (or none) means the number is reserved and not implemented.
//
// DIR is a kernel source tree of the headers' version, e.g. Debian's: `apt-get download linux-source-6.1`, then
// `dpkg-deb --fsys-tarfile linux-source-6.1_*.deb | tar x` and unpack usr/src/linux-source-6.1.tar.xz
// (include/, kernel/, fs/, mm/, ipc/, net/, security/, io_uring/ and arch/ are enough).
// Review what it writes: it prints every signature it chose and every syscall it could not sign.
import { parseArgs } from 'node:util';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ABI_DIR, loadSpec } from '../lib/spec.ts';
import { formatJson } from '../lib/format.ts';
import { targetInfo } from '../lib/targets.ts';

const PLACEHOLDER = 'found by npm run port: write its signature';

/** name -> entry point, from a .tbl file ("nr abi name [entry [compat]]"). */
function readTable(kernel: string, file: string, abis: string[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const line of readFileSync(join(kernel, file), 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [, abi, name, entry] = line.split(/\s+/);
    if (abis.includes(abi)) out.set(name, entry);
  }
  return out;
}

/**
 * name -> entry point, from asm-generic/unistd.h (__SYSCALL, __SC_3264, __SC_COMP) and the arch's own
 * arch/<dir>/include/uapi/asm/unistd.h (its arch-specific syscalls: __NR_arch_specific_syscall + n). The names of the
 * __NR3264_ numbers are those of the word size's branch (lseek on 64-bit, llseek on 32-bit).
 */
function readGeneric(kernel: string, bits: 32 | 64, archDir: string): Map<string, string | undefined> {
  const text = readFileSync(join(kernel, 'include/uapi/asm-generic/unistd.h'), 'utf8');
  const archFile = join(kernel, 'arch', archDir, 'include/uapi/asm/unistd.h');
  const archText = existsSync(archFile) ? readFileSync(archFile, 'utf8') : '';
  const out = new Map<string, string | undefined>();
  const names = new Map<string, string>();
  for (const m of text.matchAll(/#define __NR3264_(\w+)\s+\d+/g)) names.set(`__NR3264_${m[1]}`, m[1]);
  // the branch of `#if __BITS_PER_LONG == 64 && !defined(__SYSCALL_COMPAT)` for this word size
  let depth = 0;
  let branch: 64 | 32 | undefined;
  for (const line of text.split('\n')) {
    const d = line.trim();
    if (branch === undefined && /^#if __BITS_PER_LONG == 64 && !defined\(__SYSCALL_COMPAT\)/.test(d)) { branch = 64; depth = 0; continue; }
    if (branch === undefined) continue;
    if (/^#if/.test(d)) depth++;
    else if (/^#endif/.test(d)) { if (depth-- === 0) break; }
    else if (d === '#else' && depth === 0) { branch = 32; continue; }
    const m = /^#define __NR_(\w+)\s+__NR3264_(\w+)/.exec(d);
    if (m && branch === bits) names.set(`__NR3264_${m[2]}`, m[1]);
  }
  for (const m of `${text}\n${archText}`.matchAll(/__(SYSCALL|SC_3264|SC_COMP|SC_COMP_3264)\((__NR\w+),\s*([^,)]+)(?:,\s*([^,)]+))?(?:,\s*([^,)]+))?\)/g)) {
    const nr = m[2];
    if (nr === '__NR_') continue;
    const name = nr.startsWith('__NR3264_') ? names.get(nr) ?? nr.slice(9) : nr.slice(5);
    const entry = m[1] === 'SC_3264' ? (bits === 64 ? m[4] : m[3]) : m[3];
    out.set(name, entry?.trim());
  }
  // the arch's renames of entry points (#define sys_mmap2 sys_mmap_pgoff)
  for (const m of archText.matchAll(/^#define (sys_\w+)\s+(sys_\w+)\s*$/gm)) {
    for (const [k, v] of out) if (v === m[1]) out.set(k, m[2]);
  }
  return out;
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (/\.[ch]$/.test(f)) out.push(p);
  }
  return out;
}

const clean = (t: string) => t.replace(/__user|__force|asmlinkage|\bstruct\s+/g, (m) => (m.startsWith('struct') ? 'struct ' : ''))
  .replace(/\s+/g, ' ').replace(/\s*\*\s*/g, ' *').trim();

/** Prototypes by entry point name (without the sys_ prefix), from SYSCALL_DEFINEn and asmlinkage declarations. */
function prototypes(kernel: string, archDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const generic = ['include/linux', 'kernel', 'fs', 'mm', 'ipc', 'net', 'security', 'io_uring', 'block'].flatMap((d) => walk(join(kernel, d)));
  const arch = walk(join(kernel, 'arch', archDir));
  // arch sources last: they win
  for (const file of [...generic, ...arch]) {
    const text = readFileSync(file, 'utf8');
    if (!/SYSCALL_DEFINE|asmlinkage|sys_/.test(text)) continue;
    for (const m of text.matchAll(/(?<![A-Z_])SYSCALL_DEFINE(\d)\(\s*(\w+)\s*((?:,[^)]*?)?)\)\s*(?:\{|$)/gms)) {
      const parts = m[3].split(',').slice(1).map((s) => s.trim());
      const args: string[] = [];
      for (let i = 0; i + 1 < parts.length; i += 2) args.push(`${clean(parts[i])} ${parts[i + 1]}`.replace(/\* /, '*'));
      out.set(m[2], args);
    }
    for (const m of text.matchAll(/^\s*(?:asmlinkage\s+)?(?:long|int|unsigned long|unsigned int)\s+(?:sys_|sys32_|ppc_)?(\w+)\s*\(([^)]*)\)\s*[;{]?/gm)) {
      const full = m[0];
      if (!/asmlinkage/.test(full) && !/\bsys_|ppc_|sys32_/.test(full)) continue;
      const name = /(?:sys_|sys32_)?(\w+)\s*\(/.exec(full.replace(/^.*?(long|int)\s+/, ''))![1];
      const key = /ppc_/.test(full) ? `ppc_${m[1]}` : name;
      if (out.has(key)) continue;
      const body = m[2].trim();
      if (body === 'void' || body === '') { out.set(key, []); continue; }
      // unnamed parameters (a declaration) get names: arg1, arg2, ...
      const args = body.split(',').map((a, i) => {
        const d = clean(a);
        const named = /\w$/.test(d) && d.includes(' ') && !/^(const |unsigned |signed |struct |union |enum )?\w+$/.test(d) ||
          /^(const )?(unsigned |signed )?(struct |union |enum )?\w+ \*?\w+$/.test(d) && !/^(unsigned|signed) (int|long|char|short)$/.test(d);
        return named ? d.replace(/ \*/g, ' *') : `${d}${d.endsWith('*') ? '' : ' '}arg${i + 1}`;
      });
      out.set(key, args);
    }
  }
  return out;
}

function main() {
  const { values } = parseArgs({ options: { kernel: { type: 'string' }, abi: { type: 'string', default: ABI_DIR }, 'dry-run': { type: 'boolean', default: false } } });
  if (!values.kernel) throw new Error('--kernel DIR: a kernel source tree (see the comment at the top of this file)');
  const kernel = values.kernel;
  const files = loadSpec(values.abi);
  const sc = files.syscalls.data;
  const todo = Object.entries(sc.syscalls).filter(([, s]) => s.args.length === 0 && s.note === PLACEHOLDER);
  if (todo.length === 0) {
    console.log(`nothing to sign: no syscall of ${relative(process.cwd(), files.syscalls.file)} has the note '${PLACEHOLDER}' (npm run port writes it on the syscalls it finds new)`);
    return;
  }
  const tables = new Map<string, Map<string, string | undefined>>();
  const protos = new Map<string, Map<string, string[]>>();
  const tableOf = (arch: string) => {
    if (!tables.has(arch)) {
      // the row of tools/lib/targets.ts says where the arch's table is (targetInfo names the file for an unknown arch)
      const k = targetInfo(arch).kernel;
      tables.set(arch, 'generic' in k ? readGeneric(kernel, k.generic, k.dir) : readTable(kernel, k.table, k.abis));
    }
    return tables.get(arch)!;
  };
  const protoOf = (arch: string) => {
    const dir = targetInfo(arch).kernel.dir;
    if (!protos.has(dir)) protos.set(dir, prototypes(kernel, dir));
    return protos.get(dir)!;
  };
  const unsigned: string[] = [];
  for (const [name, s] of todo) {
    const entries = new Map<string, string[]>(); // entry -> arches
    for (const arch of Object.keys(s.arches).sort()) {
      const entry = tableOf(arch).get(name) ?? '(none)';
      entries.set(entry, [...(entries.get(entry) ?? []), arch]);
    }
    // sys_ni_syscall, sparc's sys_nis_syscall, alpha's alpha_ni_syscall, '-' in s390's table: reserved numbers
    const implemented = [...entries].filter(([e]) => e !== '(none)' && e !== '-' && !/(^|_)nis?_syscall$/.test(e))
      .sort((a, b) => b[1].length - a[1].length);
    if (implemented.length === 0) {
      s.note = 'not implemented: the number is reserved in the syscall table (returns ENOSYS)';
      console.log(`${name}: not implemented on ${[...entries.values()].flat().join(', ')}`);
      continue;
    }
    // the first implemented entry point whose prototype can be found (arm's mmap2 is assembly; powerpc's is C)
    let found: { entry: string; arches: string[]; args: string[] } | undefined;
    for (const [entry, arches] of implemented) {
      let base = entry.replace(/^(__)?(sys|sys32|compat_sys)_/, '').replace(/_wrapper$/, '');
      // an arch wrapper that splits 64-bit arguments (ia32_fadvise64_64, ppc_truncate64): the generic prototype,
      // with whole loff_t arguments, is the one to keep (the arch's split64 convention says how they travel)
      if (/^(ia32|ppc|ppc32|sparc|alpha|parisc|s390|mips|arm|sh)_/.test(base) && protoOf('x86_64').has(name)) base = name;
      for (const arch of arches) {
        const args = protoOf(arch).get(base) ?? protoOf(arch).get(entry);
        if (args) { found = { entry, arches, args }; break; }
      }
      if (found) break;
    }
    if (!found) {
      unsigned.push(`${name} (entry points ${implemented.map(([e, a]) => `${e} on ${a.join(', ')}`).join('; ')})`);
      continue;
    }
    const { entry, arches, args } = found;
    if (args.some((a) => /pt_regs/.test(a))) {
      s.note = `no arguments: entry point ${entry} on ${arches.join(', ')} works on the saved registers (not meant to be called directly)`;
      console.log(`${name}: ${s.note}`);
      continue;
    }
    s.args = args;
    const others = implemented.filter(([e]) => e !== entry).map(([e, a]) => `${e} on ${a.join(', ')}`);
    s.note = `entry point ${entry} on ${arches.join(', ')}${others.length ? `; ${others.join('; ')}` : ''}`;
    console.log(`${name}(${args.join(', ')})  [${s.note}]`);
  }
  if (unsigned.length) console.log(`\nno prototype found (write these by hand):\n  ${unsigned.join('\n  ')}`);
  if (!values['dry-run']) writeFileSync(files.syscalls.file, formatJson(sc));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
