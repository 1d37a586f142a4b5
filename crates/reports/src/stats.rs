//! The statistics behind a report, as plain functions over counts so each can be checked by hand.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// `part / whole`, 0 when the whole is empty.
pub fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// Relative change from `before` to `now` (0.25 = +25 %); `None` when there was nothing before.
pub fn change(now: u64, before: u64) -> Option<f64> {
    (before > 0).then(|| (now as f64 - before as f64) / before as f64)
}

/// The median, `None` for no values.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

/// Dunning's log-likelihood ratio (G²) for a term found in `a` of `n_a` documents of the period
/// and `b` of `n_b` documents of the baseline: 2 Σ k·ln(k·N / (row·column)) over the 2×2 table of
/// documents with and without the term. Above 10.83 the difference has p < 0.001 (χ², 1 d.f.).
pub fn log_likelihood(a: u64, n_a: u64, b: u64, n_b: u64) -> f64 {
    let (a, n_a, b, n_b) = (a.min(n_a) as f64, n_a as f64, b.min(n_b) as f64, n_b as f64);
    let n = n_a + n_b;
    let (with, without) = (a + b, n - a - b);
    let cell = |k: f64, row: f64, column: f64| if k > 0.0 { k * (k * n / (row * column)).ln() } else { 0.0 };
    let sum = cell(a, n_a, with) + cell(n_a - a, n_a, without) + cell(b, n_b, with) + cell(n_b - b, n_b, without);
    (2.0 * sum).max(0.0)
}

/// How much busier each weekday (Monday first) is than the average day, from a daily series:
/// the mean of each weekday over the overall mean. Weekdays seen fewer than twice, or a series
/// with no items, give 1.0 (no adjustment) — two weeks is the least that tells a rhythm from noise.
pub fn weekday_factors(days: &[(NaiveDate, u64)]) -> [f64; 7] {
    let mut sums = [0.0f64; 7];
    let mut seen = [0u32; 7];
    for (day, n) in days {
        let w = day.weekday().num_days_from_monday() as usize;
        sums[w] += *n as f64;
        seen[w] += 1;
    }
    let overall = days.iter().map(|(_, n)| *n as f64).sum::<f64>() / days.len().max(1) as f64;
    let mut factors = [1.0; 7];
    if overall <= 0.0 {
        return factors;
    }
    for w in 0..7 {
        if seen[w] >= 2 {
            // A weekday with no items at all would make every later item on it a spike; floor it.
            factors[w] = (sums[w] / f64::from(seen[w]) / overall).max(0.1);
        }
    }
    factors
}

/// Thresholds for calling a window a spike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeRule {
    /// Fewest items in the window for it to count at all.
    pub min_volume: u64,
    /// Least ratio of observed to expected.
    pub min_ratio: f64,
    /// Least standard score.
    pub min_z: f64,
}

impl Default for SpikeRule {
    fn default() -> Self {
        SpikeRule { min_volume: 10, min_ratio: 2.0, min_z: 3.0 }
    }
}

/// One window judged against its baseline; every figure that went into the decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpikeCheck {
    /// Items in the window.
    pub observed: u64,
    /// Items expected from the baseline, adjusted for the window's weekday.
    pub expected: f64,
    /// `observed / expected` (observed when nothing was expected).
    pub ratio: f64,
    /// `(observed − expected) / spread`, the spread being the larger of the Poisson spread
    /// √expected and the baseline's own standard deviation.
    pub z: f64,
    /// Whether all three thresholds were passed.
    pub spike: bool,
}

