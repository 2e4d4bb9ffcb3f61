import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { api, ApiError, endpoints } from './api';
import type { Lang } from './format';
import { messages, type Messages } from './messages';

const KEY_LANG = 'tcm.lang';
const KEY_DEST = 'tcm.destination';
const KEY_USER = 'tcm.user_id';
const KEY_SESSION = 'tcm.session_id';
const KEY_ALERT_TOKEN = 'tcm.alert_token';
const KEY_ALERTS = 'tcm.alerts';

function storageGet(s: Storage | undefined, k: string): string | null {
  try {
    return s?.getItem(k) ?? null;
  } catch {
    return null;
  }
}
function storageSet(s: Storage | undefined, k: string, v: string): void {
  try {
    s?.setItem(k, v);
  } catch {
    /* private mode: keep it in memory only */
  }
}
const local = () => (typeof localStorage === 'undefined' ? undefined : localStorage);
const session = () => (typeof sessionStorage === 'undefined' ? undefined : sessionStorage);

function randomId(): string {
  if (typeof crypto !== 'undefined' && 'randomUUID' in crypto) return crypto.randomUUID();
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

export function initialLang(): Lang {
  return storageGet(local(), KEY_LANG) === 'en' ? 'en' : 'ko';
}
export function saveLang(l: Lang): void {
  storageSet(local(), KEY_LANG, l);
}
export function savedDestination(): string {
  const v = storageGet(local(), KEY_DEST);
  return v && /^[A-Z]{3}$/.test(v) ? v : 'JPY';
}
export function saveDestination(code: string): void {
  storageSet(local(), KEY_DEST, code);
}
export function userId(): string {
  let v = storageGet(local(), KEY_USER);
  if (!v) {
    v = randomId();
    storageSet(local(), KEY_USER, v);
  }
  return v;
}
export function sessionId(): string {
  let v = storageGet(session(), KEY_SESSION);
  if (!v) {
    v = randomId();
    storageSet(session(), KEY_SESSION, v);
  }
  return v;
}

/** The token that manages this browser's alerts (the first creation returns it). */
export function alertToken(): string | null {
  return storageGet(local(), KEY_ALERT_TOKEN);
}
export function saveAlertToken(token: string): void {
  storageSet(local(), KEY_ALERT_TOKEN, token);
}
/** The ids of this browser's alerts, newest first. */
export function savedAlerts(): string[] {
  try {
    const v: unknown = JSON.parse(storageGet(local(), KEY_ALERTS) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
export function saveAlerts(ids: string[]): void {
  storageSet(local(), KEY_ALERTS, JSON.stringify(ids.slice(0, 20)));
}

/**
 * Calls `onChange` whenever the rate stream reports a new quote of `code`; `live` says
 * whether the stream is open. EventSource reconnects on its own after a drop.
 */
export function useRateStream(code: string, onChange: () => void): boolean {
  const [live, setLive] = useState(false);
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource(endpoints.rateStream(code));
    source.addEventListener('open', () => setLive(true));
    source.addEventListener('error', () => setLive(false));
    source.addEventListener('rates', (e) => {
      try {
        const data = JSON.parse((e as MessageEvent<string>).data) as { rates?: Record<string, number> };
        if (data.rates && code in data.rates) onChange();
      } catch {
        /* a malformed event: the next one counts */
      }
    });
    return () => {
      source.close();
      setLive(false);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [code]);
  return live;
}

export interface LangCtx {
  lang: Lang;
  t: Messages;
  setLang: (l: Lang) => void;
}
export const LangContext = createContext<LangCtx>({
  lang: 'ko',
  t: messages.ko,
  setLang: () => undefined,
});
export const useLang = () => useContext(LangContext);

export interface Loadable<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** GET an API path; a null path loads nothing. Keeps the previous data while reloading. */
export function useApi<T>(path: string | null): Loadable<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({
    data: null,
    error: null,
    loading: path !== null,
  });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    if (path === null) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    api<T>(path).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (e: unknown) =>
        live &&
        setState({
          data: null,
          error: e instanceof ApiError ? e : new ApiError('ERROR', String(e), 0),
          loading: false,
        }),
    );
    return () => {
      live = false;
    };
  }, [path, nonce]);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}
