//! Windowed statistics as the Java client's metrics library keeps them
//! (`org.apache.kafka.common.metrics.stats`): a value is recorded into the
//! current of `metrics.num.samples` samples, each `metrics.sample.window.ms`
//! long; a sample older than all of them together no longer counts.
//! Averages and maxima of no sample are `NaN`, as in Java.

use std::time::{Duration, Instant};

/// `metrics.sample.window.ms` and `metrics.num.samples`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) size: Duration,
    pub(crate) samples: usize,
}

impl Window {
    /// The span all samples together cover.
    fn span(&self) -> Duration {
        self.size
            .saturating_mul(self.samples.min(u32::MAX as usize) as u32)
    }
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    start: Instant,
    sum: f64,
    count: u64,
    max: f64,
}

/// One statistic's samples.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sampled {
    samples: Vec<Sample>,
    current: usize,
}

impl Sampled {
    /// Records `value` at `now`.
    pub(crate) fn record(&mut self, w: &Window, value: f64, now: Instant) {
        let fresh = Sample {
            start: now,
            sum: 0.0,
            count: 0,
            max: f64::NEG_INFINITY,
        };
        if self.samples.is_empty() {
            self.samples.push(fresh);
            self.current = 0;
        } else if now.saturating_duration_since(self.samples[self.current].start) >= w.size {
            // The current sample is complete: the next one (the oldest) starts.
            if self.samples.len() < w.samples.max(1) {
                self.samples.push(fresh);
                self.current = self.samples.len() - 1;
            } else {
                self.current = (self.current + 1) % self.samples.len();
                self.samples[self.current] = fresh;
            }
        }
        let s = &mut self.samples[self.current];
        s.sum += value;
        s.count += 1;
        s.max = s.max.max(value);
    }

    /// The samples that still count at `now`.
    fn live<'a>(&'a self, w: &Window, now: Instant) -> impl Iterator<Item = &'a Sample> + 'a {
        let span = w.span();
        self.samples
            .iter()
            .filter(move |s| now.saturating_duration_since(s.start) < span)
    }

    /// The mean of the values recorded in the window (`NaN` with none).
    pub(crate) fn avg(&self, w: &Window, now: Instant) -> f64 {
        let (sum, count) = self
            .live(w, now)
            .fold((0.0, 0u64), |(s, c), x| (s + x.sum, c + x.count));
        if count == 0 {
            f64::NAN
        } else {
            sum / count as f64
        }
    }

    /// The largest value recorded in the window (`NaN` with none).
    pub(crate) fn max(&self, w: &Window, now: Instant) -> f64 {
        let m = self
            .live(w, now)
            .filter(|s| s.count > 0)
            .fold(f64::NEG_INFINITY, |m, s| m.max(s.max));
        if m == f64::NEG_INFINITY {
            f64::NAN
        } else {
            m
        }
    }

    /// The sum of the values recorded in the window per second of it. As
    /// Java's `Rate`: the window counts from its oldest sample's start, and
    /// is at least `samples - 1` whole sample windows long, so a first burst
    /// does not read as a huge rate.
    pub(crate) fn rate(&self, w: &Window, now: Instant) -> f64 {
        let mut sum = 0.0;
        let mut oldest: Option<Instant> = None;
        for s in self.live(w, now) {
            sum += s.sum;
            oldest = Some(oldest.map_or(s.start, |o| o.min(s.start)));
        }
        let Some(oldest) = oldest else {
            return 0.0;
        };
        let mut elapsed = now.saturating_duration_since(oldest);
        let size = w.size.max(Duration::from_millis(1));
        let full = (elapsed.as_nanos() / size.as_nanos()) as usize;
        let min_full = w.samples.saturating_sub(1);
        if full < min_full {
            elapsed += size.saturating_mul((min_full - full).min(u32::MAX as usize) as u32);
        }
        let secs = elapsed.as_secs_f64();
        if secs <= 0.0 {
            0.0
        } else {
            sum / secs
        }
    }
}

/// A windowed rate and the total since the start (Java's `Meter`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Meter {
    pub(crate) total: f64,
    window: Sampled,
}

impl Meter {
    pub(crate) fn record(&mut self, w: &Window, value: f64, now: Instant) {
        self.total += value;
        self.window.record(w, value, now);
    }

    pub(crate) fn rate(&self, w: &Window, now: Instant) -> f64 {
        self.window.rate(w, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Window = Window {
        size: Duration::from_secs(30),
        samples: 2,
    };

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn nothing_recorded_reads_as_java_does() {
        let t = Instant::now();
        let s = Sampled::default();
        assert!(s.avg(&W, t).is_nan());
        assert!(s.max(&W, t).is_nan());
        assert_eq!(s.rate(&W, t), 0.0);
    }

    #[test]
    fn avg_and_max_cover_the_live_samples_only() {
        let t = Instant::now();
        let mut s = Sampled::default();
        s.record(&W, 10.0, t);
        s.record(&W, 30.0, t + secs(1));
        assert_eq!(s.avg(&W, t + secs(2)), 20.0);
        assert_eq!(s.max(&W, t + secs(2)), 30.0);
        // A second sample starts after 30 s; the first still counts.
        s.record(&W, 2.0, t + secs(31));
        assert_eq!(s.avg(&W, t + secs(32)), 14.0);
        // After 60 s the first sample is gone.
        assert_eq!(s.avg(&W, t + secs(61)), 2.0);
        assert_eq!(s.max(&W, t + secs(61)), 2.0);
        // A third sample reuses the oldest slot.
        s.record(&W, 4.0, t + secs(62));
        assert_eq!(s.avg(&W, t + secs(62)), 3.0);
        assert!(s.avg(&W, t + secs(200)).is_nan());
    }

    #[test]
    fn a_rate_counts_at_least_one_whole_window_as_java_does() {
        let t = Instant::now();
        let mut m = Meter::default();
        m.record(&W, 300.0, t);
        // 1 s after the first record, the window is still 30 s long
        // (samples - 1 whole windows), plus the second elapsed.
        let r = m.rate(&W, t + secs(1));
        assert!((r - 300.0 / 31.0).abs() < 1e-9, "{r}");
        m.record(&W, 300.0, t + secs(40));
        let r = m.rate(&W, t + secs(45));
        assert!((r - 600.0 / 45.0).abs() < 1e-9, "{r}");
        assert_eq!(m.total, 600.0);
        // Old samples leave the rate, not the total.
        assert_eq!(m.rate(&W, t + secs(500)), 0.0);
        assert_eq!(m.total, 600.0);
    }
}
