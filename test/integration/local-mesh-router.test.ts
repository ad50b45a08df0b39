/**
 * The local mesh's routers (infra/local/mesh-lib.ts): every cloud process serves its router and its demo MCP
 * backend next to its functions. A session opened through one cloud's router is served through the others (the
 * binding travels through the replicated store), and killing a cloud takes its router and its backend down
 * together: its router refuses connections, the other routers answer the dead backend's sessions with 404 (the
 * client's cue to re-initialize) and send new sessions to a live backend; restarted, it serves again on the same
 * ports.
 */
import { CLOUDS, startMesh, type Mesh } from '../../infra/local/mesh-lib';

jest.setTimeout(240_000);

let mesh: Mesh;

beforeAll(async () => {
  mesh = await startMesh({ logLevel: 'error' });
}, 240_000);
afterAll(async () => {
  await mesh?.stop();
});

interface RpcAnswer {
  readonly status: number;
  readonly session: string | null;
  readonly body: { result?: { serverInfo?: { name?: string }; content?: { text?: string }[] }; error?: { code?: number } };
}

let ids = 0;
async function rpc(url: string, method: string, params: object, session?: string): Promise<RpcAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(session === undefined ? {} : { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' }),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++ids, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, session: response.headers.get('mcp-session-id'), body: (await response.json()) as RpcAnswer['body'] };
}

const initialize = (url: string): Promise<RpcAnswer> =>
  rpc(url, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mesh-test', version: '1.0.0' } });
const echo = (url: string, session: string): Promise<RpcAnswer> => rpc(url, 'tools/call', { name: 'echo', arguments: { text: 'hi' } }, session);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The binding is written to the store in the background: another router may not see it for a moment. */
async function echoUntilBound(url: string, session: string): Promise<RpcAnswer> {
  let answer = await echo(url, session);
  for (let i = 0; i < 10 && answer.status === 404; i += 1) {
    await sleep(500);
    answer = await echo(url, session);
  }
  return answer;
}

/** Opens sessions through `url` until one lands on `backend` (the weighted strategy picks among all three). */
async function sessionOn(url: string, backend: string): Promise<string> {
  for (let i = 0; i < 60; i += 1) {
    const answer = await initialize(url);
    if (answer.status === 200 && answer.body.result?.serverInfo?.name === backend && answer.session) return answer.session;
  }
  throw new Error(`no session landed on ${backend} in 60 tries`);
}

describe('routers in the local mesh', () => {
  it('serve a session opened through one router through every router, on the backend that opened it', async () => {
    const opened = await initialize(mesh.clouds.aws.routerUrl);
    expect(opened.status).toBe(200);
    const backend = opened.body.result?.serverInfo?.name;
    expect(backend).toMatch(/^(aws|azure|gcp)-demo$/);
    expect(opened.session).toBeTruthy();
    for (const cloud of CLOUDS) {
      const answer = await echoUntilBound(mesh.clouds[cloud].routerUrl, opened.session as string);
      expect(answer.status).toBe(200);
      expect(answer.body.result?.content?.[0]?.text).toBe(`${backend}: hi`);
    }
  });

  it('lose a killed cloud\'s router and backend together, send its sessions back to initialize, and get them back after a restart', async () => {
    const session = await sessionOn(mesh.clouds.aws.routerUrl, 'azure-demo');
    await mesh.clouds.azure.kill('SIGKILL');

    await expect(initialize(mesh.clouds.azure.routerUrl)).rejects.toThrow();
    const gone = await echo(mesh.clouds.aws.routerUrl, session);
    expect(gone.status).toBe(404);
    expect(gone.body.error?.code).toBe(-32001);
    for (let i = 0; i < 5; i += 1) {
      const fresh = await initialize(mesh.clouds.gcp.routerUrl);
      expect(fresh.status).toBe(200);
      expect(fresh.body.result?.serverInfo?.name).not.toBe('azure-demo');
    }

    await mesh.clouds.azure.start();
    const back = await sessionOn(mesh.clouds.azure.routerUrl, 'azure-demo');
    expect((await echo(mesh.clouds.azure.routerUrl, back)).body.result?.content?.[0]?.text).toBe('azure-demo: hi');
  });
});
