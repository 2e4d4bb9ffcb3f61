import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { Link } from 'wouter-preact';
import { endpoints, type CurrencyDetail, type Forecast, type History, type HistoryStats } from '../api';
import { Card, ErrorBox, Loading, countryName } from '../components/common';
import { UChart } from '../components/UChart';
import { COLORS, axes, baseOptions } from '../chartTheme';
import {
  displayRate,
  flag,
  formatDate,
  formatDateTime,
  formatMonth,
  formatNumber,
  formatPercent,
  formatQuote,
  formatRateNumber,
  quoteSentence,
  unitLabel,
  type Lang,
} from '../format';
import { bollinger, dayToX, minusDays, rsi, sma } from '../indicators';
import type { Messages } from '../messages';
import { useApi, useLang } from '../state';

const PERIODS = ['1w', '1m', '3m', '6m', '1y'] as const;
type Period = (typeof PERIODS)[number];
type Window = { period: Period } | { start: string; end: string };

const periodLabel = (t: Messages, p: Period) => ({ '1w': t.p1w, '1m': t.p1m, '3m': t.p3m, '6m': t.p6m, '1y': t.p1y })[p];

const trendLabel = (t: Messages, v: string) =>
  v === 'upward' ? t.trendUp : v === 'downward' ? t.trendDown : v === 'stable' ? t.trendStable : v;

