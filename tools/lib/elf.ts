// Reading ELF files (32- or 64-bit, either endianness) without a toolchain: the header fields ctest and the suite need.
import { readFileSync } from 'node:fs';

export interface ElfReader {
  readonly bytes: Buffer;
  readonly is64: boolean;
  readonly littleEndian: boolean;
  u16(offset: number): number;
  u32(offset: number): number;
  /** A word of the file's class: 4 bytes in a 32-bit ELF file, 8 in a 64-bit one (as a number). */
  word(offset: number): number;
}

/** Open an ELF file for reading its headers; throws for anything else. */
export function elfReader(file: string): ElfReader {
  const b = readFileSync(file);
  if (b.length < 16 || b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file}: not an ELF file`);
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(o));
  return { bytes: b, is64, littleEndian: le, u16, u32, word };
}
