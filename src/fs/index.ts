// Files and directories: the file-system domain, one topic a file (as rustix's src/fs), re-exported here. Calls that can
// block (flock without 'nb', F_SETLKW, reads from pipes, splice) block the thread: they are wrapped synchronously;
// Promise variants come later. Importing this module also makes the fd-first calls methods of Fd (methods.ts).
export * from './open.ts';
export * from './io.ts';
export * from './stat.ts';
export * from './dev.ts';
export * from './perm.ts';
export * from './names.ts';
export * from './dir.ts';
export * from './times.ts';
export * from './fcntl.ts';
export * from './pipe.ts';
export * from './copy.ts';
export * from './xattr.ts';
export * from './handle.ts';
import './methods.ts';
