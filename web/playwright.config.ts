import { defineConfig } from '@playwright/test';

// Debian's Chromium; no browser download (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1).
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const baseURL = (process.env.TRAVEL_WEB_URL ?? 'http://127.0.0.1:5173').replace(/\/$/, '');

export default defineConfig({
  testDir: './e2e',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  // Without TRAVEL_WEB_URL the Vite dev server (proxying the API on :8080) is started.
  webServer: process.env.TRAVEL_WEB_URL
    ? undefined
    : { command: 'npx vite --strictPort', url: 'http://127.0.0.1:5173/', reuseExistingServer: true, timeout: 30_000 },
  use: {
    baseURL,
    browserName: 'chromium',
    headless: true,
    locale: 'ko-KR',
    timezoneId: 'Asia/Seoul',
    launchOptions: { executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
    trace: 'off',
    screenshot: 'off',
  },
});
