//! Embedded SQLite adapter for the all-in-one: the DynamoDB layout as three tables.
//! The insert and its counter update share one transaction, so a counter is exactly
//! the number of stored selections of its day and country.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

use crate::{
    DayCount, RankingPeriod, Recorded, Result, Selection, SelectionStore, SelectionStoreConfig,
    SelectionStoreError, StoredRanking,
};

/// The schema, embedded (see `travel_storage::migrations`).
const MIGRATIONS: &[travel_storage::migrations::Embedded] =
    travel_storage::embedded_migrations!("migrations": "0001_selections.sql");

pub struct SqliteSelectionStore {
    pool: SqlitePool,
}

impl SqliteSelectionStore {
    /// Opens (creating if needed) the database file the URL names and applies the
    /// embedded migrations.
    pub async fn connect(config: &SelectionStoreConfig) -> Result<Self> {
        if let Some(parent) = sqlite_path(config.url.as_str()).and_then(|p| {
            std::path::Path::new(&p)
                .parent()
                .map(std::path::PathBuf::from)
        }) && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&parent).map_err(|e| {
                SelectionStoreError::Config(format!("creating {}: {e}", parent.display()))
            })?;
        }
        let options = SqliteConnectOptions::from_str(config.url.as_str())
            .map_err(|e| SelectionStoreError::Config(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .connect_with(options)
            .await?;
        let store = Self { pool };
        store.ensure_schema().await?;
        Ok(store)
    }

    /// Inserts one selection and bumps its counter inside `tx`; true when new.
    async fn insert(tx: &mut Transaction<'_, Sqlite>, selection: &Selection) -> Result<bool> {
        let date = selection.selection_date();
        let inserted = sqlx::query(
            "INSERT INTO selections (selection_date, selection_key, selection_id, user_id, \
             country_code, selected_at, session_id, referrer, ip_hash, user_agent_hash, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&date)
        .bind(selection.selection_key())
        .bind(&selection.selection_id)
        .bind(&selection.user_id)
        .bind(&selection.country_code)
        .bind(selection.selected_at.timestamp_micros())
        .bind(&selection.session_id)
        .bind(&selection.referrer)
        .bind(&selection.ip_hash)
        .bind(&selection.user_agent_hash)
        .bind(selection.expires_at.timestamp())
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1;
        if inserted {
            sqlx::query(
                "INSERT INTO selection_counts (selection_date, country_code, selection_count) \
                 VALUES (?, ?, 1) ON CONFLICT (selection_date, country_code) \
                 DO UPDATE SET selection_count = selection_count + 1",
            )
            .bind(&date)
            .bind(&selection.country_code)
            .execute(&mut **tx)
            .await?;
        }
        Ok(inserted)
    }

    /// Starts a transaction that takes the write lock at once, so concurrent writers
    /// queue on the busy timeout instead of failing on a lock upgrade.
    async fn begin_write(&self) -> Result<Transaction<'_, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

fn day(raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|e| SelectionStoreError::Corrupt(format!("selection_date={raw:?}: {e}")))
}

fn selection(row: &SqliteRow) -> Result<Selection> {
    let selected_at: i64 = row.try_get("selected_at")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    Ok(Selection {
        selection_id: row.try_get("selection_id")?,
        user_id: row.try_get("user_id")?,
        country_code: row.try_get("country_code")?,
        selected_at: DateTime::from_timestamp_micros(selected_at).ok_or_else(|| {
            SelectionStoreError::Corrupt(format!("selected_at={selected_at} is out of range"))
        })?,
        day: day(row.try_get("selection_date")?)?,
        session_id: row.try_get("session_id")?,
        referrer: row.try_get("referrer")?,
        ip_hash: row.try_get("ip_hash")?,
        user_agent_hash: row.try_get("user_agent_hash")?,
        expires_at: DateTime::from_timestamp(expires_at, 0).ok_or_else(|| {
            SelectionStoreError::Corrupt(format!("expires_at={expires_at} is out of range"))
        })?,
    })
}

#[async_trait]
impl SelectionStore for SqliteSelectionStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ensure_schema(&self) -> Result<()> {
        travel_storage::migrations::migrator(MIGRATIONS)
            .await?
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn record(&self, selection: &Selection) -> Result<Recorded> {
        let mut tx = self.begin_write().await?;
        let new = Self::insert(&mut tx, selection).await?;
        tx.commit().await?;
        Ok(if new {
            Recorded::New
        } else {
            Recorded::Duplicate
        })
    }

    async fn record_batch(&self, selections: &[Selection]) -> Result<u64> {
        let mut new = 0;
        // Bounded transactions keep the write lock short for concurrent single writes.
        for chunk in selections.chunks(1000) {
            let mut tx = self.begin_write().await?;
            for selection in chunk {
                new += u64::from(Self::insert(&mut tx, selection).await?);
            }
            tx.commit().await?;
        }
        Ok(new)
    }

    async fn day_counts(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayCount>> {
        let rows = sqlx::query(
            "SELECT selection_date, country_code, selection_count FROM selection_counts \
             WHERE selection_date BETWEEN ? AND ? AND selection_count > 0 \
             ORDER BY selection_date, country_code",
        )
        .bind(from.format("%Y-%m-%d").to_string())
        .bind(to.format("%Y-%m-%d").to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let count: i64 = row.try_get("selection_count")?;
                Ok(DayCount {
                    day: day(row.try_get("selection_date")?)?,
                    country_code: row.try_get("country_code")?,
                    count: u64::try_from(count).map_err(|_| {
                        SelectionStoreError::Corrupt(format!("selection_count={count}"))
                    })?,
                })
            })
            .collect()
    }

    async fn selections_for_country(
        &self,
        country_code: &str,
        from: NaiveDate,
        to: NaiveDate,
        limit: usize,
    ) -> Result<Vec<Selection>> {
        let rows = sqlx::query(
            "SELECT * FROM selections WHERE country_code = ? \
             AND selection_date BETWEEN ? AND ? \
             ORDER BY selection_date, selection_key LIMIT ?",
        )
        .bind(country_code)
        .bind(from.format("%Y-%m-%d").to_string())
        .bind(to.format("%Y-%m-%d").to_string())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(selection).collect()
    }

    async fn save_ranking(&self, ranking: &StoredRanking) -> Result<()> {
        let document = serde_json::to_string(ranking)
            .map_err(|e| SelectionStoreError::Backend(format!("encoding ranking: {e}")))?;
        sqlx::query(
            "INSERT INTO ranking_results (period, document, last_updated) VALUES (?, ?, ?) \
             ON CONFLICT (period) DO UPDATE SET document = excluded.document, \
             last_updated = excluded.last_updated",
        )
        .bind(ranking.period.as_str())
        .bind(document)
        .bind(ranking.last_updated.timestamp_micros())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn load_ranking(&self, period: RankingPeriod) -> Result<Option<StoredRanking>> {
        let row = sqlx::query("SELECT document FROM ranking_results WHERE period = ?")
            .bind(period.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let document: &str = row.try_get("document")?;
            serde_json::from_str(document).map_err(|e| {
                SelectionStoreError::Corrupt(format!("ranking document of {period:?}: {e}"))
            })
        })
        .transpose()
    }

    async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let deleted = sqlx::query("DELETE FROM selections WHERE expires_at <= ?")
            .bind(now.timestamp())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::migrate::Migrator;

    #[tokio::test]
    async fn the_embedded_schema_is_the_whole_folder() {
        let embedded = travel_storage::migrations::migrator(MIGRATIONS)
            .await
            .unwrap();
        let folder = Migrator::new(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations"
        )))
        .await
        .unwrap();
        let key = |m: &sqlx::migrate::Migration| (m.version, m.checksum.to_vec());
        assert_eq!(
            embedded.iter().map(key).collect::<Vec<_>>(),
            folder.iter().map(key).collect::<Vec<_>>()
        );
    }
}
