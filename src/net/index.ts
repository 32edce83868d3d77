// Networking: socket addresses as types (addr.ts: sockaddr(), decodeSockaddr() and a class per family; ip.ts: IPv4
// and IPv6 addresses; mac.ts: hardware addresses). Named exports only: addr.ts's helpers for the socket calls
// (sockaddrArg, sockaddrOut, fromSockaddrOut) and codec.ts stay inside the library.
export {
  Sockaddr, SockaddrIn, SockaddrIn6, SockaddrUn, SockaddrNl, SockaddrLl, SockaddrVm, SockaddrAlg, SockaddrGeneric,
  sockaddr, decodeSockaddr,
  type SockaddrJSON, type SockaddrClasses, type SockaddrInit, type SockaddrLike, type Inet6Options, type UnixName,
  type NetlinkOptions, type PacketOptions, type VsockCid, type AlgOptions,
} from './addr.ts';
export { InAddr, In6Addr, inAddr, in6Addr, type InAddrLike, type In6AddrLike } from './ip.ts';
export { MacAddr, macAddr, MAX_ADDR_LEN, type MacAddrLike } from './mac.ts';
export {
  socket, socketpair, bind, listen, connect, accept4, getsockname, getpeername, shutdown, send, sendto, recv, recvfrom,
  type SocketFamily, type SocketType, type Accepted, type Received,
} from './socket.ts';
