// The FFI backend: how a syscall reaches the kernel. The rest of the library sees only the `Backend` interface, so that
// another FFI (Node's own node:ffi, once stable) can replace koffi by implementing it.
//
// The koffi backend calls libc's `syscall()` through fixed (not variadic) prototypes, one per shape of arguments:
// 'i' is an integer register (a C long), 'p' a pointer (a Buffer, a typed array, a string or null). Prototypes are
// declared lazily, on a syscall's first call, so importing the library declares nothing.
import { createRequire } from 'node:module';

/** A bound syscall: returns the kernel's result, or -errno on failure. Allocates nothing. */
export type SyscallFn = (...args: unknown[]) => number;

export interface Backend {
  readonly name: string;
  /** Bind syscall `nr` to argument kinds such as 'ipi' (int, pointer, int). */
  bind(nr: number, kinds: string): SyscallFn;
  /**
   * The address of a view's first byte, for structs that carry pointers (struct iovec, msghdr). The caller keeps the
   * view referenced until the kernel is done with the address.
   */
  address(view: ArrayBufferView): bigint;
  /** An external ArrayBuffer over `length` bytes of memory at `address` (no copy): for mappings the kernel made. */
  view(address: number, length: number): ArrayBuffer;
  /** The value of entry `type` of the auxiliary vector the kernel gave this process (libc's getauxval), 0n if none. */
  auxval(type: number): bigint;
}

type KoffiFn = (...args: unknown[]) => number | bigint;

interface Koffi {
  load(path: string): { func(proto: string): KoffiFn };
  errno(): number;
  address(view: ArrayBufferView): bigint;
  view(address: number, length: number): ArrayBuffer;
}

class KoffiBackend implements Backend {
  readonly name = 'koffi';
  private koffi?: Koffi;
  private lib?: { func(proto: string): KoffiFn };
  private protos = new Map<string, KoffiFn>();

  private load(): Koffi {
    if (!this.koffi) {
      this.koffi = createRequire(import.meta.url)('koffi') as Koffi;
      this.lib = this.koffi.load('libc.so.6');
    }
    return this.koffi;
  }

  address(view: ArrayBufferView): bigint {
    return BigInt(this.load().address(view));
  }

  view(address: number, length: number): ArrayBuffer {
    return this.load().view(address, length);
  }

  private getauxval?: KoffiFn;
  auxval(type: number): bigint {
    this.load();
    this.getauxval ??= this.lib!.func('unsigned long getauxval(unsigned long type)');
    return BigInt(this.getauxval(type));
  }

  private proto(kinds: string): KoffiFn {
    let f = this.protos.get(kinds);
    if (!f) {
      this.load();
      const args = ['long', ...[...kinds].map((k) => (k === 'p' ? 'void *' : 'long'))];
      f = this.lib!.func(`long syscall(${args.join(', ')})`);
      this.protos.set(kinds, f);
    }
    return f;
  }

  bind(nr: number, kinds: string): SyscallFn {
    const f = this.proto(kinds);
    const k = this.koffi!;
    // one closure per arity: no spread or arguments object on the hot path
    const done = (r: number | bigint): number => (r === -1 ? -k.errno() : typeof r === 'bigint' ? Number(r) : r);
    switch (kinds.length) {
      case 0: return () => done(f(nr));
      case 1: return (a) => done(f(nr, a));
      case 2: return (a, b) => done(f(nr, a, b));
      case 3: return (a, b, c) => done(f(nr, a, b, c));
      case 4: return (a, b, c, d) => done(f(nr, a, b, c, d));
      case 5: return (a, b, c, d, e) => done(f(nr, a, b, c, d, e));
      case 6: return (a, b, c, d, e, g) => done(f(nr, a, b, c, d, e, g));
      default: return (...a) => done(f(nr, ...a));
    }
  }
}

let current: Backend = new KoffiBackend();

/** The backend in use. */
export function backend(): Backend {
  return current;
}

/** Replace the backend (before the first syscall binds, or bound functions keep the old one). */
export function setBackend(b: Backend): void {
  current = b;
}
