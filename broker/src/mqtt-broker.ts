import { EventEmitter } from 'node:events';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  createServer as createTlsServer,
  type TLSSocket,
  type Server as TlsServer,
} from 'node:tls';
import type { Logger } from '@ioc/core';
import { deviceTopic, isDeviceId, parseDeviceTopic } from '@ioc/devices';
import {
  Aedes,
  type AuthenticateError,
  type Client,
  type PublishPacket,
  type Subscription,
} from 'aedes';
import { Registry } from 'prom-client';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { checkPublish, checkSubscribe } from './acl.js';
import { BrokerMetrics, type LoginFailure } from './broker-metrics.js';
import { DeviceErrorReporter } from './device-errors.js';
import { FrameLimitedConnection, PacketTooLargeError } from './frame-limit.js';
import { describeIdentity, type MqttAuthenticator, type MqttIdentity } from './identity.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { TokenBucket } from './token-bucket.js';

export interface MqttLimits {
  /** Largest payload a device may publish; larger ones are dropped with PAYLOAD_TOO_LARGE. */
  maxPayloadBytes: number;
  /** QoS 2 messages a client may have awaiting PUBREL (aedes `maxInflightInbound`). */
  maxInflight: number;
  /** Messages per second per device (token bucket, burst twice that); 0 = no limit. */
  deviceRatePerSecond: number;
}

export const DEFAULT_LIMITS: MqttLimits = {
  maxPayloadBytes: 64 * 1024,
  maxInflight: 100,
  deviceRatePerSecond: 20,
};

/**
 * Room above `maxPayloadBytes` for a packet's topic (up to 64 KiB) and MQTT 5 properties.
 * A packet announcing more than payload + headroom closes the connection before its body is
 * read; one within it is read, refused and reported to the device.
 */
export const PACKET_HEADROOM_BYTES = 64 * 1024 + 256;

export interface MqttTlsOptions {
  port: number;
  cert: string | Buffer;
  key: string | Buffer;
  /** CA for client certificates; when set, a verified certificate's CN is the device id. */
  ca?: string | Buffer;
}

export interface MqttBrokerOptions {
  host: string;
  port: number;
  logger: Logger;
  authenticate: MqttAuthenticator;
  tls?: MqttTlsOptions;
  limits?: Partial<MqttLimits>;
  loginThrottle?: Partial<LoginThrottleOptions>;
  /** Registry for the broker's counters; a private one when omitted. */
  metrics?: Registry;
  /**
   * Stores a telemetry message (from its device, or a service publishing for one) before the
   * broker acknowledges it: the QoS 1 PUBACK waits for the returned promise, so an
   * acknowledged message is never lost. A rejection leaves the message unacknowledged (the
   * connection closes and the device sends it again).
   */
  telemetrySink?: (deviceId: string, payload: Buffer, receivedAt: Date) => Promise<void>;
}

export interface MqttBrokerEvents {
  clientReady: [client: Client];
  clientDisconnect: [client: Client];
  /** A device's first connection is ready. */
  deviceOnline: [deviceId: string, reason: string];
  /** A device's last connection closed (see `LiveEvents['device.presence']` for reasons). */
  deviceOffline: [deviceId: string, reason: string];
}

/** A listener could not be opened; `listener` says which port setting is at fault. */
export class MqttListenError extends Error {
  constructor(
    readonly listener: 'tcp' | 'tls',
    override readonly cause: unknown,
  ) {
    super(`cannot open the MQTT ${listener} listener: ${(cause as Error)?.message}`);
    this.name = 'MqttListenError';
  }
}

/** What the broker knows about one network connection, whatever its transport. */
interface Connection {
  stream: FrameLimitedConnection;
  transport: 'tcp' | 'tls' | 'ws';
  ip?: string;
  certificateCn?: string;
  certificateError?: string;
  identity?: MqttIdentity;
  /** Why the connection ended, when the broker knows better than "connection lost". */
  endReason?: string;
  closed: Promise<void>;
  isClosed: boolean;
}

// MQTT 3.1.1 CONNACK return codes (aedes declares them as a const enum we cannot import).
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/** Where refused publishes go: nobody may subscribe to `$` topics (see acl.ts). */
const TELEMETRY_SUFFIX = '/telemetry';
const DISCARDED_TOPIC = '$SYS/ioc/discarded';
const EMPTY = Buffer.alloc(0);

