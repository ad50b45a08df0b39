/**
 * Copies plain data, dropping `undefined` properties (so `Object.keys(config.providers)` lists only
 * configured clouds), and freezes every level of the copy.
 */
export function pruneAndFreeze<T>(value: T): T {
  if (Array.isArray(value)) return Object.freeze(value.map(pruneAndFreeze)) as T;
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([, entry]) => entry !== undefined);
  return Object.freeze(Object.fromEntries(entries.map(([key, entry]) => [key, pruneAndFreeze(entry)]))) as T;
}
