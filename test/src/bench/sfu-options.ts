// The sfu benchmark's load shape, from BENCH_SFU_* environment variables (defaults: issue 6's
// province-wide meeting, sized to finish in a few minutes on 2 cores).

export interface SfuLoadOptions {
  /** Speakers besides the chair; each of them and the chair sends video and audio. */
  speakers: number;
  /** Commune endpoints at most. */
  maxEndpoints: number;
  /** Endpoints added per ramp step. */
  stepEndpoints: number;
  /** mediasoup workers: 1 puts senders and endpoints on one router, 2 pipes between them. */
  workers: number;
  /** Target bitrate of each sender's VP8 video. */
  videoKbps: number;
  /** CPU of the edge worker, in cores, at which the ramp stops (0.8 = 80 % of one core). */
  targetCpu: number;
  /** Length of one measured window. */
  windowSeconds: number;
  /** Wait after adding endpoints before measuring (their video starts at a keyframe). */
  warmupSeconds: number;
  /** The ramp adds no step after this long (a busy machine makes every step slow). */
  maxRampSeconds: number;
  /** Encrypt what the SFU sends to the endpoints, as it would for WebRTC. */
  srtp: boolean;
  /** Who makes the RTP: ffmpeg, synthetic packets from Node, or ffmpeg when installed. */
  source: 'auto' | 'ffmpeg' | 'node';
}

export const SFU_DEFAULTS: SfuLoadOptions = {
  speakers: 5,
  maxEndpoints: 300,
  stepEndpoints: 10,
  workers: 2,
  videoKbps: 500,
  targetCpu: 0.8,
  windowSeconds: 3,
  warmupSeconds: 2,
  maxRampSeconds: 180,
  srtp: true,
  source: 'auto',
};

/** Each variable: its option, smallest and largest value, and whether it must be whole. */
const VARIABLES: Record<string, [keyof SfuLoadOptions, number, number, boolean]> = {
  BENCH_SFU_SPEAKERS: ['speakers', 0, 50, true],
  BENCH_SFU_MAX_ENDPOINTS: ['maxEndpoints', 1, 5_000, true],
  BENCH_SFU_STEP: ['stepEndpoints', 1, 5_000, true],
  BENCH_SFU_WORKERS: ['workers', 1, 2, true],
  BENCH_SFU_VIDEO_KBPS: ['videoKbps', 50, 5_000, true],
  BENCH_SFU_TARGET_CPU: ['targetCpu', 0.05, 1, false],
  BENCH_SFU_WINDOW_S: ['windowSeconds', 1, 60, false],
  BENCH_SFU_WARMUP_S: ['warmupSeconds', 1, 60, false],
  BENCH_SFU_MAX_RAMP_S: ['maxRampSeconds', 10, 3_600, false],
};

/** The defaults with any BENCH_SFU_* variable applied; throws naming a bad value. */
export function sfuOptionsFromEnv(env: NodeJS.ProcessEnv): SfuLoadOptions {
  const options: SfuLoadOptions = { ...SFU_DEFAULTS };
  for (const [name, [key, min, max, whole]] of Object.entries(VARIABLES)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    const value = Number(text);
    if (
      !(
        Number.isFinite(value) &&
        value >= min &&
        value <= max &&
        (!whole || Number.isInteger(value))
      )
    ) {
      const kind = whole ? 'a whole number' : 'a number';
      throw new Error(`${name} must be ${kind} from ${min} to ${max}, got "${text}"`);
    }
    (options as unknown as Record<string, number>)[key] = value;
  }
  const srtp = env.BENCH_SFU_SRTP;
  if (srtp !== undefined && srtp !== '') {
    if (srtp !== '0' && srtp !== '1') {
      throw new Error(`BENCH_SFU_SRTP must be 1 (encrypt, the default) or 0, got "${srtp}"`);
    }
    options.srtp = srtp === '1';
  }
  const source = env.BENCH_SFU_SOURCE;
  if (source !== undefined && source !== '') {
    if (source !== 'auto' && source !== 'ffmpeg' && source !== 'node') {
      throw new Error(`BENCH_SFU_SOURCE must be auto, ffmpeg or node, got "${source}"`);
    }
    options.source = source;
  }
  return options;
}

/** The variables and their defaults, for the usage text. */
export const SFU_ENVIRONMENT_HELP = `${Object.entries(VARIABLES)
  .map(([name, [key]]) => `${name}=${SFU_DEFAULTS[key]}`)
  .join(' ')} BENCH_SFU_SRTP=1 BENCH_SFU_SOURCE=auto|ffmpeg|node FFMPEG_BIN=ffmpeg`;
