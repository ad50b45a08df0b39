/**
 * `npm run build [-- --sourcemap]`: one esbuild bundle per function per cloud.
 *
 * Functions are discovered from `functions/<cloud>/*.ts`; every file is a function except `index.ts` on AWS
 * and GCP (on Azure `index.ts` is the app's single `main`, importing every function file). Output:
 * `dist/<cloud>/<function>/index.js` (CommonJS, node20, minified), metafiles in `dist/meta/`, and a size
 * report in `dist/build-report.json`. Everything is bundled, AWS SDK v3 and `@azure/functions` included;
 * the only external is `@azure/functions-core`, which the Azure Functions worker injects at run time.
 * A bundle over the 1 MB cold-start budget fails the build.
 */
import { build as esbuild, type Metafile, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CLOUDS = ['aws', 'azure', 'gcp'] as const;
export type Cloud = (typeof CLOUDS)[number];

/** DESIGN §6: each function bundle ≤ 1 MB minified. */
export const BUNDLE_BUDGET_BYTES = 1_000_000;

/** Provided by the platform, never bundled. */
const EXTERNALS: Record<Cloud, string[]> = { aws: [], azure: ['@azure/functions-core'], gcp: [] };

/**
 * The router's upstream uses undici's `Pool` only. undici is CommonJS, so esbuild cannot tree-shake its index
 * (fetch, WebSocket, caches: ~400 KB); the Pool module alone is ~250 KB and loads ~25 ms faster. Only the
 * names listed here may be imported from 'undici' in bundled code; anything else fails the build.
 */
const UNDICI_NAMES: Readonly<Record<string, string>> = { Pool: 'undici/lib/dispatcher/pool.js' };
const UNDICI_TYPE_ONLY = new Set(['Dispatcher']);

export const undiciSubsetPlugin: Plugin = {
  name: 'undici-subset',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, (args) => ({ path: args.importer, namespace: 'undici-subset' }));
    build.onLoad({ filter: /.*/, namespace: 'undici-subset' }, (args) => {
      const imported = [...readFileSync(args.path, 'utf8').matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'undici'/g)]
        .flatMap((m) => (m[1] ?? '').split(','))
        .map((name) => name.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0] ?? '')
        .filter((name) => name !== '' && !UNDICI_TYPE_ONLY.has(name));
      const unknown = imported.filter((name) => !(name in UNDICI_NAMES));
      if (unknown.length > 0 || imported.length === 0) {
        return { errors: [{ text: `${relative(process.cwd(), args.path)} imports ${unknown.join(', ') || 'undici in a form'} the undici subset in infra/build/build.ts does not map; add it there` }] };
      }
      const lines = imported.map((name) => `exports.${name} = require(${JSON.stringify(UNDICI_NAMES[name])});`);
      return { contents: lines.join('\n'), loader: 'js', resolveDir: process.cwd() };
    });
  },
};

export interface FunctionSource {
  readonly cloud: Cloud;
  readonly name: string;
  readonly entry: string;
}

export interface BundleReport extends FunctionSource {
  readonly outfile: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Time to `require` the bundle in a fresh Node process (module init), ms; undefined if not measured. */
  readonly initMs?: number;
  /** Largest inputs by bytes in the output. */
  readonly top: readonly { readonly path: string; readonly bytes: number }[];
}

export interface BuildOptions {
  readonly root?: string;
  readonly sourcemap?: boolean;
  readonly measureInit?: boolean;
  readonly log?: (line: string) => void;
  /** Fail when a bundle exceeds the budget (default true); the cold-start benchmark reports instead. */
  readonly enforceBudget?: boolean;
}

export function discoverFunctions(root: string): FunctionSource[] {
  const found: FunctionSource[] = [];
  for (const cloud of CLOUDS) {
    const dir = join(root, 'functions', cloud);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts') || file.endsWith('.test.ts')) continue;
      const name = file.slice(0, -'.ts'.length);
      if (name === 'index' && cloud !== 'azure') continue;
      found.push({ cloud, name, entry: join(dir, file) });
    }
  }
  return found;
}

