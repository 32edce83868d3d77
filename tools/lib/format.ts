// Canonical JSON formatting for the files under abi/: two-space indentation, and any object or array that fits on
// one line of at most WIDTH characters is written on one line. Every tool that writes abi/ goes through this, so that
// regenerating a file that did not change gives no diff.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './spec.ts';

/** Every .json file under a folder (default abi/), sorted, at any depth. */
export function abiJsonFiles(dir = join(ROOT, 'abi')): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? abiJsonFiles(p) : f.endsWith('.json') ? [p] : [];
  });
}

const WIDTH = 120;

function inline(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

function block(value: unknown, indent: string, prefixLength: number): string {
  const one = inline(value);
  if (value === null || typeof value !== 'object' || indent.length + prefixLength + one.length + 1 <= WIDTH) return one;
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + block(v, inner, 0)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const lines = entries.map(([k, v]) => {
    const key = `${JSON.stringify(k)}: `;
    return inner + key + block(v, inner, key.length);
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** The canonical text of an abi/ JSON file (with a final newline). */
export function formatJson(value: unknown): string {
  return block(value, '', 0) + '\n';
}
