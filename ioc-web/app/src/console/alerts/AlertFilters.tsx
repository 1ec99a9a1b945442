import { labelFor, useI18n } from '../../i18n/i18n';
import {
  ALERT_STATE_FILTERS,
  type AlertFilter,
  type AlertSeverity,
  type AlertStateFilter,
  SEVERITIES,
} from '../console-api';
import { filterableUnits, useReference } from '../reference';

export function AlertFilters({
  filter,
  onChange,
}: {
  filter: AlertFilter;
  onChange(filter: AlertFilter): void;
}) {
  const { t } = useI18n();
  const { units, unitName } = useReference();
  const a = t.console.alerts;
  const set = (patch: Partial<AlertFilter>) => onChange({ ...filter, ...patch });

  return (
    <fieldset className="ops-filters" data-testid="alert-filters">
      <legend className="visually-hidden">{a.filters}</legend>
      <label className="field">
        <span>{a.state}</span>
        <select
          value={filter.state ?? ''}
          data-testid="alert-filter-state"
          onChange={(e) => set({ state: (e.target.value || undefined) as AlertStateFilter })}
        >
          <option value="">{t.console.any}</option>
          {ALERT_STATE_FILTERS.map((s) => (
            <option key={s} value={s}>
              {a.states[s]}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{a.severity}</span>
        <select
          value={filter.severity ?? ''}
          data-testid="alert-filter-severity"
          onChange={(e) => set({ severity: (e.target.value || undefined) as AlertSeverity })}
        >
          <option value="">{t.console.any}</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {labelFor(t.wall.alerts.severities, s)}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{a.sector}</span>
        <select
          value={filter.sector ?? ''}
          data-testid="alert-filter-sector"
          onChange={(e) => set({ sector: e.target.value || undefined })}
        >
          <option value="">{t.console.any}</option>
          {Object.entries(t.console.sectors).map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{a.unit}</span>
        <select
          value={filter.unit ?? ''}
          data-testid="alert-filter-unit"
          onChange={(e) => set({ unit: e.target.value || undefined })}
        >
          <option value="">{a.unitAny}</option>
          {filterableUnits(units).map((u) => (
            <option key={u.code} value={u.code}>
              {unitName(u.code)}
            </option>
          ))}
        </select>
      </label>
    </fieldset>
  );
}
