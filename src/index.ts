// tsyscall: the Linux kernel interface for TypeScript on Node.js.
export { Fd, type FdLike } from './core/fd.ts';
export { SyscallError, errnoName, errnoMessage } from './core/errors.ts';
export { flags, constant, type Flags } from './core/flags.ts';
export { abi } from './core/abi.ts';
export * from './fs/index.ts';
export * from './util.ts';
export * from './memory.ts';
export * from './time.ts';
export * from './process.ts';
export * from './event/index.ts';
export * from './net/index.ts';
export * from './signal/index.ts';
