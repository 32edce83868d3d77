// The public API as a list (issue 11): every name each entry point of the package exports, with its kind, read by
// TypeScript's checker from the sources (types and interfaces included, which no runtime import shows). The committed
// lists in api/ are compared with it by test/api.test.ts, so that an internal helper cannot leak and a public name
// cannot vanish unnoticed; `npm run api` rewrites them after a deliberate change.
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './spec.ts';

/** The package's entry points (package.json "exports") and the file of api/ that lists each. */
export const API_ENTRIES: readonly { name: string; source: string; list: string }[] = [
  { name: 'tsyscall', source: 'src/index.ts', list: 'api/tsyscall.txt' },
  { name: 'tsyscall/raw', source: 'src/raw.ts', list: 'api/tsyscall-raw.txt' },
  { name: 'tsyscall/generated', source: 'src/generated/index.ts', list: 'api/tsyscall-generated.txt' },
];

function kindOf(checker: ts.TypeChecker, symbol: ts.Symbol): string {
  const s = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const f = s.flags;
  const kinds: string[] = [];
  if (f & ts.SymbolFlags.Class) kinds.push('class');
  else if (f & ts.SymbolFlags.Function) kinds.push('function');
  else if (f & ts.SymbolFlags.Enum) kinds.push('enum');
  else if (f & ts.SymbolFlags.Variable) kinds.push('const');
  if (f & ts.SymbolFlags.Interface) kinds.push('interface');
  else if (f & ts.SymbolFlags.TypeAlias) kinds.push('type');
  if (f & (ts.SymbolFlags.NamespaceModule | ts.SymbolFlags.ValueModule)) kinds.push('namespace');
  return kinds.join('+') || 'other';
}

/** "kind name" lines, sorted, of every export of each entry point: one TypeScript program for all of them. */
export function publicApi(): Map<string, string[]> {
  const files = API_ENTRIES.map((e) => join(ROOT, e.source));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, types: ['node'],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const e of API_ENTRIES) {
    const sf = program.getSourceFile(join(ROOT, e.source));
    const mod = sf && checker.getSymbolAtLocation(sf);
    if (!mod) throw new Error(`${e.source}: not a module`);
    out.set(e.name, checker.getExportsOfModule(mod).map((s) => `${kindOf(checker, s)} ${s.name}`)
      .sort((a, b) => a.split(' ')[1].localeCompare(b.split(' ')[1]) || a.localeCompare(b)));
  }
  return out;
}

/** The text of an api/ list. */
export const apiText = (name: string, lines: string[]) =>
  `# The public API of ${name}: every export, with its kind (npm run api writes this file; test/api.test.ts compares).\n${lines.join('\n')}\n`;
