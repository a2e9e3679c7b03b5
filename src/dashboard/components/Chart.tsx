// A small time-series chart (uPlot): one line, time on the x axis. A null
// value is a gap (a minute with no sample), not a zero.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export function Chart({ title, times, values, color, format }: {
  title: string; times: number[]; values: (number | null)[]; color: string; format?: (v: number) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(200, el.clientWidth);
    plot.current = new uPlot({
      width: width(), height: 120, legend: { show: false }, cursor: { show: true },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ size: 28 }, { size: 44, values: (_u, ticks) => ticks.map((t) => (format ? format(t) : String(t))) }],
      series: [{}, { label: title, stroke: color, width: 2, fill: `${color}22` }],
    }, [[], []], el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: 120 }));
    resize.observe(el);
    return () => { resize.disconnect(); plot.current?.destroy(); plot.current = null; };
  }, [title, color, format]);
  useEffect(() => { plot.current?.setData([times.map((t) => t / 1000), values]); }, [times, values]);
  const known = values.filter((v): v is number => v !== null);
  const last = known.at(-1);
  const peak = known.length ? Math.max(...known) : undefined;
  const show = (v: number | undefined) => (v === undefined ? '—' : format ? format(v) : String(v));
  // The canvas says nothing to a screen reader (or a test): its name and the
  // figure's data attributes carry the latest and largest values.
  return (
    <figure className="chart" data-latest={last} data-peak={peak}>
      <figcaption>{title}: <strong>{show(last)}</strong></figcaption>
      <div ref={box} role="img" aria-label={`${title} over the last hour: latest ${show(last)}, peak ${show(peak)}`} />
    </figure>
  );
}
