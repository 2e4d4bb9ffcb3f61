//! Trip alerts: "tell me when the yen drops below 8.5 won". An alert watches one rate
//! (units of `base` per one unit of `currency`, as the latest rates are quoted) and
//! fires once, on the first quote change at which its condition holds.

use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::CurrencyCode;

/// What an alert waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// The rate falls below the threshold.
    Below,
    /// The rate rises above the threshold.
    Above,
    /// The rate moves at least `threshold` percent, either way, from the rate when the
    /// alert was set.
    ChangePercent,
}

impl Condition {
    pub const ALL: [Condition; 3] = [Self::Below, Self::Above, Self::ChangePercent];

    /// The name of the API and of the stored column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Below => "below",
            Self::Above => "above",
            Self::ChangePercent => "change_percent",
        }
    }

    /// Exact names only: a stored value or a request field.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an alert is in its life. Expiry is not a state: an active alert past its
/// `expires_at` is simply no longer evaluated or shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertState {
    Active,
    Fired,
    Deleted,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Fired => "fired",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Active, Self::Fired, Self::Deleted]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// The moment an alert fired: the rate that met its condition and that rate's quote
/// time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub at: DateTime<Utc>,
    pub rate: Decimal,
    pub quote_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub id: String,
    pub currency: CurrencyCode,
    pub base: CurrencyCode,
    pub condition: Condition,
    /// A rate for `below`/`above`, a percentage for `change_percent`.
    pub threshold: Decimal,
    /// The rate when the alert was set (what `change_percent` measures from).
    pub reference_rate: Decimal,
    pub webhook_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: AlertState,
    pub fired: Option<Firing>,
}

/// The band of rates inside which an alert stays quiet: it may fire at or beyond a
/// level. Stored next to the alert and indexed, so that a quote change finds the alerts
/// it crosses without reading the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levels {
    pub low: Option<Decimal>,
    pub high: Option<Decimal>,
}

impl Alert {
    pub fn levels(&self) -> Levels {
        match self.condition {
            Condition::Below => Levels {
                low: Some(self.threshold),
                high: None,
            },
            Condition::Above => Levels {
                low: None,
                high: Some(self.threshold),
            },
            Condition::ChangePercent => {
                let band = self.reference_rate * self.threshold / Decimal::ONE_HUNDRED;
                Levels {
                    low: Some(self.reference_rate - band),
                    high: Some(self.reference_rate + band),
                }
            }
        }
    }

    /// Whether `rate` meets the condition (the exact test; the levels only narrow the
    /// search).
    pub fn holds(&self, rate: Decimal) -> bool {
        match self.condition {
            Condition::Below => rate < self.threshold,
            Condition::Above => rate > self.threshold,
            Condition::ChangePercent => {
                !self.reference_rate.is_zero()
                    && (rate - self.reference_rate).abs() * Decimal::ONE_HUNDRED
                        >= self.threshold * self.reference_rate
            }
        }
    }

    /// Active and not expired at `now`: evaluated, counted against its token's cap.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.state == AlertState::Active && self.expires_at > now
    }

    /// What a client may still see: deleted alerts and expired unfired ones are gone.
    pub fn is_visible(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            AlertState::Active => self.expires_at > now,
            AlertState::Fired => true,
            AlertState::Deleted => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn alert(condition: Condition, threshold: Decimal, reference: Decimal) -> Alert {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
        Alert {
            id: "a".into(),
            currency: CurrencyCode::parse("JPY").unwrap(),
            base: CurrencyCode::KRW,
            condition,
            threshold,
            reference_rate: reference,
            webhook_url: None,
            created_at: at,
            expires_at: at + chrono::Duration::days(1),
            state: AlertState::Active,
            fired: None,
        }
    }

    #[test]
    fn below_and_above_are_strict() {
        let below = alert(Condition::Below, dec!(8.5), dec!(9.1));
        assert!(below.holds(dec!(8.49)));
        assert!(!below.holds(dec!(8.5)));
        let above = alert(Condition::Above, dec!(9.5), dec!(9.1));
        assert!(above.holds(dec!(9.51)));
        assert!(!above.holds(dec!(9.5)));
        assert_eq!(below.levels().low, Some(dec!(8.5)));
        assert_eq!(above.levels().high, Some(dec!(9.5)));
    }

    #[test]
    fn change_percent_fires_either_way_at_the_band() {
        let change = alert(Condition::ChangePercent, dec!(2), dec!(10));
        assert_eq!(
            change.levels(),
            Levels {
                low: Some(dec!(9.8)),
                high: Some(dec!(10.2))
            }
        );
        assert!(change.holds(dec!(9.8)));
        assert!(change.holds(dec!(10.2)));
        assert!(!change.holds(dec!(9.81)));
        assert!(!change.holds(dec!(10.19)));
    }

    #[test]
    fn names_round_trip() {
        for condition in Condition::ALL {
            assert_eq!(Condition::parse(condition.as_str()), Some(condition));
        }
        assert_eq!(Condition::parse("Below"), None);
        for state in [AlertState::Active, AlertState::Fired, AlertState::Deleted] {
            assert_eq!(AlertState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn expired_alerts_are_neither_live_nor_visible() {
        let mut a = alert(Condition::Below, dec!(8), dec!(9));
        let later = a.expires_at;
        assert!(a.is_live(a.created_at) && a.is_visible(a.created_at));
        assert!(!a.is_live(later) && !a.is_visible(later));
        a.state = AlertState::Fired;
        assert!(!a.is_live(a.created_at) && a.is_visible(later));
    }
}
