//! Exponential backoff with ±20% jitter, as the Java client's
//! `ExponentialBackoff` (multiplier 2, jitter 0.2) computes it for
//! `reconnect.backoff.ms` / `reconnect.backoff.max.ms` and
//! `retry.backoff.ms` / `retry.backoff.max.ms`.

use crate::random::XorShift64;
use std::time::Duration;

/// Relative jitter: a delay is multiplied by a factor in `[0.8, 1.2)`.
const JITTER: f64 = 0.2;

/// Exponential backoff: after `attempts` failures the delay is
/// `initial * 2^attempts`, capped at `max`, times a random factor in
/// `[0.8, 1.2)`, and never more than `max`.
///
/// When `max <= initial` the delay is always `max`, without jitter: as in the
/// Java client, the maximum is then used as a constant backoff.
///
/// # Examples
///
/// ```
/// use kafka_sync::net::Backoff;
/// use std::time::Duration;
///
/// let mut b = Backoff::new(Duration::from_millis(50), Duration::from_millis(1000));
/// let d = b.delay(0);
/// assert!(d >= Duration::from_millis(40) && d <= Duration::from_millis(60));
/// assert!(b.delay(30) <= Duration::from_millis(1000));
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    rng: XorShift64,
}

impl Backoff {
    /// A backoff from `initial` to `max`, with a random seed.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self::with_seed(initial, max, crate::random::seed())
    }

    /// A backoff from `initial` to `max` whose jitter is reproducible from `seed`.
    pub fn with_seed(initial: Duration, max: Duration, seed: u64) -> Self {
        Backoff {
            initial,
            max,
            rng: XorShift64::new(seed),
        }
    }

    /// The delay before the next attempt after `attempts` consecutive
    /// failures (0 for the first retry).
    pub fn delay(&mut self, attempts: u32) -> Duration {
        if self.max <= self.initial {
            return self.max;
        }
        let factor = 1.0 - JITTER + 2.0 * JITTER * self.rng.next_f64();
        let term = self.term(attempts).as_secs_f64() * factor;
        // `from_secs_f64` would panic past `Duration::MAX`.
        Duration::try_from_secs_f64(term)
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// `initial * 2^attempts` capped at `max`, before jitter.
    fn term(&self, attempts: u32) -> Duration {
        let shift = attempts.min(63);
        let scaled = self.initial.as_secs_f64() * (1u64 << shift) as f64;
        if scaled >= self.max.as_secs_f64() {
            self.max
        } else {
            Duration::try_from_secs_f64(scaled).unwrap_or(self.max)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn grows_exponentially_within_jitter_bounds() {
        for seed in 0..50u64 {
            let mut b = Backoff::with_seed(ms(50), ms(1000), seed);
            for attempts in 0..40u32 {
                let term = (50.0 * 2f64.powi(attempts.min(20) as i32)).min(1000.0);
                let d = b.delay(attempts).as_secs_f64() * 1000.0;
                let lo = term * 0.8 - 1e-6;
                let hi = (term * 1.2).min(1000.0) + 1e-6;
                assert!(
                    d >= lo && d <= hi,
                    "attempt {attempts}: {d} not in [{lo}, {hi}]"
                );
            }
        }
    }

    #[test]
    fn jitter_spreads_values() {
        let mut b = Backoff::with_seed(ms(100), ms(10_000), 7);
        let delays: Vec<Duration> = (0..100).map(|_| b.delay(0)).collect();
        let min = delays.iter().min().unwrap();
        let max = delays.iter().max().unwrap();
        assert!(*min < ms(90) && *max > ms(110), "{min:?}..{max:?}");
    }

    #[test]
    fn never_exceeds_max_and_reaches_it() {
        let mut b = Backoff::with_seed(ms(50), ms(1000), 3);
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(u32::MAX)).collect();
        assert!(delays.iter().all(|d| *d <= ms(1000) && *d >= ms(800)));
        assert!(delays.contains(&ms(1000)));
    }

    #[test]
    fn max_not_above_initial_is_a_constant_max() {
        let mut b = Backoff::with_seed(ms(500), ms(100), 1);
        assert_eq!(b.delay(0), ms(100));
        assert_eq!(b.delay(9), ms(100));
        let mut zero = Backoff::with_seed(Duration::ZERO, Duration::ZERO, 1);
        assert_eq!(zero.delay(3), Duration::ZERO);
    }

    #[test]
    fn zero_seed_still_random() {
        let mut r = XorShift64::new(0);
        assert_ne!(r.next_u64(), r.next_u64());
    }
}
