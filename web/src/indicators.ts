// Rolling indicator SERIES for chart overlays. The API (/history/stats) gives only each
// indicator's value on the window's last day; it has no series, so the overlays are
// computed here with the same definitions as docs/analytics.md (and the chart's last
// value is checked against the API's in the browser tests). The stats block always shows
// the API's own numbers.

export type Series = (number | null)[];

/** Mean of the last n rates at each point (null until n rates exist). */
export function sma(r: number[], n: number): Series {
  const out: Series = [];
  let sum = 0;
  for (let i = 0; i < r.length; i++) {
    sum += r[i]!;
    if (i >= n) sum -= r[i - n]!;
    out.push(i >= n - 1 ? sum / n : null);
  }
  return out;
}

/** SMA n ± k · population standard deviation (ddof 0) of the last n rates. */
export function bollinger(r: number[], n = 20, k = 2): { upper: Series; lower: Series } {
  const mid = sma(r, n);
  const upper: Series = [];
  const lower: Series = [];
  for (let i = 0; i < r.length; i++) {
    const m = mid[i];
    if (m === null || m === undefined) {
      upper.push(null);
      lower.push(null);
      continue;
    }
    let ss = 0;
    for (let j = i - n + 1; j <= i; j++) ss += (r[j]! - m) ** 2;
    const sd = Math.sqrt(ss / n);
    upper.push(m + k * sd);
    lower.push(m - k * sd);
  }
  return { upper, lower };
}

/** 14-period RSI with Wilder's smoothing; first averages are plain means of 14 changes. */
export function rsi(r: number[], n = 14): Series {
  const out: Series = r.map(() => null);
  if (r.length < n + 1) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= n; i++) {
    const d = r[i]! - r[i - 1]!;
    gain += Math.max(d, 0);
    loss += Math.max(-d, 0);
  }
  gain /= n;
  loss /= n;
  const value = () => (loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss));
  out[n] = value();
  for (let i = n + 1; i < r.length; i++) {
    const d = r[i]! - r[i - 1]!;
    gain = (gain * (n - 1) + Math.max(d, 0)) / n;
    loss = (loss * (n - 1) + Math.max(-d, 0)) / n;
    out[i] = value();
  }
  return out;
}

/** "2026-10-01" minus n calendar days, as YYYY-MM-DD. */
export function minusDays(date: string, n: number): string {
  const d = new Date(date + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() - n);
  return d.toISOString().slice(0, 10);
}

/** Unix seconds of a calendar day at 00:00 UTC (the charts' x axis). */
export function dayToX(date: string): number {
  return Date.parse(date + 'T00:00:00Z') / 1000;
}
