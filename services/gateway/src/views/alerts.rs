//! Trip alerts as api-v1 shows them.

use serde::Serialize;
use travel_proto::alerts::v1 as pb;
use utoipa::ToSchema;

use super::{number, rfc3339, text_or_null};

/// An alert: what it watches, and whether (and at which rate) it fired.
#[derive(Serialize, ToSchema)]
pub struct Alert {
    #[schema(example = "alt_5f0c9e2a4b7d4c1e9a8b6d3f2e1c0b9a")]
    alert_id: String,
    #[schema(example = "JPY")]
    currency: String,
    #[schema(example = "KRW")]
    base: String,
    /// `below`, `above` or `change_percent`.
    #[schema(example = "below")]
    condition: String,
    /// A rate (units of `base` per one unit of `currency`) or, for `change_percent`,
    /// a percentage.
    #[schema(example = 8.5)]
    threshold: Option<f64>,
    /// The rate when the alert was set.
    #[schema(example = 9.07)]
    reference_rate: Option<f64>,
    /// `active` or `fired`.
    #[schema(example = "active")]
    state: String,
    created_at: Option<String>,
    expires_at: Option<String>,
    webhook_url: Option<String>,
    fired_at: Option<String>,
    /// The rate that met the condition.
    fired_rate: Option<f64>,
    /// The time of the quote that rate was made from.
    fired_quote_at: Option<String>,
    /// With a webhook: `pending` until delivered, then `delivered`, or `failed` once
    /// the attempts ran out.
    delivery: Option<String>,
    delivery_attempts: u32,
}

impl From<pb::Alert> for Alert {
    fn from(a: pb::Alert) -> Self {
        Self {
            threshold: number(a.threshold.as_ref()),
            reference_rate: number(a.reference_rate.as_ref()),
            created_at: rfc3339(a.created_at.as_ref()),
            expires_at: rfc3339(a.expires_at.as_ref()),
            fired_at: rfc3339(a.fired_at.as_ref()),
            fired_rate: number(a.fired_rate.as_ref()),
            fired_quote_at: rfc3339(a.fired_quote_at.as_ref()),
            alert_id: a.alert_id,
            currency: a.currency,
            base: a.base,
            condition: a.condition,
            state: a.state,
            webhook_url: text_or_null(a.webhook_url),
            delivery: text_or_null(a.delivery),
            delivery_attempts: a.delivery_attempts,
        }
    }
}

impl From<pb::GetAlertResponse> for Alert {
    fn from(r: pb::GetAlertResponse) -> Self {
        r.alert.unwrap_or_default().into()
    }
}

/// POST /api/v1/alerts (201): the alert, its management token and its webhook
/// signing secret. Neither is shown again.
#[derive(Serialize, ToSchema)]
pub struct Created {
    #[serde(flatten)]
    alert: Alert,
    /// Send as `Authorization: Bearer <token>` to read, watch or delete the alert, and
    /// when creating more alerts to manage them with the same token.
    #[schema(example = "atk_3c1d…")]
    token: String,
    /// The key of the webhook's `X-Travel-Signature` (HMAC-SHA256).
    #[schema(example = "whsec_9a0b…")]
    secret: String,
}

impl From<pb::CreateAlertResponse> for Created {
    fn from(r: pb::CreateAlertResponse) -> Self {
        Self {
            alert: r.alert.unwrap_or_default().into(),
            token: r.token,
            secret: r.secret,
        }
    }
}

/// DELETE /api/v1/alerts/{alert_id}
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    alert_id: String,
    deleted: bool,
}

impl From<pb::DeleteAlertResponse> for Deleted {
    fn from(r: pb::DeleteAlertResponse) -> Self {
        Self {
            alert_id: r.alert_id,
            deleted: true,
        }
    }
}
