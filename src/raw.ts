// tsyscall/raw: one function per syscall of the host arch, generated from the spec, returning the result or -errno and
// allocating nothing. UNCHECKED: a length larger than its buffer lets the kernel write past it (the main API checks).
import { host } from './generated/index.ts';

export const raw = host.raw;
export default raw;
