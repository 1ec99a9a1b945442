import { readFile, rm } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';

/** True while the process exists and is not a zombie waiting to be reaped. */
export async function isProcessAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state; Z is a zombie.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits until the process is gone; false if it is still there after timeoutMs. */
export async function waitForProcessExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await delay(25);
  }
  return true;
}

async function commandLine(pid: number): Promise<string[]> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * An IOC that was killed (SIGKILL, power loss of the parent only, a crashed test) leaves its
 * influxd running and holding the port. If the pid file names a live influxd started with
 * our config file, stop it (SIGTERM, then SIGKILL) before starting a new one. A pid that now
 * belongs to some other program is left alone.
 */
export async function stopStaleInfluxd(
  pidFile: string,
  configPath: string,
  logger: Logger,
  timeoutMs = 10_000,
): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(pidFile, 'utf8'), 10);
  } catch {
    return undefined;
  }
  const argv = Number.isInteger(pid) && pid > 0 ? await commandLine(pid) : [];
  const ours =
    argv.some((arg) => arg.split('/').pop()?.includes('influxd')) && argv.includes(configPath);
  if (ours && (await isProcessAlive(pid))) {
    logger.warn({ pid, pidFile }, 'stopping an influxd left running by a previous IOC');
    signal(pid, 'SIGTERM');
    if (!(await waitForProcessExit(pid, timeoutMs))) {
      signal(pid, 'SIGKILL');
      await waitForProcessExit(pid, timeoutMs);
    }
  }
  await rm(pidFile, { force: true });
  return ours ? pid : undefined;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
