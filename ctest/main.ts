// npm start: the host's conformance report. Checks every item of abi/linux against this machine's C headers, and the
// items of kernel UAPI headers against the newest kernel's as well (ctest/headers.ts; --sysroot-only skips them), and
// prints a table per namespace (checked, mismatches, not checkable), then every mismatch and the reasons items could
// not be checked. Exits non-zero on any mismatch. The full report is written to build/ctest/<arch>/report.json.
// With --arch, any target of tools/lib/targets.ts: its cross compiler builds the checks and qemu-user runs them (missing
// toolchains are installed with apt when root; otherwise the apt command is printed).
//
//   npm start -- [--abi DIR] [--arch x86_64] [--only const,struct,field,typedef,syscall] [--quiet] [--sysroot-only]
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pc from 'picocolors';
import { ABI_DIR, ROOT, AbiError, loadSpec, resolveArch } from '../tools/lib/spec.ts';
import { mergeRuns, runCtest, type Kind } from './ctest.ts';
import { printReport, reportJson, type Newest } from './report.ts';
import { newestHeaders } from './headers.ts';
import { ensureToolchains, hostTargetName, targetFor, uapiTriplet } from '../tools/lib/targets.ts';


async function main() {
  const { values } = parseArgs({
    options: {
      abi: { type: 'string', default: ABI_DIR },
      arch: { type: 'string', default: hostTargetName() ?? process.arch },
      only: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'sysroot-only': { type: 'boolean', default: false },
    },
  });
  const arch = values.arch!;
  let abi;
  try {
    abi = resolveArch(loadSpec(values.abi), arch);
  } catch (err) {
    if (err instanceof AbiError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const dir = join(ROOT, 'build', 'ctest', arch);
  try {
    ensureToolchains([arch], (m) => console.error(pc.dim(m)));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const kinds = values.only?.split(',') as Kind[] | undefined;
  const log = (m: string) => console.error(pc.dim(m));
  let run = await runCtest(abi, { target: targetFor(arch), dir: join(dir, 'sysroot'), kinds, log });
  let newest: Newest | string | undefined;
  const asm = uapiTriplet(arch);
  if (!values['sysroot-only'] && !asm) newest = `no asm headers for ${arch} in Debian's linux-libc-dev (its row's newestAsm is null): its sysroot's headers only`;
  else if (!values['sysroot-only']) {
    try {
      const h = await newestHeaders(log);
      const second = await runCtest(abi, {
        target: targetFor(arch), dir: join(dir, 'newest'), kinds, log, uapi: { dir: h.dir, triplet: asm! },
      });
      const m = mergeRuns(run, second);
      newest = { headers: second.probe.headers, checked: m.checked, moved: m.moved };
      run = { ...run, results: m.results };
    } catch (err) {
      newest = ((err as Error).message || String(err)).split('\n')[0];
    }
  }
  printReport(run, values.quiet, newest);
  writeFileSync(join(dir, 'report.json'), JSON.stringify({ ...reportJson(run), ...(newest ? { newest } : {}) }, null, 1));
  process.exitCode = run.results.some((r) => r.status === 'mismatch') ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
