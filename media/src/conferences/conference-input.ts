// The checks a conference must pass before it is stored; each refusal names its field.
import { type AdminUnitTree, ApiError } from '@ioc/core';
import type { ConferenceInput } from './conference-store.js';

export const TITLE_MAX_CHARS = 200;
export const MAX_INVITED_UNITS = 500;

export interface CheckedConferenceInput {
  title: string;
  chairUnit: string;
  invitedUnits: string[];
  speakerUnits: string[];
  startsAt: Date;
  endsAt: Date;
}

/** Throws 400 CONFERENCE_INVALID with `details.field` at the first problem. */
export function checkConferenceInput(
  input: ConferenceInput,
  units: AdminUnitTree,
): CheckedConferenceInput {
  const title = input.title.normalize('NFC').trim();
  if (title.length < 1 || title.length > TITLE_MAX_CHARS) {
    throw invalid('title', `title must be 1 to ${TITLE_MAX_CHARS} characters`);
  }
  const unknown = (field: string, code: string) =>
    invalid(
      field,
      `${field}: "${code}" is not an administrative unit of dataset ${units.dataset.id}`,
    );
  if (!units.has(input.chairUnit)) throw unknown('chairUnit', input.chairUnit);
  const invitedUnits = [...new Set(input.invitedUnits)];
  if (invitedUnits.length < 1 || invitedUnits.length > MAX_INVITED_UNITS) {
    throw invalid('invitedUnits', `invite 1 to ${MAX_INVITED_UNITS} units`);
  }
  for (const code of invitedUnits) if (!units.has(code)) throw unknown('invitedUnits', code);
  const speakerUnits = [...new Set(input.speakerUnits ?? [])];
  for (const code of speakerUnits) {
    if (!invitedUnits.includes(code)) {
      throw invalid('speakerUnits', `speakerUnits: "${code}" is not one of the invited units`);
    }
  }
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  if (Number.isNaN(startsAt.getTime())) throw invalid('startsAt', 'startsAt is not a date');
  if (Number.isNaN(endsAt.getTime())) throw invalid('endsAt', 'endsAt is not a date');
  if (endsAt.getTime() <= startsAt.getTime()) {
    throw invalid('endsAt', 'endsAt must be after startsAt');
  }
  return { title, chairUnit: input.chairUnit, invitedUnits, speakerUnits, startsAt, endsAt };
}

function invalid(field: string, message: string): ApiError {
  return new ApiError(400, 'CONFERENCE_INVALID', message, { field });
}
