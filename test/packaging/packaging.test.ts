/**
 * `npm run build` + `npm run package` in a scratch copy of the project (so a developer's dist/ is left
 * alone), offline — inside a network namespace when the machine allows one — and with no AWS credentials.
 * Then every artifact is opened and its entry points are exercised the way each platform loads them.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readZip } from '../../infra/build/zip';

const repo = join(__dirname, '..', '..');
const MB = 1_000_000;
let work: string;
let dist: string;
let buildOutput: string;

function run(script: string, isolateNetwork: boolean): string {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];
  const tsx = join(repo, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const command = [process.execPath, tsx, join(repo, 'infra', 'build', script)];
  const [file, ...args] = isolateNetwork ? ['unshare', '-n', ...command] : command;
  const result = spawnSync(file!, args, { cwd: work, env, encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0) throw new Error(`${script} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());
}

/** Runs a small script in a fresh Node process and returns what it printed as JSON. */
/** A deployed-shape configuration whose three stores are unreachable (a closed loopback port). */
const UNREACHABLE_STORES_CONFIG = `
multi_cloud:
  enabled: true
  default_provider: aws
  providers:
    aws: { region: us-east-1, account_id: "123456789012", endpoint: "http://127.0.0.1:1", credentials: { access_key_id: x, secret_access_key: x }, store: { table: meshgate } }
    azure: { region: eastus, subscription_id: "00000000-0000-0000-0000-000000000000", tenant_id: "00000000-0000-0000-0000-000000000000", store: { endpoint: "http://127.0.0.1:1", key: a2V5, database: meshgate, container: state } }
    gcp: { region: us-central1, project_id: meshgate-pkg, store: { collection: state, emulator_host: "127.0.0.1:1" } }
  dns: { zone: example.com, record: mcp.example.com }
  backends: [{ id: b, url: "http://127.0.0.1:1/mcp", provider: aws, region: us-east-1 }]
`;

