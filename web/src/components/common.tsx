import type { ComponentChildren } from 'preact';
import type { ApiError, CatalogCurrency } from '../api';
import type { Lang } from '../format';
import { useLang } from '../state';

/** An API error with its message — never a blank area. */
export function ErrorBox({ error, onRetry, testid }: { error: ApiError; onRetry?: () => void; testid?: string }) {
  const { t } = useLang();
  return (
    <div class="error" role="alert" data-testid={testid ?? 'api-error'}>
      <p>
        <strong>{t.errorPrefix}</strong>: <span data-testid="api-error-message">{error.message}</span>{' '}
        <code class="muted">{error.code}</code>
      </p>
      {onRetry && (
        <button type="button" class="btn small" onClick={onRetry}>
          {t.retry}
        </button>
      )}
    </div>
  );
}

export function Loading({ label }: { label?: string }) {
  const { t } = useLang();
  return (
    <p class="loading muted" role="status">
      {label ?? t.loading}
    </p>
  );
}

export function Card({
  title,
  children,
  id,
  testid,
  headingLevel = 2,
  class: cls,
}: {
  title?: ComponentChildren;
  children: ComponentChildren;
  id?: string;
  testid?: string;
  headingLevel?: 2 | 3;
  class?: string;
}) {
  const H = headingLevel === 2 ? 'h2' : 'h3';
  const hid = id ? `${id}-title` : undefined;
  return (
    <section class={`card ${cls ?? ''}`} id={id} aria-labelledby={title ? hid : undefined} data-testid={testid}>
      {title && <H id={hid}>{title}</H>}
      {children}
    </section>
  );
}

export function countryName(c: { country_name: string; country_name_en?: string }, lang: Lang): string {
  return lang === 'en' && c.country_name_en ? c.country_name_en : c.country_name;
}
export function currencyName(c: CatalogCurrency, lang: Lang): string {
  return lang === 'en' ? c.currency_name_en : c.currency_name;
}
