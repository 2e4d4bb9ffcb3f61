import { useEffect, useState } from 'preact/hooks';
import { ApiError, createAlert, deleteAlert, endpoints, type Alert } from '../api';
import { formatDateTime, formatQuote, thresholdPerOne, unitLabel } from '../format';
import { alertToken, saveAlerts, saveAlertToken, savedAlerts, useLang } from '../state';
import { Card } from './common';

type Direction = 'below' | 'above';

/** The rate in its display unit as plain digits ("849.13"), to edit. */
function shownRate(code: string, perOne: number): string {
  return formatQuote(code, perOne, 'en').replace(/,/g, '');
}

/** Sets a rate alert for `code` and shows this browser's alerts, live. */
export function AlertCard({ code, rate }: { code: string; rate: number }) {
  const { t, lang } = useLang();
  const unit = unitLabel(code, lang);
  const [direction, setDirection] = useState<Direction>('below');
  const [text, setText] = useState(() => shownRate(code, rate));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [ids, setIds] = useState<string[]>(savedAlerts);

  // A new destination starts from its current rate; a live rate change leaves what
  // the traveller typed alone.
  useEffect(() => {
    setText(shownRate(code, rate));
    setError(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [code]);

  const perOne = thresholdPerOne(code, text);
  const forget = (id: string) => {
    setIds((now) => {
      const next = now.filter((x) => x !== id);
      saveAlerts(next);
      return next;
    });
  };

  const submit = (e: Event) => {
    e.preventDefault();
    if (perOne === null) {
      setError(t.alertInvalid);
      return;
    }
    setBusy(true);
    setError(null);
    createAlert({ currency: code, condition: direction, threshold: perOne }, alertToken()).then(
      (created) => {
        if (!alertToken()) saveAlertToken(created.token);
        const next = [created.alert_id, ...ids.filter((x) => x !== created.alert_id)];
        saveAlerts(next);
        setIds(next);
        setBusy(false);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof ApiError ? err.message : String(err));
      },
    );
  };

  return (
    <Card title={t.alertTitle} id="alerts" testid="alert-card" class="alert-card">
      <form class="alert-form" onSubmit={submit}>
        <div class="field">
          <label for="alert-direction">{t.alertCondition(unit)}</label>
          <select
            id="alert-direction"
            data-testid="alert-direction"
            value={direction}
            onChange={(e) => setDirection((e.currentTarget as HTMLSelectElement).value as Direction)}
          >
            <option value="below">{t.alertBelow}</option>
            <option value="above">{t.alertAbove}</option>
          </select>
        </div>
        <div class="field">
          <label for="alert-threshold">{t.alertThreshold(unit)}</label>
          <input
            id="alert-threshold"
            data-testid="alert-threshold"
            type="text"
            inputMode="decimal"
            autocomplete="off"
            value={text}
            onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)}
            aria-invalid={perOne === null}
            aria-describedby="alert-preview"
          />
        </div>
        <button type="submit" class="btn" data-testid="alert-submit" disabled={busy}>
          {t.alertSet}
        </button>
      </form>
      <p id="alert-preview" class="small muted" data-testid="alert-preview">
        {perOne === null ? t.alertInvalid : t.alertSentence(unit, text.trim(), direction)}
      </p>
      {error && (
        <p class="notice bad" role="alert" data-testid="alert-error">
          {error}
        </p>
      )}
      {ids.length > 0 && (
        <ul class="alert-list" data-testid="alert-list">
          {ids.map((id) => (
            <AlertRow key={id} id={id} onGone={() => forget(id)} />
          ))}
        </ul>
      )}
    </Card>
  );
}

/** One alert, as its event stream tells it: waiting, then fired (announced). */
function AlertRow({ id, onGone }: { id: string; onGone: () => void }) {
  const { t, lang } = useLang();
  const [alert, setAlert] = useState<Alert | null>(null);
  const token = alertToken();

  useEffect(() => {
    if (!token || typeof EventSource === 'undefined') return;
    const source = new EventSource(endpoints.alertEvents(id, token));
    source.addEventListener('alert', (e) => {
      try {
        setAlert(JSON.parse((e as MessageEvent<string>).data) as Alert);
      } catch {
        /* the next event counts */
      }
    });
    // Nothing more will change: stop, or the browser would reconnect for the same.
    source.addEventListener('done', () => source.close());
    source.addEventListener('gone', () => {
      source.close();
      onGone();
    });
    source.addEventListener('error', () => {
      // Refused (expired, deleted, another token): the browser gives up on its own.
      if (source.readyState === EventSource.CLOSED) onGone();
    });
    return () => source.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, token]);

  if (!alert || !token) return null;
  const unit = unitLabel(alert.currency, lang);
  const direction: Direction = alert.condition === 'above' ? 'above' : 'below';
  const threshold = formatQuote(alert.currency, alert.threshold, lang);
  const cancel = () => {
    deleteAlert(id, token).then(onGone, onGone);
  };
  if (alert.state === 'fired' && alert.fired_rate !== null) {
    return (
      <li class="alert-row fired" role="alert" data-testid="alert-fired" data-alert={id}>
        <span aria-hidden="true">🔔 </span>
        {t.alertFired(
          unit,
          threshold,
          direction,
          formatQuote(alert.currency, alert.fired_rate, lang),
          formatDateTime(alert.fired_quote_at ?? alert.fired_at ?? '', lang),
        )}{' '}
        <button type="button" class="btn small" onClick={onGone}>
          {t.alertDismiss}
        </button>
      </li>
    );
  }
  return (
    <li class="alert-row" data-testid="alert-waiting" data-alert={id}>
      {t.alertWaiting(unit, threshold, direction)}{' '}
      <button type="button" class="btn small" onClick={cancel} data-testid="alert-cancel">
        {t.alertCancel}
      </button>
    </li>
  );
}
