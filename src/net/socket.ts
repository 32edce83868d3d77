// Sockets: socket, socketpair, bind, listen, connect, accept4, getsockname, getpeername, shutdown, and the plain data
// calls send/sendto/recv/recvfrom. Every arch of the spec has these as direct syscalls (send and recv are sendto and
// recvfrom with no address, as glibc makes them on the arches without them). Addresses are Sockaddr values (addr.ts);
// types, flags and protocols are names resolved through the spec's constants for the arch.
//
// The calls that wait (accept4 and recv on a blocking socket, connect to a slow peer) block the calling thread, and only
// because the caller made a blocking socket: with 'nonblock' they throw SyscallError EAGAIN (EINPROGRESS for connect).
import { abi, raw } from '../core/abi.ts';
import { allocUnsafe, bufferFrom, describe, int, isBytes, lengthOf, region, type Bytes } from '../core/args.ts';
import { check } from '../core/errors.ts';
import { Fd, fdNum, retryFd, type FdLike } from '../core/fd.ts';
import { constant, flags, type Flags } from '../core/flags.ts';
import { fromSockaddrOut, sockaddrArg, sockaddrOut, type Sockaddr, type SockaddrLike } from './addr.ts';

const { AF, SOCK, MSG, SHUT } = abi;

/** A socket's family: a name ('inet', 'inet6', 'unix', 'netlink', 'packet', ... or 'AF_INET') or its number. */
export type SocketFamily = string | number;

/** The type bits of SOCK_* (SOCK_TYPE_MASK): one of stream, dgram, raw, rdm, seqpacket, dccp, packet. */
const TYPE_MASK = 0xf;
const TYPE_NAMES = ['STREAM', 'DGRAM', 'RAW', 'RDM', 'SEQPACKET', 'DCCP', 'PACKET'] as const;

/**
 * A socket type with its flags: one type name and any of 'nonblock', 'cloexec' ('stream, nonblock, cloexec',
 * ['dgram', 'cloexec'], 'SOCK_STREAM|SOCK_CLOEXEC'), or a number. Two types in one value are a TypeError.
 */
export type SocketType = Flags;

function socketType(v: SocketType, syscall: string): number {
  const n = flags(SOCK, 'SOCK', 'SOCK_', v);
  if (typeof v === 'number' || typeof v === 'bigint') return n;
  // names OR together; two type names would make a third type (stream|dgram is raw): refuse them
  const names = (Array.isArray(v) ? v.map(String) : String(v ?? '').split(/[\s,|]+/)).map((s) => s.trim().toUpperCase().replace(/^SOCK_/, '')).filter(Boolean);
  const types = names.filter((s) => (TYPE_NAMES as readonly string[]).includes(s));
  if (types.length !== 1) {
    throw new TypeError(`${syscall}: the socket type must name exactly one of ${TYPE_NAMES.map((t) => t.toLowerCase()).join(', ')} ` +
      `(with 'nonblock' and 'cloexec' as flags), got ${describe(v)}`);
  }
  return n;
}

/** Protocol names per family: IPPROTO for inet and inet6, NETLINK for netlink, ETH_P for packet (network order). */
function protocol(family: number, p: string | number | undefined, syscall: string): number {
  if (p === undefined || p === 0) return 0;
  if (typeof p === 'number') return int(p, `${syscall}: protocol`, 0, 2 ** 31 - 1);
  if (family === AF.INET || family === AF.INET6) return constant(abi.IPPROTO, 'IPPROTO', 'IPPROTO_', p);
  if (family === AF.NETLINK) return constant(abi.NETLINK, 'NETLINK', 'NETLINK_', p);
  if (family === AF.PACKET) {
    // packet sockets take the Ethernet protocol in network byte order (htons(ETH_P_ALL))
    const e = constant(abi.ETH_P, 'ETH_P', 'ETH_P_', p);
    return ((e & 0xff) << 8) | ((e >> 8) & 0xff);
  }
  throw new TypeError(`${syscall}: a protocol by name is known for inet, inet6, netlink and packet sockets; give a number for family ${family}, got ${describe(p)}`);
}

const familyOf = (f: SocketFamily) => constant(AF, 'AF', 'AF_', f);

