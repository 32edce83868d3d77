// Fetching packages of other Debian releases and arches without installing them: a private apt configuration (its own
// lists, cache and an empty status) over the host's own archive. Used for Debian 13's nodejs and qemu-user
// (qemu/foreign.ts) and for the newest kernel headers (qemu/headers.ts).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';

/**
 * The host's Debian archive, from its apt sources (the entry for its own release), so that a private apt
 * configuration can fetch another release's packages from the same place. Returns the URI and its keyring.
 */
export function debianArchive(): { uri: string; signedBy: string } {
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]?.replace(/"/g, '');
  const entries: { uri: string; suites: string[]; signedBy?: string }[] = [];
  const files = ['/etc/apt/sources.list', ...(() => {
    try { return readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f)); } catch { return []; }
  })()];
  for (const f of files) {
    let text = '';
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    if (f.endsWith('.sources')) {
      for (const para of text.split(/\n\s*\n/)) {
        const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'mi').exec(para)?.[1]?.trim();
        if (!/\bdeb\b/.test(field('Types') ?? '') || /^enabled:\s*no/mi.test(para)) continue;
        for (const uri of (field('URIs') ?? '').split(/\s+/).filter(Boolean)) {
          entries.push({ uri, suites: (field('Suites') ?? '').split(/\s+/), signedBy: field('Signed-By') });
        }
      }
    } else if (f.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
        if (m) entries.push({ uri: m[2], suites: [m[3]], signedBy: /signed-by=(\S+)/.exec(m[1] ?? '')?.[1] });
      }
    }
  }
  const e = entries.find((x) => codename && x.suites.includes(codename));
  if (!e) throw new Error(`no apt source for Debian '${codename ?? '?'}' in /etc/apt/sources.list{,.d}: cannot fetch packages of other Debian releases`);
  return { uri: e.uri, signedBy: e.signedBy ?? '/usr/share/keyrings/debian-archive-keyring.gpg' };
}

/**
 * A private apt configuration in `apt` for Debian releases (one or several suites) and one arch (its own lists, cache and an empty status, the
 * host's archive): the `-o` options for apt-get, after an `apt-get update`. Nothing is installed with it.
 */
export async function privateApt(apt: string, suite: string | readonly string[], debArch: string): Promise<string[]> {
  for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(apt, d), { recursive: true });
  writeFileSync(join(apt, 'status'), '');
  const { uri, signedBy } = debianArchive();
  const suites = typeof suite === 'string' ? [suite] : suite;
  writeFileSync(join(apt, 'sources.list'), suites.map((s) => `deb [arch=${debArch} signed-by=${signedBy}] ${uri} ${s} main\n`).join(''));
  const o = [
    `APT::Architecture=${debArch}`, `APT::Architectures::=${debArch}`, `Dir::Etc::SourceList=${apt}/sources.list`,
    'Dir::Etc::SourceParts=/dev/null', `Dir::State::Lists=${apt}/lists`, `Dir::Cache=${apt}/cache`,
    `Dir::State::status=${apt}/status`, 'Dir::Etc::Preferences=/dev/null', 'Dir::Etc::PreferencesParts=/dev/null',
    'Debug::NoLocking=1',
  ].flatMap((x) => ['-o', x]);
  await $`apt-get ${o} update -q`.quiet();
  return o;
}
