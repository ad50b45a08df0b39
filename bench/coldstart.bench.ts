/**
 * Cold-start benchmark: for every function bundle of every cloud, its size (unminified and minified, as
 * deployed) and module init time (a fresh `node` process requiring the bundle; median of RUNS), measured side
 * by side with bare hello-world bundles of each runtime library (middy, @azure/functions, functions-framework)
 * built and timed in the same run. Writes bench/results/coldstart.json.
 * Targets (DESIGN §6): every bundle ≤ 1 MB minified, init ≤ 150 ms.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AZURE_CORE_STUB, buildAll, BUNDLE_BUDGET_BYTES, discoverFunctions, LAMBDA_GLOBALS_STUB } from '../infra/build/build';
import { percentile, writeResult } from './support/results';

const ROOT = join(__dirname, '..');
const RUNS = Number(process.env.MESHGATE_BENCH_RUNS ?? 15);
const INIT_TARGET_MS = 150;

function initOnce(file: string): number {
  const script = `${AZURE_CORE_STUB}${LAMBDA_GLOBALS_STUB}const t=performance.now();require(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));process.exit(0)`;
  return Number(execFileSync(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).toString());
}

/** Interleaves the bundles run by run so machine noise spreads evenly over all of them. */
function measureInits(files: Record<string, string>): Record<string, number[]> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(files).map((k) => [k, []]));
  for (let run = 0; run < RUNS; run += 1) {
    for (const [name, file] of Object.entries(files)) samples[name]!.push(initOnce(file));
  }
  return samples;
}

async function bundleSize(entry: string, external: string[], minify: boolean, dir: string): Promise<number> {
  const outfile = join(dir, `${minify ? 'min' : 'full'}-${Math.random().toString(36).slice(2)}.js`);
  await build({ absWorkingDir: ROOT, entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify, external, logLevel: 'silent' });
  return readFileSync(outfile).length;
}

const BASELINES: Record<string, { source: string; external: string[] }> = {
  'baseline/middy-hello': { source: `import middy from '@middy/core'; export const handler = middy(async () => ({ statusCode: 200, body: 'ok' }));`, external: [] },
  'baseline/middy-streaming-hello': { source: `import middy from '@middy/core'; export const handler = middy(async () => ({ statusCode: 200, body: 'ok' }), { streamifyResponse: true });`, external: [] },
  'baseline/azure-functions-hello': { source: `import { app } from '@azure/functions'; app.http('hello', { handler: async () => ({ body: 'ok' }) });`, external: ['@azure/functions-core'] },
  'baseline/functions-framework-hello': { source: `import { http } from '@google-cloud/functions-framework'; http('hello', (_req, res) => { res.send('ok'); });`, external: [] },
};

async function buildBaselines(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const [name, { source, external }] of Object.entries(BASELINES)) {
    const entry = join(ROOT, 'bench', `.${name.replace('/', '-')}.ts`);
    writeFileSync(entry, source);
    try {
      const outfile = join(dir, `${name.replace('/', '-')}.js`);
      await build({ absWorkingDir: ROOT, entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, external, logLevel: 'silent' });
      files[name] = outfile;
    } finally {
      rmSync(entry, { force: true });
    }
  }
  return files;
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'meshgate-coldstart-'));
  try {
    const reports = await buildAll({ root: ROOT, measureInit: false, log: () => undefined }).catch(async (err: unknown) => {
      // Over budget still measures: the result must report the miss, not hide it.
      console.warn(String(err));
      return buildAll({ root: ROOT, measureInit: false, log: () => undefined, enforceBudget: false });
    });
    const sources = Object.fromEntries(discoverFunctions(ROOT).map((fn) => [`${fn.cloud}/${fn.name}`, fn]));
    const bundleFiles = Object.fromEntries(reports.map((r) => [`${r.cloud}/${r.name}`, r.outfile]));
    const baselineFiles = await buildBaselines(scratch);
    const samples = measureInits({ ...bundleFiles, ...baselineFiles });

    const bundles: Record<string, unknown> = {};
    for (const report of reports) {
      const key = `${report.cloud}/${report.name}`;
      const init = samples[key]!;
      const source = sources[key]!;
      bundles[key] = {
        bytes: await bundleSize(source.entry, report.cloud === 'azure' ? ['@azure/functions-core'] : [], false, scratch),
        minifiedBytes: report.bytes,
        gzipBytes: report.gzipBytes,
        initMs: round(percentile(init, 50)),
        initP90Ms: round(percentile(init, 90)),
        withinSizeTarget: report.bytes <= BUNDLE_BUDGET_BYTES,
        withinInitTarget: percentile(init, 50) <= INIT_TARGET_MS,
      };
    }
    const baselines: Record<string, unknown> = {};
    for (const [name, file] of Object.entries(baselineFiles)) {
      const code = readFileSync(file);
      baselines[name] = { minifiedBytes: code.length, gzipBytes: gzipSync(code).length, initMs: round(percentile(samples[name]!, 50)), initP90Ms: round(percentile(samples[name]!, 90)) };
    }
    writeResult('coldstart', {
      runs: RUNS,
      targets: { maxMinifiedBytes: BUNDLE_BUDGET_BYTES, maxInitMs: INIT_TARGET_MS },
      allWithinTargets: Object.values(bundles).every((b) => (b as { withinSizeTarget: boolean; withinInitTarget: boolean }).withinSizeTarget && (b as { withinInitTarget: boolean }).withinInitTarget),
      bundles,
      baselines,
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const round = (n: number): number => Math.round(n * 10) / 10;

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
