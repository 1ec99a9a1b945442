// The camera and microphone for the device check and the meeting: opening them with the
// chosen devices, listing what the browser offers, and a microphone level for the meter.
import { CAMERA_CONSTRAINTS, MICROPHONE_CONSTRAINTS } from './simulcast';

export interface DeviceChoice {
  cameraId: string | null;
  microphoneId: string | null;
}

export interface LocalMedia {
  camera?: MediaStreamTrack;
  microphone?: MediaStreamTrack;
  /** Why a device could not be opened (the DOMException's name, e.g. NotAllowedError). */
  cameraError?: string;
  microphoneError?: string;
}

export interface AvailableDevices {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
}

function constraint(base: MediaTrackConstraints, deviceId: string | null): MediaTrackConstraints {
  return deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
}

async function openOne(
  kind: 'audio' | 'video',
  constraints: MediaTrackConstraints,
): Promise<MediaStreamTrack | string> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
    const [track] = kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks();
    return track ?? 'NotFoundError';
  } catch (error) {
    return error instanceof DOMException ? error.name : 'NotReadableError';
  }
}

/** Opens one chosen device (a switch during the meeting): the track, or why it failed. */
export async function openDevice(
  kind: 'camera' | 'microphone',
  deviceId: string,
): Promise<MediaStreamTrack | string> {
  if (!navigator.mediaDevices?.getUserMedia) return 'InsecureContext';
  return kind === 'camera'
    ? openOne('video', constraint(CAMERA_CONSTRAINTS, deviceId))
    : openOne('audio', constraint(MICROPHONE_CONSTRAINTS, deviceId));
}

/** Opens camera and microphone separately, so a commune without a webcam can still speak. */
export async function openLocalMedia(choice: DeviceChoice): Promise<LocalMedia> {
  if (!navigator.mediaDevices?.getUserMedia) {
    // Only secure origins (https, localhost) get media devices.
    return { cameraError: 'InsecureContext', microphoneError: 'InsecureContext' };
  }
  const [camera, microphone] = await Promise.all([
    openOne('video', constraint(CAMERA_CONSTRAINTS, choice.cameraId)),
    openOne('audio', constraint(MICROPHONE_CONSTRAINTS, choice.microphoneId)),
  ]);
  const media: LocalMedia = {};
  if (typeof camera === 'string') media.cameraError = camera;
  else media.camera = camera;
  if (typeof microphone === 'string') media.microphoneError = microphone;
  else media.microphone = microphone;
  return media;
}

export function stopLocalMedia(media: LocalMedia | null | undefined): void {
  media?.camera?.stop();
  media?.microphone?.stop();
}

/** Device labels are only given once a permission was granted: call after openLocalMedia. */
export async function listDevices(): Promise<AvailableDevices> {
  if (!navigator.mediaDevices?.enumerateDevices) return { cameras: [], microphones: [] };
  const devices = await navigator.mediaDevices.enumerateDevices();
  return {
    cameras: devices.filter((d) => d.kind === 'videoinput' && d.deviceId !== ''),
    microphones: devices.filter((d) => d.kind === 'audioinput' && d.deviceId !== ''),
  };
}

/** Lists the devices now and again on every `devicechange` (plugged in, unplugged). */
export function watchDevices(onDevices: (devices: AvailableDevices) => void): () => void {
  let stopped = false;
  const refresh = () => {
    void listDevices()
      .then((devices) => {
        if (!stopped) onDevices(devices);
      })
      .catch(() => undefined);
  };
  refresh();
  const mediaDevices = navigator.mediaDevices;
  mediaDevices?.addEventListener('devicechange', refresh);
  return () => {
    stopped = true;
    mediaDevices?.removeEventListener('devicechange', refresh);
  };
}

/** Root mean square of samples around 128 (an AnalyserNode's byte time-domain data), 0..1. */
export function rmsLevel(samples: Uint8Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const sample of samples) {
    const centred = (sample - 128) / 128;
    sum += centred * centred;
  }
  return Math.min(1, Math.sqrt(sum / samples.length));
}

/** The microphone's loudness for the device check's meter, read once per animation frame. */
export class LevelMeter {
  readonly #context: AudioContext;
  readonly #analyser: AnalyserNode;
  readonly #samples: Uint8Array<ArrayBuffer>;

  constructor(track: MediaStreamTrack) {
    this.#context = new AudioContext();
    const source = this.#context.createMediaStreamSource(new MediaStream([track]));
    this.#analyser = this.#context.createAnalyser();
    this.#analyser.fftSize = 512;
    source.connect(this.#analyser);
    this.#samples = new Uint8Array(this.#analyser.fftSize);
  }

  /** 0..1, scaled so that normal speech fills most of the meter. */
  level(): number {
    this.#analyser.getByteTimeDomainData(this.#samples);
    return Math.min(1, rmsLevel(this.#samples) * 4);
  }

  close(): void {
    void this.#context.close();
  }
}
