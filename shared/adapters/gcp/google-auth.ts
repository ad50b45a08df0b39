/**
 * OAuth 2.0 access tokens for Google REST APIs without google-auth-library (node:crypto and the global fetch).
 *
 * - {@link metadataServerTokenProvider}: on GCP (Cloud Functions, Cloud Run, GCE) the runtime's service account
 *   token from the metadata server. Only reachable inside GCP.
 * - {@link serviceAccountTokenProvider}: anywhere else (the AWS and Azure function sets) a service account key
 *   signs an RS256 JWT that is exchanged at `https://oauth2.googleapis.com/token` (RFC 7523 JWT bearer grant).
 *
 * Both cache the token until shortly before it expires and let concurrent callers share one refresh. Failures
 * are `MeshgateError`s (`unauthorized` for refused credentials, `throttled`, `unavailable` for transport
 * trouble) whose messages never contain the key, the signed assertion or a token.
 */
import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import { MeshgateError, type ErrorCode } from '../../core/errors';
import { codeForHttpStatus, isNetworkError } from '../_base/base-key-value-store';

/** Returns a bearer token for the next request (cached by the providers below). */
export type TokenProvider = () => Promise<string>;

/** An access token and the epoch ms at which it stops being valid. */
export interface AccessToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

/** Scope for Firestore (Cloud Datastore API family). */
export const DATASTORE_SCOPE = 'https://www.googleapis.com/auth/datastore';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const METADATA_TOKEN_URL = 'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token';
/** Lifetime of a self-signed assertion: Google accepts at most one hour. */
const ASSERTION_LIFETIME_S = 3_600;
/** Refresh this long before expiry, so a token never expires in flight. */
const DEFAULT_REFRESH_MARGIN_MS = 60_000;
const DEFAULT_AUTH_TIMEOUT_MS = 5_000;

const authError = (code: ErrorCode, message: string, details: Record<string, unknown> = {}): MeshgateError =>
  new MeshgateError(code, `google-auth: ${message}`, { details: { component: 'google-auth', ...details } });

// ---------------------------------------------------------------------------------------------------------------
// Cache
// ---------------------------------------------------------------------------------------------------------------

export interface CachedTokenOptions {
  /** Clock (epoch ms); default `Date.now`. */
  readonly now?: () => number;
  /** Refresh this many ms before `expiresAtMs` (default 60 s; at most half the token's lifetime is used). */
  readonly refreshMarginMs?: number;
}

/**
 * Wraps `fetchToken` so a token is reused until `refreshMarginMs` before it expires. Concurrent callers during a
 * refresh share the one pending fetch; a failed fetch is not cached (the next call tries again).
 */
