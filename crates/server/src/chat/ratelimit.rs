//! Per-IP limit on opening chats: a token bucket per address, time passed in.
//!
//! A person opens a chat or two; a script opening hundreds is refused with 429 and a
//! `Retry-After`. IPv6 addresses are limited per /64, the block one subscriber usually
//! gets, so rotating through one's own addresses does not help.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many chats one address may open at once, and how fast that allowance refills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Chats that may be opened back to back.
    pub burst: u32,
    /// One more chat allowed every this long.
    pub refill_every: Duration,
}

impl Limit {
    /// 10 at once, then one every 6 seconds (10 a minute): generous for offices behind
    /// one address, useless for flooding the queues.
    pub const DEFAULT: Limit = Limit {
        burst: 10,
        refill_every: Duration::from_secs(6),
    };

    /// No limit at all (load benchmarks on loopback).
    pub const UNLIMITED: Limit = Limit {
        burst: u32::MAX,
        refill_every: Duration::from_nanos(1),
    };
}

impl Default for Limit {
    fn default() -> Self {
        Limit::DEFAULT
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every address seen recently.
#[derive(Debug)]
pub struct RateLimiter {
    limit: Limit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// Beyond this many addresses, full buckets are dropped to bound memory.
const MAX_TRACKED: usize = 100_000;

impl RateLimiter {
    pub fn new(limit: Limit) -> Self {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Takes one token for `ip` at `now`: `Ok(())`, or `Err(wait)` with how long until the
    /// next one.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.limit.burst == u32::MAX {
            return Ok(());
        }
        let key = bucket_key(ip);
        let burst = f64::from(self.limit.burst);
        let per_sec = 1.0 / self.limit.refill_every.as_secs_f64();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&key) {
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_sec < burst
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.tokens;
            Err(Duration::from_secs_f64(missing / per_sec))
        }
    }
}

fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut seg = v6.segments();
                seg[4..].fill(0);
                IpAddr::V6(seg.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn burst_then_refill() {
        let rl = RateLimiter::new(Limit {
            burst: 3,
            refill_every: Duration::from_secs(10),
        });
        let t0 = Instant::now();
        let a = ip("203.0.113.7");
        for _ in 0..3 {
            assert!(rl.check(a, t0).is_ok());
        }
        let wait = rl.check(a, t0).unwrap_err();
        assert!(wait > Duration::from_secs(9) && wait <= Duration::from_secs(10));
        // Another address is not affected.
        assert!(rl.check(ip("203.0.113.8"), t0).is_ok());
        // After the refill interval, exactly one more.
        let t1 = t0 + Duration::from_secs(10);
        assert!(rl.check(a, t1).is_ok());
        assert!(rl.check(a, t1).is_err());
    }

    #[test]
    fn ipv6_is_limited_per_64() {
        let rl = RateLimiter::new(Limit {
            burst: 1,
            refill_every: Duration::from_secs(60),
        });
        let t0 = Instant::now();
        assert!(rl.check(ip("2001:db8:1:2::1"), t0).is_ok());
        assert!(rl.check(ip("2001:db8:1:2:ffff::9"), t0).is_err());
        assert!(rl.check(ip("2001:db8:1:3::1"), t0).is_ok());
        // An IPv4-mapped address shares the IPv4 bucket.
        assert!(rl.check(ip("198.51.100.1"), t0).is_ok());
        assert!(rl.check(ip("::ffff:198.51.100.1"), t0).is_err());
    }

    #[test]
    fn unlimited_never_refuses() {
        let rl = RateLimiter::new(Limit::UNLIMITED);
        let t0 = Instant::now();
        for _ in 0..10_000 {
            assert!(rl.check(ip("127.0.0.1"), t0).is_ok());
        }
    }
}
