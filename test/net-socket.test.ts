// Sockets (src/net/socket.ts): TCP, UDP and unix traffic over loopback both ways, abstract and path addresses, what
// accept and recvfrom report as the peer, shutdown seen by the peer, and the errors of bad input and of the kernel.
// Root tests run each in a fresh network namespace, where lo is down: it is brought up first (ip link), and the IPv4
// and IPv6 tests skip, with the reason, where it cannot be.
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import {
  socket, socketpair, bind, listen, connect, accept4, getsockname, getpeername, shutdown, send, sendto, recv, recvfrom,
  sockaddr, SockaddrIn, SockaddrIn6, SockaddrUn, SockaddrNl,
} from '../src/net/index.ts';
import { SyscallError } from '../src/core/errors.ts';
import { skip } from './skips.ts';

/**
 * Whether lo carries 127.0.0.1 (and ::1), bringing it up when it is down and we may (a fresh network namespace). Asked
 * of `ip`, not of /sys/class/net: a sysfs mounted outside this network namespace shows another namespace's lo.
 */
function loopback(): { v4: boolean; v6: boolean; why: string } {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe', encoding: 'utf8' });
  try {
    if (!/<[^>]*\bUP\b/.test(ip('-o', 'link', 'show', 'lo'))) {
      ip('link', 'set', 'lo', 'up');
      // the harness holds a test file to leaving even its own namespaces as it found them
      test.after.always(() => { ip('link', 'set', 'lo', 'down'); ip('addr', 'flush', 'dev', 'lo'); });
    }
  } catch { /* not ours to change (no CAP_NET_ADMIN, or no ip): it is the host's, up */ }
  let v4 = false;
  let v6 = false;
  let why = '';
  try {
    v4 = /\binet 127\.0\.0\.1\//.test(ip('-o', 'addr', 'show', 'dev', 'lo', 'up'));
    v6 = v4 && /\binet6 ::1\//.test(ip('-o', 'addr', 'show', 'dev', 'lo', 'up'));
    if (!v4) why = ' (skipped: lo is down or has no 127.0.0.1 here, and cannot be brought up)';
  } catch (err) {
    why = ` (skipped: cannot ask ip about lo: ${(err as Error).message.split('\n')[0]})`;
  }
  return { v4, v6, why };
}
type Reg = (title: string, impl: (t: ExecutionContext) => unknown) => void;
const lo = loopback();
const v4: Reg = lo.v4 ? test : skip;
const v6: Reg = lo.v6 ? test : skip;
const v6why = lo.v6 ? '' : lo.v4 ? ' (skipped: no ::1 on lo: IPv6 is disabled here)' : lo.why;

