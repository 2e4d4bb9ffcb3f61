import { useMemo, useState } from 'preact/hooks';
import type { CatalogCurrency } from '../api';
import { flag } from '../format';
import { useLang } from '../state';
import { Loading, countryName, currencyName } from './common';

const POPULAR = ['JPY', 'USD', 'EUR', 'CNY', 'VND', 'THB', 'TWD', 'HKD'];
const MAX_RESULTS = 8;

function norm(s: string): string {
  return s.toLowerCase().normalize('NFC').replace(/\s+/g, ' ').trim();
}

export function matches(c: CatalogCurrency, query: string): boolean {
  const q = norm(query);
  if (!q) return true;
  return [c.currency_code, c.country_code, c.currency_name, c.currency_name_en, c.country_name, c.country_name_en]
    .map(norm)
    .some((f) => f.includes(q));
}

/** Search by country or currency (Korean or English); results are real buttons. */
export function DestinationSearch({
  currencies,
  selected,
  onChoose,
}: {
  currencies: CatalogCurrency[] | null;
  selected: string;
  onChoose: (c: CatalogCurrency) => void;
}) {
  const { t, lang } = useLang();
  const [query, setQuery] = useState('');
  const destinations = useMemo(() => (currencies ?? []).filter((c) => c.currency_code !== 'KRW' && c.active), [currencies]);
  const shown = useMemo(() => {
    if (!query.trim()) {
      return POPULAR.map((code) => destinations.find((c) => c.currency_code === code)).filter(
        (c): c is CatalogCurrency => !!c,
      );
    }
    return destinations.filter((c) => matches(c, query)).slice(0, MAX_RESULTS);
  }, [destinations, query]);

  return (
    <div class="search">
      <label for="dest-search">{t.searchLabel}</label>
      <input
        id="dest-search"
        type="search"
        data-testid="dest-search"
        autocomplete="off"
        placeholder={t.searchPlaceholder}
        value={query}
        onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
        aria-describedby="dest-results-title"
      />
      <p id="dest-results-title" class="small muted">
        {query.trim() ? t.searchResults : t.popular}
      </p>
      <div class="choices-slot">
      {currencies === null ? (
        <Loading />
      ) : shown.length === 0 ? (
        <p class="muted" role="status">
          {t.noMatch}
        </p>
      ) : (
        <ul class="choices" aria-labelledby="dest-results-title" data-testid="dest-choices">
          {shown.map((c) => (
            <li key={c.currency_code}>
              <button
                type="button"
                class="choice"
                data-testid="dest-choice"
                data-code={c.currency_code}
                aria-pressed={c.currency_code === selected}
                onClick={() => {
                  setQuery('');
                  onChoose(c);
                }}
              >
                <span class="flag" aria-hidden="true">
                  {flag(c.country_code)}
                </span>
                <span class="choice-name">{countryName(c, lang)}</span>
                <span class="choice-cur muted">
                  {currencyName(c, lang)} · {c.currency_code}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      </div>
    </div>
  );
}