/**
 * Create a socket: a family ('inet', 'inet6', 'unix', 'netlink', 'packet', 'vsock', 'alg', ...), a type with flags
 * ('stream, nonblock, cloexec'), and a protocol (a number, or a name: 'tcp', 'udp', 'icmp' for inet; 'route',
 * 'generic' for netlink; 'all', 'ip' for packet, put in network byte order).
 *
 * @example
 * ```ts
 * const s = socket('inet', 'stream, cloexec');
 * const nl = socket('netlink', 'raw, cloexec', 'route');
 * ```
 * @see https://man7.org/linux/man-pages/man2/socket.2.html
 */
export function socket(family: SocketFamily, type: SocketType, proto?: string | number): Fd {
  const f = familyOf(family);
  const t = socketType(type, 'socket');
  const p = protocol(f, proto, 'socket');
  return new Fd(check(retryFd(() => raw.socket(f, t, p)), 'socket'));
}

/**
 * Create a pair of connected sockets ('unix' on Linux), returned as [a, b]: what is written to one is read from the
 * other. A way to pass descriptors between processes, or to wake a thread.
 *
 * @example
 * ```ts
 * const [a, b] = socketpair('unix', 'stream, cloexec');
 * send(a, 'ping');
 * recv(b, 16).toString(); // 'ping'
 * ```
 * @see https://man7.org/linux/man-pages/man2/socketpair.2.html
 */
export function socketpair(family: SocketFamily, type: SocketType, proto?: string | number): [Fd, Fd] {
  const f = familyOf(family);
  const t = socketType(type, 'socketpair');
  const p = protocol(f, proto, 'socketpair');
  const fds = new Int32Array(2);
  check(retryFd(() => raw.socketpair(f, t, p, fds)), 'socketpair');
  return [new Fd(fds[0]), new Fd(fds[1])];
}

/** The text of an address for errors (a unix path shows as the path, as Node's errors do). */
const where = (a: SockaddrLike): string => String(a);

/**
 * Give a socket its local address: a Sockaddr or an object sockaddr() takes ({ family: 'inet', addr: '127.0.0.1',
 * port: 0 }: port 0 lets the kernel choose; getsockname() tells which).
 *
 * @example
 * ```ts
 * const s = socket('inet', 'stream');
 * bind(s, sockaddr('inet', 'loopback', 0));
 * getsockname(s)?.toString(); // '127.0.0.1:41234'
 * ```
 * @see https://man7.org/linux/man-pages/man2/bind.2.html
 */
export function bind(fd: FdLike, addr: SockaddrLike): void {
  const n = fdNum(fd, 'bind');
  const a = sockaddrArg(addr);
  check(raw.bind(n, a.mem, a.len), 'bind', where(addr));
}

/**
 * Mark a socket as accepting connections, with a queue of up to `backlog` (default SOMAXCONN) pending ones.
 *
 * @example
 * ```ts
 * listen(sock); // then accept4(sock)
 * ```
 * @see https://man7.org/linux/man-pages/man2/listen.2.html
 */
export function listen(fd: FdLike, backlog?: number): void {
  const n = fdNum(fd, 'listen');
  const b = backlog === undefined ? Number(abi.SOMAXCONN.SOMAXCONN) : int(backlog, 'listen: backlog', -(2 ** 31), 2 ** 31 - 1);
  check(raw.listen(n, b), 'listen');
}

/**
 * Connect a socket to an address. On a nonblocking socket a connection that is not made at once throws SyscallError
 * EINPROGRESS: wait until it is writable, then read the result with getsockopt SO_ERROR.
 *
 * @example
 * ```ts
 * const c = socket('inet', 'stream, cloexec');
 * connect(c, sockaddr('inet', '127.0.0.1', 8080));
 * ```
 * @see https://man7.org/linux/man-pages/man2/connect.2.html
 */
export function connect(fd: FdLike, addr: SockaddrLike): void {
  const n = fdNum(fd, 'connect');
  const a = sockaddrArg(addr);
  check(raw.connect(n, a.mem, a.len), 'connect', where(addr));
}

