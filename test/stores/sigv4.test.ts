/**
 * AWS Signature Version 4 (shared/adapters/aws/sigv4.ts) against AWS's published test-suite vector `get-vanilla`
 * (AKIDEXAMPLE, 20150830T123600Z, us-east-1, service `service`), and what it adds to a request.
 */
import { amzDate, canonicalRequest, encodeRfc3986, signRequest, signingKey } from '../../shared/adapters/aws/sigv4';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SCOPE = { region: 'us-east-1', service: 'service' };
const NOW = new Date('2015-08-30T12:36:00Z');

describe('SigV4', () => {
  it('signs get-vanilla exactly as the AWS test suite expects', () => {
    const headers = signRequest({ method: 'GET', url: 'https://example.amazonaws.com/', headers: {}, body: '' }, CREDENTIALS, SCOPE, NOW);
    expect(headers).toEqual({
      'X-Amz-Date': '20150830T123600Z',
      Authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    });
  });

  it('builds get-vanilla\'s canonical request', () => {
    const { text, signedHeaders } = canonicalRequest('GET', new URL('https://example.amazonaws.com/'), { Host: 'example.amazonaws.com', 'X-Amz-Date': '20150830T123600Z' }, '');
    expect(signedHeaders).toBe('host;x-amz-date');
    expect(text).toBe(
      'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('derives the documented signing key (IAM user guide example)', () => {
    // "Examples of how to derive a signing key": 20120215 / us-east-1 / iam.
    expect(signingKey(CREDENTIALS.secretAccessKey, '20120215', { region: 'us-east-1', service: 'iam' }).toString('hex')).toBe(
      'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d',
    );
  });

  it('sorts and encodes the query, normalises header values, and signs the session token', () => {
    const { text } = canonicalRequest('post', new URL('https://h.example/a%20b/c?b=2&a=x y&a=1'), { Host: 'h.example', 'X-Custom': '  two   spaces ' }, '{}');
    expect(text.split('\n').slice(0, 5)).toEqual(['POST', '/a%2520b/c', 'a=1&a=x%20y&b=2', 'host:h.example', 'x-custom:two spaces']);
    const headers = signRequest(
      { method: 'POST', url: 'http://127.0.0.1:4566/', headers: { 'Content-Type': 'application/x-amz-json-1.0' }, body: '{}' },
      { ...CREDENTIALS, sessionToken: 'session-token' },
      { region: 'eu-west-1', service: 'dynamodb' },
      NOW,
    );
    expect(headers['X-Amz-Security-Token']).toBe('session-token');
    expect(headers.Authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.stringify(headers)).not.toContain(CREDENTIALS.secretAccessKey);
  });

  it('formats X-Amz-Date and RFC 3986 escapes', () => {
    expect(amzDate(new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405Z');
    expect(encodeRfc3986("a b!'()*~")).toBe('a%20b%21%27%28%29%2A~');
  });
});
