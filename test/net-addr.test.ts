// Socket addresses (src/net/): IP and hardware addresses parsed and printed, each family's kernel bytes checked field by
// field against the spec's layouts (for the host, and encoded for every arch of the spec, big-endian ones too), decoded
// back, bad input refused with a clear error; and real kernel round trips: bind, then getsockname, then decode.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { SocketAddress } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { randomBytes } from 'node:crypto';
import {
  sockaddr, decodeSockaddr, Sockaddr, SockaddrIn, SockaddrIn6, SockaddrUn, SockaddrNl, SockaddrLl, SockaddrVm, SockaddrAlg,
  SockaddrGeneric, InAddr, In6Addr, inAddr, in6Addr, MacAddr, macAddr,
} from '../src/net/index.ts';
import { codecOf, type Value } from '../src/net/codec.ts';
import { sockaddrArg, sockaddrOut, fromSockaddrOut, sockaddrValue } from '../src/net/addr.ts';
import { ifIndex } from '../src/net/ifindex.ts';
import { abi, raw } from '../src/core/abi.ts';
import { SyscallError } from '../src/core/errors.ts';
import { loadArch, ARCH_NAMES } from '../src/generated/index.ts';
import { skip } from './skips.ts';

const { AF, SOCK, ARPHRD, VMADDR, ETH_P, NETLINK } = abi;
const LE = abi.arch.endian === 'little';

// ---------------------------------------------------------------------------------------------------------------------
// IPv4 and IPv6 addresses

test('IPv4: dotted decimal and names round trip; bytes in network order; host-order numbers', (t) => {
  for (const s of ['0.0.0.0', '127.0.0.1', '192.0.2.255', '255.255.255.255', '10.1.20.200']) {
    const a = inAddr(s);
    t.is(a.toString(), s);
    t.is(a.toJSON(), s);
    t.true(inAddr(a.bytes).equals(a));
    t.is(inAddr(a.toNumber()).toString(), s);
  }
  t.deepEqual([...inAddr('192.0.2.1').bytes], [192, 0, 2, 1]);
  t.is(inAddr('192.0.2.1').toNumber(), 0xc0000201);
  t.is(inAddr('loopback').toString(), '127.0.0.1');
  t.is(inAddr('LOOPBACK').toNumber(), abi.INADDR.LOOPBACK);
  t.is(inAddr('any').toString(), '0.0.0.0');
  t.is(inAddr('broadcast').toString(), '255.255.255.255');
  t.is(inAddr(' 10.0.0.1 ').toString(), '10.0.0.1');
  t.true(inAddr('127.3.2.1').isLoopback);
  t.true(inAddr('any').isAny);
  t.true(inAddr('224.0.0.1').isMulticast);
  t.false(inAddr('10.0.0.1').isMulticast);
  t.is(inAddr('192.0.2.1').toMapped().toString(), '::ffff:192.0.2.1');
  t.true(new InAddr('1.2.3.4').equals(inAddr('1.2.3.4')));
  t.false(inAddr('1.2.3.4').equals(inAddr('1.2.3.5')));
  t.false(inAddr('1.2.3.4').equals('1.2.3.4'));
  const a = inAddr('1.2.3.4');
  t.is(inAddr(a), a);
  // bytes is a copy: changing it changes nothing
  a.bytes.fill(0);
  t.is(a.toString(), '1.2.3.4');
});