/** A connection accept4() took: the new socket and the peer's address (null for an unnamed unix peer). */
export interface Accepted {
  fd: Fd;
  addr: Sockaddr | null;
}

/**
 * Take a pending connection from a listening socket: the new socket (flags 'nonblock', 'cloexec' for it) and the
 * peer's address. Waits for one on a blocking socket; a nonblocking one with none pending throws SyscallError EAGAIN.
 *
 * @example
 * ```ts
 * const { fd: conn, addr } = accept4(server, 'cloexec');
 * addr?.toString(); // '127.0.0.1:52344'
 * ```
 * @see https://man7.org/linux/man-pages/man2/accept4.2.html
 */
export function accept4(fd: FdLike, how: Flags = 0): Accepted {
  const n = fdNum(fd, 'accept4');
  const f = flags(SOCK, 'SOCK', 'SOCK_', how);
  if (f & TYPE_MASK) throw new TypeError(`accept4: flags take only 'nonblock' and 'cloexec', got ${describe(how)}`);
  const out = sockaddrOut();
  const r = check(retryFd(() => raw.accept4(n, out.buf, out.len, f)), 'accept4');
  return { fd: new Fd(r), addr: fromSockaddrOut(out) };
}

/**
 * The address a socket is bound to (null when it has none: an unbound unix socket).
 *
 * @example
 * ```ts
 * (getsockname(sock) as SockaddrIn).port; // the port the kernel chose for a bind to port 0
 * ```
 * @see https://man7.org/linux/man-pages/man2/getsockname.2.html
 */
export function getsockname(fd: FdLike): Sockaddr | null {
  const n = fdNum(fd, 'getsockname');
  const out = sockaddrOut();
  check(raw.getsockname(n, out.buf, out.len), 'getsockname');
  return fromSockaddrOut(out);
}

/**
 * The address of a connected socket's peer (null for an unnamed unix peer); ENOTCONN when it has none.
 *
 * @example
 * ```ts
 * getpeername(conn)?.toString(); // '127.0.0.1:52344'
 * ```
 * @see https://man7.org/linux/man-pages/man2/getpeername.2.html
 */
export function getpeername(fd: FdLike): Sockaddr | null {
  const n = fdNum(fd, 'getpeername');
  const out = sockaddrOut();
  check(raw.getpeername(n, out.buf, out.len), 'getpeername');
  return fromSockaddrOut(out);
}

/**
 * Shut down one or both directions of a connection: 'rd', 'wr' or 'rdwr' (SHUT_*). After 'wr', the peer reads end
 * of file.
 *
 * @example
 * ```ts
 * shutdown(conn, 'wr'); // the peer's next recv returns 0 bytes
 * ```
 * @see https://man7.org/linux/man-pages/man2/shutdown.2.html
 */
export function shutdown(fd: FdLike, how: 'rd' | 'wr' | 'rdwr' | number | string): void {
  const n = fdNum(fd, 'shutdown');
  check(raw.shutdown(n, constant(SHUT, 'SHUT', 'SHUT_', how)), 'shutdown');
}

const msgFlags = (v: Flags) => flags(MSG, 'MSG', 'MSG_', v);

/** The bytes of a data argument: a string (UTF-8), or a Buffer/typed array (all of it). */
function dataArg(data: unknown, syscall: string): Uint8Array {
  if (typeof data === 'string') return bufferFrom(data);
  if (!isBytes(data)) throw new TypeError(`${syscall}: data must be a string, a Buffer or a typed array, got ${describe(data)}`);
  return region(data, 'data');
}

/**
 * Send data on a connected socket; MSG flags ('nosignal', 'dontwait', 'more', ...). Returns the count sent. A write
 * to a connection the peer closed raises SIGPIPE unless 'nosignal' is given (Node ignores SIGPIPE, so it is EPIPE).
 *
 * @example
 * ```ts
 * send(conn, 'GET / HTTP/1.0\r\n\r\n', 'nosignal');
 * ```
 * @see https://man7.org/linux/man-pages/man2/send.2.html
 */
export function send(fd: FdLike, data: Bytes | string, how: Flags = 0): number {
  const n = fdNum(fd, 'send');
  const d = dataArg(data, 'send');
  return check(raw.sendto(n, d, lengthOf(d), msgFlags(how), null, 0), 'send');
}

