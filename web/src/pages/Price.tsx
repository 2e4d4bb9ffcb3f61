import { useEffect, useState } from 'preact/hooks';
import { endpoints, getCatalog, type Catalog, type PriceIndex } from '../api';
import { Card, ErrorBox, Loading, countryName } from '../components/common';
import { flag, formatDate, formatKrw, formatMoney, formatNumber } from '../format';
import { savedDestination, useApi, useLang } from '../state';

export default function Price() {
  const { t, lang } = useLang();
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [country, setCountry] = useState<string>('JP');
  useEffect(() => {
    getCatalog().then((c) => {
      setCatalog(c);
      const dest = c.currencies.find((x) => x.currency_code === savedDestination());
      if (dest && dest.country_code !== 'KR') setCountry(dest.country_code);
    }, () => undefined);
  }, []);
  const p = useApi<PriceIndex>(endpoints.priceIndex(country, 'KR'));
  const countries = catalog
    ? [...new Map(catalog.currencies.filter((c) => c.country_code !== 'KR').map((c) => [c.country_code, c])).values()].sort((a, b) =>
        countryName(a, lang).localeCompare(countryName(b, lang), lang === 'ko' ? 'ko' : 'en'),
      )
    : [];
  const d = p.data;
  const idx = d?.indices.bigmac_index ?? null;
  return (
    <div class="price">
      <h1>{t.priceTitle}</h1>
      <Card id="price-choose">
        <div class="field">
          <label for="price-country">{t.priceCountry}</label>
          <select id="price-country" data-testid="price-country" value={country} onChange={(e) => setCountry((e.currentTarget as HTMLSelectElement).value)}>
            {countries.length === 0 && <option value={country}>{country}</option>}
            {countries.map((c) => (
              <option key={c.country_code} value={c.country_code}>
                {flag(c.country_code)} {countryName(c, lang)}
              </option>
            ))}
          </select>
        </div>
      </Card>
      {p.error ? (
        <ErrorBox error={p.error} onRetry={p.reload} />
      ) : !d ? (
        <Loading />
      ) : (
        <Card title={`${flag(d.country_code)} ${countryName(d, lang)} · ${t.bigmacIndex}`} id="bigmac" testid="price-card">
          {idx === null ? (
            <p class="muted">{t.noIndex}</p>
          ) : (
            <>
              <p class="big-rate">
                <span class="value" data-testid="price-bigmac">{formatNumber(idx, lang, 2)}</span>
                <span class={`badge ${idx < 100 ? 'good' : 'warnb'}`}>{idx < 100 ? t.cheaper : t.pricier}</span>
              </p>
              <div class="meter" aria-hidden="true">
                <span class="meter-bar" style={{ width: `${Math.min(100, (idx / 200) * 100)}%` }} />
                <span class="meter-mid" />
              </div>
              <p>{t.bigmacExplain(countryName(d, lang), formatNumber(idx, lang, 2))}</p>
            </>
          )}
          <dl class="meta">
            {d.price_data.bigmac_price_local != null && d.price_data.local_currency && (
              <div>
                <dt>{t.bigmacLocal}</dt>
                <dd data-testid="price-local">{formatMoney(d.price_data.bigmac_price_local, d.price_data.local_currency, lang)}</dd>
              </div>
            )}
            {d.price_data.bigmac_price_usd != null && (
              <div>
                <dt>{t.bigmacUsd}</dt>
                <dd data-testid="price-usd">{formatMoney(d.price_data.bigmac_price_usd, 'USD', lang)}</dd>
              </div>
            )}
            {d.price_data.base_bigmac_price_local != null && (
              <div>
                <dt>{t.bigmacKr}</dt>
                <dd data-testid="price-kr">
                  {formatKrw(d.price_data.base_bigmac_price_local, lang)}
                  {d.price_data.base_bigmac_price_usd != null && ` (${formatMoney(d.price_data.base_bigmac_price_usd, 'USD', lang)})`}
                </dd>
              </div>
            )}
            <div>
              <dt>{t.surveyDate}</dt>
              <dd>
                <time dateTime={d.last_updated} data-testid="price-date">{formatDate(d.last_updated, lang)}</time>
              </dd>
            </div>
            {d.data_source && (
              <div>
                <dt>{t.dataSource}</dt>
                <dd>{d.data_source}</dd>
              </div>
            )}
          </dl>
        </Card>
      )}
    </div>
  );
}
