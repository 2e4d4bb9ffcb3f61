import { useEffect, useMemo, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api, endpoints, getCatalog, type Catalog, type Compare as CompareData, type History } from '../api';
import { Card, ErrorBox, Loading } from '../components/common';
import { UChart } from '../components/UChart';
import { COLORS, axes, baseOptions } from '../chartTheme';
import { dayToX } from '../indicators';
import { formatDate, formatDateTime, formatNumber, formatPercent, formatQuote, unitLabel } from '../format';
import { useApi, useLang } from '../state';

const PERIODS = ['1w', '1m', '3m', '6m', '1y'] as const;

/** Background of a correlation cell: blue for +1, red for −1, white at 0. */
function heat(r: number): string {
  const a = Math.min(1, Math.abs(r));
  return r >= 0 ? `rgba(15, 94, 104, ${(a * 0.85).toFixed(3)})` : `rgba(185, 28, 28, ${(a * 0.85).toFixed(3)})`;
}

export default function Compare() {
  const { t, lang } = useLang();
  const [selected, setSelected] = useState<string[]>(['USD', 'JPY', 'EUR']);
  const [period, setPeriod] = useState<string>('1m');
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  useEffect(() => {
    getCatalog().then(setCatalog, () => undefined);
  }, []);
  const ok = selected.length >= 2 && selected.length <= 10;
  const cmp = useApi<CompareData>(ok ? endpoints.compare(selected, period) : null);

  // Normalised performance needs each currency's daily series over the same window.
  const [series, setSeries] = useState<Record<string, History> | null>(null);
  const [seriesErr, setSeriesErr] = useState<string | null>(null);
  const c = cmp.data;
  useEffect(() => {
    if (!c) return;
    let live = true;
    setSeries(null);
    setSeriesErr(null);
    Promise.all(
      c.currencies.map((x) => api<History>(endpoints.history({ target: x.currency, start: c.start_date, end: c.end_date }))),
    ).then(
      (hs) => live && setSeries(Object.fromEntries(hs.map((h) => [h.target, h]))),
      (e: unknown) => live && setSeriesErr(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [c]);

  const toggle = (code: string, on: boolean) =>
    setSelected((s) => (on ? (s.includes(code) ? s : [...s, code]) : s.filter((x) => x !== code)));

  const choices = catalog?.currencies.filter((x) => x.currency_code !== 'KRW' && x.active) ?? [];
  const nameOf = (code: string) => {
    const x = catalog?.currencies.find((y) => y.currency_code === code);
    return x ? (lang === 'ko' ? x.currency_name : x.currency_name_en) : code;
  };

  const chart = useMemo(() => {
    if (!series || !c) return null;
    const codes = c.currencies.map((x) => x.currency);
    const dates = [...new Set(codes.flatMap((k) => series[k]?.results.map((p) => p.date) ?? []))].sort();
    const data: (number | null)[][] = [dates.map(dayToX)];
    const uSeries: uPlot.Series[] = [{ label: t.date }];
    codes.forEach((k, i) => {
      const pts = series[k]?.results ?? [];
      const base = pts[0]?.rate;
      const m = new Map(pts.map((p) => [p.date, p.rate]));
      data.push(dates.map((d) => (base && m.has(d) ? (m.get(d)! / base) * 100 : null)));
      uSeries.push({ label: k, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { show: false }, value: (_u, v) => (v == null ? '–' : formatNumber(v, lang, 2)) });
    });
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      ...baseOptions(),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
      series: uSeries,
      axes: axes((v) => formatNumber(v, lang, 1), lang),
    };
    const last = codes.map((k) => {
      const col = data[codes.indexOf(k) + 1]!;
      const v = [...col].reverse().find((x) => x !== null);
      return `${k} ${v == null ? '–' : formatNumber(v, lang, 2)}`;
    });
    return { options, data: data as uPlot.AlignedData, last };
  }, [series, c, lang, t]);

  return (
    <div class="compare">
      <h1>{t.compareTitle}</h1>
      <Card title={t.compareChoose} id="cmp-choose">
        <div class="seg" role="group" aria-label={t.period}>
          {PERIODS.map((p) => (
            <button key={p} type="button" class="btn seg-btn" aria-pressed={period === p} data-testid={`cmp-period-${p}`} onClick={() => setPeriod(p)}>
              {{ '1w': t.p1w, '1m': t.p1m, '3m': t.p3m, '6m': t.p6m, '1y': t.p1y }[p]}
            </button>
          ))}
        </div>
        {catalog ? (
          <fieldset class="checks">
            <legend class="sr-only">{t.compareChoose}</legend>
            {choices.map((x) => (
              <label key={x.currency_code} class="check">
                <input
                  type="checkbox"
                  data-testid="cmp-check"
                  value={x.currency_code}
                  checked={selected.includes(x.currency_code)}
                  disabled={!selected.includes(x.currency_code) && selected.length >= 10}
                  onChange={(e) => toggle(x.currency_code, (e.currentTarget as HTMLInputElement).checked)}
                />
                <span class="code">{x.currency_code}</span> <span class="muted small">{lang === 'ko' ? x.currency_name : x.currency_name_en}</span>
              </label>
            ))}
          </fieldset>
        ) : (
          <Loading />
        )}
        {selected.length < 2 && <p role="status" class="stale">{t.compareNeed}</p>}
        {selected.length >= 10 && <p role="status" class="muted small">{t.compareMax}</p>}
      </Card>

      {cmp.error && <ErrorBox error={cmp.error} onRetry={cmp.reload} />}
      {ok && !c && !cmp.error && <Loading />}
      {c && (
        <>
          <Card title={t.performance} id="cmp-chart">
            {seriesErr ? (
              <p class="error" role="alert">{seriesErr}</p>
            ) : chart ? (
              <>
                <UChart options={chart.options} data={chart.data} label={`${t.performance}: ${formatDate(c.start_date, lang)} – ${formatDate(c.end_date, lang)}`} testid="compare-chart" />
                <p class="small muted" data-testid="compare-summary">
                  {formatDate(c.start_date, lang)} = 100 → {formatDate(c.end_date, lang)}: {chart.last.join(' · ')}
                </p>
              </>
            ) : (
              <Loading />
            )}
          </Card>

          <div class="grid">
            <div class="col">
              <Card title={t.compareTable} id="cmp-table">
                <div class="table-wrap">
                  <table data-testid="compare-table">
                    <caption class="small muted">
                      {formatDate(c.start_date, lang)} – {formatDate(c.end_date, lang)} · {t.asOf} {formatDateTime(c.comparison_date, lang)}
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">{t.rankCol}</th>
                        <th scope="col">{t.currency}</th>
                        <th scope="col" class="num">{t.currentRate}</th>
                        <th scope="col" class="num">{t.periodChange}</th>
                        <th scope="col" class="num">{t.volatility}</th>
                        <th scope="col" class="num">{t.sharpe}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...c.currencies]
                        .sort((a, b) => a.performance_rank - b.performance_rank)
                        .map((x) => (
                          <tr key={x.currency} data-testid="compare-row" data-code={x.currency}>
                            <td data-testid="cmp-rank">{x.performance_rank}</td>
                            <th scope="row">
                              {x.currency} <span class="muted small cell-sub">{nameOf(x.currency)}</span>
                            </th>
                            <td class="num" data-testid="cmp-rate">
                              {formatQuote(x.currency, x.current_rate, lang)} <span class="muted small">/{unitLabel(x.currency, lang)}</span>
                            </td>
                            <td class="num" data-testid="cmp-change">{x.period_change_percent === null ? '–' : formatPercent(x.period_change_percent, lang)}</td>
                            <td class="num" data-testid="cmp-vol">{x.volatility === null ? '–' : formatPercent(x.volatility, lang, 2, false)}</td>
                            <td class="num" data-testid="cmp-sharpe">{x.sharpe_ratio === null ? '–' : formatNumber(x.sharpe_ratio, lang, 2)}</td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                </div>
                <p class="small">
                  {t.best}: <strong>{c.portfolio_analysis.best_performer ?? '–'}</strong> · {t.worst}: <strong>{c.portfolio_analysis.worst_performer ?? '–'}</strong>
                </p>
              </Card>
            </div>
            <div class="col">
              <Card title={t.correlation} id="cmp-corr">
                <Heatmap c={c} />
              </Card>
            </div>
          </div>
        </>
      )}
    </div>
  );
}

function Heatmap({ c }: { c: CompareData }) {
  const { lang } = useLang();
  const codes = c.currencies.map((x) => x.currency);
  const corr = (a: string, b: string): number | null => {
    if (a === b) return 1;
    const v = c.correlation_matrix[`${a}_${b}`] ?? c.correlation_matrix[`${b}_${a}`];
    return v === undefined ? null : v;
  };
  return (
    <div class="table-wrap">
      <table class="heat" data-testid="correlation-table">
        <caption class="small muted">{lang === 'ko' ? '피어슨 상관계수 (−1 ~ 1)' : 'Pearson correlation (−1 to 1)'}</caption>
        <thead>
          <tr>
            <td />
            {codes.map((k) => (
              <th scope="col" key={k}>{k}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {codes.map((a) => (
            <tr key={a}>
              <th scope="row">{a}</th>
              {codes.map((b) => {
                const v = corr(a, b);
                const strong = v !== null && Math.abs(v) > 0.55;
                return (
                  <td
                    key={b}
                    class={`num ${strong ? 'on-dark' : ''}`}
                    data-pair={`${a}_${b}`}
                    style={v === null ? undefined : { backgroundColor: heat(v) }}
                  >
                    {v === null ? '–' : formatNumber(v, lang, 2)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