const tmp = mkdtempSync(join(tmpdir(), 'tsyscall-net-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

v4(`TCP over loopback: connect, accept with the peer's address, data both ways, shutdown seen as end of file${lo.why}`, (t) => {
  const server = socket('inet', 'stream, cloexec');
  bind(server, sockaddr('inet', 'loopback', 0));
  listen(server, 8);
  const at = getsockname(server) as SockaddrIn;
  t.true(at instanceof SockaddrIn);
  t.is(at.addr.toString(), '127.0.0.1');
  t.true(at.port > 0, 'the kernel chose a port');

  const client = socket('inet', 'stream, cloexec', 'tcp');
  connect(client, at);
  const { fd: conn, addr } = accept4(server, 'cloexec');
  t.deepEqual(addr?.toString(), getsockname(client)?.toString(), 'accept reports the client as it is bound');
  t.is(getpeername(client)?.toString(), at.toString());

  t.is(send(client, 'ping'), 4);
  t.is(recv(conn, 16).toString(), 'ping');
  const buf = Buffer.alloc(8);
  t.is(send(conn, Buffer.from('pong!')), 5);
  t.is(recv(client, buf), 5);
  t.is(buf.subarray(0, 5).toString(), 'pong!');

  shutdown(client, 'wr');
  t.is(recv(conn, 16).length, 0, 'end of file after the peer shut down writing');
  t.is(send(conn, 'still open the other way'), 24);
  t.is(recv(client, 64).toString(), 'still open the other way');
  for (const s of [conn, client, server]) s.close();
});

v4(`UDP: sendto and recvfrom carry the sender's address; a connected socket sends with no address${lo.why}`, (t) => {
  const a = socket('inet', 'dgram, cloexec');
  const b = socket('inet', 'dgram, cloexec', 'udp');
  bind(a, { family: 'inet', addr: '127.0.0.1', port: 0 });
  bind(b, sockaddr('inet', '127.0.0.1', 0));
  const aAt = getsockname(a)!;
  const bAt = getsockname(b)!;
  t.is(sendto(a, 'one', bAt), 3);
  const got = recvfrom(b, 64);
  t.is(got.data.toString(), 'one');
  t.is(got.addr?.toString(), aAt.toString());
  connect(b, aAt);
  t.is(send(b, Buffer.from('two')), 3);
  const buf = Buffer.alloc(64);
  const r = recvfrom(a, buf);
  t.is(r.data, 3);
  t.is(buf.subarray(0, 3).toString(), 'two');
  t.is(r.addr?.toString(), bAt.toString());
  a.close();
  b.close();
});

v6(`TCP over IPv6 loopback: [::1] addresses both ways${v6why}`, (t) => {
  const server = socket('inet6', 'stream, cloexec');
  bind(server, sockaddr('inet6', '::1', 0));
  listen(server);
  const at = getsockname(server) as SockaddrIn6;
  t.true(at instanceof SockaddrIn6);
  t.regex(at.toString(), /^\[::1\]:\d+$/);
  const client = socket('inet6', 'stream, cloexec');
  connect(client, at);
  const { fd: conn, addr } = accept4(server);
  t.true(addr instanceof SockaddrIn6);
  t.is(addr?.toString(), getsockname(client)?.toString());
  send(conn, 'v6');
  t.is(recv(client, 8).toString(), 'v6');
  for (const s of [conn, client, server]) s.close();
});

test('unix stream on a path: the socket file exists; the server sees an unnamed peer; data both ways', (t) => {
  const path = join(tmp, 'stream.sock');
  const server = socket('unix', 'stream, cloexec');
  bind(server, sockaddr('unix', path));
  t.true(statSync(path).isSocket(), 'bind made a socket file');
  listen(server);
  t.is((getsockname(server) as SockaddrUn).path, path);
  const client = socket('unix', ['stream', 'cloexec']);
  connect(client, { family: 'unix', path });
  const { fd: conn, addr } = accept4(server, 'cloexec, nonblock');
  t.true(addr === null || (addr instanceof SockaddrUn && addr.toString() === '(unnamed)'), `an unbound client is unnamed: ${addr}`);
  send(client, 'over a path');
  t.is(recv(conn, 64).toString(), 'over a path');
  t.throws(() => recv(conn, 64), { instanceOf: SyscallError, code: 'EAGAIN' }, 'accept4 made it nonblocking');
  for (const s of [conn, client, server]) s.close();
});

test('unix datagrams on abstract names: recvfrom names the abstract sender; no file appears', (t) => {
  const name = `tsyscall-test-${process.pid}-${Date.now()}`;
  const a = socket('unix', 'dgram, cloexec');
  const b = socket('unix', 'dgram, cloexec');
  bind(a, sockaddr('unix', { abstract: `${name}-a` }));
  bind(b, sockaddr('unix', { abstract: `${name}-b` }));
  t.is(getsockname(a)?.toString(), `@${name}-a`);
  sendto(a, 'abstract', sockaddr('unix', { abstract: `${name}-b` }));
  const got = recvfrom(b, 64);
  t.is(got.data.toString(), 'abstract');
  t.is(got.addr?.toString(), `@${name}-a`);
  t.true(readFileSync('/proc/net/unix', 'utf8').includes(`@${name}-b`), 'the kernel lists the abstract name');
  a.close();
  b.close();
});

test('socketpair: both ends talk; peek leaves the data; shutdown of one side is end of file on the other', (t) => {
  const [a, b] = socketpair('unix', 'stream, cloexec');
  send(a, 'hello');
  t.is(recv(b, 64, 'peek').toString(), 'hello');
  t.is(recv(b, 64).toString(), 'hello', 'peek did not consume');
  send(b, 'back');
  t.is(recv(a, 64).toString(), 'back');
  shutdown(a, 'rdwr');
  t.is(recv(b, 64).length, 0);
  t.is(t.throws(() => send(b, 'x', 'nosignal'), { instanceOf: SyscallError, code: 'EPIPE' })?.syscall, 'send');
  a.close();
  b.close();
  const [c, d] = socketpair('unix', 'seqpacket, cloexec, nonblock');
  send(c, 'one');
  send(c, 'two');
  t.is(recv(d, 64).toString(), 'one', 'seqpacket keeps message boundaries');
  t.is(recv(d, 64).toString(), 'two');
  t.throws(() => recv(d, 64), { instanceOf: SyscallError, code: 'EAGAIN' });
  c.close();
  d.close();
});

test('a netlink socket by protocol name gets a port id from the kernel', (t) => {
  const s = socket('netlink', 'raw, cloexec', 'route');
  bind(s, sockaddr('netlink', {}));
  const a = getsockname(s) as SockaddrNl;
  t.true(a instanceof SockaddrNl);
  t.true(a.pid > 0, `a port id: ${a}`);
  s.close();
});

v4(`a socket made here works in Node's net module: net.Socket({ fd }) reads what the other side sent${lo.why}`, async (t) => {
  const server = socket('inet', 'stream, cloexec');
  bind(server, sockaddr('inet', 'loopback', 0));
  listen(server);
  const client = socket('inet', 'stream, cloexec');
  connect(client, getsockname(server)!);
  const { fd: conn } = accept4(server, 'cloexec, nonblock');
  send(client, 'to node');
  const ns = new net.Socket({ fd: conn.release(), readable: true, writable: true });
  const got = await new Promise<string>((resolve) => ns.once('data', (d) => resolve(d.toString())));
  t.is(got, 'to node');
  await new Promise<void>((resolve) => ns.end('from node', () => resolve()));
  t.is(recv(client, 64).toString(), 'from node');
  ns.destroy();
  client.close();
  server.close();
});

v4(`kernel errors name the call and the address: ECONNREFUSED, EADDRINUSE, EAGAIN, EBADF${lo.why}`, (t) => {
  const probe = socket('inet', 'stream, cloexec');
  bind(probe, sockaddr('inet', 'loopback', 0));
  const free = getsockname(probe) as SockaddrIn; // bound but not listening: a connect is refused
  const c = socket('inet', 'stream, cloexec');
  const e = t.throws(() => connect(c, free), { instanceOf: SyscallError, code: 'ECONNREFUSED' });
  t.is(e?.syscall, 'connect');
  t.is(e?.path, free.toString());
  const dup = socket('inet', 'stream, cloexec');
  t.is(t.throws(() => bind(dup, free), { instanceOf: SyscallError, code: 'EADDRINUSE' })?.syscall, 'bind');
  listen(probe);
  const nb = socket('inet', 'stream, cloexec, nonblock');
  bind(nb, sockaddr('inet', 'loopback', 0));
  listen(nb);
  t.is(t.throws(() => accept4(nb), { instanceOf: SyscallError, code: 'EAGAIN' })?.syscall, 'accept4');
  for (const s of [probe, c, dup, nb]) s.close();
  t.throws(() => recv(c, 8), { instanceOf: SyscallError, code: 'EBADF' });
});

test('bad input is a TypeError or RangeError naming it, before any syscall', (t) => {
  t.throws(() => socket('inet', 'stream, dgram'), { instanceOf: TypeError, message: /exactly one of stream, dgram/ });
  t.throws(() => socket('inet', 'cloexec'), { instanceOf: TypeError, message: /exactly one/ });
  t.throws(() => socket('nosuchfamily', 'stream'), { instanceOf: TypeError, message: /nosuchfamily/ });
  t.throws(() => socket('inet', 'stream, sideways'), { instanceOf: TypeError, message: /sideways/ });
  t.throws(() => socket('inet', 'stream', 'nosuchproto'), { instanceOf: TypeError, message: /nosuchproto/ });
  t.throws(() => socket('unix', 'stream', 'tcp'), { instanceOf: TypeError, message: /protocol by name/ });
  const [a, b] = socketpair('unix', 'stream, cloexec');
  t.throws(() => accept4(a, 'stream'), { instanceOf: TypeError, message: /only 'nonblock' and 'cloexec'/ });
  t.throws(() => bind(a, sockaddr('inet', '127.0.0.1', 0).toString() as never), { instanceOf: TypeError, message: /socket address/ });
  t.throws(() => sendto(a, 'x', { family: 'inet', addr: '127.0.0.1', port: 70000 } as never), { instanceOf: RangeError, message: /70000/ });
  t.throws(() => send(a, 42 as never), { instanceOf: TypeError, message: /data must be/ });
  t.throws(() => recv(a, -1), { instanceOf: RangeError });
  t.throws(() => shutdown(a, 'sideways'), { instanceOf: TypeError, message: /sideways/ });
  t.throws(() => listen(a, 2 ** 40), { instanceOf: RangeError });
  a.close();
  b.close();
});
