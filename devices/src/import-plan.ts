import type { DeviceInputChecker, NewDevice } from './device-input.js';
import { isDeviceId } from './topics.js';

/** Why one row of a bulk import was not created. */
export interface ImportRowError {
  /** Row number as the file shows it (see DeviceImportBatch.firstRow). */
  row: number;
  /** The row's id, when it had one. */
  id?: string;
  code: string;
  /** Starts with `row N:` and says what to fix. */
  message: string;
}

export interface ImportCandidate {
  row: number;
  device: NewDevice;
}

/**
 * Checks every row on its own and sets aside ids that occur in more than one row: the
 * file is ambiguous about those, so none of their rows is created. What the database
 * already holds is checked later, by the registry.
 */
export function planImport(
  rows: readonly unknown[],
  checker: DeviceInputChecker,
  firstRow: number,
): { candidates: ImportCandidate[]; errors: ImportRowError[] } {
  const checked = rows.map((input, index) => ({
    row: firstRow + index,
    result: checker.check(input),
  }));

  const rowsById = new Map<string, number[]>();
  for (const { row, result } of checked) {
    const id = result.ok ? result.device.id : result.id;
    if (id === undefined || !isDeviceId(id)) continue;
    rowsById.set(id, [...(rowsById.get(id) ?? []), row]);
  }

  const candidates: ImportCandidate[] = [];
  const errors: ImportRowError[] = [];
  for (const { row, result } of checked) {
    const id = result.ok ? result.device.id : result.id;
    const withId = id === undefined ? {} : { id };
    if (!result.ok) {
      for (const problem of result.problems) {
        errors.push({
          row,
          ...withId,
          code: problem.code,
          message: `row ${row}: ${problem.message}`,
        });
      }
    }
    const sameId = id === undefined ? [] : (rowsById.get(id) ?? []);
    if (sameId.length > 1) {
      errors.push({
        row,
        ...withId,
        code: 'DUPLICATE_IN_FILE',
        message: `row ${row}: id "${id}" appears in rows ${sameId.join(', ')}; keep it in one row only`,
      });
    } else if (result.ok) {
      candidates.push({ row, device: result.device });
    }
  }
  return { candidates, errors };
}
