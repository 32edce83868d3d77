// npm run build: the package in dist/. tsc writes the type declarations; esbuild bundles the JavaScript, one file per
// entry point (tsyscall, tsyscall/raw, tsyscall/generated) plus shared chunks and one chunk per arch, loaded on demand.
// One bundle instead of twenty-odd modules saves about 15 ms of every `import 'tsyscall'` (each ES module costs its
// own resolve, read and compile); bench/run.ts measures it.
//
//   tsx tools/build.ts [--out DIR] [--no-types]
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/spec.ts';
import { bundle } from './lib/bundle.ts';

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'dist') }, 'no-types': { type: 'boolean', default: false } } });
  const out = values.out!;
  rmSync(out, { recursive: true, force: true });
  if (!values['no-types']) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
  }
  await bundle(out);
  console.log(`built ${relative(ROOT, out) || out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
