-- Initial schema for Aurora MySQL 8.0. Tests run it on MariaDB 10.11, so it sticks to
-- syntax both accept. Quotes are KRW per ONE unit, DECIMAL(24,10): 14 integer digits
-- and enough scale for VND/IDR (below 0.1 KRW per unit).

CREATE TABLE currencies (
    currency_code CHAR(3) NOT NULL,
    name_ko VARCHAR(64) NOT NULL,
    name_en VARCHAR(64) NOT NULL,
    country_code CHAR(2) NOT NULL,
    symbol VARCHAR(8) NOT NULL,
    decimals TINYINT UNSIGNED NOT NULL,
    active BOOLEAN NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (currency_code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Every observation of every source. (currency, source, recorded_at) identifies an
-- observation, so replays of the same event are no-ops.
CREATE TABLE exchange_rate_history (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    currency_code CHAR(3) NOT NULL,
    source VARCHAR(16) NOT NULL,
    recorded_at DATETIME(6) NOT NULL,
    rate_date DATE NOT NULL,
    mid DECIMAL(24, 10) NOT NULL,
    tts DECIMAL(24, 10) NULL,
    ttb DECIMAL(24, 10) NULL,
    raw_unit INT UNSIGNED NOT NULL DEFAULT 1,
    redistributable BOOLEAN NOT NULL DEFAULT TRUE,
    ingested_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_history_currency_source_time (currency_code, source, recorded_at),
    KEY ix_history_currency_time (currency_code, recorded_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The newest observation per currency: a one-row-per-currency read model kept in the
-- same transaction as the history, so "latest" never scans history.
CREATE TABLE latest_rates (
    currency_code CHAR(3) NOT NULL,
    source VARCHAR(16) NOT NULL,
    recorded_at DATETIME(6) NOT NULL,
    rate_date DATE NOT NULL,
    mid DECIMAL(24, 10) NOT NULL,
    tts DECIMAL(24, 10) NULL,
    ttb DECIMAL(24, 10) NULL,
    PRIMARY KEY (currency_code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- One row per currency and business day: open/close by observation time, high, low,
-- average (sum_rate / observation_count).
CREATE TABLE daily_exchange_rates (
    currency_code CHAR(3) NOT NULL,
    rate_date DATE NOT NULL,
    open_rate DECIMAL(24, 10) NOT NULL,
    close_rate DECIMAL(24, 10) NOT NULL,
    high_rate DECIMAL(24, 10) NOT NULL,
    low_rate DECIMAL(24, 10) NOT NULL,
    avg_rate DECIMAL(24, 10) NOT NULL,
    sum_rate DECIMAL(34, 10) NOT NULL,
    observation_count INT UNSIGNED NOT NULL,
    first_at DATETIME(6) NOT NULL,
    last_at DATETIME(6) NOT NULL,
    PRIMARY KEY (currency_code, rate_date)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Purchasing-power price indices, one row per index, country and survey date.
CREATE TABLE price_indices (
    index_name VARCHAR(16) NOT NULL,
    country_code CHAR(2) NOT NULL,
    survey_date DATE NOT NULL,
    currency_code CHAR(3) NOT NULL,
    local_price DECIMAL(24, 10) NOT NULL,
    dollar_ex DECIMAL(24, 10) NOT NULL,
    PRIMARY KEY (index_name, country_code, survey_date)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Which shipped dataset (by content hash) has been loaded, so seeding is idempotent.
CREATE TABLE dataset_imports (
    dataset VARCHAR(64) NOT NULL,
    sha256 CHAR(64) NOT NULL,
    row_count BIGINT UNSIGNED NOT NULL,
    imported_at DATETIME(6) NOT NULL,
    PRIMARY KEY (dataset)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
