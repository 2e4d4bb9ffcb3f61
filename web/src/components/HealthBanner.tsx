import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, endpoints, type Health } from '../api';
import { useLang } from '../state';

const POLL_MS = 30_000;

/** Polls GET /health every 30 s; a banner when data.status is not "healthy". */
export function HealthBanner() {
  const { t } = useLang();
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    let live = true;
    const poll = () =>
      api<Health>(endpoints.health()).then(
        (h) => {
          if (!live) return;
          setHealth(h);
          setError(null);
        },
        (e: unknown) => {
          if (!live) return;
          setError(e instanceof ApiError ? e : new ApiError('ERROR', String(e), 0));
        },
      );
    void poll();
    const id = window.setInterval(poll, POLL_MS);
    return () => {
      live = false;
      window.clearInterval(id);
    };
  }, []);

  if (error) {
    return (
      <div class="banner bad" role="alert" data-testid="degraded-banner" data-status="unreachable">
        {t.unhealthy} <span class="muted">({error.message})</span>
      </div>
    );
  }
  if (!health || health.status === 'healthy') return null;
  const affected = Object.entries(health.services ?? {})
    .filter(([, s]) => s.status !== 'healthy')
    .map(([name, s]) => `${name}: ${s.status}`);
  return (
    <div
      class={`banner ${health.status === 'unhealthy' ? 'bad' : 'warn'}`}
      role="alert"
      data-testid="degraded-banner"
      data-status={health.status}
    >
      {health.status === 'unhealthy' ? t.unhealthy : t.degraded}
      {affected.length > 0 && (
        <span class="muted">
          {' '}
          ({t.degradedServices}: {affected.join(', ')})
        </span>
      )}
    </div>
  );
}
