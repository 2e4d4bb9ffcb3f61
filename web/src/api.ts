// The REST API v1 of the same origin. Field names follow /work/shared/api-v1.md and the
// recorded examples in services/gateway/src/openapi/examples/.

export class ApiError extends Error {
  constructor(
    public code: string,
    message: string,
    public status: number,
    public details?: unknown,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  success: boolean;
  data?: T;
  error?: { code: string; message: string; details?: unknown };
  timestamp?: string;
}

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      ...init,
      headers: { Accept: 'application/json', ...(init?.headers ?? {}) },
    });
  } catch (e) {
    throw new ApiError('NETWORK_ERROR', e instanceof Error ? e.message : String(e), 0);
  }
  let body: Envelope<T> | null = null;
  try {
    body = (await res.json()) as Envelope<T>;
  } catch {
    body = null;
  }
  if (body && body.success && body.data !== undefined) return body.data;
  if (body && body.error) {
    throw new ApiError(body.error.code, body.error.message, res.status, body.error.details);
  }
  throw new ApiError('HTTP_' + res.status, `HTTP ${res.status} ${res.statusText}`.trim(), res.status);
}

export interface CatalogCurrency {
  currency_code: string;
  currency_name: string;
  currency_name_en: string;
  country_code: string;
  country_name: string;
  country_name_en: string;
  symbol: string;
  decimals: number;
  active: boolean;
}
export interface Catalog {
  count: number;
  currencies: CatalogCurrency[];
}

export interface CurrencyDetail extends CatalogCurrency {
  current_rate: number;
  tts: number | null;
  ttb: number | null;
  last_updated: string;
  rate_date?: string;
  source: string;
}

export interface HistoryPoint {
  date: string;
  rate: number;
  change: number | null;
  change_percent: number | null;
  volume: number;
}
export interface History {
  base: string;
  target: string;
  period: string;
  interval: string;
  start_date: string;
  end_date: string;
  data_points: number;
  results: HistoryPoint[];
  statistics: {
    average: number | null;
    min: number | null;
    max: number | null;
    volatility: number | null;
    trend: string;
    data_points: number;
  };
}

export interface HistoryStats {
  currency_pair: string;
  period: string;
  analysis_date: string;
  start_date: string;
  end_date: string;
  data_points: number;
  current_rate: number;
  statistics: {
    period_average: number | null;
    period_min: number | null;
    period_max: number | null;
    total_change: number | null;
    total_change_percent: number | null;
    volatility_index: number | null;
    trend_direction: string;
    support_level: number | null;
    resistance_level: number | null;
  };
  technical_indicators: {
    sma_20: number | null;
    sma_50: number | null;
    rsi: number | null;
    bollinger_upper: number | null;
    bollinger_lower: number | null;
  };
  monthly_breakdown: {
    month: string;
    average: number;
    min: number;
    max: number;
    change_percent: number | null;
    volatility: number | null;
  }[];
}

export interface Forecast {
  currency: string;
  base: string;
  method: string;
  generated_at: string;
  interval_level: number;
  last_date: string;
  last_rate: number;
  forecast: { date: string; rate: number; lower: number; upper: number }[];
}

export interface CompareCurrency {
  currency: string;
  current_rate: number;
  period_change_percent: number | null;
  volatility: number | null;
  performance_rank: number;
  sharpe_ratio: number | null;
}
export interface Compare {
  base: string;
  period: string;
  comparison_date: string;
  start_date: string;
  end_date: string;
  currencies: CompareCurrency[];
  correlation_matrix: Record<string, number | null>;
  portfolio_analysis: Record<string, string | null>;
}

export interface RankingEntry {
  rank: number;
  country_code: string;
  country_name: string;
  country_name_en?: string;
  score: number;
  percentage: number;
  change: 'UP' | 'DOWN' | 'SAME' | 'NEW';
  change_value: number | null;
  previous_rank: number | null;
}
export interface Rankings {
  period: string;
  period_start?: string;
  period_end?: string;
  total_selections: number;
  last_updated: string;
  ranking: RankingEntry[];
  pagination: {
    current_page: number;
    total_pages: number;
    has_next: boolean;
    has_previous: boolean;
    limit?: number;
    offset?: number;
    total_entries?: number;
  };
}

export interface CountryStats {
  country_code: string;
  country_name: string;
  country_name_en?: string;
  period: string;
  start_date: string;
  end_date: string;
  statistics: {
    total_selections: number;
    daily_average: number;
    peak_day: string | null;
    peak_selections: number;
    growth_rate: number | null;
  };
  daily_breakdown: { date: string; count: number; rank: number | null }[];
}

