import { errorMessage, type Logger } from '@ioc/core';
import type { ConferencePeer, PeerConsumer, PeerProducer } from './conference-peer.js';
import type { RoomRouters } from './room-routers.js';

export interface RoomConsumersOptions {
  routers: RoomRouters;
  logger: Logger;
  /** Whether `owner`'s camera is among the videos `receiver` gets now (last-N). */
  inLastN(receiver: ConferencePeer, ownerId: string): boolean;
  /** A new camera consumer took a last-N slot: other receivers' slots may have to change. */
  cameraAdmitted(): void;
}

/**
 * Creates the consumers of a room's peers, piping producers to the receiver's router first,
 * forwards their events to the receiver's client, and pauses or resumes camera consumers as
 * they leave or enter the receiver's last N.
 */
export class RoomConsumers {
  readonly #options: RoomConsumersOptions;

  constructor(options: RoomConsumersOptions) {
    this.#options = options;
  }

  /** Starts consuming `entry` for `receiver` in the background (failures are logged). */
  consume(receiver: ConferencePeer, owner: ConferencePeer, entry: PeerProducer): void {
    this.#consume(receiver, owner, entry).catch((err: unknown) => {
      if (receiver.closed || owner.closed || entry.producer.closed) return;
      this.#options.logger.error(
        { err, receiver: receiver.id, producerId: entry.producer.id },
        'could not create a consumer',
      );
    });
  }

  /** The client is ready for it: it flows unless last-N holds it (the client is told so). */
  async resume(receiver: ConferencePeer, entry: PeerConsumer): Promise<void> {
    entry.resumedByClient = true;
    if (entry.inLastN) {
      await entry.consumer.resume();
    } else {
      receiver.send('consumer.paused', { consumerId: entry.consumer.id, reason: 'last-n' });
    }
  }

  /** Brings the receiver's camera consumers in line with the senders it should see now. */
  applyLastN(receiver: ConferencePeer, picked: ReadonlySet<string>): void {
    for (const [consumerId, entry] of receiver.consumers) {
      if (entry.source !== 'camera') continue;
      const inLastN = picked.has(entry.producerPeerId);
      if (inLastN === entry.inLastN) continue;
      entry.inLastN = inLastN;
      let change: Promise<void>;
      if (!inLastN) {
        change = entry.consumer
          .pause()
          .then(() => receiver.send('consumer.paused', { consumerId, reason: 'last-n' }));
      } else if (entry.resumedByClient) {
        change = entry.consumer.resume().then(() => {
          // Back in the last N, yet its owner may still have it paused.
          if (entry.consumer.producerPaused) {
            receiver.send('consumer.paused', { consumerId, reason: 'producer' });
          } else {
            receiver.send('consumer.resumed', { consumerId });
          }
        });
      } else {
        continue; // it flows once the client resumes it
      }
      change.catch((err: unknown) => {
        if (entry.consumer.closed) return;
        this.#options.logger.warn({ err: errorMessage(err), consumerId }, 'last-n change failed');
      });
    }
  }

  async #consume(
    receiver: ConferencePeer,
    owner: ConferencePeer,
    entry: PeerProducer,
  ): Promise<void> {
    const transport = receiver.transportOf('recv');
    if (!transport) return; // its receive transport consumes everything when it is created
    const { producer, source } = entry;
    // A producer and a new receive transport can both ask for the same consumer.
    if (receiver.consumedProducers.has(producer.id)) return;
    receiver.consumedProducers.add(producer.id);
    const { routers } = this.#options;
    await routers.bring(producer.id, owner.router, receiver.router);
    const rtpCapabilities = receiver.rtpCapabilities;
    if (!receiver.router.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      this.#options.logger.warn(
        { peerId: receiver.id, producerId: producer.id },
        'peer cannot decode a producer (its RTP capabilities lack the codec)',
      );
      return;
    }
    if (receiver.closed || transport.closed || producer.closed) return;
    const consumer = await transport.consume({
      producerId: producer.id,
      rtpCapabilities,
      paused: true,
      appData: { peerId: receiver.id, producerPeerId: owner.id, source },
    });
    if (receiver.closed) {
      consumer.close();
      return;
    }
    const consumed: PeerConsumer = {
      consumer,
      producerPeerId: owner.id,
      source,
      resumedByClient: false,
      inLastN: source !== 'camera' || this.#options.inLastN(receiver, owner.id),
    };
    const consumerId = consumer.id;
    receiver.consumers.set(consumerId, consumed);
    routers.track(consumer, receiver.router);
    consumer.observer.once('close', () => receiver.consumers.delete(consumerId));
    consumer.on('producerclose', () => receiver.send('consumer.closed', { consumerId }));
    consumer.on('producerpause', () => {
      receiver.send('consumer.paused', { consumerId, reason: 'producer' });
    });
    consumer.on('producerresume', () => {
      if (!consumer.paused) receiver.send('consumer.resumed', { consumerId });
      else if (!consumed.inLastN)
        receiver.send('consumer.paused', { consumerId, reason: 'last-n' });
    });
    consumer.on('layerschange', (layers) => {
      receiver.send('consumer.layers', {
        consumerId,
        spatialLayer: layers?.spatialLayer ?? null,
        temporalLayer: layers?.temporalLayer ?? null,
      });
    });
    receiver.send('consumer.new', {
      consumerId,
      producerId: producer.id,
      peerId: owner.id,
      kind: consumer.kind,
      source,
      rtpParameters: consumer.rtpParameters,
      type: consumer.type,
      producerPaused: consumer.producerPaused,
    });
    if (!consumed.inLastN) receiver.send('consumer.paused', { consumerId, reason: 'last-n' });
    if (source === 'camera' && consumed.inLastN) this.#options.cameraAdmitted();
  }
}
