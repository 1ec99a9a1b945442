import type { AdminUnitTree } from '@ioc/core';
import type { ConferenceStore } from '@ioc/media';

const ENDPOINT_TYPES = new Set(['commune', 'ward', 'special-zone']);

/**
 * The demo's daily online briefing (giao ban trực tuyến): open from the demo start for eight
 * hours, chaired by the province, with a dozen communes invited, so the console lists a live
 * conference with join links and the wall shows its endpoints. Created only when no
 * conference is open now, so restarts do not pile them up.
 */
export async function ensureDemoConference(
  conferences: ConferenceStore,
  units: AdminUnitTree,
  now = new Date(),
): Promise<void> {
  const { total } = await conferences.list({
    statuses: ['scheduled'],
    from: now,
    to: new Date(now.getTime() + 1),
  });
  if (total > 0) return;
  const root = units.roots()[0];
  if (!root) return;
  // Communes of the demo area room (khu-vuc: the former Quảng Nam when the dataset has it).
  const area = units.has('KV49') ? 'KV49' : root.code;
  const communes = units
    .descendants(area)
    .filter((unit) => ENDPOINT_TYPES.has(unit.type))
    .slice(0, 12);
  if (communes.length === 0) return;
  await conferences.create(
    {
      title: 'Giao ban trực tuyến tình hình thiên tai, môi trường',
      chairUnit: root.code,
      invitedUnits: communes.map((unit) => unit.code),
      speakerUnits: communes.slice(0, 2).map((unit) => unit.code),
      startsAt: new Date(now.getTime() - 5 * 60_000),
      endsAt: new Date(now.getTime() + 8 * 3_600_000),
    },
    'demo',
  );
}
