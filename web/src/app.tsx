import type { ComponentType } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Link, Route, Switch, useLocation } from 'wouter-preact';
import { HealthBanner } from './components/HealthBanner';
import { Loading } from './components/common';
import type { Lang } from './format';
import { messages } from './messages';
import { LangContext, initialLang, saveLang, useLang } from './state';
import Home from './pages/Home';

/** A screen loaded on demand (keeps the first screen's JavaScript small). */
function lazyPage<P extends object>(load: () => Promise<{ default: ComponentType<P> }>): ComponentType<P> {
  let cached: ComponentType<P> | null = null;
  return function LazyPage(props: P) {
    const [C, setC] = useState<ComponentType<P> | null>(() => cached);
    const [err, setErr] = useState<string | null>(null);
    useEffect(() => {
      if (C) return;
      load().then(
        (m) => {
          cached = m.default;
          setC(() => m.default);
        },
        (e: unknown) => setErr(String(e)),
      );
    }, []);
    if (err) return <p role="alert" class="error">{err}</p>;
    return C ? <C {...props} /> : <Loading />;
  };
}

const Currency = lazyPage<{ code: string }>(() => import('./pages/Currency'));
const Compare = lazyPage<object>(() => import('./pages/Compare'));
const RankingsPage = lazyPage<object>(() => import('./pages/Rankings'));
const Price = lazyPage<object>(() => import('./pages/Price'));

function NotFound() {
  const { t } = useLang();
  return (
    <section class="card" data-testid="not-found">
      <h1>{t.notFound}</h1>
      <p>{t.notFoundBody}</p>
      <p>
        <Link href="/">{t.goHome}</Link>
      </p>
    </section>
  );
}

function NavLink({ href, children }: { href: string; children: string }) {
  const [loc] = useLocation();
  const current = href === '/' ? loc === '/' : loc.startsWith(href);
  return (
    <Link href={href} aria-current={current ? 'page' : undefined} data-testid={`nav-${href === '/' ? 'home' : href.slice(1)}`}>
      {children}
    </Link>
  );
}

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const [loc] = useLocation();
  const ctx = useMemo(
    () => ({
      lang,
      t: messages[lang],
      setLang: (l: Lang) => {
        saveLang(l);
        setLangState(l);
      },
    }),
    [lang],
  );
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = `${messages[lang].appName} · Trip Currency Mesh`;
  }, [lang]);
  // A new screen: move to the top (focus stays with the link for keyboard users).
  useEffect(() => window.scrollTo(0, 0), [loc]);
  const t = ctx.t;
  return (
    <LangContext.Provider value={ctx}>
      <a class="skip" href="#main">
        {t.skip}
      </a>
      <header class="site">
        <div class="wrap bar">
          <Link href="/" class="brand">
            <img src="/favicon.svg" alt="" width={28} height={28} />
            <span>{t.appName}</span>
          </Link>
          <nav aria-label={lang === 'ko' ? '주요 화면' : 'Main'}>
            <ul>
              <li>
                <NavLink href="/">{t.navHome}</NavLink>
              </li>
              <li>
                <NavLink href="/compare">{t.navCompare}</NavLink>
              </li>
              <li>
                <NavLink href="/rankings">{t.navRankings}</NavLink>
              </li>
              <li>
                <NavLink href="/price">{t.navPrice}</NavLink>
              </li>
            </ul>
          </nav>
          <button
            type="button"
            class="btn lang"
            data-testid="lang-switch"
            lang={lang === 'ko' ? 'en' : 'ko'}
            aria-label={t.langSwitchLabel}
            onClick={() => ctx.setLang(lang === 'ko' ? 'en' : 'ko')}
          >
            {t.langSwitch}
          </button>
        </div>
      </header>
      <HealthBanner />
      <main id="main" class="wrap" tabIndex={-1}>
        <Switch>
          <Route path="/">{() => <Home />}</Route>
          <Route path="/currency/:code">{(p: { code: string }) => <Currency code={p.code.toUpperCase()} />}</Route>
          <Route path="/compare">{() => <Compare />}</Route>
          <Route path="/rankings">{() => <RankingsPage />}</Route>
          <Route path="/price">{() => <Price />}</Route>
          <Route>{() => <NotFound />}</Route>
        </Switch>
      </main>
      <footer class="wrap small muted">
        <p>Trip Currency Mesh · {lang === 'ko' ? '환율 자료: 각 화면에 출처와 기준 시각 표시' : 'Every figure shows its source and as-of time'}</p>
      </footer>
    </LangContext.Provider>
  );
}
