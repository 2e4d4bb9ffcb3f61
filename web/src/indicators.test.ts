import { describe, expect, it } from 'vitest';
import { bollinger, minusDays, rsi, sma } from './indicators';

describe('indicator series', () => {
  it('sma is the mean of the last n', () => {
    expect(sma([1, 2, 3, 4, 5], 3)).toEqual([null, null, 2, 3, 4]);
  });
  it('bollinger uses the population standard deviation', () => {
    const { upper, lower } = bollinger([1, 2, 3], 3, 2);
    const sd = Math.sqrt(2 / 3);
    expect(upper[2]).toBeCloseTo(2 + 2 * sd, 12);
    expect(lower[2]).toBeCloseTo(2 - 2 * sd, 12);
    expect(upper[1]).toBeNull();
  });
  it('rsi: 100 with no losses, 50 when flat, Wilder smoothing after the first 14', () => {
    const up = Array.from({ length: 16 }, (_, i) => i);
    expect(rsi(up)[14]).toBe(100);
    expect(rsi(Array(16).fill(5))[15]).toBe(50);
    // 14 changes alternating +1/-1 → avg gain 0.5 (7/14), avg loss 0.5 → RSI 50,
    // then a +2 change: gain (0.5·13+2)/14, loss 0.5·13/14.
    const r = [10];
    for (let i = 0; i < 14; i++) r.push(r[r.length - 1]! + (i % 2 === 0 ? 1 : -1));
    r.push(r[r.length - 1]! + 2);
    const s = rsi(r);
    expect(s[14]).toBeCloseTo(50, 12);
    const g = (0.5 * 13 + 2) / 14;
    const l = (0.5 * 13) / 14;
    expect(s[15]).toBeCloseTo(100 - 100 / (1 + g / l), 12);
    expect(s[13]).toBeNull();
  });
  it('minusDays crosses months', () => {
    expect(minusDays('2026-10-01', 120)).toBe('2026-06-03');
  });
});
