//! Every component in one process, each on its own loopback port, talking real gRPC
//! to each other exactly as in the cluster, with the embedded storage defaults
//! (SQLite, in-memory cache) and the shipped datasets seeded on first start.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::task::JoinHandle;
use travel_dataset::SeedReport;
use travel_gateway::{Gateway, GatewayConfig, LocalServices};
use travel_runtime::grpc::{Listener, Local};
use travel_runtime::{ConfigError, Env, Shutdown};
use travel_wiring::{CommonSettings, open_backends};

/// The internal services listen on any free loopback port, for gRPC clients and for
/// the gateway when it does not call them in process.
const LOOPBACK: &str = "127.0.0.1:0";

/// Settings of the all-in-one: the shared ones plus each component's own.
#[derive(Debug, Clone)]
pub struct AllInOneConfig {
    pub common: CommonSettings,
    pub gateway: GatewayConfig,
    pub currency: travel_currency::CurrencyConfig,
    pub currency_addr: SocketAddr,
    pub history: travel_history::HistoryConfig,
    pub history_addr: SocketAddr,
    pub ranking: travel_ranking::RankingConfig,
    pub ranking_addr: SocketAddr,
    pub bus: travel_bus::BusConfig,
    pub processor: travel_processor::ProcessorConfig,
    pub ingestor: travel_ingestor::IngestorConfig,
    /// Interval of the ingestion loop; `None` turns it off (`TRAVEL_INGEST_EVERY=off`).
    pub ingest_every: Option<std::time::Duration>,
    /// Load the shipped datasets on start-up (skipped when already loaded).
    pub seed: bool,
    /// The gateway calls the services in process (`TRAVEL_IN_PROCESS_CALLS`); off,
    /// every call crosses loopback gRPC as in the cluster.
    pub in_process_calls: bool,
}

impl AllInOneConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = CommonSettings::from_env(env)?;
        Ok(Self {
            ranking: travel_ranking::RankingConfig::from_env(env, &common.data_dir)?,
            ranking_addr: travel_ranking::LISTEN.read_or(env, LOOPBACK)?,
            common,
            gateway: GatewayConfig::from_env(env, "127.0.0.1:8080")?,
            currency: travel_currency::CurrencyConfig::from_env(env)?,
            currency_addr: travel_currency::LISTEN.read_or(env, LOOPBACK)?,
            history: travel_history::HistoryConfig::from_env(env)?,
            history_addr: travel_history::LISTEN.read_or(env, LOOPBACK)?,
            bus: travel_bus::BusConfig::from_env(env)?,
            processor: travel_processor::ProcessorConfig::from_env(env)?,
            ingestor: travel_ingestor::IngestorConfig::from_env(env)?,
            ingest_every: env
                .interval_or_off("TRAVEL_INGEST_EVERY", std::time::Duration::from_secs(300))?,
            seed: env.bool("TRAVEL_SEED", true)?,
            in_process_calls: env.bool("TRAVEL_IN_PROCESS_CALLS", true)?,
        })
    }
}

/// A running all-in-one.
pub struct RunningApp {
    pub gateway_addr: SocketAddr,
    pub currency_addr: SocketAddr,
    pub history_addr: SocketAddr,
    pub ranking_addr: SocketAddr,
    pub seed_reports: Vec<SeedReport>,
    /// Time from `start` until every listener accepted connections.
    pub startup: Duration,
    shutdown: Shutdown,
    tasks: Vec<(&'static str, JoinHandle<anyhow::Result<()>>)>,
}

impl RunningApp {
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Waits until every component has stopped (after the shutdown signal fires).
    pub async fn wait(self) -> anyhow::Result<()> {
        for (name, task) in self.tasks {
            task.await
                .with_context(|| format!("{name} task panicked"))?
                .with_context(|| format!("{name} failed"))?;
        }
        Ok(())
    }

    /// Triggers shutdown and waits for every component to finish.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        self.wait().await
    }
}

