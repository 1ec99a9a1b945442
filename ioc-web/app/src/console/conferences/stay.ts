// How long a peer stayed in a conference, for the attendance table.

/** A stay split for display: whole hours and the minutes after them. */
export interface Stay {
  hours: number;
  minutes: number;
}

/**
 * The time between joining and leaving (or `until`, for someone still in the room), rounded to
 * the minute; undefined when either is not a date or the leave comes before the join.
 */
export function stayOf(joinedAt: string, leftAt: string): Stay | undefined {
  const joined = Date.parse(joinedAt);
  const left = Date.parse(leftAt);
  if (!Number.isFinite(joined) || !Number.isFinite(left) || left < joined) return undefined;
  const total = Math.round((left - joined) / 60_000);
  return { hours: Math.floor(total / 60), minutes: total % 60 };
}
