// npm run fmt: rewrite every file under abi/ in the canonical format (tools/lib/format.ts).
// npm run fmt -- --check: list the files that are not canonical and exit 1 (the tests do the same).
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/spec.ts';
import { abiJsonFiles, formatJson } from './lib/format.ts';

export { abiJsonFiles };

/** Files whose text is not the canonical form of their JSON. */
export function nonCanonical(files = abiJsonFiles()): string[] {
  return files.filter((f) => {
    const text = readFileSync(f, 'utf8');
    return formatJson(JSON.parse(text)) !== text;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const bad = nonCanonical();
  if (values.check) {
    for (const f of bad) console.log(`not canonical: ${relative(ROOT, f)} (run npm run fmt)`);
    process.exitCode = bad.length ? 1 : 0;
  } else {
    for (const f of bad) writeFileSync(f, formatJson(JSON.parse(readFileSync(f, 'utf8'))));
    console.log(`formatted ${bad.length} file(s)`);
  }
}
