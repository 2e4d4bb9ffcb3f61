//! Trip alerts (`travel.alerts.v1.AlertService`): created, read and deleted with
//! their token, watched as a stream; an evaluator fires them on quote changes
//! (`evaluate`) and a worker delivers their webhooks from the outbox (`deliver`).

mod deliver;
mod evaluate;
mod request;
mod tokens;
pub mod webhook;

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::Stream;
use tokio::sync::Notify;
use tonic::{Request, Response, Status};
use travel_cache::Cache;
use travel_domain::alert::{Alert, AlertState};
use travel_domain::quote::cross_rate;
use travel_domain::{ApiError, ErrorCode};
use travel_proto::alerts::v1 as pb;
use travel_proto::alerts::v1::alert_service_server::AlertService;
use travel_proto::common::v1::Decimal as ProtoDecimal;
use travel_runtime::Shutdown;
use travel_runtime::config::same_secret;
use travel_runtime::status::{respond, to_status};
use travel_storage::{DeliveryState, RateStore, StoredAlert};
use travel_wiring::budget::Limit;

use crate::api::{CurrencyApi, timestamp};
use crate::config::AlertSettings;

pub use deliver::deliver_webhooks;
pub use evaluate::{Evaluator, evaluate_alerts};
pub use webhook::Sender;

/// How often a watched alert is read again (a firing in this process wakes it at once).
const WATCH_POLL: Duration = Duration::from_secs(1);

/// What the alert tasks of one process share.
#[derive(Clone)]
pub struct Alerts {
    pub store: Arc<dyn RateStore>,
    pub settings: AlertSettings,
    /// Woken when this process fires alerts or settles a delivery.
    pub changed: Arc<Notify>,
    /// Woken when this process queues a delivery.
    pub queued: Arc<Notify>,
}

pub struct AlertApi {
    alerts: Alerts,
    currencies: Arc<CurrencyApi>,
    cache: Arc<dyn Cache>,
    sender: Sender,
    shutdown: Shutdown,
}

type AlertStream = Pin<Box<dyn Stream<Item = Result<pb::GetAlertResponse, Status>> + Send>>;

fn decimal(value: rust_decimal::Decimal) -> ProtoDecimal {
    ProtoDecimal::new(value.normalize())
}

/// The alert as clients see it: neither the token nor the secret.
fn message(alert: &Alert, delivery: Option<&DeliveryState>) -> pb::Alert {
    let fired = alert.fired.as_ref();
    let delivery_state = match (&alert.webhook_url, fired, delivery) {
        // Nothing is sent without a webhook, or before the alert fires.
        (None, _, _) | (_, None, _) => "",
        (_, _, Some(d)) if d.delivered_at.is_some() => "delivered",
        (_, _, Some(d)) if d.failed_at.is_some() => "failed",
        _ => "pending",
    };
    pb::Alert {
        alert_id: alert.id.clone(),
        currency: alert.currency.to_string(),
        base: alert.base.to_string(),
        condition: alert.condition.to_string(),
        threshold: Some(decimal(alert.threshold)),
        reference_rate: Some(decimal(alert.reference_rate)),
        state: alert.state.as_str().to_string(),
        created_at: Some(timestamp(alert.created_at)),
        expires_at: Some(timestamp(alert.expires_at)),
        webhook_url: alert.webhook_url.clone().unwrap_or_default(),
        fired_at: fired.map(|f| timestamp(f.at)),
        fired_rate: fired.map(|f| decimal(f.rate)),
        fired_quote_at: fired.map(|f| timestamp(f.quote_at)),
        delivery: delivery_state.to_string(),
        delivery_attempts: delivery.map_or(0, |d| d.attempts),
    }
}

/// The alert as clients see it, with its webhook's delivery once it fired.
async fn view(store: &dyn RateStore, alert: &Alert) -> Result<pb::Alert, ApiError> {
    let delivery = match (&alert.webhook_url, &alert.fired) {
        (Some(_), Some(_)) => store.delivery(&alert.id).await?,
        _ => None,
    };
    Ok(message(alert, delivery.as_ref()))
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, message).with_detail(
        "token",
        "",
        "the token returned when the alert was created (Authorization: Bearer)",
    )
}

impl AlertApi {
    pub fn new(
        alerts: Alerts,
        currencies: Arc<CurrencyApi>,
        cache: Arc<dyn Cache>,
        sender: Sender,
        shutdown: Shutdown,
    ) -> Self {
        Self {
            alerts,
            currencies,
            cache,
            sender,
            shutdown,
        }
    }

    fn store(&self) -> &dyn RateStore {
        self.alerts.store.as_ref()
    }

