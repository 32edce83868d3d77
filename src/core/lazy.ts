// The generated ABI is made on first use. Each arch's constants, structs and raw calls are generated as compact tables
// of JSON strings, not as source code. A JSON string inside a module costs almost nothing to load; parsing hundreds of
// object literals and hundreds of functions cost tens of milliseconds on every `import 'tsyscall'`. Each item becomes a
// getter that builds the value on its first access and returns that same value after.
import { backend, type SyscallFn } from './backend.ts';

/** Memory the kernel may read or write: a Buffer or typed array, a string (read-only, NUL-terminated by the FFI), or null. */
export type Ptr = ArrayBufferView | ArrayBuffer | string | null;
/** An integer argument (a C long; bigint for values beyond 2^53). */
export type Int = number | bigint;

/** [syscall number, C argument kinds, the plan of the JS arguments where 64-bit ones are split] by syscall name. */
export type RawTable = Readonly<Record<string, readonly [number, string, string?]>>;

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

/** A frozen object from a JSON table, whose string values are numbers too large for a double. */
function parseTable(json: string): Readonly<Record<string, number | bigint>> {
  const o = JSON.parse(json) as Record<string, number | string | bigint>;
  for (const k in o) if (typeof o[k] === 'string') o[k] = BigInt(o[k] as string);
  return Object.freeze(o as Record<string, number | bigint>);
}

/** The constant namespaces (O, E, ...), ERRNO_MESSAGES and NAMESPACES of an arch, each parsed on first use. */
export function defineConstants(target: object, namespaces: Readonly<Record<string, string>>, messages: string): void {
  defineLazy(target, namespaces, (_, json) => parseTable(json));
  defineLazy(target, { ERRNO_MESSAGES: messages }, (_, json) => Object.freeze(JSON.parse(json)));
  defineLazy(target, { NAMESPACES: null }, () => {
    const all: Record<string, unknown> = {};
    for (const name of Object.keys(namespaces)) all[name] = (target as Record<string, unknown>)[name];
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

/** The raw functions of an arch: each bound on its first use. */
export function defineRaw(table: RawTable): object {
  const raw = {};
  defineLazy(raw, table, (_, [nr, kinds, plan]) => rawFunction(nr, kinds, plan));
  return raw;
}
