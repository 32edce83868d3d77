// Words: the size and byte order of the words in memory the kernel shares with the process (auxv entries, loff_t
// in/out arguments, rlimit64, sigval, iovec pointers), and the bits of a CPU mask (cpu_set_t, an array of the kernel's
// unsigned long). `wordsOf(abi)` gives the sizes and byte order for any arch's generated ABI; the rest of this file
// applies it to the host: readers and writers in the host's byte order, pointer-sized values, the auxiliary vector.
// (Which syscall and struct each operation uses on an arch is arch.ts's business.)
import { abi, type ArchAbi } from './abi.ts';

/** The words of one arch. */
export interface Words {
  /** The size of a pointer: of an auxv word, an iovec field, a sigval. */
  readonly word: 4 | 8;
  /** The size of the kernel's `unsigned long` in CPU masks. */
  readonly long: 4 | 8;
  readonly littleEndian: boolean;
  /** mmap hints must be below this: the top of the address space the kernel uses without a hint above it. */
  readonly addressLimit: number;
}

/** The highest user address the kernel hands out without a hint above it, by arch (2^47 where not listed). */
const ADDRESS_TOP: Readonly<Record<string, number>> = { aarch64: 2 ** 48 };

/** The word sizes and byte order of arch `a` (any arch of the spec, not only the host), from its data model. */
export function wordsOf(a: ArchAbi): Words {
  const word = Number(a.arch.types.pointer.size) === 4 ? 4 : 8;
  return {
    word,
    long: Number(a.arch.types.long.size) === 4 ? 4 : 8,
    littleEndian: a.arch.endian === 'little',
    addressLimit: word === 4 ? 2 ** 32 : (ADDRESS_TOP[a.arch.name] ?? 2 ** 47),
  };
}

/** The host's words. */
const HOST_WORDS: Words = wordsOf(abi);

/** Bytes in a pointer (auxv words, iovec fields, sigval). */
export const WORD = HOST_WORDS.word;
/** See Words.addressLimit. */
export const ADDRESS_LIMIT = HOST_WORDS.addressLimit;
const LE = HOST_WORDS.littleEndian;
const LONG = HOST_WORDS.long;

// ---- memory the kernel shares, in the host's byte order ----

export const readI32 = LE ? (b: Buffer, o = 0) => b.readInt32LE(o) : (b: Buffer, o = 0) => b.readInt32BE(o);
export const writeI32 = LE ? (b: Buffer, v: number, o = 0) => b.writeInt32LE(v, o) : (b: Buffer, v: number, o = 0) => b.writeInt32BE(v, o);
export const readI64 = LE ? (b: Buffer, o = 0) => b.readBigInt64LE(o) : (b: Buffer, o = 0) => b.readBigInt64BE(o);
export const writeI64 = LE ? (b: Buffer, v: bigint, o = 0) => b.writeBigInt64LE(v, o) : (b: Buffer, v: bigint, o = 0) => b.writeBigInt64BE(v, o);
export const readU64 = LE ? (b: Buffer, o = 0) => b.readBigUInt64LE(o) : (b: Buffer, o = 0) => b.readBigUInt64BE(o);
export const writeU64 = LE ? (b: Buffer, v: bigint, o = 0) => b.writeBigUInt64LE(v, o) : (b: Buffer, v: bigint, o = 0) => b.writeBigUInt64BE(v, o);

/** An unsigned pointer-sized word (an auxv entry's type or value). */
export function readWord(b: Buffer, o: number): bigint {
  if (WORD === 8) return readU64(b, o);
  return BigInt(LE ? b.readUInt32LE(o) : b.readUInt32BE(o));
}

/** The values of the auxiliary vector (/proc/self/auxv) whose type is `type`, in order. */
export function auxv(data: Buffer, type: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i + 2 * WORD <= data.length; i += 2 * WORD) {
    const t = readWord(data, i);
    if (t === 0n) break; // AT_NULL
    if (t === BigInt(type)) out.push(readWord(data, i + WORD));
  }
  return out;
}

/** A value for a pointer-sized struct field: a bigint where the field has 8 bytes, a number where it has 4. */
export const pointerField: (v: bigint) => bigint | number = WORD === 8 ? (v) => v : (v) => Number(BigInt.asUintN(32, v));

/** The byte and bit of CPU `cpu` in a cpu_set_t (an array of the kernel's unsigned long). */
export function cpuBit(cpu: number): [number, number] {
  const bits = 8 * LONG;
  const w = Math.floor(cpu / bits);
  const inWord = cpu % bits;
  const byte = LE ? inWord >> 3 : LONG - 1 - (inWord >> 3);
  return [w * LONG + byte, inWord & 7];
}