test('IPv6: parsing every RFC 4291 text form, printing RFC 5952 canonical text', (t) => {
  const cases: [string, string][] = [
    // RFC 5952's own examples: leading zeros, lower case, the longest zero run, the first of two equal ones, no '::' for
    // a single zero group
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:DB8::0:1', '2001:db8::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['FE80::1', 'fe80::1'],
    ['ff02::0001:0002', 'ff02::1:2'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    // an IPv4 tail; mapped addresses print it dotted, others in hex
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::FFFF:0102:0304', '::ffff:1.2.3.4'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['any', '::'],
    ['loopback', '::1'],
    // a zone is kept as written
    ['fe80::1%lo', 'fe80::1%lo'],
    ['FE80:0:0:0:0:0:0:1%2', 'fe80::1%2'],
  ];
  for (const [text, canonical] of cases) {
    const a = in6Addr(text);
    t.is(a.toString(), canonical, text);
    t.is(a.toJSON(), canonical, text);
    // and the canonical text reads back as the same address
    t.true(in6Addr(canonical).equals(a), canonical);
  }
  t.deepEqual([...in6Addr('::1').bytes], [...Array(15).fill(0), 1]);
  t.deepEqual([...in6Addr('2001:db8::ff00:42:8329').bytes].slice(0, 4), [0x20, 0x01, 0x0d, 0xb8]);
  t.deepEqual([...in6Addr('::ffff:1.2.3.4').bytes].slice(10), [0xff, 0xff, 1, 2, 3, 4]);
  t.is(in6Addr('fe80::1%2').scopeId, 2);
  t.is(in6Addr('fe80::1%2').zone, '2');
  t.is(in6Addr('fe80::1%eth0').scopeId, undefined);
  t.is(in6Addr('fe80::1%eth0').zone, 'eth0');
  t.is(in6Addr('fe80::1', 'lo').toString(), 'fe80::1%lo');
  t.is(in6Addr('fe80::1', 3).toString(), 'fe80::1%3');
  t.is(in6Addr('fe80::1%lo').withoutZone().toString(), 'fe80::1');
  t.false(in6Addr('fe80::1%lo').equals(in6Addr('fe80::1')));
  t.true(in6Addr('::1').isLoopback);
  t.true(in6Addr('::').isAny);
  t.true(in6Addr('fe80::1').isLinkLocal);
  t.true(in6Addr('ff02::1').isMulticast);
  t.is(in6Addr('::ffff:10.0.0.1').mapped?.toString(), '10.0.0.1');
  t.is(in6Addr('::1').mapped, undefined);
  t.true(new In6Addr(in6Addr('2001:db8::1').bytes).equals(in6Addr('2001:db8::1')));
  // a zone given apart: it replaces the text's, 0 means none
  t.is(new In6Addr(in6Addr('fe80::1%lo')).toString(), 'fe80::1%lo');
  t.is(in6Addr('fe80::1%lo', 'eth0').toString(), 'fe80::1%eth0');
  t.is(in6Addr('fe80::1%lo', 0).zone, undefined);
  t.throws(() => in6Addr('fe80::1', -1), { instanceOf: RangeError, message: /zone out of range/ });
  t.throws(() => in6Addr('fe80::1', 'a b'), { instanceOf: TypeError, message: /zone must be an interface name or a number, got the string "a b"/ });
  t.throws(() => in6Addr('fe80::1', {} as never), { instanceOf: TypeError, message: /zone must be .* got an object/ });
});

test('IPv6: random addresses print as the C library\'s inet_ntop does (but for deprecated ::/96) and parse back', (t) => {
  // runs of zero groups in random places, where compression choices are made
  for (let i = 0; i < 2000; i++) {
    const b = randomBytes(16);
    for (let g = 0; g < 8; g++) if (Math.random() < 0.5) b.writeUInt16BE(0, 2 * g);
    const a = in6Addr(b);
    t.deepEqual(in6Addr(a.toString()).bytes, b);
    // inet_ntop writes IPv4-compatible addresses (::a.b.c.d, deprecated by RFC 4291) dotted: RFC 5952 keeps hex
    if (b.subarray(0, 12).every((x) => x === 0)) continue;
    const node = new SocketAddress({ address: a.toString(), family: 'ipv6' }).address;
    t.is(a.toString(), node);
  }
});

test('hardware addresses: colon and dash notation, any length up to MAX_ADDR_LEN', (t) => {
  const m = macAddr('AA-BB-CC-DD-EE-FF');
  t.is(m.toString(), 'aa:bb:cc:dd:ee:ff');
  t.is(m.length, 6);
  t.deepEqual([...m.bytes], [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
  t.true(macAddr('aa:bb:cc:dd:ee:ff').equals(m));
  t.true(macAddr('ff:ff:ff:ff:ff:ff').isBroadcast);
  t.true(macAddr('01:00:5e:00:00:01').isMulticast);
  t.false(macAddr('02:00:00:00:00:01').isMulticast);
  t.is(macAddr('').length, 0);
  t.is(macAddr(Buffer.alloc(20, 0x11)).toString(), Array(20).fill('11').join(':'));
  t.is(new MacAddr(m.bytes).toJSON(), 'aa:bb:cc:dd:ee:ff');
  t.true(new MacAddr(m).equals(m));
  t.is(macAddr(m), m);
  t.false(m.equals('aa:bb:cc:dd:ee:ff'));
  t.is(macAddr('aa:bb:cc:dd:ee').length, 5); // five octets are a hardware address too
  for (const bad of ['aa:bb:cc:dd:ee:fg', 'aa:bb-cc:dd:ee:ff', 'a:b:c:d:e:f', 'aabbccddeeff', 'aa:bb:', Array(33).fill('00').join(':')]) {
    t.throws(() => macAddr(bad), { instanceOf: TypeError, message: new RegExp(`"${bad}" is not a hardware address`) });
  }
  t.throws(() => macAddr(Buffer.alloc(33)), { instanceOf: RangeError, message: /at most 32 bytes/ });
  t.throws(() => macAddr(42 as never), { instanceOf: TypeError, message: /got number 42/ });
});

test('bad IP text is a TypeError that names the string', (t) => {
  for (const bad of ['300.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-4', '1..2.3', '', 'localhost', '0x7f.0.0.1', '1.2.3.4 5']) {
    t.throws(() => inAddr(bad), { instanceOf: TypeError, message: new RegExp(`^inAddr: ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not an IPv4 address`) });
  }
  for (const bad of [':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', ':1::', '1:2:3:4:5:6:7', '::1.2.3', '1.2.3.4::', '::g', '1:2:3:4:5:6:7:1.2.3.4', '']) {
    t.throws(() => in6Addr(bad), { instanceOf: TypeError, message: new RegExp(`^in6Addr: ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not an IPv6 address`) });
  }
  t.throws(() => in6Addr('fe80::1%'), { instanceOf: TypeError, message: /"fe80::1%" has an empty or malformed zone/ });
  t.throws(() => inAddr(2 ** 32), { instanceOf: RangeError, message: /0xffffffff/ });
  t.throws(() => inAddr(1.5), { instanceOf: TypeError, message: /integer/ });
  t.throws(() => inAddr(Buffer.alloc(5)), { instanceOf: TypeError, message: /4 bytes expected, got 5/ });
  t.throws(() => in6Addr(Buffer.alloc(4)), { instanceOf: TypeError, message: /16 bytes expected, got 4/ });
  t.throws(() => inAddr({} as never), { instanceOf: TypeError, message: /got an object/ });
  t.throws(() => in6Addr(null as never), { instanceOf: TypeError, message: /got null/ });
});

// ---------------------------------------------------------------------------------------------------------------------
// The kernel's bytes, field by field

type Layouts = Awaited<ReturnType<typeof abi.layouts>>;
let hostLayouts: Promise<Layouts> | undefined;
const layouts = () => (hostLayouts ??= abi.layouts());
const off = (L: Layouts, s: string, m: string) => L[s].members[m][0];
const rd16 = (b: Buffer, o: number, le = LE) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
const rd32 = (b: Buffer, o: number, le = LE) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));

test('inet: struct sockaddr_in with the port and address in network order, the family in host order', async (t) => {
  const L = await layouts();
  const a = sockaddr('inet', '127.0.0.1', 8080);
  t.true(a instanceof SockaddrIn);
  const b = a.bytes;
  t.is(a.socklen, abi.SockaddrIn.size);
  t.is(b.length, L.sockaddr_in.size);
  const v = new abi.SockaddrIn(b);
  t.is(v.sin_family, AF.INET);
  t.is(rd16(b, off(L, 'sockaddr_in', 'sin_family')), AF.INET);
  t.is(b.readUInt16BE(off(L, 'sockaddr_in', 'sin_port')), 8080);
  t.deepEqual([...b.subarray(off(L, 'sockaddr_in', 'sin_addr'), off(L, 'sockaddr_in', 'sin_addr') + 4)], [127, 0, 0, 1]);
  // the view's host-order accessor reads the network-order field swapped where the host is little-endian
  t.is(v.sin_port, LE ? 0x901f : 8080);
  t.is(v.sin_addr.s_addr, LE ? 0x0100007f : 0x7f000001);
  t.deepEqual([...v.__pad], Array(8).fill(0));
  t.is(a.port, 8080);
  t.is(a.addr.toString(), '127.0.0.1');
  t.is(a.family, 'inet');
  t.is(a.af, AF.INET);
  t.is(a.toString(), '127.0.0.1:8080');
  t.deepEqual(a.toJSON(), { family: 'inet', addr: '127.0.0.1', port: 8080 });
  t.is(sockaddr('inet').toString(), '0.0.0.0:0');
  t.is(sockaddr('inet', 'loopback', 53).toString(), '127.0.0.1:53');
  t.is(sockaddr('AF_INET', inAddr(0x0a000001), 1).toString(), '10.0.0.1:1');
  t.is((sockaddr(AF.INET, '1.2.3.4', 65535) as SockaddrIn).port, 65535);
});

test('inet6: struct sockaddr_in6 with port, flow info and address in network order, the scope id in host order', async (t) => {
  const L = await layouts();
  const a = sockaddr('inet6', '2001:db8::1', 443, { flowinfo: 0x000abcde, scopeId: 7 });
  t.true(a instanceof SockaddrIn6);
  const b = a.bytes;
  t.is(a.socklen, L.sockaddr_in6.size);
  t.is(rd16(b, off(L, 'sockaddr_in6', 'sin6_family')), AF.INET6);
  t.is(b.readUInt16BE(off(L, 'sockaddr_in6', 'sin6_port')), 443);
  t.is(b.readUInt32BE(off(L, 'sockaddr_in6', 'sin6_flowinfo')), 0x000abcde);
  const ao = off(L, 'sockaddr_in6', 'sin6_addr');
  t.deepEqual(b.subarray(ao, ao + 16), in6Addr('2001:db8::1').bytes);
  t.is(rd32(b, off(L, 'sockaddr_in6', 'sin6_scope_id')), 7);
  const v = new abi.SockaddrIn6(b);
  t.is(v.sin6_family, AF.INET6);
  t.is(v.sin6_scope_id, 7);
  t.deepEqual(v.sin6_addr.in6_u.u6_addr8, in6Addr('2001:db8::1').bytes);
  t.is(a.toString(), '[2001:db8::1%7]:443');
  t.deepEqual(a.toJSON(), { family: 'inet6', addr: '2001:db8::1', port: 443, flowinfo: 0xabcde, scopeId: 7 });
  t.is(sockaddr('inet6', '::1', 8080).toString(), '[::1]:8080');
  t.is(sockaddr('inet6').toString(), '[::]:0');
  t.is(sockaddr('inet6', '::ffff:1.2.3.4', 80).toString(), '[::ffff:1.2.3.4]:80');
  // a numeric zone is the scope id; an interface name is resolved in this network namespace
  t.is(sockaddr('inet6', 'fe80::1%3', 1).scopeId, 3);
  const lo = ifIndex('lo');
  t.true(lo > 0);
  t.is(sockaddr('inet6', 'fe80::1%lo', 1).scopeId, lo);
  t.is(sockaddr('inet6', 'fe80::1', 1, { scopeId: 'lo' }).scopeId, lo);
  t.is(sockaddr('inet6', 'fe80::1%lo', 1).addr.zone, undefined);
  t.throws(() => sockaddr('inet6', 'fe80::1%3', 1, { scopeId: 4 }), { instanceOf: TypeError, message: /zone \(%3\) and scopeId \(4\) disagree/ });
  const nodev = t.throws(() => sockaddr('inet6', 'fe80::1%nosuchif0', 1), { instanceOf: SyscallError });
  t.is(nodev?.code, 'ENODEV');
  t.is(nodev?.path, 'nosuchif0');
});

test('unix: a path with its NUL, an abstract name after a NUL and without one, an unnamed address of the family alone', async (t) => {
  const L = await layouts();
  const po = off(L, 'sockaddr_un', 'sun_path');
  const p = sockaddr('unix', '/run/x.sock');
  t.true(p instanceof SockaddrUn);
  t.is(p.kind, 'path');
  t.is(p.path, '/run/x.sock');
  t.is(p.abstract, undefined);
  t.is(p.socklen, po + 11 + 1);
  const pb = p.bytes;
  t.is(rd16(pb, off(L, 'sockaddr_un', 'sun_family')), AF.UNIX);
  t.is(pb.toString('utf8', po, po + 11), '/run/x.sock');
  t.is(pb[po + 11], 0);
  t.is(p.toString(), '/run/x.sock');
  t.deepEqual(p.toJSON(), { family: 'unix', path: '/run/x.sock' });

  const a = sockaddr('unix', { abstract: 'name' });
  t.is(a.kind, 'abstract');
  t.is(a.abstract, 'name');
  t.is(a.path, undefined);
  t.is(a.socklen, po + 1 + 4);
  t.is(a.bytes[po], 0);
  t.is(a.bytes.toString('utf8', po + 1), 'name');
  t.is(a.toString(), '@name');
  t.deepEqual(a.toJSON(), { family: 'unix', abstract: 'name' });
  // an abstract name may hold NULs (ss prints them as '@'), and is as long as its socklen says
  const z = sockaddr('unix', { abstract: Buffer.from('a\0b') });
  t.is(z.socklen, po + 4);
  t.is(z.toString(), '@a@b');
  t.deepEqual(z.name, Buffer.from('a\0b'));

  const u = sockaddr('unix');
  t.is(u.kind, 'unnamed');
  t.is(u.socklen, po);
  t.is(rd16(u.bytes, 0), AF.UNIX);
  t.is(u.toString(), '(unnamed)');
  t.deepEqual(u.toJSON(), { family: 'unix' });
  t.true(sockaddr('unix', null).equals(u));

  // a path that starts with '@' is a path; a Buffer and a file: URL are paths too
  t.is(sockaddr('unix', '@x').kind, 'path');
  t.is(sockaddr('unix', Buffer.from('/tmp/b.sock')).path, '/tmp/b.sock');
  t.is(sockaddr('unix', new URL('file:///tmp/u.sock')).path, '/tmp/u.sock');
  t.is((sockaddr('local', 'rel/ative') as SockaddrUn).path, 'rel/ative');
  // the longest path: 107 bytes and its NUL fill sun_path
  const long = `/${'x'.repeat(106)}`;
  const l = sockaddr('unix', long);
  t.is(l.socklen, L.sockaddr_un.size);
  t.is(l.path, long);
  t.is(sockaddr('unix', { abstract: 'y'.repeat(107) }).socklen, L.sockaddr_un.size);
});

test('netlink, packet, vsock and alg: their structs field by field', async (t) => {
  const L = await layouts();
  const n = sockaddr('netlink', { pid: 0x01020304, groups: 0x80000001 });
  t.true(n instanceof SockaddrNl);
  t.is(n.socklen, L.sockaddr_nl.size);
  t.is(rd16(n.bytes, off(L, 'sockaddr_nl', 'nl_family')), AF.NETLINK);
  t.is(rd32(n.bytes, off(L, 'sockaddr_nl', 'nl_pid')), 0x01020304);
  t.is(rd32(n.bytes, off(L, 'sockaddr_nl', 'nl_groups')), 0x80000001);
  t.is(n.toString(), 'netlink:16909060/0x80000001');
  t.deepEqual(n.toJSON(), { family: 'netlink', pid: 0x01020304, groups: 0x80000001 });
  t.is(sockaddr('netlink').toString(), 'netlink:0');
  t.is((sockaddr('route', { pid: 7 }) as SockaddrNl).pid, 7);

  const p = sockaddr('packet', { ifindex: 3, protocol: 'ipv6', hatype: ARPHRD.ETHER, pkttype: 2, addr: 'aa:bb:cc:dd:ee:ff' });
  t.true(p instanceof SockaddrLl);
  const pb = p.bytes;
  t.is(p.socklen, L.sockaddr_ll.size);
  t.is(rd16(pb, off(L, 'sockaddr_ll', 'sll_family')), AF.PACKET);
  t.is(pb.readUInt16BE(off(L, 'sockaddr_ll', 'sll_protocol')), 0x86dd);
  t.is(LE ? pb.readInt32LE(off(L, 'sockaddr_ll', 'sll_ifindex')) : pb.readInt32BE(off(L, 'sockaddr_ll', 'sll_ifindex')), 3);
  t.is(rd16(pb, off(L, 'sockaddr_ll', 'sll_hatype')), ARPHRD.ETHER);
  t.is(pb[off(L, 'sockaddr_ll', 'sll_pkttype')], 2);
  t.is(pb[off(L, 'sockaddr_ll', 'sll_halen')], 6);
  const ao = off(L, 'sockaddr_ll', 'sll_addr');
  t.is(pb.subarray(ao, ao + 8).toString('hex'), 'aabbccddeeff0000');
  t.is(p.protocol, ETH_P.IPV6);
  t.is(p.addr.toString(), 'aa:bb:cc:dd:ee:ff');
  t.is(p.toString(), 'packet:3/0x86dd/aa:bb:cc:dd:ee:ff');
  t.deepEqual(p.toJSON(), { family: 'packet', ifindex: 3, protocol: 0x86dd, hatype: 1, pkttype: 2, addr: 'aa:bb:cc:dd:ee:ff' });
  t.is(sockaddr('packet', { protocol: 0x0806 }).toString(), 'packet:0/0x0806');
  t.is(sockaddr('packet', { ifindex: 'lo' }).ifindex, ifIndex('lo'));
  // an address longer than sll_addr (InfiniBand's 20 bytes) runs past the struct, as the kernel's own do
  const ib = sockaddr('packet', { addr: Buffer.alloc(20, 7) });
  t.is(ib.socklen, ao + 20);
  t.is(ib.bytes[off(L, 'sockaddr_ll', 'sll_halen')], 20);
  t.is(ib.addr.length, 20);

  const v = sockaddr('vsock', 0x01020304, 0x0a0b0c0d, { flags: VMADDR.FLAG_TO_HOST });
  t.true(v instanceof SockaddrVm);
  t.is(v.socklen, L.sockaddr_vm.size);
  t.is(rd16(v.bytes, off(L, 'sockaddr_vm', 'svm_family')), AF.VSOCK);
  t.is(rd32(v.bytes, off(L, 'sockaddr_vm', 'svm_cid')), 0x01020304);
  t.is(rd32(v.bytes, off(L, 'sockaddr_vm', 'svm_port')), 0x0a0b0c0d);
  t.is(v.bytes[off(L, 'sockaddr_vm', 'svm_flags')], VMADDR.FLAG_TO_HOST);
  t.is(sockaddr('vsock', 'host', 1234).toString(), 'vsock:2:1234');
  t.is(sockaddr('vsock', 'any', 'any').toString(), 'vsock:any:any');
  t.is(sockaddr('vsock', 'any', 'any').cid, VMADDR.CID_ANY);
  t.deepEqual(sockaddr('vsock', 3, 5).toJSON(), { family: 'vsock', cid: 3, port: 5, flags: 0 });

  const g = sockaddr('alg', { type: 'hash', name: 'hmac(sha256)', feat: 1, mask: 2 });
  t.true(g instanceof SockaddrAlg);
  t.is(g.socklen, L.sockaddr_alg.size);
  const gb = g.bytes;
  t.is(rd16(gb, off(L, 'sockaddr_alg', 'salg_family')), AF.ALG);
  const to = off(L, 'sockaddr_alg', 'salg_type');
  t.is(gb.toString('latin1', to, to + 14), 'hash'.padEnd(14, '\0'));
  const no = off(L, 'sockaddr_alg', 'salg_name');
  t.is(gb.toString('latin1', no, no + 13), 'hmac(sha256)\0');
  t.is(rd32(gb, off(L, 'sockaddr_alg', 'salg_feat')), 1);
  t.is(rd32(gb, off(L, 'sockaddr_alg', 'salg_mask')), 2);
  t.is(g.toString(), 'alg:hash:hmac(sha256)');
  t.deepEqual(g.toJSON(), { family: 'alg', type: 'hash', name: 'hmac(sha256)', feat: 1, mask: 2 });
});

/** One address of each family, with something in every field. */
function samples(): Sockaddr[] {
  return [
    sockaddr('inet', '192.0.2.1', 8080),
    sockaddr('inet', 'any', 0),
    sockaddr('inet6', '2001:db8::42', 443, { flowinfo: 0x12345, scopeId: 9 }),
    sockaddr('inet6', '::ffff:10.0.0.1', 1),
    sockaddr('unix', '/run/x.sock'),
    sockaddr('unix', { abstract: 'name\0with a NUL' }),
    sockaddr('unix'),
    sockaddr('netlink', { pid: 1234, groups: 5 }),
    sockaddr('packet', { ifindex: 2, protocol: 'ip', hatype: 1, pkttype: 3, addr: '02:00:00:00:00:01' }),
    sockaddr('packet', { ifindex: 1 }),
    sockaddr('vsock', 'host', 1024, { flags: 1 }),
    sockaddr('alg', { type: 'skcipher', name: 'cbc(aes)' }),
  ];
}

test('decode(encode(x)) is x for every family: same class, fields, bytes and text', (t) => {
  for (const a of samples()) {
    const d = decodeSockaddr(a.bytes, a.socklen);
    t.truthy(d, a.toString());
    t.is(d!.constructor, a.constructor, a.toString());
    t.true(d!.equals(a), a.toString());
    t.true(a.equals(d), a.toString());
    t.deepEqual(d!.bytes, a.bytes, a.toString());
    t.is(d!.socklen, a.socklen);
    t.is(d!.toString(), a.toString());
    t.deepEqual(d!.toJSON(), a.toJSON());
    // the JSON form makes the same address again (the abstract name with its NUL too)
    t.true(sockaddr(JSON.parse(JSON.stringify(a))).equals(a), a.toString());
    // and an address passes through
    t.is(sockaddr(a), a);
  }
  // different addresses are not equal
  const all = samples();
  for (let i = 0; i < all.length; i++) for (let j = 0; j < all.length; j++) t.is(all[i].equals(all[j]), i === j, `${all[i]} vs ${all[j]}`);
  t.false(sockaddr('inet', '1.2.3.4', 80).equals(sockaddr('inet', '1.2.3.4', 81)));
  t.false(sockaddr('inet', '1.2.3.4', 80).equals('1.2.3.4:80'));
});

test('decodeSockaddr: the kernel\'s own lengths, a generic class for other families, null for none', (t) => {
  // the kernel returns a unix path address without its NUL, or in a larger buffer: the path ends at the first NUL
  const room = Buffer.alloc(128, 0xee);
  const p = sockaddr('unix', '/a/b');
  p.bytes.copy(room);
  const d = decodeSockaddr(room, p.socklen - 1) as SockaddrUn;
  t.is(d.path, '/a/b');
  t.true(d.equals(p));
  t.is(d.socklen, p.socklen - 1);
  // a link-layer address as getsockname returns it: sll_halen bytes of sll_addr, not the whole struct
  const ll = sockaddr('packet', { ifindex: 1, addr: '00:11:22:33:44:55' });
  const short = decodeSockaddr(ll.bytes, ll.socklen - 2) as SockaddrLl;
  t.is(short.addr.toString(), '00:11:22:33:44:55');
  t.true(short.equals(ll));
  // any other family keeps its bytes
  const s = new abi.Sockaddr();
  s.sa_family = AF.CAN;
  s.sa_data = Buffer.from('0102030405', 'hex');
  const g = decodeSockaddr(s.$buffer) as SockaddrGeneric;
  t.true(g instanceof SockaddrGeneric);
  t.is(g.af, AF.CAN);
  t.is(g.family, 'can');
  t.is(g.socklen, abi.Sockaddr.size);
  t.is(g.data.subarray(0, 5).toString('hex'), '0102030405');
  t.deepEqual(g.bytes, s.$buffer);
  t.is(g.toString(), `can:0102030405${'00'.repeat(9)}`);
  t.deepEqual(g.toJSON(), { family: 'can', af: AF.CAN, data: `0102030405${'00'.repeat(9)}` });
  t.true(decodeSockaddr(g.bytes)!.equals(g));
  t.deepEqual(codecOf(abi).encode(sockaddrValue(g)), g.bytes);
  s.sa_family = 0xfff0;
  t.is(decodeSockaddr(s.$buffer)!.family, 'af65520');
  // no address at all
  t.is(decodeSockaddr(Buffer.alloc(128), 0), null);
  // the address is a copy: the buffer may be reused
  const buf = sockaddr('inet', '10.0.0.1', 80).bytes;
  const a = decodeSockaddr(buf)!;
  buf.fill(0);
  t.is(a.toString(), '10.0.0.1:80');
  // a typed array of another kind, and a view into a larger buffer
  const big = Buffer.alloc(64);
  sockaddr('inet', '10.0.0.2', 81).bytes.copy(big, 8);
  t.is(decodeSockaddr(new Uint8Array(big.buffer, big.byteOffset + 8, 16))!.toString(), '10.0.0.2:81');
  // errors
  t.throws(() => decodeSockaddr(Buffer.alloc(16), 17), { instanceOf: RangeError, message: /17 bytes, the buffer 16: it was cut short/ });
  t.throws(() => decodeSockaddr(Buffer.alloc(16), 1), { instanceOf: RangeError, message: /1 byte is too short/ });
  t.throws(() => decodeSockaddr(Buffer.alloc(16), -1), { instanceOf: RangeError, message: /len out of range/ });
  t.throws(() => decodeSockaddr('x' as never), { instanceOf: TypeError, message: /buf must be a Buffer/ });
});

test('util.inspect and String show the notation; JSON.stringify the fields', (t) => {
  const cases: [unknown, string][] = [
    [sockaddr('inet', '127.0.0.1', 8080), 'SockaddrIn(127.0.0.1:8080)'],
    [sockaddr('inet6', '::1', 8080), 'SockaddrIn6([::1]:8080)'],
    [sockaddr('unix', '/run/x.sock'), 'SockaddrUn(/run/x.sock)'],
    [sockaddr('unix', { abstract: 'name' }), 'SockaddrUn(@name)'],
    [sockaddr('unix'), 'SockaddrUn(unnamed)'],
    [sockaddr('netlink', { pid: 1 }), 'SockaddrNl(netlink:1)'],
    [sockaddr('packet', { ifindex: 1, protocol: 0x0800 }), 'SockaddrLl(packet:1/0x0800)'],
    [sockaddr('vsock', 3, 80), 'SockaddrVm(vsock:3:80)'],
    [sockaddr('alg', { type: 'hash', name: 'sha256' }), 'SockaddrAlg(alg:hash:sha256)'],
    [inAddr('10.0.0.1'), 'InAddr(10.0.0.1)'],
    [in6Addr('fe80::1%lo'), 'In6Addr(fe80::1%lo)'],
    [macAddr('aa:bb:cc:dd:ee:ff'), 'MacAddr(aa:bb:cc:dd:ee:ff)'],
  ];
  for (const [v, text] of cases) t.is(inspect(v), text);
  t.is(inspect({ peer: sockaddr('inet', '10.0.0.1', 22) }), '{ peer: SockaddrIn(10.0.0.1:22) }');
  t.is(`${sockaddr('inet6', 'fe80::1', 22, { scopeId: 2 })}`, '[fe80::1%2]:22');
  t.is(JSON.stringify({ a: sockaddr('inet', '10.0.0.1', 22) }), '{"a":{"family":"inet","addr":"10.0.0.1","port":22}}');
  t.is(JSON.stringify(in6Addr('::1')), '"::1"');
});

test('bad input is a clear error: ports, paths, families, names and argument types', (t) => {
  t.throws(() => sockaddr('inet', '1.2.3.4', 70000), { instanceOf: RangeError, message: /port out of range \[0, 65535\]: 70000/ });
  t.throws(() => sockaddr('inet', '1.2.3.4', -1), { instanceOf: RangeError, message: /port out of range \[0, 65535\]: -1/ });
  t.throws(() => sockaddr('inet6', '::1', 65536), { instanceOf: RangeError, message: /port out of range/ });
  t.throws(() => sockaddr('inet', '1.2.3.4', 1.5), { instanceOf: TypeError, message: /port must be an integer, got number 1.5/ });
  t.throws(() => sockaddr('inet', '1.2.3.4', '80' as never), { instanceOf: TypeError, message: /port must be an integer, got the string "80"/ });
  t.throws(() => sockaddr('inet', '300.1.1.1', 80), { instanceOf: TypeError, message: /"300\.1\.1\.1" is not an IPv4 address/ });
  t.throws(() => sockaddr('inet', '1.2.3', 80), { instanceOf: TypeError, message: /"1\.2\.3" is not an IPv4 address/ });
  t.throws(() => sockaddr('inet6', ':::', 80), { instanceOf: TypeError, message: /":::" is not an IPv6 address/ });
  t.throws(() => sockaddr('inet', '::1', 80), { instanceOf: TypeError, message: /"::1" is not an IPv4 address/ });
  t.throws(() => sockaddr('inet6', '1.2.3.4', 80), { instanceOf: TypeError, message: /"1\.2\.3\.4" is not an IPv6 address/ });
  t.throws(() => sockaddr('inet', {} as never), { instanceOf: TypeError, message: /IPv4 address must be .* got an object/ });
  t.throws(() => sockaddr('inet6', 5 as never), { instanceOf: TypeError, message: /IPv6 address must be .* got number 5/ });
  // sun_path holds 108 bytes with the NUL
  t.throws(() => sockaddr('unix', `/${'x'.repeat(107)}`), { instanceOf: RangeError, message: /at most 107 bytes \(sun_path holds 108 with the NUL\), got 108/ });
  t.throws(() => sockaddr('unix', { abstract: 'y'.repeat(108) }), { instanceOf: RangeError, message: /at most 107 bytes/ });
  t.throws(() => sockaddr('unix', ''), { instanceOf: TypeError, message: /an empty unix path/ });
  t.throws(() => sockaddr('unix', '\0name'), { instanceOf: TypeError, message: /must not contain NUL bytes; for an abstract name write \{ abstract: "name" \}/ });
  t.throws(() => sockaddr('unix', 42 as never), { instanceOf: TypeError, message: /unix path must be a string, a Buffer or a file: URL, got number 42/ });
  t.throws(() => sockaddr('unix', { abstract: 1 } as never), { instanceOf: TypeError, message: /path or \{ abstract: name \}/ });
  t.throws(() => sockaddr({ family: 'unix', path: '/a', abstract: 'b' }), { instanceOf: TypeError, message: /not both/ });
  // families: unknown names list the valid ones; a family without a class says so
  t.throws(() => sockaddr('inet7' as never), { instanceOf: TypeError, message: /unknown address family "inet7" \(valid: inet, inet6, unix, netlink, packet, vsock, alg\)/ });
  t.throws(() => sockaddr('can' as never), { instanceOf: TypeError, message: /no address class for family "can" \(AF 29; valid: inet, inet6, unix/ });
  t.throws(() => sockaddr(12345 as never), { instanceOf: TypeError, message: /no address class .* valid: inet/ });
  t.throws(() => sockaddr(null as never), { instanceOf: TypeError, message: /family must be a name .* got null/ });
  t.throws(() => sockaddr({ family: 'nope' } as never), { instanceOf: TypeError, message: /unknown address family "nope"/ });
  // the other families' fields
  t.throws(() => sockaddr('netlink', { pid: -1 }), { instanceOf: RangeError, message: /pid out of range/ });
  t.throws(() => sockaddr('netlink', { groups: 2 ** 32 }), { instanceOf: RangeError, message: /groups out of range/ });
  t.throws(() => sockaddr('netlink', 5 as never), { instanceOf: TypeError, message: /netlink options must be an object, got number 5/ });
  t.throws(() => sockaddr('packet', { protocol: 'nosuch' }), { instanceOf: TypeError, message: /unknown ETH_P flag 'nosuch'/ });
  t.throws(() => sockaddr('packet', { protocol: 0x10000 }), { instanceOf: RangeError, message: /protocol out of range/ });
  t.throws(() => sockaddr('packet', { addr: 5 as never }), { instanceOf: TypeError, message: /hardware address must be a string, bytes or a MacAddr, got number 5/ });
  t.throws(() => ifIndex(5), { instanceOf: TypeError, message: /interface must be an interface name or an index, got number 5/ });
  t.throws(() => sockaddr('packet', { addr: 'zz' }), { instanceOf: TypeError, message: /"zz" is not a hardware address/ });
  t.throws(() => sockaddr('packet', { ifindex: 'an-interface-name-too-long' }), { instanceOf: TypeError, message: /is not an interface name \(1 to 15 bytes/ });
  t.throws(() => sockaddr('packet', { ifindex: -2 }), { instanceOf: RangeError, message: /ifindex out of range/ });
  t.throws(() => sockaddr('vsock', 'nowhere' as never, 1), { instanceOf: TypeError, message: /unknown vsock cid "nowhere" \(valid: a number, any, hypervisor, local, host\)/ });
  t.throws(() => sockaddr('vsock', 2, 2 ** 32), { instanceOf: RangeError, message: /port out of range/ });
  t.throws(() => (sockaddr as (f: string) => Sockaddr)('vsock'), { instanceOf: TypeError, message: /needs a cid and a port/ });
  t.throws(() => sockaddr('alg', { type: 'hash', name: 'x'.repeat(64) }), { instanceOf: RangeError, message: /alg name has at most 63 bytes/ });
  t.throws(() => sockaddr('alg', { type: 'a-type-too-long', name: 'sha1' }), { instanceOf: RangeError, message: /alg type has at most 13 bytes/ });
  t.throws(() => sockaddr('alg', { type: 'hash' } as never), { instanceOf: TypeError, message: /alg name must be a string, got undefined/ });
  t.throws(() => (sockaddr as (f: string) => Sockaddr)('alg'), { instanceOf: TypeError, message: /needs \{ type, name \}/ });
  // the classes are made by the functions only
  t.throws(() => new (SockaddrIn as unknown as new (...a: unknown[]) => unknown)(Symbol('x'), {}, Buffer.alloc(16)), { instanceOf: TypeError, message: /make addresses with sockaddr\(\)/ });
});

test('for the socket calls: the library\'s own bytes of an address, and room for one the kernel returns', (t) => {
  const a = sockaddr('inet', '10.0.0.1', 80);
  const { mem, len } = sockaddrArg(a);
  t.is(len, 16);
  t.deepEqual(mem, a.bytes);
  // a copy from `bytes` does not reach the memory the kernel is handed
  a.bytes.fill(0xff);
  t.deepEqual(sockaddrArg(a).mem, sockaddr('inet', '10.0.0.1', 80).bytes);
  t.deepEqual(sockaddrArg({ family: 'unix', abstract: 'x' }).len, sockaddr('unix', { abstract: 'x' }).socklen);
  t.throws(() => sockaddrArg(Buffer.alloc(16), 'addr'), { instanceOf: TypeError, message: /addr must be a socket address/ });
  const o = sockaddrOut();
  t.is(o.buf.length, abi.SockaddrStorage.size);
  t.is(o.len[0], abi.SockaddrStorage.size);
  sockaddr('inet6', '::1', 9).bytes.copy(o.buf);
  o.len[0] = 28;
  t.is(fromSockaddrOut(o)!.toString(), '[::1]:9');
});

// ---------------------------------------------------------------------------------------------------------------------
// Every arch of the spec

/** The values of the samples, and one of a family without a class. */
const VALUES: Value[] = [
  { family: 'inet', addr: Buffer.from([192, 0, 2, 1]), port: 0x1f90 },
  { family: 'inet6', addr: Buffer.from('20010db8000000000000000000000042', 'hex'), port: 443, flowinfo: 0x000abcde, scopeId: 0x01020304 },
  { family: 'unix', kind: 'path', name: Buffer.from('/run/x.sock') },
  { family: 'unix', kind: 'abstract', name: Buffer.from('a\0b') },
  { family: 'unix', kind: 'unnamed', name: Buffer.alloc(0) },
  { family: 'netlink', pid: 0x01020304, groups: 0x80000001 },
  { family: 'packet', protocol: 0x86dd, ifindex: 0x01020304, hatype: 0x0304, pkttype: 4, addr: Buffer.from('aabbccddeeff', 'hex') },
  { family: 'vsock', cid: 0x01020304, port: 0x0a0b0c0d, flags: 1 },
  { family: 'alg', type: Buffer.from('hash'), name: Buffer.from('sha256'), feat: 0x01020304, mask: 0x05060708 },
];

for (const name of ARCH_NAMES) {
  test(`${name}: each family's bytes as the arch's structs lay them out, and back`, async (t) => {
    const A = await loadArch(name);
    const L = await A.layouts();
    const le = A.arch.endian === 'little';
    const c = codecOf(A);
    const o = (s: string, m: string) => L[s].members[m][0];
    const enc = (v: Value) => c.encode(v);
    for (const v of VALUES) t.deepEqual(c.decode(enc(v), enc(v).length), v, `${name}: ${v.family}`);

    const inet = enc(VALUES[0]);
    t.is(inet.length, L.sockaddr_in.size);
    // sa_family in the arch's order: [2, 0] on a little-endian arch, [0, 2] on a big-endian one
    t.deepEqual([...inet.subarray(0, 2)], le ? [A.AF.INET, 0] : [0, A.AF.INET]);
    t.deepEqual([...inet.subarray(o('sockaddr_in', 'sin_port'), o('sockaddr_in', 'sin_port') + 2)], [0x1f, 0x90]);
    t.deepEqual([...inet.subarray(o('sockaddr_in', 'sin_addr'), o('sockaddr_in', 'sin_addr') + 4)], [192, 0, 2, 1]);

    const in6 = enc(VALUES[1]);
    t.is(in6.length, L.sockaddr_in6.size);
    t.is(rd16(in6, o('sockaddr_in6', 'sin6_family'), le), A.AF.INET6);
    t.is(in6.readUInt16BE(o('sockaddr_in6', 'sin6_port')), 443);
    t.is(in6.readUInt32BE(o('sockaddr_in6', 'sin6_flowinfo')), 0x000abcde);
    t.is(in6.toString('hex', o('sockaddr_in6', 'sin6_addr'), o('sockaddr_in6', 'sin6_addr') + 16), '20010db8000000000000000000000042');
    t.is(rd32(in6, o('sockaddr_in6', 'sin6_scope_id'), le), 0x01020304);

    const po = o('sockaddr_un', 'sun_path');
    const path = enc(VALUES[2]);
    t.is(rd16(path, o('sockaddr_un', 'sun_family'), le), A.AF.UNIX);
    t.is(path.length, po + 11 + 1);
    t.is(path.toString('latin1', po), '/run/x.sock\0');
    t.is(enc(VALUES[3]).toString('latin1', po), '\0a\0b');
    t.is(enc(VALUES[4]).length, po);
    t.is(c.limits.sunPathOffset, po);
    t.is(c.limits.sunPathSize, L.sockaddr_un.members.sun_path[1]);

    const nl = enc(VALUES[5]);
    t.is(nl.length, L.sockaddr_nl.size);
    t.is(rd16(nl, o('sockaddr_nl', 'nl_family'), le), A.AF.NETLINK);
    t.is(rd32(nl, o('sockaddr_nl', 'nl_pid'), le), 0x01020304);
    t.is(rd32(nl, o('sockaddr_nl', 'nl_groups'), le), 0x80000001);

    const ll = enc(VALUES[6]);
    t.is(ll.length, L.sockaddr_ll.size);
    t.is(rd16(ll, o('sockaddr_ll', 'sll_family'), le), A.AF.PACKET);
    t.is(ll.readUInt16BE(o('sockaddr_ll', 'sll_protocol')), 0x86dd);
    t.is(rd32(ll, o('sockaddr_ll', 'sll_ifindex'), le), 0x01020304);
    t.is(rd16(ll, o('sockaddr_ll', 'sll_hatype'), le), 0x0304);
    t.is(ll[o('sockaddr_ll', 'sll_pkttype')], 4);
    t.is(ll[o('sockaddr_ll', 'sll_halen')], 6);
    t.is(ll.toString('hex', o('sockaddr_ll', 'sll_addr'), o('sockaddr_ll', 'sll_addr') + 6), 'aabbccddeeff');

    const vm = enc(VALUES[7]);
    t.is(vm.length, L.sockaddr_vm.size);
    t.is(rd16(vm, o('sockaddr_vm', 'svm_family'), le), A.AF.VSOCK);
    t.is(rd32(vm, o('sockaddr_vm', 'svm_cid'), le), 0x01020304);
    t.is(rd32(vm, o('sockaddr_vm', 'svm_port'), le), 0x0a0b0c0d);
    t.is(vm[o('sockaddr_vm', 'svm_flags')], 1);

    const alg = enc(VALUES[8]);
    t.is(alg.length, L.sockaddr_alg.size);
    t.is(rd16(alg, o('sockaddr_alg', 'salg_family'), le), A.AF.ALG);
    t.is(alg.toString('latin1', o('sockaddr_alg', 'salg_type'), o('sockaddr_alg', 'salg_type') + 5), 'hash\0');
    t.is(alg.toString('latin1', o('sockaddr_alg', 'salg_name'), o('sockaddr_alg', 'salg_name') + 7), 'sha256\0');
    t.is(rd32(alg, o('sockaddr_alg', 'salg_feat'), le), 0x01020304);
    t.is(rd32(alg, o('sockaddr_alg', 'salg_mask'), le), 0x05060708);

    // a family without a class, written with the arch's struct sockaddr
    const s = new A.Sockaddr();
    s.sa_family = A.AF.CAN;
    t.deepEqual(c.decode(s.$buffer, 16), { family: 'other', af: A.AF.CAN, bytes: s.$buffer });
  });
}

test('the host\'s addresses hold what the host\'s codec lays out', (t) => {
  const c = codecOf(abi);
  for (const a of samples()) {
    t.deepEqual(a.bytes, c.encode(sockaddrValue(a)), a.toString());
    t.deepEqual(c.decode(a.bytes, a.socklen), sockaddrValue(a), a.toString());
  }
});

// ---------------------------------------------------------------------------------------------------------------------
// The kernel's round trips: bind, getsockname, decode

/** A socket of this family, closed after the test; or the errno the kernel refused it with (negative). */
function socket(t: ExecutionContext | undefined, family: number, type: number, protocol = 0): number {
  const fd = raw.socket(family, type | SOCK.CLOEXEC, protocol);
  if (fd >= 0) t?.teardown(() => { raw.close(fd); });
  return fd;
}

/** Why the kernel here has no sockets of a family ('' when it has them). */
function noFamily(family: number, type: number, name: string): string {
  const fd = socket(undefined, family, type);
  if (fd >= 0) {
    raw.close(fd);
    return '';
  }
  return ` (skipped: the kernel here has no ${name} sockets: ${new SyscallError(-fd, 'socket').code})`;
}

function bind(fd: number, a: Sockaddr): void {
  const { mem, len } = sockaddrArg(a);
  const r = raw.bind(fd, mem, len);
  if (r < 0) throw new SyscallError(-r, 'bind', a.toString());
}

function getsockname(fd: number): Sockaddr | null {
  const o = sockaddrOut();
  const r = raw.getsockname(fd, o.buf, o.len);
  if (r < 0) throw new SyscallError(-r, 'getsockname');
  return fromSockaddrOut(o);
}

/** The sockets /proc/self/net/<table> lists in this network namespace: local address and port (hex), and state. */
function procSockets(table: string): { local: string; port: number; state: string }[] {
  return readFileSync(`/proc/self/net/${table}`, 'utf8').split('\n').slice(1).filter(Boolean).map((l) => {
    const [, local, , state] = l.trim().split(/\s+/);
    const [addr, port] = local.split(':');
    return { local: addr, port: parseInt(port, 16), state };
  });
}

test('kernel: an inet socket bound to 127.0.0.1 port 0 has the port the kernel chose, where the kernel lists it', (t) => {
  const fd = socket(t, AF.INET, SOCK.STREAM);
  t.true(fd >= 0);
  bind(fd, sockaddr('inet', '127.0.0.1', 0));
  t.is(raw.listen(fd, 1), 0);
  const a = getsockname(fd);
  t.true(a instanceof SockaddrIn);
  const me = a as SockaddrIn;
  t.is(me.family, 'inet');
  t.is(me.addr.toString(), '127.0.0.1');
  t.true(me.port > 0 && me.port < 65536);
  t.is(me.toString(), `127.0.0.1:${me.port}`);
  // the kernel lists a socket listening (0A) on that port of 127.0.0.1 (its __be32 printed as a host-order word)
  const listening = procSockets('tcp').filter((s) => s.port === me.port && s.state === '0A');
  t.deepEqual(listening.map((s) => s.local), [LE ? '0100007F' : '7F000001']);
});

const noInet6 = noFamily(AF.INET6, SOCK.DGRAM, 'AF_INET6');
(noInet6 ? skip : test)(`kernel: an inet6 socket bound to :: and to an IPv4-mapped address reads back as bound${noInet6}`, (t: ExecutionContext) => {
  const fd = socket(t, AF.INET6, SOCK.DGRAM);
  bind(fd, sockaddr('inet6', 'any', 0));
  const a = getsockname(fd) as SockaddrIn6;
  t.true(a instanceof SockaddrIn6);
  t.is(a.addr.toString(), '::');
  t.true(a.port > 0);
  t.is(a.scopeId, 0);
  t.is(a.toString(), `[::]:${a.port}`);
  t.true(procSockets('udp6').some((s) => s.port === a.port && /^0+$/.test(s.local)));
  // a v4-mapped address on a dual-stack socket: bound to 127.0.0.1, printed in mixed notation
  const fd2 = socket(t, AF.INET6, SOCK.DGRAM);
  bind(fd2, sockaddr('inet6', '::ffff:127.0.0.1', 0));
  const m = getsockname(fd2) as SockaddrIn6;
  t.is(m.addr.mapped?.toString(), '127.0.0.1');
  t.is(m.toString(), `[::ffff:127.0.0.1]:${m.port}`);
});

test('kernel: unix sockets bound to a path, to an abstract name, autobound, and unbound', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsyscall-net-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 's.sock');
  const fd = socket(t, AF.UNIX, SOCK.STREAM);
  bind(fd, sockaddr('unix', path));
  t.true(statSync(path).isSocket());
  const p = getsockname(fd) as SockaddrUn;
  t.true(p instanceof SockaddrUn);
  t.is(p.kind, 'path');
  t.is(p.path, path);
  t.true(p.equals(sockaddr('unix', path)));

  const name = `tsyscall-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd2 = socket(t, AF.UNIX, SOCK.DGRAM);
  bind(fd2, sockaddr('unix', { abstract: name }));
  const a = getsockname(fd2) as SockaddrUn;
  t.is(a.kind, 'abstract');
  t.is(a.abstract, name);
  t.is(a.toString(), `@${name}`);
  t.is(a.socklen, sockaddr('unix', { abstract: name }).socklen);
  // the kernel lists it as ss does: '@name'
  t.true(readFileSync('/proc/self/net/unix', 'utf8').split('\n').some((l) => l.endsWith(` @${name}`)));

  // binding the unnamed address (the family alone) autobinds: the kernel picks an abstract name of 5 hex digits
  const fd3 = socket(t, AF.UNIX, SOCK.DGRAM);
  bind(fd3, sockaddr('unix'));
  const auto = getsockname(fd3) as SockaddrUn;
  t.is(auto.kind, 'abstract');
  t.regex(auto.abstract!, /^[0-9a-f]{5}$/);

  // a socket never bound has the unnamed address: the family alone
  const fd4 = socket(t, AF.UNIX, SOCK.DGRAM);
  const u = getsockname(fd4) as SockaddrUn;
  t.is(u.kind, 'unnamed');
  t.is(u.socklen, (await layouts()).sockaddr_un.members.sun_path[0]);
  t.is(u.toString(), '(unnamed)');

  // a datagram from that unbound socket arrives with no address at all: recvfrom's length is 0
  const msg = Buffer.from('hi');
  const to = sockaddrArg(sockaddr('unix', { abstract: name }));
  t.is(raw.sendto(fd4, msg, msg.length, 0, to.mem, to.len), 2);
  const o = sockaddrOut();
  const got = Buffer.alloc(16);
  t.is(raw.recvfrom(fd2, got, got.length, 0, o.buf, o.len), 2);
  t.is(got.toString('utf8', 0, 2), 'hi');
  t.is(o.len[0], 0);
  t.is(fromSockaddrOut(o), null);
  // and one from the autobound socket names it
  t.is(raw.sendto(fd3, msg, msg.length, 0, to.mem, to.len), 2);
  const o2 = sockaddrOut();
  t.is(raw.recvfrom(fd2, got, got.length, 0, o2.buf, o2.len), 2);
  t.true(fromSockaddrOut(o2)!.equals(auto));

  // a name already bound: the kernel says so for the address given
  const fd5 = socket(t, AF.UNIX, SOCK.DGRAM);
  const err = t.throws(() => bind(fd5, sockaddr('unix', { abstract: name })), { instanceOf: SyscallError });
  t.is(err?.code, 'EADDRINUSE');
  t.is(err?.path, `@${name}`);
});

test('kernel: a netlink socket bound with pid 0 gets a port id from the kernel', (t) => {
  const fd = socket(t, AF.NETLINK, SOCK.RAW, NETLINK.ROUTE);
  t.true(fd >= 0);
  bind(fd, sockaddr('netlink', { pid: 0, groups: 0 }));
  const a = getsockname(fd) as SockaddrNl;
  t.true(a instanceof SockaddrNl);
  t.true(a.pid !== 0);
  t.is(a.groups, 0);
  // a second socket asking for that port id is refused: it is taken
  const fd2 = socket(t, AF.NETLINK, SOCK.RAW, NETLINK.ROUTE);
  const err = t.throws(() => bind(fd2, sockaddr('netlink', { pid: a.pid })), { instanceOf: SyscallError });
  t.is(err?.code, 'EADDRINUSE');
});

const noPacket = noFamily(AF.PACKET, SOCK.RAW, 'AF_PACKET (CAP_NET_RAW)');
(noPacket ? skip : test)(`kernel: a packet socket bound to lo reads back lo's index, the protocol and lo's hardware address${noPacket}`, async (t: ExecutionContext) => {
  const fd = socket(t, AF.PACKET, SOCK.RAW, 0);
  t.true(fd >= 0);
  bind(fd, sockaddr('packet', { ifindex: 'lo', protocol: 'ip' }));
  const a = getsockname(fd) as SockaddrLl;
  t.true(a instanceof SockaddrLl);
  t.is(a.ifindex, ifIndex('lo'));
  t.is(a.protocol, ETH_P.IP);
  t.is(a.hatype, ARPHRD.LOOPBACK);
  t.is(a.addr.toString(), '00:00:00:00:00:00');
  // the kernel's length: sll_halen bytes of sll_addr (6 of 8)
  t.is(a.socklen, off(await layouts(), 'sockaddr_ll', 'sll_addr') + 6);
  t.is(a.toString(), `packet:${a.ifindex}/0x0800/00:00:00:00:00:00`);
});

const noVsock = noFamily(AF.VSOCK, SOCK.STREAM, 'AF_VSOCK');
(noVsock ? skip : test)(`kernel: a vsock socket bound to any cid and port gets a port from the kernel${noVsock}`, (t: ExecutionContext) => {
  const fd = socket(t, AF.VSOCK, SOCK.STREAM);
  bind(fd, sockaddr('vsock', 'any', 'any'));
  const a = getsockname(fd) as SockaddrVm;
  t.true(a instanceof SockaddrVm);
  t.is(a.cid, VMADDR.CID_ANY);
  t.not(a.port, VMADDR.PORT_ANY);
  t.is(a.toString(), `vsock:any:${a.port}`);
});

const noAlg = noFamily(AF.ALG, SOCK.SEQPACKET, 'AF_ALG');
(noAlg ? skip : test)(`kernel: an alg socket bound to hash sha256 hashes with it${noAlg}`, async (t: ExecutionContext) => {
  const { createHash } = await import('node:crypto');
  const fd = socket(t, AF.ALG, SOCK.SEQPACKET);
  bind(fd, sockaddr('alg', { type: 'hash', name: 'sha256' }));
  const op = raw.accept4(fd, null, null, SOCK.CLOEXEC);
  t.true(op >= 0);
  t.teardown(() => { raw.close(op); });
  const data = Buffer.from('abc');
  t.is(raw.write(op, data, data.length), 3);
  const digest = Buffer.alloc(32);
  t.is(raw.read(op, digest, 32), 32);
  t.is(digest.toString('hex'), createHash('sha256').update(data).digest('hex'));
  // an algorithm the kernel does not have: ENOENT for the address given
  const fd2 = socket(t, AF.ALG, SOCK.SEQPACKET);
  const err = t.throws(() => bind(fd2, sockaddr('alg', { type: 'hash', name: 'no-such-hash' })), { instanceOf: SyscallError });
  t.is(err?.code, 'ENOENT');
});