function topInputs(meta: Metafile, outfile: string, root: string): { path: string; bytes: number }[] {
  const output = meta.outputs[relative(root, outfile)];
  if (!output) return [];
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? '(meshgate)';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
  }
  return [...byPackage.entries()].map(([path, bytes]) => ({ path, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, 3);
}

/**
 * Lambda's Node.js runtime defines `awslambda` before it loads a handler; a streaming handler module calls
 * `awslambda.streamifyResponse` at load. Outside Lambda this stands in for it, so the bundle loads and its
 * init is measured without the runtime's own work.
 */
export const LAMBDA_GLOBALS_STUB = `globalThis.awslambda={streamifyResponse:(h)=>h,HttpResponseStream:{from:(s)=>s}};`;

/** The Azure Functions worker injects '@azure/functions-core'; stand in for it as a v4.28+ host's worker would. */
export const AZURE_CORE_STUB = `const M=require('module');const core={log(){},setProgrammingModel(){},registerFunction(){return{dispose(){}}},registerHook(){return{dispose(){}}}};const load=M._load;M._load=function(r,...a){return r==='@azure/functions-core'?core:load.call(this,r,...a)};`;

function measureInit(outfile: string): number | undefined {
  const script = `${AZURE_CORE_STUB}${LAMBDA_GLOBALS_STUB}const t=performance.now();require(${JSON.stringify(outfile)});process.stdout.write(String(performance.now()-t))`;
  try {
    const out = execFileSync(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 }).toString();
    return Math.round(Number(out) * 10) / 10;
  } catch {
    return undefined;
  }
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

export function formatTable(reports: readonly BundleReport[]): string {
  const rows = [['cloud', 'function', 'minified', 'gzip', 'init', 'largest inputs']];
  for (const r of reports) {
    rows.push([r.cloud, r.name, kb(r.bytes), kb(r.gzipBytes), r.initMs === undefined ? '-' : `${r.initMs} ms`, r.top.map((t) => `${t.path} ${kb(t.bytes)}`).join(', ')]);
  }
  const row0 = rows[0]!;
  const widths = row0.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const pad = (cell: string, i: number): string => (i === row0.length - 1 ? cell : i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!));
  return rows.map((row) => row.map(pad).join('  ')).join('\n');
}

export async function buildAll(options: BuildOptions = {}): Promise<BundleReport[]> {
  const root = options.root ?? process.cwd();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dist = join(root, 'dist');
  for (const dir of [...CLOUDS, 'meta']) rmSync(join(dist, dir), { recursive: true, force: true });
  mkdirSync(join(dist, 'meta'), { recursive: true });

  const reports: BundleReport[] = [];
  for (const fn of discoverFunctions(root)) {
    const outfile = join(dist, fn.cloud, fn.name, 'index.js');
    const result = await esbuild({
      absWorkingDir: root,
      entryPoints: [fn.entry],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      sourcemap: options.sourcemap ? 'external' : false,
      metafile: true,
      external: EXTERNALS[fn.cloud],
      plugins: [undiciSubsetPlugin],
      logLevel: 'warning',
    });
    writeFileSync(join(dist, 'meta', `${fn.cloud}-${fn.name}.json`), JSON.stringify(result.metafile));
    const code = readFileSync(outfile);
    const initMs = options.measureInit === false ? undefined : measureInit(outfile);
    reports.push({ ...fn, outfile, bytes: code.length, gzipBytes: gzipSync(code).length, ...(initMs === undefined ? {} : { initMs }), top: topInputs(result.metafile, outfile, root) });
  }
  writeFileSync(join(dist, 'build-report.json'), `${JSON.stringify(reports.map(({ top: _top, ...r }) => ({ ...r, entry: relative(root, r.entry), outfile: relative(root, r.outfile) })), null, 2)}\n`);
  log(formatTable(reports));

  const over = reports.filter((r) => r.bytes > BUNDLE_BUDGET_BYTES);
  if (over.length > 0 && options.enforceBudget !== false) {
    throw new Error(`bundle budget (${BUNDLE_BUDGET_BYTES} bytes) exceeded: ${over.map((r) => `${r.cloud}/${r.name} ${r.bytes}`).join(', ')}`);
  }
  return reports;
}

if (require.main === module) {
  buildAll({ sourcemap: process.argv.includes('--sourcemap') }).catch((err: unknown) => {
    process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