/**
 * The aedes broker with its listeners (TCP, TLS, WebSocket), device and service
 * authentication, the topic ACL, limits and connection bookkeeping for presence.
 *
 * A refused publish from a device is acknowledged and discarded, with the reason on the
 * device's `errors` topic: MQTT 3.1.1 (§3.3.5) allows that or closing the connection, and a
 * closed connection would hide the reason and make a rate-limited device reconnect in a loop.
 */
export class MqttBroker extends EventEmitter<MqttBrokerEvents> {
  readonly limits: MqttLimits;
  readonly #options: MqttBrokerOptions;
  readonly #metrics: BrokerMetrics;
  readonly #throttle: LoginThrottle;
  readonly #errors: DeviceErrorReporter;
  /** By the stream aedes holds as `client.conn`; kept after close for the will's ACL check. */
  readonly #connections = new WeakMap<Duplex, Connection>();
  readonly #openConnections = new Set<Connection>();
  /** Authenticated connections per device; a device is online while it has one. */
  readonly #deviceConnections = new Map<string, Set<Connection>>();
  readonly #onlineDevices = new Set<string>();
  readonly #rates = new Map<string, TokenBucket>();
  #aedes?: Aedes;
  #tcp?: NetServer;
  #tls?: TlsServer;
  #ws?: WebSocketServer;
  #detachUpgrade?: () => void;
  #stopping = false;

