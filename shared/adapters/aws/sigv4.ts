/**
 * AWS Signature Version 4 for one HTTP request, on node:crypto only ("Create a signed AWS API request",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
 *
 * 1. canonical request = method, canonical URI (each path segment URI-encoded, again, as AWS requires for every
 *    service but S3), canonical query string (sorted, RFC 3986 encoded), canonical headers (lower-cased names,
 *    trimmed values with inner runs of spaces collapsed, sorted), signed header names, hex SHA-256 of the payload;
 * 2. string to sign = `AWS4-HMAC-SHA256`, the `X-Amz-Date` timestamp, the scope `yyyymmdd/region/service/aws4_request`,
 *    hex SHA-256 of the canonical request;
 * 3. signing key = HMAC chain `AWS4<secret>` → date → region → service → `aws4_request`;
 * 4. `Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<scope>, SignedHeaders=<names>, Signature=<hex HMAC>`.
 *
 * The secret access key only keys the HMAC chain: it is never part of a header, a return value or an error.
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Supplies credentials for each request (e.g. from the Lambda runtime's environment, read in shared/config). */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface SignableRequest {
  readonly method: string;
  /** Absolute URL; its host (with a non-default port) is signed as the `host` header. */
  readonly url: string;
  /** Headers to sign and send (besides `host`, `x-amz-date` and `x-amz-security-token`, which are added). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SigningScope {
  readonly region: string;
  readonly service: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** `20150830T123600Z` for a date. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** RFC 3986 percent-encoding (`encodeURIComponent` plus `!'()*`). */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

function canonicalUri(pathname: string): string {
  if (pathname === '' || pathname === '/') return '/';
  return pathname
    .split('/')
    .map((segment) => encodeRfc3986(segment))
    .join('/');
}

function canonicalQuery(search: URLSearchParams): string {
  return [...search.entries()]
    .map(([k, val]) => [encodeRfc3986(k), encodeRfc3986(val)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, val]) => `${k}=${val}`)
    .join('&');
}

/** Step 1: the canonical request and the signed header names, for headers that include `host`. */
export function canonicalRequest(method: string, url: URL, headers: Readonly<Record<string, string>>, body: string): { text: string; signedHeaders: string } {
  const normalised = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) normalised.set(name.toLowerCase(), value.trim().replace(/ +/g, ' '));
  const names = [...normalised.keys()].sort();
  const signedHeaders = names.join(';');
  const text = [
    method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.searchParams),
    names.map((name) => `${name}:${normalised.get(name) ?? ''}\n`).join(''),
    signedHeaders,
    sha256Hex(body),
  ].join('\n');
  return { text, signedHeaders };
}

/** Step 3: the signing key for a day (`yyyymmdd`), region and service. */
export function signingKey(secretAccessKey: string, day: string, scope: SigningScope): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), scope.region), scope.service), 'aws4_request');
}

/**
 * Signs `request` at `now`: returns the headers to send, i.e. the request's own plus `X-Amz-Date`,
 * `X-Amz-Security-Token` (with a session token) and `Authorization`. `host` is signed but left to fetch to send.
 */
export function signRequest(request: SignableRequest, credentials: AwsCredentials, scope: SigningScope, now: Date): Record<string, string> {
  const url = new URL(request.url);
  const timestamp = amzDate(now);
  const day = timestamp.slice(0, 8);
  const sent: Record<string, string> = {
    ...request.headers,
    'X-Amz-Date': timestamp,
    ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
  };
  const { text, signedHeaders } = canonicalRequest(request.method, url, { host: url.host, ...sent }, request.body);
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${timestamp}\n${credentialScope}\n${sha256Hex(text)}`;
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, day, scope)).update(stringToSign, 'utf8').digest('hex');
  return {
    ...sent,
    Authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}
