/**
 * JSON value as the state store holds it. Structurally the same as `JsonValue` in shared/ports/key-value-store.ts
 * (core may not import ports), so values built here pass straight to a StateStore.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
