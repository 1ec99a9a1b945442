// The meeting's senders: real VP8 + Opus RTP from ffmpeg. The clip is encoded once (a few
// seconds of CPU); each sender then loops it with `-c copy` in real time (-re), which costs
// ffmpeg little, so the machine's cores go to the SFU rather than to encoding.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  OPUS_PAYLOAD_TYPE,
  type RtpSender,
  type RtpTarget,
  type SenderTarget,
  VP8_PAYLOAD_TYPE,
} from './sfu-rtp-sender.js';

const run = promisify(execFile);

/** Debian's ffmpeg unless FFMPEG_BIN names another. */
export const FFMPEG_BINARY = process.env.FFMPEG_BIN || 'ffmpeg';

/** Keyframe every second: a consumer added mid-stream forwards video from its first keyframe. */
const KEYFRAME_INTERVAL_FRAMES = 30;

/** `ffmpeg -version`'s version, or null when ffmpeg is not installed. */
export async function ffmpegVersion(binary = FFMPEG_BINARY): Promise<string | null> {
  try {
    const { stdout } = await run(binary, ['-hide_banner', '-version'], { timeout: 10_000 });
    return /ffmpeg version (\S+)/.exec(stdout)?.[1] ?? 'unknown';
  } catch {
    return null;
  }
}

/**
 * Encodes a 10 s test clip: 640×360 at 30 fps VP8 at `videoKbps` (constant bitrate, with
 * noise so the encoder cannot undershoot on a still picture) and 32 kbit/s stereo Opus.
 */
export async function encodeClip(dir: string, videoKbps: number): Promise<string> {
  const path = join(dir, 'meeting-clip.webm');
  const rate = `${videoKbps}k`;
  // biome-ignore format: one ffmpeg option per line reads better
  await run(FFMPEG_BINARY, [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '10',
    '-vf', 'noise=alls=12:allf=t',
    '-c:v', 'libvpx', '-b:v', rate, '-minrate', rate, '-maxrate', rate,
    '-bufsize', `${Math.round(videoKbps / 2)}k`, '-g', String(KEYFRAME_INTERVAL_FRAMES),
    '-deadline', 'realtime', '-cpu-used', '8',
    '-c:a', 'libopus', '-b:a', '32k', '-ac', '2',
    path,
  ], { timeout: 120_000 });
  return path;
}

/**
 * One participant's camera and microphone: ffmpeg looping the clip in real time into two
 * RTP streams on 127.0.0.1 (1,200-byte packets, RTCP sender reports to each stream's RTCP port).
 */
export class FfmpegSender implements RtpSender {
  readonly #process: ChildProcess;
  readonly #exited: Promise<void>;
  #stderr = '';

  constructor(clip: string, target: SenderTarget) {
    const url = ({ port, rtcpPort }: RtpTarget) =>
      `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1200`;
    // biome-ignore format: one ffmpeg option per line reads better
    this.#process = spawn(FFMPEG_BINARY, [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-re', '-stream_loop', '-1', '-i', clip,
      '-map', '0:v', '-c', 'copy', '-f', 'rtp',
      '-ssrc', String(target.video.ssrc), '-payload_type', String(VP8_PAYLOAD_TYPE),
      url(target.video),
      '-map', '0:a', '-c', 'copy', '-f', 'rtp',
      '-ssrc', String(target.audio.ssrc), '-payload_type', String(OPUS_PAYLOAD_TYPE),
      url(target.audio),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#process.stderr?.setEncoding('utf8');
    this.#process.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-2_000);
    });
    this.#exited = new Promise((resolve) => {
      this.#process.once('exit', () => resolve());
      this.#process.once('error', (err) => {
        this.#stderr = `ffmpeg could not run: ${err.message}`;
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  /** True while ffmpeg runs; false with `failure` set once it has exited. */
  get running(): boolean {
    return this.#process.exitCode === null && this.#process.signalCode === null;
  }

  /** ffmpeg's last error output, for a sender that stopped. */
  get failure(): string {
    return this.#stderr.trim() || `exit ${this.#process.exitCode ?? this.#process.signalCode}`;
  }

  async stop(): Promise<void> {
    if (this.running) this.#process.kill('SIGTERM');
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
