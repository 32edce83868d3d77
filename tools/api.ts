// npm run api: rewrite the committed lists of the public API (api/*.txt) from the sources, after a deliberate change
// of what the package exports (tools/lib/api.ts). `-- --check` only says whether they are current (the test does too).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/spec.ts';
import { API_ENTRIES, apiText, publicApi } from './lib/api.ts';

function main() {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const api = publicApi();
  let stale = 0;
  for (const e of API_ENTRIES) {
    const file = join(ROOT, e.list);
    const text = apiText(e.name, api.get(e.name)!);
    let old = '';
    try { old = readFileSync(file, 'utf8'); } catch { /* new */ }
    if (old === text) continue;
    stale++;
    if (values.check) console.log(`stale: ${e.list}`);
    else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      console.log(`wrote ${e.list} (${api.get(e.name)!.length} exports)`);
    }
  }
  if (!stale) console.log('the api/ lists are current');
  process.exitCode = values.check && stale ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
