// <video> and <audio> bound to a MediaStreamTrack (React has no prop for srcObject).
import { useEffect, useRef } from 'react';

export function TrackVideo({
  track,
  mirrored = false,
  fit = 'cover',
  testId,
}: {
  track: MediaStreamTrack;
  mirrored?: boolean;
  fit?: 'cover' | 'contain';
  testId?: string;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    video.srcObject = new MediaStream([track]);
    // Muted video may autoplay everywhere; play() rejects harmlessly when the element goes away.
    video.play().catch(() => undefined);
    return () => {
      video.srcObject = null;
    };
  }, [track]);
  return (
    <video
      ref={ref}
      className={`conference-video${mirrored ? ' conference-video-mirrored' : ''}`}
      style={{ objectFit: fit }}
      autoPlay
      playsInline
      muted
      data-testid={testId}
    />
  );
}

/** Plays a remote microphone; hidden, one per audio consumer. */
export function TrackAudio({ track }: { track: MediaStreamTrack }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const audio = ref.current;
    if (!audio) return;
    audio.srcObject = new MediaStream([track]);
    audio.play().catch(() => undefined);
    return () => {
      audio.srcObject = null;
    };
  }, [track]);
  // biome-ignore lint/a11y/useMediaCaption: live speech of a meeting; there is no caption track
  return <audio ref={ref} autoPlay />;
}
