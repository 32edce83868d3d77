// The kernel's bytes of each socket address, for any arch of the spec: encode() lays a value out as the arch's struct
// sockaddr_* through the generated views, decode() reads what the kernel returned. No offset is written here: the
// views place every member, the arch's byte order (words.ts) says how its integers lie; ports, IPv4 and IPv6
// addresses, the IPv6 flow label and the link-layer protocol are in network byte order, as the kernel's __be16/__be32
// members are, and sa_family and the rest in the arch's own. Not part of the public API (the classes of addr.ts are):
// tests encode and decode with it for every arch.
import type { ArchAbi } from '../core/abi.ts';
import { alloc, bufferFrom, max, min } from '../core/args.ts';
import { viewMemory, type View } from '../core/view.ts';
import { wordsOf } from '../core/words.ts';

/** An address as the classes hold it: the fields of its struct, integers in host order, byte strings as bytes. */
export type Value =
  | { family: 'inet'; addr: Buffer; port: number }
  | { family: 'inet6'; addr: Buffer; port: number; flowinfo: number; scopeId: number }
  | { family: 'unix'; kind: 'path' | 'abstract' | 'unnamed'; name: Buffer }
  | { family: 'netlink'; pid: number; groups: number }
  | { family: 'packet'; protocol: number; ifindex: number; hatype: number; pkttype: number; addr: Buffer }
  | { family: 'vsock'; cid: number; port: number; flags: number }
  | { family: 'alg'; type: Buffer; name: Buffer; feat: number; mask: number }
  | { family: 'other'; af: number; bytes: Buffer };

export type Family = Exclude<Value['family'], 'other'>;
export type ValueOf<F extends Value['family']> = Extract<Value, { family: F }>;

/** The sizes and places an arch's structs give the variable-length members, read from its views. */
export interface Limits {
  /** offsetof(struct sockaddr_un, sun_path): an unnamed unix address is this long. */
  readonly sunPathOffset: number;
  /** sizeof(sun_path): 108. A path has at most one byte less (its NUL), an abstract name too (its leading NUL). */
  readonly sunPathSize: number;
  /** offsetof(struct sockaddr_ll, sll_addr) and sizeof(sll_addr) (8: longer addresses run past the struct). */
  readonly llAddrOffset: number;
  readonly llAddrSize: number;
  /** sizeof(salg_type) and sizeof(salg_name), each with its NUL. */
  readonly algTypeSize: number;
  readonly algNameSize: number;
  /** sizeof(struct __kernel_sockaddr_storage): what any address fits in (128). */
  readonly storageSize: number;
}

export interface Codec {
  readonly limits: Limits;
  /** The address's bytes as the kernel takes them: exactly socklen bytes. */
  encode(v: Value): Buffer;
  /** The value of `len` bytes of a sockaddr the kernel wrote (null when it wrote none: len 0). */
  decode(bytes: Uint8Array, len: number): Value | null;
}

const codecs = new WeakMap<ArchAbi, Codec>();

/** Where a byte-array member starts in its struct: its view's offset from the struct's first byte. */
const offsetIn = (member: Uint8Array, v: View) => member.byteOffset - viewMemory(v).byteOffset;

/** The bytes of a NUL-terminated field up to its first NUL (all of it when there is none). */
function cstr(b: Uint8Array): Buffer {
  const nul = b.indexOf(0);
  return bufferFrom(nul < 0 ? b : b.subarray(0, nul));
}

const swap16 = (v: number) => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
const swap32 = (v: number) => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | ((v >>> 24) & 0xff)) >>> 0;
const same = (v: number) => v >>> 0;

/** The encoder and decoder of arch `a` (any arch of the spec, not only the host). */
export function codecOf(a: ArchAbi): Codec {
  let c = codecs.get(a);
  if (!c) {
    c = makeCodec(a);
    codecs.set(a, c);
  }
  return c;
}

