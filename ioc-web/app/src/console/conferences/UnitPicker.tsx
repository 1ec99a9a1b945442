import { useMemo, useState } from 'react';
import type { AdminUnit } from '../../api/ioc-api';
import { useI18n } from '../../i18n/i18n';
import { useReference } from '../reference';

/** Unit types that are endpoints (điểm cầu): communes, wards, special zones. */
const COMMUNE_TYPES = new Set(['commune', 'ward', 'special-zone']);
/** Rows the list shows at once; the filter finds the others. */
const SHOWN = 150;

export interface UnitSelection {
  invited: string[];
  speakers: string[];
}

/** Communes of `code`'s subtree (itself if it is one), in data order. */
export function communesUnder(units: readonly AdminUnit[], code: string): string[] {
  const children = new Map<string, AdminUnit[]>();
  for (const unit of units) {
    if (unit.parentCode === null) continue;
    children.set(unit.parentCode, [...(children.get(unit.parentCode) ?? []), unit]);
  }
  const out: string[] = [];
  const visit = (unit: AdminUnit) => {
    if (COMMUNE_TYPES.has(unit.type)) out.push(unit.code);
    for (const child of children.get(unit.code) ?? []) visit(child);
  };
  const start = units.find((u) => u.code === code);
  if (start) visit(start);
  return out;
}

const fold = (text: string) =>
  text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();

/**
 * Invited units picked one by one (filter by name, diacritics optional) or a whole district or
 * region at once, each invited unit optionally a speaker. Plain checkboxes: Tab and Space.
 */
export function UnitPicker({
  value,
  onChange,
}: {
  value: UnitSelection;
  onChange(next: UnitSelection): void;
}) {
  const { t } = useI18n();
  const f = t.conferences.form;
  const { units, unitName } = useReference();
  const [filter, setFilter] = useState('');
  const [area, setArea] = useState('');

  const communes = useMemo(() => units.filter((u) => COMMUNE_TYPES.has(u.type)), [units]);
  const areas = useMemo(
    () =>
      units
        .filter((u) => !COMMUNE_TYPES.has(u.type))
        .sort((a, b) => a.level - b.level || a.name.localeCompare(b.name, 'vi')),
    [units],
  );
  const invited = new Set(value.invited);
  const speakers = new Set(value.speakers);
  const wanted = fold(filter.trim());
  const matching = communes.filter(
    (u) => !wanted || fold(`${unitName(u.code)} ${u.name} ${u.code}`).includes(wanted),
  );
  // Invited units stay in view, whatever the filter, so they can be made speakers or removed.
  const shown = [
    ...communes.filter((u) => invited.has(u.code) && !matching.includes(u)),
    ...matching.slice(0, SHOWN),
  ];

  const setInvited = (code: string, on: boolean) => {
    const next = on ? [...value.invited, code] : value.invited.filter((c) => c !== code);
    onChange({
      invited: [...new Set(next)],
      speakers: value.speakers.filter((c) => next.includes(c)),
    });
  };
  const setSpeaker = (code: string, on: boolean) =>
    onChange({
      invited: value.invited,
      speakers: on ? [...value.speakers, code] : value.speakers.filter((c) => c !== code),
    });

  return (
    <fieldset className="ops-form conference-units" data-testid="conference-units">
      <legend>{f.invited}</legend>
      <div className="ops-inline">
        <label className="field">
          <span>{f.byArea}</span>
          <select
            value={area}
            onChange={(e) => setArea(e.target.value)}
            data-testid="conference-area"
          >
            <option value="">{f.chooseArea}</option>
            {areas.map((u) => (
              <option key={u.code} value={u.code}>
                {unitName(u.code)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button"
          disabled={!area}
          data-testid="conference-add-area"
          onClick={() =>
            onChange({
              invited: [...new Set([...value.invited, ...communesUnder(units, area)])],
              speakers: value.speakers,
            })
          }
        >
          {f.addArea}
        </button>
        <button
          type="button"
          className="button button-quiet"
          disabled={value.invited.length === 0}
          onClick={() => onChange({ invited: [], speakers: [] })}
        >
          {f.clear}
        </button>
      </div>
      <label className="field">
        <span>{f.filter}</span>
        <input
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          data-testid="conference-unit-filter"
        />
      </label>
      <p className="muted" aria-live="polite" data-testid="conference-selected">
        {f.selected(value.invited.length)}
      </p>
      <ul className="conference-unit-list">
        {shown.map((unit) => {
          const name = unitName(unit.code);
          const on = invited.has(unit.code);
          return (
            <li key={unit.code}>
              <label>
                <input
                  type="checkbox"
                  checked={on}
                  aria-label={f.invite(name)}
                  data-unit={unit.code}
                  onChange={(e) => setInvited(unit.code, e.target.checked)}
                />{' '}
                {name} <span className="muted">{unit.code}</span>
              </label>
              {on && (
                <label className="conference-speaker">
                  <input
                    type="checkbox"
                    checked={speakers.has(unit.code)}
                    aria-label={f.speakerOf(name)}
                    onChange={(e) => setSpeaker(unit.code, e.target.checked)}
                  />{' '}
                  {f.speaker}
                </label>
              )}
            </li>
          );
        })}
      </ul>
      {matching.length > SHOWN && <p className="muted">{f.more(matching.length - SHOWN)}</p>}
    </fieldset>
  );
}
