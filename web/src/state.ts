import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api';
import type { Lang } from './format';
import { messages, type Messages } from './messages';

const KEY_LANG = 'tcm.lang';
const KEY_DEST = 'tcm.destination';
const KEY_USER = 'tcm.user_id';
const KEY_SESSION = 'tcm.session_id';

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
