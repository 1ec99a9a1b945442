// What the camera and the screen share send. Three simulcast layers let the SFU give every
// receiver what its link carries: a commune on 1 Mbit/s gets the 100–300 kbit/s layers, the
// provincial IOC the full picture.
import type { types } from 'mediasoup-client';

/** Low (¼ size), medium (½) and full; the SFU forwards one per receiver. */
export const CAMERA_ENCODINGS: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 100_000, maxFramerate: 15 },
  { scaleResolutionDownBy: 2, maxBitrate: 300_000, maxFramerate: 24 },
  { scaleResolutionDownBy: 1, maxBitrate: 900_000, maxFramerate: 24 },
];

/** Start the encoder near the middle layer rather than libwebrtc's low default. */
export const CAMERA_CODEC_OPTIONS: types.ProducerCodecOptions = { videoGoogleStartBitrate: 600 };

/** One layer, tuned for text and slides. */
export const SCREEN_ENCODINGS: types.RtpEncodingParameters[] = [
  { maxBitrate: 600_000, maxFramerate: 10 },
];

/** Opus with in-band FEC and DTX: survives loss and sends almost nothing while silent. */
export const MICROPHONE_CODEC_OPTIONS: types.ProducerCodecOptions = {
  opusStereo: false,
  opusFec: true,
  opusDtx: true,
};

/** qHD: 240×135, 480×270 and 960×540 layers; ideal, so any webcam works. */
export const CAMERA_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 960 },
  height: { ideal: 540 },
  frameRate: { ideal: 24, max: 30 },
};

export const MICROPHONE_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};
