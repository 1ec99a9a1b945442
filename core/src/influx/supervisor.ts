import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorMessage, StartupError } from '../errors.js';
import { assertPortFree } from '../ports.js';
import { hostPort, renderInfluxdConfig } from './influxd-config.js';
import { requireInfluxd } from './preflight.js';
import { stopStaleInfluxd } from './stale-influxd.js';

export interface InfluxSupervisorOptions {
  /** The IOC's data directory; influxd lives in `<dataDir>/influxdb/`. */
  dataDir: string;
  host: string;
  port: number;
  rpcPort: number;
  /** `influxd` (looked up on PATH) or a path to it. */
  binary: string;
  logger: Logger;
  /** How long influxd may take to answer /ping after it is spawned. */
  readyTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  /** First and largest delay between restarts after a crash (doubling in between). */
  restartDelayMs?: { min: number; max: number };
}

export interface InfluxdReady {
  pid: number;
  url: string;
}

export interface InfluxdExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when `stop()` asked for it; false for a crash. */
  expected: boolean;
}

export interface InfluxdRestart {
  /** 1 for the first restart after a stable run, counting up while it keeps failing. */
  attempt: number;
  delayMs: number;
}

export interface InfluxSupervisorEvents {
  ready: [InfluxdReady];
  exit: [InfluxdExit];
  restart: [InfluxdRestart];
}

type State = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

interface Launched {
  child: ChildProcess;
  exited: Promise<InfluxdExitInfo>;
}

interface InfluxdExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** A run this long resets the restart backoff. */
const STABLE_RUN_MS = 30_000;
/** Lines of influxd output kept to explain a failed start. */
const TAIL_LINES = 20;

/**
 * Runs a project-local influxd for the IOC: writes its config under `<dataDir>/influxdb/`,
 * spawns it, waits until `/ping` answers, restarts it with backoff when it dies, and stops it
 * without leaving an orphan. Emits 'ready', 'exit' and 'restart'.
 */
export class InfluxSupervisor extends EventEmitter<InfluxSupervisorEvents> {
  readonly dir: string;
  readonly configPath: string;
  readonly pidFile: string;
  /** Where clients reach this influxd. */
  readonly url: string;
  readonly #options: Required<Omit<InfluxSupervisorOptions, 'logger'>>;
  readonly #log: Logger;
  #state: State = 'idle';
  #binaryPath = '';
  #current: Launched | undefined;
  #readyAt = 0;
  #attempt = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  readonly #tail: string[] = [];
  readonly #onProcessExit = () => this.#current?.child.kill('SIGTERM');

