-- Trip alerts and the outbox of their webhook deliveries. An alert fires once: the
-- firing is a conditional update (state = 'active'), and the delivery row is written
-- in the same transaction, so a crash between firing and delivering loses nothing.
-- level_low/level_high narrow the search of a quote change to the alerts it may
-- cross (DOUBLE: an index, re-checked exactly against the DECIMAL threshold).

CREATE TABLE alerts (
    alert_id VARCHAR(40) NOT NULL,
    token_hash CHAR(64) NOT NULL,
    secret VARCHAR(80) NOT NULL,
    currency_code CHAR(3) NOT NULL,
    base_code CHAR(3) NOT NULL,
    condition_kind VARCHAR(16) NOT NULL,
    threshold DECIMAL(24, 10) NOT NULL,
    reference_rate DECIMAL(24, 10) NOT NULL,
    level_low DOUBLE NULL,
    level_high DOUBLE NULL,
    webhook_url VARCHAR(2048) NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    state VARCHAR(8) NOT NULL,
    fired_at DATETIME(6) NULL,
    fired_rate DECIMAL(24, 10) NULL,
    fired_quote_at DATETIME(6) NULL,
    PRIMARY KEY (alert_id),
    KEY ix_alerts_pair_low (state, currency_code, base_code, level_low),
    KEY ix_alerts_pair_high (state, currency_code, base_code, level_high),
    KEY ix_alerts_token (token_hash, state)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The (currency, base) pairs alerts were ever set on: what a quote change must look
-- at, read without scanning the alerts themselves (a handful of rows).
CREATE TABLE alert_pairs (
    currency_code CHAR(3) NOT NULL,
    base_code CHAR(3) NOT NULL,
    last_created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (currency_code, base_code),
    KEY ix_alert_pairs_base (base_code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE alert_deliveries (
    alert_id VARCHAR(40) NOT NULL,
    url VARCHAR(2048) NOT NULL,
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6) NOT NULL,
    claimed_until DATETIME(6) NULL,
    delivered_at DATETIME(6) NULL,
    failed_at DATETIME(6) NULL,
    last_error VARCHAR(512) NULL,
    PRIMARY KEY (alert_id),
    KEY ix_deliveries_due (delivered_at, failed_at, next_attempt_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
