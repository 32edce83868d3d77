// Device numbers: makedev (for mknod) and devParts (of st_rdev and st_dev).
import { int, int64 } from '../core/args.ts';

/**
 * A device number in the kernel's encoding (new_encode_dev) from major and minor.
 *
 * @example
 * ```ts
 * makedev(1, 3); // 259
 * ```
 * @see https://man7.org/linux/man-pages/man3/makedev.3.html
 */
export function makedev(major: number, minor: number): number {
  const ma = int(major, 'major', 0, 0xfff);
  const mi = int(minor, 'minor', 0, 0xfffff);
  return ((mi & 0xff) | (ma << 8) | ((mi & ~0xff) << 12)) >>> 0;
}

/**
 * The major and minor of a device number (st_rdev, as bigint or number).
 *
 * @example
 * ```ts
 * devParts(259n); // { major: 1, minor: 3 }
 * ```
 * @see https://man7.org/linux/man-pages/man3/makedev.3.html
 */
export function devParts(dev: number | bigint): { major: number; minor: number } {
  const d = BigInt(int64(dev, 'dev', true));
  return {
    major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)),
    minor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)),
  };
}
