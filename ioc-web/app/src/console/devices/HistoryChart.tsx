// A metric's history drawn with uPlot (small, canvas, bundled). Dragging across the plot
// asks the parent for that window, which re-queries the server at a finer step; the chart
// never zooms into data it does not have.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDateTime } from '../../i18n/datetime';
import type { TelemetrySeries } from '../console-api';

const AXIS = '#93a7b8';
const GRID = 'rgba(147, 167, 184, 0.15)';
const LINE = '#56b4e9'; // Okabe-Ito sky blue: readable for every kind of colour vision

/** Axis labels in Viet Nam time: HH:mm for short windows, dd/MM for long ones. */
function axisLabel(seconds: number, spanS: number): string {
  const text = formatDateTime(new Date(seconds * 1000)); // dd/MM/yyyy HH:mm:ss
  if (spanS <= 2 * 86_400) return text.slice(11, 16);
  if (spanS <= 120 * 86_400) return `${text.slice(0, 5)} ${text.slice(11, 16)}`;
  return text.slice(0, 10);
}

export function HistoryChart({
  series,
  label,
  unit,
  fromS,
  toS,
  onZoom,
  onReset,
}: {
  series: TelemetrySeries;
  label: string;
  unit: string;
  fromS: number;
  toS: number;
  onZoom(fromMs: number, toMs: number): void;
  onReset(): void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // The latest callbacks, read by the uPlot hooks made once per chart.
  const handlers = useRef({ onZoom, onReset });
  handlers.current = { onZoom, onReset };

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const span = toS - fromS;
    const options: uPlot.Options = {
      width: Math.max(320, element.clientWidth),
      height: 320,
      scales: { x: { time: true, range: () => [fromS, toS] } },
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { show: true },
      series: [
        { value: (_u, v) => (v === null ? '' : formatDateTime(new Date(v * 1000)).slice(0, 16)) },
        {
          label: unit ? `${label} (${unit})` : label,
          stroke: LINE,
          width: 2,
          fill: 'rgba(86, 180, 233, 0.12)',
          spanGaps: false,
          points: { show: series.times.length < 120, size: 5 },
        },
      ],
      axes: [
        {
          stroke: AXIS,
          grid: { stroke: GRID },
          ticks: { stroke: GRID },
          values: (_u, splits) => splits.map((s) => axisLabel(s, span)),
        },
        { stroke: AXIS, grid: { stroke: GRID }, ticks: { stroke: GRID }, size: 60 },
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 4) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            handlers.current.onZoom(from * 1000, to * 1000);
          },
        ],
      },
    };
    const chart = new uPlot(options, [series.times, series.values], element);
    plot.current = chart;
    const onDoubleClick = () => handlers.current.onReset();
    chart.over.addEventListener('dblclick', onDoubleClick);
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(320, element.clientWidth), height: 320 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.over.removeEventListener('dblclick', onDoubleClick);
      chart.destroy();
      plot.current = null;
    };
  }, [series, label, unit, fromS, toS]);

  return <div ref={host} className="ops-chart" aria-hidden="true" />;
}
