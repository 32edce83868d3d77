// The file-type tests Stat, Statx and Dirent share: one implementation over a mode's S_IFMT bits.
import { abi } from './abi.ts';

const { S } = abi;

export interface FileTypeTests {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

const TESTS: [keyof FileTypeTests, number][] = [
  ['isFile', S.IFREG], ['isDirectory', S.IFDIR], ['isSymbolicLink', S.IFLNK], ['isFIFO', S.IFIFO],
  ['isSocket', S.IFSOCK], ['isCharacterDevice', S.IFCHR], ['isBlockDevice', S.IFBLK],
];

/** Give a class whose instances have `fileType` (the S_IFMT bits of a mode) the is*() tests. */
export function withFileTypeTests(cls: { prototype: object }): void {
  for (const [name, bits] of TESTS) {
    Object.defineProperty(cls.prototype, name, {
      value: function (this: { fileType: number }) { return this.fileType === bits; },
      writable: true, configurable: true,
    });
  }
}

/** The S_IFMT bits of a d_type value (DT_REG -> S_IFREG): d_type is the mode's type shifted right by 12. */
export const dtToMode = (dt: number): number => (dt << 12) & S.IFMT;
