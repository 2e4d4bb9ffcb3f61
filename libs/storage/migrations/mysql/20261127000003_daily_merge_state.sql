-- What merging new observations into a day's row needs without rereading the day:
-- the sources of the opening and closing observations (time ties go by source name)
-- and the sum of squared deviations from the mean (volatility). Rows written before
-- have NULLs and are recomputed from the history once, on their next change.
ALTER TABLE daily_exchange_rates
    ADD COLUMN open_source VARCHAR(16) NULL,
    ADD COLUMN close_source VARCHAR(16) NULL,
    ADD COLUMN m2 DOUBLE NULL;
