import { EventEmitter } from 'node:events';
import type { Logger } from '@ioc/core';
import type { types } from 'mediasoup';
import type { MediaRouter } from '../worker-pool.js';

/** One router of a room and the mediasoup worker that hosts it. */
export interface RoomRouter extends MediaRouter {
  /** Consumers of the room's peers on this router (pipe consumers not counted). */
  consumers: number;
}

export interface RoomRoutersEvents {
  /** A router's worker closed: `died` when it crashed, false when the pool stopped. */
  workerclose: [{ router: RoomRouter; died: boolean }];
}

export interface RoomRoutersOptions {
  createRouter: () => Promise<MediaRouter>;
  /** Consumers one router carries before new peers go to a new router. */
  consumerBudget: number;
  logger: Logger;
}

/**
 * The routers one conference room spans. The first one hosts everybody until its consumers
 * reach the budget; then new peers go to a router on the next worker, and producers are
 * piped (`pipeToRouter`) to whichever router a consumer of them sits on.
 */
export class RoomRouters extends EventEmitter<RoomRoutersEvents> {
  readonly #options: RoomRoutersOptions;
  readonly #routers: RoomRouter[] = [];
  readonly #piped = new Map<string, Promise<void>>();
  #placing: Promise<RoomRouter> | undefined;
  #closed = false;

  private constructor(options: RoomRoutersOptions) {
    super();
    this.#options = options;
  }

  static async create(options: RoomRoutersOptions): Promise<RoomRouters> {
    const routers = new RoomRouters(options);
    await routers.#add();
    return routers;
  }

  /** The first router: its RTP capabilities are the room's, and it hosts the speaker observer. */
  get main(): RoomRouter {
    return this.#routers[0] as RoomRouter;
  }

  get all(): readonly RoomRouter[] {
    return this.#routers;
  }

  /** The router a new peer's transports go to: the newest one, or a new one once it is full. */
  placePeer(): Promise<RoomRouter> {
    // One at a time, so that peers joining together do not each open a router.
    const previous = this.#placing ?? Promise.resolve(this.main);
    const placing = previous
      .catch(() => this.main)
      .then(async () => {
        const newest = this.#routers[this.#routers.length - 1] as RoomRouter;
        if (newest.consumers < this.#options.consumerBudget) return newest;
        const added = await this.#add();
        this.#options.logger.info(
          {
            routers: this.#routers.length,
            worker: added.worker.index,
            budget: this.#options.consumerBudget,
          },
          'conference room spread to another router',
        );
        return added;
      });
    this.#placing = placing;
    return placing;
  }

  /** Counts a consumer against its router's budget until it closes. */
  track(consumer: types.Consumer, router: RoomRouter): void {
    router.consumers++;
    consumer.observer.once('close', () => {
      router.consumers--;
    });
  }

  /** Makes a producer of `from` consumable on `to` (piping it once; later calls wait for that). */
  async bring(producerId: string, from: RoomRouter, to: RoomRouter): Promise<void> {
    if (from === to) return;
    const key = `${producerId}>${to.router.id}`;
    let piping = this.#piped.get(key);
    if (!piping) {
      piping = from.router
        .pipeToRouter({ producerId, router: to.router })
        .then(() => undefined)
        .catch((err: unknown) => {
          this.#piped.delete(key);
          throw err;
        });
      this.#piped.set(key, piping);
    }
    await piping;
  }

  /** Drops what is remembered about a closed producer's pipes. */
  forget(producerId: string): void {
    for (const key of this.#piped.keys()) {
      if (key.startsWith(`${producerId}>`)) this.#piped.delete(key);
    }
  }

  close(): void {
    this.#closed = true;
    for (const { router } of this.#routers) router.close();
  }

  async #add(): Promise<RoomRouter> {
    const media = await this.#options.createRouter();
    const worker = media.worker.worker;
    const added: RoomRouter = { ...media, consumers: 0 };
    if (this.#closed) {
      media.router.close();
      throw new Error('room closed while it spread');
    }
    this.#routers.push(added);
    media.router.once('workerclose', () => {
      this.emit('workerclose', { router: added, died: worker?.died ?? true });
    });
    return added;
  }
}