/// Opens storage, seeds it, and starts every component. Returns once all listeners
/// are bound; the components run until the returned app's shutdown fires.
pub async fn start(config: AllInOneConfig, shutdown: Shutdown) -> anyhow::Result<RunningApp> {
    let started = Instant::now();
    let backends = open_backends(&config.common).await?;
    let seed_reports = if config.seed {
        travel_dataset::seed_shipped_data(
            backends.store.as_ref(),
            &backends.catalog,
            &travel_dataset::log_progress,
        )
        .await
        .context("seeding the shipped datasets")?
    } else {
        Vec::new()
    };
    let (store, cache, catalog) = (
        backends.store.clone(),
        backends.cache.clone(),
        backends.catalog.clone(),
    );

    // In one process the feed is an in-process broadcast (a memory cache URL): the
    // processor announces on it, the currency service's rate streams watch it.
    let feed = travel_wiring::connect_feed(&config.common.cache).await?;
    let mut tasks: Vec<(&'static str, JoinHandle<anyhow::Result<()>>)> = Vec::new();
    // The gateway calls the services in process; their ports still serve gRPC clients.
    let local = if config.in_process_calls {
        LocalServices {
            currency: Some(Local::default()),
            history: Some(Local::default()),
            ranking: Some(Local::default()),
        }
    } else {
        LocalServices::default()
    };
    let currency_tcp = travel_currency::LISTEN.bind(config.currency_addr).await?;
    let currency_addr = currency_tcp.local_addr()?;
    let currency_listener = Listener::new(currency_tcp, local.currency.clone());
    let (currency_backends, currency_feed, currency_config, currency_shutdown) = (
        backends.clone(),
        feed.clone(),
        config.currency.clone(),
        shutdown.child(),
    );
    tasks.push((
        "currency",
        tokio::spawn(async move {
            travel_currency::serve(
                currency_listener,
                currency_backends,
                currency_feed,
                &currency_config,
                currency_shutdown,
            )
            .await
            .map_err(anyhow::Error::from)
        }),
    ));

    let history_tcp = travel_history::LISTEN.bind(config.history_addr).await?;
    let history_addr = history_tcp.local_addr()?;
    let history_listener = Listener::new(history_tcp, local.history.clone());
    let (history_config, history_shutdown) = (config.history.clone(), shutdown.child());
    tasks.push((
        "history",
        tokio::spawn(async move {
            travel_history::serve(
                history_listener,
                backends,
                &history_config,
                history_shutdown,
            )
            .await
            .map_err(anyhow::Error::from)
        }),
    ));

    // Selections live in their own embedded store; one process always leads.
    let ranking_backends = travel_ranking::RankingBackends {
        store: travel_ranking::open_store(&config.ranking).await?,
        cache: cache.clone(),
        catalog,
        leadership: Arc::new(travel_leadership::AlwaysLeader),
    };
    let ranking_tcp = travel_ranking::LISTEN.bind(config.ranking_addr).await?;
    let ranking_addr = ranking_tcp.local_addr()?;
    let ranking_listener = Listener::new(ranking_tcp, local.ranking.clone());
    let (ranking_config, ranking_shutdown) = (config.ranking.clone(), shutdown.child());
    tasks.push((
        "ranking",
        tokio::spawn(async move {
            travel_ranking::serve(
                ranking_listener,
                ranking_backends,
                &ranking_config,
                ranking_shutdown,
            )
            .await
            .map_err(anyhow::Error::from)
        }),
    ));

    // The pipeline: the processor consumes what the ingestor loop publishes. Neither
    // delays start-up: unreachable sources only make the loop's runs fail.
    let bus = travel_bus::connect(&config.bus)?;
    let processor = travel_processor::Processor::new(
        bus.clone(),
        store.clone(),
        cache.clone(),
        config.processor.clone(),
    )
    .with_feed(feed);
    let processor_shutdown = shutdown.child();
    tasks.push((
        "processor",
        tokio::spawn(async move {
            processor
                .run(processor_shutdown)
                .await
                .map_err(anyhow::Error::from)
        }),
    ));
    if let Some(every) = config.ingest_every {
        bus.ensure_topics(&[&config.ingestor.topic]).await?;
        let ingestor = travel_ingestor::Ingestor::new(
            config.ingestor.clone(),
            bus.publisher()?,
            cache.clone(),
            Arc::new(travel_ingestor::SystemClock),
        );
        let ingest_shutdown = shutdown.child();
        tasks.push((
            "ingestor",
            tokio::spawn(async move {
                travel_ingestor::run_every(&ingestor, every, &ingest_shutdown).await;
                Ok(())
            }),
        ));
    }

    let mut gateway_config = config.gateway.clone();
    gateway_config.currency_url = format!("http://{currency_addr}");
    gateway_config.history_url = format!("http://{history_addr}");
    gateway_config.ranking_url = format!("http://{ranking_addr}");
    let gateway = Gateway::build(&gateway_config, cache.clone(), local)?;
    let gateway_listener = travel_gateway::LISTEN.bind(gateway_config.addr).await?;
    let gateway_addr = gateway_listener.local_addr()?;
    let gateway_shutdown = shutdown.child();
    tasks.push((
        "gateway",
        tokio::spawn(async move {
            gateway
                .serve(gateway_listener, gateway_shutdown)
                .await
                .map_err(anyhow::Error::from)
        }),
    ));

    Ok(RunningApp {
        gateway_addr,
        currency_addr,
        history_addr,
        ranking_addr,
        seed_reports,
        startup: started.elapsed(),
        shutdown,
        tasks,
    })
}
