// Socket addresses as types: one immutable class per address family (SockaddrIn, SockaddrIn6, SockaddrUn, SockaddrNl,
// SockaddrLl, SockaddrVm, SockaddrAlg, and SockaddrGeneric for any other family), made from friendly values by
// sockaddr() or from the kernel's bytes by decodeSockaddr(). Each holds the bytes the kernel takes (the host arch's
// struct sockaddr_*, laid out by codec.ts through the generated views) and their length, and prints itself in the
// usual notation. Family names resolve through the spec's AF constants.
import { abi } from '../core/abi.ts';
import { alloc, bufferFrom, copyBytes, describe, int, isBytes, lengthOf, path as checkPath, region } from '../core/args.ts';
import { constant } from '../core/flags.ts';
import { codecOf, type Family, type Value, type ValueOf } from './codec.ts';
import { ifIndex } from './ifindex.ts';
import { In6Addr, InAddr, in6Addr, in6AddrBytes, inAddr, inAddrBytes, type In6AddrLike, type InAddrLike } from './ip.ts';
import { MacAddr, macAddr, macAddrBytes, type MacAddrLike } from './mac.ts';

const { AF, VMADDR, ETH_P } = abi;
const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const host = codecOf(abi);
const { limits } = host;

// ---------------------------------------------------------------------------------------------------------------------
// Families

/** The families sockaddr() makes, by the AF constant each stands for. */
const FAMILIES: readonly (readonly [Family, number])[] = [
  ['inet', AF.INET], ['inet6', AF.INET6], ['unix', AF.UNIX], ['netlink', AF.NETLINK], ['packet', AF.PACKET],
  ['vsock', AF.VSOCK], ['alg', AF.ALG],
];
const FAMILY_LIST = FAMILIES.map(([f]) => f).join(', ');
const familyByAf = new Map<number, Family>(FAMILIES.map(([f, n]) => [n, f]));
const afByFamily = new Map<string, number>(FAMILIES);
/** AF values by upper-case name (INET, INET6, LOCAL, ROUTE, DECNET, ...). */
const afByName = new Map<string, number>(Object.entries(AF).map(([k, v]) => [k.toUpperCase(), Number(v)]));
/** AF_* names by value (the first of aliases: UNIX before LOCAL would be chosen by the table's order), lower case. */
const afNames = new Map<number, string>();
for (const [k, v] of Object.entries(AF)) if (!afNames.has(Number(v))) afNames.set(Number(v), k.toLowerCase());

/** A family argument: a name of the AF constants ('inet', 'AF_INET6', 'local'), or an AF value. */
function familyArg(f: unknown): Family {
  let n: number | undefined;
  if (typeof f === 'string') {
    const v = afByName.get(f.trim().toUpperCase().replace(/^[AP]F_/, ''));
    if (v === undefined) throw new TypeError(`sockaddr: unknown address family ${JSON.stringify(f)} (valid: ${FAMILY_LIST})`);
    n = v;
  } else if (typeof f === 'number' && Number.isInteger(f)) {
    n = f;
  } else {
    throw new TypeError(`sockaddr: the family must be a name (${FAMILY_LIST}) or an AF value, got ${describe(f)}`);
  }
  const family = familyByAf.get(n);
  if (!family) {
    throw new TypeError(`sockaddr: no address class for family ${JSON.stringify(f)} (AF ${n}; valid: ${FAMILY_LIST}); decodeSockaddr() keeps the bytes of any family`);
  }
  return family;
}

// ---------------------------------------------------------------------------------------------------------------------
// The classes

const TOKEN = Symbol('sockaddr');
let valueOf: (s: Sockaddr) => Value;
let bytesOf: (s: Sockaddr) => Buffer;

/** Text of a key for equality: the value's fields, byte strings in hex. */
function keyOf(v: Value): string {
  return JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && x.type === 'Buffer' && Array.isArray(x.data) ? bufferFrom(x.data).toString('hex') : x));
}

/**
 * A socket address, as the socket calls take and return it: the base of one class per address family (SockaddrIn,
 * SockaddrIn6, SockaddrUn, SockaddrNl, SockaddrLl, SockaddrVm, SockaddrAlg, SockaddrGeneric).
 *
 * Immutable. `family` is the family's name ('inet'), `af` its AF value; `bytes` is a copy of the kernel's bytes (the
 * arch's struct sockaddr_*) and `socklen` their length, as bind(2) and connect(2) take them. toString() gives the usual
 * notation, toJSON() the fields (which sockaddr() takes back), and util.inspect shows both the class and the notation.
 * Make one with sockaddr() or decodeSockaddr().
 *
 * @example
 * ```ts
 * const a: Sockaddr = sockaddr('inet6', '::1', 8080);
 * a.family; // 'inet6'
 * a.socklen; // 28
 * String(a); // '[::1]:8080'
 * ```
 * @see https://man7.org/linux/man-pages/man2/bind.2.html
 */
