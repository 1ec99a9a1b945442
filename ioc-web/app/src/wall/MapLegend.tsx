import { useI18n } from '../i18n/i18n';
import { EndpointIcon } from './ConferencePanel';
import type { EndpointState } from './conference-endpoints';
import { SENSOR_STATES } from './device-state';
import { withUnit } from './format';
import { CHOROPLETH_STEPS, NO_DATA_COLOUR } from './map-geometry';
import type { KpiBreakdown } from './wall-api';

const ENDPOINT_STATES: readonly EndpointState[] = ['good', 'fair', 'poor', 'offline'];

export function MapLegend({
  choropleth,
  endpoints = false,
}: {
  choropleth?: KpiBreakdown;
  /** A conference is live: explain its markers too. */
  endpoints?: boolean;
}) {
  const { t, language } = useI18n();
  return (
    <aside className="wall-legend" data-testid="wall-legend">
      {choropleth && (
        <div>
          <h3>{choropleth.name[language]}</h3>
          <p className="wall-muted">
            {choropleth.target === null
              ? t.wall.legend.vsMedian
              : t.wall.legend.vsTarget(
                  withUnit(choropleth.target, choropleth.unitOfMeasure[language], language),
                )}
          </p>
          <ul className="wall-legend-steps">
            {CHOROPLETH_STEPS.map((step) => (
              <li key={step.key}>
                <span className="wall-legend-fill" style={{ background: step.colour }} />
                {t.wall.legend.steps[step.key]}
              </li>
            ))}
            <li>
              <span className="wall-legend-fill" style={{ background: NO_DATA_COLOUR }} />
              {t.wall.legend.noData}
            </li>
          </ul>
        </div>
      )}
      <ul className="wall-legend-sensors">
        {SENSOR_STATES.map((state) => (
          <li key={state}>
            <span className="wall-swatch" data-state={state} aria-hidden />
            {t.wall.devices.states[state]}
          </li>
        ))}
      </ul>
      {endpoints && (
        <ul className="wall-legend-endpoints" data-testid="wall-legend-endpoints">
          <li>{t.wall.conference.legend}:</li>
          {ENDPOINT_STATES.map((state) => (
            <li key={state}>
              <EndpointIcon state={state} />
              {t.wall.conference.states[state]}
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
