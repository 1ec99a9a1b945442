// What the meeting's senders have in common, whichever makes the RTP (ffmpeg or Node).

/** Payload types the senders write and the producers declare. */
export const VP8_PAYLOAD_TYPE = 101;
export const OPUS_PAYLOAD_TYPE = 100;

/** Where one sender's two RTP streams go, with the SSRCs the producers expect. */
export interface SenderTarget {
  video: RtpTarget;
  audio: RtpTarget;
}

export interface RtpTarget {
  port: number;
  /** Where RTCP sender reports go, for a sender that sends them from a second socket. */
  rtcpPort: number;
  ssrc: number;
}

/** One participant's camera and microphone, sending until stopped. */
export interface RtpSender {
  /** The process sending, when it is not this one (its CPU is reported apart). */
  readonly pid: number | undefined;
  /** False once the sender has stopped by itself (see `failure`). */
  readonly running: boolean;
  /** Why a sender that is no longer running stopped. */
  readonly failure: string;
  stop(): Promise<void>;
}
