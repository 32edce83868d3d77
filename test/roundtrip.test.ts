// Struct layout roundtrips (ctest/roundtrip.ts): C fills every struct with a byte pattern and the generated views must
// read every leaf as C does; the views write every leaf and C must read it back, with padding untouched. On the host
// through the FFI (the C side as a shared library loaded with koffi), on two foreign arches under qemu-user, and a
// deliberately wrong member table must fail naming the arch, the struct and the field.
//
// Under emulation (the suite run by a foreign Node), nothing is compiled: the FFI test uses the library and plan that
// `npm run roundtrip -- --arch <arch>` left in build/roundtrip/<arch>/, or skips saying so.
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ABI_DIR, ROOT, loadSpec, resolveArch, type SpecFiles } from '../tools/lib/spec.ts';
import { className, generate } from '../tools/lib/generate.ts';
import { TARGET_NAMES, missingPackages, packagesFor, targetFor, targetInfo } from '../tools/lib/targets.ts';
import {
  buildRoundtrip, describeFailure, ffiExecutor, loadBuilt, loadViews, parseOutput, planRoundtrip, programExecutor, restrictAbi,
  roundtrip, roundtripArch, specDigest, writeSets, type Built, type Views,
} from '../ctest/roundtrip.ts';
import { HOST_ARCH } from '../src/generated/index.ts';
import { librarySources } from './helpers.ts';

const files = loadSpec();
const onHost = process.arch === 'x64';
const arch = HOST_ARCH ?? process.arch;
/** What `npm run roundtrip` built, in the checkout's build/ (abi/ is a link to the checkout's in the tree the suite
 * runs from under emulation, so the checkout is where abi/ really is). */
const prebuilt = (a: string) => join(realpathSync(ABI_DIR), '..', '..', 'build', 'roundtrip', a);
/** This file runs as TypeScript (tsx) on the host; the suite under emulation runs it compiled, with no TS loader. */
const typescript = import.meta.url.endsWith('.ts');

/** The view classes the hand-written modules use (`abi.Stat`, ...), found in their source. */
function usedStructs(): string[] {
  const classes = new Set([...resolveArch(files, 'x86_64').structs.keys()].map(className));
  const used = new Set<string>();
  for (const f of librarySources()) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\babi\.([A-Z]\w*)/g)) if (classes.has(m[1])) used.add(m[1]);
  }
  return [...used].sort();
}
const USED = usedStructs();

// the host: build the C side now (a compiler is at hand); a foreign Node: the prebuilt library, if fresh
const prebuiltWhy = (() => {
  if (onHost) return '';
  if (!HOST_ARCH) return `no spec for process.arch ${process.arch}`;
  if (!targetInfo(HOST_ARCH).koffi) return `koffi has no build for ${HOST_ARCH}`;
  const b = loadBuilt(prebuilt(HOST_ARCH));
  if (!b?.lib) return `no prebuilt build/roundtrip/${HOST_ARCH}/libroundtrip.so (run npm run roundtrip -- --arch ${HOST_ARCH} on the build machine)`;
  if (b.digest !== specDigest(resolveArch(files, HOST_ARCH))) {
    return `build/roundtrip/${HOST_ARCH} was built from another spec (rerun npm run roundtrip -- --arch ${HOST_ARCH})`;
  }
  return '';
})();
const ffiOk = !prebuiltWhy;

let built: Promise<Built> | undefined;
function hostBuilt(): Promise<Built> {
  built ??= onHost
    ? buildRoundtrip(resolveArch(files, 'x86_64'), targetFor('x86_64'), mkdtempSync(join(tmpdir(), 'tsyscall-roundtrip-')), { lib: true })
    : Promise.resolve(loadBuilt(prebuilt(arch))!);
  return built;
}
test.after.always(async () => {
  const b = onHost ? await built?.catch(() => undefined) : undefined;
  if (b) rmSync(b.dir, { recursive: true, force: true });
});

const skipWhy = (why: string) => (why ? ` (skipped: ${why})` : '');

