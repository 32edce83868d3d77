// IP addresses as values: InAddr (IPv4, struct in_addr's 4 bytes) and In6Addr (IPv6, struct in6_addr's 16 bytes, with
// an optional zone), parsed from and printed in the usual notation (dotted decimal; RFC 5952's canonical text for IPv6),
// always held in network byte order, which is what the kernel's structs carry whatever the arch.
import { abi } from '../core/abi.ts';
import { alloc, bufferFrom, copyBytes, describe, isBytes, lengthOf } from '../core/args.ts';

const { INADDR } = abi;
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** INADDR_* by lower-case name (any, loopback, broadcast, none, allhosts_group, ...), from the spec. */
const V4_NAMES = new Map<string, number>(Object.entries(INADDR).map(([k, v]) => [k.toLowerCase(), Number(v)]));
const V4_NAME_LIST = () => [...V4_NAMES.keys()].join(', ');

/** What inAddr() accepts. */
export type InAddrLike = InAddr | string | number | Uint8Array;
/** What in6Addr() accepts. */
export type In6AddrLike = In6Addr | string | Uint8Array;

/** The 4 bytes of dotted-decimal text ('127.0.0.1'), as inet_pton(AF_INET) reads it; undefined if it is not one. */
function parse4(s: string): Buffer | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const b = alloc(4);
  for (let i = 0; i < 4; i++) {
    // decimal, 1 to 3 digits, no leading zero (inet_aton would read 010 as octal: refuse the ambiguity)
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    b[i] = n;
  }
  return b;
}

/** The 16 bytes of IPv6 text (RFC 4291 section 2.2: groups, one '::', a dotted IPv4 tail); undefined if it is not one. */
function parse6(s: string): Buffer | undefined {
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const split = (t: string) => (t === '' ? [] : t.split(':'));
  const head = dbl >= 0 ? split(s.slice(0, dbl)) : s.split(':');
  const tail = dbl >= 0 ? split(s.slice(dbl + 2)) : [];
  // a dotted IPv4 address may end the text (not precede a '::'): it fills the last two groups
  const last = dbl >= 0 ? tail : head;
  let v4: Buffer | undefined;
  if (last.length && last[last.length - 1].includes('.')) {
    v4 = parse4(last[last.length - 1]);
    if (!v4) return undefined;
    last.pop();
  }
  const groups = (g: string[]) => {
    const out: number[] = [];
    for (const x of g) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(x)) return undefined;
      out.push(parseInt(x, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return undefined;
  const n = h.length + t.length + (v4 ? 2 : 0);
  // '::' stands for one or more zero groups
  if (dbl >= 0 ? n > 7 : n !== 8) return undefined;
  const b = alloc(16);
  h.forEach((g, i) => b.writeUInt16BE(g, 2 * i));
  const tailStart = 16 - 2 * t.length - (v4 ? 4 : 0);
  t.forEach((g, i) => b.writeUInt16BE(g, tailStart + 2 * i));
  if (v4) b.set(v4, 12);
  return b;
}

/** RFC 5952 text of 16 bytes: lower case, no leading zeros, the longest run (the first of equals) of two or more zero
 * groups as '::', and an IPv4-mapped address (::ffff:0:0/96) with its IPv4 part in dotted decimal. */
function format6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[2 * i] << 8) | b[2 * i + 1]);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let best = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** A copy of exactly `n` bytes from a Buffer or typed array argument; a TypeError names it otherwise. */
function exactBytes(v: Uint8Array, n: number, what: string): Buffer {
  const len = lengthOf(v);
  if (len !== n) throw new TypeError(`${what}: ${n} bytes expected, got ${len}`);
  return copyBytes(v);
}

let in4Bytes: (a: InAddr) => Buffer;

/**
 * An IPv4 address (struct in_addr): four bytes in network byte order, printed in dotted decimal.
 *
 * Made from dotted-decimal text ('127.0.0.1', as inet_pton reads it: four decimal numbers 0-255 without leading
 * zeros), a name of the spec's INADDR constants ('any', 'loopback', 'broadcast', ...), a number in host order (as
 * INADDR_LOOPBACK, 0x7f000001), or 4 bytes in network order. Immutable; `bytes` is a copy.
 *
 * @example
 * ```ts
 * const a = new InAddr('192.0.2.1');
 * a.toString(); // '192.0.2.1'
 * a.toNumber(); // 0xc0000201
 * a.equals(inAddr('192.0.2.1')); // true
 * ```
 * @see https://man7.org/linux/man-pages/man7/ip.7.html
 */
