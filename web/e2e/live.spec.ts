import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { apiData, freshPage, ko2 } from './helpers';

// Runs against an all-in-one whose ingestion polls a local source every second
// (TRAVEL_WEB_LIVE_URL); the test publishes a recorded Korea Eximbank day into that
// source's folder (TRAVEL_WEB_LIVE_SOURCE_DIR) while the page is open. Skipped without
// them — or FAILS when TRAVEL_WEB_REQUIRE_LIVE=1 (make test-web).
const LIVE = process.env.TRAVEL_WEB_LIVE_URL?.replace(/\/$/, '');
const SOURCE_DIR = process.env.TRAVEL_WEB_LIVE_SOURCE_DIR;
const REQUIRED = process.env.TRAVEL_WEB_REQUIRE_LIVE === '1';
const RECORDED = new URL('../../libs/sources/tests/fixtures/koreaexim_20190314.json', import.meta.url);

test.describe('live rates and a trip alert', () => {
  test.use(LIVE ? { baseURL: LIVE } : {});

  test('the open page follows a new quote and shows the alert it fires', async ({ page, request }) => {
    if (!LIVE || !SOURCE_DIR) {
      if (REQUIRED) throw new Error('TRAVEL_WEB_LIVE_URL / TRAVEL_WEB_LIVE_SOURCE_DIR are not set but TRAVEL_WEB_REQUIRE_LIVE=1');
      test.skip(true, 'set TRAVEL_WEB_LIVE_URL and TRAVEL_WEB_LIVE_SOURCE_DIR (make test-web does)');
      return;
    }
    const before = await apiData(request, '/api/v1/currencies/JPY');
    expect(before.source).toBe('ECB');
    await freshPage(page, '/');
    await expect(page.getByTestId('rate-value')).toHaveText(ko2(before.current_rate * 100));
    await expect(page.getByTestId('live-badge')).toBeVisible();

    // "알림: 100엔이 900원 위로": typed in the unit the page shows, per 100 yen.
    const card = page.getByTestId('alert-card');
    await card.getByTestId('alert-direction').selectOption('above');
    await card.getByTestId('alert-threshold').fill('900');
    await expect(card.getByTestId('alert-preview')).toHaveText('알림: 100엔이 900원 위로');
    await card.getByTestId('alert-submit').click();
    await expect(card.getByTestId('alert-waiting')).toHaveText(/100엔이 900\.00원 위로 · 대기 중/);
    const created = await card.getByTestId('alert-waiting').getAttribute('data-alert');
    expect(created).toMatch(/^alt_[0-9a-f]{32}$/);

    // The traveller is converting 50,000엔 when the source publishes a day at
    // 1,019.45원 per 100엔: the page moves without a reload, and keeps what was typed.
    await page.getByTestId('convert-foreign').fill('50000');
    await card.getByTestId('alert-threshold').fill('1100');
    copyFileSync(RECORDED, join(SOURCE_DIR, 'kexim'));
    await expect(page.getByTestId('rate-value')).toHaveText('1,019.45', { timeout: 30_000 });
    await expect(page.getByTestId('rate-source')).toHaveText('KOREAEXIM');
    await expect(page.getByTestId('convert-foreign')).toHaveValue('50000');
    await expect(page.getByTestId('convert-krw')).toHaveValue('509,725');
    await expect(card.getByTestId('alert-threshold')).toHaveValue('1100');
    const fired = card.getByTestId('alert-fired');
    await expect(fired).toBeVisible({ timeout: 30_000 });
    await expect(fired).toContainText('100엔이 900.00원 위로 올라갔습니다: 1,019.45원');
    await expect(fired).toHaveAttribute('data-alert', created!);
    await page.screenshot({ path: 'test-results/alert-fired.png', fullPage: true });

    // A reload still shows it (the alert is remembered in this browser), then dismissed.
    await page.reload();
    await expect(card.getByTestId('alert-fired')).toBeVisible();
    await card.getByTestId('alert-fired').getByRole('button').click();
    await expect(card.getByTestId('alert-fired')).toHaveCount(0);
  });
});
