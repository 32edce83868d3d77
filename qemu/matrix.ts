// npm run matrix: ctest on every target of tools/lib/targets.ts. Installs missing cross toolchains and qemu-user-static
// with apt when root (otherwise prints the apt command and stops), builds each target's checks with its cross compiler
// and runs them under qemu-user (natively for x86_64, and for i386 where a probe shows that this kernel runs 32-bit x86
// programs: see runChoice in tools/lib/targets.ts; x32 and sh4 cannot run here, so their values are read from the compiled
// objects), two targets at a time on two cores. Says how each target ran and why. Ends with a table target x kinds checked, mismatches
// and not checkable; writes build/matrix/report.md and report.json (every mismatch, and every reason an item could not
// be checked); exits non-zero on any mismatch.
//
//   npm run matrix -- [--arch a,b,...] [--jobs N] [--abi DIR] [--out DIR] [--quiet] [--sysroot-only]
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import Table from 'cli-table3';
import pc from 'picocolors';
import cliProgress from 'cli-progress';
import { ABI_DIR, ROOT, loadSpec, resolveArch } from '../tools/lib/spec.ts';
import { mergeRuns, runCtest, type CtestRun, type Kind } from '../ctest/ctest.ts';
import { newestHeaders, type UapiHeaders } from '../ctest/headers.ts';
import { countKinds } from '../ctest/report.ts';
import { TARGET_NAMES, uapiTriplet, ensureToolchains, archOption, describeChoice, runChoice, targetFor, targetInfo } from '../tools/lib/targets.ts';

export interface TargetOutcome {
  arch: string;
  /** How its checks ran: natively, under qemu, or read from the objects. */
  mode: string;
  /** Why it ran that way (runChoice in tools/lib/targets.ts: for i386, what the probe found). */
  why?: string;
  headers?: string;
  seconds: number;
  totals?: Record<Kind, { checked: number; mismatches: number; unchecked: number }>;
  mismatches: { kind: Kind; id: string; file: string; reason: string }[];
  /** Why items could not be checked, with how many. */
  unchecked: Record<string, number>;
  /** Every item that could not be checked, with its reason. */
  uncheckedItems: { kind: Kind; id: string; reason: string }[];
  /**
   * Items no header set could check, of a family this arch numbers its own way, that take the common value: they may
   * be wrong here and nothing would say so (Constant.perArch). `risk` says why.
   */
  risks: { kind: Kind; id: string; reason: string; risk: string }[];
  /** The target could not be checked at all (no spec for it, no toolchain, the program would not build). */
  error?: string;
  /**
   * The second header set: the newest kernel's UAPI headers (ctest/headers.ts), for the items whose headers are all
   * UAPI headers. `moved`: items not checkable against the sysroot's headers that these checked.
   */
  newest?: { headers: string; checked: number; mismatches: number; moved: number; error?: string };
}

export interface MatrixResult {
  outcomes: TargetOutcome[];
  seconds: number;
  ok: boolean;
  reportFiles: string[];
}

export interface MatrixOptions {
  arches?: string[];
  abiDir?: string;
  out?: string;
  /** Targets checked at once (each runs one compiler at a time). */
  jobs?: number;
  /** Install missing toolchains (as root). */
  install?: boolean;
  /** Progress and table on stderr/stdout. */
  print?: boolean;
  /**
   * The newest kernel headers to check against as well (default: fetched by ctest/headers.ts), or false for the
   * sysroots' headers only.
   */
  newest?: UapiHeaders | false;
}


const KINDS: Kind[] = ['base', 'const', 'struct', 'field', 'typedef', 'syscall'];
const modeOf = (arch: string) => {
  const c = runChoice(arch);
  return { mode: c.how === 'object' ? 'objects' : c.how, why: c.why };
};

