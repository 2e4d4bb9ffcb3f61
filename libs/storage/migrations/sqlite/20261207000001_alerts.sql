-- Trip alerts and the outbox of their webhook deliveries (see the MySQL migration).
-- Decimals are canonical TEXT, times INTEGER microseconds; the levels are REAL, an
-- index re-checked exactly against the threshold.

CREATE TABLE alerts (
    alert_id TEXT NOT NULL PRIMARY KEY,
    token_hash TEXT NOT NULL,
    secret TEXT NOT NULL,
    currency_code TEXT NOT NULL,
    base_code TEXT NOT NULL,
    condition_kind TEXT NOT NULL,
    threshold TEXT NOT NULL,
    reference_rate TEXT NOT NULL,
    level_low REAL,
    level_high REAL,
    webhook_url TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    fired_at INTEGER,
    fired_rate TEXT,
    fired_quote_at INTEGER
);
CREATE INDEX ix_alerts_pair_low ON alerts (state, currency_code, base_code, level_low);
CREATE INDEX ix_alerts_pair_high ON alerts (state, currency_code, base_code, level_high);
CREATE INDEX ix_alerts_token ON alerts (token_hash, state);

CREATE TABLE alert_pairs (
    currency_code TEXT NOT NULL,
    base_code TEXT NOT NULL,
    last_created_at INTEGER NOT NULL,
    PRIMARY KEY (currency_code, base_code)
);
CREATE INDEX ix_alert_pairs_base ON alert_pairs (base_code);

CREATE TABLE alert_deliveries (
    alert_id TEXT NOT NULL PRIMARY KEY,
    url TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until INTEGER,
    delivered_at INTEGER,
    failed_at INTEGER,
    last_error TEXT
);
CREATE INDEX ix_deliveries_due ON alert_deliveries (delivered_at, failed_at, next_attempt_at);
