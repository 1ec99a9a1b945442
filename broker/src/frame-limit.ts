import { Duplex } from 'node:stream';

const DISCONNECT = 14;
const PACKET_NAMES = [
  'reserved',
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
];

/** An MQTT packet announced a length above the broker's limit; the connection is closed. */
export class PacketTooLargeError extends Error {
  readonly code = 'PACKET_TOO_LARGE';

  constructor(
    readonly packetType: string,
    readonly length: number,
    readonly limit: number,
  ) {
    super(`${packetType} packet of ${length} bytes exceeds the limit of ${limit} bytes`);
    this.name = 'PacketTooLargeError';
  }
}

/**
 * Follows the MQTT fixed headers of an inbound byte stream, chunk by chunk, and reports a
 * packet that announces a remaining length above `limit` before its body arrives: the
 * parser behind it (mqtt-packet) would otherwise buffer a packet of any announced size.
 * It also notes a DISCONNECT, which tells a clean goodbye from a lost connection.
 */
export class MqttFrameScanner {
  disconnectReceived = false;
  #state: 'header' | 'length' | 'body' = 'header';
  #type = 0;
  #length = 0;
  #multiplier = 1;
  #remaining = 0;

  constructor(readonly limit: number) {}

  /** Scans the next chunk; an error means the connection must end. */
  scan(chunk: Buffer): Error | undefined {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#state === 'body') {
        const skipped = Math.min(this.#remaining, chunk.length - offset);
        offset += skipped;
        this.#remaining -= skipped;
        if (this.#remaining === 0) this.#state = 'header';
        continue;
      }
      const byte = chunk[offset++] as number;
      if (this.#state === 'header') {
        this.#type = byte >> 4;
        this.#length = 0;
        this.#multiplier = 1;
        this.#state = 'length';
        continue;
      }
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      if (byte & 0x80) {
        // The remaining length has at most 4 bytes (MQTT 3.1.1 §2.2.3).
        if (this.#multiplier > 128 ** 3) return new Error('malformed MQTT remaining length');
        continue;
      }
      if (this.#length > this.limit) {
        return new PacketTooLargeError(
          PACKET_NAMES[this.#type] ?? 'unknown',
          this.#length,
          this.limit,
        );
      }
      if (this.#type === DISCONNECT) this.disconnectReceived = true;
      this.#remaining = this.#length;
      this.#state = this.#remaining > 0 ? 'body' : 'header';
    }
    return undefined;
  }
}

/**
 * A transport (TCP or TLS socket, WebSocket stream) as the broker sees it: inbound bytes pass
 * an MqttFrameScanner; outbound writes go to the transport in batches (aedes corks the
 * stream per packet, and `_writev` keeps that batching down to the socket).
 */
export class FrameLimitedConnection extends Duplex {
  readonly frames: MqttFrameScanner;
  readonly #transport: Duplex;
  /** Completes a write that found the transport full, once it drains. */
  #onDrain?: () => void;

  constructor(transport: Duplex, limit: number) {
    super({ allowHalfOpen: false });
    this.frames = new MqttFrameScanner(limit);
    this.#transport = transport;
    transport.on('data', (chunk: Buffer) => {
      const error = this.frames.scan(chunk);
      if (error) this.destroy(error);
      else if (!this.push(chunk)) transport.pause();
    });
    transport.on('end', () => this.push(null));
    transport.on('error', (err) => this.destroy(err));
    transport.on('close', () => this.destroy());
    transport.on('drain', () => this.#onDrain?.());
  }

  override _read(): void {
    this.#transport.resume();
  }

  override _write(
    chunk: Buffer,
    encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.#transport.write(chunk, encoding)) callback();
    else this.#afterDrain(callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    const transport = this.#transport;
    transport.cork();
    let flowing = true;
    for (const { chunk, encoding } of chunks) flowing = transport.write(chunk, encoding);
    transport.uncork();
    if (flowing) callback();
    else this.#afterDrain(callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#transport.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#transport.destroy(error ?? undefined);
    callback(error);
  }

  #afterDrain(callback: () => void): void {
    this.#onDrain = () => {
      this.#onDrain = undefined;
      callback();
    };
  }
}
