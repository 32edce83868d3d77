// The public API is a list (issue 11, as Rust libc's semver files): the exports of each entry point, types included,
// must be the committed api/*.txt. A leaked internal helper or a vanished public name fails here; after a deliberate
// change, `npm run api` rewrites the lists, and the diff shows what the package's users gain or lose.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_ENTRIES, apiText, publicApi } from '../tools/lib/api.ts';
import { ROOT } from '../tools/lib/spec.ts';

test('every entry point exports exactly its committed list (npm run api after a deliberate change)', (t) => {
  const api = publicApi();
  for (const e of API_ENTRIES) {
    const committed = readFileSync(join(ROOT, e.list), 'utf8');
    const now = apiText(e.name, api.get(e.name)!);
    const lines = (s: string) => new Set(s.split('\n').filter((l) => l && !l.startsWith('#')));
    const added = [...lines(now)].filter((l) => !lines(committed).has(l));
    const gone = [...lines(committed)].filter((l) => !lines(now).has(l));
    t.deepEqual({ added, gone }, { added: [], gone: [] }, `${e.name} (${e.list})`);
    t.is(now, committed, e.list);
  }
  // the argument checkers are the library's own business
  t.false(api.get('tsyscall')!.some((l) => /^function (mode|int|int64|region|path)$/.test(l)));
  t.true(api.get('tsyscall')!.includes('function open'));
  t.true(api.get('tsyscall')!.includes('class+interface Stat')); // (a class merged with its generated accessors' interface)
});
