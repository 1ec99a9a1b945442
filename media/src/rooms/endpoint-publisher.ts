import { errorMessage, type LiveBus, type Logger } from '@ioc/core';
import type { Conference } from '../conferences/conference.js';
import type { ConferencePeer } from './conference-peer.js';
import { listEndpoints, measurePeer } from './endpoint-stats.js';

export interface EndpointPublisherOptions {
  bus: LiveBus;
  logger: Logger;
  intervalS: number;
  /** The room as it is now. */
  state(): { conference: Conference; peers: ConferencePeer[]; activeSpeaker: string | null };
  unitName?: (code: string) => string | undefined;
}

/**
 * Publishes a room's `conference.endpoints` on the live bus every `intervalS` and whenever
 * asked (joins, leaves); requests made while one is being measured fold into one more.
 */
export class EndpointPublisher {
  readonly #options: EndpointPublisherOptions;
  readonly #timer: NodeJS.Timeout;
  #publishing = false;
  #again = false;
  #stopped = false;

  constructor(options: EndpointPublisherOptions) {
    this.#options = options;
    this.#timer = setInterval(() => this.publish(), options.intervalS * 1000);
    this.#timer.unref();
  }

  publish(): void {
    if (this.#stopped) return;
    if (this.#publishing) {
      this.#again = true;
      return;
    }
    this.#publishing = true;
    this.#measureAndPublish()
      .catch((err: unknown) => {
        this.#options.logger.warn(
          { err: errorMessage(err) },
          'could not publish conference endpoints',
        );
      })
      .finally(() => {
        this.#publishing = false;
        if (this.#again) {
          this.#again = false;
          this.publish();
        }
      });
  }

  /** The last publication: every invited unit absent, `ended: true`. Publishes no more. */
  publishEnded(): void {
    this.#stop();
    const { conference } = this.#options.state();
    this.#options.bus.publish('conference.endpoints', {
      conferenceId: conference.id,
      title: conference.title,
      activeSpeaker: null,
      endpoints: listEndpoints(conference, [], this.#unitName),
      ended: true,
      at: new Date().toISOString(),
    });
  }

  #stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  get #unitName(): (code: string) => string | undefined {
    return this.#options.unitName ?? (() => undefined);
  }

  async #measureAndPublish(): Promise<void> {
    const { peers } = this.#options.state();
    const measured = await Promise.all(
      peers.map(async (peer) => ({ peer, measurement: await measurePeer(peer) })),
    );
    if (this.#stopped) return;
    // Read again: the conference or the speaker may have changed while we measured.
    const { conference, activeSpeaker } = this.#options.state();
    this.#options.bus.publish('conference.endpoints', {
      conferenceId: conference.id,
      title: conference.title,
      activeSpeaker,
      endpoints: listEndpoints(
        conference,
        measured.filter(({ peer }) => !peer.closed),
        this.#unitName,
      ),
      ended: false,
      at: new Date().toISOString(),
    });
  }
}
