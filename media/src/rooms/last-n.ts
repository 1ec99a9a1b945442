/** Who a receiver's video slots go to, most important first. */
export interface LastNInput {
  /** Peers that send camera video, in the order they joined. */
  senders: readonly string[];
  /** The peer holding the floor, if any. */
  floor: string | null;
  /** Chair peers. */
  chairs: readonly string[];
  /** Active speakers, most recent first. */
  recentSpeakers: readonly string[];
  n: number;
}

/**
 * The camera videos one receiver gets: the floor, the chair, the most recent active speakers,
 * then the earliest joiners, at most `n` (the receiver's own video is not among `senders`).
 * Everyone else's camera consumer stays paused with reason `last-n`; audio and screen share
 * always flow.
 */
export function pickLastN(input: LastNInput): Set<string> {
  const senders = new Set(input.senders);
  const picked = new Set<string>();
  const ranked = [
    ...(input.floor ? [input.floor] : []),
    ...input.chairs,
    ...input.recentSpeakers,
    ...input.senders,
  ];
  for (const peerId of ranked) {
    if (picked.size >= input.n) break;
    if (senders.has(peerId)) picked.add(peerId);
  }
  return picked;
}
