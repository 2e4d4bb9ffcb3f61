import type { HistoryPoint } from '../api';
import { displayRate, formatDate, formatRateNumber, type Lang } from '../format';
import { useLang } from '../state';

/** A tiny SVG line (no chart library on the home screen) with a text summary beside it. */
export function Sparkline({ points, code, lang }: { points: HistoryPoint[]; code: string; lang: Lang }) {
  const { t } = useLang();
  if (points.length < 2) return <p class="muted">{t.notEnough}</p>;
  const ys = points.map((p) => displayRate(code, p.rate));
  const min = Math.min(...ys);
  const max = Math.max(...ys);
  const W = 300;
  const H = 64;
  const span = max - min || 1;
  const coords = ys.map((y, i) => {
    const x = (i / (ys.length - 1)) * W;
    const yy = H - 4 - ((y - min) / span) * (H - 8);
    return `${x.toFixed(1)},${yy.toFixed(1)}`;
  });
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const up = ys[ys.length - 1]! >= ys[0]!;
  const summary = t.sparkSummary(
    formatDate(first.date, lang, true),
    formatDate(last.date, lang),
    formatRateNumber(min, lang),
    formatRateNumber(max, lang),
    formatRateNumber(ys[ys.length - 1]!, lang),
  );
  return (
    <figure class="spark" data-testid="sparkline">
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary} class={up ? 'up' : 'down'}>
        <polyline points={coords.join(' ')} fill="none" stroke-width="2" vector-effect="non-scaling-stroke" />
      </svg>
      <figcaption class="muted small" data-testid="sparkline-summary">
        {summary}
      </figcaption>
    </figure>
  );
}
