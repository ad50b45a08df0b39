import { validateSnapshot } from '../../shared/core/routing';
import { MeshgateError } from '../../shared/core/errors';
import { backend, snap } from './fixtures';

describe('validateSnapshot', () => {
  it('accepts a well-formed snapshot and returns it', () => {
    const s = snap(backend('a', { latencyEwmaMs: 10, errorRate: 0.1, load: 1, costPerMillion: 0.2, latitude: 1, longitude: 2 }));
    expect(validateSnapshot(s)).toBe(s);
  });

  it.each([
    [[backend('a'), backend('a')], 'backends[1].id'],
    [[backend('a', { weight: 256 })], 'backends[0].weight'],
    [[backend('a', { weight: 1.5 })], 'backends[0].weight'],
    [[backend('a', { cloud: 'ibm' as never })], 'backends[0].cloud'],
    [[backend('a', { errorRate: 2 })], 'backends[0].errorRate'],
    [[backend('a', { latencyEwmaMs: NaN })], 'backends[0].latencyEwmaMs'],
    [[backend('a', { latitude: 10 })], 'backends[0].latitude'],
    [[backend('a', { latitude: 0, longitude: 200 })], 'backends[0].longitude'],
  ])('rejects %#, naming the path', (backends, path) => {
    try {
      validateSnapshot({ backends });
      throw new Error('expected a validation error');
    } catch (err) {
      expect(err).toBeInstanceOf(MeshgateError);
      expect((err as MeshgateError).code).toBe('validation');
      expect((err as MeshgateError).details['path']).toBe(path);
    }
  });
});
