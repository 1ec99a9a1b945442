import { setTimeout as delay } from 'node:timers/promises';

/** Whether a process with this pid exists (a zombie counts until Node reaps it). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Waits until the process is gone, SIGKILLing it after `timeoutMs`. mediasoup's
 * `worker.close()` only sends SIGTERM, and a stop that returns while workers still run
 * would leave orphans behind a quick restart or a test's assertion.
 */
export async function waitForProcessExit(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let killed = false;
  while (isProcessAlive(pid)) {
    if (!killed && Date.now() > deadline) {
      killed = true;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited in between.
      }
    }
    // No event tells us when a process we do not own a handle to has exited; poll briefly.
    await delay(10);
  }
}
