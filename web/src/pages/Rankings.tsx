import { useState } from 'preact/hooks';
import { endpoints, type CountryStats, type RankingEntry, type Rankings as RankingsData } from '../api';
import { Card, ErrorBox, Loading, countryName } from '../components/common';
import { flag, formatDate, formatDateTime, formatNumber, formatPercent, rankChange } from '../format';
import { useApi, useLang } from '../state';

const PERIODS = ['daily', 'weekly', 'monthly'] as const;
const LIMIT = 10;

export default function Rankings() {
  const { t, lang } = useLang();
  const [period, setPeriod] = useState<(typeof PERIODS)[number]>('daily');
  const [offset, setOffset] = useState(0);
  const [country, setCountry] = useState<RankingEntry | null>(null);
  const r = useApi<RankingsData>(endpoints.rankings(period, LIMIT, offset));
  const label = { daily: t.daily, weekly: t.weekly, monthly: t.monthly_ };

  return (
    <div class="rankings">
      <h1>{t.rankingsTitle}</h1>
      <div class="tabs" role="group" aria-label={t.period}>
        {PERIODS.map((p) => (
          <button
            key={p}
            type="button"
            class="btn seg-btn"
            aria-pressed={period === p}
            data-testid={`tab-${p}`}
            onClick={() => {
              setPeriod(p);
              setOffset(0);
            }}
          >
            {label[p]}
          </button>
        ))}
      </div>
      <div class="grid">
        <div class="col">
          <Card title={label[period]} id="ranking" testid="ranking-card">
            {r.error ? (
              <ErrorBox error={r.error} onRetry={r.reload} />
            ) : !r.data ? (
              <Loading />
            ) : (
              <>
                <p class="small muted">
                  {r.data.period_start && r.data.period_end && `${formatDate(r.data.period_start, lang)} – ${formatDate(r.data.period_end, lang)} · `}
                  <span data-testid="ranking-total">{t.totalSel(r.data.total_selections)}</span> · {t.lastUpdated}{' '}
                  {formatDateTime(r.data.last_updated, lang)}
                </p>
                {r.data.ranking.length === 0 ? (
                  <p class="muted" data-testid="ranking-empty">{t.noRanking}</p>
                ) : (
                  <div class="table-wrap">
                    <table data-testid="ranking-table">
                      <caption class="sr-only">{t.rankingsTitle}</caption>
                      <thead>
                        <tr>
                          <th scope="col">#</th>
                          <th scope="col">{t.country}</th>
                          <th scope="col" class="num">{t.score}</th>
                          <th scope="col" class="num">{t.share}</th>
                          <th scope="col" class="num">{t.rankChange}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {r.data.ranking.map((e) => (
                          <tr key={e.country_code} data-testid="ranking-row" data-cc={e.country_code}>
                            <td data-testid="ranking-rank">{e.rank}</td>
                            <th scope="row">
                              <button
                                type="button"
                                class="linkish"
                                aria-label={t.showStats(countryName(e, lang))}
                                aria-expanded={country?.country_code === e.country_code}
                                onClick={() => setCountry(e)}
                              >
                                <span aria-hidden="true">{flag(e.country_code)} </span>
                                <span data-testid="ranking-name">{countryName(e, lang)}</span>
                              </button>
                            </th>
                            <td class="num" data-testid="ranking-score">{e.score}</td>
                            <td class="num">{formatPercent(e.percentage, lang, 2, false)}</td>
                            <td class={`num chg ${e.change.toLowerCase()}`} data-testid="ranking-change">
                              {rankChange(e.change, e.change_value)}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
                <nav class="pager" aria-label={lang === 'ko' ? '페이지' : 'Pages'}>
                  <button type="button" class="btn" disabled={!r.data.pagination.has_previous} onClick={() => setOffset(Math.max(0, offset - LIMIT))} data-testid="page-prev">
                    ← {t.prev}
                  </button>
                  <span data-testid="page-info">{t.page(r.data.pagination.current_page, Math.max(1, r.data.pagination.total_pages))}</span>
                  <button type="button" class="btn" disabled={!r.data.pagination.has_next} onClick={() => setOffset(offset + LIMIT)} data-testid="page-next">
                    {t.next} →
                  </button>
                </nav>
              </>
            )}
          </Card>
        </div>
        <div class="col">{country && <CountryStatsCard e={country} onClose={() => setCountry(null)} />}</div>
      </div>
    </div>
  );
}

function CountryStatsCard({ e, onClose }: { e: RankingEntry; onClose: () => void }) {
  const { t, lang } = useLang();
  const [period, setPeriod] = useState<'7d' | '30d' | '90d'>('7d');
  const s = useApi<CountryStats>(endpoints.countryStats(e.country_code, period));
  const name = countryName(e, lang);
  const d = s.data;
  const maxCount = d ? Math.max(1, ...d.daily_breakdown.map((x) => x.count)) : 1;
  return (
    <Card title={t.countryStats(name)} id="country-stats" testid="country-stats">
      <div class="seg" role="group" aria-label={t.statsPeriod}>
        {(['7d', '30d', '90d'] as const).map((p) => (
          <button key={p} type="button" class="btn seg-btn" aria-pressed={period === p} onClick={() => setPeriod(p)} data-testid={`stats-${p}`}>
            {{ '7d': t.d7, '30d': t.d30, '90d': t.d90 }[p]}
          </button>
        ))}
      </div>
      {s.error ? (
        <ErrorBox error={s.error} onRetry={s.reload} />
      ) : !d ? (
        <Loading />
      ) : (
        <>
          <p class="small muted">
            {formatDate(d.start_date, lang)} – {formatDate(d.end_date, lang)}
          </p>
          <dl class="stats">
            <div>
              <dt>{t.total}</dt>
              <dd data-testid="cs-total">{d.statistics.total_selections}</dd>
            </div>
            <div>
              <dt>{t.dailyAvg}</dt>
              <dd data-testid="cs-avg">{formatNumber(d.statistics.daily_average, lang, 2)}</dd>
            </div>
            <div>
              <dt>{t.peakDay}</dt>
              <dd data-testid="cs-peak">
                {d.statistics.peak_day ? `${formatDate(d.statistics.peak_day, lang)} (${d.statistics.peak_selections})` : '–'}
              </dd>
            </div>
            <div>
              <dt>{t.growth}</dt>
              <dd data-testid="cs-growth">{d.statistics.growth_rate === null ? '–' : formatPercent(d.statistics.growth_rate, lang)}</dd>
            </div>
          </dl>
          <div class="table-wrap">
            <table class="bars" data-testid="cs-daily">
              <caption>{t.dailyCounts}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.date}</th>
                  <th scope="col" class="num">{t.count}</th>
                  <th scope="col"><span class="sr-only">bar</span></th>
                </tr>
              </thead>
              <tbody>
                {d.daily_breakdown.map((x) => (
                  <tr key={x.date}>
                    <td>{formatDate(x.date, lang, true)}</td>
                    <td class="num">{x.count}</td>
                    <td class="bar-cell" aria-hidden="true">
                      <span class="cbar" style={{ width: `${(x.count / maxCount) * 100}%` }} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <button type="button" class="btn" onClick={onClose}>
        {t.close}
      </button>
    </Card>
  );
}