  constructor(options: InfluxSupervisorOptions) {
    super();
    this.#options = {
      readyTimeoutMs: 30_000,
      stopTimeoutMs: 10_000,
      restartDelayMs: { min: 250, max: 30_000 },
      ...options,
    };
    this.#log = options.logger.child({ component: 'influxd' });
    this.dir = resolve(options.dataDir, 'influxdb');
    this.configPath = join(this.dir, 'influxdb.conf');
    this.pidFile = join(this.dir, 'influxd.pid');
    this.url = `http://${hostPort(connectHost(options.host), options.port)}`;
  }

  /** The running influxd's pid, if one is running. */
  get pid(): number | undefined {
    return this.#current?.child.pid;
  }

  /**
   * Checks the binary and ports, clears an influxd left by a killed IOC, writes the config and
   * starts influxd. Rejects with a one-line StartupError when it cannot.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle')
      throw new Error(`InfluxSupervisor cannot start when ${this.#state}`);
    this.#state = 'starting';
    const { host, port, rpcPort } = this.#options;
    try {
      if (port === rpcPort) {
        throw new StartupError(
          `influx.managed.port and influx.managed.rpcPort are both ${port}; set IOC_INFLUX_RPC_PORT to another port`,
          'INFLUXD_PORT_INVALID',
        );
      }
      this.#binaryPath = await requireInfluxd(this.#options.binary);
      await mkdir(this.dir, { recursive: true });
      await stopStaleInfluxd(this.pidFile, this.configPath, this.#log, this.#options.stopTimeoutMs);
      for (const [value, key, env] of [
        [port, 'influx.managed.port', 'IOC_INFLUX_PORT'],
        [rpcPort, 'influx.managed.rpcPort', 'IOC_INFLUX_RPC_PORT'],
      ] as const) {
        // influxd needs fixed ports: the IOC and the CLI must find it again.
        if (value === 0) {
          throw new StartupError(
            `${key} must be a fixed port between 1 and 65535, got 0; set ${env}`,
            'INFLUXD_PORT_INVALID',
          );
        }
        await assertPortFree({ host, port: value, key, env });
      }
      await writeFile(this.configPath, renderInfluxdConfig({ dir: this.dir, host, port, rpcPort }));
      process.on('exit', this.#onProcessExit);
      await this.#launch();
      this.#state = 'running';
    } catch (err) {
      process.off('exit', this.#onProcessExit);
      await rm(this.pidFile, { force: true });
      this.#state = 'stopped';
      throw err;
    }
  }

  /** Stops influxd: SIGTERM, then SIGKILL after the stop timeout. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return;
    this.#state = 'stopping';
    clearTimeout(this.#restartTimer);
    const current = this.#current;
    if (current) await this.#terminate(current);
    this.#current = undefined;
    process.off('exit', this.#onProcessExit);
    await rm(this.pidFile, { force: true });
    this.#state = 'stopped';
  }

  /** Spawns influxd and resolves once /ping answers; rejects (and kills it) otherwise. */
  async #launch(): Promise<void> {
    this.#tail.length = 0;
    const child = spawn(this.#binaryPath, ['-config', this.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: influxdEnvironment(),
      // Its own process group: a Ctrl-C in the terminal reaches only the IOC, which then stops
      // influxd in order (after the services that write to it) instead of racing it.
      detached: true,
    });
    // 'close' rather than 'exit': it comes after the last output line, which explains a failure.
    const exited = new Promise<InfluxdExitInfo>((resolveExit) => {
      child.once('close', (code, signal) => resolveExit({ code, signal }));
      child.once('error', (error) => resolveExit({ code: null, signal: null, error }));
    });
    const launched: Launched = { child, exited };
    this.#current = launched;
    this.#pipeOutput(child);
    void exited.then((info) => this.#onExit(launched, info));
    if (child.pid !== undefined) await writeFile(this.pidFile, `${child.pid}\n`);
    await this.#waitUntilReady(launched);
    this.#readyAt = Date.now();
    const pid = child.pid ?? 0;
    this.#log.info({ pid, url: this.url }, 'influxd is ready');
    this.emit('ready', { pid, url: this.url });
  }

  async #waitUntilReady({ child, exited }: Launched): Promise<void> {
    const deadline = Date.now() + this.#options.readyTimeoutMs;
    let exit: InfluxdExitInfo | undefined;
    void exited.then((info) => {
      exit = info;
    });
    while (!exit) {
      if (this.#state === 'stopping')
        throw new StartupError('influxd start-up cancelled by stop()');
      if (await answersPing(this.url)) return;
      if (Date.now() >= deadline) {
        await this.#terminate({ child, exited });
        throw new StartupError(
          `influxd did not answer ${this.url}/ping within ${this.#options.readyTimeoutMs / 1000} s; last output: ${this.#lastLine()}`,
          'INFLUXD_NOT_READY',
        );
      }
      await Promise.race([delay(50), exited]);
    }
    const why = exit.error ? errorMessage(exit.error) : this.#lastLine();
    throw new StartupError(
      `influxd exited during start-up (${describeExit(exit)}): ${why}`,
      'INFLUXD_START_FAILED',
    );
  }

  #onExit(launched: Launched, info: InfluxdExitInfo): void {
    // Start-up failures are reported by #launch; only a crash of a running influxd restarts it.
    const crashed = this.#current === launched && this.#state === 'running';
    if (this.#current === launched) this.#current = undefined;
    const pid = launched.child.pid ?? 0;
    const expected = this.#state === 'stopping';
    this.emit('exit', { pid, code: info.code, signal: info.signal, expected });
    if (!crashed) return;
    this.#log.error(
      { pid, exit: describeExit(info), lastOutput: this.#lastLine() },
      'influxd exited unexpectedly; restarting it',
    );
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    this.#state = 'restarting';
    if (Date.now() - this.#readyAt > STABLE_RUN_MS) this.#attempt = 0;
    this.#attempt += 1;
    const { min, max } = this.#options.restartDelayMs;
    const delayMs = Math.min(max, min * 2 ** (this.#attempt - 1));
    this.emit('restart', { attempt: this.#attempt, delayMs });
    this.#restartTimer = setTimeout(() => void this.#restart(), delayMs);
  }

  async #restart(): Promise<void> {
    if (this.#state !== 'restarting') return;
    try {
      await this.#launch();
      if (this.#state !== 'restarting') return;
      this.#state = 'running';
      this.#log.info({ attempt: this.#attempt }, 'influxd restarted');
    } catch (err) {
      if (this.#state !== 'restarting') return;
      this.#log.error({ attempt: this.#attempt, err: errorMessage(err) }, 'influxd restart failed');
      this.#scheduleRestart();
    }
  }

  async #terminate({ child, exited }: Launched): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timeout = delay(this.#options.stopTimeoutMs, 'timeout' as const);
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      this.#log.warn({ pid: child.pid }, 'influxd ignored SIGTERM; killing it');
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** influxd logs logfmt on stderr; error lines become warnings, the rest debug. */
  #pipeOutput(child: ChildProcess): void {
    const pid = child.pid;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        if (!line.trim()) return;
        this.#tail.push(line);
        if (this.#tail.length > TAIL_LINES) this.#tail.shift();
        if (isErrorLine(line)) this.#log.warn({ pid }, line);
        else this.#log.debug({ pid }, line);
      });
    }
  }

  #lastLine(): string {
    return this.#tail.at(-1) ?? 'no output';
  }
}

function isErrorLine(line: string): boolean {
  // Fatal start-up errors ("run: open server: ...") are printed without logfmt fields.
  return /\blvl=(error|crit)\b/.test(line) || !line.startsWith('ts=');
}

function describeExit({ code, signal }: InfluxdExitInfo): string {
  if (signal) return `signal ${signal}`;
  return code === null ? 'did not start' : `code ${code}`;
}

/** A wildcard bind address is reached through loopback. */
function connectHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

/** influxd lets INFLUXDB_* variables override its config file; ours must win. */
function influxdEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('INFLUXDB_')),
  );
}

async function answersPing(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 204;
  } catch {
    return false;
  }
}
