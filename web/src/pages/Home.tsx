import { useEffect, useMemo, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import {
  ApiError,
  endpoints,
  getCatalog,
  recordSelection,
  type Catalog,
  type CatalogCurrency,
  type CurrencyDetail,
  type History,
  type Rankings,
} from '../api';
import { Card, ErrorBox, Loading, countryName } from '../components/common';
import { AlertCard } from '../components/AlertCard';
import { DestinationSearch } from '../components/DestinationSearch';
import { Sparkline } from '../components/Sparkline';
import {
  clampPercent,
  flag,
  foreignToKrw,
  formatDate,
  formatDateTime,
  formatKrw,
  formatKrwPlain,
  formatMoney,
  formatMoneyPlain,
  formatQuote,
  isStale,
  krwToForeign,
  parseAmount,
  preferentialRate,
  quoteUnit,
  rankChange,
  unitLabel,
  type Lang,
} from '../format';
import { saveDestination, savedDestination, sessionId, useApi, useLang, useRateStream, userId } from '../state';

export default function Home() {
  const { t, lang } = useLang();
  const [code, setCode] = useState(savedDestination);
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [catalogError, setCatalogError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    getCatalog().then(setCatalog, (e: unknown) =>
      setCatalogError(e instanceof ApiError ? e : new ApiError('ERROR', String(e), 0)),
    );
  }, []);

  const detail = useApi<CurrencyDetail>(endpoints.detail(code));
  const history = useApi<History>(endpoints.history({ target: code, period: '1m' }));
  const top = useApi<Rankings>(endpoints.rankings('daily', 5));
  // A new quote of the destination: read its detail again (rate, remittance rates,
  // source and time stay one consistent answer).
  const live = useRateStream(code, detail.reload);

  const choose = (c: CatalogCurrency) => {
    setCode(c.currency_code);
    saveDestination(c.currency_code);
    setNotice(null);
    const name = countryName(c, lang);
    recordSelection({
      user_id: userId(),
      country_code: c.country_code,
      session_id: sessionId(),
      referrer: 'web/home',
    }).then(
      () => {
        setNotice({ ok: true, text: t.selectionRecorded(name) });
        top.reload();
      },
      (e: unknown) => setNotice({ ok: false, text: `${t.selectionFailed}: ${e instanceof Error ? e.message : String(e)}` }),
    );
  };

  return (
    <div class="home">
      <Card title={t.destination} id="dest" class="dest-card">
        {catalogError && <ErrorBox error={catalogError} />}
        <DestinationSearch currencies={catalog ? catalog.currencies : catalogError ? [] : null} selected={code} onChoose={choose} />
        <p class={`notice ${notice && !notice.ok ? 'bad' : ''}`} role="status" aria-live="polite" data-testid="selection-notice">
          {notice?.text ?? ''}
        </p>
      </Card>

      <div class="grid">
        <div class="col">
          <RateCard detail={detail} code={code} lang={lang} live={live} />
          {detail.data && detail.data.currency_code === code ? (
            <>
              <Converter d={detail.data} />
              <AlertCard code={code} rate={detail.data.current_rate} />
            </>
          ) : (
            <Card title={t.converter} id="converter" class="conv-card">
              {detail.error ? <ErrorBox error={detail.error} /> : <Loading />}
            </Card>
          )}
        </div>
        <div class="col">
          <Card title={t.spark} id="spark" class="spark-card">
            {history.error ? (
              <ErrorBox error={history.error} onRetry={history.reload} />
            ) : history.data ? (
              <Sparkline points={history.data.results} code={code} lang={lang} />
            ) : (
              <Loading />
            )}
            <p>
              <Link href={`/currency/${code}`} class="more">
                {t.detailsLink} →
              </Link>
            </p>
          </Card>
          <TopDestinations top={top} />
        </div>
      </div>
    </div>
  );
}

