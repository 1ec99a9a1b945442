// The meeting's senders where ffmpeg is not installed: valid VP8 and Opus RTP made up in Node
// at a real camera's pace (30 frames/s at the target bitrate, a keyframe every second, an Opus
// packet every 20 ms). The payloads are random bytes behind real VP8 and Opus headers: the SFU
// only reads the headers (keyframes, to start a new consumer's video), never decodes.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  OPUS_PAYLOAD_TYPE,
  type RtpSender,
  type SenderTarget,
  VP8_PAYLOAD_TYPE,
} from './sfu-rtp-sender.js';

const FRAMES_PER_SECOND = 30;
const KEYFRAME_EVERY = 30;
/** A keyframe is this many times an average frame; the other frames shrink to keep the rate. */
const KEYFRAME_WEIGHT = 4;
const MAX_PACKET_BYTES = 1200;
const RTP_HEADER_BYTES = 12;
const OPUS_PACKET_MS = 20;
/** 32 kbit/s over 20 ms. */
const OPUS_PAYLOAD_BYTES = 80;
const TICK_MS = 5;

/** Random bytes the payloads are cut from (the SFU never looks inside them). */
const FILLER = randomBytes(16 * 1024);

function rtpHeader(payloadType: number, marker: boolean, seq: number, ts: number, ssrc: number) {
  const header = Buffer.alloc(RTP_HEADER_BYTES);
  header[0] = 0x80; // version 2, no padding, extension or CSRC
  header[1] = (marker ? 0x80 : 0) | payloadType;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(ts >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  return header;
}

/**
 * The first bytes of a VP8 frame (RFC 6386 9.1): the 3-byte frame tag (bit 0 clear on a key
 * frame, show_frame set, a first-partition size) and, on a key frame, the start code and a
 * 640×360 size.
 */
function vp8FrameHeader(key: boolean): Buffer {
  const firstPartitionSize = 100;
  const tag = (key ? 0 : 1) | (1 << 4) | (firstPartitionSize << 5);
  const header = [tag & 0xff, (tag >> 8) & 0xff, (tag >> 16) & 0xff];
  if (key) header.push(0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01);
  return Buffer.from(header);
}

export class SyntheticRtpSender implements RtpSender {
  readonly pid = undefined;
  readonly #target: SenderTarget;
  readonly #video: Socket;
  readonly #audio: Socket;
  readonly #timer: NodeJS.Timeout;
  readonly #frameBytes: { key: number; delta: number };
  readonly #startedAt = performance.now();
  readonly #offset = randomBytes(4).readUInt32BE(0);
  #frames = 0;
  #opusPackets = 0;
  #videoSeq = 0;
  #audioSeq = 0;
  #failure: string | undefined;

  constructor(target: SenderTarget, videoKbps: number) {
    this.#target = target;
    const average = (videoKbps * 1000) / 8 / FRAMES_PER_SECOND;
    const key = average * KEYFRAME_WEIGHT;
    const delta = (average * KEYFRAME_EVERY - key) / (KEYFRAME_EVERY - 1);
    this.#frameBytes = { key: Math.round(key), delta: Math.round(delta) };
    this.#video = createSocket('udp4');
    this.#audio = createSocket('udp4');
    for (const socket of [this.#video, this.#audio]) {
      socket.on('error', (err) => {
        this.#failure ??= `synthetic RTP sender: ${err.message}`;
      });
    }
    this.#timer = setInterval(() => this.#sendDue(), TICK_MS);
  }

  get running(): boolean {
    return this.#failure === undefined;
  }

  get failure(): string {
    return this.#failure ?? 'running';
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#failure ??= 'stopped';
    await Promise.all(
      [this.#video, this.#audio].map(
        (socket) => new Promise<void>((resolve) => socket.close(() => resolve())),
      ),
    );
  }

  /** Sends every frame and Opus packet whose time has come (timers run late under load). */
  #sendDue(): void {
    const elapsedMs = performance.now() - this.#startedAt;
    while (this.#frames <= (elapsedMs * FRAMES_PER_SECOND) / 1000) this.#sendFrame();
    while (this.#opusPackets * OPUS_PACKET_MS <= elapsedMs) this.#sendOpus();
  }

  #sendFrame(): void {
    const key = this.#frames % KEYFRAME_EVERY === 0;
    const timestamp = this.#offset + this.#frames * (90_000 / FRAMES_PER_SECOND);
    const { ssrc, port } = this.#target.video;
    const frame = Buffer.concat([
      vp8FrameHeader(key),
      FILLER.subarray(0, (key ? this.#frameBytes.key : this.#frameBytes.delta) - 10),
    ]);
    const room = MAX_PACKET_BYTES - RTP_HEADER_BYTES - 4;
    const pictureId = this.#frames & 0x7fff;
    for (let at = 0; at < frame.length; at += room) {
      const last = at + room >= frame.length;
      // VP8 payload descriptor (RFC 7741) as browsers write it: extended (X), S on the frame's
      // first packet, partition 0, then I and a 15-bit picture ID. mediasoup needs X set.
      const descriptor = Buffer.from([
        0x80 | (at === 0 ? 0x10 : 0),
        0x80,
        0x80 | (pictureId >> 8),
        pictureId & 0xff,
      ]);
      const header = rtpHeader(VP8_PAYLOAD_TYPE, last, this.#videoSeq++, timestamp, ssrc);
      const packet = Buffer.concat([header, descriptor, frame.subarray(at, at + room)]);
      this.#video.send(packet, port, '127.0.0.1');
    }
    this.#frames++;
  }

  #sendOpus(): void {
    const timestamp = this.#offset + this.#opusPackets * 48 * OPUS_PACKET_MS;
    const { ssrc, port } = this.#target.audio;
    const header = rtpHeader(OPUS_PAYLOAD_TYPE, false, this.#audioSeq++, timestamp, ssrc);
    // TOC byte: CELT fullband 20 ms (config 31), stereo, one frame.
    const toc = Buffer.from([(31 << 3) | 0x04]);
    const payload = FILLER.subarray(0, OPUS_PAYLOAD_BYTES - 1);
    this.#audio.send(Buffer.concat([header, toc, payload]), port, '127.0.0.1');
    this.#opusPackets++;
  }
}
