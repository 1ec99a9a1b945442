import { accessSync, constants } from 'node:fs';
import { StartupError } from '@ioc/core';
import { workerBin } from 'mediasoup';

/**
 * Fails start-up with one actionable line when the mediasoup-worker binary is missing.
 * `npm run setup` builds it from Debian's libraries (scripts/mediasoup-worker.mjs).
 */
export function assertWorkerBinary(binary: string = workerBin): void {
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    const fromEnv = process.env.MEDIASOUP_WORKER_BIN;
    throw new StartupError(
      fromEnv
        ? `mediasoup worker binary ${binary} (from MEDIASOUP_WORKER_BIN) does not exist or is not executable; unset MEDIASOUP_WORKER_BIN and run \`npm run setup\``
        : `mediasoup worker binary ${binary} is missing; run \`npm run setup\` to build it`,
      'MEDIA_WORKER_MISSING',
    );
  }
}