  constructor(options: MqttBrokerOptions) {
    super();
    this.#options = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#metrics = new BrokerMetrics(options.metrics ?? new Registry());
    this.#throttle = new LoginThrottle(options.loginThrottle);
    this.#errors = new DeviceErrorReporter(
      (topic, payload) => this.#publishInternal(topic, payload),
      options.logger,
    );
  }

  get connectedClients(): number {
    return this.#aedes?.connectedClients ?? 0;
  }

  get listening(): boolean {
    return this.#tcp?.listening ?? false;
  }

  /** The TCP port actually bound (differs from the configured one when that was 0). */
  get port(): number {
    return boundPort(this.#tcp) ?? this.#options.port;
  }

  /** The TLS port actually bound; undefined without TLS. */
  get tlsPort(): number | undefined {
    return this.#options.tls && (boundPort(this.#tls) ?? this.#options.tls.port);
  }

  /** Largest MQTT packet read at all; anything bigger closes the connection unread. */
  get maxPacketBytes(): number {
    return this.limits.maxPayloadBytes + PACKET_HEADROOM_BYTES;
  }

  identityOf(client: Client): MqttIdentity | undefined {
    return this.#connectionOf(client)?.identity;
  }

  isDeviceOnline(deviceId: string): boolean {
    return this.#onlineDevices.has(deviceId);
  }

  async start(): Promise<void> {
    const { logger } = this.#options;
    this.#metrics.register();
    const aedes = await Aedes.createBroker({
      maxInflightInbound: this.limits.maxInflight,
      // Device ids may be up to 64 characters; MQTT 3.1 clients are held to this too.
      maxClientsIdLength: 64,
      authenticate: (client, username, password, done) =>
        this.#authenticate(client, username, password).then(
          () => done(null, true),
          (err: AuthenticateError) => done(err, false),
        ),
      authorizePublish: (client, packet, done) => {
        const refused = this.#authorizePublish(client, packet);
        if (refused || !client) return done(refused);
        this.#storeTelemetry(client, packet).then(
          () => done(null),
          (err: Error) => {
            this.#options.logger.error(
              { err, topic: packet.topic },
              'telemetry not stored; not acknowledged',
            );
            done(err);
          },
        );
      },
      authorizeSubscribe: (client, subscription, done) =>
        done(null, this.#authorizeSubscribe(client, subscription)),
    });
    this.#aedes = aedes;
    aedes.on('clientReady', (client) => {
      this.#onClientReady(client);
      this.emit('clientReady', client);
    });
    aedes.on('clientDisconnect', (client) => this.emit('clientDisconnect', client));
    aedes.on('keepaliveTimeout', (client) => {
      const connection = this.#connectionOf(client);
      if (connection) connection.endReason = 'keepalive-timeout';
    });
    aedes.on('clientError', (client, err) => this.#onClientError(client, err));
    aedes.on('connectionError', (client, err) => this.#onClientError(client, err));

    const tcp = createServer((socket) =>
      this.#serve(socket, { transport: 'tcp', ip: socket.remoteAddress }),
    );
    this.#tcp = tcp;
    await listen(tcp, this.#options.port, this.#options.host, 'tcp');
    logger.info({ host: this.#options.host, port: this.port }, 'mqtt broker listening (tcp)');

    const tlsOptions = this.#options.tls;
    if (tlsOptions) {
      const tls = createTlsServer(
        {
          cert: tlsOptions.cert,
          key: tlsOptions.key,
          ca: tlsOptions.ca,
          // Ask for a certificate but accept clients without one: they log in with a secret.
          requestCert: tlsOptions.ca !== undefined,
          rejectUnauthorized: false,
        },
        (socket) =>
          this.#serve(socket, { transport: 'tls', ip: socket.remoteAddress, ...peerOf(socket) }),
      );
      tls.on('tlsClientError', (err, socket) =>
        logger.debug({ ip: socket.remoteAddress, err: err.message }, 'mqtt tls handshake failed'),
      );
      this.#tls = tls;
      await listen(tls, tlsOptions.port, this.#options.host, 'tls');
      logger.info(
        { host: this.#options.host, port: this.tlsPort, clientCertificates: !!tlsOptions.ca },
        'mqtt broker listening (tls)',
      );
    }
  }

  /** Serves MQTT over WebSocket on `path` of an existing HTTP server (same port as the app). */
  attachWebSocket(server: HttpServer, path = '/mqtt'): void {
    this.#requireAedes();
    const wss = new WebSocketServer({ noServer: true, maxPayload: this.maxPacketBytes });
    this.#ws = wss;
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) return;
      wss.handleUpgrade(req, socket, head, (ws) => {
        this.#serve(
          createWebSocketStream(ws),
          { transport: 'ws', ip: req.socket.remoteAddress },
          req,
        );
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

  /**
   * Closes every connection of a device (it was revoked or disabled): the registry refuses
   * its next login, so it stays out. Returns how many connections were closed.
   */
  disconnectDevice(deviceId: string, reason: string): number {
    const connections = [...(this.#deviceConnections.get(deviceId) ?? [])];
    for (const connection of connections) {
      connection.endReason = reason;
      connection.stream.destroy();
    }
    if (connections.length > 0) {
      this.#options.logger.info({ deviceId, reason }, 'device disconnected by the server');
    }
    return connections.length;
  }

  /**
   * Sends a command to a device on its `commands` topic (QoS 1). A device that is offline
   * gets it only if it keeps a persistent session (clean = false) and subscribed before.
   */
  async publishCommand(deviceId: string, payload: Buffer | string): Promise<void> {
    const topic = deviceTopic(deviceId, 'commands');
    await new Promise<void>((resolve, reject) => {
      this.#requireAedes().publish(
        {
          cmd: 'publish',
          topic,
          payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
          qos: 1,
          retain: false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.detachWebSocket();
    const aedes = this.#aedes;
    const servers = [this.#tcp, this.#tls];
    this.#aedes = undefined;
    this.#tcp = undefined;
    this.#tls = undefined;
    // Stop accepting; each server's callback runs once its last connection is gone.
    const serversClosed = servers.map(
      (server) =>
        server?.listening && new Promise<void>((resolve) => server.close(() => resolve())),
    );
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    // Connections that never completed CONNECT are not aedes clients: cut them too.
    for (const connection of this.#openConnections) connection.stream.destroy();
    await Promise.all([...this.#openConnections].map((c) => c.closed));
    await Promise.all(serversClosed);
    this.#metrics.unregister();
    this.#stopping = false;
  }

  #serve(
    transport: Duplex,
    details: Pick<Connection, 'transport' | 'ip' | 'certificateCn' | 'certificateError'>,
    req?: IncomingMessage,
  ): void {
    const aedes = this.#aedes;
    if (!aedes) {
      transport.destroy();
      return;
    }
    const stream = new FrameLimitedConnection(transport, this.maxPacketBytes);
    let markClosed = () => {};
    const connection: Connection = {
      ...details,
      stream,
      isClosed: false,
      closed: new Promise<void>((resolve) => {
        markClosed = resolve;
      }),
    };
    this.#connections.set(stream, connection);
    this.#openConnections.add(connection);
    stream.once('close', () => {
      connection.isClosed = true;
      this.#openConnections.delete(connection);
      this.#onConnectionClosed(connection);
      markClosed();
    });
    aedes.handle(stream, req);
  }

  async #authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<void> {
    const { logger } = this.#options;
    const connection = this.#connectionOf(client);
    const ip = connection?.ip ?? 'unknown';
    const now = Date.now();
    const blockedFor = this.#throttle.blockedFor(ip, now);
    if (blockedFor > 0) {
      this.#metrics.countLoginFailure('throttled');
      logger.debug({ clientId: client.id, ip }, 'mqtt login refused: address blocked');
      throw authError(
        NOT_AUTHORIZED,
        `too many failed logins from ${ip}; retry in ${Math.ceil(blockedFor / 1000)} s`,
      );
    }
    const refuse = (reason: LoginFailure, code: number, message: string): never => {
      this.#metrics.countLoginFailure(reason);
      logger.warn({ clientId: client.id, username, ip, reason: message }, 'mqtt login refused');
      if (this.#throttle.recordFailure(ip, now)) {
        const { maxFailures, windowMs, blockMs } = this.#throttle.options;
        logger.warn(
          { ip, maxFailures, windowS: windowMs / 1000, blockS: blockMs / 1000 },
          'mqtt logins from this address blocked after repeated failures',
        );
      }
      throw authError(code, message);
    };

    if (connection?.certificateError) {
      return refuse(
        'untrusted_certificate',
        NOT_AUTHORIZED,
        `client certificate not trusted (${connection.certificateError})`,
      );
    }
    const certificateCn = connection?.certificateCn;
    if (certificateCn && username && username !== certificateCn) {
      return refuse(
        'bad_credentials',
        BAD_USERNAME_OR_PASSWORD,
        `username "${username}" differs from the certificate's CN "${certificateCn}"`,
      );
    }
    if (!certificateCn && (!username || !password)) {
      return refuse('anonymous', NOT_AUTHORIZED, 'anonymous connection (no username or password)');
    }

    let result: Awaited<ReturnType<MqttAuthenticator>>;
    try {
      result = await this.#options.authenticate(
        certificateCn ?? username ?? '',
        password?.toString('utf8') ?? '',
        { id: client.id, ip: connection?.ip, certificateCn },
      );
    } catch (err) {
      logger.error({ err, clientId: client.id, ip }, 'mqtt authenticator failed');
      throw authError(SERVER_UNAVAILABLE, 'authentication unavailable, retry later');
    }
    if (!result) {
      return certificateCn
        ? refuse('refused', NOT_AUTHORIZED, `no device "${certificateCn}" for this certificate`)
        : refuse('bad_credentials', BAD_USERNAME_OR_PASSWORD, 'bad username or password');
    }
    if (result.kind === 'refused') return refuse('refused', NOT_AUTHORIZED, result.reason);
    if (certificateCn && (result.kind !== 'device' || result.deviceId !== certificateCn)) {
      return refuse(
        'refused',
        NOT_AUTHORIZED,
        `certificate CN "${certificateCn}" is not this device`,
      );
    }
    if (result.kind === 'device') {
      if (!isDeviceId(result.deviceId)) {
        logger.error({ deviceId: result.deviceId }, 'authenticator returned an invalid device id');
        throw authError(NOT_AUTHORIZED, 'invalid device id');
      }
      if (client.id !== result.deviceId) {
        return refuse(
          'identifier_rejected',
          IDENTIFIER_REJECTED,
          `client id "${client.id}" must be the device id "${result.deviceId}"`,
        );
      }
    }
    if (!connection || connection.isClosed) throw authError(NOT_AUTHORIZED, 'connection closed');
    connection.identity = result;
    if (result.kind === 'device') {
      const connections = this.#deviceConnections.get(result.deviceId) ?? new Set();
      connections.add(connection);
      this.#deviceConnections.set(result.deviceId, connections);
    }
    logger.debug(
      {
        clientId: client.id,
        ip,
        identity: describeIdentity(result),
        transport: connection.transport,
      },
      'mqtt login',
    );
  }

  /**
   * The ACL and limits for one PUBLISH (or will). Returns an error to close the connection,
   * or null to go on; a refused device message goes on too, emptied (see #discard).
   */
  #authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    // No client: a will left behind by a broker that is gone. Only a device's own status.
    if (!client) {
      const target = parseDeviceTopic(packet.topic);
      const owner = (packet as { clientId?: string }).clientId;
      return target?.channel === 'status' && target.deviceId === owner
        ? null
        : new Error('orphaned will outside its device status topic');
    }
    const identity = this.identityOf(client);
    if (!identity) return new Error('not authenticated');
    const decision = checkPublish(identity, packet.topic);
    if (!decision.allowed) {
      this.#metrics.countAclDenial('publish');
      if (identity.kind === 'service') {
        this.#options.logger.warn(
          { service: identity.name, topic: packet.topic, reason: decision.reason },
          'mqtt publish refused',
        );
        return new Error(decision.reason);
      }
      return this.#discard(identity.deviceId, packet, {
        code: 'FORBIDDEN_TOPIC',
        message: `publish to "${packet.topic}" refused: ${decision.reason}; the message was dropped`,
      });
    }
    if (identity.kind === 'service') return null;

    const size = packet.payload.length;
    if (size > this.limits.maxPayloadBytes) {
      this.#metrics.countLimitRejection('payload_size');
      return this.#discard(identity.deviceId, packet, {
        code: 'PAYLOAD_TOO_LARGE',
        message:
          `payload of ${size} bytes exceeds the limit of ${this.limits.maxPayloadBytes} bytes ` +
          '(mqtt.maxPayloadBytes); the message was dropped',
      });
    }
    // A will (published as the client closes) is not counted against the rate.
    if (!client.closed && !this.#withinRate(identity.deviceId)) {
      this.#metrics.countLimitRejection('rate');
      const rate = this.limits.deviceRatePerSecond;
      return this.#discard(identity.deviceId, packet, {
        code: 'RATE_LIMITED',
        message:
          `more than ${rate} messages per second (bursts of ${rate * 2}; mqtt.deviceRatePerSecond) ` +
          'from this device; messages are dropped until its rate falls',
      });
    }
    return null;
  }

  /** Hands accepted telemetry to the sink before aedes acknowledges and forwards it. */
  async #storeTelemetry(client: Client, packet: PublishPacket): Promise<void> {
    const sink = this.#options.telemetrySink;
    if (!sink) return;
    const identity = this.identityOf(client);
    let deviceId: string | undefined;
    if (identity?.kind === 'device') {
      // The ACL has passed: a device publishes only to its own telemetry or status topic.
      if (packet.topic.endsWith(TELEMETRY_SUFFIX)) deviceId = identity.deviceId;
    } else {
      const target = parseDeviceTopic(packet.topic);
      if (target?.channel === 'telemetry') deviceId = target.deviceId;
    }
    if (deviceId !== undefined) await sink(deviceId, packet.payload as Buffer, new Date());
  }

  #authorizeSubscribe(client: Client, subscription: Subscription): Subscription | null {
    const identity = this.identityOf(client);
    const decision = identity
      ? checkSubscribe(identity, subscription.topic)
      : { allowed: false as const, reason: 'not authenticated' };
    if (decision.allowed) return subscription;
    this.#metrics.countAclDenial('subscribe');
    this.#options.logger.warn(
      {
        ...(identity?.kind === 'device' ? { deviceId: identity.deviceId } : {}),
        ...(identity?.kind === 'service' ? { service: identity.name } : {}),
        topic: subscription.topic,
        reason: decision.reason,
      },
      'mqtt subscription refused',
    );
    return null; // SUBACK 0x80
  }

  /** Acknowledges a refused publish without delivering it, and tells the device why. */
  #discard(
    deviceId: string,
    packet: PublishPacket,
    error: { code: 'FORBIDDEN_TOPIC' | 'PAYLOAD_TOO_LARGE' | 'RATE_LIMITED'; message: string },
  ): null {
    const topic = packet.topic;
    packet.topic = DISCARDED_TOPIC;
    packet.payload = EMPTY;
    packet.retain = false;
    this.#errors.report(deviceId, { ...error, topic });
    return null;
  }

  #withinRate(deviceId: string): boolean {
    const rate = this.limits.deviceRatePerSecond;
    if (rate <= 0) return true;
    const now = Date.now();
    let bucket = this.#rates.get(deviceId);
    if (!bucket) {
      bucket = new TokenBucket(rate, Math.max(1, rate * 2), now);
      this.#rates.set(deviceId, bucket);
    }
    return bucket.take(now);
  }

  #onClientReady(client: Client): void {
    const identity = this.identityOf(client);
    if (identity?.kind !== 'device' || this.#onlineDevices.has(identity.deviceId)) return;
    this.#onlineDevices.add(identity.deviceId);
    this.emit('deviceOnline', identity.deviceId, 'connect');
  }

  #onClientError(client: Client | undefined, err: Error): void {
    const connection = client && this.#connectionOf(client);
    const identity = connection?.identity;
    const deviceId = identity?.kind === 'device' ? identity.deviceId : undefined;
    if (err instanceof PacketTooLargeError) {
      this.#metrics.countLimitRejection('packet_size');
      if (connection) connection.endReason = 'protocol-error';
      this.#options.logger.warn(
        { clientId: client?.id, ip: connection?.ip, deviceId, err: err.message },
        'mqtt connection closed: packet too large',
      );
      if (deviceId) {
        this.#errors.report(deviceId, {
          code: 'PAYLOAD_TOO_LARGE',
          message:
            `${err.message} (mqtt.maxPayloadBytes ${this.limits.maxPayloadBytes} + headroom ` +
            'for the topic); the connection was closed before reading it',
          topic: '',
        });
      }
      return;
    }
    if (err.message.startsWith('maxInflightInbound exceeded')) {
      this.#metrics.countLimitRejection('inflight');
      if (connection) connection.endReason = 'protocol-error';
      this.#options.logger.warn({ clientId: client?.id, deviceId }, `mqtt ${err.message}`);
      if (deviceId) {
        this.#errors.report(deviceId, {
          code: 'INFLIGHT_LIMIT',
          message:
            `more than ${this.limits.maxInflight} QoS 2 messages awaiting PUBREL ` +
            '(mqtt.maxInflight); the connection was closed',
          topic: '',
        });
      }
      return;
    }
    this.#options.logger.debug(
      { clientId: client?.id, ip: connection?.ip, err: err.message },
      'mqtt connection error',
    );
  }

  #onConnectionClosed(connection: Connection): void {
    const identity = connection.identity;
    if (identity?.kind !== 'device') return;
    const { deviceId } = identity;
    const connections = this.#deviceConnections.get(deviceId);
    connections?.delete(connection);
    if (connections && connections.size > 0) return; // taken over by a newer connection
    this.#deviceConnections.delete(deviceId);
    this.#rates.delete(deviceId);
    this.#errors.forget(deviceId);
    if (!this.#onlineDevices.delete(deviceId)) return;
    const reason = this.#stopping
      ? 'broker-stopping'
      : connection.stream.frames.disconnectReceived
        ? 'disconnect'
        : (connection.endReason ?? 'connection-lost');
    this.emit('deviceOffline', deviceId, reason);
  }

  #connectionOf(client: Client): Connection | undefined {
    return this.#connections.get(client.conn as Duplex);
  }

  /** Publishes from inside the process (QoS 1, not retained), e.g. an error report to a device. */
  publish(topic: string, payload: string | Buffer): void {
    this.#publishInternal(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(payload));
  }

  #publishInternal(topic: string, payload: Buffer): void {
    this.#aedes?.publish(
      { cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false },
      (err) => {
        if (err) this.#options.logger.warn({ topic, err: err.message }, 'mqtt publish failed');
      },
    );
  }

  #requireAedes(): Aedes {
    if (!this.#aedes) throw new Error('the MQTT broker is not started');
    return this.#aedes;
  }
}

function authError(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function boundPort(server: NetServer | undefined): number | undefined {
  const address = server?.address();
  return typeof address === 'object' && address ? address.port : undefined;
}

async function listen(
  server: NetServer,
  port: number,
  host: string,
  listener: 'tcp' | 'tls',
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new MqttListenError(listener, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** The device a verified client certificate names, or why it was not accepted. */
function peerOf(socket: TLSSocket): { certificateCn?: string; certificateError?: string } {
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) return {}; // no certificate sent
  if (!socket.authorized) {
    return { certificateError: String(socket.authorizationError ?? 'unverified') };
  }
  const cn = certificate.subject?.CN as string | string[] | undefined;
  if (typeof cn !== 'string' || cn.length === 0) {
    return { certificateError: 'the certificate has no single subject CN' };
  }
  return { certificateCn: cn };
}
