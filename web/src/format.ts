// All number/date formatting of the app in one place (unit-tested in format.test.ts).
// The API always speaks "KRW per ONE unit"; Korean banks quote JPY, IDR and VND per 100.

export type Lang = 'ko' | 'en';

export const SEOUL = 'Asia/Seoul';

/** Currencies quoted per 100 units in Korea (Korea Eximbank, banks). */
const PER_100 = new Set(['JPY', 'IDR', 'VND']);

export function quoteUnit(code: string): 1 | 100 {
  return PER_100.has(code.toUpperCase()) ? 100 : 1;
}

export function locale(lang: Lang): string {
  return lang === 'ko' ? 'ko-KR' : 'en-GB';
}

/** KRW per quote unit (per 100 for JPY/IDR/VND), from the API's per-one-unit rate. */
export function displayRate(code: string, perOne: number): number {
  return perOne * quoteUnit(code);
}

const nf = new Map<string, Intl.NumberFormat>();
function numberFormat(key: string, make: () => Intl.NumberFormat): Intl.NumberFormat {
  let f = nf.get(key);
  if (!f) {
    f = make();
    nf.set(key, f);
  }
  return f;
}

/** A KRW-per-unit rate: 2 decimals with separators, "1,335.27". */
export function formatRateNumber(value: number, lang: Lang): string {
  return numberFormat(`rate:${lang}`, () =>
    new Intl.NumberFormat(locale(lang), { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
  ).format(value);
}

/** Rate of a currency as Koreans quote it: "849.13" for JPY (per 100), "1,335.27" for USD. */
export function formatQuote(code: string, perOne: number, lang: Lang): string {
  return formatRateNumber(displayRate(code, perOne), lang);
}

const KO_UNIT: Record<string, string> = {
  JPY: '엔',
  IDR: '루피아',
  VND: '동',
  USD: '달러',
  EUR: '유로',
  CNY: '위안',
  GBP: '파운드',
};

/** "100엔" / "100 JPY" / "1달러" / "1 USD" / "1 CHF". */
export function unitLabel(code: string, lang: Lang): string {
  const n = quoteUnit(code);
  const ko = KO_UNIT[code];
  if (lang === 'ko' && ko) return `${n}${ko}`;
  return `${n} ${code}`;
}

/** "100엔 = 849.13원" / "100 JPY = 849.13 KRW". */
export function quoteSentence(code: string, perOne: number, lang: Lang): string {
  const r = formatQuote(code, perOne, lang);
  return lang === 'ko' ? `${unitLabel(code, lang)} = ${r}원` : `${unitLabel(code, lang)} = ${r} KRW`;
}

/** KRW amount, no decimals: "849,130원" (ko) / "₩849,130" (en). */
export function formatKrw(amount: number, lang: Lang): string {
  const n = numberFormat(`krw:${lang}`, () =>
    new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 0, minimumFractionDigits: 0 }),
  ).format(Math.round(amount));
  return lang === 'ko' ? `${n}원` : `₩${n}`;
}

/** KRW number alone (for an input field): "849,130". */
export function formatKrwPlain(amount: number, lang: Lang): string {
  return numberFormat(`krw:${lang}`, () =>
    new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 0, minimumFractionDigits: 0 }),
  ).format(Math.round(amount));
}

/** Minor units of a currency as Intl knows them (JPY 0, USD 2, KWD 3). */
export function minorUnits(code: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

/** A foreign amount in its own minor units: "¥10,000", "$100.00", "KWD 1.500". */
export function formatMoney(amount: number, code: string, lang: Lang): string {
  return numberFormat(`money:${lang}:${code}`, () => {
    try {
      return new Intl.NumberFormat(locale(lang), {
        style: 'currency',
        currency: code,
        currencyDisplay: 'narrowSymbol',
      });
    } catch {
      return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 2 });
    }
  }).format(amount);
}

/** A foreign amount without the symbol, for an input field, in the currency's minor units. */
export function formatMoneyPlain(amount: number, code: string, lang: Lang): string {
  const d = minorUnits(code);
  return numberFormat(`plain:${lang}:${d}`, () =>
    new Intl.NumberFormat(locale(lang), { minimumFractionDigits: 0, maximumFractionDigits: d }),
  ).format(amount);
}

/** Parse what a person typed: "10,000", "1 000", "12.5". NaN for nothing usable. */
export function parseAmount(text: string): number {
  const cleaned = text.replace(/[\s,_원₩]/g, '');
  if (cleaned === '' || !/^\d*\.?\d*$/.test(cleaned) || cleaned === '.') return NaN;
  return Number(cleaned);
}

