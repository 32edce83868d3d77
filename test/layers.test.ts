// The import graph goes one way (issue 11): the library (src/) stands alone; the build-time knowledge at the bottom
// (tools/lib/: the spec loader, the layout engine, the target table, the generator) imports only itself; ctest/ builds
// on tools/lib/, and qemu/ and the porting tools on both; command-line entry points sit at the ends of the graph and no
// module imports one (tests may: they are the top). Read from the sources with TypeScript's parser.
import test from 'ava';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../tools/lib/spec.ts';

const SKIP = new Set(['node_modules', 'build', 'dist', 'generated', '.git']);
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (SKIP.has(f)) return [];
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports (and re-exports, and dynamic imports of a literal) of a file, as paths from the root: parsed, so that
 * the generator's templates of generated imports do not count. */
function importsOf(file: string): string[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const specs: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      specs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(ROOT, resolve(dirname(file), s)));
}

/** A file that runs as a command (the guard every entry point here uses). */
const isEntryPoint = (file: string) => /import\.meta\.url === `file:\/\/\$\{process\.argv\[1\]\}`/.test(readFileSync(join(ROOT, file), 'utf8'));

/** Layers, bottom first: a file may import its own layer and those below. */
const LAYERS = ['src', 'tools/lib', 'harness', 'ctest', 'tools/port', 'qemu', 'tools', 'bench'];
const layerOf = (f: string) => {
  const l = [...LAYERS].sort((a, b) => b.length - a.length).find((x) => f === x || f.startsWith(`${x}/`));
  if (!l) throw new Error(`${f}: in no layer`);
  return l;
};
/** What each layer may import besides itself. */
const MAY: Record<string, string[]> = {
  src: [],
  'tools/lib': [],
  // the test harness: runs the test files (node:test/ava) in namespaces and checks the host state
  harness: ['tools/lib'],
  // ctest and the roundtrips check the spec against C, and the generated views (src/generated) against C
  ctest: ['tools/lib', 'src'],
  'tools/port': ['tools/lib', 'ctest'],
  // the suite on other arches runs the harness's test files against the library
  qemu: ['tools/lib', 'harness', 'ctest', 'src'],
  tools: ['tools/lib', 'ctest', 'tools/port', 'qemu'],
  bench: ['src', 'tools/lib'],
};

/** What is wrong with an import of `to` by `from` (paths from the root). */
function problems(from: string, to: string, entryPoint: boolean): string[] {
  const a = layerOf(from);
  const b = layerOf(to);
  return [
    ...(a !== b && !MAY[a].includes(b) ? [`${from} -> ${to} (${a} may not import ${b})`] : []),
    ...(entryPoint ? [`${from} -> ${to} (a command-line entry point)`] : []),
  ];
}

/** Every arrow against the direction, and every import of an entry point, in the given files. */
function violations(files: string[]): string[] {
  const out: string[] = [];
  for (const abs of files) {
    const f = relative(ROOT, abs);
    const from = layerOf(f);
    for (const to of importsOf(abs)) out.push(...problems(f, to, isEntryPoint(to)));
  }
  return out;
}

test('imports go one way, and no module imports a command-line entry point', (t) => {
  const files = ['src', 'tools', 'ctest', 'qemu', 'harness', 'bench'].flatMap((d) => sources(join(ROOT, d)));
  t.true(files.length > 40, `${files.length} files under ${ROOT}`);
  t.deepEqual(violations(files), []);
});

test('the rules catch the knot of before (ctest importing the target table from qemu/, a script imported as a library)', (t) => {
  t.deepEqual(problems('ctest/main.ts', 'qemu/targets.ts', true), [
    'ctest/main.ts -> qemu/targets.ts (ctest may not import qemu)',
    'ctest/main.ts -> qemu/targets.ts (a command-line entry point)',
  ]);
  t.deepEqual(problems('qemu/matrix.ts', 'ctest/main.ts', true), ['qemu/matrix.ts -> ctest/main.ts (a command-line entry point)']);
  t.deepEqual(problems('tools/lib/generate.ts', 'src/core/view.ts', false), ['tools/lib/generate.ts -> src/core/view.ts (tools/lib may not import src)']);
  t.deepEqual(problems('src/fs/open.ts', 'tools/lib/spec.ts', false), ['src/fs/open.ts -> tools/lib/spec.ts (src may not import tools/lib)']);
  t.deepEqual(problems('qemu/matrix.ts', 'ctest/ctest.ts', false), []);
  t.true(isEntryPoint('tools/targets.ts'));
  t.false(isEntryPoint('tools/lib/targets.ts'));
});
