/** Captures what a test writes to stdout (the runtime adapters' JSON log lines). */
export interface Captured {
  readonly lines: () => string[];
  readonly json: () => Record<string, unknown>[];
  readonly restore: () => void;
}

export function captureStdout(): Captured {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  return {
    lines: () => [...lines],
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    restore: () => spy.mockRestore(),
  };
}
