// An interface's index by name (if_nametoindex), for the addresses that name an interface: an IPv6 zone ('fe80::1%eth0')
// and a link-layer address's ifindex. Asked of the kernel with SIOCGIFINDEX on a throwaway socket, as glibc does, so
// that the answer is that of the calling thread's network namespace (a name in /sys/class/net may be another's).
import { abi, raw } from '../core/abi.ts';
import { backend, type SyscallFn } from '../core/backend.ts';
import { check } from '../core/errors.ts';
import { retryFd } from '../core/fd.ts';
import { bufferFrom, describe } from '../core/args.ts';
import { structArg } from '../core/view.ts';

const { AF, SOCK, SIOC } = abi;

let ioctlPtr: SyscallFn | undefined;
/** ioctl with a pointer argument (raw.ioctl's third argument is an integer: unsigned long). */
const ioctl = (fd: number, cmd: number, arg: Uint8Array): number =>
  (ioctlPtr ??= backend().bind((abi.SYS as unknown as Record<string, number>).ioctl, 'iip'))(fd, cmd, arg);

/** The index of the interface named `name` in the calling thread's network namespace; ENODEV when there is none. */
export function ifIndex(name: unknown, what = 'interface'): number {
  if (typeof name !== 'string') throw new TypeError(`${what} must be an interface name or an index, got ${describe(name)}`);
  const req = new abi.Ifreq();
  const field = req.ifr_ifrn.ifrn_name;
  const bytes = bufferFrom(name, 'utf8');
  // IFNAMSIZ with its NUL
  if (bytes.length === 0 || bytes.length >= field.length || bytes.includes(0)) {
    throw new TypeError(`${what}: ${JSON.stringify(name)} is not an interface name (1 to ${field.length - 1} bytes, no NUL)`);
  }
  field.set(bytes);
  const fd = check(retryFd(() => raw.socket(AF.UNIX, SOCK.DGRAM | SOCK.CLOEXEC, 0)), 'socket');
  try {
    check(ioctl(fd, SIOC.GIFINDEX, structArg(req, abi.Ifreq, 'ifreq')), 'ioctl', name);
  } finally {
    raw.close(fd);
  }
  return req.ifr_ifru.ifru_ivalue;
}
