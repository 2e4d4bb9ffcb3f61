//! Reconciling the quotes several sources give for one currency, and guarding against
//! implausible values. Pure: the ingestor supplies the last stored quote.

use rust_decimal::Decimal;
use travel_domain::CurrencyCode;
use travel_domain::money::{QUOTE_SCALE, round};

use crate::SourceQuote;

/// One source's quote for a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub source: String,
    pub quote: SourceQuote,
}

/// What gets published for a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub currency: CurrencyCode,
    /// The source name to store: the single source, or "CONSENSUS" for a median.
    pub source: String,
    pub quote: SourceQuote,
    /// The sources that contributed, in priority order.
    pub sources: Vec<String>,
    /// Highest minus lowest mid among them (zero for one source).
    pub spread: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("no quote")]
    Empty,
    #[error("{currency}: {mid} is not a positive rate")]
    NonPositive {
        currency: CurrencyCode,
        mid: Decimal,
    },
    #[error(
        "{currency}: {mid} moves {percent}% from the stored {last}, more than {limit}%, and no second source agrees"
    )]
    Jump {
        currency: CurrencyCode,
        mid: Decimal,
        last: Decimal,
        percent: Decimal,
        limit: Decimal,
    },
}

/// Name stored for a median of several sources.
pub const CONSENSUS: &str = "CONSENSUS";

/// Two sources "agree" when their mids differ by at most this share of the median.
const AGREEMENT: Decimal = Decimal::from_parts(5, 0, 0, false, 3); // 0.5 %

/// Median of the candidates' mids (mean of the two middle ones for an even count).
fn median(mids: &mut [Decimal]) -> Option<Decimal> {
    if mids.is_empty() {
        return None;
    }
    mids.sort();
    let n = mids.len();
    Some(if n % 2 == 1 {
        mids[n / 2]
    } else {
        round((mids[n / 2 - 1] + mids[n / 2]) / Decimal::TWO, QUOTE_SCALE)
    })
}

