import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** uPlot in a Preact component; resizes with its container. Loaded only by lazy screens. */
export function UChart({
  options,
  data,
  label,
  height = 260,
  testid,
}: {
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  label: string;
  height?: number;
  testid?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth);
    const u = new uPlot({ ...options, width, height }, data, el);
    const ro = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, [options, data, height]);
  return <div class="chart" ref={ref} role="img" aria-label={label} data-testid={testid} />;
}

export type { uPlot };
