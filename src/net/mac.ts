// Link-layer (hardware) addresses: MacAddr, the bytes of sockaddr_ll's sll_addr (an Ethernet MAC address and its
// kin), printed and parsed as colon-separated hex octets.
import { alloc, bufferFrom, copyBytes, describe, isBytes, lengthOf } from '../core/args.ts';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * The most bytes a hardware address has: the kernel's MAX_ADDR_LEN (include/linux/netdevice.h, the same on every
 * arch; not in the UAPI headers). Ethernet's has 6, InfiniBand's 20.
 */
export const MAX_ADDR_LEN = 32;

/** What macAddr() accepts. */
export type MacAddrLike = MacAddr | string | Uint8Array;

let macBytes: (a: MacAddr) => Buffer;

/**
 * A link-layer (hardware) address: an Ethernet MAC address ('aa:bb:cc:dd:ee:ff') or any other of 0 to 32 bytes, as
 * sockaddr_ll's sll_addr carries it, printed as lower-case hex octets separated by colons.
 *
 * Parsed from octets of two hex digits separated by ':' or '-' ('AA-BB-CC-DD-EE-FF'), or from bytes; '' is the
 * empty address (a device without one). Immutable; `bytes` is a copy.
 *
 * @example
 * ```ts
 * const mac = new MacAddr('02-00-5E-10-00-01');
 * mac.toString(); // '02:00:5e:10:00:01'
 * mac.isMulticast; // false
 * ```
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export class MacAddr {
  readonly #b: Buffer;
  constructor(v: MacAddrLike) {
    if (v instanceof MacAddr) {
      this.#b = v.#b;
    } else if (typeof v === 'string') {
      const s = v.trim();
      const ok = s === '' || /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*$/.test(s) || /^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2})*$/.test(s);
      const parts = s === '' ? [] : s.split(/[:-]/);
      if (!ok || parts.length > MAX_ADDR_LEN) {
        throw new TypeError(`macAddr: ${JSON.stringify(v)} is not a hardware address (hex octets separated by ':' or '-', as aa:bb:cc:dd:ee:ff; at most ${MAX_ADDR_LEN})`);
      }
      const b = alloc(parts.length);
      parts.forEach((p, i) => { b[i] = parseInt(p, 16); });
      this.#b = b;
    } else if (isBytes(v)) {
      const n = lengthOf(v);
      if (n > MAX_ADDR_LEN) throw new RangeError(`macAddr: a hardware address has at most ${MAX_ADDR_LEN} bytes (MAX_ADDR_LEN), got ${n}`);
      this.#b = copyBytes(v);
    } else {
      throw new TypeError(`macAddr: expected a string, bytes or a MacAddr, got ${describe(v)}`);
    }
  }
  /** The address's bytes (a copy). */
  get bytes(): Buffer { return bufferFrom(this.#b); }
  /** How many bytes the address has (6 for Ethernet). */
  get length(): number { return this.#b.length; }
  /** Whether the group bit (the least significant bit of the first octet) is set: multicast and broadcast. */
  get isMulticast(): boolean { return this.#b.length > 0 && (this.#b[0] & 1) === 1; }
  /** Whether every byte is 0xff (and there is at least one). */
  get isBroadcast(): boolean { return this.#b.length > 0 && this.#b.every((x) => x === 0xff); }
  equals(other: unknown): boolean {
    return other instanceof MacAddr && other.#b.equals(this.#b);
  }
  toString(): string { return [...this.#b].map((x) => x.toString(16).padStart(2, '0')).join(':'); }
  toJSON(): string { return this.toString(); }
  [INSPECT](): string { return `MacAddr(${this.toString()})`; }
  static {
    macBytes = (a) => a.#b;
  }
}

/**
 * A hardware address from text ('aa:bb:cc:dd:ee:ff' or 'AA-BB-CC-DD-EE-FF') or bytes.
 *
 * Text that is not hex octets separated by ':' or '-' is a TypeError that names it.
 *
 * @example
 * ```ts
 * macAddr('ff:ff:ff:ff:ff:ff').isBroadcast; // true
 * macAddr(Buffer.from([2, 0, 0, 0, 0, 1])).toString(); // '02:00:00:00:00:01'
 * ```
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export function macAddr(v: MacAddrLike): MacAddr {
  return v instanceof MacAddr ? v : new MacAddr(v);
}

/** The library's own bytes of a MacAddr (not a copy): for the encoders in this folder. */
export const macAddrBytes = (a: MacAddr): Buffer => macBytes(a);