export class InAddr {
  readonly #b: Buffer;
  constructor(v: InAddrLike) {
    if (v instanceof InAddr) {
      this.#b = v.#b;
    } else if (typeof v === 'string') {
      const s = v.trim();
      const named = V4_NAMES.get(s.toLowerCase());
      const b = named !== undefined ? alloc(4) : parse4(s);
      if (!b) {
        throw new TypeError(`inAddr: ${JSON.stringify(v)} is not an IPv4 address (dotted decimal a.b.c.d, each 0-255, or a name: ${V4_NAME_LIST()})`);
      }
      if (named !== undefined) b.writeUInt32BE(named >>> 0, 0);
      this.#b = b;
    } else if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new TypeError(`inAddr: a number must be an integer, got ${v}`);
      if (v < 0 || v > 0xffffffff) throw new RangeError(`inAddr: a number must be within [0, 0xffffffff], got ${v}`);
      const b = alloc(4);
      b.writeUInt32BE(v, 0);
      this.#b = b;
    } else if (isBytes(v)) {
      this.#b = exactBytes(v as Uint8Array, 4, 'inAddr');
    } else {
      throw new TypeError(`inAddr: expected a string, a number, 4 bytes or an InAddr, got ${describe(v)}`);
    }
  }
  /** The 4 bytes in network byte order (a copy). */
  get bytes(): Buffer { return bufferFrom(this.#b); }
  /** The address as a number in host order (127.0.0.1 is 0x7f000001). */
  toNumber(): number { return this.#b.readUInt32BE(0); }
  /** Whether this is in 127.0.0.0/8. */
  get isLoopback(): boolean { return this.#b[0] === 127; }
  /** Whether this is 0.0.0.0 (INADDR_ANY). */
  get isAny(): boolean { return this.toNumber() === 0; }
  /** Whether this is in 224.0.0.0/4. */
  get isMulticast(): boolean { return (this.#b[0] & 0xf0) === 0xe0; }
  /** The same address as an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
  toMapped(): In6Addr {
    const b = alloc(16);
    b[10] = 0xff;
    b[11] = 0xff;
    b.set(this.#b, 12);
    return new In6Addr(b);
  }
  equals(other: unknown): boolean {
    return other instanceof InAddr && other.#b.equals(this.#b);
  }
  toString(): string { return `${this.#b[0]}.${this.#b[1]}.${this.#b[2]}.${this.#b[3]}`; }
  toJSON(): string { return this.toString(); }
  [INSPECT](): string { return `InAddr(${this.toString()})`; }
  static {
    in4Bytes = (a) => a.#b;
  }
}

/**
 * An IPv4 address from text ('127.0.0.1'), a name ('any', 'loopback', 'broadcast'), a host-order number or 4 bytes.
 *
 * A string that is not an IPv4 address is a TypeError that names it.
 *
 * @example
 * ```ts
 * inAddr('loopback').toString(); // '127.0.0.1'
 * inAddr('any').toString(); // '0.0.0.0'
 * inAddr(0xc0a80001).toString(); // '192.168.0.1'
 * ```
 * @see https://man7.org/linux/man-pages/man3/inet_pton.3.html
 */
export function inAddr(v: InAddrLike): InAddr {
  return v instanceof InAddr ? v : new InAddr(v);
}

let in6Bytes: (a: In6Addr) => Buffer;

/**
 * An IPv6 address (struct in6_addr): 16 bytes in network byte order, printed as RFC 5952 says (lower case, the longest
 * run of zero groups as '::', IPv4-mapped addresses as ::ffff:a.b.c.d), with an optional zone ('fe80::1%eth0',
 * 'fe80::1%2').
 *
 * Made from text (RFC 4291's forms: groups of up to 4 hex digits, one '::', an IPv4 tail), 'any' (::) or
 * 'loopback' (::1), or 16 bytes. The zone is kept as written: `scopeId` is its number when it is one; sockaddr()
 * resolves an interface name to its index. Immutable; `bytes` is a copy.
 *
 * @example
 * ```ts
 * const a = new In6Addr('2001:DB8:0:0:0:0:0:1');
 * a.toString(); // '2001:db8::1'
 * new In6Addr('fe80::1%2').scopeId; // 2
 * ```
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 */
export class In6Addr {
  readonly #b: Buffer;
  readonly #zone: string | undefined;
  constructor(v: In6AddrLike, zone?: string | number) {
    let z: string | undefined;
    if (v instanceof In6Addr) {
      this.#b = v.#b;
      z = v.#zone;
    } else if (typeof v === 'string') {
      let s = v.trim();
      const pct = s.indexOf('%');
      if (pct >= 0) {
        z = s.slice(pct + 1);
        s = s.slice(0, pct);
        if (!/^[^\s%/\0]{1,64}$/.test(z)) throw new TypeError(`in6Addr: ${JSON.stringify(v)} has an empty or malformed zone`);
      }
      const lower = s.toLowerCase();
      const b = lower === 'any' ? alloc(16) : lower === 'loopback' ? alloc(16) : parse6(s);
      if (lower === 'loopback') b![15] = 1;
      if (!b) {
        throw new TypeError(`in6Addr: ${JSON.stringify(v)} is not an IPv6 address (groups of hex digits with one '::', as 2001:db8::1, ::ffff:192.0.2.1 or fe80::1%eth0; or 'any', 'loopback')`);
      }
      this.#b = b;
    } else if (isBytes(v)) {
      this.#b = exactBytes(v as Uint8Array, 16, 'in6Addr');
    } else {
      throw new TypeError(`in6Addr: expected a string, 16 bytes or an In6Addr, got ${describe(v)}`);
    }
    if (zone !== undefined) {
      if (typeof zone === 'number') {
        if (!Number.isInteger(zone) || zone < 0 || zone > 0xffffffff) throw new RangeError(`in6Addr: zone out of range [0, 0xffffffff]: ${zone}`);
        z = zone === 0 ? undefined : String(zone);
      } else if (typeof zone === 'string' && /^[^\s%/\0]{1,64}$/.test(zone)) {
        z = zone;
      } else {
        throw new TypeError(`in6Addr: zone must be an interface name or a number, got ${describe(zone)}`);
      }
    }
    this.#zone = z;
  }
  /** The 16 bytes in network byte order (a copy). */
  get bytes(): Buffer { return bufferFrom(this.#b); }
  /** The zone as written after '%' (an interface name or a number), or undefined. */
  get zone(): string | undefined { return this.#zone; }
  /** The zone's number when it is one ('fe80::1%2'), else undefined (none, or an interface name). */
  get scopeId(): number | undefined {
    const z = this.#zone;
    return z !== undefined && /^[0-9]{1,10}$/.test(z) && Number(z) <= 0xffffffff ? Number(z) : undefined;
  }
  /** Whether this is ::1. */
  get isLoopback(): boolean { return this.#b.readUInt32BE(12) === 1 && this.#b.subarray(0, 12).every((x) => x === 0); }
  /** Whether this is :: (in6addr_any). */
  get isAny(): boolean { return this.#b.every((x) => x === 0); }
  /** Whether this is in fe80::/10. */
  get isLinkLocal(): boolean { return this.#b[0] === 0xfe && (this.#b[1] & 0xc0) === 0x80; }
  /** Whether this is in ff00::/8. */
  get isMulticast(): boolean { return this.#b[0] === 0xff; }
  /** The IPv4 address of an IPv4-mapped address (::ffff:a.b.c.d), else undefined. */
  get mapped(): InAddr | undefined {
    const b = this.#b;
    for (let i = 0; i < 10; i++) if (b[i] !== 0) return undefined;
    return b[10] === 0xff && b[11] === 0xff ? new InAddr(b.subarray(12)) : undefined;
  }
  /** The same address without its zone. */
  withoutZone(): In6Addr {
    return this.#zone === undefined ? this : new In6Addr(this.#b);
  }
  equals(other: unknown): boolean {
    return other instanceof In6Addr && other.#b.equals(this.#b) && other.#zone === this.#zone;
  }
  toString(): string { return this.#zone === undefined ? format6(this.#b) : `${format6(this.#b)}%${this.#zone}`; }
  toJSON(): string { return this.toString(); }
  [INSPECT](): string { return `In6Addr(${this.toString()})`; }
  static {
    in6Bytes = (a) => a.#b;
  }
}

/**
 * An IPv6 address from text ('::1', '2001:db8::1', '::ffff:192.0.2.1', 'fe80::1%eth0'), 'any', 'loopback' or
 * 16 bytes; `zone` sets the zone (an interface name or a scope id).
 *
 * A string that is not an IPv6 address is a TypeError that names it.
 *
 * @example
 * ```ts
 * in6Addr('0:0:0:0:0:0:0:1').toString(); // '::1'
 * in6Addr('fe80::1', 'lo').toString(); // 'fe80::1%lo'
 * in6Addr('::ffff:192.0.2.1').mapped?.toString(); // '192.0.2.1'
 * ```
 * @see https://man7.org/linux/man-pages/man3/inet_pton.3.html
 */
export function in6Addr(v: In6AddrLike, zone?: string | number): In6Addr {
  return v instanceof In6Addr && zone === undefined ? v : new In6Addr(v, zone);
}

/** The library's own bytes of an address (not a copy): for the encoders in this folder. */
export const inAddrBytes = (a: InAddr): Buffer => in4Bytes(a);
export const in6AddrBytes = (a: In6Addr): Buffer => in6Bytes(a);