export function cachedTokenProvider(fetchToken: () => Promise<AccessToken>, options: CachedTokenOptions = {}): TokenProvider {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  let cached: { token: string; refreshAtMs: number } | undefined;
  let pending: Promise<string> | undefined;
  return async () => {
    if (cached && now() < cached.refreshAtMs) return cached.token;
    pending ??= (async () => {
      try {
        const fetchedAt = now();
        const fresh = await fetchToken();
        const lifetime = fresh.expiresAtMs - fetchedAt;
        cached = { token: fresh.token, refreshAtMs: fresh.expiresAtMs - Math.min(margin, Math.max(0, lifetime / 2)) };
        return fresh.token;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Token endpoint answers
// ---------------------------------------------------------------------------------------------------------------

/**
 * Sends a token request and reads `{access_token, expires_in}`; maps every failure to a secret-free error
 * (`unauthorized` for refused credentials, `throttled`, `unavailable`, `internal`). `what` names the request.
 */
export async function fetchAccessToken(fetchApi: typeof fetch, what: string, url: string, init: RequestInit, nowMs: number, timeoutMs: number): Promise<AccessToken> {
  let response: Response;
  let text: string;
  try {
    response = await fetchApi(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw authError(isNetworkError(err) ? 'unavailable' : 'internal', `${what}: request failed (${reason})`);
  }
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: handled below by status / missing fields
  }
  if (!response.ok) {
    // OAuth errors: {error, error_description}; both are fixed vocabulary, never the assertion or a token.
    const error = typeof body.error === 'string' ? body.error : undefined;
    const description = typeof body.error_description === 'string' ? body.error_description.slice(0, 200) : undefined;
    const code: ErrorCode =
      codeForHttpStatus(response.status) ?? (response.status === 400 && error !== undefined ? 'unauthorized' : 'internal');
    throw authError(code, `${what}: HTTP ${response.status}${error ? ` ${error}` : ''}${description ? `: ${description}` : ''}`, {
      status: response.status,
    });
  }
  const token = body.access_token;
  const expiresIn = body.expires_in;
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw authError('internal', `${what}: answer has no access_token/expires_in`);
  }
  return { token, expiresAtMs: nowMs + expiresIn * 1_000 };
}

// ---------------------------------------------------------------------------------------------------------------
// Metadata server (inside GCP)
// ---------------------------------------------------------------------------------------------------------------

export interface MetadataServerTokenOptions extends CachedTokenOptions {
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Per request, default 5000 ms. */
  readonly timeoutMs?: number;
}

/** The request {@link metadataServerTokenProvider} sends (exported for tests). */
export function metadataTokenRequest(): { url: string; init: RequestInit } {
  return { url: METADATA_TOKEN_URL, init: { method: 'GET', headers: { 'Metadata-Flavor': 'Google' } } };
}

/**
 * Tokens of the runtime's default service account from the GCE/Cloud Functions metadata server, cached until
 * shortly before expiry. Only works inside GCP; elsewhere use {@link serviceAccountTokenProvider}.
 */
export function metadataServerTokenProvider(options: MetadataServerTokenOptions = {}): TokenProvider {
  const fetchApi = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS;
  return cachedTokenProvider(() => {
    const { url, init } = metadataTokenRequest();
    return fetchAccessToken(fetchApi, 'metadata server token', url, init, now(), timeoutMs);
  }, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Service account key (outside GCP)
// ---------------------------------------------------------------------------------------------------------------

/** The fields of a service account JSON key file this module uses. */
export interface ServiceAccountKey {
  readonly client_email: string;
  /** PEM (PKCS#8) RSA private key, as in the key file. */
  readonly private_key: string;
  readonly private_key_id?: string;
  /** Token endpoint from the key file; default {@link GOOGLE_TOKEN_URL}. */
  readonly token_uri?: string;
}

export interface JwtClaimsInput {
  readonly scope: string;
  readonly audience: string;
  /** Issue time, epoch ms. */
  readonly nowMs: number;
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** Parses the key file's private key once; the error never quotes the key. */
function privateKeyOf(key: ServiceAccountKey): KeyObject {
  if (typeof key.client_email !== 'string' || key.client_email === '') {
    throw authError('validation', 'service account key has no client_email');
  }
  try {
    const parsed = createPrivateKey({ key: key.private_key, format: 'pem' });
    if (parsed.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
    return parsed;
  } catch {
    throw authError('validation', `service account key for ${key.client_email}: private_key is not a PEM RSA private key`);
  }
}

/**
 * The signed assertion of the JWT bearer grant: header `{alg: RS256, typ: JWT, kid}`, claims `{iss, scope, aud,
 * iat, exp}` with a one-hour lifetime, RSASSA-PKCS1-v1_5 with SHA-256 over `base64url(header).base64url(claims)`.
 */
export function signServiceAccountJwt(key: ServiceAccountKey, claims: JwtClaimsInput, privateKey: KeyObject = privateKeyOf(key)): string {
  const iat = Math.floor(claims.nowMs / 1_000);
  const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
  const payload = { iss: key.client_email, scope: claims.scope, aud: claims.audience, iat, exp: iat + ASSERTION_LIFETIME_S };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

/** The token request {@link serviceAccountTokenProvider} sends (exported for tests). */
export function serviceAccountTokenRequest(
  key: ServiceAccountKey,
  scope: string,
  nowMs: number,
  privateKey: KeyObject = privateKeyOf(key),
): { url: string; init: RequestInit } {
  const url = key.token_uri ?? GOOGLE_TOKEN_URL;
  const assertion = signServiceAccountJwt(key, { scope, audience: url, nowMs }, privateKey);
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
  return { url, init: { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body } };
}

export interface ServiceAccountTokenOptions extends CachedTokenOptions {
  /** OAuth scopes (default: {@link DATASTORE_SCOPE}). */
  readonly scopes?: readonly string[];
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
  /** Per request, default 5000 ms. */
  readonly timeoutMs?: number;
}

/**
 * Tokens for a service account key: sign an assertion, exchange it at the key's token endpoint, cache the access
 * token until shortly before it expires. The key is parsed once, here (a malformed key fails at construction).
 */
export function serviceAccountTokenProvider(key: ServiceAccountKey, options: ServiceAccountTokenOptions = {}): TokenProvider {
  const privateKey = privateKeyOf(key);
  const fetchApi = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS;
  const scope = (options.scopes ?? [DATASTORE_SCOPE]).join(' ');
  return cachedTokenProvider(() => {
    const nowMs = now();
    const { url, init } = serviceAccountTokenRequest(key, scope, nowMs, privateKey);
    return fetchAccessToken(fetchApi, `token exchange for ${key.client_email}`, url, init, nowMs, timeoutMs);
  }, options);
}