/** Runs a script in a fresh Node process and parses its last stdout line (earlier lines are the function's logs). */
function nodeJson(script: string, env: NodeJS.ProcessEnv = {}): unknown {
  const out = execFileSync(process.execPath, ['-e', script], { cwd: work, encoding: 'utf8', env: { ...process.env, MESHGATE_VERSION: '', ...env } });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as unknown;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'meshgate-package-'));
  for (const link of ['functions', 'shared', 'node_modules']) symlinkSync(join(repo, link), join(work, link));
  for (const file of ['serverless.yml', 'host.json', 'package.json', 'tsconfig.json']) copyFileSync(join(repo, file), join(work, file));
  // A network namespace proves nothing is fetched; without one (unprivileged CI) the run still has no credentials.
  const offline = spawnSync('unshare', ['-n', 'true']).status === 0;
  buildOutput = run('build.ts', offline);
  run('package.ts', offline);
  dist = join(work, 'dist');
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('build', () => {
  it('bundles one CommonJS file per function per cloud and prints a size table', () => {
    expect(buildOutput).toMatch(/cloud\s+function\s+minified/);
    for (const bundle of ['aws/health', 'aws/router', 'azure/health', 'azure/index', 'gcp/health', 'gcp/router']) {
      const file = join(dist, bundle, 'index.js');
      expect(statSync(file).size).toBeLessThan(MB);
      expect(readFileSync(file, 'utf8')).not.toMatch(/^import |sourceMappingURL/m);
      expect(existsSync(join(dist, 'meta', `${bundle.replace('/', '-')}.json`))).toBe(true);
    }
  });

  it('writes no source maps and copies no node_modules', () => {
    const all = filesUnder(dist);
    expect(all.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(all.filter((f) => f.includes('node_modules'))).toEqual([]);
  });
});

describe('aws package (serverless package, offline, no credentials)', () => {
  const pkg = (): string => join(dist, 'aws', 'serverless');

  it('makes one zip per Lambda function holding only its bundle', () => {
    for (const fn of ['health', 'healthTick']) {
      const zip = join(pkg(), `${fn}.zip`);
      expect(statSync(zip).size).toBeLessThan(MB);
      expect(readZip(zip).list.map((e) => e.name)).toEqual(['dist/aws/health/index.js']);
    }
  });

  it('wires handlers, the HTTP API route and the schedule in the CloudFormation template', () => {
    const template = JSON.parse(readFileSync(join(pkg(), 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const resources = Object.values(template.Resources);
    const lambdas = resources.filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => [r.Properties.Handler, r.Properties.Runtime, r.Properties.Timeout]);
    expect(lambdas).toEqual(expect.arrayContaining([['dist/aws/health/index.handler', 'nodejs20.x', 10], ['dist/aws/health/index.tick', 'nodejs20.x', 60]]));
    expect(resources.find((r) => r.Type === 'AWS::ApiGatewayV2::Route')?.Properties.RouteKey).toBe('ANY /health');
    expect(resources.find((r) => r.Type === 'AWS::ApiGatewayV2::Integration')?.Properties.PayloadFormatVersion).toBe('2.0');
    expect(resources.find((r) => r.Type === 'AWS::Events::Rule')?.Properties.ScheduleExpression).toBe('rate(1 minute)');
  });

  it('the zipped bundle answers an API Gateway v2 event and a scheduled event as Lambda would call it', () => {
    // With stores unreachable /health is a 503 readiness answer; without any configuration the tick is refused
    // as misconfigured. Both prove the bundle loads, routes and maps errors the way the deployed function does.
    const extracted = join(work, 'lambda');
    mkdirSync(extracted, { recursive: true });
    writeFileSync(join(extracted, 'index.js'), readZip(join(pkg(), 'health.zip')).read('dist/aws/health/index.js'));
    const result = nodeJson(`
      const m = require(${JSON.stringify(join(extracted, 'index.js'))});
      const ctx = { awsRequestId: 'r1', getRemainingTimeInMillis: () => 30000 };
      const event = { version: '2.0', routeKey: 'ANY /health', rawPath: '/health', rawQueryString: '', headers: {},
        requestContext: { http: { method: 'GET', path: '/health', sourceIp: '192.0.2.1' }, stage: '$default' }, isBase64Encoded: false };
      m.handler(event, ctx).then((res) => console.log(JSON.stringify({ res }))).catch((e) => console.log(JSON.stringify({ error: e.message })));`,
      { MESHGATE_CLOUD: 'aws', MESHGATE_CONFIG_INLINE: UNREACHABLE_STORES_CONFIG, MESHGATE_BUILD_VERSION: '0.1.0', MESHGATE_LOG_LEVEL: 'silent' });
    expect(result).toMatchObject({ res: { statusCode: 503, headers: { 'cache-control': 'no-store' } } });
    expect(JSON.parse((result as { res: { body: string } }).res.body)).toMatchObject({ status: 'not_ready', cloud: 'aws', version: '0.1.0', checks: { store: { ok: false } } });

    const tick = nodeJson(`
      const m = require(${JSON.stringify(join(extracted, 'index.js'))});
      const ctx = { awsRequestId: 'r1', getRemainingTimeInMillis: () => 30000 };
      const tick = { 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-11-25T17:00:00Z', detail: {} };
      m.tick(tick, ctx).then(() => console.log('{"resolved":true}'), (e) => console.log(JSON.stringify({ rejected: e.message })));`);
    expect(tick).toEqual({ rejected: 'this function set is misconfigured; see its logs' });
  });
});

describe('aws router package (Function URL with response streaming)', () => {
  const pkg = (): string => join(dist, 'aws', 'serverless');

  it('zips only the router bundle and gives it a streaming Function URL and a 15 min timeout', () => {
    expect(readZip(join(pkg(), 'router.zip')).list.map((e) => e.name)).toEqual(['dist/aws/router/index.js']);
    const template = JSON.parse(readFileSync(join(pkg(), 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const resources = Object.values(template.Resources);
    const router = resources.find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'dist/aws/router/index.handler');
    expect(router?.Properties).toMatchObject({ Runtime: 'nodejs20.x', Timeout: 900, MemorySize: 1024 });
    expect(resources.filter((r) => r.Type === 'AWS::Lambda::Url').map((r) => r.Properties.InvokeMode)).toEqual(['RESPONSE_STREAM']);
  });

  it('the zipped bundle streams its answer through awslambda.HttpResponseStream as the runtime calls it', () => {
    // No configuration is deployed here: the router refuses as misconfigured, through the streaming path.
    const extracted = join(work, 'lambda-router');
    mkdirSync(extracted, { recursive: true });
    writeFileSync(join(extracted, 'index.js'), readZip(join(pkg(), 'router.zip')).read('dist/aws/router/index.js'));
    const result = nodeJson(`
      const { Writable } = require('stream');
      let prelude;
      const chunks = [];
      globalThis.awslambda = {
        streamifyResponse: (h) => Object.assign(h, { [Symbol.for('aws.lambda.runtime.handler.streaming')]: 'response' }),
        HttpResponseStream: { from: (s, p) => { prelude = p; return s; } },
      };
      const m = require(${JSON.stringify(join(extracted, 'index.js'))});
      const stream = new Writable({ write(c, _e, done) { chunks.push(Buffer.from(c)); done(); } });
      const event = { version: '2.0', routeKey: '$default', rawPath: '/mcp', rawQueryString: '', headers: { 'content-type': 'application/json' },
        requestContext: { http: { method: 'POST', path: '/mcp', sourceIp: '192.0.2.1' }, stage: '$default' }, body: '{}', isBase64Encoded: false };
      const ctx = { awsRequestId: 'r1', getRemainingTimeInMillis: () => 30000 };
      m.handler(event, stream, ctx).then(() => console.log(JSON.stringify({ prelude, body: Buffer.concat(chunks).toString() })), (e) => console.log(JSON.stringify({ error: e.message })));`);
    expect(result).toMatchObject({ prelude: { statusCode: 503, headers: { 'content-type': 'application/json' } } });
    expect(JSON.parse((result as { body: string }).body)).toEqual({ error: { code: 'unavailable', message: 'this function set is misconfigured; see its logs' } });
  });
});

describe('azure package (zip deploy)', () => {
  const zipFile = (): string => join(dist, 'azure', 'meshgate-azure.zip');

  it('holds host.json, a dependency-free package.json and the app bundle', () => {
    const zip = readZip(zipFile());
    expect(zip.list.map((e) => e.name)).toEqual(['host.json', 'index.js', 'package.json']);
    expect(statSync(zipFile()).size).toBeLessThan(MB);
    const manifest = JSON.parse(zip.read('package.json').toString()) as Record<string, unknown>;
    expect(manifest).toMatchObject({ main: 'index.js', private: true });
    expect(manifest).not.toHaveProperty('dependencies');
    expect(manifest).not.toHaveProperty('devDependencies');
    const host = JSON.parse(zip.read('host.json').toString()) as Record<string, unknown>;
    expect(host).toMatchObject({ version: '2.0', extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' } });
    expect(host.functionTimeout).toMatch(/^\d\d:\d\d:\d\d$/);
  });

  it('registers every function with the worker when loaded as the app main', () => {
    const extracted = join(work, 'azure-app');
    mkdirSync(extracted, { recursive: true });
    const zip = readZip(zipFile());
    for (const { name } of zip.list) writeFileSync(join(extracted, name), zip.read(name));
    // The Node worker injects '@azure/functions-core' (left external by the build); stand in for it as a host
    // with HTTP streaming (v4.28+, whose core API has \`log\`) does.
    const registered = nodeJson(`
      const Module = require('module');
      const seen = [];
      const core = { log() {}, setProgrammingModel() {}, registerFunction(meta) { seen.push(meta); return { dispose() {} }; }, registerHook() { return { dispose() {} }; } };
      const load = Module._load;
      Module._load = function (request, ...rest) { return request === '@azure/functions-core' ? core : load.call(this, request, ...rest); };
      require(${JSON.stringify(join(extracted, 'index.js'))});
      console.log(JSON.stringify(seen.map((m) => ({ name: m.name, bindings: Object.values(m.bindings).filter((b) => b.direction === 'in') }))));`);
    expect(registered).toEqual([
      { name: 'health', bindings: [expect.objectContaining({ type: 'httpTrigger', route: 'health', authLevel: 'anonymous', methods: expect.arrayContaining(['GET', 'POST']) })] },
      { name: 'healthTick', bindings: [expect.objectContaining({ type: 'timerTrigger', schedule: '*/5 * * * * *' })] },
      { name: 'router', bindings: [expect.objectContaining({ type: 'httpTrigger', route: 'mcp', authLevel: 'anonymous', methods: ['GET', 'POST', 'DELETE', 'OPTIONS'] })] },
      { name: 'scheduler', bindings: [expect.objectContaining({ type: 'httpTrigger', route: 'scheduler/status' })] },
      { name: 'schedulerTick', bindings: [expect.objectContaining({ type: 'timerTrigger', schedule: '*/5 * * * * *' })] },
    ]);
  });
});

describe('gcp package (source folders for gcloud functions deploy --gen2)', () => {
  it('writes index.js and a dependency-free package.json per function, and a zip of them', () => {
    const dir = join(dist, 'gcp', 'health');
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ main: 'index.js', engines: { node: '20' } });
    expect(manifest).not.toHaveProperty('dependencies');
    const zip = join(dist, 'gcp', 'health.zip');
    expect(readZip(zip).list.map((e) => e.name)).toEqual(['index.js', 'package.json']);
    expect(statSync(zip).size).toBeLessThan(MB);
    expect(relative(dist, dir)).toBe(join('gcp', 'health'));
  });

  it("is served by the runtime's own functions-framework for both entry points", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const main = join(repo, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
    const serve = (target: string) =>
      spawn(process.execPath, [main, `--target=${target}`, `--source=${join(dist, 'gcp', 'health')}`, `--port=${port}`], { cwd: work, stdio: 'ignore', env: { ...process.env, NODE_ENV: 'production' } });
    const untilUp = async (url: string, init?: RequestInit): Promise<Response> => {
      for (let i = 0; ; i++) {
        try {
          return await fetch(url, init);
        } catch (err) {
          if (i > 100) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const stop = (child: ReturnType<typeof spawn>) => new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });

    const health = serve('health');
    try {
      const res = await untilUp(`http://127.0.0.1:${port}/health`);
      // No configuration is deployed with the folder here: the function answers, and refuses as misconfigured.
      expect(res.status).toBe(503);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ error: { code: 'unavailable', message: 'this function set is misconfigured; see its logs' } });
    } finally {
      await stop(health);
    }
    const tick = serve('healthTick');
    try {
      const res = await untilUp(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"schedule":"tick"}' });
      expect(res.status).toBe(503);
    } finally {
      await stop(tick);
    }
    const router = spawn(process.execPath, [main, '--target=router', `--source=${join(dist, 'gcp', 'router')}`, `--port=${port}`], { cwd: work, stdio: 'ignore', env: { ...process.env, NODE_ENV: 'production' } });
    try {
      const res = await untilUp(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: { code: 'unavailable', message: 'this function set is misconfigured; see its logs' } });
    } finally {
      await stop(router);
    }
  }, 30_000);
});