(ffiOk ? test : test.skip)(`${arch}: every struct roundtrips through the FFI (the C side as a library, loaded with koffi)${skipWhy(prebuiltWhy)}`, async (t) => {
  const start = Date.now();
  const b = await hostBuilt();
  t.is(b.arch, arch);
  const res = await roundtrip(b.plan, await ffiExecutor(b.lib!), await loadViews(arch));
  t.deepEqual([...b.failures, ...res.failures].map(describeFailure), []);
  t.true(res.structs >= 200, `structs: ${res.structs}`);
  t.true(res.fields >= 3000, `fields: ${res.fields}`);
  t.is(res.written, res.fields);
  t.true(res.buffers > res.structs, 'unions need more than one buffer');
  t.true(res.paddingBytes > 100, `padding bytes: ${res.paddingBytes}`);
  // the structs the hand-written modules use are all among them, or not checkable for a stated reason (a struct no
  // UAPI header defines)
  const planned = new Set(b.plan.structs.map((s) => s.cls));
  const skipped = new Map(b.plan.skipped.filter((s) => !s.path).map((s) => [className(s.struct), s.reason]));
  t.true(USED.length >= 15, USED.join(' '));
  const notChecked = USED.filter((cls) => !planned.has(cls));
  for (const cls of notChecked) t.regex(skipped.get(cls) ?? '', /^kernel-internal/, `${cls} is used by src/ and must be checked`);
  t.true(notChecked.length <= 2, notChecked.join(' '));
  t.true(b.plan.structs.find((s) => s.cls === 'Stat')!.leaves.some((l) => l.path === 'st_size'));
  t.log(`${arch}: ${res.structs} structs, ${res.fields} fields each way, ${res.buffers} buffers, ${res.paddingBytes} padding bytes, ` +
    `${((Date.now() - start) / 1000).toFixed(1)} s; src/ uses ${USED.length}, all checked but ` +
    `${notChecked.map((c) => `${c} (${skipped.get(c)})`).join(', ') || 'none'}`);
});

// Two foreign arches under qemu-user, with different byte orders and data models: aarch64 (LP64, little-endian) and
// m68k (ILP32, big-endian, ints aligned to 2: the most padding surprises). The structs the library uses (and those they
// contain) keep the time modest; `npm run roundtrip` does every struct on every arch.
for (const foreign of ['aarch64', 'm68k']) {
  const missing = onHost ? missingPackages(packagesFor([foreign])) : [];
  const why = !onHost ? 'qemu runs only on the x86_64 build machine' : missing.length ? `missing ${missing.join(' ')} (.ci/run installs them)` : '';
  (why ? test.skip : test)(`${foreign} under qemu-user: the structs the library uses roundtrip${skipWhy(why)}`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `tsyscall-roundtrip-${foreign}-`));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const abi = restrictAbi(resolveArch(files, foreign), USED);
    const o = await roundtripArch(foreign, { abi, dir, jobs: 1 });
    t.is(o.error, undefined);
    t.is(o.mode, 'qemu');
    t.deepEqual(o.failures.map(describeFailure), []);
    t.true(o.structs >= USED.length, `structs: ${o.structs}`);
    t.true(o.fields >= 300, `fields: ${o.fields}`);
    t.is(o.written, o.fields);
    t.log(`${foreign}: ${o.structs} structs, ${o.fields} fields each way, ${o.buffers} buffers, ${o.paddingBytes} padding bytes, ${o.seconds.toFixed(1)} s`);
  });
}

/** Generate one arch's views from a (changed) spec into a scratch tree beside a link to src/core, and load them. */
async function viewsFrom(changed: SpecFiles, a: string): Promise<{ views: Views; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsyscall-roundtrip-views-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, 'src', 'core'), join(dir, 'src', 'core'));
  const out = generate({ ...changed, arches: { [a]: changed.arches[a] } });
  for (const [path, text] of out) {
    mkdirSync(dirname(join(dir, 'src', 'generated', path)), { recursive: true });
    writeFileSync(join(dir, 'src', 'generated', path), text);
  }
  const mod = await import(join(dir, 'src', 'generated', 'index.ts')) as { loadArch: (n: string) => Promise<unknown> };
  return { views: await mod.loadArch(a) as Views, dir };
}

