//! Who may connect: at most so many connections in all and per address, banned addresses
//! refused, the real address of a client behind a trusted reverse proxy, and the pace of
//! password guesses. Shared by both listeners.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::HeaderMap;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;

/// Wrong passwords one address may try per minute.
const PASSWORD_TRIES_PER_MINUTE: u32 = 5;

/// Why a connection was turned away at the door.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Too many connections, in all or from this address.
    Full,
}

/// The door, shared by every listener.
pub(crate) struct Admission {
    max_total: usize,
    max_per_address: usize,
    trusted_proxies: Vec<IpAddr>,
    /// Open connections per address; the sum is the total. A `std` mutex, locked briefly
    /// and never across an `.await`.
    open: Mutex<Counts>,
    /// Password guesses, one bucket per address.
    guesses: DefaultKeyedRateLimiter<IpAddr>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One admitted connection; dropping it frees its place.
pub(crate) struct Permit {
    admission: Arc<Admission>,
    addr: IpAddr,
}

impl Admission {
    pub(crate) fn new(config: &Config) -> Arc<Self> {
        let tries = NonZeroU32::new(PASSWORD_TRIES_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        Arc::new(Self {
            max_total: config.max_connections,
            max_per_address: config.max_per_address,
            trusted_proxies: config.trusted_proxies.clone(),
            open: Mutex::new(Counts::default()),
            guesses: RateLimiter::keyed(Quota::per_minute(tries)),
        })
    }

    /// Takes a place for a connection from `addr`, if there is one.
    pub(crate) fn admit(self: &Arc<Self>, addr: IpAddr) -> Result<Permit, Refusal> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let from_here = open.by_address.get(&addr).copied().unwrap_or(0);
        if open.total >= self.max_total || from_here >= self.max_per_address {
            return Err(Refusal::Full);
        }
        open.total += 1;
        open.by_address.insert(addr, from_here + 1);
        Ok(Permit {
            admission: self.clone(),
            addr,
        })
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the last
    /// address its `X-Forwarded-For` adds that is not itself a trusted proxy.
    pub(crate) fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.ip().to_canonical();
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .map(|ip| ip.to_canonical())
            .collect::<Vec<_>>();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !self.trusted_proxies.contains(ip))
            .unwrap_or(peer)
    }

    /// Counts one password guess from `addr`; false once it has tried too often.
    pub(crate) fn may_guess(&self, addr: IpAddr) -> bool {
        self.guesses.check_key(&addr).is_ok()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self
            .admission
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_address.get_mut(&self.addr) {
            *count -= 1;
            if *count == 0 {
                open.by_address.remove(&self.addr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn admission(args: &[&str]) -> Arc<Admission> {
        let mut all = vec!["tchat"];
        all.extend_from_slice(args);
        Admission::new(&Config::parse_from(all))
    }

    #[test]
    fn places_are_counted_per_address_and_in_all_and_given_back() {
        let door = admission(&["--max-per-address", "2", "--max-connections", "3"]);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let first = door.admit(a).expect("room");
        let _second = door.admit(a).expect("room");
        assert_eq!(door.admit(a).err(), Some(Refusal::Full), "per address");
        let _third = door.admit(b).expect("room");
        assert_eq!(door.admit(b).err(), Some(Refusal::Full), "in all");
        drop(first);
        assert!(door.admit(b).is_ok());
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let door = admission(&["--trusted-proxy", "127.0.0.1"]);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "6.6.6.6, 10.1.2.3".parse().expect("header"),
        );
        let proxy: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        let stranger: SocketAddr = "192.168.1.9:5000".parse().expect("addr");
        assert_eq!(
            door.client_ip(proxy, &headers),
            "10.1.2.3".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(door.client_ip(stranger, &headers), stranger.ip());
    }
}