/** foreign → KRW with the API's per-one-unit rate. */
export function foreignToKrw(amount: number, perOne: number): number {
  return amount * perOne;
}

/** KRW → foreign with the API's per-one-unit rate. */
export function krwToForeign(krw: number, perOne: number): number {
  return perOne > 0 ? krw / perOne : NaN;
}

/** Clamp a preferential rate given in percent to 0–100. */
export function clampPercent(p: number): number {
  if (!Number.isFinite(p)) return 0;
  return Math.min(100, Math.max(0, p));
}

/**
 * 환율우대: rate = base + (TTS − base) × (1 − preferential).
 * `preferentialPercent` is 0–100 (clamped). Returns KRW per ONE unit.
 */
export function preferentialRate(base: number, tts: number, preferentialPercent: number): number {
  const p = clampPercent(preferentialPercent) / 100;
  return base + (tts - base) * (1 - p);
}

/** Percent with sign: "+1.23%" / "−1.45%". */
export function formatPercent(value: number, lang: Lang, digits = 2, signed = true): string {
  const s = numberFormat(`pct:${lang}:${digits}:${signed}`, () =>
    new Intl.NumberFormat(locale(lang), {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      signDisplay: signed ? 'exceptZero' : 'auto',
    }),
  ).format(value);
  return `${s}%`;
}

export function formatNumber(value: number, lang: Lang, digits = 2): string {
  return numberFormat(`num:${lang}:${digits}`, () =>
    new Intl.NumberFormat(locale(lang), {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }),
  ).format(value);
}

/** An instant in Seoul time: "2026. 10. 31. 00:00 KST" / "31 Oct 2026, 00:00 KST". */
export function formatDateTime(iso: string, lang: Lang): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = new Intl.DateTimeFormat(locale(lang), {
    timeZone: SEOUL,
    year: 'numeric',
    month: lang === 'ko' ? 'numeric' : 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(d);
  return `${s} KST`;
}

/**
 * A calendar date ("2026-10-30", no time zone): "2026년 10월 30일" / "30 Oct 2026".
 * Formatted as the same calendar day, never shifted by a time zone.
 */
export function formatDate(date: string, lang: Lang, short = false): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!m) return date;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(locale(lang), {
    timeZone: 'UTC',
    year: short ? undefined : 'numeric',
    month: lang === 'ko' ? 'long' : 'short',
    day: 'numeric',
  }).format(d);
}

/** "2026-10" → "2026년 10월" / "Oct 2026". */
export function formatMonth(month: string, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})/.exec(month);
  if (!m) return month;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  return new Intl.DateTimeFormat(locale(lang), { timeZone: 'UTC', year: 'numeric', month: lang === 'ko' ? 'long' : 'short' }).format(d);
}

/** Whole days between an instant and now. */
export function ageDays(iso: string, now: number = Date.now()): number {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return NaN;
  return (now - t) / 86_400_000;
}

/** A quote is stale when older than this many days (weekends make 2 days normal-ish). */
export const STALE_AFTER_DAYS = 2;

export function isStale(iso: string, now: number = Date.now()): boolean {
  const a = ageDays(iso, now);
  return Number.isFinite(a) && a > STALE_AFTER_DAYS;
}

/** Flag emoji from an ISO 3166-1 alpha-2 code (EU works too). */
export function flag(countryCode: string): string {
  const cc = countryCode.toUpperCase();
  if (!/^[A-Z]{2}$/.test(cc)) return '';
  return String.fromCodePoint(...[...cc].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

/** "▲ 2", "▼ 1", "NEW", "–" from the API's change / change_value. */
export function rankChange(change: string, value: number | null | undefined): string {
  switch (change) {
    case 'UP':
      return `▲ ${Math.abs(value ?? 0)}`;
    case 'DOWN':
      return `▼ ${Math.abs(value ?? 0)}`;
    case 'NEW':
      return 'NEW';
    default:
      return '–';
  }
}

/**
 * A threshold typed in the display unit ("850" for 100엔) as the API's per-one-unit
 * decimal text ("8.5"); null when it is not a positive number.
 */
export function thresholdPerOne(code: string, text: string): string | null {
  const shown = parseAmount(text);
  if (!Number.isFinite(shown) || shown <= 0) return null;
  const fixed = (shown / quoteUnit(code)).toFixed(10);
  return fixed.replace(/\.?0+$/, '');
}
