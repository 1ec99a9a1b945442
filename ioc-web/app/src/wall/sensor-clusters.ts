// Sensors grouped by screen distance at the map's zoom (supercluster), so tens of thousands
// of sensors stay legible at province scale. A cluster shows the worst state it holds.
import Supercluster from 'supercluster';
import { SENSOR_STATES, type Sensor, type SensorState, stateRank } from './device-state';

export interface SensorMark {
  position: [number, number];
  /** How many sensors this mark stands for: 1 for a single sensor. */
  count: number;
  state: SensorState;
  /** The sensor itself when count is 1. */
  sensor?: Sensor;
}

interface Props {
  rank: number;
  sensor?: Sensor;
}

const worstByRank = [...SENSOR_STATES].sort((a, b) => stateRank[a] - stateRank[b]);

export class SensorClusters {
  readonly #index = new Supercluster<Props, Props>({
    radius: 56,
    maxZoom: 14,
    map: (props) => ({ rank: props.rank }),
    reduce: (accumulated, props) => {
      accumulated.rank = Math.max(accumulated.rank, props.rank);
    },
  });

  constructor(readonly sensors: readonly Sensor[]) {
    this.#index.load(
      sensors.map((sensor) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: sensor.position },
        properties: { rank: stateRank[sensor.state], sensor },
      })),
    );
  }

  /** The marks to draw at this zoom, over the whole world (the wall shows one province). */
  marksAt(zoom: number): SensorMark[] {
    return this.#index.getClusters([-180, -85, 180, 85], Math.floor(zoom)).map((feature) => {
      const [lon = 0, lat = 0] = feature.geometry.coordinates;
      const props = feature.properties;
      if ('cluster' in props && props.cluster) {
        return {
          position: [lon, lat],
          count: props.point_count,
          state: worstByRank[props.rank] ?? 'normal',
        };
      }
      const sensor = (props as Props).sensor;
      return { position: [lon, lat], count: 1, state: sensor?.state ?? 'normal', sensor };
    });
  }
}
