import test from 'ava';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { AbiError, loadSpec, readValidated } from '../tools/lib/spec.ts';
import { nonCanonical } from '../tools/fmt.ts';
import { formatJson } from '../tools/lib/format.ts';
import { scratchAbi, editJson } from './helpers.ts';

test('every file under abi/ matches its schema', (t) => {
  const files = loadSpec();
  t.true(Object.keys(files.arches).includes('x86_64'));
  t.true(files.constants.length > 0);
  t.true(files.structs.length > 0);
});

test('every file under abi/ is in the canonical format (npm run fmt)', (t) => {
  t.deepEqual(nonCanonical(), []);
});

test('formatJson keeps the data and puts short objects on one line', (t) => {
  const data = { a: { value: 1, since: '3.11' }, b: [1, 2, 3], long: Array.from({ length: 40 }, (_, i) => `item${i}`) };
  const text = formatJson(data);
  t.deepEqual(JSON.parse(text), data);
  t.true(text.includes('"a": { "value": 1, "since": "3.11" }'));
  t.true(text.split('\n').every((l) => l.length <= 120));
});

/** The file under abi/linux that defines a constants namespace or a struct. */
function fileOf(kind: 'constants' | 'structs', name: string): string {
  const files = loadSpec();
  const hit = kind === 'constants'
    ? files.constants.find((f) => name in f.data.namespaces)
    : files.structs.find((f) => name in f.data.structs);
  if (!hit) throw new Error(`no ${kind} file defines ${name}`);
  return `${kind}/${hit.file.split('/').pop()}`;
}

function rejects(t: any, change: (d: any) => void, file: string, expected: RegExp[]) {
  const dir = scratchAbi();
  editJson(join(dir, file), change);
  const err = t.throws(() => loadSpec(dir), { instanceOf: AbiError }) as AbiError;
  t.true(err.file.endsWith(file), `error names the file: ${err.message}`);
  for (const re of expected) t.regex(err.message, re);
  return err;
}

test('a constant with a non-integer value is rejected, naming file, pointer and expectation', (t) => {
  const file = fileOf('constants', 'O');
  const err = rejects(t, (d) => { d.namespaces.O.items.RDONLY = 'zero'; }, file,
    [new RegExp(file.replace('.', '\\.')), /\/namespaces\/O\/items\/RDONLY/, /must (be integer|match)/]);
  t.is(err.pointer, '/namespaces/O/items/RDONLY');
});

test('an unknown property in a struct field is rejected', (t) => {
  const file = fileOf('structs', 'stat');
  rejects(t, (d) => { d.structs.stat.fields[0].offset = 3; }, file,
    [new RegExp(file.replace('.', '\\.')), /\/structs\/stat\/fields\/0/, /unknown property 'offset'/]);
});

test('a syscall without a number is rejected', (t) => {
  rejects(t, (d) => { delete d.syscalls.read.arches.x86_64.nr; }, 'syscalls.json',
    [/syscalls\.json/, /\/syscalls\/read\/arches\/x86_64/, /missing required property 'nr'/]);
});

test('a bad kernel version is rejected', (t) => {
  rejects(t, (d) => { d.since = 'two'; }, 'typedefs.json', [/typedefs\.json/, /\/since/, /must match/]);
});

test('a file that is not JSON is rejected with its name', (t) => {
  const dir = scratchAbi();
  const file = join(dir, 'typedefs.json');
  writeFileSync(file, '{ "typedefs": ');
  t.throws(() => readValidated(file, 'typedefs.schema.json'), { instanceOf: AbiError, message: /typedefs\.json: not valid JSON/ });
});