export abstract class Sockaddr {
  readonly #value: Value;
  readonly #bytes: Buffer;
  #key: string | undefined;
  /** Not for use: make addresses with sockaddr() or decodeSockaddr(). */
  constructor(token: symbol, ...internal: unknown[]) {
    if (token !== TOKEN) throw new TypeError('Sockaddr: make addresses with sockaddr() or decodeSockaddr()');
    this.#value = internal[0] as Value;
    this.#bytes = internal[1] as Buffer;
  }
  /** The family's name: 'inet', 'inet6', 'unix', 'netlink', 'packet', 'vsock', 'alg', or another AF name. */
  abstract get family(): string;
  /** The family's AF value (AF_INET: 2). */
  get af(): number {
    const v = this.#value;
    return v.family === 'other' ? v.af : afByFamily.get(v.family)!;
  }
  /** The kernel's bytes (a copy): the arch's struct sockaddr_*, `socklen` bytes long. */
  get bytes(): Buffer { return bufferFrom(this.#bytes); }
  /** The length the kernel takes with the bytes (socklen_t): for a unix address, the family and the path with its NUL. */
  get socklen(): number { return this.#bytes.length; }
  /** Whether `other` is the same address (the same family and fields; the bytes may differ in what the kernel ignores). */
  equals(other: unknown): boolean {
    if (!(other instanceof Sockaddr)) return false;
    this.#key ??= keyOf(this.#value);
    other.#key ??= keyOf(other.#value);
    return this.#key === other.#key;
  }
  /** The usual notation: '127.0.0.1:8080', '[::1]:8080', '/run/x.sock', '@name'. */
  abstract toString(): string;
  /** The fields, as sockaddr() takes them back. */
  abstract toJSON(): SockaddrJSON;
  [INSPECT](): string {
    return `${this.constructor.name}(${this.toString()})`;
  }
  static {
    valueOf = (s) => s.#value;
    bytesOf = (s) => s.#bytes;
  }
}

const val = <F extends Value['family']>(s: Sockaddr) => valueOf(s) as ValueOf<F>;

/**
 * An IPv4 socket address (struct sockaddr_in): an address and a port, printed as '127.0.0.1:8080'.
 *
 * @example
 * ```ts
 * const a = sockaddr('inet', '127.0.0.1', 8080);
 * a.addr; // InAddr(127.0.0.1)
 * a.port; // 8080
 * a.toJSON(); // { family: 'inet', addr: '127.0.0.1', port: 8080 }
 * ```
 * @see https://man7.org/linux/man-pages/man7/ip.7.html
 */
export class SockaddrIn extends Sockaddr {
  get family(): 'inet' { return 'inet'; }
  get addr(): InAddr { return new InAddr(val<'inet'>(this).addr); }
  get port(): number { return val<'inet'>(this).port; }
  toString(): string { return `${this.addr}:${this.port}`; }
  toJSON(): { family: 'inet'; addr: string; port: number } {
    return { family: 'inet', addr: this.addr.toString(), port: this.port };
  }
}

/**
 * An IPv6 socket address (struct sockaddr_in6): an address, a port, a flow label and a scope id (the interface of
 * a link-local address), printed as '[::1]:8080' or '[fe80::1%2]:8080'.
 *
 * @example
 * ```ts
 * const a = sockaddr('inet6', 'fe80::1', 53, { scopeId: 2 });
 * a.toString(); // '[fe80::1%2]:53'
 * a.scopeId; // 2
 * ```
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 */
export class SockaddrIn6 extends Sockaddr {
  get family(): 'inet6' { return 'inet6'; }
  /** The address, without a zone (the scope id is its own field). */
  get addr(): In6Addr { return new In6Addr(val<'inet6'>(this).addr); }
  get port(): number { return val<'inet6'>(this).port; }
  /** sin6_flowinfo, in host order: the traffic class and flow label as the kernel reads them. */
  get flowinfo(): number { return val<'inet6'>(this).flowinfo; }
  /** sin6_scope_id: the index of the interface a link-local address is on (0: none). */
  get scopeId(): number { return val<'inet6'>(this).scopeId; }
  toString(): string {
    const id = this.scopeId;
    return `[${this.addr}${id ? `%${id}` : ''}]:${this.port}`;
  }
  toJSON(): { family: 'inet6'; addr: string; port: number; flowinfo: number; scopeId: number } {
    return { family: 'inet6', addr: this.addr.toString(), port: this.port, flowinfo: this.flowinfo, scopeId: this.scopeId };
  }
}

/**
 * A unix-domain socket address (struct sockaddr_un): a filesystem path ('/run/x.sock'), an abstract name (printed
 * '@name', made with `{ abstract: 'name' }`), or unnamed (printed '(unnamed)': a socket that was never bound).
 *
 * An abstract name may hold any bytes, NUL too: toString() prints each NUL as '@', as ss(8) does; `name` has the
 * bytes. `socklen` is what the kernel takes: the family and the path with its NUL, the family, a NUL and the
 * abstract name (no NUL after it), or the family alone.
 *
 * @example
 * ```ts
 * sockaddr('unix', '/run/x.sock').path; // '/run/x.sock'
 * sockaddr('unix', { abstract: 'my-service' }).toString(); // '@my-service'
 * sockaddr('unix').kind; // 'unnamed'
 * ```
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 */
export class SockaddrUn extends Sockaddr {
  get family(): 'unix' { return 'unix'; }
  /** 'path', 'abstract' or 'unnamed'. */
  get kind(): 'path' | 'abstract' | 'unnamed' { return val<'unix'>(this).kind; }
  /** The filesystem path, or undefined when the address has none. */
  get path(): string | undefined {
    const v = val<'unix'>(this);
    return v.kind === 'path' ? v.name.toString('utf8') : undefined;
  }
  /** The abstract name (without its leading NUL), or undefined when the address is not abstract. */
  get abstract(): string | undefined {
    const v = val<'unix'>(this);
    return v.kind === 'abstract' ? v.name.toString('utf8') : undefined;
  }
  /** The bytes of the path or the abstract name (a copy; empty for an unnamed address). */
  get name(): Buffer { return bufferFrom(val<'unix'>(this).name); }
  toString(): string {
    const v = val<'unix'>(this);
    if (v.kind === 'path') return v.name.toString('utf8');
    if (v.kind === 'abstract') return `@${v.name.toString('utf8').replace(/\0/g, '@')}`;
    return '(unnamed)';
  }
  [INSPECT](): string {
    return this.kind === 'unnamed' ? 'SockaddrUn(unnamed)' : `SockaddrUn(${this.toString()})`;
  }
  toJSON(): { family: 'unix'; path?: string; abstract?: string } {
    const v = val<'unix'>(this);
    if (v.kind === 'path') return { family: 'unix', path: this.path };
    if (v.kind === 'abstract') return { family: 'unix', abstract: this.abstract };
    return { family: 'unix' };
  }
}

/**
 * A netlink socket address (struct sockaddr_nl): a port id (`pid`: 0 is the kernel, or "assign one" in bind) and a
 * bit mask of multicast groups, printed as 'netlink:1234' or 'netlink:1234/0x1'.
 *
 * @example
 * ```ts
 * const a = sockaddr('netlink', { pid: 0, groups: 1 });
 * a.toString(); // 'netlink:0/0x1'
 * ```
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export class SockaddrNl extends Sockaddr {
  get family(): 'netlink' { return 'netlink'; }
  get pid(): number { return val<'netlink'>(this).pid; }
  get groups(): number { return val<'netlink'>(this).groups; }
  toString(): string {
    const g = this.groups;
    return `netlink:${this.pid}${g ? `/0x${g.toString(16)}` : ''}`;
  }
  toJSON(): { family: 'netlink'; pid: number; groups: number } {
    return { family: 'netlink', pid: this.pid, groups: this.groups };
  }
}

/**
 * A link-layer socket address (struct sockaddr_ll, of AF_PACKET sockets): an interface index, an Ethernet protocol
 * (ETH_P_*, in host order here), an ARP hardware type, a packet type and a hardware address, printed as
 * 'packet:<ifindex>/0x<protocol>[/<address>]' ('packet:2/0x0800/aa:bb:cc:dd:ee:ff').
 *
 * @example
 * ```ts
 * const a = sockaddr('packet', { ifindex: 1, protocol: 'ip', addr: '00:00:00:00:00:00' });
 * a.protocol; // 0x0800
 * a.toString(); // 'packet:1/0x0800/00:00:00:00:00:00'
 * ```
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export class SockaddrLl extends Sockaddr {
  get family(): 'packet' { return 'packet'; }
  get ifindex(): number { return val<'packet'>(this).ifindex; }
  /** sll_protocol in host order (ETH_P_IP is 0x0800). */
  get protocol(): number { return val<'packet'>(this).protocol; }
  /** sll_hatype: an ARPHRD_* value. */
  get hatype(): number { return val<'packet'>(this).hatype; }
  /** sll_pkttype: a PACKET_* packet type (PACKET_HOST, PACKET_BROADCAST, ...). */
  get pkttype(): number { return val<'packet'>(this).pkttype; }
  /** The hardware address (sll_halen bytes of sll_addr). */
  get addr(): MacAddr { return new MacAddr(val<'packet'>(this).addr); }
  toString(): string {
    const a = this.addr;
    return `packet:${this.ifindex}/0x${this.protocol.toString(16).padStart(4, '0')}${a.length ? `/${a}` : ''}`;
  }
  toJSON(): { family: 'packet'; ifindex: number; protocol: number; hatype: number; pkttype: number; addr: string } {
    return { family: 'packet', ifindex: this.ifindex, protocol: this.protocol, hatype: this.hatype, pkttype: this.pkttype, addr: this.addr.toString() };
  }
}

/**
 * A vsock socket address (struct sockaddr_vm): a context id (cid) and a port, printed as 'vsock:<cid>:<port>',
 * with 'any' for VMADDR_CID_ANY and VMADDR_PORT_ANY.
 *
 * @example
 * ```ts
 * sockaddr('vsock', 'host', 1234).toString(); // 'vsock:2:1234'
 * sockaddr('vsock', 'any', 'any').cid; // 0xffffffff
 * ```
 * @see https://man7.org/linux/man-pages/man7/vsock.7.html
 */
export class SockaddrVm extends Sockaddr {
  get family(): 'vsock' { return 'vsock'; }
  get cid(): number { return val<'vsock'>(this).cid; }
  get port(): number { return val<'vsock'>(this).port; }
  /** svm_flags (VMADDR_FLAG_TO_HOST; since Linux 5.10). */
  get flags(): number { return val<'vsock'>(this).flags; }
  toString(): string {
    const cid = this.cid === VMADDR.CID_ANY ? 'any' : String(this.cid);
    const port = this.port === VMADDR.PORT_ANY ? 'any' : String(this.port);
    return `vsock:${cid}:${port}`;
  }
  toJSON(): { family: 'vsock'; cid: number; port: number; flags: number } {
    return { family: 'vsock', cid: this.cid, port: this.port, flags: this.flags };
  }
}

/**
 * A kernel crypto API socket address (struct sockaddr_alg): an algorithm type ('hash', 'skcipher', 'aead', 'rng')
 * and name ('sha256', 'cbc(aes)'), printed as 'alg:hash:sha256'.
 *
 * @example
 * ```ts
 * const a = sockaddr('alg', { type: 'hash', name: 'sha256' });
 * a.toString(); // 'alg:hash:sha256'
 * ```
 * @see https://man7.org/linux/man-pages/man2/socket.2.html
 */
export class SockaddrAlg extends Sockaddr {
  get family(): 'alg' { return 'alg'; }
  get type(): string { return val<'alg'>(this).type.toString('utf8'); }
  get name(): string { return val<'alg'>(this).name.toString('utf8'); }
  get feat(): number { return val<'alg'>(this).feat; }
  get mask(): number { return val<'alg'>(this).mask; }
  toString(): string { return `alg:${this.type}:${this.name}`; }
  toJSON(): { family: 'alg'; type: string; name: string; feat: number; mask: number } {
    return { family: 'alg', type: this.type, name: this.name, feat: this.feat, mask: this.mask };
  }
}

/**
 * A socket address of a family without its own class here (AF_CAN, AF_BLUETOOTH, ...): its AF value and the bytes
 * after the family, kept as the kernel gave them; printed as '<family>:<hex bytes>' ('can:0100...').
 *
 * @example
 * ```ts
 * const s = new abi.Sockaddr(); // a struct sockaddr: sa_family in host byte order
 * s.sa_family = abi.AF.CAN;
 * const a = decodeSockaddr(s.$buffer);
 * a instanceof SockaddrGeneric; // true
 * a?.family; // 'can'
 * ```
 * @see https://man7.org/linux/man-pages/man2/getsockname.2.html
 */
export class SockaddrGeneric extends Sockaddr {
  /** The AF constant's name in lower case ('can'), or 'af<N>' for a value the spec does not name. */
  get family(): string {
    const af = val<'other'>(this).af;
    return afNames.get(af) ?? `af${af}`;
  }
  /** The bytes after the family (a copy). */
  get data(): Buffer { return bufferFrom(val<'other'>(this).bytes.subarray(2)); }
  toString(): string { return `${this.family}:${this.data.toString('hex')}`; }
  toJSON(): { family: string; af: number; data: string } {
    return { family: this.family, af: this.af, data: this.data.toString('hex') };
  }
}

/** What toJSON() gives, by family. */
export type SockaddrJSON = ReturnType<
  (SockaddrIn | SockaddrIn6 | SockaddrUn | SockaddrNl | SockaddrLl | SockaddrVm | SockaddrAlg | SockaddrGeneric)['toJSON']
>;

/** The class of each family sockaddr() makes. */
export interface SockaddrClasses {
  inet: SockaddrIn;
  inet6: SockaddrIn6;
  unix: SockaddrUn;
  netlink: SockaddrNl;
  packet: SockaddrLl;
  vsock: SockaddrVm;
  alg: SockaddrAlg;
}

const CLASSES: { readonly [F in Value['family']]: new (t: symbol, v: Value, b: Buffer) => Sockaddr } = {
  inet: SockaddrIn, inet6: SockaddrIn6, unix: SockaddrUn, netlink: SockaddrNl, packet: SockaddrLl, vsock: SockaddrVm,
  alg: SockaddrAlg, other: SockaddrGeneric,
};

/** The address of a value, with the kernel's bytes as given (decoded) or as the host lays the value out. */
function make(v: Value, bytes?: Buffer): Sockaddr {
  return new CLASSES[v.family](TOKEN, v, bytes ?? host.encode(v));
}

// ---------------------------------------------------------------------------------------------------------------------
// Arguments

/** Options of an IPv6 address. */
export interface Inet6Options {
  /** sin6_flowinfo in host order (traffic class and flow label); default 0. */
  flowinfo?: number;
  /** The interface of a link-local address: its index, or its name ('eth0'); default: the address's zone, or 0. */
  scopeId?: number | string;
}
/** The name in a unix address: a path (a string, a Buffer, a file: URL), or `{ abstract: name }`. */
export type UnixName = string | Uint8Array | URL | { abstract: string | Uint8Array };
/** Options of a netlink address. */
export interface NetlinkOptions {
  /** nl_pid: the socket's port id (0: the kernel; in bind, "assign one"). */
  pid?: number;
  /** nl_groups: a bit mask of multicast groups (the first 32). */
  groups?: number;
}
/** Options of a link-layer address. */
export interface PacketOptions {
  /** The interface: its index, or its name ('eth0'); default 0 (any). */
  ifindex?: number | string;
  /** The Ethernet protocol: a number in host order (0x0800) or an ETH_P name ('ip', 'ipv6', 'all', 'arp'); default 0. */
  protocol?: number | string;
  /** An ARPHRD_* value; default 0. */
  hatype?: number;
  /** A PACKET_* packet type; default 0 (PACKET_HOST). */
  pkttype?: number;
  /** The hardware address; default none. */
  addr?: MacAddrLike;
}
/** A vsock context id: a number, or 'any', 'hypervisor', 'local', 'host' (VMADDR_CID_*). */
export type VsockCid = number | 'any' | 'hypervisor' | 'local' | 'host';
/** Options of a kernel crypto API address. */
export interface AlgOptions {
  /** The algorithm type: 'hash', 'skcipher', 'aead', 'rng', ... */
  type: string;
  /** The algorithm: 'sha256', 'hmac(sha256)', 'cbc(aes)', ... */
  name: string;
  feat?: number;
  mask?: number;
}

/** An address as an object: what toJSON() gives, with the options sockaddr() takes. */
export type SockaddrInit =
  | { family: 'inet'; addr?: InAddrLike; port?: number }
  | ({ family: 'inet6'; addr?: In6AddrLike; port?: number } & Inet6Options)
  | { family: 'unix'; path?: string | Uint8Array | URL; abstract?: string | Uint8Array }
  | ({ family: 'netlink' } & NetlinkOptions)
  | ({ family: 'packet' } & PacketOptions)
  | { family: 'vsock'; cid?: VsockCid; port?: number | 'any'; flags?: number }
  | ({ family: 'alg' } & AlgOptions);

/** An address argument of the socket calls: an address, or an object sockaddr() takes. */
export type SockaddrLike = Sockaddr | SockaddrInit;

const u32 = (v: unknown, name: string) => int(v, `sockaddr: ${name}`, 0, 0xffffffff);
const u16 = (v: unknown, name: string) => int(v, `sockaddr: ${name}`, 0, 0xffff);
const u8 = (v: unknown, name: string) => int(v, `sockaddr: ${name}`, 0, 0xff);
const port = (v: unknown) => (v === undefined ? 0 : u16(v, 'port'));

/** An options object (undefined: none); each property is read once by the caller. */
function options(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || isBytes(v) || Array.isArray(v)) throw new TypeError(`sockaddr: ${what} must be an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

/** An interface: an index, or a name resolved in the calling thread's network namespace. */
const ifArg = (v: unknown, name: string) => (typeof v === 'string' ? ifIndex(v, `sockaddr: ${name}`) : int(v, `sockaddr: ${name}`, 0, 2 ** 31 - 1));

function inet(addr: unknown, p: unknown): ValueOf<'inet'> {
  let a: InAddr;
  if (addr === undefined) a = inAddr('any');
  else if (typeof addr === 'string' || typeof addr === 'number' || isBytes(addr) || addr instanceof InAddr) a = inAddr(addr as InAddrLike);
  else throw new TypeError(`sockaddr: an IPv4 address must be a string, a number, 4 bytes or an InAddr, got ${describe(addr)}`);
  return { family: 'inet', addr: inAddrBytes(a), port: port(p) };
}

function inet6(addr: unknown, p: unknown, opts: unknown): ValueOf<'inet6'> {
  let a: In6Addr;
  if (addr === undefined) a = in6Addr('any');
  else if (typeof addr === 'string' || isBytes(addr) || addr instanceof In6Addr) a = in6Addr(addr as In6AddrLike);
  else throw new TypeError(`sockaddr: an IPv6 address must be a string, 16 bytes or an In6Addr, got ${describe(addr)}`);
  const o = options(opts, 'the inet6 options');
  const flowinfo = o.flowinfo === undefined ? 0 : u32(o.flowinfo, 'flowinfo');
  const sid = o.scopeId;
  const zone = a.zone;
  const fromZone = zone === undefined ? 0 : a.scopeId ?? ifIndex(zone, 'sockaddr: zone');
  const scopeId = sid === undefined ? fromZone : ifArg(sid, 'scopeId');
  if (sid !== undefined && zone !== undefined && scopeId !== fromZone) {
    throw new TypeError(`sockaddr: the address's zone (%${zone}) and scopeId (${String(sid)}) disagree`);
  }
  return { family: 'inet6', addr: in6AddrBytes(a), port: port(p), flowinfo, scopeId };
}

const UNIX_MAX = limits.sunPathSize - 1;

function unix(name: unknown): ValueOf<'unix'> {
  if (name === undefined || name === null) return { family: 'unix', kind: 'unnamed', name: alloc(0) };
  if (typeof name === 'object' && !isBytes(name) && !(name instanceof URL)) {
    const o = name as Record<string, unknown>;
    const abs = o.abstract;
    let b: Buffer;
    if (typeof abs === 'string') b = bufferFrom(abs, 'utf8');
    else if (isBytes(abs)) b = copyBytes(abs);
    else throw new TypeError(`sockaddr: a unix name must be a path or { abstract: name }, got ${describe(name)} with abstract ${describe(abs)}`);
    if (b.length > UNIX_MAX) {
      throw new RangeError(`sockaddr: an abstract unix name has at most ${UNIX_MAX} bytes (sun_path holds ${limits.sunPathSize} with the leading NUL), got ${b.length}`);
    }
    return { family: 'unix', kind: 'abstract', name: b };
  }
  let p: string | Buffer;
  try {
    p = checkPath(name, 'sockaddr: unix path');
  } catch (e) {
    if (typeof name === 'string' && name.includes('\0')) {
      throw new TypeError(`sockaddr: a unix path must not contain NUL bytes; for an abstract name write { abstract: ${JSON.stringify(name.replace(/^\0/, ''))} }`);
    }
    throw e;
  }
  // a Buffer comes back NUL-terminated (the copy's own last byte, or the caller's)
  const b = typeof p === 'string' ? bufferFrom(p, 'utf8') : p.subarray(0, p.indexOf(0));
  if (b.length === 0) throw new TypeError(`sockaddr: an empty unix path (omit it for an unnamed address, or write { abstract: '' })`);
  if (b.length > UNIX_MAX) {
    throw new RangeError(`sockaddr: a unix path has at most ${UNIX_MAX} bytes (sun_path holds ${limits.sunPathSize} with the NUL), got ${b.length}: ${JSON.stringify(b.toString('utf8').slice(0, 40))}...`);
  }
  return { family: 'unix', kind: 'path', name: bufferFrom(b) };
}

function netlink(opts: unknown): ValueOf<'netlink'> {
  const o = options(opts, 'the netlink options');
  const pid = o.pid;
  const groups = o.groups;
  return { family: 'netlink', pid: pid === undefined ? 0 : u32(pid, 'pid'), groups: groups === undefined ? 0 : u32(groups, 'groups') };
}

function packet(opts: unknown): ValueOf<'packet'> {
  const o = options(opts, 'the packet options');
  const { ifindex, protocol, hatype, pkttype, addr } = o;
  let proto = 0;
  if (typeof protocol === 'string') proto = u16(constant(ETH_P as unknown as Record<string, number>, 'ETH_P', 'ETH_P_', protocol), 'protocol');
  else if (protocol !== undefined) proto = u16(protocol, 'protocol');
  let mac: MacAddr;
  if (addr === undefined) mac = macAddr('');
  else if (typeof addr === 'string' || isBytes(addr) || addr instanceof MacAddr) mac = macAddr(addr as MacAddrLike);
  else throw new TypeError(`sockaddr: a hardware address must be a string, bytes or a MacAddr, got ${describe(addr)}`);
  return {
    family: 'packet', protocol: proto, ifindex: ifindex === undefined ? 0 : ifArg(ifindex, 'ifindex'),
    hatype: hatype === undefined ? 0 : u16(hatype, 'hatype'), pkttype: pkttype === undefined ? 0 : u8(pkttype, 'pkttype'),
    addr: macAddrBytes(mac),
  };
}

const CIDS: Readonly<Record<string, number>> = {
  any: VMADDR.CID_ANY, hypervisor: VMADDR.CID_HYPERVISOR, local: VMADDR.CID_LOCAL, host: VMADDR.CID_HOST,
};

function vsock(cid: unknown, p: unknown, opts: unknown): ValueOf<'vsock'> {
  let c: number;
  if (typeof cid === 'string') {
    const n = CIDS[cid.trim().toLowerCase()];
    if (n === undefined) throw new TypeError(`sockaddr: unknown vsock cid ${JSON.stringify(cid)} (valid: a number, ${Object.keys(CIDS).join(', ')})`);
    c = n;
  } else c = u32(cid, 'cid');
  const pt = p === 'any' ? VMADDR.PORT_ANY : u32(p, 'port');
  const o = options(opts, 'the vsock options');
  return { family: 'vsock', cid: c, port: pt, flags: o.flags === undefined ? 0 : u8(o.flags, 'flags') };
}

/** A NUL-terminated name of a fixed field of `size` bytes. */
function cname(v: unknown, what: string, size: number): Buffer {
  if (typeof v !== 'string') throw new TypeError(`sockaddr: ${what} must be a string, got ${describe(v)}`);
  const b = bufferFrom(v, 'utf8');
  if (b.includes(0)) throw new TypeError(`sockaddr: ${what} must not contain NUL bytes: ${JSON.stringify(v)}`);
  if (b.length === 0) throw new TypeError(`sockaddr: ${what} must not be empty`);
  if (b.length >= size) throw new RangeError(`sockaddr: ${what} has at most ${size - 1} bytes (its field holds ${size} with the NUL), got ${b.length}`);
  return b;
}

function alg(opts: unknown): ValueOf<'alg'> {
  if (opts === undefined) throw new TypeError("sockaddr: an alg address needs { type, name } (as { type: 'hash', name: 'sha256' })");
  const o = options(opts, 'the alg options');
  const { type, name, feat, mask } = o;
  return {
    family: 'alg', type: cname(type, 'the alg type', limits.algTypeSize), name: cname(name, 'the alg name', limits.algNameSize),
    feat: feat === undefined ? 0 : u32(feat, 'feat'), mask: mask === undefined ? 0 : u32(mask, 'mask'),
  };
}

/** The value of an address given as an object ({ family: 'inet', addr, port }). */
function fromInit(init: Record<string, unknown>): Value {
  const family = familyArg(init.family);
  switch (family) {
    case 'inet': {
      const { addr, port: p } = init;
      return inet(addr, p);
    }
    case 'inet6': {
      const { addr, port: p, flowinfo, scopeId } = init;
      return inet6(addr, p, { flowinfo, scopeId });
    }
    case 'unix': {
      const { path, abstract } = init;
      if (path !== undefined && abstract !== undefined) throw new TypeError('sockaddr: a unix address has a path or an abstract name, not both');
      return unix(abstract !== undefined ? { abstract } : path);
    }
    case 'netlink':
      return netlink(init);
    case 'packet':
      return packet(init);
    case 'vsock': {
      const { cid, port: p, flags } = init;
      return vsock(cid === undefined ? 'any' : cid, p === undefined ? 'any' : p, { flags });
    }
    case 'alg':
      return alg(init);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// The calls

/**
 * A socket address from friendly values: an IPv4 or IPv6 address and port, a unix path or abstract name, a netlink
 * port id, a link-layer address, a vsock cid and port, a crypto API algorithm. The family is a name of the AF
 * constants ('inet', 'inet6', 'unix', 'netlink', 'packet', 'vsock', 'alg'; 'AF_INET', 'local' and AF values too).
 *
 * - `sockaddr('inet', addr = 'any', port = 0)`: addr as inAddr() takes it.
 * - `sockaddr('inet6', addr = 'any', port = 0, { flowinfo, scopeId })`: addr as in6Addr() takes it; a zone
 *   ('fe80::1%eth0') or a scopeId that names an interface is resolved to its index (SIOCGIFINDEX).
 * - `sockaddr('unix', path)`: a path of at most 107 bytes; `sockaddr('unix', { abstract: 'name' })`: an abstract name
 *   (printed '@name'; a path that starts with '@' is a path); `sockaddr('unix')`: unnamed (bind autobinds it).
 * - `sockaddr('netlink', { pid, groups })`, `sockaddr('packet', { ifindex, protocol, hatype, pkttype, addr })`,
 *   `sockaddr('vsock', cid, port, { flags })`, `sockaddr('alg', { type, name, feat, mask })`.
 * - `sockaddr({ family: 'inet', addr, port })`: the same as one object (what toJSON() gives); an address passes through.
 *
 * A port out of [0, 65535] or a path too long is a RangeError; text that is no address, an unknown family or an
 * argument of the wrong type is a TypeError that names it.
 *
 * @example
 * ```ts
 * sockaddr('inet', '127.0.0.1', 8080).toString(); // '127.0.0.1:8080'
 * sockaddr('inet6', '::1', 8080).toString(); // '[::1]:8080'
 * sockaddr('unix', '/run/x.sock').socklen; // 2 + 11 + 1
 * sockaddr('unix', { abstract: 'name' }).toString(); // '@name'
 * sockaddr('netlink', { pid: 0, groups: 0 });
 * sockaddr({ family: 'inet', addr: 'loopback', port: 53 }).port; // 53
 * ```
 * @see https://man7.org/linux/man-pages/man7/ip.7.html
 * @see https://man7.org/linux/man-pages/man7/unix.7.html
 */
export function sockaddr(family: 'inet', addr?: InAddrLike, port?: number): SockaddrIn;
export function sockaddr(family: 'inet6', addr?: In6AddrLike, port?: number, options?: Inet6Options): SockaddrIn6;
export function sockaddr(family: 'unix', name?: UnixName | null): SockaddrUn;
export function sockaddr(family: 'netlink', options?: NetlinkOptions): SockaddrNl;
export function sockaddr(family: 'packet', options?: PacketOptions): SockaddrLl;
export function sockaddr(family: 'vsock', cid: VsockCid, port: number | 'any', options?: { flags?: number }): SockaddrVm;
export function sockaddr(family: 'alg', options: AlgOptions): SockaddrAlg;
export function sockaddr<T extends Sockaddr>(address: T): T;
export function sockaddr<I extends SockaddrInit>(init: I): SockaddrClasses[I['family']];
export function sockaddr(family: string | number | SockaddrLike, ...args: unknown[]): Sockaddr;
export function sockaddr(family: unknown, ...args: unknown[]): Sockaddr {
  if (family instanceof Sockaddr) return family;
  if (typeof family === 'object' && family !== null && !isBytes(family)) return make(fromInit(family as Record<string, unknown>));
  const [a, b, c] = args;
  const f = familyArg(family);
  switch (f) {
    case 'inet': return make(inet(a, b));
    case 'inet6': return make(inet6(a, b, c));
    case 'unix': return make(unix(a));
    case 'netlink': return make(netlink(a));
    case 'packet': return make(packet(a));
    case 'vsock':
      if (a === undefined || b === undefined) throw new TypeError("sockaddr: a vsock address needs a cid and a port (as sockaddr('vsock', 'host', 1234))");
      return make(vsock(a, b, c));
    case 'alg': return make(alg(a));
  }
}

/**
 * The address the kernel wrote into `buf` (accept, recvfrom, getsockname, getpeername): `len` bytes, the socklen the
 * kernel returned (default: the whole buffer). Decoded by the family in its first 2 bytes (host byte order) to the
 * family's class; a family without one gives a SockaddrGeneric that keeps the bytes. null when `len` is 0 (the kernel
 * gave no address: recvfrom on a connected stream socket, a datagram from an unbound unix socket).
 *
 * The address is a copy: the buffer may be reused. A `len` beyond the buffer (the kernel says how long the address
 * was even when it did not fit) is a RangeError: pass a larger buffer (128 bytes, sockaddr_storage, fit any).
 *
 * @example
 * ```ts
 * const buf = sockaddr('inet', '10.0.0.1', 80).bytes;
 * const a = decodeSockaddr(buf, buf.length);
 * a instanceof SockaddrIn; // true
 * a?.toString(); // '10.0.0.1:80'
 * ```
 * @see https://man7.org/linux/man-pages/man2/getsockname.2.html
 */
export function decodeSockaddr(buf: Uint8Array, len?: number): Sockaddr | null {
  if (!isBytes(buf)) throw new TypeError(`decodeSockaddr: buf must be a Buffer or a typed array, got ${describe(buf)}`);
  const size = lengthOf(buf);
  const n = len === undefined ? size : int(len, 'decodeSockaddr: len', 0, 2 ** 31 - 1);
  if (n > size) {
    throw new RangeError(`decodeSockaddr: the address has ${n} bytes, the buffer ${size}: it was cut short (pass a buffer of ${limits.storageSize} bytes, sockaddr_storage)`);
  }
  const bytes = copyBytes(region(buf, 'decodeSockaddr: buf', 0, n));
  const v = host.decode(bytes, n);
  return v === null ? null : make(v, bytes);
}

// ---------------------------------------------------------------------------------------------------------------------
// For the socket calls (not exported by index.ts)

/**
 * The library's own bytes of an address argument (a Sockaddr, or an object sockaddr() takes) and their length, for
 * the calls that hand one to the kernel (bind, connect, sendto, sendmsg). No caller holds this memory.
 */
export function sockaddrArg(v: unknown, name = 'addr'): { mem: Buffer; len: number } {
  let s: Sockaddr;
  if (v instanceof Sockaddr) s = v;
  else if (typeof v === 'object' && v !== null && !isBytes(v)) s = sockaddr(v as SockaddrInit);
  else throw new TypeError(`${name} must be a socket address (sockaddr()) or an object such as { family: 'inet', addr, port }, got ${describe(v)}`);
  const mem = bytesOf(s);
  return { mem, len: mem.length };
}

/** Room for an address the kernel returns (sockaddr_storage) and its socklen_t in/out, for accept, getsockname, ... */
export interface SockaddrOut {
  readonly buf: Buffer;
  readonly len: Uint32Array;
}

/** A fresh SockaddrOut: a sockaddr_storage-sized buffer, its length preset in `len[0]`. */
export function sockaddrOut(): SockaddrOut {
  const buf = alloc(limits.storageSize);
  return { buf, len: Uint32Array.of(limits.storageSize) };
}

/** The address the kernel wrote into a SockaddrOut (null when it wrote none). */
export function fromSockaddrOut(o: SockaddrOut): Sockaddr | null {
  return decodeSockaddr(o.buf, o.len[0]);
}

/** The value behind an address (tests: to encode it for another arch). */
export function sockaddrValue(s: Sockaddr): Value {
  return valueOf(s);
}
