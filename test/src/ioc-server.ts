import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const IOC_BIN = join(REPO_ROOT, 'bin', 'ioc.js');
export const ADMIN_PASSWORD = 'test-admin-password-1234';

export interface IocPorts {
  web: number;
  mqtt: number;
  mqttTls: number;
  influx: number;
  influxRpc: number;
  media: number;
  opcua: number;
}

export interface IocServer {
  url: string;
  ports: IocPorts;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Sends a signal to the server's process group (as a terminal's Ctrl-C does) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Removes the data directory (after stop). */
  cleanup(): void;
}

/** Environment for an IOC on free ports with its own data directory. */
export async function iocEnvironment(extra: NodeJS.ProcessEnv = {}): Promise<{
  env: NodeJS.ProcessEnv;
  ports: IocPorts;
  dataDir: string;
}> {
  const ports: IocPorts = {
    web: await freePort(),
    mqtt: await freePort(),
    mqttTls: await freePort(),
    influx: await freePort(),
    influxRpc: await freePort(),
    media: await freePort(),
    opcua: await freePort(),
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'ioc-e2e-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    IOC_DATA_DIR: dataDir,
    IOC_CONFIG: join(dataDir, 'ioc.config.json'),
    IOC_WEB_PORT: String(ports.web),
    IOC_MQTT_PORT: String(ports.mqtt),
    IOC_MQTT_TLS_PORT: String(ports.mqttTls),
    IOC_INFLUX_PORT: String(ports.influx),
    IOC_INFLUX_RPC_PORT: String(ports.influxRpc),
    IOC_MEDIA_PORT: String(ports.media),
    IOC_MEDIA_WORKERS: '1',
    IOC_OPCUA_SIM_PORT: String(ports.opcua),
    IOC_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // A small demo fleet: 2 cores run the whole IOC and the tests.
    IOC_SIM_DEVICES: '12',
    // A few days of KPI history keep start-up light; the feed's own tests cover a year.
    IOC_SIM_KPI_DAYS: '3',
    IOC_LOG_FORMAT: 'json',
    IOC_LOG_LEVEL: process.env.IOC_TEST_LOG_LEVEL ?? 'info',
    ...extra,
  };
  // A config file is required when IOC_CONFIG is set: an empty one keeps the defaults.
  writeFileSync(join(dataDir, 'ioc.config.json'), '{}\n');
  for (const [key, value] of Object.entries(extra)) if (value === undefined) delete env[key];
  return { env, ports, dataDir };
}

/** Runs `ioc <args>` to completion and returns its exit code and output. */
export function runIoc(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [IOC_BIN, ...args], { env, cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`ioc ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `ioc start` as a real process and resolves once it printed its banner. */
export async function startIocServer(
  options: {
    args?: string[];
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    /** An environment from `iocEnvironment` (or a stopped server's): restarts on its data and ports. */
    environment?: { env: NodeJS.ProcessEnv; ports: IocPorts; dataDir: string };
  } = {},
): Promise<IocServer> {
  const { env, ports, dataDir } = options.environment ?? (await iocEnvironment(options.env));
  // Its own process group, like a command started from a terminal: stop() signals the whole
  // group, as Ctrl-C does, so children that share the group (mediasoup workers) get it too.
  const child = spawn(process.execPath, [IOC_BIN, 'start', ...(options.args ?? [])], {
    env,
    cwd: REPO_ROOT,
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ioc start did not come up\n${stdout}\n${stderr}`)),
      options.timeoutMs ?? 90_000,
    );
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('IOC is running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`ioc start exited with ${code}\n${stdout}\n${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${ports.web}`,
    ports,
    dataDir,
    env,
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-(child.pid as number), signal);
        } catch {
          // the group is already gone
        }
      }
      return exited;
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Pids of every live process whose command line mentions `needle` (e.g. a data directory). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirProc()) {
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle) && Number(entry) !== process.pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Direct and indirect children of a process, from /proc. */
export function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirProc()) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // gone
    }
  }
  const result: number[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const next = [...parentOf]
      .filter(([, ppid]) => frontier.includes(ppid))
      .map(([child]) => child);
    result.push(...next);
    frontier = next;
  }
  return result;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

function readdirProc(): string[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name));
}
