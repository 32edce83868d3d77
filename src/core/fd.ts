// File descriptors as objects. An Fd has its number (`fileno`), a method for every fd-first call (added by the domain
// modules), an idempotent close(), Symbol.dispose for `using`, and is closed by the garbage collector unless nogc().
// A plain number is accepted wherever an fd is. Closing never touches a number that another open has reused: the
// library tracks which Fd owns each number, forgets an Fd whose number it closes or replaces by any other call (close
// of the number, dup2/dup3 onto it), and disowns an Fd whose number comes back from a new open.
import { raw } from './abi.ts';
import { describe } from './args.ts';
import { SyscallError } from './errors.ts';

/** Which Fd owns each descriptor number, and the token that Fd registered with the collector. */
const owners = new Map<number, { ref: WeakRef<Fd>; token: object }>();
const collector = new FinalizationRegistry<{ fd: number; token: object }>(({ fd, token }) => {
  // close only if the collected Fd still owned the number
  if (owners.get(fd)?.token === token) {
    owners.delete(fd);
    raw.close(fd);
  }
});

export class Fd {
  #fd: number;
  #token = {};
  #gc: boolean;

  /** Wrap a descriptor number; the new Fd owns it (and closes it when collected, unless `gc: false`). */
  constructor(fd: number, options: { gc?: boolean } = {}) {
    if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`not a file descriptor: ${describe(fd)}`);
    this.#fd = fd;
    this.#gc = options.gc !== false;
    Fd.forget(fd);
    owners.set(fd, { ref: new WeakRef(this), token: this.#token });
    if (this.#gc) collector.register(this, { fd, token: this.#token }, this.#token);
  }

  /** The descriptor number; -1 once closed. */
  get fileno(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Close it. Idempotent: a second close does nothing. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#disown();
    const r = raw.close(fd);
    // after EINTR the descriptor is gone on Linux: never retry
    if (r < 0 && r !== -4) throw new SyscallError(-r, 'close');
  }

  /** Do not close it on garbage collection (it still closes on close() or dispose). */
  nogc(): this {
    if (this.#gc) collector.unregister(this.#token);
    this.#gc = false;
    return this;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Stop owning the number without closing it (it was closed or replaced by other means). */
  #disown(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    if (owners.get(fd)?.token === this.#token) owners.delete(fd);
    if (this.#gc) collector.unregister(this.#token);
    this.#fd = -1;
  }

  /** Release the number to the caller: this Fd forgets it and will never close it. */
  release(): number {
    const fd = this.#fd;
    this.#disown();
    return fd;
  }

  toString(): string {
    return this.#fd < 0 ? 'Fd(closed)' : `Fd(${this.#fd})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** The library closed or replaced descriptor `n` by other means: whichever Fd owned it forgets it. */
  static forget(n: number): void {
    const owner = owners.get(n)?.ref.deref();
    if (owner) owner.#disown();
    else owners.delete(n);
  }
}

/** What an fd argument accepts: an Fd or a descriptor number. */
export type FdLike = Fd | number;

/** The number of an fd argument; a TypeError for anything else, an EBADF SyscallError for a closed Fd. */
export function fdNum(fd: unknown, syscall: string): number {
  if (typeof fd === 'number') {
    // a negative number goes through: the kernel answers EBADF (or, for AT_FDCWD, uses the working directory)
    if (Number.isInteger(fd) && fd >= -(2 ** 31) && fd < 2 ** 31) return fd;
    throw new TypeError(`${syscall}: fd must be an Fd or an integer, got ${describe(fd)}`);
  }
  if (fd instanceof Fd) {
    if (fd.closed) throw new SyscallError(9, syscall);
    return fd.fileno;
  }
  throw new TypeError(`${syscall}: fd must be an Fd or an integer, got ${describe(fd)}`);
}

type Rest<F> = F extends (fd: never, ...rest: infer R) => infer T ? (...rest: R) => T : never;
/** The method form of fd-first functions. */
export type FdMethods<T> = { [K in keyof T]: Rest<T[K]> };

/** Give Fd a method for each fd-first function (the domain modules call this). */
export function addFdMethods(fns: Record<string, (fd: FdLike, ...rest: never[]) => unknown>): void {
  for (const [name, fn] of Object.entries(fns)) {
    if (Object.prototype.hasOwnProperty.call(Fd.prototype, name)) throw new Error(`Fd already has a method '${name}'`);
    Object.defineProperty(Fd.prototype, name, {
      value: function (this: Fd, ...rest: never[]) { return fn(this, ...rest); },
      writable: true, configurable: true,
    });
  }
}