const movedWhy = prebuiltWhy || (typescript ? '' : 'it loads views generated at run time, and the compiled tree has no TypeScript loader');
(movedWhy ? test.skip : test)(`a field moved in the spec fails the roundtrip, naming arch, struct and field${skipWhy(movedWhy)}`, async (t) => {
  const b = await hostBuilt();
  // open_how { flags, mode, resolve }: swap mode and resolve. Sizes and the struct's size stay right; the views that
  // the generator makes from this spec read and write each at the other's offset
  const changed = structuredClone(files);
  const fs = changed.structs.find((f) => f.data.structs.open_how)!;
  const fields = fs.data.structs.open_how.fields;
  [fields[1], fields[2]] = [fields[2], fields[1]];
  const { views, dir } = await viewsFrom(changed, arch);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const abi = restrictAbi(resolveArch(changed, arch), ['open_how']);
  const plan = planRoundtrip(abi);
  t.deepEqual(plan.structs.map((s) => s.name), ['open_how']);
  const res = await roundtrip(plan, await ffiExecutor(b.lib!), views);
  const msgs = res.failures.map(describeFailure);
  for (const field of ['mode', 'resolve']) {
    for (const check of ['layout', 'C->TS', 'TS->C']) {
      t.true(msgs.some((m) => m.startsWith(`${arch} open_how.${field} [${check}]`)), `${field} ${check}:\n${msgs.join('\n')}`);
    }
  }
  t.false(msgs.some((m) => m.includes('open_how.flags')), msgs.join('\n'));
  // and the real spec's views pass the same check
  const good = await roundtrip(planRoundtrip(restrictAbi(resolveArch(files, arch), ['open_how'])), await ffiExecutor(b.lib!), await loadViews(arch));
  t.deepEqual(good.failures, []);
  t.is(good.fields, 3);
});

