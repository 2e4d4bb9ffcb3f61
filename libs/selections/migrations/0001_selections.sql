-- Raw selections, keyed like the DynamoDB table: the local day and
-- "<RFC 3339 micros timestamp>#<user id>", which makes a retried write a no-op.
CREATE TABLE selections (
    selection_date      TEXT    NOT NULL,
    selection_key       TEXT    NOT NULL,
    selection_id        TEXT    NOT NULL,
    user_id             TEXT    NOT NULL,
    country_code        TEXT    NOT NULL,
    selected_at         INTEGER NOT NULL, -- unix microseconds, UTC
    session_id          TEXT,
    referrer            TEXT,
    ip_hash             TEXT,
    user_agent_hash     TEXT,
    expires_at          INTEGER NOT NULL, -- unix seconds; purged after this
    PRIMARY KEY (selection_date, selection_key)
) WITHOUT ROWID;

-- The GSI country-date-index of the DynamoDB layout.
CREATE INDEX selections_country_date ON selections (country_code, selection_date);
CREATE INDEX selections_expiry ON selections (expires_at);

-- Per-day per-country counters, maintained in the same transaction as the insert.
CREATE TABLE selection_counts (
    selection_date  TEXT    NOT NULL,
    country_code    TEXT    NOT NULL,
    selection_count INTEGER NOT NULL,
    PRIMARY KEY (selection_date, country_code)
) WITHOUT ROWID;

-- The latest calculated ranking of each period, as a JSON document.
CREATE TABLE ranking_results (
    period       TEXT    NOT NULL PRIMARY KEY,
    document     TEXT    NOT NULL,
    last_updated INTEGER NOT NULL
);
