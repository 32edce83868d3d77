// npx tsx tools/headers.ts: fetch the newest kernel headers once (ctest/headers.ts: Debian's linux-libc-dev 7.2 into
// build/headers/) and print where they are as JSON ({ dir, debVersion, kernel, warning? }); on failure, say why on
// stderr and exit 1. For scripts and for tests, which must declare themselves synchronously (test/ctest.test.ts).
import { newestHeaders } from '../ctest/headers.ts';

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(JSON.stringify(await newestHeaders((m) => console.error(m))));
  } catch (err) {
    console.error(((err as Error).message || String(err)).split('\n')[0]);
    process.exitCode = 1;
  }
}