(ffiOk ? test : test.skip)(`a setter that writes past its field fails the roundtrip, naming arch, struct and field${skipWhy(prebuiltWhy)}`, async (t) => {
  const b = await hostBuilt();
  const real = await loadViews(arch);
  // f_owner_ex { int type; pid_t pid; }: a `type` setter that stores 8 bytes clobbers pid
  const Base = real.FOwnerEx as new (buf: Buffer, off?: number) => { $buffer: Buffer; $offset: number };
  const le = resolveArch(files, arch).arch.endian === 'little';
  class Wide extends Base {}
  Object.defineProperty(Wide.prototype, 'type', {
    get(this: InstanceType<typeof Base>) { return le ? this.$buffer.readInt32LE(this.$offset) : this.$buffer.readInt32BE(this.$offset); },
    set(this: InstanceType<typeof Base>, v: number) {
      if (le) this.$buffer.writeBigInt64LE(BigInt(v), this.$offset);
      else this.$buffer.writeBigInt64BE(BigInt(v) << 32n, this.$offset);
    },
  });
  const views = new Proxy(real, { get: (target, k) => (k === 'FOwnerEx' ? Wide : target[k as string]) });
  const plan = planRoundtrip(restrictAbi(resolveArch(files, arch), ['f_owner_ex']));
  const res = await roundtrip(plan, await ffiExecutor(b.lib!), views);
  const msgs = res.failures.map(describeFailure);
  t.true(msgs.some((m) => m.startsWith(`${arch} f_owner_ex.type [write]`) && /changed bytes 4\.\.7, outside C's 0\.\.3/.test(m)), msgs.join('\n'));
});

const compileWhy = onHost ? '' : 'it compiles C, which only the build machine does';
(compileWhy ? test.skip : test)(`a member C cannot read as the spec types it fails the build, naming arch, struct and field${skipWhy(compileWhy)}`, async (t) => {
  // timeval { tv_sec, tv_usec }: say tv_usec is a struct timespec (C: x->tv_usec.tv_sec does not compile) and
  // tv_sec an array of two ints (C: x->tv_sec[0] does not compile either: read at its address, a note)
  const changed = structuredClone(files);
  const f = changed.structs.find((x) => x.data.structs.timeval)!;
  f.data.structs.timeval.fields = [{ name: 'tv_sec', type: 'int[2]' }, { name: 'tv_usec', type: 'struct timespec' }];
  const abi = restrictAbi(resolveArch(changed, 'x86_64'), ['timeval']);
  const dir = mkdtempSync(join(tmpdir(), 'tsyscall-roundtrip-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const b = await buildRoundtrip(abi, targetFor('x86_64'), dir, { lib: false });
  t.is(b.lib, undefined);
  const msgs = b.failures.map(describeFailure);
  t.true(msgs.some((m) => m.startsWith('x86_64 timeval.tv_usec.tv_sec [compile]: C does not read it as a scalar')), msgs.join('\n'));
  t.deepEqual(b.plan.notes?.map((n) => `${n.struct}.${n.path}`), ['timeval.tv_sec[0]', 'timeval.tv_sec[1]']);
  const tv = b.plan.structs.find((s) => s.name === 'timeval')!;
  t.deepEqual(tv.leaves.map((l) => l.path), ['tv_sec[0]', 'tv_sec[1]']);
  // the program (run natively) reads both halves of tv_sec at their address, as the spec's int[2]
  const out = parseOutput(await programExecutor(targetFor('x86_64'), b.exe).fill(['timeval'])).fills.get('timeval')!;
  t.is(out.len, 24); // the larger of C's sizeof (16) and the changed spec's size (8 + 16)
  t.deepEqual([...out.values.entries()].map(([p, v]) => [p, v.off, v.size]), [['tv_sec[0]', 0, 4], ['tv_sec[1]', 4, 4]]);
  t.is(out.values.get('tv_sec[1]')!.value, BigInt(out.bytes!.readUInt32LE(4)));
});

test('the plan: every leaf of nested structs, arrays, unions and flexible arrays, and what cannot be checked', (t) => {
  const plan = planRoundtrip(resolveArch(files, 'x86_64'));
  const by = new Map(plan.structs.map((s) => [s.name, s]));
  const paths = (n: string) => by.get(n)!.leaves.map((l) => l.path);
  // a nested struct's members, with the steps through the view's accessors
  const statx = by.get('statx')!;
  const sec = statx.leaves.find((l) => l.path === 'stx_atime.tv_sec')!;
  t.deepEqual(sec.steps.map((s) => s.prop), ['stx_atime', 'tv_sec']);
  t.is(sec.offset, 64);
  // every element of an array, the flexible array's first elements past the struct's end
  t.true(paths('sockaddr_un').includes('sun_path[107]'));
  const fh = by.get('file_handle')!;
  t.true(fh.extra > 0);
  t.deepEqual(paths('file_handle').filter((p) => p.startsWith('f_handle')), Array.from({ length: 8 }, (_, i) => `f_handle[${i}]`));
  t.truthy(by.get('fiemap')!.leaves.find((l) => l.path === 'fm_extents[1].fe_flags'));
  // union members overlap: they go to separate buffers, every leaf to exactly one
  const sigevent = by.get('sigevent')!;
  const sets = writeSets(sigevent.leaves);
  t.true(sets.length > 1);
  t.is(sets.flat().length, sigevent.leaves.length);
  // what is not checked says why
  t.true(plan.skipped.some((s) => s.reason.startsWith('kernel-internal')));
  t.true(plan.skipped.some((s) => s.path === '__pad' && s.struct === 'timex' && /unnamed/.test(s.reason)));
  // a checkable-function (ctest's verdict) removes members
  const fewer = planRoundtrip(resolveArch(files, 'x86_64'), (s, p) => (s === 'stat' && p === 'st_size' ? 'newer than the headers' : undefined));
  t.false(fewer.structs.find((s) => s.name === 'stat')!.leaves.some((l) => l.path === 'st_size'));
  t.true(fewer.skipped.some((s) => s.struct === 'stat' && s.path === 'st_size'));
});

test('targets whose programs cannot run here are reported as not run, with the reason', async (t) => {
  const cannot = TARGET_NAMES.filter((a) => targetFor(a).object);
  t.true(cannot.length >= 1, 'x32 and sh4 cannot run on this machine');
  for (const a of cannot) {
    const o = await roundtripArch(a);
    t.is(o.mode, 'not run', a);
    t.is(o.error, undefined);
    t.true((o.reason ?? '').startsWith('its programs cannot run here: '), o.reason);
    t.true(targetInfo(a).runNote!.startsWith(o.reason!.replace('its programs cannot run here: ', '')), o.reason);
    t.is(o.fields, 0);
  }
});
