// The bundler behind npm run build (tools/build.ts) and the benchmarks: esbuild bundles the library's JavaScript, one
// file per entry point (tsyscall, tsyscall/raw, tsyscall/generated) plus shared chunks and one chunk per arch, loaded
// on demand.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './spec.ts';

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
