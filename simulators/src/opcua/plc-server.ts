import { createHash, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from '@ioc/core';
import type { OPCUACertificateManager, OPCUAServer } from 'node-opcua';
import { DA_NANG_PLANT, PlantModel, type PlantSnapshot, type PlantSpec } from '../plant/index.js';
import {
  type NodeOpcua,
  PLC_NAMESPACE_URI,
  PlcAddressSpace,
  type PlcCommand,
} from './address-space.js';

/** A user allowed to open a session (OPC-UA UserNameIdentityToken). */
export interface PlcUser {
  username: string;
  password: string;
}

export interface PlcSimulatorOptions {
  logger: Logger;
  /**
   * PKI folder. `server/` holds the server's own certificate and key (self-signed, created on
   * first start, kept afterwards) and the trusted/rejected client certificates; `users/` the
   * certificates of X509 user tokens.
   */
  pkiDir: string;
  /** Address to listen on and to advertise in endpoint URLs. Default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from `endpointUrl`). Default 4840. */
  port?: number;
  /** Accounts that may open a session. Required unless allowAnonymous. */
  users?: readonly PlcUser[];
  /** Also accept sessions without credentials. Default false. */
  allowAnonymous?: boolean;
  /**
   * Trust any client application certificate on Sign / SignAndEncrypt channels (a user name
   * and password are still required). When false, a client's certificate lands in
   * `<pkiDir>/server/rejected` until someone moves it to `trusted/certs`. Default true.
   */
  acceptUnknownClientCertificates?: boolean;
  /** Seed of the process noise and storm sequence; the same seed replays the same values. Default 1. */
  seed?: number;
  /** Real milliseconds between model steps (and value updates). Default 1000. */
  tickMs?: number;
  /** Simulated seconds per real second: 60 makes an hour of weather pass in a minute. Default 1. */
  timeScale?: number;
  /** The works to simulate. Default DA_NANG_PLANT. */
  plant?: PlantSpec;
}

export interface PlcSimulatorEvents {
  /** After each model step, once the new values are in the address space. */
  tick: [snapshot: PlantSnapshot];
  /** A client wrote a command or setpoint and the PLC accepted it. */
  command: [command: PlcCommand];
}

export type PlcSimulatorErrorCode =
  | 'INVALID_OPTIONS'
  | 'PORT_IN_USE'
  | 'ALREADY_STARTED'
  | 'NOT_RUNNING'
  | 'START_FAILED';

export class PlcSimulatorError extends Error {
  override readonly name = 'PlcSimulatorError';
  constructor(
    readonly code: PlcSimulatorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type ResolvedOptions = Required<Omit<PlcSimulatorOptions, 'plant' | 'users'>> & {
  users: readonly PlcUser[];
};

const APPLICATION_URI = 'urn:ioc:simulators:da-nang-plc';
const MIN_TICK_MS = 10;
const MAX_TIME_SCALE = 3600;

/**
 * A simulated PLC of Đà Nẵng's drainage works behind a real OPC-UA server (node-opcua):
 * pumping stations and sluice gates whose values evolve with a physical model (see
 * PlantModel) and that accept commands and setpoints.
 *
 * Security: endpoints offer SecurityPolicy None (for the local demo) and Basic256Sha256
 * (Sign, SignAndEncrypt). Sessions need a user name and password unless allowAnonymous;
 * passwords are encrypted with the server certificate even on the None endpoint.
 */
export class PlcSimulator extends EventEmitter<PlcSimulatorEvents> {
  readonly model: PlantModel;
  readonly #options: ResolvedOptions;
  readonly #logger: Logger;
  #server: OPCUAServer | undefined;
  #addressSpace: PlcAddressSpace | undefined;
  #timer: NodeJS.Timeout | undefined;
  #state: 'idle' | 'starting' | 'running' | 'stopping' = 'idle';
  #starting: Promise<void> | undefined;

  constructor(options: PlcSimulatorOptions) {
    super();
    this.#options = validate(options);
    this.#logger = options.logger.child({ component: 'simulators.opcua' });
    this.model = new PlantModel(options.plant ?? DA_NANG_PLANT, this.#options.seed);
  }

  /** `opc.tcp://host:port` once started (with the real port when 0 was asked for). */
  get endpointUrl(): string {
    if (!this.#server)
      throw new PlcSimulatorError('NOT_RUNNING', 'the PLC simulator is not running');
    return this.#server.getEndpointUrl();
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  get sessionCount(): number {
    return this.#server?.currentSessionCount ?? 0;
  }

  /** The namespace URI of the PLC's nodes (node ids are `nsu=<uri>;s=DaNang....`). */
  get namespaceUri(): string {
    return PLC_NAMESPACE_URI;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle')
      throw new PlcSimulatorError('ALREADY_STARTED', 'the PLC simulator is already started');
    this.#state = 'starting';
    this.#starting = this.#start();
    try {
      await this.#starting;
    } finally {
      this.#starting = undefined;
    }
  }

  /** Stops ticking, closes every session and the listening socket. Safe to call twice, or while starting. */
  async stop(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    if (this.#state !== 'running') return;
    this.#state = 'stopping';
    clearInterval(this.#timer);
    this.#timer = undefined;
    const server = this.#server;
    this.#server = undefined;
    this.#addressSpace = undefined;
    try {
      // Also disposes both certificate managers.
      await server?.shutdown(0);
    } finally {
      this.#state = 'idle';
      this.#logger.info('OPC-UA PLC simulator stopped');
    }
  }

  async #start(): Promise<void> {
    const startedAt = performance.now();
    try {
      // Fail in milliseconds, not after the seconds node-opcua needs to load and initialise.
      await this.#assertPortFree();
      // node-opcua takes 1-2 s to import; loading it here keeps the rest of the process quick to start.
      const opcua = await import('node-opcua');
      routeOpcuaLogs(opcua, this.#logger);
      const server = await this.#createServer(opcua);
      await this.#listen(server);
      this.#startTicking();
      this.#state = 'running';
      this.#logger.info(
        {
          endpointUrl: this.endpointUrl,
          pkiDir: this.#options.pkiDir,
          ms: Math.round(performance.now() - startedAt),
        },
        'OPC-UA PLC simulator listening',
      );
    } catch (err) {
      if (this.#server) await closeQuietly(this.#server);
      this.#state = 'idle';
      this.#server = undefined;
      this.#addressSpace = undefined;
      throw err;
    }
  }

  async #createServer(opcua: NodeOpcua): Promise<OPCUAServer> {
    const { OPCUAServer, OPCUACertificateManager, SecurityPolicy, MessageSecurityMode } = opcua;
    const { pkiDir, host, port, allowAnonymous, acceptUnknownClientCertificates } = this.#options;
    await mkdir(pkiDir, { recursive: true });
    const serverCertificates = new OPCUACertificateManager({
      rootFolder: join(pkiDir, 'server'),
      automaticallyAcceptUnknownCertificate: acceptUnknownClientCertificates,
      // Trust changes take effect on restart; no file watchers to keep alive.
      disableFileWatchers: true,
    });
    // Given explicitly so nothing is written under the user's home directory.
    const userCertificates = new OPCUACertificateManager({
      rootFolder: join(pkiDir, 'users'),
      automaticallyAcceptUnknownCertificate: false,
      disableFileWatchers: true,
    });
    const server = new OPCUAServer({
      host,
      // A wildcard address cannot be advertised: let node-opcua use the machine's name.
      hostname: isWildcard(host) ? undefined : host,
      port,
      serverCertificateManager: serverCertificates,
      userCertificateManager: userCertificates,
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      securityModes: [
        MessageSecurityMode.None,
        MessageSecurityMode.Sign,
        MessageSecurityMode.SignAndEncrypt,
      ],
      allowAnonymous,
      userManager: { isValidUser: passwordCheck(this.#options.users) },
      serverInfo: {
        applicationUri: APPLICATION_URI,
        productUri: 'urn:ioc:simulators',
        applicationName: { text: 'IOC Da Nang PLC simulator', locale: 'en' },
      },
      buildInfo: {
        productName: 'IOC PLC simulator',
        manufacturerName: 'IOC',
        softwareVersion: '0.1.0',
      },
      isAuditing: false,
    });
    this.#server = server;
    try {
      await server.initialize();
    } catch (err) {
      throw new PlcSimulatorError(
        'START_FAILED',
        `cannot prepare the OPC-UA server (PKI at ${pkiDir}): ${(err as Error).message}`,
        { cause: err },
      );
    }
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace)
      throw new PlcSimulatorError('START_FAILED', 'the OPC-UA server has no address space');
    const namespace = addressSpace.registerNamespace(PLC_NAMESPACE_URI);
    this.#addressSpace = new PlcAddressSpace(
      opcua,
      namespace,
      addressSpace.rootFolder.objects,
      this.model,
      (command) => {
        this.#logger.info({ command }, 'PLC command accepted');
        this.emit('command', command);
      },
    );
    this.#addressSpace.publish(this.model.snapshot, new Date());
    return server;
  }

  async #assertPortFree(): Promise<void> {
    const { host, port } = this.#options;
    if (port === 0) return;
    try {
      await new Promise<void>((resolve, reject) => {
        const probe = createServer();
        probe.once('error', reject);
        probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
      });
    } catch (err) {
      throw this.#listenError(err);
    }
  }

  async #listen(server: OPCUAServer): Promise<void> {
    try {
      await server.start();
    } catch (err) {
      throw this.#listenError(err);
    }
  }

  #listenError(err: unknown): PlcSimulatorError {
    const { host, port } = this.#options;
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      return new PlcSimulatorError('PORT_IN_USE', `port ${port} on ${host} is already in use`, {
        cause: err,
      });
    }
    return new PlcSimulatorError(
      'START_FAILED',
      `cannot listen on ${host}:${port}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }

  #startTicking(): void {
    const { tickMs, timeScale } = this.#options;
    // A fixed simulated step per tick (not the measured wall time) keeps a seeded run repeatable.
    const stepSeconds = (tickMs / 1000) * timeScale;
    this.#timer = setInterval(() => {
      try {
        const snapshot = this.model.step(stepSeconds);
        this.#addressSpace?.publish(snapshot, new Date());
        this.emit('tick', snapshot);
      } catch (err) {
        this.#logger.error({ err }, 'PLC simulator step failed');
      }
    }, tickMs);
    this.#timer.unref();
  }
}

function validate(options: PlcSimulatorOptions): ResolvedOptions {
  const problems: string[] = [];
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 4840;
  const users = options.users ?? [];
  const allowAnonymous = options.allowAnonymous ?? false;
  const seed = options.seed ?? 1;
  const tickMs = options.tickMs ?? 1000;
  const timeScale = options.timeScale ?? 1;
  if (typeof options.pkiDir !== 'string' || options.pkiDir === '')
    problems.push('pkiDir must be a folder path');
  if (typeof host !== 'string' || host === '') problems.push('host must be a non-empty address');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`port must be 0-65535, got ${port}`);
  if (!allowAnonymous && users.length === 0) {
    problems.push('give at least one user (username and password) or set allowAnonymous');
  }
  for (const [i, user] of users.entries()) {
    if (typeof user?.username !== 'string' || user.username === '')
      problems.push(`users[${i}].username is empty`);
    if (typeof user?.password !== 'string' || user.password === '')
      problems.push(`users[${i}].password is empty`);
  }
  if (!Number.isFinite(seed)) problems.push(`seed must be a number, got ${seed}`);
  if (!Number.isFinite(tickMs) || tickMs < MIN_TICK_MS)
    problems.push(`tickMs must be at least ${MIN_TICK_MS}`);
  if (!(timeScale > 0 && timeScale <= MAX_TIME_SCALE))
    problems.push(`timeScale must be in (0, ${MAX_TIME_SCALE}]`);
  if (problems.length > 0) {
    throw new PlcSimulatorError(
      'INVALID_OPTIONS',
      `invalid PLC simulator options: ${problems.join('; ')}`,
    );
  }
  return {
    logger: options.logger,
    pkiDir: resolve(options.pkiDir),
    host,
    port,
    users,
    allowAnonymous,
    acceptUnknownClientCertificates: options.acceptUnknownClientCertificates ?? true,
    seed,
    tickMs,
    timeScale,
  };
}

/** Compares digests in constant time so response timing does not leak how much of a password matched. */
function passwordCheck(users: readonly PlcUser[]): (username: string, password: string) => boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  const accounts = new Map(users.map((u) => [u.username, digest(u.password)]));
  return (username, password) => {
    const expected = accounts.get(username);
    return expected !== undefined && timingSafeEqual(expected, digest(password ?? ''));
  };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** Releases a server that failed to start: shutdown() is a no-op then, so dispose its PKI stores too. */
async function closeQuietly(server: OPCUAServer): Promise<void> {
  await server.shutdown(0).catch(() => undefined);
  const managers = [
    server.serverCertificateManager as OPCUACertificateManager,
    server.userCertificateManager,
  ];
  await Promise.all(managers.map((m) => m.dispose().catch(() => undefined)));
}

/**
 * node-opcua prints its warnings and errors to the console; send them to our structured log
 * instead (process-wide, as node-opcua's loggers are global).
 */
function routeOpcuaLogs(opcua: typeof import('node-opcua'), logger: Logger): void {
  const text = (args: unknown[]) =>
    args
      .map((a) => String(a))
      .join(' ')
      .trim();
  opcua.setWarningLogger((...args: unknown[]) =>
    logger.debug({ source: 'node-opcua' }, text(args)),
  );
  opcua.setErrorLogger((...args: unknown[]) => logger.warn({ source: 'node-opcua' }, text(args)));
  opcua.setDebugLogger((...args: unknown[]) => logger.trace({ source: 'node-opcua' }, text(args)));
}