export interface PriceIndex {
  country_code: string;
  country_name: string;
  country_name_en?: string;
  base_country: string;
  base_country_name?: string;
  base_country_name_en?: string;
  indices: { bigmac_index: number | null; starbucks_index: number | null; composite_index: number | null };
  price_data: {
    bigmac_price_local?: number | null;
    bigmac_price_usd?: number | null;
    base_bigmac_price_usd?: number | null;
    base_bigmac_price_local?: number | null;
    local_currency?: string;
    base_currency?: string;
    dollar_exchange_rate?: number | null;
    survey_date?: string;
  };
  last_updated: string;
  data_source?: string;
}

export interface Health {
  status: 'healthy' | 'degraded' | 'unhealthy';
  services: Record<string, { status: string; response_time_ms?: number }>;
  dependencies?: Record<string, string>;
}

export interface SelectionResult {
  selection_id: string;
  message: string;
  selection_date?: string;
  recorded_at?: string;
}

const q = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(
    Object.entries(params)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => [k, String(v)]),
  ).toString();

export const endpoints = {
  catalog: () => '/api/v1/currencies',
  detail: (code: string) => `/api/v1/currencies/${encodeURIComponent(code)}`,
  history: (p: { target: string; period?: string; start?: string; end?: string; format?: string }) =>
    `/api/v1/history?${q({ base: 'KRW', interval: 'daily', ...p })}`,
  stats: (p: { target: string; period?: string; start?: string; end?: string }) =>
    `/api/v1/history/stats?${q({ base: 'KRW', ...p })}`,
  forecast: (code: string, days = 7) =>
    `/api/v1/history/forecast/${encodeURIComponent(code)}?${q({ days, base: 'KRW' })}`,
  compare: (targets: string[], period: string) =>
    `/api/v1/history/compare?${q({ targets: targets.join(','), period, base: 'KRW' })}`,
  rankings: (period: string, limit: number, offset = 0) =>
    `/api/v1/rankings?${q({ period, limit, offset })}`,
  countryStats: (cc: string, period: string) =>
    `/api/v1/rankings/stats/${encodeURIComponent(cc)}?${q({ period })}`,
  priceIndex: (country: string, base = 'KR') => `/api/v1/price-index?${q({ country, base_country: base })}`,
  selections: () => '/api/v1/rankings/selections',
  rateStream: (code: string) => `/api/v1/stream/rates?${q({ symbols: code })}`,
  alerts: () => '/api/v1/alerts',
  alert: (id: string) => `/api/v1/alerts/${encodeURIComponent(id)}`,
  alertEvents: (id: string, token: string) => `/api/v1/alerts/${encodeURIComponent(id)}/events?${q({ token })}`,
  health: () => '/health',
};

let catalogPromise: Promise<Catalog> | null = null;
/** The catalog is shared by every screen; fetched once per page load. */
export function getCatalog(): Promise<Catalog> {
  if (!catalogPromise) {
    catalogPromise = api<Catalog>(endpoints.catalog());
    catalogPromise.catch(() => {
      catalogPromise = null;
    });
  }
  return catalogPromise;
}

export function recordSelection(body: {
  user_id: string;
  country_code: string;
  session_id: string;
  referrer?: string;
}): Promise<SelectionResult> {
  return api<SelectionResult>(endpoints.selections(), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export type AlertCondition = 'below' | 'above' | 'change_percent';

export interface Alert {
  alert_id: string;
  currency: string;
  base: string;
  condition: AlertCondition;
  /** Per ONE unit of the currency (8.5 for "100엔 850원"), or a percentage. */
  threshold: number;
  reference_rate: number;
  state: 'active' | 'fired';
  created_at: string;
  expires_at: string;
  webhook_url: string | null;
  fired_at: string | null;
  fired_rate: number | null;
  fired_quote_at: string | null;
}

export interface CreatedAlert extends Alert {
  token: string;
  secret: string;
}

/** Sets an alert; with a token, the new alert is managed by that token too. */
export function createAlert(
  body: { currency: string; condition: AlertCondition; threshold: string },
  token: string | null,
): Promise<CreatedAlert> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  return api<CreatedAlert>(endpoints.alerts(), { method: 'POST', headers, body: JSON.stringify(body) });
}

export function deleteAlert(id: string, token: string): Promise<unknown> {
  return api<unknown>(endpoints.alert(id), { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
}