export default function Currency({ code }: { code: string }) {
  const { t, lang } = useLang();
  const [win, setWin] = useState<Window>({ period: '3m' });
  const [startText, setStartText] = useState('');
  const [endText, setEndText] = useState('');
  const [showSma, setShowSma] = useState(true);
  const [showBb, setShowBb] = useState(false);
  const [showRsi, setShowRsi] = useState(true);
  const [rangeError, setRangeError] = useState('');
  const touched = useRef(false);

  const params = 'period' in win ? { target: code, period: win.period } : { target: code, start: win.start, end: win.end };
  const detail = useApi<CurrencyDetail>(endpoints.detail(code));
  const history = useApi<History>(endpoints.history(params));
  const stats = useApi<HistoryStats>(endpoints.stats(params));
  const forecast = useApi<Forecast>(endpoints.forecast(code, 7));
  // The indicators need up to 120 days before the window (as the API computes them).
  const h = history.data;
  const needExtended = (showSma || showBb || showRsi) && h && h.results.length > 0;
  const extended = useApi<History>(
    needExtended ? endpoints.history({ target: code, start: minusDays(h.start_date, 120), end: h.end_date }) : null,
  );

  // Show the loaded window in the date inputs (until the person types their own).
  useEffect(() => {
    if (h && 'period' in win && !touched.current) {
      setStartText(h.start_date);
      setEndText(h.end_date);
    }
  }, [h?.start_date, h?.end_date]);

  const applyRange = (e: Event) => {
    e.preventDefault();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(startText) || !/^\d{4}-\d{2}-\d{2}$/.test(endText) || startText > endText) {
      setRangeError(lang === 'ko' ? '시작일과 종료일을 올바르게 입력하세요 (시작 ≤ 종료).' : 'Enter a valid start and end date (start ≤ end).');
      return;
    }
    setRangeError('');
    setWin({ start: startText, end: endText });
  };

  const name = detail.data ? (lang === 'ko' ? detail.data.currency_name : detail.data.currency_name_en) : code;
  const csvHref = endpoints.history({ ...params, format: 'csv' });

  return (
    <div class="currency">
      <h1>
        <span aria-hidden="true">{detail.data ? flag(detail.data.country_code) + ' ' : ''}</span>
        {name} <span class="muted">({code})</span>
      </h1>
      <p class="small muted country-line">{detail.data ? countryName(detail.data, lang) : '\u00a0'}</p>
      {detail.error ? (
        <ErrorBox error={detail.error} />
      ) : detail.data ? (
        <p class="lead lead-rate">
          <strong data-testid="rate-sentence">{quoteSentence(code, detail.data.current_rate, lang)}</strong>{' '}
          <span class="muted small">
            · {t.asOf} <time dateTime={detail.data.last_updated} data-testid="rate-asof">{formatDateTime(detail.data.last_updated, lang)}</time> ·{' '}
            {t.source} <span data-testid="rate-source">{detail.data.source}</span>
          </span>
        </p>
      ) : (
        <div class="lead lead-rate"><Loading /></div>
      )}

      <Card title={t.period} id="window">
        <div class="seg" role="group" aria-label={t.period}>
          {PERIODS.map((p) => (
            <button
              key={p}
              type="button"
              class="btn seg-btn"
              data-testid={`period-${p}`}
              aria-pressed={'period' in win && win.period === p}
              onClick={() => {
                touched.current = false;
                setWin({ period: p });
              }}
            >
              {periodLabel(t, p)}
            </button>
          ))}
        </div>
        <form class="range" onSubmit={applyRange} aria-label={t.custom}>
          <div class="field">
            <label for="range-start">{t.start}</label>
            <input id="range-start" type="date" data-testid="range-start" value={startText} onInput={(e) => {
                touched.current = true;
                setStartText((e.currentTarget as HTMLInputElement).value);
              }} />
          </div>
          <div class="field">
            <label for="range-end">{t.end}</label>
            <input id="range-end" type="date" data-testid="range-end" value={endText} onInput={(e) => {
                touched.current = true;
                setEndText((e.currentTarget as HTMLInputElement).value);
              }} />
          </div>
          <button type="submit" class="btn primary" data-testid="range-apply">
            {t.apply}
          </button>
        </form>
        {rangeError && (
          <p class="error" role="alert">
            {rangeError}
          </p>
        )}
        <fieldset class="toggles">
          <legend>{t.overlays}</legend>
          <label>
            <input type="checkbox" checked={showSma} data-testid="toggle-sma" onChange={(e) => setShowSma((e.currentTarget as HTMLInputElement).checked)} /> {t.sma}
          </label>
          <label>
            <input type="checkbox" checked={showBb} data-testid="toggle-bollinger" onChange={(e) => setShowBb((e.currentTarget as HTMLInputElement).checked)} /> {t.bollinger}
          </label>
          <label>
            <input type="checkbox" checked={showRsi} data-testid="toggle-rsi" onChange={(e) => setShowRsi((e.currentTarget as HTMLInputElement).checked)} /> {t.rsi}
          </label>
        </fieldset>
      </Card>

      <Card title={`${t.rate} (${t.perUnit(unitLabel(code, lang))})`} id="chart" class="chart-card">
        {history.error ? (
          <ErrorBox error={history.error} onRetry={history.reload} />
        ) : h && (!needExtended || extended.data || extended.error) && (forecast.data || forecast.error) ? (
          <HistoryChart
            h={h}
            ext={extended.data}
            forecast={forecast.data}
            code={code}
            name={name}
            showSma={showSma}
            showBb={showBb}
            showRsi={showRsi}
            lang={lang}
            t={t}
          />
        ) : (
          <Loading />
        )}
        <p>
          <a class="btn" href={csvHref} download data-testid="csv-download">
            {t.csv}
          </a>
        </p>
      </Card>

      <div class="grid">
        <div class="col">
          <StatsBlock stats={stats} code={code} lang={lang} t={t} />
        </div>
        <div class="col">
          <ForecastBlock f={forecast} code={code} lang={lang} t={t} />
        </div>
      </div>
      <p>
        <Link href="/">← {t.navHome}</Link>
      </p>
    </div>
  );
}