function makeCodec(a: ArchAbi): Codec {
  const { AF } = a;
  // a __be16/__be32 member read or written through an accessor in the arch's order: htons/htonl and back
  const le = wordsOf(a).littleEndian;
  const be16 = le ? swap16 : same;
  const be32 = le ? swap32 : same;
  const un = new a.SockaddrUn();
  const ll = new a.SockaddrLl();
  const alg = new a.SockaddrAlg();
  const limits: Limits = {
    sunPathOffset: offsetIn(un.sun_path, un),
    sunPathSize: un.sun_path.length,
    llAddrOffset: offsetIn(ll.sll_addr, ll),
    llAddrSize: ll.sll_addr.length,
    algTypeSize: alg.salg_type.length,
    algNameSize: alg.salg_name.length,
    storageSize: a.SockaddrStorage.size,
  };

  function encode(v: Value): Buffer {
    switch (v.family) {
      case 'inet': {
        const s = new a.SockaddrIn();
        s.sin_family = AF.INET;
        s.sin_port = be16(v.port);
        viewMemory(s.sin_addr).set(v.addr);
        return s.$buffer;
      }
      case 'inet6': {
        const s = new a.SockaddrIn6();
        s.sin6_family = AF.INET6;
        s.sin6_port = be16(v.port);
        s.sin6_flowinfo = be32(v.flowinfo);
        s.sin6_addr.in6_u.u6_addr8 = v.addr;
        s.sin6_scope_id = v.scopeId;
        return s.$buffer;
      }
      case 'unix': {
        const s = new a.SockaddrUn();
        s.sun_family = AF.UNIX;
        const off = limits.sunPathOffset;
        const path = viewMemory(s).subarray(off, off + limits.sunPathSize);
        // a path ends with its NUL (counted in the length, as glibc's SUN_LEN + 1 and the kernel's own addresses);
        // an abstract name starts with one and has none after it; an unnamed address is the family alone
        let len = off;
        if (v.kind === 'path') {
          path.set(v.name);
          len = off + v.name.length + 1;
        } else if (v.kind === 'abstract') {
          path.set(v.name, 1);
          len = off + 1 + v.name.length;
        }
        return s.$buffer.subarray(0, len);
      }
      case 'netlink': {
        const s = new a.SockaddrNl();
        s.nl_family = AF.NETLINK;
        s.nl_pid = v.pid;
        s.nl_groups = v.groups;
        return s.$buffer;
      }
      case 'packet': {
        // the whole struct (packet_bind wants sizeof(struct sockaddr_ll)), longer for an address past sll_addr's 8 bytes
        const size = a.SockaddrLl.size;
        const s = new a.SockaddrLl(alloc(max(size, limits.llAddrOffset + v.addr.length)));
        s.sll_family = AF.PACKET;
        s.sll_protocol = be16(v.protocol);
        s.sll_ifindex = v.ifindex;
        s.sll_hatype = v.hatype;
        s.sll_pkttype = v.pkttype;
        s.sll_halen = v.addr.length;
        viewMemory(s).set(v.addr, limits.llAddrOffset);
        return s.$buffer;
      }
      case 'vsock': {
        const s = new a.SockaddrVm();
        s.svm_family = AF.VSOCK;
        s.svm_port = v.port;
        s.svm_cid = v.cid;
        s.svm_flags = v.flags;
        return s.$buffer;
      }
      case 'alg': {
        const s = new a.SockaddrAlg();
        s.salg_family = AF.ALG;
        s.salg_type = v.type;
        s.salg_feat = v.feat;
        s.salg_mask = v.mask;
        s.salg_name = v.name;
        return s.$buffer;
      }
      case 'other':
        return bufferFrom(v.bytes);
    }
  }

  function decode(bytes: Uint8Array, len: number): Value | null {
    if (len === 0) return null;
    if (len < 2) throw new RangeError(`decodeSockaddr: ${len} byte is too short for an address (its family takes 2)`);
    // the struct zero-filled past what the kernel wrote (a netlink or packet address may be shorter than its struct)
    const b = alloc(max(len, limits.storageSize));
    b.set(bytes.subarray(0, len));
    const family = new a.SockaddrStorage(b).ss_family;
    if (family === AF.INET) {
      const s = new a.SockaddrIn(b);
      return { family: 'inet', addr: bufferFrom(viewMemory(s.sin_addr).subarray(0, a.InAddr.size)), port: be16(s.sin_port) };
    }
    if (family === AF.INET6) {
      const s = new a.SockaddrIn6(b);
      return {
        family: 'inet6', addr: bufferFrom(s.sin6_addr.in6_u.u6_addr8), port: be16(s.sin6_port), flowinfo: be32(s.sin6_flowinfo),
        scopeId: s.sin6_scope_id,
      };
    }
    if (family === AF.UNIX) {
      const off = limits.sunPathOffset;
      if (len <= off) return { family: 'unix', kind: 'unnamed', name: alloc(0) };
      const path = b.subarray(off, len);
      if (path[0] === 0) return { family: 'unix', kind: 'abstract', name: bufferFrom(path.subarray(1)) };
      return { family: 'unix', kind: 'path', name: cstr(path) };
    }
    if (family === AF.NETLINK) {
      const s = new a.SockaddrNl(b);
      return { family: 'netlink', pid: s.nl_pid, groups: s.nl_groups };
    }
    if (family === AF.PACKET) {
      const s = new a.SockaddrLl(b);
      // sll_halen bytes from sll_addr, as far as the kernel wrote them (an InfiniBand address runs past the struct)
      const n = min(s.sll_halen, max(0, len - limits.llAddrOffset));
      return {
        family: 'packet', protocol: be16(s.sll_protocol), ifindex: s.sll_ifindex, hatype: s.sll_hatype, pkttype: s.sll_pkttype,
        addr: bufferFrom(b.subarray(limits.llAddrOffset, limits.llAddrOffset + n)),
      };
    }
    if (family === AF.VSOCK) {
      const s = new a.SockaddrVm(b);
      return { family: 'vsock', cid: s.svm_cid, port: s.svm_port, flags: s.svm_flags };
    }
    if (family === AF.ALG) {
      const s = new a.SockaddrAlg(b);
      const nameOff = offsetIn(s.salg_name, s);
      // struct sockaddr_alg_new: a name longer than salg_name runs to the end of the address
      return {
        family: 'alg', type: cstr(s.salg_type), name: cstr(b.subarray(nameOff, max(len, a.SockaddrAlg.size))), feat: s.salg_feat,
        mask: s.salg_mask,
      };
    }
    return { family: 'other', af: family, bytes: bufferFrom(bytes.subarray(0, len)) };
  }

  return { limits, encode, decode };
}