/** Group "not checkable" reasons (drop the item-specific part). */
const reasonKey = (reason: string) => reason.replace(/\(since [^,]*, /, '(').replace(/: .*$/, '');

function outcome(arch: string, run: CtestRun, seconds: number, second?: CtestRun | string): TargetOutcome {
  const unchecked: Record<string, number> = {};
  const uncheckedItems: TargetOutcome['uncheckedItems'] = [];
  let results = run.results;
  let newest: TargetOutcome['newest'];
  if (typeof second === 'string') newest = { headers: '', checked: 0, mismatches: 0, moved: 0, error: second };
  else if (second) {
    const m = mergeRuns(run, second);
    results = m.results;
    const mismatches = second.results.filter((r) => r.status === 'mismatch').length;
    newest = { headers: second.probe.headers, checked: m.checked, mismatches, moved: m.moved };
  }
  for (const r of results) {
    if (r.status !== 'unchecked') continue;
    const k = reasonKey(r.reason ?? 'unknown');
    unchecked[k] = (unchecked[k] ?? 0) + 1;
    uncheckedItems.push({ kind: r.check.kind, id: r.check.id, reason: r.reason ?? '' });
  }
  const risks = results.filter((r) => r.status === 'unchecked' && r.risk)
    .map((r) => ({ kind: r.check.kind, id: r.check.id, reason: r.reason ?? '', risk: r.risk! }));
  return {
    arch, ...modeOf(arch), headers: run.probe.headers, seconds, totals: countKinds(results),
    mismatches: results.filter((r) => r.status === 'mismatch')
      .map((r) => ({ kind: r.check.kind, id: r.check.id, file: r.check.file, reason: r.reason ?? '' })),
    unchecked, uncheckedItems, risks, ...(newest ? { newest } : {}),
  };
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>) {
  let i = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

/** Run the matrix; never throws for a target's failure (it becomes that target's error). */
export async function runMatrix(opts: MatrixOptions = {}): Promise<MatrixResult> {
  const arches = opts.arches ?? [...TARGET_NAMES];
  for (const a of arches) targetInfo(a); // unknown names fail early, listing the known ones
  const abiDir = opts.abiDir ?? ABI_DIR;
  const out = opts.out ?? join(ROOT, 'build', 'matrix');
  const print = opts.print ?? false;
  const log = (m: string) => { if (print) process.stderr.write(pc.dim(m) + '\n'); };
  const t0 = Date.now();

  const missingTools: Record<string, string> = {};
  if (opts.install ?? true) {
    try {
      ensureToolchains(arches, log);
    } catch (err) {
      for (const a of arches) missingTools[a] = (err as Error).message;
    }
  }
  let newest: UapiHeaders | string | undefined;
  if (opts.newest === undefined) {
    try {
      newest = await newestHeaders(log);
    } catch (err) {
      // every target is still checked against its sysroot; the report says why the second set is missing
      newest = `the newest kernel headers could not be fetched: ${((err as Error).message || String(err)).split('\n')[0]}`;
      log(newest);
    }
  } else if (opts.newest) newest = opts.newest;
  if (typeof newest === 'object') log(`second header set: Linux ${newest.kernel} (Debian linux-libc-dev ${newest.debVersion}) in ${relative(ROOT, newest.dir)}`);
  const files = loadSpec(abiDir);
  const outcomes = new Map<string, TargetOutcome>();
  const bar = print && process.stderr.isTTY
    ? new cliProgress.SingleBar({
      format: ' {bar} {value}/{total} targets | {duration}s | running: {running}', hideCursor: true, stream: process.stderr,
    }, cliProgress.Presets.shades_classic)
    : undefined;
  const running = new Set<string>();
  // how each target runs (the probe of i386 runs here, once), said before the first result
  for (const a of arches) if (!missingTools[a] && targetInfo(a).run !== 'qemu') log(describeChoice(runChoice(a)));
  bar?.start(arches.length, 0, { running: '' });
  const jobs = opts.jobs ?? cpus().length;
  await pool([...arches], jobs, async (arch) => {
    const start = Date.now();
    running.add(arch);
    bar?.update({ running: [...running].join(' ') });
    const fail = (error: string): TargetOutcome => ({
      arch, ...modeOf(arch), seconds: (Date.now() - start) / 1000, mismatches: [], unchecked: {}, uncheckedItems: [], risks: [],
      error: error.trim() || 'failed without saying why',
    });
    let o: TargetOutcome;
    if (!files.arches[arch]) o = fail(`no abi/linux/arch/${arch}.json: port it first (npm run port -- --arch ${arch})`);
    else if (missingTools[arch]) o = fail(missingTools[arch]);
    else {
      try {
        const abi = resolveArch(files, arch);
        const perTarget = Math.max(1, Math.floor(cpus().length / jobs));
        const run = await runCtest(abi, { target: targetFor(arch), dir: join(out, arch, 'sysroot'), jobs: perTarget });
        let second: CtestRun | string | undefined = typeof newest === 'string' ? newest : undefined;
        const asm = uapiTriplet(arch);
        if (typeof newest === 'object' && !asm) second = `no asm headers for ${arch} in Debian's linux-libc-dev (its row's newestAsm is null): its sysroot's headers only`;
        else if (typeof newest === 'object') {
          try {
            second = await runCtest(abi, {
              target: targetFor(arch), dir: join(out, arch, 'newest'), jobs: perTarget,
              uapi: { dir: newest.dir, triplet: asm! },
            });
          } catch (err) {
            second = ((err as Error).message || String(err)).split('\n').slice(0, 16).join('\n');
          }
        }
        o = outcome(arch, run, (Date.now() - start) / 1000, second);
        // a second header set that could not be used when it was there is an error of the target
        if (typeof second === 'string' && typeof newest === 'object' && asm) o.error = `against the newest headers: ${second}`;
      } catch (err) {
        o = fail(((err as Error).message || String(err)).split('\n').slice(0, 16).join('\n'));
      }
    }
    outcomes.set(arch, o);
    running.delete(arch);
    bar?.increment({ running: [...running].join(' ') });
    if (!bar) {
      const m = o.error ? pc.red('error') : o.mismatches.length ? pc.red(`${o.mismatches.length} mismatches`) : pc.green('ok');
      log(`${arch}: ${m} (${o.seconds.toFixed(1)} s)`);
    }
  });
  bar?.stop();
  const list = arches.map((a) => outcomes.get(a)!);
  const seconds = (Date.now() - t0) / 1000;
  const ok = list.every((o) => !o.error && o.mismatches.length === 0);
  mkdirSync(out, { recursive: true });
  const json = join(out, 'report.json');
  const md = join(out, 'report.md');
  writeFileSync(json, JSON.stringify({ seconds, ok, targets: list }, null, 1));
  writeFileSync(md, markdown(list, seconds));
  if (print) printTable(list, seconds, [md, json]);
  return { outcomes: list, seconds, ok, reportFiles: [md, json] };
}

function cells(o: TargetOutcome): (string | number)[] {
  const t = o.totals;
  const c = (k: Kind) => t?.[k]?.checked ?? 0;
  const mism = KINDS.reduce((n, k) => n + (t?.[k]?.mismatches ?? 0), 0);
  const unch = KINDS.reduce((n, k) => n + (t?.[k]?.unchecked ?? 0), 0);
  const n = o.newest;
  return [o.arch, o.mode, `${o.headers ?? ''}${n?.headers ? ` + ${n.headers}` : ''}`, c('const'), c('struct'), c('field'),
    c('typedef'), c('syscall'), o.error ? 'error' : mism, unch, o.risks.length, n?.headers ? `${n.checked} (${n.moved})` : n?.error ? 'error' : '',
    o.seconds.toFixed(0)];
}

const HEAD = ['target', 'run', 'headers', 'constants', 'structs', 'fields', 'typedefs', 'syscalls', 'mismatches',
  'not checkable', 'risks', 'newest: checked (moved)', 'seconds'];

/** What the newest headers added, over every target. */
function newestSummary(list: TargetOutcome[]): string {
  const with_ = list.filter((o) => o.newest?.headers);
  if (!with_.length) {
    const why = list.find((o) => o.newest?.error)?.newest?.error;
    return why ? `Not checked against the newest kernel headers: ${why}.` : '';
  }
  const moved = with_.reduce((n, o) => n + o.newest!.moved, 0);
  return `Against the UAPI headers of Linux ${with_[0].newest!.headers} as well (ctest/headers.ts) on ${with_.length} targets: ` +
    `${moved} items that the sysroots' older headers cannot check were checked there ("moved" per target).`;
}

function printTable(list: TargetOutcome[], seconds: number, files: string[]) {
  const table = new Table({ head: HEAD, style: { head: [], border: [], compact: true } });
  for (const o of list) {
    const row = cells(o);
    const bad = o.error || o.mismatches.length;
    table.push(row.map((v, i) => ((i === 8 && bad) || v === 'error' ? pc.red(String(v)) : String(v))));
  }
  console.log(table.toString());
  // every target the table does not simply run under qemu-user: how it ran and why
  const notes = list.filter((o) => o.why && targetInfo(o.arch).run !== 'qemu');
  if (notes.length) console.log(`\n${notes.map((o) => `${o.arch}: ${o.mode === 'qemu' ? 'qemu-user' : o.mode} (${o.why})`).join('\n')}`);
  for (const o of list) {
    if (o.error) console.log(pc.red(`\n${o.arch}: ${o.error}`));
    if (o.mismatches.length) {
      console.log(pc.red(`\n${o.arch}: ${o.mismatches.length} mismatches:`));
      for (const m of o.mismatches.slice(0, 30)) console.log(`  ${o.arch} ${m.kind} ${m.id} (${m.file}): ${m.reason}`);
      if (o.mismatches.length > 30) console.log(`  ... and ${o.mismatches.length - 30} more in the report`);
    }
    if (o.risks.length) {
      console.log(pc.yellow(`\n${o.arch}: ${o.risks.length} risks (not checkable, the common value in a family ${o.arch} numbers its own way):`));
      console.log(`  ${o.risks.map((r) => r.id).join(', ')}`);
    }
  }
  const bad = list.filter((o) => o.error || o.mismatches.length).length;
  console.log(`\n${list.length} targets in ${seconds.toFixed(0)} s: ` +
    (bad ? pc.red(`${bad} with mismatches or errors`) : pc.green('0 mismatches')) +
    `. Reports: ${files.map((f) => relative(process.cwd(), f)).join(', ')}`);
  const summary = newestSummary(list);
  if (summary) console.log(summary);
}

function markdown(list: TargetOutcome[], seconds: number): string {
  const lines = ['# Cross-arch conformance matrix', '',
    `${list.length} targets in ${seconds.toFixed(0)} s. Each target's checks are compiled with its cross compiler against ` +
    'its own glibc and kernel headers and run under qemu-user (native: on the host kernel; objects: the values are read ' +
    'from the compiled object files because the target cannot run here, see tools/lib/targets.ts). The items whose headers ' +
    'are all kernel UAPI headers are compiled a second time against the newest kernel\'s headers, their values read ' +
    'from the objects; an item is checked when either set checks it, and a mismatch in either is a mismatch.', '',
    newestSummary(list), '',
    `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => ' --- ').join('|')}|`];
  for (const o of list) lines.push(`| ${cells(o).join(' | ')} |`);
  for (const o of list) {
    lines.push('', `## ${o.arch}`, '', `Run: ${o.mode}${o.why ? ` (${o.why})` : ''}.`, '');
    if (o.newest?.headers) {
      lines.push(`Headers: the sysroot's (Linux ${o.headers}) and Linux ${o.newest.headers}'s UAPI headers: ${o.newest.checked} items ` +
        `checked against the latter, ${o.newest.moved} of them not checkable against the former, ${o.newest.mismatches} mismatches there.`, '');
    } else if (o.newest?.error) lines.push(`Not checked against the newest headers: ${o.newest.error}`, '');
    if (o.error) lines.push('**Not checked:**', '', '```', o.error, '```');
    if (o.mismatches.length) {
      lines.push(`**${o.mismatches.length} mismatches:**`, '');
      for (const m of o.mismatches) lines.push(`- ${m.kind} \`${m.id}\` (${m.file}): ${m.reason}`);
      lines.push('');
    } else if (!o.error) lines.push('0 mismatches.', '');
    if (o.risks.length) {
      lines.push(`**${o.risks.length} risks** (not checkable, in a family ${o.arch} numbers its own way, with the common value):`, '');
      for (const r of o.risks) lines.push(`- ${r.kind} \`${r.id}\`: ${r.reason}`);
      lines.push('');
    }
    const reasons = Object.entries(o.unchecked).sort((a, b) => b[1] - a[1]);
    if (reasons.length) {
      lines.push('Not checkable, by reason:', '');
      for (const [why, n] of reasons) lines.push(`- ${n}: ${why}`);
      lines.push('', '<details><summary>every item not checkable</summary>', '');
      for (const u of o.uncheckedItems) lines.push(`- ${u.kind} \`${u.id}\`: ${u.reason}`);
      lines.push('', '</details>');
    }
  }
  return lines.join('\n') + '\n';
}

async function main() {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string' },
      abi: { type: 'string', default: ABI_DIR },
      out: { type: 'string', default: join(ROOT, 'build', 'matrix') },
      jobs: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'sysroot-only': { type: 'boolean', default: false },
    },
  });
  const arches = archOption(values.arch);
  const res = await runMatrix({
    arches, abiDir: values.abi, out: values.out, jobs: values.jobs ? Number(values.jobs) : undefined, print: !values.quiet,
    ...(values['sysroot-only'] ? { newest: false as const } : {}),
  });
  if (values.quiet) console.log(`${res.outcomes.length} targets in ${res.seconds.toFixed(0)} s: ${res.ok ? '0 mismatches' : 'FAILED'}`);
  process.exitCode = res.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
