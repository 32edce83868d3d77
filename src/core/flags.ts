// Flags as users of the original library wrote them: 'rdonly, creat', 'rdonly|creat', ['rdonly', 'creat'], numbers,
// typed constants (O.RDONLY | O.CREAT), and '~nonblock' to remove a flag (from a base value, such as the current flags
// read with F_GETFL). Names are case-insensitive and may carry the C prefix ('O_CREAT'). A string is parsed once per
// namespace and memoised; an unknown name is a TypeError that names it and the valid names. Flags above bit 31
// (CLONE_INTO_CGROUP) work: combination is done on 64 bits.

import { describe } from './args.ts';

/** What a flags argument accepts. */
export type Flags = number | bigint | string | readonly (number | bigint | string)[] | null | undefined;
type Namespace = Readonly<Record<string, number | bigint>>;

interface Table {
  name: string;
  prefix: string;
  values: Map<string, bigint>;
  memo: Map<string, { set: bigint; clear: bigint }>;
}

const tables = new WeakMap<object, Table>();
const U64 = (v: bigint) => BigInt.asUintN(64, v);
const out = (v: bigint): number => Number(v);

function table(ns: Namespace, name: string, prefix: string): Table {
  if (typeof ns !== 'object' || ns === null) throw new TypeError(`not a constants namespace: ${describe(ns)}`);
  if (typeof name !== 'string' || typeof prefix !== 'string') throw new TypeError('namespace name and prefix must be strings');
  let t = tables.get(ns);
  if (!t) {
    const values = new Map<string, bigint>();
    for (const [k, v] of Object.entries(ns)) {
      if (typeof v !== 'number' && typeof v !== 'bigint') throw new TypeError(`${name}.${k} is not a number: ${describe(v)}`);
      if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new TypeError(`${name}.${k} is not an integer: ${v}`);
      values.set(k.toUpperCase(), U64(BigInt(v)));
    }
    t = { name, prefix: prefix.toUpperCase(), values, memo: new Map() };
    tables.set(ns, t);
  }
  return t;
}

function lookup(t: Table, word: string): bigint {
  let key = word.toUpperCase();
  if (t.prefix && !t.values.has(key) && key.startsWith(t.prefix)) key = key.slice(t.prefix.length);
  const v = t.values.get(key);
  if (v === undefined) {
    const valid = [...t.values.keys()].map((k) => k.toLowerCase()).join(', ');
    throw new TypeError(`unknown ${t.name} flag '${word}' (valid: ${valid})`);
  }
  return v;
}

/** How many parsed strings each namespace remembers (least recently used ones go first). */
export const MEMO_SIZE = 2048;

function parseString(t: Table, s: string): { set: bigint; clear: bigint } {
  let r = t.memo.get(s);
  if (r) {
    // most recently used last: the Map's order is the eviction order
    t.memo.delete(s);
    t.memo.set(s, r);
    return r;
  }
  let set = 0n;
  let clear = 0n;
  for (const word of s.split(/[\s,|]+/)) {
    if (!word) continue;
    if (word.startsWith('~')) clear |= lookup(t, word.slice(1));
    else set |= lookup(t, word);
  }
  r = { set, clear };
  if (t.memo.size >= MEMO_SIZE) t.memo.delete(t.memo.keys().next().value as string);
  t.memo.set(s, r);
  return r;
}

function integer(name: string, v: number | bigint): bigint {
  if (typeof v === 'bigint') return U64(v);
  if (!Number.isSafeInteger(v)) throw new TypeError(`${name} flags must be an integer, got ${v}`);
  return U64(BigInt(v));
}

/**
 * Combine flags of namespace `ns` into a number: names ('rdonly, creat', 'rdonly|creat', case-insensitive, C prefix
 * optional), arrays, numbers and typed constants; '~name' removes a flag from `base`.
 *
 * `name` and `prefix` are the namespace's name and C prefix, for messages and 'O_CREAT' spellings. A string is parsed
 * once and memoised. Throws a TypeError that names an unknown flag and the valid ones.
 *
 * @example
 * ```ts
 * const { O } = abi;
 * flags(O, 'O', 'O_', 'rdwr, creat'); // O.RDWR | O.CREAT
 * flags(O, 'O', 'O_', '~nonblock', O.RDWR | O.NONBLOCK); // O.RDWR
 * ```
 */
export function flags(ns: Namespace, name: string, prefix: string, value: Flags, base: number | bigint = 0): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && base === 0) return value; // fast path
  if (typeof base !== 'number' && typeof base !== 'bigint') throw new TypeError(`${name} base must be a number, got ${describe(base)}`);
  if (value === undefined || value === null) return out(integer(name, base));
  let v = integer(name, base);
  const t = table(ns, name, prefix);
  const add = (part: unknown) => {
    if (typeof part === 'string') {
      const { set, clear } = parseString(t, part);
      v = (v | set) & ~clear;
    } else if (typeof part === 'number' || typeof part === 'bigint') {
      v |= integer(name, part);
    } else {
      throw new TypeError(`${name} flags must be numbers or names, got ${part === null ? 'null' : typeof part}`);
    }
  };
  if (Array.isArray(value)) {
    // each element read once, by index: no method of the array is called
    const n = value.length;
    for (let i = 0; i < n; i++) add(value[i]);
  } else add(value);
  return out(v);
}

/**
 * One value of a namespace by name ('inet' -> AF.INET); a number passes through; a TypeError names an unknown one.
 *
 * @example
 * ```ts
 * constant(abi.SEEK, 'SEEK', 'SEEK_', 'end'); // 2
 * constant(abi.SEEK, 'SEEK', 'SEEK_', 2); // 2
 * ```
 */
export function constant(ns: Namespace, name: string, prefix: string, value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer, got ${value}`);
    return value;
  }
  if (typeof value !== 'string') throw new TypeError(`${name} must be a name or a number, got ${typeof value}`);
  const t = table(ns, name, prefix);
  return Number(BigInt.asIntN(64, lookup(t, value.trim())));
}
