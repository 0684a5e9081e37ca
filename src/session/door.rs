//! The door, shared by every listener: at most so many connections in all and per address,
//! banned addresses refused, the real address of a client behind a trusted reverse proxy,
//! and the class password with the pace of guesses.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::HeaderMap;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::chat::{ChatError, Hub};
use crate::config::Config;

/// Password guesses one address may make per minute.
const PASSWORD_TRIES_PER_MINUTE: u32 = 5;

/// Who may come in.
pub(crate) struct Door {
    max_total: usize,
    max_per_address: usize,
    trusted_proxies: Vec<IpAddr>,
    /// The class password, if there is one.
    password: Option<String>,
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
    door: Arc<Door>,
    addr: IpAddr,
}

impl Door {
    pub(crate) fn new(config: &Config) -> Arc<Self> {
        let tries = NonZeroU32::new(PASSWORD_TRIES_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        Arc::new(Self {
            max_total: config.max_connections,
            max_per_address: config.max_per_address,
            trusted_proxies: config.trusted_proxies.clone(),
            password: config.password.clone(),
            open: Mutex::new(Counts::default()),
            guesses: RateLimiter::keyed(Quota::per_minute(tries)),
        })
    }

    /// Takes a place for a connection from `addr`: refused if `hub` bans the address, or if
    /// there are too many connections in all or from it.
    ///
    /// # Errors
    /// [`ChatError::Banned`] or [`ChatError::TooManyConnections`].
    pub(crate) fn admit(self: &Arc<Self>, hub: &Hub, addr: IpAddr) -> Result<Permit, ChatError> {
        if hub.is_banned(addr) {
            return Err(ChatError::Banned);
        }
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let from_here = open.by_address.get(&addr).copied().unwrap_or(0);
        if open.total >= self.max_total || from_here >= self.max_per_address {
            return Err(ChatError::TooManyConnections);
        }
        open.total += 1;
        open.by_address.insert(addr, from_here + 1);
        Ok(Permit {
            door: self.clone(),
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

    /// True when the room has a password.
    pub(crate) fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The password gate: passes when the room has no password or `given` is it (compared
    /// in constant time). Each guess from `addr` counts against its allowance.
    ///
    /// # Errors
    /// [`ChatError::PasswordRequired`] when none was given, [`ChatError::TooManyAttempts`]
    /// past the allowance, [`ChatError::PasswordWrong`].
    pub(crate) fn check_password(
        &self,
        addr: IpAddr,
        given: Option<&str>,
    ) -> Result<(), ChatError> {
        let Some(password) = &self.password else {
            return Ok(());
        };
        let Some(given) = given.filter(|given| !given.is_empty()) else {
            return Err(ChatError::PasswordRequired);
        };
        if self.guesses.check_key(&addr).is_err() {
            return Err(ChatError::TooManyAttempts);
        }
        if crate::secret::same(given, password) {
            Ok(())
        } else {
            Err(ChatError::PasswordWrong)
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self
            .door
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

    fn door(args: &[&str]) -> Arc<Door> {
        let mut all = vec!["tchat"];
        all.extend_from_slice(args);
        Door::new(&Config::parse_from(all))
    }

    fn hub() -> Hub {
        Hub::new(crate::chat::HubConfig::default(), "test".into())
    }

    #[test]
    fn places_are_counted_per_address_and_in_all_and_given_back() {
        let door = door(&["--max-per-address", "2", "--max-connections", "3"]);
        let hub = hub();
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let first = door.admit(&hub, a).expect("room");
        let _second = door.admit(&hub, a).expect("room");
        let full = Some(ChatError::TooManyConnections);
        assert_eq!(door.admit(&hub, a).err(), full, "per address");
        let _third = door.admit(&hub, b).expect("room");
        assert_eq!(door.admit(&hub, b).err(), full, "in all");
        drop(first);
        assert!(door.admit(&hub, b).is_ok());
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let door = door(&["--trusted-proxy", "127.0.0.1"]);
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

    #[test]
    fn the_password_gate_counts_guesses_per_address() {
        let door = door(&["--password", "secret"]);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        assert_eq!(
            door.check_password(a, None),
            Err(ChatError::PasswordRequired)
        );
        assert_eq!(door.check_password(a, Some("secret")), Ok(()));
        for _ in 0..4 {
            assert_eq!(
                door.check_password(a, Some("guess")),
                Err(ChatError::PasswordWrong)
            );
        }
        assert_eq!(
            door.check_password(a, Some("secret")),
            Err(ChatError::TooManyAttempts)
        );
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        assert_eq!(door.check_password(b, Some("secret")), Ok(()));
    }
}
