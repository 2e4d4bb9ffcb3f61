import { expect, type APIRequestContext, type Page } from '@playwright/test';

export const BASE = (process.env.TRAVEL_WEB_URL ?? 'http://127.0.0.1:5173').replace(/\/$/, '');
/** A gateway whose store holds TTS/TTB (see app.spec.ts); the main one otherwise. */
export const REMITTANCE = (process.env.TRAVEL_WEB_REMITTANCE_URL ?? BASE).replace(/\/$/, '');

/** GET an API path (same base URL as the page) and return `data` of the envelope. */
export async function apiData<T = any>(request: APIRequestContext, path: string): Promise<T> {
  const res = await request.get(path);
  const body = await res.json();
  expect(body.success, `${path}: ${JSON.stringify(body.error)}`).toBe(true);
  return body.data as T;
}

/** Independent formatting for the assertions (not the app's format module). */
export const ko2 = (n: number) => new Intl.NumberFormat('ko-KR', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
export const en2 = (n: number) => new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
export const koInt = (n: number) => new Intl.NumberFormat('ko-KR', { maximumFractionDigits: 0 }).format(Math.round(n));
export const signedPct = (n: number) =>
  new Intl.NumberFormat('ko-KR', { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' }).format(n) + '%';

/** Fresh start: Korean, default destination, no remembered state. */
export async function freshPage(page: Page, path = '/'): Promise<void> {
  await page.addInitScript(() => {
    if (!sessionStorage.getItem('__e2e_init')) {
      localStorage.clear();
      sessionStorage.setItem('__e2e_init', '1');
    }
  });
  await page.goto(path);
}

/**
 * The detail of a currency whose source publishes TTS/TTB: `make test-web` has the
 * all-in-one ingest a recorded Korea Eximbank answer (JPY, USD, EUR, … — not GBP).
 */
export async function remittance(request: APIRequestContext, code: string) {
  const d = await apiData(request, `/api/v1/currencies/${code}`);
  expect(d.tts, `${code}: no TTS — was the recorded Korea Eximbank answer ingested?`).not.toBeNull();
  expect(d.ttb).not.toBeNull();
  return d as typeof d & { tts: number; ttb: number };
}

/** Recalculate the daily ranking now (the operator action); false when refused. */
export async function recalcDaily(request: APIRequestContext): Promise<boolean> {
  const key = process.env.TRAVEL_API_KEY;
  const res = await request.post('/api/v1/rankings/calculate?period=daily', {
    headers: key ? { Authorization: `Bearer ${key}` } : {},
  });
  return res.ok();
}

export async function dailyScore(request: APIRequestContext, cc: string): Promise<number> {
  const d = await apiData(request, '/api/v1/rankings?period=daily&limit=100&offset=0');
  const e = d.ranking.find((x: any) => x.country_code === cc);
  return e ? e.score : 0;
}

export async function todayCount(request: APIRequestContext, cc: string): Promise<number> {
  const d = await apiData(request, `/api/v1/rankings/stats/${cc}?period=7d`);
  const last = d.daily_breakdown[d.daily_breakdown.length - 1];
  return last ? last.count : 0;
}
