//! Exponential backoff with jitter, shared by request retries and SSE reconnection.

use std::time::Duration;

use rand::Rng;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry (before jitter).
    pub initial: Duration,
    /// Upper bound of any single delay.
    pub max: Duration,
    /// Total attempts of one call, the first included (1 = no retry). Ignored by SSE, which
    /// reconnects for as long as the stream is alive.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(10),
            max_attempts: 4,
        }
    }
}

impl Backoff {
    /// The delay before retry number `retry` (0 = first retry): `initial · 2^retry`, capped,
    /// then "equal jitter" (half fixed, half random) so clients that failed together do not
    /// come back together, while the delay still grows.
    pub fn delay(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(retry);
        let half = ceiling / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rng.random_range(0..=jitter_ms))
    }

    /// The wait before SSE reconnection attempt `failures` (0 = the first since the stream
    /// last worked): the backoff delay, plus for the first one a uniform random
    /// `0..=spread`. Clients dropped together (a service restart) thus come back spread over
    /// `spread` instead of all at once; later attempts are spread by the backoff's jitter.
    pub fn reconnect_delay(&self, failures: u32, spread: Duration, rng: &mut impl Rng) -> Duration {
        let delay = self.delay(failures, rng);
        if failures > 0 {
            return delay;
        }
        let spread_ms = u64::try_from(spread.as_millis()).unwrap_or(u64::MAX);
        delay + Duration::from_millis(rng.random_range(0..=spread_ms))
    }

    /// The capped exponential delay before jitter.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(30));
        self.initial.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn grows_exponentially_and_is_capped() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(2),
            max_attempts: 5,
        };
        assert_eq!(backoff.ceiling(0), Duration::from_millis(100));
        assert_eq!(backoff.ceiling(1), Duration::from_millis(200));
        assert_eq!(backoff.ceiling(3), Duration::from_millis(800));
        assert_eq!(backoff.ceiling(5), Duration::from_secs(2));
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(2));
    }

    #[test]
    fn the_first_reconnection_is_spread_over_the_window_later_ones_are_not() {
        let backoff = Backoff {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(15),
            max_attempts: u32::MAX,
        };
        let spread = Duration::from_secs(10);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let first: Vec<_> = (0..200)
            .map(|_| backoff.reconnect_delay(0, spread, &mut rng))
            .collect();
        let least = backoff.ceiling(0) / 2;
        assert!(
            first
                .iter()
                .all(|d| *d >= least && *d <= backoff.ceiling(0) + spread)
        );
        // Spread over the window, not bunched: some in each half of it.
        assert!(first.iter().any(|d| *d < spread / 2));
        assert!(first.iter().any(|d| *d > spread / 2 + backoff.ceiling(0)));
        let later: Vec<_> = (0..50)
            .map(|_| backoff.reconnect_delay(3, spread, &mut rng))
            .collect();
        assert!(later.iter().all(|d| *d <= backoff.ceiling(3)));
        // No window at all: just the backoff.
        assert!(backoff.reconnect_delay(0, Duration::ZERO, &mut rng) <= backoff.ceiling(0));
    }

    #[test]
    fn jitter_stays_between_half_and_full_ceiling_and_varies() {
        let backoff = Backoff::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for retry in 0..8 {
            let ceiling = backoff.ceiling(retry);
            let delays: Vec<_> = (0..50).map(|_| backoff.delay(retry, &mut rng)).collect();
            assert!(delays.iter().all(|d| *d >= ceiling / 2 && *d <= ceiling));
            assert!(
                delays.iter().any(|d| *d != delays[0]),
                "no jitter at {retry}"
            );
        }
    }
}
