//! Small statistics the model needs: the Beta distribution (for balance intervals and dominance
//! probabilities), percentiles and medians.

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error below 1e-13 for x ≥ 0.5).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, &c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction of the incomplete beta function (modified Lentz).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    // Lentz's guard: a denominator that vanishes is replaced by a tiny one.
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut d = 1.0 / guard(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=1000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b): the CDF of Beta(a, b) at x.
pub fn beta_cdf(x: f64, a: f64, b: f64) -> f64 {
    beta_cdf_with(x, a, b, ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b))
}

/// [`beta_cdf`] with `ln Γ(a+b) − ln Γ(a) − ln Γ(b)` given (the same bits as computing it here).
fn beta_cdf_with(x: f64, a: f64, b: f64, ln_norm: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_norm + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The q-quantile of Beta(a, b): Newton's method on the CDF, kept inside a bracket that every
/// step narrows (a step that would leave it bisects instead), until a step moves x by less than
/// a few ulps. Typically 4–8 CDF evaluations where bisection to the same precision takes 60.
pub fn beta_quantile(q: f64, a: f64, b: f64) -> f64 {
    if q <= 0.0 {
        return 0.0;
    }
    if q >= 1.0 {
        return 1.0;
    }
    let ln_norm = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = a / (a + b);
    for _ in 0..200 {
        let f = beta_cdf_with(x, a, b, ln_norm) - q;
        if f == 0.0 {
            return x;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let ln_density = ln_norm + (a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln();
        let step = f / ln_density.exp();
        let mut next = x - step;
        if !next.is_finite() || next <= lo || next >= hi {
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.max(f64::MIN_POSITIVE)
            || hi - lo <= f64::EPSILON * hi
        {
            return next;
        }
        x = next;
    }
    x
}

/// Percentile rank of every value in [0, 1]: the share of the other values strictly below it,
/// ties sharing the mean rank (so equal values get equal percentiles). NaN counts as lowest.
pub fn percentiles(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n <= 1 {
        return vec![0.5; n];
    }
    let key = |v: f64| if v.is_nan() { f64::NEG_INFINITY } else { v };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| key(values[i]).total_cmp(&key(values[j])).then(i.cmp(&j)));
    let mut out = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && key(values[order[j + 1]]) == key(values[order[i]]) {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0;
        for &k in &order[i..=j] {
            out[k] = rank / (n - 1) as f64;
        }
        i = j + 1;
    }
    out
}

/// Median of the finite values, if any.
pub fn median(values: &mut [f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    })
}

/// Gini coefficient of non-negative values (0: perfectly even, → 1: one holds everything).
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n < 2 || total <= 0.0 {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let weighted: f64 = v
        .iter()
        .enumerate()
        .map(|(i, x)| (i as f64 + 1.0) * x)
        .sum();
    (2.0 * weighted) / (n as f64 * total) - (n as f64 + 1.0) / n as f64
}

/// ln C(n, k).
pub fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// ln P(X ≥ t) for X ~ Binomial(n, p), summed in log space so that tails far below f64's
/// smallest number stay finite.
pub fn ln_binomial_tail(t: u64, n: u64, p: f64) -> f64 {
    if t == 0 {
        return 0.0;
    }
    if t > n || p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return 0.0;
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    let terms: Vec<f64> = (t..=n)
        .map(|j| ln_choose(n as f64, j as f64) + j as f64 * lp + (n - j) as f64 * lq)
        .collect();
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + terms.iter().map(|x| (x - top).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_matches_closed_forms() {
        // Beta(1, 1) is uniform; Beta(2, 1) has CDF x²; Beta(a, a) is symmetric about 1/2.
        for x in [0.1, 0.37, 0.5, 0.9] {
            assert!((beta_cdf(x, 1.0, 1.0) - x).abs() < 1e-12);
            assert!((beta_cdf(x, 2.0, 1.0) - x * x).abs() < 1e-12);
            assert!((beta_cdf(x, 7.5, 7.5) + beta_cdf(1.0 - x, 7.5, 7.5) - 1.0).abs() < 1e-12);
        }
        assert!((beta_cdf(0.5, 30.0, 30.0) - 0.5).abs() < 1e-12);
        // scipy.stats.beta.cdf(0.3, 2.5, 4.0) = 0.3521975859067672
        assert!((beta_cdf(0.3, 2.5, 4.0) - 0.352_197_585_906_767_2).abs() < 1e-12);
        let q = beta_quantile(0.05, 3.0, 9.0);
        assert!((beta_cdf(q, 3.0, 9.0) - 0.05).abs() < 1e-12);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-12);
    }

    /// The q-quantile by 60 halvings of [0, 1]: slow, plainly right.
    fn quantile_by_bisection(q: f64, a: f64, b: f64) -> f64 {
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if beta_cdf(mid, a, b) < q {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    #[test]
    fn newton_quantiles_match_bisection() {
        // The shapes the model asks for: 1 + votes either way, votes from 0 to thousands with
        // fractional parts (reply-time votes), and both tails.
        let shapes = [0.0, 0.3, 1.0, 2.5, 7.0, 19.75, 64.0, 333.3, 4000.0];
        for &va in &shapes {
            for &vb in &shapes {
                let (a, b) = (1.0 + va, 1.0 + vb);
                for q in [0.001, 0.05, 0.5, 0.95, 0.999] {
                    let newton = beta_quantile(q, a, b);
                    let reference = quantile_by_bisection(q, a, b);
                    assert!((0.0..=1.0).contains(&newton), "{q} {a} {b}: {newton}");
                    assert!(
                        (newton - reference).abs() < 1e-12,
                        "Beta({a}, {b}) q={q}: Newton {newton}, bisection {reference}"
                    );
                }
            }
        }
        assert_eq!(beta_quantile(0.0, 2.0, 3.0), 0.0);
        assert_eq!(beta_quantile(1.0, 2.0, 3.0), 1.0);
    }

    #[test]
    fn binomial_tail_matches_direct_sums() {
        // P(X ≥ 3), X ~ Bin(5, 0.4): 0.2304 + 0.0768 + 0.01024 = 0.31744.
        assert!((ln_binomial_tail(3, 5, 0.4).exp() - 0.31744).abs() < 1e-12);
        assert_eq!(ln_binomial_tail(0, 5, 0.4), 0.0);
        // All of 40 independent coin flips at 0.1: 40 ln 0.1.
        assert!((ln_binomial_tail(40, 40, 0.1) - 40.0 * 0.1f64.ln()).abs() < 1e-9);
        assert!((ln_choose(10.0, 3.0) - 120f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn percentiles_share_ties_and_span_zero_to_one() {
        assert_eq!(percentiles(&[3.0, 1.0, 2.0, 2.0]), vec![1.0, 0.0, 0.5, 0.5]);
        assert!((gini(&[1.0, 1.0, 1.0]) - 0.0).abs() < 1e-12);
        assert!((gini(&[0.0, 0.0, 0.0, 4.0]) - 0.75).abs() < 1e-12);
    }
}