    /// The alert `id` if it is visible and `token` manages it: 404 before 401, so
    /// that a wrong token on an expired alert still says it is gone.
    async fn authorize(&self, id: &str, token: &str) -> Result<StoredAlert, ApiError> {
        if id.trim().is_empty() {
            return Err(ApiError::missing_parameter("alert_id", "an alert id"));
        }
        let stored = self
            .store()
            .alert(id)
            .await?
            .filter(|stored| stored.alert.is_visible(Utc::now()))
            .ok_or_else(|| {
                ApiError::not_found(format!("no alert {id}: unknown, expired or deleted"))
            })?;
        if token.is_empty() {
            return Err(unauthorized("this alert needs its token"));
        }
        if !same_secret(&tokens::hash(token), &stored.token_hash) {
            return Err(unauthorized("the token does not manage this alert"));
        }
        Ok(stored)
    }

    async fn create(
        &self,
        request: pb::CreateAlertRequest,
    ) -> Result<pb::CreateAlertResponse, ApiError> {
        let now = Utc::now();
        let settings = &self.alerts.settings;
        let wanted = request::validate(
            &request,
            &self.currencies,
            settings,
            self.sender.policy(),
            now,
        )
        .await?;
        let token = if request.token.is_empty() {
            tokens::token()
        } else {
            if !self
                .store()
                .token_known(&tokens::hash(&request.token))
                .await?
            {
                return Err(unauthorized("unknown token"));
            }
            request.token.clone()
        };
        let token_hash = tokens::hash(&token);
        let live = self.store().live_alerts_of(&token_hash, now).await?;
        if live >= settings.per_token {
            let cap = settings.per_token;
            return Err(ApiError::new(
                ErrorCode::RateLimitExceeded,
                format!("this token already has {live} live alerts"),
            )
            .with_detail(
                "token",
                "",
                format!("at most {cap} live alerts per token; delete one first"),
            ));
        }
        let (quotes, _) = self
            .currencies
            .quotes(&[wanted.currency, wanted.base])
            .await?;
        let reference_rate = match (quotes.get(&wanted.base), quotes.get(&wanted.currency)) {
            (Some(base), Some(quote)) => cross_rate(base.mid, quote.mid),
            _ => None,
        }
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no rate of {} in {} yet to watch",
                wanted.currency, wanted.base
            ))
        })?;
        let stored = StoredAlert {
            alert: Alert {
                id: tokens::alert_id(),
                currency: wanted.currency,
                base: wanted.base,
                condition: wanted.condition,
                threshold: wanted.threshold,
                reference_rate: reference_rate.normalize(),
                webhook_url: wanted.webhook_url,
                created_at: now,
                expires_at: wanted.expires_at,
                state: AlertState::Active,
                fired: None,
            },
            token_hash,
            secret: tokens::secret(),
        };
        self.store().create_alert(&stored).await?;
        tracing::info!(
            alert_id = %stored.alert.id,
            currency = %stored.alert.currency,
            base = %stored.alert.base,
            condition = %stored.alert.condition,
            webhook = stored.alert.webhook_url.is_some(),
            "alert created"
        );
        Ok(pb::CreateAlertResponse {
            alert: Some(message(&stored.alert, None)),
            token,
            secret: stored.secret,
        })
    }

    /// The alert now, then each change, until it has nothing more to say.
    fn watch(&self, first: pb::Alert, request: pb::GetAlertRequest) -> AlertStream {
        struct Watching {
            api: WatchDeps,
            request: pb::GetAlertRequest,
            last: Option<pb::Alert>,
            pending: Option<pb::Alert>,
        }
        let state = Watching {
            api: WatchDeps {
                store: self.alerts.store.clone(),
                changed: self.alerts.changed.clone(),
                shutdown: self.shutdown.clone(),
            },
            request,
            last: None,
            pending: Some(first),
        };
        Box::pin(futures::stream::unfold(Some(state), |state| async move {
            let mut state = state?;
            loop {
                if let Some(alert) = state.pending.take()
                    && state.last.as_ref() != Some(&alert)
                {
                    let done = is_settled(&alert);
                    state.last = Some(alert.clone());
                    let response = pb::GetAlertResponse { alert: Some(alert) };
                    return Some((Ok(response), (!done).then_some(state)));
                }
                let notified = state.api.changed.notified();
                tokio::select! {
                    biased;
                    () = state.api.shutdown.wait() => {
                        let status = Status::unavailable(
                            "the currency service is shutting down; watch again",
                        );
                        return Some((Err(status), None));
                    }
                    () = notified => {}
                    () = tokio::time::sleep(WATCH_POLL) => {}
                }
                match state.api.read(&state.request.alert_id).await {
                    Ok(Some(alert)) => state.pending = Some(alert),
                    Ok(None) => {
                        let status = to_status(&ApiError::not_found(format!(
                            "no alert {}: expired or deleted",
                            state.request.alert_id
                        )));
                        return Some((Err(status), None));
                    }
                    Err(error) => return Some((Err(to_status(&error)), None)),
                }
            }
        }))
    }
}

