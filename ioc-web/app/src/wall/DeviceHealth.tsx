import { useI18n } from '../i18n/i18n';
import { countByState, SENSOR_STATES, type Sensor } from './device-state';

export function DeviceHealth({ sensors, denied }: { sensors: readonly Sensor[]; denied: boolean }) {
  const { t } = useI18n();
  const counts = countByState(sensors);
  return (
    <section className="wall-panel wall-devices" data-testid="wall-devices">
      <h2>{t.wall.devices.title}</h2>
      {denied ? (
        <p className="wall-muted" data-testid="wall-devices-denied">
          {t.wall.devices.denied}
        </p>
      ) : (
        <>
          <ul className="wall-device-counts">
            {SENSOR_STATES.map((state) => (
              <li key={state} data-testid={`wall-devices-${state}`} data-state={state}>
                <span className="wall-swatch" data-state={state} aria-hidden />
                <span className="wall-device-label">{t.wall.devices.states[state]}</span>
                <span className="wall-device-number">{counts[state]}</span>
              </li>
            ))}
          </ul>
          <p className="wall-muted" data-testid="wall-devices-total">
            {t.wall.devices.total(sensors.length)}
          </p>
        </>
      )}
    </section>
  );
}
