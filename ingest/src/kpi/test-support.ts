// Helpers for this folder's tests: a small hand-made unit tree whose roll-ups are easy to
// compute by hand. (The real influxd helpers live in ../pipeline/test-support.ts.)
import { type AdminUnitInput, AdminUnitTree, type UnitType } from '@ioc/core';

export { TestInflux, tempDir, testLogger } from '../pipeline/test-support.js';

const unit = (code: string, type: UnitType, parentCode: string | null): AdminUnitInput => ({
  code,
  name: `Đơn vị ${code}`,
  type,
  parentCode,
  geometry: null,
  properties: {},
});

/**
 * Province P1 → districts D1 (communes C11, C12) and D2 (commune C21). D2 also reports
 * figures of its own, which belong to its subtree but to none of its children.
 */
export function smallProvince(): AdminUnitTree {
  return new AdminUnitTree(
    { id: 'kpi-test', name: 'KPI test province', description: 'three tiers' },
    [
      unit('P1', 'province', null),
      unit('D1', 'district', 'P1'),
      unit('C11', 'commune', 'D1'),
      unit('C12', 'ward', 'D1'),
      unit('D2', 'district', 'P1'),
      unit('C21', 'commune', 'D2'),
    ],
  );
}
