import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The gateway serves the built app and the API from one origin; in development and
// preview Vite proxies the API paths to it so the browser also sees a single origin.
const api = process.env.TRAVEL_API_URL ?? 'http://127.0.0.1:8080';
const proxy = {
  '/api': { target: api, changeOrigin: false },
  '/health': { target: api, changeOrigin: false },
  '/openapi.json': { target: api, changeOrigin: false },
};

// The policy the gateway sends; `vite preview` sends it too so the built app is checked under it.
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export default defineConfig({
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2020',
    // Keep the SVG favicon and every asset as a file: no data: URLs inlined into JS/CSS.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, proxy, headers: { 'Content-Security-Policy': CSP } },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
