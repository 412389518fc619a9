//! How long one call may block, read from the clock only once it has to
//! wait: most `send`s never wait, and then never read the clock for it.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// The bound of one call's waits (a topic's metadata, room in
/// `buffer.memory`): a timeout counted from its first wait, a fixed
/// deadline, no waiting, or none. The start is taken once, so every wait
/// of the call shares one deadline.
#[derive(Debug)]
pub(crate) struct Bound {
    kind: Kind,
    /// When the first wait began, and the deadline then (`None`: none).
    fixed: Cell<Option<(Instant, Option<Instant>)>>,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Timeout(Duration),
    Until(Instant),
    NoWait,
    #[cfg_attr(not(test), allow(dead_code))]
    Forever,
}

impl Bound {
    fn new(kind: Kind) -> Self {
        Bound {
            kind,
            fixed: Cell::new(None),
        }
    }

    /// At most `timeout` in all, from the first wait (`max.block.ms`).
    pub(crate) fn timeout(timeout: Duration) -> Self {
        Bound::new(Kind::Timeout(timeout))
    }

    /// Until `deadline`.
    pub(crate) fn until(deadline: Instant) -> Self {
        Bound::new(Kind::Until(deadline))
    }

    /// Never waits.
    pub(crate) fn no_wait() -> Self {
        Bound::new(Kind::NoWait)
    }

    /// Waits as long as it takes.
    #[cfg(test)]
    pub(crate) fn forever() -> Self {
        Bound::new(Kind::Forever)
    }

    /// A deadline given as an instant (`None`: no deadline).
    #[cfg(test)]
    pub(crate) fn from_deadline(deadline: Option<Instant>) -> Self {
        deadline.map_or_else(Bound::forever, Bound::until)
    }

    fn fix(&self) -> (Instant, Option<Instant>) {
        if let Some(fixed) = self.fixed.get() {
            return fixed;
        }
        let now = Instant::now();
        let deadline = match self.kind {
            Kind::Timeout(t) => now.checked_add(t),
            Kind::Until(d) => Some(d),
            Kind::NoWait => Some(now),
            Kind::Forever => None,
        };
        self.fixed.set(Some((now, deadline)));
        (now, deadline)
    }

    /// When the first wait began (now, if none did yet).
    pub(crate) fn started(&self) -> Instant {
        self.fix().0
    }

    /// The deadline of every wait of this call (`None`: none); fixed by
    /// the first call.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.fix().1
    }

    /// How long the call has waited (zero if it never had to).
    pub(crate) fn waited(&self) -> Duration {
        self.fixed
            .get()
            .map_or(Duration::ZERO, |(s, _)| s.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_is_read_at_the_first_wait_and_then_kept() {
        let b = Bound::timeout(Duration::from_millis(50));
        assert_eq!(b.waited(), Duration::ZERO, "no wait yet");
        let before = Instant::now();
        let d = b.deadline().unwrap();
        assert!(d >= before + Duration::from_millis(50));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(b.deadline(), Some(d), "one deadline for every wait");
        assert!(b.waited() >= Duration::from_millis(2));
        let now = Instant::now();
        assert_eq!(Bound::until(now).deadline(), Some(now));
        assert!(Bound::no_wait().deadline().unwrap() <= Instant::now());
        assert_eq!(Bound::forever().deadline(), None);
        assert_eq!(
            Bound::timeout(Duration::MAX).deadline(),
            None,
            "overflow: none"
        );
    }
}
