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
import { build } from 'esbuild';
import { ROOT } from './lib/abi.ts';

export const ENTRY_POINTS = ['src/index.ts', 'src/raw.ts', 'src/generated/index.ts'];

/** Bundle the library's JavaScript into `out` (its ES modules, for Node 20). */
export async function bundle(out: string): Promise<void> {
  // chunk names carry a hash of their content: the old ones would stay behind
  rmSync(join(out, 'chunks'), { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    outbase: 'src',
    outdir: out,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}

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
