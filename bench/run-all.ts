/**
 * Runs every benchmark (`bench/*.bench.ts`) one after another in its own process, so one benchmark's
 * emulators or warm caches never colour the next. Each writes `bench/results/<name>.json`.
 * `npm run bench -- store coldstart` runs only the named ones.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const benchDir = __dirname;
const only = new Set(process.argv.slice(2));
const benches = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace(/\.bench\.ts$/, ''))
  .filter((name) => only.size === 0 || only.has(name))
  .sort();

let failed = 0;
for (const name of benches) {
  console.log(`\n=== bench: ${name} ===`);
  const tsx = join(benchDir, '..', 'node_modules', '.bin', 'tsx');
  const result = spawnSync(tsx, [join(benchDir, `${name}.bench.ts`)], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`bench ${name} failed with exit code ${result.status}`);
    failed += 1;
  }
}
process.exit(failed === 0 ? 0 : 1);