/// What a watch needs after its first message.
struct WatchDeps {
    store: Arc<dyn RateStore>,
    changed: Arc<Notify>,
    shutdown: Shutdown,
}

impl WatchDeps {
    async fn read(&self, id: &str) -> Result<Option<pb::Alert>, ApiError> {
        match self.store.alert(id).await? {
            Some(stored) if stored.alert.is_visible(Utc::now()) => {
                Ok(Some(view(self.store.as_ref(), &stored.alert).await?))
            }
            _ => Ok(None),
        }
    }
}

/// Nothing more will change: fired, and its webhook (if any) delivered or given up.
fn is_settled(alert: &pb::Alert) -> bool {
    alert.state == AlertState::Fired.as_str()
        && matches!(alert.delivery.as_str(), "" | "delivered" | "failed")
}

#[tonic::async_trait]
impl AlertService for AlertApi {
    async fn create_alert(
        &self,
        request: Request<pb::CreateAlertRequest>,
    ) -> Result<Response<pb::CreateAlertResponse>, Status> {
        let request = request.into_inner();
        let client = (!request.client_ip.is_empty()).then(|| tokens::hash(&request.client_ip));
        let settings = &self.alerts.settings;
        let budget = Limit {
            key: "alertlimit",
            what: "alert creations",
            limit: settings.create_limit,
            window: settings.create_window,
        }
        .spend(self.cache.as_ref(), client.as_deref())
        .await?;
        let mut response = respond(self.create(request).await)?;
        if let Some(budget) = budget {
            budget.write(response.metadata_mut());
        }
        Ok(response)
    }

    async fn get_alert(
        &self,
        request: Request<pb::GetAlertRequest>,
    ) -> Result<Response<pb::GetAlertResponse>, Status> {
        let request = request.into_inner();
        respond(
            async {
                let stored = self.authorize(&request.alert_id, &request.token).await?;
                Ok(pb::GetAlertResponse {
                    alert: Some(view(self.store(), &stored.alert).await?),
                })
            }
            .await,
        )
    }

    async fn delete_alert(
        &self,
        request: Request<pb::DeleteAlertRequest>,
    ) -> Result<Response<pb::DeleteAlertResponse>, Status> {
        let request = request.into_inner();
        respond(
            async {
                let stored = self.authorize(&request.alert_id, &request.token).await?;
                if !self.store().delete_alert(&stored.alert.id).await? {
                    return Err(ApiError::not_found(format!(
                        "no alert {}: expired or deleted",
                        stored.alert.id
                    )));
                }
                tracing::info!(alert_id = %stored.alert.id, "alert deleted");
                Ok(pb::DeleteAlertResponse {
                    alert_id: stored.alert.id,
                })
            }
            .await,
        )
    }

    type WatchAlertStream = AlertStream;

    async fn watch_alert(
        &self,
        request: Request<pb::GetAlertRequest>,
    ) -> Result<Response<Self::WatchAlertStream>, Status> {
        let request = request.into_inner();
        let first = async {
            let stored = self.authorize(&request.alert_id, &request.token).await?;
            view(self.store(), &stored.alert).await
        }
        .await;
        respond(first.map(|first| self.watch(first, request)))
    }
}

/// When a failed delivery is tried again: the back-off doubled per attempt, at most an
/// hour; `None` once the attempts are spent.
pub fn retry_at(
    attempts: u32,
    settings: &crate::config::WebhookSettings,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if attempts >= settings.attempts {
        return None;
    }
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
    let delay = settings
        .backoff
        .saturating_mul(factor)
        .min(Duration::from_secs(3600));
    Some(now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AlertSettings;

    #[test]
    fn retries_back_off_then_stop() {
        let settings = AlertSettings::default().webhook;
        let now = Utc::now();
        let delays: Vec<i64> = (1..settings.attempts)
            .map(|n| (retry_at(n, &settings, now).unwrap() - now).num_seconds())
            .collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320]);
        assert_eq!(retry_at(settings.attempts, &settings, now), None);
        let mut long = settings.clone();
        long.attempts = 40;
        assert_eq!(
            (retry_at(30, &long, now).unwrap() - now).num_seconds(),
            3600
        );
    }
}