function RateCard({
  detail,
  code,
  lang,
  live,
}: {
  detail: ReturnType<typeof useApi<CurrencyDetail>>;
  code: string;
  lang: Lang;
  live: boolean;
}) {
  const { t } = useLang();
  const d = detail.data;
  if (detail.error) {
    return (
      <Card title={t.rateTitle(code)} id="rate" class="rate-card">
        <ErrorBox error={detail.error} onRetry={detail.reload} />
      </Card>
    );
  }
  if (!d || d.currency_code !== code) {
    return (
      <Card title={t.rateTitle(code)} id="rate" class="rate-card">
        <Loading />
      </Card>
    );
  }
  const stale = isStale(d.last_updated);
  const rateDate = d.rate_date ?? d.last_updated.slice(0, 10);
  return (
    <Card
      title={
        <>
          <span aria-hidden="true">{flag(d.country_code)} </span>
          {t.rateTitle(lang === 'ko' ? d.currency_name : d.currency_name_en)}
        </>
      }
      id="rate"
      testid="rate-card"
      class="rate-card"
    >
      <p class="big-rate">
        <span class="unit" data-testid="rate-unit">
          {unitLabel(d.currency_code, lang)} =
        </span>{' '}
        <span class="value" data-testid="rate-value">
          {formatQuote(d.currency_code, d.current_rate, lang)}
        </span>
        <span class="krw">{lang === 'ko' ? '원' : ' KRW'}</span>
      </p>
      <p class="small muted">
        {t.midRate}
        {live && (
          <span class="live" title={t.liveTitle} data-testid="live-badge">
            {' '}
            ● {t.live}
          </span>
        )}
      </p>
      <dl class="meta">
        <div>
          <dt>{t.asOf}</dt>
          <dd>
            <time dateTime={d.last_updated} data-testid="rate-asof">
              {formatDateTime(d.last_updated, lang)}
            </time>
          </dd>
        </div>
        <div>
          <dt>{t.source}</dt>
          <dd data-testid="rate-source">{d.source}</dd>
        </div>
      </dl>
      {stale && (
        <p class="stale" role="note" data-testid="rate-stale">
          {t.stale(d.source, formatDate(rateDate, lang))}
        </p>
      )}
      {d.tts !== null || d.ttb !== null ? (
        <dl class="meta remit">
          {d.tts !== null && (
            <div>
              <dt>{t.tts}</dt>
              <dd data-testid="tts">{formatQuote(d.currency_code, d.tts, lang)}</dd>
            </div>
          )}
          {d.ttb !== null && (
            <div>
              <dt>{t.ttb}</dt>
              <dd data-testid="ttb">{formatQuote(d.currency_code, d.ttb, lang)}</dd>
            </div>
          )}
        </dl>
      ) : (
        <p class="small muted" data-testid="no-tts">
          {t.noTts(d.source)}
        </p>
      )}
    </Card>
  );
}

function defaultForeign(code: string): number {
  return quoteUnit(code) === 100 ? 10000 : 100;
}

