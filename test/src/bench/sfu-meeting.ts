// The province-wide meeting of `sfu.bench.ts` on real mediasoup routers: the chair and the
// speakers send RTP (ffmpeg, or Node) into PlainTransport producers (comedia) on the ingress router;
// the producers are piped to the edge router on another worker, where every commune endpoint
// is one PlainTransport to a UDP sink, consuming every sender's video and audio.
import { randomBytes } from 'node:crypto';
import type { MediaRouter } from '@ioc/media';
import type { types } from 'mediasoup';
import {
  OPUS_PAYLOAD_TYPE,
  type RtpSender,
  type SenderTarget,
  VP8_PAYLOAD_TYPE,
} from './sfu-rtp-sender.js';

export interface MeetingOptions {
  /** Router the senders produce on. */
  ingress: MediaRouter;
  /** Router the endpoints consume from; the ingress router itself when there is one worker. */
  edge: MediaRouter;
  /** Participants sending video and audio (the chair and the speakers). */
  senders: number;
  /** Starts one participant's RTP towards the producers' ports. */
  startSender: (target: SenderTarget) => RtpSender;
  /** Encrypt what the SFU sends to the endpoints (SRTP, as WebRTC always does). */
  srtp: boolean;
}

const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80' as const;

/**
 * What a commune endpoint's browser would accept, less congestion control: the sinks send no
 * transport-cc feedback or REMB, and without feedback the SFU's bandwidth estimation would
 * probe with padding and guess, which a real endpoint does not make it do.
 */
function endpointCapabilities(router: types.Router): types.RtpCapabilities {
  const { codecs = [], headerExtensions = [] } = router.rtpCapabilities;
  return {
    codecs: codecs.map((codec) => ({
      ...codec,
      rtcpFeedback: (codec.rtcpFeedback ?? []).filter(
        (feedback) => feedback.type !== 'transport-cc' && feedback.type !== 'goog-remb',
      ),
    })),
    headerExtensions: headerExtensions.filter(
      (extension) => !/transport-wide-cc|abs-send-time/.test(extension.uri),
    ),
  };
}

export class ProvinceMeeting {
  readonly #options: MeetingOptions;
  readonly #producers: types.Producer[];
  readonly #senders: RtpSender[];
  readonly #capabilities: types.RtpCapabilities;
  #endpoints = 0;

  private constructor(options: MeetingOptions, producers: types.Producer[], senders: RtpSender[]) {
    this.#options = options;
    this.#producers = producers;
    this.#senders = senders;
    this.#capabilities = endpointCapabilities(options.edge.router);
  }

  /**
   * Creates the senders' producers, starts a sender for each and pipes the producers to the
   * edge router. Each sender is handed to `onSender` as it starts, so that a caller can stop
   * them even when this rejects part-way.
   */
  static async open(
    options: MeetingOptions,
    onSender: (sender: RtpSender) => void,
  ): Promise<ProvinceMeeting> {
    const { ingress, edge, senders: count, startSender } = options;
    const producers: types.Producer[] = [];
    const senders: RtpSender[] = [];
    for (let index = 0; index < count; index++) {
      const videoSsrc = 11_110_000 + index;
      const audioSsrc = 22_220_000 + index;
      // ffmpeg sends RTCP from a socket of its own, so RTCP gets its own port (no rtcp-mux):
      // comedia learns each tuple from the first packet that arrives on that port.
      const video = await ingress.router.createPlainTransport({
        listenIp: '127.0.0.1',
        rtcpMux: false,
        comedia: true,
      });
      const audio = await ingress.router.createPlainTransport({
        listenIp: '127.0.0.1',
        rtcpMux: false,
        comedia: true,
      });
      producers.push(
        await video.produce({
          kind: 'video',
          rtpParameters: {
            codecs: [{ mimeType: 'video/VP8', payloadType: VP8_PAYLOAD_TYPE, clockRate: 90000 }],
            encodings: [{ ssrc: videoSsrc }],
          },
          appData: { sender: index },
        }),
        await audio.produce({
          kind: 'audio',
          rtpParameters: {
            codecs: [
              {
                mimeType: 'audio/opus',
                payloadType: OPUS_PAYLOAD_TYPE,
                clockRate: 48000,
                channels: 2,
                parameters: { 'sprop-stereo': 1 },
              },
            ],
            encodings: [{ ssrc: audioSsrc }],
          },
          appData: { sender: index },
        }),
      );
      const target = (transport: types.PlainTransport, ssrc: number) => ({
        port: transport.tuple.localPort,
        rtcpPort: transport.rtcpTuple?.localPort ?? transport.tuple.localPort,
        ssrc,
      });
      const sender = startSender({
        video: target(video, videoSsrc),
        audio: target(audio, audioSsrc),
      });
      senders.push(sender);
      onSender(sender);
    }
    if (edge.router !== ingress.router) {
      for (const producer of producers) {
        await ingress.router.pipeToRouter({ producerId: producer.id, router: edge.router });
      }
    }
    return new ProvinceMeeting(options, producers, senders);
  }

  /** Producers (video and audio of each sender): the consumers each endpoint holds. */
  get consumersPerEndpoint(): number {
    return this.#producers.length;
  }

  get endpoints(): number {
    return this.#endpoints;
  }

  get senderPids(): number[] {
    return this.#senders.flatMap((sender) => (sender.pid === undefined ? [] : [sender.pid]));
  }

  /** Throws with ffmpeg's own words when a sender has stopped. */
  assertSending(): void {
    const stopped = this.#senders.find((sender) => !sender.running);
    if (stopped) throw new Error(`a sender stopped: ${stopped.failure}`);
  }

  /** RTP packets the ingress producers have received so far, all of them together. */
  async producerPackets(): Promise<number> {
    const stats = await Promise.all(this.#producers.map((producer) => producer.getStats()));
    return stats.flat().reduce((sum, stat) => sum + stat.packetCount, 0);
  }

  /** Resolves once every producer has received RTP; rejects when a sender stops first. */
  async waitUntilFlowing(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.assertSending();
      const stats = await Promise.all(this.#producers.map((producer) => producer.getStats()));
      if (stats.every((list) => list.some((stat) => stat.packetCount > 0))) return;
      if (performance.now() > deadline) {
        throw new Error(`no RTP from the senders within ${timeoutMs / 1000} s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** One endpoint per sink port: a PlainTransport sending to it, consuming every producer. */
  async addEndpoints(sinkPorts: readonly number[]): Promise<void> {
    const { router } = this.#options.edge;
    for (const port of sinkPorts) {
      const transport = await router.createPlainTransport({
        listenIp: '127.0.0.1',
        rtcpMux: true,
        comedia: false,
        enableSrtp: this.#options.srtp,
        srtpCryptoSuite: SRTP_SUITE,
      });
      await transport.connect({
        ip: '127.0.0.1',
        port,
        ...(this.#options.srtp
          ? {
              srtpParameters: {
                cryptoSuite: SRTP_SUITE,
                keyBase64: randomBytes(30).toString('base64'),
              },
            }
          : {}),
      });
      for (const producer of this.#producers) {
        await transport.consume({ producerId: producer.id, rtpCapabilities: this.#capabilities });
      }
      this.#endpoints++;
    }
  }

  /** Stops the senders; the transports go with their routers. */
  async close(): Promise<void> {
    await Promise.all(this.#senders.map((sender) => sender.stop()));
  }
}
