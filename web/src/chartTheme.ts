import type uPlot from 'uplot';

export const COLORS = ['#0f5e68', '#c2410c', '#6d28d9', '#15803d', '#b91c1c', '#1d4ed8', '#a16207', '#be185d', '#0e7490', '#4d7c0f'];

const reduced = () =>
  typeof matchMedia !== 'undefined' && matchMedia('(prefers-reduced-motion: reduce)').matches;

export function axes(yFmt: (v: number) => string, lang: string): uPlot.Axis[] {
  const loc = lang === 'ko' ? 'ko-KR' : 'en-GB';
  const dfmt = new Intl.DateTimeFormat(loc, { timeZone: 'UTC', month: 'numeric', day: 'numeric' });
  return [
    {
      stroke: '#4b5563',
      grid: { stroke: '#e5e7eb' },
      ticks: { stroke: '#d1d5db' },
      space: 64,
      values: (_u, splits) => splits.map((s) => dfmt.format(new Date(s * 1000))),
    },
    {
      stroke: '#4b5563',
      grid: { stroke: '#e5e7eb' },
      ticks: { stroke: '#d1d5db' },
      size: 64,
      values: (_u, splits) => splits.map(yFmt),
    },
  ];
}

export function baseOptions(): Partial<uPlot.Options> {
  return {
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    legend: { live: !reduced() },
    scales: { x: { time: true } },
  };
}
