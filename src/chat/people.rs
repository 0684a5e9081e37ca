//! Limits that belong to a person, not to a connection: a mute, slow mode's pace, flood
//! control's allowance and a kick's cooldown follow someone across reconnections, page
//! refreshes and a switch of transport.
//!
//! A person is their nickname (by its look-alike key), or, while they have not chosen one,
//! their address. On top of each person's allowance, each address has a budget, so that
//! many connections from one laptop do not multiply one student's allowance; it is sized so
//! that a class behind one NAT address, chatting normally, never reaches it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ChatError;

/// Lines dropped in a row for flooding before the person is silenced.
pub(super) const FLOOD_STRIKES: u32 = 10;
/// How long a flooder is silenced.
pub(super) const FLOOD_MUTE: Duration = Duration::from_secs(60);
/// One address's budget, in persons' allowances: a class of 30 chatting (a line every few
/// seconds each, all at once to say hello) stays well under six people flooding.
const ADDRESS_SHARE: u32 = 6;
/// Arrivals one address may announce at once (a class behind NAT arriving together), and
/// then one every two seconds.
const ARRIVALS_AT_ONCE: u32 = 40;
const ARRIVAL_EVERY: Duration = Duration::from_secs(2);
/// Records kept before those with nothing left to remember are forgotten.
const REMEMBERED: usize = 4096;
/// How long an unused flood bucket takes to be full again, at the slowest rate.
const REFILLED: Duration = Duration::from_secs(10);

/// Who a limit applies to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Person {
    /// Someone who chose a nickname: its look-alike key.
    Named(String),
    /// Someone with a guest name, by address.
    Guest(IpAddr),
}

/// What is remembered of one person.
#[derive(Debug, Default)]
pub(super) struct Record {
    /// Silenced until then (`/mute`, or flooding).
    pub(super) muted_until: Option<Instant>,
    /// When they last posted, for slow mode.
    pub(super) last_post: Option<Instant>,
    /// Sent away: may not come back under this name until then.
    pub(super) kicked_until: Option<Instant>,
    /// Flood control: a token bucket of `--max-rate` lines a second, bursts of twice that.
    flood: Option<DefaultDirectRateLimiter>,
    /// When they last sent a line, for forgetting their bucket once it is full again.
    last_line: Option<Instant>,
}

impl Record {
    /// True when nothing about this person needs remembering any more.
    fn is_spent(&self, now: Instant, slow: Duration) -> bool {
        let past = |until: Option<Instant>| until.is_none_or(|until| until <= now);
        past(self.muted_until)
            && past(self.kicked_until)
            && past(self.last_post.map(|last| last + slow))
            && past(self.last_line.map(|last| last + REFILLED))
    }

    /// What holds a person back, without their flood bucket (which one person cannot share).
    fn restrictions(&self) -> Record {
        Record {
            muted_until: self.muted_until,
            last_post: self.last_post,
            kicked_until: self.kicked_until,
            flood: None,
            last_line: None,
        }
    }

    /// Merges what `other` remembers into this record, keeping the stricter of each.
    fn merge(&mut self, other: Record) {
        self.muted_until = self.muted_until.max(other.muted_until);
        self.last_post = self.last_post.max(other.last_post);
        self.kicked_until = self.kicked_until.max(other.kicked_until);
        if other.flood.is_some() {
            self.flood = other.flood;
            self.last_line = other.last_line;
        }
    }
}

/// Every person's record, and each address's budget.
pub(super) struct People {
    records: HashMap<Person, Record>,
    /// Lines a second one person may send; `None` turns flood control off.
    rate: Option<NonZeroU32>,
    /// The longest slow-mode interval set, for knowing when a post is forgotten.
    slowest: Duration,
    /// How many records there may be before the spent ones are swept out: twice what was
    /// left by the last sweep, so that sweeping stays rare however many remain.
    sweep_at: usize,
    /// Each address's budget; `None` with flood control off.
    addresses: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Arrivals each address may announce; `None` with flood control off.
    arrivals: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl People {
    pub(super) fn new(max_rate: u32) -> Self {
        let rate = NonZeroU32::new(max_rate);
        Self {
            records: HashMap::new(),
            slowest: Duration::ZERO,
            sweep_at: REMEMBERED,
            rate,
            addresses: rate.map(|rate| {
                let share = NonZeroU32::new(ADDRESS_SHARE).unwrap_or(NonZeroU32::MIN);
                let budget = rate.saturating_mul(share);
                RateLimiter::keyed(Quota::per_second(budget).allow_burst(burst(budget)))
            }),
            arrivals: rate.and_then(|_| {
                let at_once = NonZeroU32::new(ARRIVALS_AT_ONCE)?;
                let quota = Quota::with_period(ARRIVAL_EVERY)?.allow_burst(at_once);
                Some(RateLimiter::keyed(quota))
            }),
        }
    }

    /// Whether `addr` may announce one more arrival.
    ///
    /// # Errors
    /// [`ChatError::Flood`] past its budget of arrivals.
    pub(super) fn allow_arrival(&self, addr: IpAddr) -> Result<(), ChatError> {
        match &self.arrivals {
            Some(arrivals) if arrivals.check_key(&addr).is_err() => Err(ChatError::Flood),
            _ => Ok(()),
        }
    }

    /// The record of `person`, if there is one.
    pub(super) fn get(&self, person: &Person) -> Option<&Record> {
        self.records.get(person)
    }

    /// The record of `person`, made if there is none.
    pub(super) fn record(&mut self, person: Person) -> &mut Record {
        if self.records.len() >= self.sweep_at {
            let now = Instant::now();
            let slowest = self.slowest;
            self.records
                .retain(|_, record| !record.is_spent(now, slowest));
            for limiter in [&self.addresses, &self.arrivals].into_iter().flatten() {
                limiter.retain_recent();
            }
            self.sweep_at = REMEMBERED.max(self.records.len() * 2);
        }
        self.records.entry(person).or_default()
    }

    /// Notes a slow-mode interval, so that a post is remembered as long as it matters.
    pub(super) fn slowest(&mut self, interval: Duration) {
        self.slowest = self.slowest.max(interval);
    }

    /// Someone renamed: what was remembered of them goes with them. A name's record moves;
    /// an address's is copied, as it also holds for every other guest behind it.
    pub(super) fn renamed(&mut self, old: &Person, new: Person) {
        let record = match old {
            Person::Named(_) => self.records.remove(old),
            Person::Guest(_) => self.records.get(old).map(Record::restrictions),
        };
        if let Some(record) = record {
            self.record(new).merge(record);
        }
    }

    /// Flood control for one line from `person` at `addr`: their allowance, then the
    /// address's budget. A guest is their address: the address's budget is their allowance.
    ///
    /// # Errors
    /// [`ChatError::Flood`] when the line is over either.
    pub(super) fn allow(&mut self, person: Person, addr: IpAddr) -> Result<(), ChatError> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        if let Person::Named(_) = person {
            let record = self.record(person);
            record.last_line = Some(Instant::now());
            let bucket = record.flood.get_or_insert_with(|| {
                RateLimiter::direct(Quota::per_second(rate).allow_burst(burst(rate)))
            });
            if bucket.check().is_err() {
                return Err(ChatError::Flood);
            }
        }
        match &self.addresses {
            Some(addresses) if addresses.check_key(&addr).is_err() => Err(ChatError::Flood),
            _ => Ok(()),
        }
    }
}

/// Bursts of twice the rate: a quick exchange is fine, a script is not.
fn burst(rate: NonZeroU32) -> NonZeroU32 {
    rate.saturating_mul(NonZeroU32::MIN.saturating_add(1))
}
