-- Embedded schema, the same tables as the MySQL one. SQLite has no exact decimal
-- type, so quotes are stored as canonical decimal TEXT and parsed into rust_decimal;
-- timestamps are INTEGER microseconds since the epoch (UTC) so they order correctly;
-- dates are TEXT 'YYYY-MM-DD'.

CREATE TABLE currencies (
    currency_code TEXT NOT NULL PRIMARY KEY,
    name_ko TEXT NOT NULL,
    name_en TEXT NOT NULL,
    country_code TEXT NOT NULL,
    symbol TEXT NOT NULL,
    decimals INTEGER NOT NULL,
    active INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE exchange_rate_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    currency_code TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    rate_date TEXT NOT NULL,
    mid TEXT NOT NULL,
    tts TEXT,
    ttb TEXT,
    raw_unit INTEGER NOT NULL DEFAULT 1,
    redistributable INTEGER NOT NULL DEFAULT 1,
    ingested_at INTEGER NOT NULL,
    CONSTRAINT uk_history_currency_source_time UNIQUE (currency_code, source, recorded_at)
);
CREATE INDEX ix_history_currency_time ON exchange_rate_history (currency_code, recorded_at);

CREATE TABLE latest_rates (
    currency_code TEXT NOT NULL PRIMARY KEY,
    source TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    rate_date TEXT NOT NULL,
    mid TEXT NOT NULL,
    tts TEXT,
    ttb TEXT
);

CREATE TABLE daily_exchange_rates (
    currency_code TEXT NOT NULL,
    rate_date TEXT NOT NULL,
    open_rate TEXT NOT NULL,
    close_rate TEXT NOT NULL,
    high_rate TEXT NOT NULL,
    low_rate TEXT NOT NULL,
    avg_rate TEXT NOT NULL,
    sum_rate TEXT NOT NULL,
    observation_count INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (currency_code, rate_date)
);

CREATE TABLE price_indices (
    index_name TEXT NOT NULL,
    country_code TEXT NOT NULL,
    survey_date TEXT NOT NULL,
    currency_code TEXT NOT NULL,
    local_price TEXT NOT NULL,
    dollar_ex TEXT NOT NULL,
    PRIMARY KEY (index_name, country_code, survey_date)
);

CREATE TABLE dataset_imports (
    dataset TEXT NOT NULL PRIMARY KEY,
    sha256 TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
);