/// Judge `observed` items in a window against the `baseline` windows before it. `factor` is the
/// window's weekday factor and `baseline_factors` those of the baseline windows (all 1.0 for
/// hourly windows or when not adjusting), so a Monday is compared with what Mondays usually get.
pub fn check_spike(observed: u64, factor: f64, baseline: &[(u64, f64)], rule: &SpikeRule) -> SpikeCheck {
    let adjusted: Vec<f64> = baseline.iter().map(|(n, f)| *n as f64 / f.max(0.1)).collect();
    let count = adjusted.len().max(1) as f64;
    let mean = adjusted.iter().sum::<f64>() / count;
    let variance = adjusted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (count - 1.0).max(1.0);
    let expected = mean * factor;
    let spread = expected.sqrt().max(variance.sqrt() * factor).max(1.0);
    let ratio = if expected > 0.0 { observed as f64 / expected } else { observed as f64 };
    let z = (observed as f64 - expected) / spread;
    let spike = observed >= rule.min_volume && ratio >= rule.min_ratio && z >= rule.min_z;
    SpikeCheck { observed, expected, ratio, z, spike }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn shares_changes_medians() {
        assert!(close(share(25, 100), 0.25));
        assert!(close(share(3, 0), 0.0));
        assert_eq!(change(150, 100), Some(0.5));
        assert_eq!(change(5, 0), None);
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn log_likelihood_matches_hand_computed_tables() {
        // 10 of 100 documents against 5 of 200:
        //   2·[10 ln(10·300/(100·15)) + 90 ln(90·300/(100·285)) + 5 ln(5·300/(200·15))
        //      + 195 ln(195·300/(200·285))] = 7.329811674…
        assert!((log_likelihood(10, 100, 5, 200) - 7.329_811_674_221_491).abs() < 1e-9);
        assert!((log_likelihood(110, 1000, 10, 1000) - 102.836_347_455_390_41).abs() < 1e-9);
        // The same rate in both: no evidence either way.
        assert!(log_likelihood(5, 100, 10, 200).abs() < 1e-9);
        assert!(close(log_likelihood(0, 0, 0, 0), 0.0));
    }

    #[test]
    fn weekday_rhythm() {
        // Two weeks: weekdays 10 items, weekends 3.
        let start = NaiveDate::from_ymd_opt(2021, 12, 6).unwrap_or_default(); // a Monday
        let days: Vec<(NaiveDate, u64)> = (0..14)
            .map(|i| {
                let d = start + chrono::Days::new(i);
                (d, if d.weekday().num_days_from_monday() >= 5 { 3 } else { 10 })
            })
            .collect();
        let f = weekday_factors(&days);
        let mean = (5.0 * 10.0 + 2.0 * 3.0) / 7.0;
        assert!(close(f[0], 10.0 / mean), "{f:?}");
        assert!(close(f[6], 3.0 / mean), "{f:?}");
        // One week is not enough to adjust.
        assert_eq!(weekday_factors(&days[..7]), [1.0; 7]);
        assert_eq!(weekday_factors(&[]), [1.0; 7]);
    }

    #[test]
    fn spikes_flat_noisy_and_weekday_adjusted() {
        let rule = SpikeRule::default();
        let flat: Vec<(u64, f64)> = vec![(10, 1.0); 14];
        let s = check_spike(40, 1.0, &flat, &rule);
        assert!(s.spike, "{s:?}");
        assert!(close(s.expected, 10.0) && close(s.ratio, 4.0));
        assert!(close(s.z, 30.0 / 10f64.sqrt()));
        assert!(!check_spike(14, 1.0, &flat, &rule).spike, "within noise");
        // Too few items to matter, however large the ratio.
        assert!(!check_spike(8, 1.0, &vec![(1, 1.0); 14], &rule).spike);
        // A noisy baseline widens the spread: 40 against 0/20 alternating is not a spike.
        let noisy: Vec<(u64, f64)> = (0..14).map(|i| (if i % 2 == 0 { 0 } else { 20 }, 1.0)).collect();
        assert!(!check_spike(40, 1.0, &noisy, &rule).spike);
        // Weekday adjustment over two weeks of 20 items on weekdays and 2 at weekends: a
        // Saturday with 12 is six times what Saturdays get — a spike only once adjusted.
        let start = NaiveDate::from_ymd_opt(2021, 12, 6).unwrap_or_default(); // a Monday
        let days: Vec<(NaiveDate, u64)> = (0..14)
            .map(|i| {
                let d = start + chrono::Days::new(i);
                (d, if d.weekday().num_days_from_monday() >= 5 { 2 } else { 20 })
            })
            .collect();
        let f = weekday_factors(&days);
        let baseline: Vec<(u64, f64)> =
            days.iter().map(|(d, n)| (*n, f[d.weekday().num_days_from_monday() as usize])).collect();
        let saturday = check_spike(12, f[5], &baseline, &rule);
        assert!(saturday.spike && close(saturday.expected, 2.0), "{saturday:?}");
        let unadjusted: Vec<(u64, f64)> = days.iter().map(|(_, n)| (*n, 1.0)).collect();
        assert!(!check_spike(12, 1.0, &unadjusted, &rule).spike);
        // A Monday with 30 is an ordinary busy Monday (expected 20).
        let monday = check_spike(30, f[0], &baseline, &rule);
        assert!(!monday.spike && close(monday.expected, 20.0), "{monday:?}");
        // From nothing to something.
        assert!(check_spike(12, 1.0, &vec![(0, 1.0); 14], &rule).spike);
    }

    proptest! {
        #[test]
        fn log_likelihood_is_finite_and_non_negative(a in 0u64..10_000, na in 0u64..10_000, b in 0u64..10_000, nb in 0u64..10_000) {
            let g = log_likelihood(a, na, b, nb);
            prop_assert!(g.is_finite() && g >= 0.0, "{}", g);
        }

        #[test]
        fn spike_check_never_panics(obs in 0u64..1_000_000, base in proptest::collection::vec((0u64..1_000_000, 0.0f64..10.0), 0..30), f in 0.0f64..10.0) {
            let s = check_spike(obs, f, &base, &SpikeRule::default());
            prop_assert!(s.z.is_finite() && s.ratio.is_finite());
        }
    }
}
