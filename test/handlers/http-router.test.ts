/** routeHttp and the shared error-to-log mapping. */
import { MeshgateError } from '../../shared/core/errors';
import type { HttpRequestLike } from '../../shared/ports/http';
import { errorLogFields, redact, routeHttp } from '../../shared/usecases/http-router';

const req = (method: string, path: string): HttpRequestLike => ({ method, path, headers: {}, query: {}, body: '' });
const ok = (body: string) => async () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body });

describe('routeHttp', () => {
  const router = routeHttp({ 'GET /health': ok('get'), 'POST /items': ok('post'), 'DELETE /items': ok('delete'), 'GET /': ok('root') });

  it('dispatches on method and exact path, ignoring one trailing slash', async () => {
    expect((await router(req('GET', '/health'))).body).toBe('get');
    expect((await router(req('GET', '/health/'))).body).toBe('get');
    expect((await router(req('get', '/health'))).body).toBe('get');
    expect((await router(req('DELETE', '/items'))).body).toBe('delete');
    expect((await router(req('GET', '/'))).body).toBe('root');
  });

  it('serves HEAD from GET without a body', async () => {
    expect(await router(req('HEAD', '/health'))).toEqual({ status: 200, headers: { 'content-type': 'text/plain' }, body: '' });
  });

  it('answers 404 JSON for an unknown path', async () => {
    const res = await router(req('GET', '/healthz'));
    expect(res).toEqual({
      status: 404,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ error: { code: 'not_found', message: 'no route for GET /healthz' } }),
    });
  });

  it('answers 405 with a sorted Allow header for a known path', async () => {
    const res = await router(req('PUT', '/items'));
    expect(res.status).toBe(405);
    expect(res.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'no-store', allow: 'DELETE, POST' });
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'method_not_allowed', message: 'PUT is not allowed on /items; allowed: DELETE, POST' } });
    expect((await router(req('POST', '/health'))).headers.allow).toBe('GET, HEAD');
  });

  it('bounds the echoed path', async () => {
    const res = await router(req('GET', `/${'x'.repeat(5000)}`));
    expect(res.body.length).toBeLessThan(400);
  });

  it('rejects malformed or duplicate route keys at construction', () => {
    expect(() => routeHttp({ 'get /x': ok('') } as never)).toThrow(/must look like "GET \/path"/);
    expect(() => routeHttp({ 'GET x': ok('') } as never)).toThrow(MeshgateError);
    expect(() => routeHttp({ 'GET /x': ok(''), 'GET /x/': ok('') })).toThrow(/declared twice/);
  });
});

describe('errorLogFields / redact', () => {
  it('masks credentials in free text', () => {
    const text = redact('AccountEndpoint=https://a;AccountKey=abc==; sig=xyz&se=1 password: "p4ss" Authorization: Bearer tok.en api_key=k1');
    expect(text).not.toMatch(/abc==|xyz|p4ss|tok\.en|k1/);
    expect(text).toContain('AccountEndpoint=https://a');
  });

  it('describes a MeshgateError with its code, details and cause, never a stack', () => {
    const err = new MeshgateError('unavailable', 'cosmos write failed', { details: { store: 'azure' }, cause: new Error('ECONNRESET secret=s3') });
    const fields = errorLogFields(err);
    expect(fields).toEqual({
      code: 'unavailable',
      status: 503,
      retryable: true,
      error: 'cosmos write failed',
      details: { store: 'azure' },
      cause: { name: 'Error', message: 'ECONNRESET secret=[redacted]' },
    });
    expect(JSON.stringify(fields)).not.toContain('at ');
  });

  it('describes anything else as internal', () => {
    expect(errorLogFields('boom')).toMatchObject({ code: 'internal', status: 500, error: 'boom' });
    expect(errorLogFields(new TypeError('x is undefined'))).toMatchObject({ code: 'internal', cause: { name: 'TypeError' } });
  });
});
