/**
 * jest globalSetup: starts moto, cosmosdb-server and the Firestore emulator once per run, in parallel, and hands
 * their endpoints to the workers through the environment (workers inherit it):
 * MESHGATE_TEST_MOTO_ENDPOINT, MESHGATE_TEST_COSMOS_ENDPOINT (`http://127.0.0.1:PORT`),
 * MESHGATE_TEST_FIRESTORE_HOST (`127.0.0.1:PORT`). FIRESTORE_EMULATOR_HOST is deliberately NOT set: the
 * Firestore SDK lets it override every client's host, which would break tests that run their own emulator.
 *
 * An endpoint already present in the environment is used as is (start the emulators yourself for quick loops).
 * The running emulators are kept on globalThis for global-teardown.ts, and their process group ids are written to
 * a state file so a teardown in another process (or a human) can still stop them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ENV_COSMOS_ENDPOINT,
  ENV_FIRESTORE_HOST,
  ENV_MOTO_ENDPOINT,
  startCosmos,
  startFirestore,
  startMoto,
  type RunningEmulator,
} from './emulators';

export const STATE_FILE_VARIABLE = 'MESHGATE_TEST_EMULATOR_STATE';
export const GLOBAL_KEY = '__meshgateEmulators__';

export interface SharedEmulators {
  readonly emulators: RunningEmulator[];
  /** Environment variables this setup set (and teardown unsets). */
  readonly variables: string[];
}

export type SharedEmulatorsHolder = { [GLOBAL_KEY]?: SharedEmulators };

export default async function globalSetup(): Promise<void> {
  const wanted: Array<[string, () => Promise<RunningEmulator>]> = [
    [ENV_MOTO_ENDPOINT, startMoto],
    [ENV_COSMOS_ENDPOINT, startCosmos],
    [ENV_FIRESTORE_HOST, startFirestore],
  ];
  const toStart = wanted.filter(([variable]) => !process.env[variable]);
  const results = await Promise.allSettled(toStart.map(([, start]) => start()));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    await Promise.allSettled(started.map((e) => e.stop()));
    const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
    throw new Error(`could not start the test emulators:\n${messages.join('\n')}`);
  }
  const variables: string[] = [];
  toStart.forEach(([variable], i) => {
    const emulator = started[i];
    if (!emulator) return;
    process.env[variable] = emulator.endpoint;
    variables.push(variable);
  });

  (globalThis as SharedEmulatorsHolder)[GLOBAL_KEY] = { emulators: started, variables };
  const stateFile = path.join(os.tmpdir(), `meshgate-jest-emulators-${process.pid}.json`);
  fs.writeFileSync(stateFile, JSON.stringify(started.map((e) => ({ name: e.name, port: e.port, pgid: e.pid() }))));
  process.env[STATE_FILE_VARIABLE] = stateFile;
}
