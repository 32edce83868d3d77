// npx tsx tools/targets.ts [--packages | --missing] [names...]: the target table (tools/lib/targets.ts), or the Debian
// packages the targets need (--missing: only those not installed), one per line, for scripts such as .ci/run.
import { TARGET_NAMES, missingPackages, packagesFor, runChoice, runLabel, targetInfo } from './lib/targets.ts';

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('--'));
  const list = names.length ? names : [...TARGET_NAMES];
  if (args.includes('--packages')) console.log(packagesFor(list).join('\n'));
  else if (args.includes('--missing')) console.log(missingPackages(packagesFor(list)).join('\n'));
  else {
    for (const n of list) {
      const t = targetInfo(n);
      const c = runChoice(n);
      console.log([t.name.padEnd(9), t.triplet.padEnd(26), t.model.padEnd(6), t.endian.padEnd(7),
        `${t.syscall.argRegisters} ${t.syscall.split64}`.padEnd(15), (c.how === 'qemu' ? c.runner[0] : runLabel(c.how)).padEnd(22),
        t.koffi ? 'koffi' : '-', t.node ?? '-'].join(' '));
      if (t.run !== 'qemu') console.log(`${''.padEnd(10)}${c.why}`);
    }
  }
}