function HistoryChart({
  h,
  ext,
  forecast,
  code,
  name,
  showSma,
  showBb,
  showRsi,
  lang,
  t,
}: {
  h: History;
  ext: History | null;
  forecast: Forecast | null;
  code: string;
  name: string;
  showSma: boolean;
  showBb: boolean;
  showRsi: boolean;
  lang: Lang;
  t: Messages;
}) {
  const pts = h.results;
  const built = useMemo(() => {
    const dates = pts.map((p) => p.date);
    const rates = pts.map((p) => displayRate(code, p.rate));
    // Indicator series over the extended range, sliced to the window's dates.
    let s20: (number | null)[] = dates.map(() => null);
    let s50 = s20.slice();
    let bu = s20.slice();
    let bl = s20.slice();
    let rs = s20.slice();
    if (ext && ext.end_date === h.end_date && ext.results.length) {
      const er = ext.results.map((p) => displayRate(code, p.rate));
      const idx = new Map(ext.results.map((p, i) => [p.date, i]));
      const pick = (s: (number | null)[]) => dates.map((d) => (idx.has(d) ? s[idx.get(d)!] ?? null : null));
      s20 = pick(sma(er, 20));
      s50 = pick(sma(er, 50));
      const b = bollinger(er, 20, 2);
      bu = pick(b.upper);
      bl = pick(b.lower);
      rs = pick(rsi(er, 14));
    }
    // Forecast continues from the last observed point, past the window.
    const fc = forecast && forecast.last_date === h.end_date ? forecast.forecast : [];
    const xs = [...dates, ...fc.map((f) => f.date)].map(dayToX);
    const pad = fc.map(() => null);
    const lastRate = rates[rates.length - 1] ?? null;
    const fRate = [...dates.map((_, i) => (i === dates.length - 1 ? lastRate : null)), ...fc.map((f) => displayRate(code, f.rate))];
    const fLow = [...dates.map((_, i) => (i === dates.length - 1 ? lastRate : null)), ...fc.map((f) => displayRate(code, f.lower))];
    const fUp = [...dates.map((_, i) => (i === dates.length - 1 ? lastRate : null)), ...fc.map((f) => displayRate(code, f.upper))];
    return { dates, rates, s20, s50, bu, bl, rs, xs, pad, fRate, fLow, fUp, fc };
  }, [pts, ext, forecast, code, h.end_date]);

  const yFmt = (v: number) => formatRateNumber(v, lang);
  const main = useMemo(() => {
    const { rates, s20, s50, bu, bl, xs, pad, fRate, fLow, fUp } = built;
    const series: uPlot.Series[] = [{ label: t.date }, { label: code, stroke: COLORS[0], width: 2, points: { show: false }, value: (_u, v) => (v == null ? '–' : yFmt(v)) }];
    const data: (number | null)[][] = [xs, [...rates, ...pad]];
    if (showSma) {
      series.push({ label: 'SMA20', stroke: COLORS[1], width: 1.5, points: { show: false }, value: (_u, v) => (v == null ? '–' : yFmt(v)) });
      series.push({ label: 'SMA50', stroke: COLORS[2], width: 1.5, dash: [6, 4], points: { show: false }, value: (_u, v) => (v == null ? '–' : yFmt(v)) });
      data.push([...s20, ...pad], [...s50, ...pad]);
    }
    if (showBb) {
      series.push({ label: lang === 'ko' ? '볼린저 상단' : 'Bollinger upper', stroke: '#64748b', width: 1, dash: [2, 3], points: { show: false }, value: (_u, v) => (v == null ? '–' : yFmt(v)) });
      series.push({ label: lang === 'ko' ? '볼린저 하단' : 'Bollinger lower', stroke: '#64748b', width: 1, dash: [2, 3], points: { show: false }, value: (_u, v) => (v == null ? '–' : yFmt(v)) });
      data.push([...bu, ...pad], [...bl, ...pad]);
    }
    const fi = series.length;
    series.push({ label: t.forecast, stroke: COLORS[3], width: 2, dash: [4, 4], points: { show: false }, value: (_u, v) => (v == null ? '–' : yFmt(v)) });
    series.push({ label: t.upper, stroke: 'rgba(21,128,61,0.35)', width: 1, points: { show: false }, value: (_u, v) => (v == null ? '–' : yFmt(v)) });
    series.push({ label: t.lower, stroke: 'rgba(21,128,61,0.35)', width: 1, points: { show: false }, value: (_u, v) => (v == null ? '–' : yFmt(v)) });
    data.push(fRate, fUp, fLow);
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      ...baseOptions(),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
      series,
      axes: axes(yFmt, lang),
      bands: [{ series: [fi + 1, fi + 2], fill: 'rgba(21,128,61,0.12)' }],
    };
    return { options, data: data as uPlot.AlignedData };
  }, [built, showSma, showBb, lang]);

  const rsiChart = useMemo(() => {
    const xs = built.dates.map(dayToX);
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      ...baseOptions(),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
      scales: { x: { time: true }, y: { range: [0, 100] } },
      series: [
        { label: t.date },
        { label: 'RSI 14', stroke: COLORS[2], width: 1.5, points: { show: false }, value: (_u, v) => (v == null ? '–' : formatNumber(v, lang, 1)) },
        { label: '70', stroke: '#9ca3af', width: 1, dash: [3, 3], points: { show: false } },
        { label: '30', stroke: '#9ca3af', width: 1, dash: [3, 3], points: { show: false } },
      ],
      axes: axes((v) => String(v), lang),
    };
    const data = [xs, built.rs, xs.map(() => 70), xs.map(() => 30)] as uPlot.AlignedData;
    return { options, data };
  }, [built, lang]);

  if (pts.length === 0) return <p class="muted">{t.notEnough}</p>;
  const from = formatDate(h.start_date, lang);
  const to = formatDate(h.end_date, lang);
  const firstObs = pts[0]!;
  const lastObs = pts[pts.length - 1]!;
  const lastS20 = built.s20[built.s20.length - 1];
  const lastS50 = built.s50[built.s50.length - 1];
  const lastRsi = built.rs[built.rs.length - 1];
  return (
    <>
      <UChart options={main.options} data={main.data} label={t.chartLabel(name, from, to)} testid="history-chart" />
      <p class="small muted" data-testid="chart-summary" data-start={h.start_date} data-end={h.end_date} data-points={h.data_points}>
        {t.chartLabel(name, from, to)}: {h.data_points}{lang === 'ko' ? '일' : ' days'} · {formatDate(firstObs.date, lang)} {formatQuote(code, firstObs.rate, lang)} →{' '}
        {formatDate(lastObs.date, lang)} {formatQuote(code, lastObs.rate, lang)}
        {h.statistics.min !== null && h.statistics.max !== null && (
          <>
            {' '}
            · {t.min} {formatQuote(code, h.statistics.min, lang)} · {t.max} {formatQuote(code, h.statistics.max, lang)}
          </>
        )}
        {showSma && lastS20 != null && (
          <span data-testid="overlay-last" data-sma20={lastS20 / (displayRate(code, 1))} data-sma50={lastS50 != null ? lastS50 / displayRate(code, 1) : ''}>
            {' '}
            · SMA20 {formatRateNumber(lastS20, lang)}
            {lastS50 != null && ` · SMA50 ${formatRateNumber(lastS50, lang)}`}
          </span>
        )}
        {built.fc.length > 0 && ` · ${t.forecast} → ${formatDate(built.fc[built.fc.length - 1]!.date, lang)}`}
      </p>
      {showRsi && (
        <div class="rsi">
          <h3>{t.rsi}</h3>
          <UChart options={rsiChart.options} data={rsiChart.data} height={140} label={`RSI 14, ${from} – ${to}`} testid="rsi-chart" />
          <p class="small muted" data-testid="rsi-summary">
            RSI 14 ({formatDate(h.end_date, lang)}): {lastRsi != null ? formatNumber(lastRsi, lang, 1) : t.notEnough}
          </p>
        </div>
      )}
      <details>
        <summary>{t.showTable}</summary>
        <div class="table-wrap">
          <table data-testid="history-table">
            <caption>{t.tableCaption(from, to)}</caption>
            <thead>
              <tr>
                <th scope="col">{t.date}</th>
                <th scope="col" class="num">
                  {t.rate} ({unitLabel(code, lang)})
                </th>
                <th scope="col" class="num">
                  {t.change}
                </th>
              </tr>
            </thead>
            <tbody>
              {pts.map((p) => (
                <tr key={p.date}>
                  <td>{p.date}</td>
                  <td class="num">{formatQuote(code, p.rate, lang)}</td>
                  <td class="num">{p.change_percent === null ? '–' : formatPercent(p.change_percent, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function StatsBlock({ stats, code, lang, t }: { stats: ReturnType<typeof useApi<HistoryStats>>; code: string; lang: Lang; t: Messages }) {
  if (stats.error) return <Card title={t.stats} id="stats"><ErrorBox error={stats.error} onRetry={stats.reload} /></Card>;
  const s = stats.data;
  if (!s) return <Card title={t.stats} id="stats" class="stats-card"><Loading /></Card>;
  const q = (v: number | null) => (v === null ? t.notEnough : formatQuote(code, v, lang));
  const st = s.statistics;
  const ti = s.technical_indicators;
  const rows: [string, string, string][] = [
    [t.average, q(st.period_average), 'stat-average'],
    [t.min, q(st.period_min), 'stat-min'],
    [t.max, q(st.period_max), 'stat-max'],
    [t.totalChange, st.total_change_percent === null ? t.notEnough : `${formatPercent(st.total_change_percent, lang)} (${st.total_change === null ? '' : formatRateNumber(st.total_change * (displayRate(code, 1)), lang)})`, 'stat-change'],
    [t.volatility, st.volatility_index === null ? t.notEnough : formatPercent(st.volatility_index, lang, 2, false), 'stat-volatility'],
    [t.trend, trendLabel(t, st.trend_direction), 'stat-trend'],
    [t.support, q(st.support_level), 'stat-support'],
    [t.resistance, q(st.resistance_level), 'stat-resistance'],
    ['SMA20', q(ti.sma_20), 'stat-sma20'],
    ['SMA50', q(ti.sma_50), 'stat-sma50'],
    ['RSI 14', ti.rsi === null ? t.notEnough : formatNumber(ti.rsi, lang, 1), 'stat-rsi'],
    [lang === 'ko' ? '볼린저 상단' : 'Bollinger upper', q(ti.bollinger_upper), 'stat-bb-upper'],
    [lang === 'ko' ? '볼린저 하단' : 'Bollinger lower', q(ti.bollinger_lower), 'stat-bb-lower'],
  ];
  return (
    <Card title={t.stats} id="stats" testid="stats-block" class="stats-card">
      <p class="small muted" data-testid="stats-window">
        {t.statsFor(formatDate(s.start_date, lang), formatDate(s.end_date, lang), s.data_points)} · {t.perUnit(unitLabel(code, lang))}
      </p>
      <dl class="stats">
        {rows.map(([k, v, id]) => (
          <div key={id}>
            <dt>{k}</dt>
            <dd data-testid={id}>{v}</dd>
          </div>
        ))}
      </dl>
      <p class="small muted">
        {t.indicatorsNote} {t.asOf}: {formatDateTime(s.analysis_date, lang)}
      </p>
      {s.monthly_breakdown.length > 0 && (
        <details>
          <summary>{t.monthly}</summary>
          <div class="table-wrap">
            <table>
              <caption>{t.monthly}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.month}</th>
                  <th scope="col" class="num">{t.average}</th>
                  <th scope="col" class="num">{t.min}</th>
                  <th scope="col" class="num">{t.max}</th>
                  <th scope="col" class="num">{t.change}</th>
                </tr>
              </thead>
              <tbody>
                {s.monthly_breakdown.map((m) => (
                  <tr key={m.month}>
                    <td>{formatMonth(m.month, lang)}</td>
                    <td class="num">{formatQuote(code, m.average, lang)}</td>
                    <td class="num">{formatQuote(code, m.min, lang)}</td>
                    <td class="num">{formatQuote(code, m.max, lang)}</td>
                    <td class="num">{m.change_percent === null ? '–' : formatPercent(m.change_percent, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </Card>
  );
}

function ForecastBlock({ f, code, lang, t }: { f: ReturnType<typeof useApi<Forecast>>; code: string; lang: Lang; t: Messages }) {
  if (f.error) return <Card title={t.forecast} id="forecast"><ErrorBox error={f.error} onRetry={f.reload} /></Card>;
  const d = f.data;
  if (!d) return <Card title={t.forecast} id="forecast" class="fc-card"><Loading /></Card>;
  const pct = Math.round(d.interval_level * 100);
  return (
    <Card title={t.forecast} id="forecast" testid="forecast-block" class="fc-card">
      <p class="small">
        <strong>{t.forecastMethod}:</strong> <span data-testid="forecast-method">{d.method}</span>
      </p>
      <div class="table-wrap">
        <table data-testid="forecast-table">
          <caption>
            {t.interval(pct)} · {t.perUnit(unitLabel(code, lang))}
          </caption>
          <thead>
            <tr>
              <th scope="col">{t.date}</th>
              <th scope="col" class="num">{t.forecast}</th>
              <th scope="col" class="num">{t.lower}</th>
              <th scope="col" class="num">{t.upper}</th>
            </tr>
          </thead>
          <tbody>
            {d.forecast.map((p) => (
              <tr key={p.date}>
                <td>{formatDate(p.date, lang)}</td>
                <td class="num">{formatQuote(code, p.rate, lang)}</td>
                <td class="num">{formatQuote(code, p.lower, lang)}</td>
                <td class="num">{formatQuote(code, p.upper, lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="small muted">
        {t.forecastNote} {t.asOf}: {formatDateTime(d.generated_at, lang)} ({formatDate(d.last_date, lang)} {formatQuote(code, d.last_rate, lang)})
      </p>
    </Card>
  );
}
