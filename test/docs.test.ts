// Doc comments of the public API in one style (issue 11, item 6), read with TypeScript's checker from the sources: every
// function and class `tsyscall` exports has a summary; its examples are fenced ```ts blocks after @example, and compile
// against the library's real signatures; its @see links are man7.org pages (man2 for syscalls, man3 for libc, ...), and
// a call that wraps a syscall links that syscall's page, or says `(no man page yet)` for one newer than the man pages.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { API_ENTRIES, publicApi } from '../tools/lib/api.ts';
import { ROOT } from '../tools/lib/spec.ts';

const ENTRY = API_ENTRIES.find((e) => e.name === 'tsyscall')!;
const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, strict: true, types: ['node'],
};

/** A man7.org page: man<N>[type]/<name>.<N>[type].html (the section directory and the page's suffix must agree). */
const MAN_URL = /^https:\/\/man7\.org\/linux\/man-pages\/man(\d)([a-z]*)\/([A-Za-z0-9_.+-]+)\.(\d)([a-z]*)\.html$/;
/** What a call wrapping a syscall newer than the man pages says instead of a link. */
const NO_PAGE = '(no man page yet)';
const man2 = (name: string) => `https://man7.org/linux/man-pages/man2/${name}.2.html`;

/**
 * The calls whose name is not that of the syscall they wrap, and the man2 page each must link: the syscall's, under the
 * name the man pages give it (fadvise64 is documented as posix_fadvise, newfstatat as fstatat). An entry here wins over
 * the name: getdents is a syscall too (the old one), but the call wraps getdents64.
 */
const WRAPS: Record<string, string> = {
  pread: 'pread64',
  pwrite: 'pwrite64',
  getdents: 'getdents64',
  ls: 'getdents64',
  dirtable: 'getdents64',
  rm: 'unlinkat',
  mkdirp: 'mkdir',
  readFile: 'read',
  writeFile: 'write',
  fadvise: 'posix_fadvise',
  fstatat: 'fstatat',
  futimens: 'utimensat',
  prlimit: 'prlimit',
};

/** One exported function (an overload set counts once) or class, with its doc comment taken apart. */
interface Doc {
  name: string;
  kind: 'function' | 'class';
  /** Where it is declared, for messages. */
  where: string;
  /** The text before the first tag ('' when there is no doc comment at all). */
  description: string;
  hasDoc: boolean;
  tags: { tag: string; text: string }[];
}

