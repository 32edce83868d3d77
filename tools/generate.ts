// npm run generate: abi/linux -> src/generated/ (the generator: tools/lib/generate.ts). Output is deterministic;
// test/generate.test.ts fails when the checked-in files are stale. `--out DIR` writes elsewhere, `--abi DIR` reads
// another spec.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ABI_DIR, ROOT, loadSpec } from './lib/spec.ts';
import { generate } from './lib/generate.ts';

function main() {
  const { values } = parseArgs({ options: { abi: { type: 'string', default: ABI_DIR }, out: { type: 'string', default: join(ROOT, 'src', 'generated') } } });
  const files = generate(loadSpec(values.abi));
  const out = values.out!;
  rmSync(out, { recursive: true, force: true });
  for (const [path, text] of files) {
    mkdirSync(join(out, path, '..'), { recursive: true });
    writeFileSync(join(out, path), text);
  }
  console.log(`wrote ${files.size} files to ${relative(ROOT, out) || out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
