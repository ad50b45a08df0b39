/**
 * jest globalTeardown: stops the emulators global-setup.ts started (their whole process groups), unsets the
 * endpoint variables it set, and removes the state file. If the emulator objects are gone (teardown in another
 * process), falls back to the process group ids recorded in the state file.
 */
import fs from 'node:fs';
import { GLOBAL_KEY, STATE_FILE_VARIABLE, type SharedEmulatorsHolder } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as SharedEmulatorsHolder;
  const shared = holder[GLOBAL_KEY];
  const stateFile = process.env[STATE_FILE_VARIABLE];
  if (shared) {
    await Promise.allSettled(shared.emulators.map((e) => e.stop()));
    for (const variable of shared.variables) delete process.env[variable];
    delete holder[GLOBAL_KEY];
  } else if (stateFile && fs.existsSync(stateFile)) {
    const recorded = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as Array<{ pgid?: number }>;
    for (const { pgid } of recorded) {
      if (pgid === undefined) continue;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  if (stateFile) fs.rmSync(stateFile, { force: true });
  delete process.env[STATE_FILE_VARIABLE];
}
