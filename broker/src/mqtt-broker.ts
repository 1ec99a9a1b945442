import { EventEmitter } from 'node:events';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger, Principal } from '@ioc/core';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';

/** Resolves MQTT credentials to a principal; undefined means "bad username or password". */
export type MqttAuthenticator = (
  username: string,
  password: string,
  client: { id: string; ip?: string },
) => Promise<Principal | undefined>;

export interface MqttBrokerOptions {
  host: string;
  port: number;
  logger: Logger;
  authenticate: MqttAuthenticator;
}

// MQTT 3.1.1 CONNACK return codes (aedes declares them as a const enum we cannot import).
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/**
 * The aedes broker with its listeners. Nothing anonymous: every connection must present
 * credentials that the authenticator accepts. Events: 'clientReady', 'clientDisconnect'.
 */
export class MqttBroker extends EventEmitter {
  readonly #options: MqttBrokerOptions;
  readonly #principals = new WeakMap<Client, Principal>();
  #aedes?: Aedes;
  #tcp?: NetServer;
  #ws?: WebSocketServer;
  #detachUpgrade?: () => void;

  constructor(options: MqttBrokerOptions) {
    super();
    this.#options = options;
  }

  get connectedClients(): number {
    return this.#aedes?.connectedClients ?? 0;
  }

  get listening(): boolean {
    return this.#tcp?.listening ?? false;
  }

  /** The TCP port actually bound (differs from the configured one when that was 0). */
  get port(): number {
    const address = this.#tcp?.address();
    return typeof address === 'object' && address ? address.port : this.#options.port;
  }

  principalOf(client: Client): Principal | undefined {
    return this.#principals.get(client);
  }

  async start(): Promise<void> {
    const { logger } = this.#options;
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        this.#authenticate(client, username, password).then(
          (principal) => {
            if (principal) return done(null, true);
            const code = username ? BAD_USERNAME_OR_PASSWORD : NOT_AUTHORIZED;
            done(authError(code, username ? 'bad username or password' : 'anonymous'), false);
          },
          (err) => {
            logger.error({ err, clientId: client.id }, 'mqtt authentication failed');
            done(authError(NOT_AUTHORIZED, 'authentication unavailable'), false);
          },
        );
      },
    });
    this.#aedes = aedes;
    aedes.on('clientReady', (client) => this.emit('clientReady', client));
    aedes.on('clientDisconnect', (client) => this.emit('clientDisconnect', client));
    aedes.on('clientError', (client, err) =>
      logger.debug({ clientId: client.id, err: err.message }, 'mqtt client error'),
    );
    aedes.on('connectionError', (client, err) =>
      logger.debug({ clientId: client?.id, err: err.message }, 'mqtt connection error'),
    );

    const tcp = createServer(aedes.handle);
    this.#tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.#options.port, this.#options.host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    logger.info({ host: this.#options.host, port: this.port }, 'mqtt broker listening (tcp)');
  }

  /** Serves MQTT over WebSocket on `path` of an existing HTTP server (same port as the app). */
  attachWebSocket(server: HttpServer, path = '/mqtt'): void {
    const aedes = this.#requireAedes();
    const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
    this.#ws = wss;
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) return;
      wss.handleUpgrade(req, socket, head, (ws) => {
        aedes.handle(createWebSocketStream(ws), req);
      });
    };
    server.on('upgrade', onUpgrade);
    this.#detachUpgrade = () => server.off('upgrade', onUpgrade);
    this.#options.logger.info({ path }, 'mqtt broker listening (websocket)');
  }

  /** Stops serving MQTT over WebSocket and drops its connections. */
  detachWebSocket(): void {
    this.#detachUpgrade?.();
    this.#detachUpgrade = undefined;
    for (const client of this.#ws?.clients ?? []) client.terminate();
    this.#ws?.close();
    this.#ws = undefined;
  }

  async stop(): Promise<void> {
    this.detachWebSocket();
    const aedes = this.#aedes;
    const tcp = this.#tcp;
    this.#aedes = undefined;
    this.#tcp = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (tcp?.listening) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  async #authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<Principal | undefined> {
    const ip = remoteAddress(client);
    if (!username || !password) {
      this.#options.logger.warn({ clientId: client.id, ip }, 'mqtt anonymous connection refused');
      return undefined;
    }
    const principal = await this.#options.authenticate(username, password.toString('utf8'), {
      id: client.id,
      ip,
    });
    if (principal) this.#principals.set(client, principal);
    else this.#options.logger.warn({ clientId: client.id, username, ip }, 'mqtt login refused');
    return principal;
  }

  #requireAedes(): Aedes {
    if (!this.#aedes) throw new Error('the MQTT broker is not started');
    return this.#aedes;
  }
}

function authError(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function remoteAddress(client: Client): string | undefined {
  const conn = (client as unknown as { conn?: { remoteAddress?: string } }).conn;
  return conn?.remoteAddress;
}
