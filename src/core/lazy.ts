// The generated ABI is made on first use. Each arch's constants, structs and raw calls are generated as compact tables
// of JSON strings, not as source code. A JSON string inside a module costs almost nothing to load; parsing hundreds of
// object literals and hundreds of functions cost tens of milliseconds on every `import 'tsyscall'`. Each item becomes a
// getter that builds the value on its first access and returns that same value after.
import { backend, type SyscallFn } from './backend.ts';

/** Memory the kernel may read or write: a Buffer or typed array, a string (read-only, NUL-terminated by the FFI), or null. */
export type Ptr = ArrayBufferView | ArrayBuffer | string | null;
/** An integer argument (a C long; bigint for values beyond 2^53). */
export type Int = number | bigint;

/** [C argument kinds, the plan of the JS arguments where 64-bit ones are split] by syscall name. */
export type KindsTable = Readonly<Record<string, readonly [string, string?]>>;

/**
 * A table made of a base (what most arches have) and one arch's differences: a value replaces the base's, null removes
 * the key (the arch lacks it). Keys keep the base's order.
 */
export function merged<V>(base: Readonly<Record<string, V>>, diff: Readonly<Record<string, V | null>>): Readonly<Record<string, V>> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(base)) {
    const d = diff[k];
    if (d === null) continue;
    out[k] = d === undefined ? base[k] : d;
  }
  return out;
}

/**
 * Define every key of `table` on `target` as a read-only getter that builds its value on first access and returns the
 * same value after. (Turning the getter into a data property instead would cost about 1 ms per property on an object
 * this large: V8 rebuilds the object's shape each time.)
 */
export function defineLazy<V>(target: object, table: Readonly<Record<string, V>>, build: (name: string, entry: V) => unknown): void {
  for (const name of Object.keys(table)) {
    let value: unknown;
    let built = false;
    Object.defineProperty(target, name, {
      enumerable: true,
      get() {
        if (!built) {
          value = build(name, table[name]);
          built = true;
        }
        return value;
      },
    });
  }
}

/** An object from a base JSON table and an arch's JSON difference (see merged()), not yet frozen. */
function parseMerged(json: string, diff: string | undefined): Record<string, unknown> {
  const o = JSON.parse(json) as Record<string, unknown>;
  return diff === undefined ? o : (merged(o, JSON.parse(diff) as Record<string, unknown>) as Record<string, unknown>);
}

/** A frozen constants table, whose string values are numbers too large for a double. */
function parseTable(json: string, diff: string | undefined): Readonly<Record<string, number | bigint>> {
  const o = parseMerged(json, diff);
  for (const k in o) if (typeof o[k] === 'string') o[k] = BigInt(o[k] as string);
  return Object.freeze(o as Record<string, number | bigint>);
}

/**
 * The constant namespaces (O, E, ...), ERRNO_MESSAGES and NAMESPACES of an arch, each parsed on first use: the base
 * JSON tables with the arch's JSON differences (a namespace that is null in `diff` the arch lacks).
 */
export function defineConstants(target: object, base: Readonly<Record<string, string>>, diff: Readonly<Record<string, string | null>>,
  messages: string, messagesDiff?: string): void {
  const namespaces = Object.keys(base).filter((ns) => diff[ns] !== null);
  defineLazy(target, Object.fromEntries(namespaces.map((ns) => [ns, ns])), (ns) => parseTable(base[ns], diff[ns] ?? undefined));
  defineLazy(target, { ERRNO_MESSAGES: messages }, (_, json) => Object.freeze(parseMerged(json, messagesDiff)));
  defineLazy(target, { NAMESPACES: null }, () => {
    const all: Record<string, unknown> = {};
    for (const name of namespaces) all[name] = (target as Record<string, unknown>)[name];
    return Object.freeze(all);
  });
}

const lo = (v: bigint): number => Number(BigInt.asUintN(32, v));
const hi = (v: bigint): number => Number(BigInt.asUintN(32, v >> 32n));

/**
 * One raw function for a syscall: the backend's bound function itself, or, where 64-bit arguments travel in register
 * pairs, a wrapper that splits them following `plan` ('i'/'p' one argument, 'l' low word then high, 'h' high then low,
 * 'z' a zero for the padding register).
 */
export function rawFunction(nr: number, kinds: string, plan?: string): SyscallFn {
  const f = backend().bind(nr, kinds);
  if (!plan) return f;
  return (...args: unknown[]) => {
    const regs: unknown[] = [];
    let j = 0;
    for (const c of plan) {
      if (c === 'z') regs.push(0);
      else if (c === 'l' || c === 'h') {
        const b = BigInt(args[j++] as Int); // a TypeError or RangeError for what is not an integer
        if (c === 'l') regs.push(lo(b), hi(b));
        else regs.push(hi(b), lo(b));
      } else regs.push(args[j++]);
    }
    return f(...regs);
  };
}

/**
 * The raw functions of an arch: one per syscall of `sys` (its numbers), with the base argument kinds or the arch's
 * own (`diff`); each bound on its first use.
 */
export function defineRaw(sys: Readonly<Record<string, number>>, kinds: KindsTable, diff: KindsTable): object {
  const raw = {};
  const table: Record<string, readonly [string, string?]> = {};
  for (const name of Object.keys(kinds)) if (Object.hasOwn(sys, name)) table[name] = diff[name] ?? kinds[name];
  defineLazy(raw, table, (name, [k, plan]) => rawFunction(sys[name], k, plan));
  return raw;
}

/**
 * A value made on first use: what a domain reads from the generated ABI (constants, struct layouts) costs nothing at
 * import.
 */
export function once<T>(make: () => T): () => T {
  let v: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      v = make();
      made = true;
    }
    return v as T;
  };
}