/** Split the text of a doc comment into its description and its block tags (a line inside a ``` fence opens no tag). */
function parseDoc(raw: string): { description: string; tags: { tag: string; text: string }[] } {
  const lines = raw.replace(/^\/\*\*/, '').replace(/\*\/$/, '').split('\n').map((l) => l.replace(/^\s*\* ?/, '').trimEnd());
  const description: string[] = [];
  const tags: { tag: string; lines: string[] }[] = [];
  let fence = false;
  for (const line of lines) {
    const m = fence ? null : /^@(\w+)\s?(.*)$/.exec(line.trim());
    if (m) tags.push({ tag: m[1], lines: [m[2]] });
    else (tags.length ? tags[tags.length - 1].lines : description).push(line);
    if (/^\s*```/.test(line)) fence = !fence;
  }
  return { description: description.join('\n').trim(), tags: tags.map((t) => ({ tag: t.tag, text: t.lines.join('\n').trim() })) };
}

function readDocs(): { docs: Doc[]; program: ts.Program } {
  const program = ts.createProgram([join(ROOT, ENTRY.source)], OPTIONS);
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(join(ROOT, ENTRY.source))!;
  const docs: Doc[] = [];
  for (const exported of checker.getExportsOfModule(checker.getSymbolAtLocation(sf)!)) {
    const s = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const kind = s.flags & ts.SymbolFlags.Class ? 'class' : s.flags & ts.SymbolFlags.Function ? 'function' : undefined;
    if (!kind) continue;
    // the class declaration (not the interface merged with it), or the first signature of an overload set
    const decl = (s.declarations ?? []).find((d) => (kind === 'class' ? ts.isClassDeclaration(d) : ts.isFunctionDeclaration(d)))!;
    const file = decl.getSourceFile();
    const where = `${file.fileName.slice(ROOT.length + 1)}:${file.getLineAndCharacterOfPosition(decl.getStart()).line + 1}`;
    const jsdoc = ts.getJSDocCommentsAndTags(decl).filter(ts.isJSDoc).at(-1);
    const parsed = jsdoc ? parseDoc(file.text.slice(jsdoc.pos, jsdoc.end)) : { description: '', tags: [] };
    docs.push({ name: exported.name, kind, where, hasDoc: jsdoc !== undefined, ...parsed });
  }
  return { docs, program };
}

const { docs, program } = readDocs();
const list = (xs: string[]) => (xs.length ? `\n  ${xs.join('\n  ')}` : '');

test('the docs read are those of every function and class of the committed API list', (t) => {
  const api = publicApi().get('tsyscall')!.filter((l) => /^(function|class)/.test(l)).map((l) => l.split(' ')[1]);
  t.deepEqual(docs.map((d) => d.name).sort(), api.sort());
  t.true(docs.length > 150);
});

test('every exported function and class has a doc comment that starts with a summary', (t) => {
  const bad = docs.filter((d) => !d.hasDoc || !/^[A-Z`'(]/.test(d.description) || d.description.startsWith(`${d.name}:`))
    .map((d) => `${d.name} (${d.where}): ${d.hasDoc ? `summary ${JSON.stringify(d.description.split('\n')[0])}` : 'no doc comment'}`);
  t.deepEqual(bad, [], `doc comments without a summary (a sentence, not 'name: ...'):${list(bad)}`);
});

test('examples are fenced ```ts blocks after @example, never in the description', (t) => {
  const bad: string[] = [];
  for (const d of docs) {
    if (d.description.includes('```')) bad.push(`${d.name} (${d.where}): a code block outside @example`);
    for (const tag of d.tags.filter((x) => x.tag === 'example')) {
      if (!/^```ts\n[\s\S]*\S[\s\S]*\n```$/.test(tag.text)) bad.push(`${d.name} (${d.where}): @example ${JSON.stringify(tag.text.split('\n')[0])}`);
    }
  }
  t.deepEqual(bad, [], `examples not in the form @example + \`\`\`ts block:${list(bad)}`);
});

test('every @see is a man7.org page whose section directory matches its suffix, or says (no man page yet)', (t) => {
  const bad: string[] = [];
  for (const d of docs) {
    for (const tag of d.tags.filter((x) => x.tag === 'see')) {
      if (tag.text === NO_PAGE) continue;
      const m = MAN_URL.exec(tag.text);
      if (!m || m[1] !== m[4] || m[2] !== m[5] || !['', 'type'].includes(m[2])) bad.push(`${d.name} (${d.where}): @see ${tag.text}`);
    }
  }
  t.deepEqual(bad, [], `@see links that are not man7.org pages of the form man<N>[type]/<name>.<N>[type].html:${list(bad)}`);
});

test('a call named for a syscall links its man2 page; the other wrappers link the page of what they wrap', (t) => {
  const spec = JSON.parse(readFileSync(join(ROOT, 'abi/linux/syscalls.json'), 'utf8')) as { syscalls: Record<string, unknown> };
  const syscalls = new Set(Object.keys(spec.syscalls));
  const functions = new Map(docs.filter((d) => d.kind === 'function').map((d) => [d.name, d]));
  const bad: string[] = [];
  // the table stays true: its names are exported calls
  for (const name of Object.keys(WRAPS)) if (!functions.has(name)) bad.push(`WRAPS.${name}: not an exported function`);
  for (const d of functions.values()) {
    const page = WRAPS[d.name] ?? (syscalls.has(d.name) ? d.name : undefined);
    if (page === undefined) continue;
    const sees = d.tags.filter((x) => x.tag === 'see').map((x) => x.text);
    if (!sees.includes(man2(page)) && !sees.includes(NO_PAGE)) bad.push(`${d.name} (${d.where}): no @see ${man2(page)} (nor ${NO_PAGE})`);
  }
  t.deepEqual(bad, [], `calls without the man page of the syscall they wrap:${list(bad)}`);
});

/**
 * What the examples may use without declaring it: every export of the library, the constant namespaces they name, and
 * a few values of the right types (an open file, a directory, a mapping, a timer, a pid, ...).
 */
function examplePrelude(): string {
  const names = docs.map((d) => d.name);
  return [
    `import { ${names.join(', ')}, abi } from '../src/index.ts';`,
    'const { AT, S } = abi;',
    'declare const fd: Fd, dir: Fd, file: Fd, src: Fd, dst: Fd, r: Fd, w: Fd, r1: Fd, w2: Fd, logFd: Fd, pidfd: Fd, sock: Fd, server: Fd, conn: Fd;',
    'declare const m: Mapping, t: Timer, buf: Buffer, handle: Buffer;',
    'declare const pid: number, size: number, p: string;',
    '',
  ].join('\n');
}

test('every example compiles against the library\'s real signatures', (t) => {
  const file = join(ROOT, 'test', '__doc_examples__.ts');
  const prelude = examplePrelude();
  let text = prelude;
  const spans: { name: string; where: string; from: number; to: number }[] = [];
  for (const d of docs) {
    for (const tag of d.tags.filter((x) => x.tag === 'example')) {
      const code = tag.text.replace(/^```ts\n/, '').replace(/\n```$/, '');
      const from = text.split('\n').length;
      text += `{\n${code}\n}\n`;
      spans.push({ name: d.name, where: d.where, from, to: text.split('\n').length - 1 });
    }
  }
  const host = ts.createCompilerHost(OPTIONS);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, text, lang) : program.getSourceFile(name) ?? getSourceFile(name, lang, ...rest);
  const p = ts.createProgram([file], OPTIONS, host);
  const bad = ts.getPreEmitDiagnostics(p, p.getSourceFile(file)).map((diag) => {
    const line = diag.file && diag.start !== undefined ? diag.file.getLineAndCharacterOfPosition(diag.start).line + 1 : 0;
    const span = spans.find((s) => line >= s.from && line <= s.to);
    const source = span ? `${span.name} (${span.where})` : `the prelude, line ${line}`;
    return `${source}: ${ts.flattenDiagnosticMessageText(diag.messageText, ' ')} in: ${text.split('\n')[line - 1]?.trim()}`;
  });
  t.true(spans.length > 150);
  t.deepEqual(bad, [], `examples that do not compile:${list(bad)}`);
});
