import { describe, expect, it } from 'vitest';
import {
  clampPercent,
  displayRate,
  flag,
  foreignToKrw,
  formatDate,
  formatDateTime,
  formatKrw,
  formatMoney,
  formatMoneyPlain,
  formatQuote,
  thresholdPerOne,
  formatRateNumber,
  isStale,
  krwToForeign,
  minorUnits,
  parseAmount,
  preferentialRate,
  quoteSentence,
  quoteUnit,
  rankChange,
} from './format';

// Real values from services/gateway/src/openapi/examples/*.json
const JPY = 8.4913479053; // currency_detail / latest_rates: KRW per 1 JPY
const USD = 1335.2667382743;
const EUR = 1491.76;
const IDR = 0.0849; // a per-one-unit rate below 1 KRW

describe('per-100 quoting (JPY, IDR, VND)', () => {
  it('knows which currencies are quoted per 100', () => {
    expect(quoteUnit('JPY')).toBe(100);
    expect(quoteUnit('idr')).toBe(100);
    expect(quoteUnit('VND')).toBe(100);
    expect(quoteUnit('USD')).toBe(1);
    expect(quoteUnit('CNY')).toBe(1);
  });
  it('multiplies the per-one API rate by 100 for display', () => {
    expect(displayRate('JPY', JPY)).toBeCloseTo(849.13479053, 8);
    expect(formatQuote('JPY', JPY, 'ko')).toBe('849.13');
    expect(formatQuote('IDR', IDR, 'en')).toBe('8.49');
    expect(formatQuote('USD', USD, 'ko')).toBe('1,335.27');
    expect(formatQuote('EUR', EUR, 'en')).toBe('1,491.76');
  });
  it('writes the Korean bank sentence', () => {
    expect(quoteSentence('JPY', JPY, 'ko')).toBe('100엔 = 849.13원');
    expect(quoteSentence('JPY', JPY, 'en')).toBe('100 JPY = 849.13 KRW');
    expect(quoteSentence('USD', USD, 'ko')).toBe('1달러 = 1,335.27원');
    expect(quoteSentence('CHF', 1622.5364368066, 'en')).toBe('1 CHF = 1,622.54 KRW');
    expect(quoteSentence('VND', 0.0507, 'ko')).toBe('100동 = 5.07원');
  });
  it('rates use two decimals and separators', () => {
    expect(formatRateNumber(1380.5, 'ko')).toBe('1,380.50');
    expect(formatRateNumber(0.005, 'en')).toBe('0.01');
  });
});

describe('KRW amounts', () => {
  it('have no decimals and thousands separators', () => {
    expect(formatKrw(849130, 'ko')).toBe('849,130원');
    expect(formatKrw(849130, 'en')).toBe('₩849,130');
    expect(formatKrw(133526.67, 'ko')).toBe('133,527원');
    expect(formatKrw(0.4, 'en')).toBe('₩0');
  });
});

describe('converter, both ways, per-one API rate', () => {
  it('10,000 JPY costs 84,913 KRW (not 8,491,348)', () => {
    const krw = foreignToKrw(10000, JPY);
    expect(formatKrw(krw, 'ko')).toBe('84,913원');
  });
  it('100 USD is 133,527 KRW like GET /convert answers', () => {
    // convert.json: amount 100, result 133527.0
    expect(Math.round(foreignToKrw(100, USD))).toBe(133527);
  });
  it('KRW → foreign inverts the same rate', () => {
    expect(krwToForeign(84913.479053, JPY)).toBeCloseTo(10000, 6);
    expect(formatMoneyPlain(krwToForeign(100000, USD), 'USD', 'en')).toBe('74.89');
    expect(formatMoneyPlain(krwToForeign(100000, JPY), 'JPY', 'en')).toBe('11,777');
    expect(Number.isNaN(krwToForeign(1, 0))).toBe(true);
  });
});

describe('foreign amounts use their own minor units', () => {
  it('JPY 0, USD 2, KWD 3', () => {
    expect(minorUnits('JPY')).toBe(0);
    expect(minorUnits('USD')).toBe(2);
    expect(minorUnits('KWD')).toBe(3);
    expect(formatMoney(10000, 'JPY', 'en')).toBe('¥10,000');
    expect(formatMoney(100, 'USD', 'en')).toBe('$100.00');
    expect(formatMoney(1.5, 'KWD', 'en')).toBe('KWD\u00a01.500');
    expect(formatMoney(1234.5, 'EUR', 'ko')).toBe('€1,234.50');
  });
});

