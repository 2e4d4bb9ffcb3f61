//! Every statistic against reference values computed independently with numpy and
//! pandas (`tests/fixtures/analytics/reference.py`), within 1e-9 relative.

use chrono::NaiveDate;
use serde_json::Value;
use travel_analytics::forecast::{self, Z_80};
use travel_analytics::indicators::{bollinger, rsi, sma};
use travel_analytics::series::Point;
use travel_analytics::stats::{self, monthly_breakdown, return_correlation};

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/analytics/reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[track_caller]
fn close(actual: Option<f64>, expected: &Value, what: &str) {
    match (actual, expected.as_f64()) {
        (None, None) => assert!(expected.is_null(), "{what}: expected {expected}"),
        (Some(a), Some(e)) => {
            let tolerance = 1e-9 * a.abs().max(e.abs()).max(1e-3);
            assert!((a - e).abs() <= tolerance, "{what}: {a} vs reference {e}");
        }
        (a, _) => panic!("{what}: {a:?} vs reference {expected}"),
    }
}

fn points(series: &Value) -> Vec<Point> {
    series["dates"]
        .as_array()
        .unwrap()
        .iter()
        .zip(series["rates"].as_array().unwrap())
        .map(|(d, r)| Point {
            date: NaiveDate::parse_from_str(d.as_str().unwrap(), "%Y-%m-%d").unwrap(),
            rate: r.as_f64().unwrap(),
            volume: 1,
        })
        .collect()
}

#[test]
fn z_matches_pythons_normal_quantile() {
    close(Some(Z_80), &reference()["z80"], "z80");
}

#[test]
fn descriptive_statistics_and_indicators() {
    let reference = reference();
    for (name, expected) in reference["series"].as_object().unwrap() {
        let points = points(expected);
        let rates: Vec<f64> = points.iter().map(|p| p.rate).collect();
        let what = |stat: &str| format!("{name}.{stat}");

        for (i, (change, percent)) in stats::changes(&rates).into_iter().enumerate() {
            close(change, &expected["change"][i], &what("change"));
            close(
                percent,
                &expected["change_percent"][i],
                &what("change_percent"),
            );
        }
        close(stats::mean(&rates), &expected["mean"], &what("mean"));
        close(stats::min(&rates), &expected["min"], &what("min"));
        close(stats::max(&rates), &expected["max"], &what("max"));
        let (total, total_percent) = stats::total_change(&rates);
        close(total, &expected["total_change"], &what("total_change"));
        close(
            total_percent,
            &expected["total_change_percent"],
            &what("total_change_percent"),
        );
        close(
            stats::volatility(&rates),
            &expected["volatility"],
            &what("volatility"),
        );
        close(
            stats::sharpe_ratio(&rates),
            &expected["sharpe"],
            &what("sharpe"),
        );
        assert_eq!(
            stats::trend(&rates).map(|t| t.as_str()),
            expected["trend"].as_str(),
            "{}",
            what("trend")
        );
        let (support, resistance) = stats::support_resistance(&rates);
        close(support, &expected["support"], &what("support"));
        close(resistance, &expected["resistance"], &what("resistance"));
        close(sma(&rates, 20), &expected["sma_20"], &what("sma_20"));
        close(sma(&rates, 50), &expected["sma_50"], &what("sma_50"));
        close(rsi(&rates, 14), &expected["rsi"], &what("rsi"));
        let bands = bollinger(&rates, 20, 2.0);
        close(
            bands.map(|b| b.0),
            &expected["bollinger_upper"],
            &what("bollinger_upper"),
        );
        close(
            bands.map(|b| b.1),
            &expected["bollinger_lower"],
            &what("bollinger_lower"),
        );

        let months = monthly_breakdown(&points);
        let expected_months = expected["monthly"].as_array().unwrap();
        assert_eq!(months.len(), expected_months.len(), "{}", what("months"));
        for (month, reference) in months.iter().zip(expected_months) {
            assert_eq!(month.month, reference["month"].as_str().unwrap());
            close(
                Some(month.average),
                &reference["average"],
                &what("month.average"),
            );
            close(Some(month.min), &reference["min"], &what("month.min"));
            close(Some(month.max), &reference["max"], &what("month.max"));
            close(
                month.change_percent,
                &reference["change_percent"],
                &what("month.change_percent"),
            );
            close(
                month.volatility,
                &reference["volatility"],
                &what("month.volatility"),
            );
        }
    }
}

#[test]
fn correlations_of_log_returns_on_common_dates() {
    let reference = reference();
    for (pair, expected) in reference["correlations"].as_object().unwrap() {
        let (a, b) = pair.split_once('_').unwrap();
        let r = return_correlation(
            &points(&reference["series"][a]),
            &points(&reference["series"][b]),
        );
        close(r, expected, pair);
    }
}

#[test]
fn forecast_and_backtest() {
    let reference = reference();
    let expected = &reference["forecast"];
    let rates: Vec<f64> = points(&reference["series"]["USD"])
        .iter()
        .map(|p| p.rate)
        .collect();
    let last = *rates.last().unwrap();
    for (variant, with_drift) in [("drift", true), ("naive", false)] {
        let model = forecast::fit(&rates, with_drift).unwrap();
        for (i, step) in expected[variant].as_array().unwrap().iter().enumerate() {
            let (rate, lower, upper) = forecast::at_step(last, model, i + 1, Z_80);
            close(Some(rate), &step[0], &format!("{variant}[{i}].rate"));
            close(Some(lower), &step[1], &format!("{variant}[{i}].lower"));
            close(Some(upper), &step[2], &format!("{variant}[{i}].upper"));
        }
    }
    let backtest = forecast::backtest(&rates, 5, 5).unwrap();
    let expected = &expected["backtest_h5_every5"];
    assert_eq!(
        backtest.origins as u64,
        expected["origins"].as_u64().unwrap()
    );
    close(
        Some(backtest.mase_drift),
        &expected["mase_drift"],
        "mase_drift",
    );
    close(
        Some(backtest.mase_naive),
        &expected["mase_naive"],
        "mase_naive",
    );
    close(
        Some(backtest.coverage_drift),
        &expected["coverage_drift"],
        "coverage_drift",
    );
    close(
        Some(backtest.coverage_naive),
        &expected["coverage_naive"],
        "coverage_naive",
    );
}
