import { describe, expect, it } from 'vitest';
import { sensorsOf } from './device-state';
import { withRollups } from './kpi-live';
import { LiveRoom } from './live-room';
import type { KpiSeries } from './wall-api';

const device = (id: string, unit = '20242') => ({
  id,
  name: `Trạm ${id}`,
  type: 'water-level',
  unit,
  sector: 'environment',
  lat: 16.06,
  lon: 108.22,
  presence: null,
  values: {},
});

const emptyDelta = { values: [], presence: [], alerts: [], kpis: [] };

function openRoom(): LiveRoom {
  const room = new LiveRoom();
  expect(
    room.applySnapshot({ seq: 4, room: null, devices: [device('a')], alerts: [], kpis: [] }),
  ).toBe(true);
  room.take();
  return room;
}

describe('LiveRoom between snapshots', () => {
  it('adds devices a delta carries whole, and drops revoked ones', () => {
    const room = openRoom();
    expect(room.applyDelta({ ...emptyDelta, seq: 5, devices: [device('b')] })).toBe('applied');
    expect(room.take().devices?.map((d) => [d.id, d.lat, d.lon])).toEqual([
      ['a', 16.06, 108.22],
      ['b', 16.06, 108.22],
    ]);
    expect(room.applyDelta({ ...emptyDelta, seq: 6, removedDevices: ['a', 'unknown'] })).toBe(
      'applied',
    );
    expect(room.take().devices?.map((d) => d.id)).toEqual(['b']);
    // A malformed device row is skipped; the rest of the delta still applies.
    room.applyDelta({ ...emptyDelta, seq: 7, devices: [{ name: 'no id' }, device('c')] });
    expect(room.take().devices?.map((d) => d.id)).toEqual(['b', 'c']);
  });

  it('takes a device disabled off the map and puts it back when it is enabled again', () => {
    const room = openRoom();
    const drawn = () => sensorsOf(room.take().devices ?? [], []).map((s) => s.id);
    room.applyDelta({ ...emptyDelta, seq: 5, devices: [{ ...device('a'), enabled: false }] });
    const disabled = room.take().devices;
    expect(disabled?.map((d) => [d.id, d.enabled])).toEqual([['a', false]]);
    expect(sensorsOf(disabled ?? [], [])).toEqual([]);
    room.applyDelta({ ...emptyDelta, seq: 6, devices: [{ ...device('a'), enabled: true }] });
    expect(drawn()).toEqual(['a']);
  });

  it('keeps live conferences, and forgets one when it ends', () => {
    const room = openRoom();
    const conference = {
      conferenceId: 'k1',
      title: 'Họp',
      activeSpeaker: 'p1',
      endpoints: [
        { unit: '20242', peerId: 'p1', displayName: 'Hải Châu', connected: true, quality: 'poor' },
        {
          unit: '20209',
          peerId: null,
          displayName: 'Thanh Khê',
          connected: false,
          quality: 'good',
        },
        { displayName: 42 },
      ],
      ended: false,
    };
    room.applyDelta({ ...emptyDelta, seq: 5, conferences: [conference] });
    const [live] = room.take().conferences ?? [];
    expect(live?.endpoints.map((e) => [e.displayName, e.connected, e.quality])).toEqual([
      ['Hải Châu', true, 'poor'],
      // Not connected: no link quality, whatever was sent.
      ['Thanh Khê', false, null],
    ]);
    room.applyDelta({ ...emptyDelta, seq: 6, conferences: [{ ...conference, ended: true }] });
    expect(room.take().conferences).toEqual([]);
  });

  it('passes on KPI roll-ups once each, and refuses a delta after a gap', () => {
    const room = openRoom();
    room.applyDelta({
      ...emptyDelta,
      seq: 5,
      kpiRollups: [
        { kpi: 'on_time_rate', date: '2026-11-21', value: 80 },
        { kpi: 'bad', value: 1 },
      ],
    });
    expect(room.take().kpiRollups).toEqual([
      { kpi: 'on_time_rate', date: '2026-11-21', value: 80 },
    ]);
    expect(room.take().kpiRollups).toEqual([]);
    expect(room.applyDelta({ ...emptyDelta, seq: 9, devices: [device('z')] })).toBe('gap');
  });
});

describe('KPI tiles from roll-ups', () => {
  const tile: KpiSeries = {
    kpi: 'on_time_rate',
    name: { vi: 'Tỉ lệ đúng hạn', en: 'On time' },
    unitOfMeasure: { vi: '%', en: '%' },
    direction: 'higher',
    target: 95,
    points: [
      { date: '2026-11-19', value: 96 },
      { date: '2026-11-20', value: 97 },
    ],
    latest: { date: '2026-11-20', value: 97 },
    meetsTarget: true,
  };

  it('adds a new day, replaces a known one, and works out the target badge', () => {
    const [today] = withRollups([tile], [{ kpi: 'on_time_rate', date: '2026-11-21', value: 40 }]);
    expect(today?.points.map((p) => p.value)).toEqual([96, 97, 40]);
    expect(today?.latest).toEqual({ date: '2026-11-21', value: 40 });
    expect(today?.meetsTarget).toBe(false);
    const [fixed] = withRollups([tile], [{ kpi: 'on_time_rate', date: '2026-11-20', value: 99 }]);
    expect(fixed?.points.map((p) => p.value)).toEqual([96, 99]);
    expect(fixed?.meetsTarget).toBe(true);
  });

  it('leaves other KPIs alone, and a day without a value keeps the last known one', () => {
    const [same] = withRollups([tile], [{ kpi: 'overdue_rate', date: '2026-11-21', value: 1 }]);
    expect(same).toBe(tile);
    const [gap] = withRollups([tile], [{ kpi: 'on_time_rate', date: '2026-11-21', value: null }]);
    expect(gap?.latest).toEqual({ date: '2026-11-20', value: 97 });
  });
});
