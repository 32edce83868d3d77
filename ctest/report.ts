// The conformance report of one ctest run, for npm start (ctest/main.ts) and the matrix (qemu/matrix.ts): totals per
// namespace and per kind, the JSON written to build/ctest/<arch>/report.json, and the printed tables.
import Table from 'cli-table3';
import pc from 'picocolors';
import type { CtestRun, Kind, Result } from './ctest.ts';

export interface Summary { group: string; checked: number; ok: number; mismatches: number; unchecked: number }

export function summarize(results: Result[]): Summary[] {
  const rows = new Map<string, Summary>();
  for (const r of results) {
    const g = r.check.group;
    let row = rows.get(g);
    if (!row) rows.set(g, (row = { group: g, checked: 0, ok: 0, mismatches: 0, unchecked: 0 }));
    if (r.status === 'unchecked') row.unchecked++;
    else {
      row.checked++;
      if (r.status === 'ok') row.ok++;
      else row.mismatches++;
    }
  }
  return [...rows.values()];
}

export function countKinds(results: Result[]): Record<Kind, { checked: number; mismatches: number; unchecked: number }> {
  const out = {} as Record<Kind, { checked: number; mismatches: number; unchecked: number }>;
  for (const r of results) {
    const k = (out[r.check.kind] ??= { checked: 0, mismatches: 0, unchecked: 0 });
    if (r.status === 'unchecked') k.unchecked++;
    else {
      k.checked++;
      if (r.status === 'mismatch') k.mismatches++;
    }
  }
  return out;
}

/** The JSON report of one run (what npm start writes to build/ctest/<arch>/report.json). */
export function reportJson(run: CtestRun) {
  return {
    arch: run.target.arch, headers: run.probe.headers,
    ...(run.target.object ? { mode: 'object: values read from the compiled objects (the target cannot run here)' } : {}),
    summary: summarize(run.results), totals: countKinds(run.results),
    results: run.results.map((r) => ({
      kind: r.check.kind, id: r.check.id, file: r.check.file, status: r.status, reason: r.reason,
      expect: r.check.expect.map(String), actual: r.actual?.map(String),
    })),
  };
}

/** What the newest headers added to a run, for the report: their version, items checked there, how many only there. */
export interface Newest { headers: string; checked: number; moved: number }

export function printReport(run: CtestRun, quiet = false, newest?: Newest | string): void {
  const { results } = run;
  const table = new Table({ head: ['group', 'checked', 'mismatches', 'not checkable'], style: { head: [], border: [], compact: true } });
  for (const s of summarize(results)) {
    table.push([s.group, s.checked, s.mismatches ? pc.red(String(s.mismatches)) : '0', s.unchecked || '']);
  }
  if (!quiet) console.log(table.toString());
  const kinds = countKinds(results);
  const totals = new Table({ head: ['kind', 'checked', 'mismatches', 'not checkable'], style: { head: [], border: [], compact: true } });
  const label: Record<Kind, string> = { base: 'data model', const: 'constants', struct: 'structs/unions', field: 'fields', typedef: 'typedefs', syscall: 'syscalls' };
  for (const k of Object.keys(label) as Kind[]) {
    const c = kinds[k] ?? { checked: 0, mismatches: 0, unchecked: 0 };
    totals.push([label[k], c.checked, c.mismatches ? pc.red(String(c.mismatches)) : '0', c.unchecked || '']);
  }
  const how = run.target.object ? ' (values read from the compiled objects: the target cannot run here)'
    : run.target.how === 'qemu' ? ` (under ${run.target.runner[0]}${run.target.why ? `: ${run.target.why}` : ''})`
      : run.target.why && run.target.runner.length ? ` (natively: ${run.target.why})` : '';
  const second = typeof newest === 'object' ? `, and the UAPI headers of Linux ${newest.headers} for ${newest.checked} items (${newest.moved} of them only there)` : '';
  console.log(`\n${run.target.arch}, headers of Linux ${run.probe.headers}${how}${second}:`);
  if (typeof newest === 'string') console.log(pc.yellow(`Not checked against the newest kernel headers: ${newest}`));
  console.log(totals.toString());

  const reasons = new Map<string, number>();
  for (const r of results.filter((r) => r.status === 'unchecked')) {
    const why = r.reason!.replace(/\(since [^,]*, /, '(').replace(/: .*$/, '');
    reasons.set(why, (reasons.get(why) ?? 0) + 1);
  }
  if (reasons.size) {
    console.log('\nNot checkable, by reason:');
    for (const [why, n] of reasons) console.log(`  ${String(n).padStart(5)}  ${why}`);
  }
  const bad = results.filter((r) => r.status === 'mismatch');
  if (bad.length) {
    console.log(pc.red(`\n${bad.length} mismatches:`));
    for (const r of bad) console.log(`  ${r.check.kind} ${r.check.id} (${r.check.file}): ${r.reason}`);
  } else {
    console.log(pc.green('\n0 mismatches.'));
  }
}
