import type { AdminUnitTree, AuditLog, UserAccounts } from '@ioc/core';
import type { RoomInput, RoomRole, RoomStore, Scene } from './room-store.js';

/** A demo account's place in a demo room. */
export interface DemoRoomMember {
  username: string;
  room: string;
  role: RoomRole;
}

const MAP_LAYERS = ['sensors', 'alerts', 'kpi'];

function scene(id: string, vi: string, en: string, unit?: string): Scene {
  return {
    id,
    title: { vi, en },
    durationS: 60,
    view: { ...(unit ? { unit } : {}), layers: MAP_LAYERS },
  };
}

/**
 * Demo operating rooms beside the province room `tinh` (seeded by the migration): the
 * environment department (sector scope) and a region or district area (unit scope) chosen
 * from the loaded unit tree. Room `khu-vuc` is the former Quảng Nam (KV49) in the regions
 * dataset, else central Đà Nẵng's wards, else the root's first child.
 */
export function demoRooms(units: AdminUnitTree): RoomInput[] {
  const department: RoomInput = {
    id: 'so-tnmt',
    name: {
      vi: 'Sở Tài nguyên và Môi trường',
      en: 'Department of Natural Resources and Environment',
    },
    scope: { units: [], sectors: ['environment'] },
    scenes: [scene('moi-truong', 'Quan trắc môi trường', 'Environmental monitoring')],
    kiosk: { rotation: true },
  };
  const central = ['20242', '20257', '20209'].filter((code) => units.has(code));
  const area = units.has('KV49')
    ? { units: ['KV49'], vi: 'Khu vực Quảng Nam cũ', en: 'Former Quảng Nam area' }
    : central.length > 0
      ? { units: central, vi: 'Khu vực trung tâm', en: 'Central area' }
      : (() => {
          const root = units.roots()[0];
          const first = root ? units.children(root.code)[0] : undefined;
          return { units: first ? [first.code] : [], vi: 'Khu vực', en: 'Area' };
        })();
  const district: RoomInput = {
    id: 'khu-vuc',
    name: { vi: area.vi, en: area.en },
    scope: { units: area.units, sectors: [] },
    scenes: [
      scene('khu-vuc', area.vi, area.en, area.units.length === 1 ? area.units[0] : undefined),
    ],
    kiosk: { rotation: true },
  };
  // A room with no unit would see every unit: never seed that as an area room.
  return area.units.length > 0 ? [department, district] : [department];
}

/**
 * Creates the demo rooms that do not exist yet and puts the demo accounts in them; a room
 * an administrator changed keeps their changes, a deleted one comes back at the next demo
 * start.
 */
export async function seedDemoRooms(options: {
  rooms: RoomStore;
  units: AdminUnitTree;
  accounts: UserAccounts;
  audit: AuditLog;
  members: readonly DemoRoomMember[];
}): Promise<void> {
  const { rooms, units, accounts, audit } = options;
  for (const room of demoRooms(units)) {
    if (await rooms.ensure(room)) {
      await audit.record({ actor: 'system', action: 'room.create', target: `room:${room.id}` });
    }
  }
  for (const member of options.members) {
    const account = await accounts.findByUsername(member.username);
    if (account && (await rooms.get(member.room))) {
      await rooms.setMember(member.room, account.id, member.role);
    }
  }
}