describe('parsing typed amounts', () => {
  it('accepts separators, rejects junk', () => {
    expect(parseAmount('10,000')).toBe(10000);
    expect(parseAmount(' 12.5 ')).toBe(12.5);
    expect(parseAmount('84,913원')).toBe(84913);
    expect(Number.isNaN(parseAmount(''))).toBe(true);
    expect(Number.isNaN(parseAmount('abc'))).toBe(true);
    expect(Number.isNaN(parseAmount('-5'))).toBe(true);
  });
});

describe('preferential rate (환율우대)', () => {
  const base = 1335.27;
  const tts = 1358.63;
  it('0 % pays TTS, 100 % pays the base rate', () => {
    expect(preferentialRate(base, tts, 0)).toBeCloseTo(tts, 10);
    expect(preferentialRate(base, tts, 100)).toBeCloseTo(base, 10);
  });
  it('90 % keeps a tenth of the spread', () => {
    expect(preferentialRate(base, tts, 90)).toBeCloseTo(1335.27 + 2.336, 9);
  });
  it('is clamped to 0–100 %', () => {
    expect(clampPercent(150)).toBe(100);
    expect(clampPercent(-3)).toBe(0);
    expect(clampPercent(Number.NaN)).toBe(0);
    expect(preferentialRate(base, tts, 250)).toBeCloseTo(base, 10);
    expect(preferentialRate(base, tts, -20)).toBeCloseTo(tts, 10);
  });
  it('works per one JPY and displays per 100', () => {
    const r = preferentialRate(8.4913, 8.6399, 50);
    expect(formatQuote('JPY', r, 'ko')).toBe('856.56');
  });
});

describe('dates and times', () => {
  it('shows instants in Seoul time', () => {
    // currency_detail.json last_updated: ECB 16:00 CET = 15:00 UTC = 00:00 KST next day
    expect(formatDateTime('2026-10-30T15:00:00Z', 'ko')).toBe('2026. 10. 31. 00:00 KST');
    expect(formatDateTime('2026-10-30T15:00:00Z', 'en')).toBe('31 Oct 2026, 00:00 KST');
  });
  it('keeps calendar dates on their day', () => {
    expect(formatDate('2026-10-30', 'ko')).toBe('2026년 10월 30일');
    expect(formatDate('2026-10-30', 'en')).toBe('30 Oct 2026');
    expect(formatDate('2026-01-01', 'en')).toBe('1 Jan 2026');
  });
  it('calls a quote older than two days stale', () => {
    const now = Date.parse('2026-12-03T06:10:57Z');
    expect(isStale('2026-10-30T15:00:00Z', now)).toBe(true);
    expect(isStale('2026-12-02T15:00:00Z', now)).toBe(false);
  });
});

describe('misc', () => {
  it('builds flag emoji from country codes', () => {
    expect(flag('JP')).toBe('🇯🇵');
    expect(flag('eu')).toBe('🇪🇺');
    expect(flag('X')).toBe('');
  });
  it('writes rank changes', () => {
    expect(rankChange('UP', 1)).toBe('▲ 1');
    expect(rankChange('DOWN', -1)).toBe('▼ 1');
    expect(rankChange('NEW', null)).toBe('NEW');
    expect(rankChange('SAME', 0)).toBe('–');
  });
});

describe('thresholdPerOne', () => {
  it('turns the display unit into the per-one-unit rate', () => {
    expect(thresholdPerOne('JPY', '850')).toBe('8.5');
    expect(thresholdPerOne('JPY', '849.5')).toBe('8.495');
    expect(thresholdPerOne('USD', '1,400')).toBe('1400');
    expect(thresholdPerOne('VND', '5.5')).toBe('0.055');
  });
  it('refuses what is not a positive number', () => {
    expect(thresholdPerOne('JPY', '')).toBeNull();
    expect(thresholdPerOne('JPY', '0')).toBeNull();
    expect(thresholdPerOne('JPY', 'abc')).toBeNull();
    expect(thresholdPerOne('JPY', '-5')).toBeNull();
  });
});
