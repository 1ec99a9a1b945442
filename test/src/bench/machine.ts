import { execFile } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MachineFacts {
  cpuModel: string;
  /** CPUs this process may use. */
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started: near `cores` or above, the box was busy. */
  loadAverage: number;
  /** `influxd version`, or null when influxd is not installed. */
  influxd: string | null;
  /** `mosquitto -h`'s first line, or null when mosquitto is not installed. */
  mosquitto: string | null;
}

/** Debian's mosquitto unless MOSQUITTO_BIN names another build to compare against. */
export const MOSQUITTO_BINARY = process.env.MOSQUITTO_BIN || '/usr/sbin/mosquitto';

export async function machineFacts(): Promise<MachineFacts> {
  const [influxd, mosquitto] = await Promise.all([
    versionLine('influxd', ['version'], /InfluxDB v(\S+)/),
    versionLine(MOSQUITTO_BINARY, ['-h'], /mosquitto version (\S+)/),
  ]);
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    influxd,
    mosquitto,
  };
}

/** The version a binary prints, or null when it is missing; `mosquitto -h` exits non-zero. */
async function versionLine(
  binary: string,
  args: string[],
  pattern: RegExp,
): Promise<string | null> {
  let output: string;
  try {
    const { stdout, stderr } = await run(binary, args, { timeout: 10_000 });
    output = `${stdout}\n${stderr}`;
  } catch (err) {
    const failed = err as { code?: unknown; stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') return null;
    output = `${failed.stdout ?? ''}\n${failed.stderr ?? ''}`;
  }
  return pattern.exec(output)?.[1] ?? 'unknown';
}