/**
 * Send a datagram to an address (or, with a null address, on a connected socket); returns the count sent.
 *
 * @example
 * ```ts
 * const u = socket('inet', 'dgram, cloexec');
 * sendto(u, 'hello', sockaddr('inet', '127.0.0.1', 9999));
 * ```
 * @see https://man7.org/linux/man-pages/man2/sendto.2.html
 */
export function sendto(fd: FdLike, data: Bytes | string, addr: SockaddrLike | null, how: Flags = 0): number {
  const n = fdNum(fd, 'sendto');
  const d = dataArg(data, 'sendto');
  if (addr === null) return check(raw.sendto(n, d, lengthOf(d), msgFlags(how), null, 0), 'sendto');
  const a = sockaddrArg(addr);
  return check(raw.sendto(n, d, lengthOf(d), msgFlags(how), a.mem, a.len), 'sendto', where(addr));
}

/** The buffer a receive fills: the caller's (with offset and length), or a fresh one of `length` bytes. */
function into(a: Bytes | number | undefined, offset: number | undefined, length: number | undefined, syscall: string): [Uint8Array, boolean] {
  if (a === undefined || typeof a === 'number') return [allocUnsafe(a === undefined ? 65536 : int(a, `${syscall}: length`, 0, 2 ** 31 - 1)), true];
  return [region(a, `${syscall}: buf`, offset, length), false];
}

/**
 * Receive from a socket into `buf` and return the count (0: the peer shut down its side); or, given a length
 * (default 65536), into a fresh Buffer returned shortened to what arrived. MSG flags ('peek', 'waitall', 'dontwait',
 * 'trunc').
 *
 * Waits on a blocking socket; a nonblocking one with nothing to read throws SyscallError EAGAIN.
 *
 * @example
 * ```ts
 * const buf = Buffer.alloc(4096);
 * const n = recv(conn, buf);
 * recv(conn, 16, 'dontwait'); // a fresh Buffer of up to 16 bytes
 * ```
 * @see https://man7.org/linux/man-pages/man2/recv.2.html
 */
export function recv(fd: FdLike, buf: Bytes, how?: Flags): number;
export function recv(fd: FdLike, length?: number, how?: Flags): Buffer;
export function recv(fd: FdLike, a?: Bytes | number, how: Flags = 0): number | Buffer {
  const n = fdNum(fd, 'recv');
  const [b, fresh] = into(a, undefined, undefined, 'recv');
  const r = check(raw.recvfrom(n, b, lengthOf(b), msgFlags(how), null, null), 'recv');
  return fresh ? (b as Buffer).subarray(0, r) : r;
}

/** What recvfrom() received: the count (or the data, for a fresh buffer) and the sender's address. */
export interface Received<T> {
  data: T;
  addr: Sockaddr | null;
}

/**
 * Receive a datagram and the address it came from: into `buf` (`data` is then the count) or into a fresh Buffer of
 * `length` bytes (default 65536; `data` is the Buffer, shortened). The address is null when the sender has none (an
 * unnamed unix socket) or the socket is connected-only.
 *
 * @example
 * ```ts
 * const { data, addr } = recvfrom(sock, 2048);
 * console.log(`${data.length} bytes from ${addr}`);
 * ```
 * @see https://man7.org/linux/man-pages/man2/recvfrom.2.html
 */
export function recvfrom(fd: FdLike, buf: Bytes, how?: Flags): Received<number>;
export function recvfrom(fd: FdLike, length?: number, how?: Flags): Received<Buffer>;
export function recvfrom(fd: FdLike, a?: Bytes | number, how: Flags = 0): Received<number | Buffer> {
  const n = fdNum(fd, 'recvfrom');
  const [b, fresh] = into(a, undefined, undefined, 'recvfrom');
  const out = sockaddrOut();
  const r = check(raw.recvfrom(n, b, lengthOf(b), msgFlags(how), out.buf, out.len), 'recvfrom');
  return { data: fresh ? (b as Buffer).subarray(0, r) : r, addr: fromSockaddrOut(out) };
}
