//! Idempotent seeding of a rate store from the shipped datasets.
//!
//! A dataset is recorded in `dataset_imports` with the SHA-256 of its bytes after it
//! has been loaded; the next start sees the same hash and skips it. A changed file is
//! loaded again, which is safe because every write is an upsert.

use std::time::{Duration, Instant};

use chrono::Utc;
use sha2::{Digest, Sha256};
use travel_domain::{Catalog, Observation};
use travel_storage::{DatasetImport, RateStore, StoreError};

use crate::{DatasetError, bigmac, ecb};

/// Observations per transaction: big enough to amortise commits, small enough to
/// report progress and keep the transaction short.
const BATCH: usize = 25_000;

const ECB_DATASET: &str = "ecb-eurofxref-hist";
const BIGMAC_DATASET: &str = "economist-bigmac-full";

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Progress of one dataset, for a visible start-up.
#[derive(Debug, Clone)]
pub struct SeedProgress {
    pub dataset: &'static str,
    pub done: u64,
    pub total: u64,
}

/// What seeding one dataset did.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub dataset: &'static str,
    pub rows: u64,
    /// True when the same content had been loaded before.
    pub already_loaded: bool,
    pub elapsed: Duration,
}

impl SeedReport {
    /// One log line: what was loaded, or that it was already there.
    pub fn log(&self) {
        if self.already_loaded {
            tracing::info!(dataset = self.dataset, "already loaded");
        } else {
            tracing::info!(
                dataset = self.dataset,
                rows = self.rows,
                elapsed_ms = self.elapsed.as_millis() as u64,
                "loaded"
            );
        }
    }
}

/// Progress as log lines, for the processes that seed (the all-in-one, `migrate --seed`).
pub fn log_progress(progress: SeedProgress) {
    tracing::info!(
        dataset = progress.dataset,
        done = progress.done,
        total = progress.total,
        "seeding {}: {}/{}",
        progress.dataset,
        progress.done,
        progress.total
    );
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn already_loaded(
    store: &dyn RateStore,
    dataset: &str,
    hash: &str,
) -> Result<bool, StoreError> {
    Ok(store
        .dataset_import(dataset)
        .await?
        .is_some_and(|import| import.sha256 == hash))
}

async fn mark_loaded(
    store: &dyn RateStore,
    dataset: &str,
    hash: String,
    rows: u64,
) -> Result<(), StoreError> {
    store
        .mark_dataset_imported(&DatasetImport {
            dataset: dataset.to_string(),
            sha256: hash,
            row_count: rows,
            imported_at: Utc::now(),
        })
        .await
}

/// Loads the ECB history and the Big Mac index unless already loaded.
pub async fn seed_shipped_data(
    store: &dyn RateStore,
    catalog: &Catalog,
    progress: &(dyn Fn(SeedProgress) + Send + Sync),
) -> Result<Vec<SeedReport>, SeedError> {
    let ecb = seed_ecb(store, progress).await?;
    let bigmac = seed_bigmac(store, catalog, progress).await?;
    Ok(vec![ecb, bigmac])
}

async fn seed_ecb(
    store: &dyn RateStore,
    progress: &(dyn Fn(SeedProgress) + Send + Sync),
) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    let hash = sha256(ecb::HISTORY_ZIP);
    if already_loaded(store, ECB_DATASET, &hash).await? {
        return Ok(SeedReport {
            dataset: "ECB reference rates",
            rows: 0,
            already_loaded: true,
            elapsed: started.elapsed(),
        });
    }
    let days = ecb::parse_csv(&ecb::unzip_history(ecb::HISTORY_ZIP)?)?;
    let mut observations: Vec<Observation> = days.iter().flat_map(ecb::krw_observations).collect();
    // One currency's days together: each batch then touches few, contiguous day ranges.
    observations.sort_by_key(|o| (o.currency, o.rate_date));
    let total = observations.len() as u64;
    let mut done = 0u64;
    for batch in observations.chunks(BATCH) {
        store.record_observations(batch).await?;
        done += batch.len() as u64;
        progress(SeedProgress {
            dataset: "ECB reference rates",
            done,
            total,
        });
    }
    mark_loaded(store, ECB_DATASET, hash, total).await?;
    Ok(SeedReport {
        dataset: "ECB reference rates",
        rows: total,
        already_loaded: false,
        elapsed: started.elapsed(),
    })
}

async fn seed_bigmac(
    store: &dyn RateStore,
    catalog: &Catalog,
    progress: &(dyn Fn(SeedProgress) + Send + Sync),
) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    let hash = sha256(bigmac::FULL_INDEX_CSV.as_bytes());
    if already_loaded(store, BIGMAC_DATASET, &hash).await? {
        return Ok(SeedReport {
            dataset: "Big Mac index",
            rows: 0,
            already_loaded: true,
            elapsed: started.elapsed(),
        });
    }
    let survey = bigmac::parse_csv(bigmac::FULL_INDEX_CSV, catalog)?;
    if !survey.skipped_countries.is_empty() {
        tracing::warn!(countries = ?survey.skipped_countries, "big mac rows of unknown countries skipped");
    }
    let rows = store.upsert_bigmac_prices(&survey.prices).await?;
    progress(SeedProgress {
        dataset: "Big Mac index",
        done: rows,
        total: rows,
    });
    mark_loaded(store, BIGMAC_DATASET, hash, rows).await?;
    Ok(SeedReport {
        dataset: "Big Mac index",
        rows,
        already_loaded: false,
        elapsed: started.elapsed(),
    })
}