/// Combines the candidates (given in source priority order) for one currency:
/// non-positive quotes are dropped; several sources publish their median mid with
/// the spread; TTS/TTB come from the first source that publishes them — they are never
/// derived. A mid more than `max_jump_percent` away from `last_stored` is rejected
/// unless two sources agree on it (within 0.5 %), which makes it a real move.
pub fn reconcile(
    candidates: &[Candidate],
    last_stored: Option<Decimal>,
    max_jump_percent: Decimal,
) -> Result<Reconciled, Rejection> {
    let first = candidates.first().ok_or(Rejection::Empty)?;
    let currency = first.quote.currency;
    let valid: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.quote.mid > Decimal::ZERO)
        .collect();
    if valid.is_empty() {
        return Err(Rejection::NonPositive {
            currency,
            mid: first.quote.mid,
        });
    }
    let mut mids: Vec<Decimal> = valid.iter().map(|c| c.quote.mid).collect();
    let mid = median(&mut mids).ok_or(Rejection::Empty)?;
    let spread = mids.last().copied().unwrap_or(mid) - mids.first().copied().unwrap_or(mid);

    if let Some(last) = last_stored.filter(|l| *l > Decimal::ZERO) {
        let percent = round(((mid - last) / last).abs() * Decimal::ONE_HUNDRED, 4);
        let agreeing = valid.len() >= 2 && spread <= mid * AGREEMENT;
        if percent > max_jump_percent && !agreeing {
            return Err(Rejection::Jump {
                currency,
                mid,
                last,
                percent,
                limit: max_jump_percent,
            });
        }
    }

    let with_spreads = valid
        .iter()
        .find(|c| c.quote.tts.is_some() || c.quote.ttb.is_some());
    let single = valid.len() == 1;
    let base = valid[0];
    Ok(Reconciled {
        currency,
        source: if single {
            base.source.clone()
        } else {
            CONSENSUS.to_string()
        },
        quote: SourceQuote {
            mid,
            tts: with_spreads.and_then(|c| c.quote.tts),
            ttb: with_spreads.and_then(|c| c.quote.ttb),
            ..base.quote.clone()
        },
        sources: valid.iter().map(|c| c.source.clone()).collect(),
        spread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    fn candidate(source: &str, mid: Decimal, tts: Option<Decimal>) -> Candidate {
        Candidate {
            source: source.into(),
            quote: SourceQuote {
                currency: CurrencyCode::from_static("USD"),
                rate_date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
                mid,
                tts,
                ttb: tts.map(|t| t - dec!(20)),
                raw_unit: 1,
                raw_code: "USD".into(),
            },
        }
    }

    #[test]
    fn one_source_is_published_as_it_is() {
        let r = reconcile(
            &[candidate("KOREAEXIM", dec!(1400.5), Some(dec!(1414.5)))],
            Some(dec!(1399)),
            dec!(3),
        )
        .unwrap();
        assert_eq!(
            (r.source.as_str(), r.quote.mid, r.spread),
            ("KOREAEXIM", dec!(1400.5), dec!(0))
        );
        assert_eq!(r.quote.tts, Some(dec!(1414.5)));
    }

    #[test]
    fn several_sources_give_the_median_and_spread_and_keep_real_tts() {
        let r = reconcile(
            &[
                candidate("BOK", dec!(1401), None),
                candidate("KOREAEXIM", dec!(1400), Some(dec!(1414))),
                candidate("ECB", dec!(1398.5), None),
            ],
            None,
            dec!(3),
        )
        .unwrap();
        assert_eq!(r.source, CONSENSUS);
        assert_eq!(r.quote.mid, dec!(1400));
        assert_eq!(r.spread, dec!(2.5));
        assert_eq!(r.sources, ["BOK", "KOREAEXIM", "ECB"]);
        assert_eq!(
            r.quote.tts,
            Some(dec!(1414)),
            "from the source that publishes it"
        );
        let even = reconcile(
            &[
                candidate("BOK", dec!(1401), None),
                candidate("ECB", dec!(1400), None),
            ],
            None,
            dec!(3),
        )
        .unwrap();
        assert_eq!(even.quote.mid, dec!(1400.5));
        assert_eq!(even.quote.tts, None, "never invented");
    }

    #[test]
    fn implausible_jumps_need_a_second_source() {
        let lone = reconcile(
            &[candidate("ERAPI", dec!(1500), None)],
            Some(dec!(1400)),
            dec!(3),
        );
        assert!(matches!(lone, Err(Rejection::Jump { .. })), "{lone:?}");
        // Two sources agreeing on the move: it is real.
        let agreed = reconcile(
            &[
                candidate("BOK", dec!(1500), None),
                candidate("ECB", dec!(1501), None),
            ],
            Some(dec!(1400)),
            dec!(3),
        );
        assert_eq!(agreed.unwrap().quote.mid, dec!(1500.5));
        // Two sources far apart do not vouch for each other.
        let apart = reconcile(
            &[
                candidate("BOK", dec!(1500), None),
                candidate("ECB", dec!(1600), None),
            ],
            Some(dec!(1400)),
            dec!(3),
        );
        assert!(matches!(apart, Err(Rejection::Jump { .. })));
        assert!(
            reconcile(
                &[candidate("BOK", dec!(1440), None)],
                Some(dec!(1400)),
                dec!(3)
            )
            .is_ok()
        );
    }

    #[test]
    fn non_positive_quotes_are_dropped_and_empty_is_an_error() {
        assert!(matches!(
            reconcile(&[candidate("BOK", dec!(0), None)], None, dec!(3)),
            Err(Rejection::NonPositive { .. })
        ));
        let r = reconcile(
            &[
                candidate("BOK", dec!(-1), None),
                candidate("ECB", dec!(1400), None),
            ],
            None,
            dec!(3),
        )
        .unwrap();
        assert_eq!((r.source.as_str(), r.quote.mid), ("ECB", dec!(1400)));
        assert_eq!(reconcile(&[], None, dec!(3)), Err(Rejection::Empty));
    }
}
