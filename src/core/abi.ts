// The host's generated ABI, for the hand-written modules: constants, syscall numbers, struct views and raw calls of
// the arch Node runs on.
import { hostAbi } from '../generated/index.ts';

export const abi = hostAbi();
export const { raw } = abi;
export type { ArchAbi } from '../generated/index.ts';