function Converter({ d }: { d: CurrencyDetail }) {
  const { t, lang } = useLang();
  const code = d.currency_code;
  const rate = d.current_rate;
  const [foreignText, setForeignText] = useState(() => formatMoneyPlain(defaultForeign(code), code, lang));
  const [krwText, setKrwText] = useState(() => formatKrwPlain(foreignToKrw(defaultForeign(code), rate), lang));
  const [edited, setEdited] = useState<'foreign' | 'krw'>('foreign');
  const [prefText, setPrefText] = useState('90');

  // A new destination: start again from the default foreign amount.
  useEffect(() => {
    const a = defaultForeign(code);
    setForeignText(formatMoneyPlain(a, code, lang));
    setKrwText(formatKrwPlain(foreignToKrw(a, rate), lang));
    setEdited('foreign');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [code]);

  // A new rate (the live stream): keep what the traveller typed, convert it again.
  useEffect(() => {
    if (edited === 'foreign') {
      const a = parseAmount(foreignText);
      if (Number.isFinite(a)) setKrwText(formatKrwPlain(foreignToKrw(a, rate), lang));
    } else {
      const a = parseAmount(krwText);
      if (Number.isFinite(a)) setForeignText(formatMoneyPlain(krwToForeign(a, rate), code, lang));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rate]);

  const foreign = parseAmount(foreignText);
  const krw = parseAmount(krwText);
  const foreignAmount = edited === 'foreign' ? foreign : krwToForeign(krw, rate);

  const onForeign = (v: string) => {
    setForeignText(v);
    setEdited('foreign');
    const a = parseAmount(v);
    setKrwText(Number.isFinite(a) ? formatKrwPlain(foreignToKrw(a, rate), lang) : '');
  };
  const onKrw = (v: string) => {
    setKrwText(v);
    setEdited('krw');
    const a = parseAmount(v);
    setForeignText(Number.isFinite(a) ? formatMoneyPlain(krwToForeign(a, rate), code, lang) : '');
  };

  const pref = parseAmount(prefText);
  const prefValid = Number.isFinite(pref) && pref >= 0 && pref <= 100;
  const prefPerOne = d.tts !== null ? preferentialRate(rate, d.tts, clampPercent(pref)) : null;
  const invalid = edited === 'foreign' ? !Number.isFinite(foreign) : !Number.isFinite(krw);

  return (
    <>
      <Card title={t.converter} id="converter" testid="converter" class="conv-card">
        <div class="conv">
          <div class="field">
            <label for="conv-foreign">{t.foreignAmount(code)}</label>
            <input
              id="conv-foreign"
              data-testid="convert-foreign"
              type="text"
              inputMode="decimal"
              autocomplete="off"
              value={foreignText}
              onInput={(e) => onForeign((e.currentTarget as HTMLInputElement).value)}
              aria-invalid={edited === 'foreign' && invalid}
            />
          </div>
          <span class="swap" aria-hidden="true">
            ⇄
          </span>
          <div class="field">
            <label for="conv-krw">{t.krwAmount}</label>
            <input
              id="conv-krw"
              data-testid="convert-krw"
              type="text"
              inputMode="numeric"
              autocomplete="off"
              value={krwText}
              onInput={(e) => onKrw((e.currentTarget as HTMLInputElement).value)}
              aria-invalid={edited === 'krw' && invalid}
            />
          </div>
        </div>
        <p class="result" aria-live="polite" data-testid="convert-result">
          {invalid
            ? t.invalidAmount
            : `${formatMoney(foreignAmount, code, lang)} = ${formatKrw(foreignToKrw(foreignAmount, rate), lang)}`}
        </p>
        <p class="small muted">
          {t.converterNote(d.source)} {t.asOf}: {formatDateTime(d.last_updated, lang)}
        </p>
      </Card>
      {prefPerOne !== null && d.tts !== null && (
        <Card title={t.prefTitle} id="pref" testid="pref-card">
          <div class="field narrow">
            <label for="pref-input">{t.prefLabel}</label>
            <input
              id="pref-input"
              data-testid="pref-input"
              type="number"
              min={0}
              max={100}
              step={1}
              value={prefText}
              onInput={(e) => setPrefText((e.currentTarget as HTMLInputElement).value)}
              aria-describedby="pref-help"
            />
          </div>
          <p id="pref-help" class="small muted">
            {t.prefHelp}
            {!prefValid && ` (0–100 %)`}
          </p>
          <dl class="meta">
            <div>
              <dt>
                {t.prefRate} ({unitLabel(code, lang)})
              </dt>
              <dd data-testid="pref-rate">{formatQuote(code, prefPerOne, lang)}</dd>
            </div>
            <div>
              <dt>{t.prefCost(Number.isFinite(foreignAmount) ? formatMoney(foreignAmount, code, lang) : '–')}</dt>
              <dd data-testid="pref-cost">
                {Number.isFinite(foreignAmount) ? formatKrw(foreignAmount * prefPerOne, lang) : '–'}
              </dd>
            </div>
          </dl>
        </Card>
      )}
    </>
  );
}

function TopDestinations({ top }: { top: ReturnType<typeof useApi<Rankings>> }) {
  const { t, lang } = useLang();
  const body = useMemo(() => {
    if (top.error) return <ErrorBox error={top.error} onRetry={top.reload} testid="top-error" />;
    if (!top.data) return <Loading />;
    const r = top.data;
    if (r.ranking.length === 0) return <p class="muted">{t.noRanking}</p>;
    return (
      <>
        <ol class="top" data-testid="top-list">
          {r.ranking.map((e) => (
            <li key={e.country_code} data-testid="top-row" data-cc={e.country_code}>
              <span class="rank">{e.rank}</span>
              <span class="flag" aria-hidden="true">
                {flag(e.country_code)}
              </span>
              <span class="name">{countryName(e, lang)}</span>
              <span class="score" data-testid="top-score">
                {t.selections(e.score)}
              </span>
              <span class={`chg ${e.change.toLowerCase()}`}>{rankChange(e.change, e.change_value)}</span>
            </li>
          ))}
        </ol>
        <p class="small muted">
          {t.lastUpdated}: {formatDateTime(r.last_updated, lang)}
        </p>
      </>
    );
  }, [top.data, top.error, lang, t]);
  return (
    <Card title={t.topToday} id="top" testid="top-destinations" class="top-card">
      {body}
      <p>
        <Link href="/rankings" class="more">
          {t.seeAll} →
        </Link>
      </p>
    </Card>
  );
}
