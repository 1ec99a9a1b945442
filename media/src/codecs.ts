import type { types } from 'mediasoup';

/**
 * The codecs every router offers: Opus for audio, VP8 and H.264 for video. H.264 is the
 * Constrained Baseline profile (42e01f) with packetization-mode 1, which every browser and
 * most hardware encoders (IP cameras, set-top boxes in commune halls) can send and decode.
 */
export const DEFAULT_MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
    parameters: { 'x-google-start-bitrate': 1000 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
      'x-google-start-bitrate': 1000,
    },
  },
];
