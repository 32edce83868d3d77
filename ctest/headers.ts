// The newest kernel UAPI headers, for ctest's second header set: Debian's `linux-libc-dev` from the unstable suite is an
// `Architecture: all` package holding the headers of one kernel release for every Debian arch (/usr/include/<triplet>/asm
// beside the common /usr/include/linux), so one 2 MB download checks all 20 targets against that kernel. It is fetched
// with a private apt configuration (tools/lib/debian.ts), unpacked into build/headers/<version>/ and never installed.
//
// The version is pinned (NEWEST_HEADERS). Debian's unstable suite keeps only its current version, so when the pinned one
// is gone the newest of the same kernel series (7.2.x) in unstable, testing or stable's backports (which keeps several)
// is taken instead, and failing that the newest there is; either way with a warning, and the version that was used is
// what every report names.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { ROOT } from '../tools/lib/spec.ts';
import { privateApt } from '../tools/lib/debian.ts';

/** The pinned package: Debian unstable's linux-libc-dev with the UAPI headers of Linux 7.2. */
export const NEWEST_HEADERS = { suite: 'unstable', pkg: 'linux-libc-dev', version: '7.2.13-1' } as const;

/** Where to look when the pinned version is gone (measured 2026-12-07: forky 7.2.12-1, trixie-backports 7.2.6 to 7.3.4). */
const FALLBACK_SUITES = ['unstable', 'forky', 'trixie-backports'];

export const HEADERS_DIR = join(ROOT, 'build', 'headers');

export interface UapiHeaders {
  /** The include root: <dir>/linux, <dir>/asm-generic, and <dir>/<triplet>/asm per arch. */
  dir: string;
  /** The Debian package version that was unpacked. */
  debVersion: string;
  /** The kernel version the headers describe (from linux/version.h). */
  kernel: string;
  /** Set when the pinned version was not available and another was taken. */
  warning?: string;
}

/** The kernel version in an include root's linux/version.h ("7.2.13"). */
export function kernelOf(dir: string): string {
  const text = readFileSync(join(dir, 'linux', 'version.h'), 'utf8');
  const code = Number(/LINUX_VERSION_CODE\s+(\d+)/.exec(text)?.[1]);
  if (!code) throw new Error(`${dir}/linux/version.h has no LINUX_VERSION_CODE`);
  return `${code >> 16}.${(code >> 8) & 255}.${code & 255}`;
}

/** A version string's series ("7.2" of "7.2.13-1"). */
const series = (v: string) => v.split('.').slice(0, 2).join('.');

/**
 * The newest headers, fetched once (cached in build/headers/<debian version>/). `log` hears about the download and any
 * fallback. Throws with the apt error when the archive cannot be reached at all.
 */
export async function newestHeaders(log: (m: string) => void = () => {}): Promise<UapiHeaders> {
  const pinned = join(HEADERS_DIR, NEWEST_HEADERS.version);
  if (existsSync(join(pinned, '.done'))) return { dir: join(pinned, 'usr', 'include'), debVersion: NEWEST_HEADERS.version, kernel: kernelOf(join(pinned, 'usr', 'include')) };
  mkdirSync(HEADERS_DIR, { recursive: true });
  const hostArch = (await $`dpkg --print-architecture`.quiet()).stdout.trim();
  const apt = join(HEADERS_DIR, 'apt');
  const o = await privateApt(apt, FALLBACK_SUITES, hostArch);
  const available = (await $`apt-cache ${o} madison ${NEWEST_HEADERS.pkg}`.quiet().nothrow()).stdout
    .split('\n').map((l) => l.split('|')[1]?.trim()).filter((v): v is string => !!v);
  let version: string = NEWEST_HEADERS.version;
  let warning: string | undefined;
  if (!available.includes(version)) {
    // madison lists the newest first
    const same = available.filter((v) => series(v) === series(version));
    const pick = same[0] ?? available[0];
    if (!pick) throw new Error(`Debian ${FALLBACK_SUITES.join(', ')} offer no ${NEWEST_HEADERS.pkg}: cannot fetch the newest kernel headers`);
    warning = `${NEWEST_HEADERS.pkg} ${version} is no longer in Debian ${FALLBACK_SUITES.join(', ')}: using ${pick}` +
      (same.length ? '' : ` (another kernel series: update NEWEST_HEADERS in ctest/headers.ts and the spec to it)`);
    log(warning);
    version = pick;
  }
  const dest = join(HEADERS_DIR, version);
  if (!existsSync(join(dest, '.done'))) {
    log(`fetching ${NEWEST_HEADERS.pkg} ${version} (Debian ${NEWEST_HEADERS.suite}, 2 MB)`);
    const debs = join(HEADERS_DIR, 'debs');
    rmSync(debs, { recursive: true, force: true });
    mkdirSync(debs, { recursive: true });
    await $({ cwd: debs })`apt-get ${o} download -q ${`${NEWEST_HEADERS.pkg}=${version}`}`.quiet();
    const deb = readdirSync(debs).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${NEWEST_HEADERS.pkg}=${version} left no .deb in ${debs}`);
    rmSync(dest, { recursive: true, force: true });
    await $`dpkg-deb -x ${join(debs, deb)} ${dest}`;
    writeFileSync(join(dest, '.done'), `${deb}\n`);
    rmSync(debs, { recursive: true, force: true });
  }
  rmSync(join(apt, 'cache'), { recursive: true, force: true });
  const dir = join(dest, 'usr', 'include');
  return { dir, debVersion: version, kernel: kernelOf(dir), warning };
}

/** Whether a header is a kernel UAPI header of this include root (for the arch's own folder `triplet`). */
export function isUapiHeader(dir: string, triplet: string, header: string): boolean {
  return existsSync(join(dir, header)) || existsSync(join(dir, triplet, header));
}
