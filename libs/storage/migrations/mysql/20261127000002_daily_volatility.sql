-- Intraday volatility of a day's observations (coefficient of variation, percent);
-- NULL below two observations.
ALTER TABLE daily_exchange_rates ADD COLUMN volatility DOUBLE NULL;
