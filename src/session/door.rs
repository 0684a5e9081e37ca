//! The door, shared by every listener: at most so many connections in all and per address,
//! banned addresses refused, the real address of a client behind a trusted reverse proxy,
//! and the two secrets, the class password and the teacher token, with the pace of wrong
//! guesses at each.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

use crate::chat::{ChatError, Hub};
use crate::config::Config;

/// Wrong guesses one connection may make at a secret before it is refused any more: a
/// student who mistyped five times has had enough tries, and nobody else is held up.
pub(crate) const WRONG_PER_CONNECTION: u32 = 5;
/// How long wrong guesses from one address count against it.
const GUESS_WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered per secret before the ones whose window has passed are forgotten.
const REMEMBERED_ADDRESSES: usize = 4096;

/// Who may come in.
pub(crate) struct Door {
    max_total: usize,
    max_per_address: usize,
    trusted_proxies: Vec<IpAddr>,
    /// The class password, if there is one.
    password: Option<String>,
    /// The teacher's secret.
    teacher_token: String,
    /// Names of this machine a request's `Host` may use (besides its addresses).
    hosts: Vec<String>,
    /// Open connections per address; the sum is the total. A `std` mutex, locked briefly
    /// and never across an `.await`.
    open: Mutex<Counts>,
    /// Wrong guesses at the password, per address.
    password_guesses: Guesses,
    /// Wrong guesses at the teacher token, per address, on every route.
    token_guesses: Guesses,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One admitted connection; dropping it frees its place.
pub(crate) struct Permit {
    /// `None` for the server's own console, which holds no place (see [`Permit::console`]).
    place: Option<Place>,
}

/// A place taken at the door, given back when dropped.
struct Place {
    door: Arc<Door>,
    addr: IpAddr,
}

impl Permit {
    /// The console's: the teacher at the server's own terminal is no connection, so it
    /// takes no place and no cap (in all, or for the machine's own address, which students
    /// testing on the same machine share) can lock the teacher out.
    pub(crate) fn console() -> Self {
        Self { place: None }
    }
}

/// Wrong guesses one connection made at the secrets. Past [`WRONG_PER_CONNECTION`] it is
/// refused without comparing: a student who mistyped five times has had enough tries.
#[derive(Debug, Default)]
pub(crate) struct Tries(u32);

impl Tries {
    /// Runs `check` (a gate of the [`Door`]) unless this connection has run out of tries,
    /// and counts it if it was a wrong guess.
    ///
    /// # Errors
    /// [`ChatError::TooManyAttempts`] once out of tries, or the gate's refusal.
    pub(crate) fn check(
        &mut self,
        check: impl FnOnce() -> Result<(), ChatError>,
    ) -> Result<(), ChatError> {
        if self.0 >= WRONG_PER_CONNECTION {
            return Err(ChatError::TooManyAttempts);
        }
        let checked = check();
        if matches!(checked, Err(ChatError::PasswordWrong | ChatError::BadToken)) {
            self.0 += 1;
            if self.0 >= WRONG_PER_CONNECTION {
                return Err(ChatError::TooManyAttempts);
            }
        }
        checked
    }
}

/// Wrong guesses at one secret, per address, in windows of [`GUESS_WINDOW`]. Only wrong
/// guesses count: a class behind one address typing the right password all get in. Past
/// the allowance the address is refused without comparing, so that guessing on tells it
/// nothing, until its window ends.
struct Guesses {
    /// What is guessed, for the log: "password" or "teacher token".
    secret: &'static str,
    /// Wrong guesses an address may make per window.
    per_address: u32,
    /// A `std` mutex, locked briefly and never across an `.await`.
    windows: Mutex<HashMap<IpAddr, Window>>,
}

struct Window {
    began: Instant,
    wrong: u32,
}

impl Guesses {
    fn new(secret: &'static str, per_address: u32) -> Self {
        Self {
            secret,
            per_address,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Compares `given` with `expected` for `addr`, unless the address has run out of
    /// guesses. Logs the first wrong guess of a window and the moment the address runs out,
    /// never the guess itself.
    fn check(&self, addr: IpAddr, given: &str, expected: &str) -> Result<(), ChatError> {
        let now = Instant::now();
        {
            let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(window) = windows.get(&addr)
                && now.duration_since(window.began) < GUESS_WINDOW
                && window.wrong >= self.per_address
            {
                return Err(ChatError::TooManyAttempts);
            }
        }
        if crate::secret::same(given, expected) {
            return Ok(());
        }
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() >= REMEMBERED_ADDRESSES {
            windows.retain(|_, window| now.duration_since(window.began) < GUESS_WINDOW);
            // Every address guessing within the minute is remembered: the oldest windows
            // go first past the limit, so the map stays bounded.
            while windows.len() >= REMEMBERED_ADDRESSES {
                let oldest = windows
                    .iter()
                    .min_by_key(|(_, window)| window.began)
                    .map(|(addr, _)| *addr);
                match oldest {
                    Some(addr) => windows.remove(&addr),
                    None => break,
                };
            }
        }
        let window = windows.entry(addr).or_insert(Window {
            began: now,
            wrong: 0,
        });
        if now.duration_since(window.began) >= GUESS_WINDOW {
            *window = Window {
                began: now,
                wrong: 0,
            };
        }
        window.wrong += 1;
        if window.wrong == 1 {
            tracing::info!(%addr, secret = self.secret, "wrong guess");
        } else if window.wrong == self.per_address {
            tracing::warn!(
                %addr,
                secret = self.secret,
                guesses = window.wrong,
                "too many wrong guesses: refusing this address for a minute"
            );
        }
        Err(ChatError::PasswordWrong)
    }
}

impl Door {
    pub(crate) fn new(config: &Config) -> Arc<Self> {
        let per_address = config.guesses_per_address;
        Arc::new(Self {
            max_total: config.max_connections,
            max_per_address: config.max_per_address,
            trusted_proxies: config.trusted_proxies.clone(),
            password: config.password.clone(),
            teacher_token: config.teacher_token.clone().unwrap_or_default(),
            hosts: own_names(&config.public_hosts),
            open: Mutex::new(Counts::default()),
            password_guesses: Guesses::new("password", per_address),
            token_guesses: Guesses::new("teacher token", per_address),
        })
    }

    /// Takes a place for a connection from `addr`: refused if `hub` bans the address, or if
    /// there are too many connections in all or from it. A trusted proxy speaks for many
    /// clients, so its own connections are counted in all but not capped per address; see
    /// [`Door::readdress`].
    ///
    /// # Errors
    /// [`ChatError::Banned`] or [`ChatError::TooManyConnections`].
    pub(crate) fn admit(self: &Arc<Self>, hub: &Hub, addr: IpAddr) -> Result<Permit, ChatError> {
        if hub.is_banned(addr) {
            return Err(ChatError::Banned);
        }
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let from_here = open.by_address.get(&addr).copied().unwrap_or(0);
        let capped = !self.trusted_proxies.contains(&addr);
        if open.total >= self.max_total || (capped && from_here >= self.max_per_address) {
            return Err(ChatError::TooManyConnections);
        }
        open.total += 1;
        open.by_address.insert(addr, from_here + 1);
        let place = Place {
            door: self.clone(),
            addr,
        };
        Ok(Permit { place: Some(place) })
    }

    /// Moves a connection's place to `client`, the address a trusted proxy forwarded it for,
    /// under that address's ban and cap.
    ///
    /// # Errors
    /// [`ChatError::Banned`] or [`ChatError::TooManyConnections`]; the permit keeps its
    /// place then.
    pub(crate) fn readdress(
        &self,
        permit: &mut Permit,
        hub: &Hub,
        client: IpAddr,
    ) -> Result<(), ChatError> {
        let Some(place) = &mut permit.place else {
            return Ok(());
        };
        if place.addr == client {
            return Ok(());
        }
        if hub.is_banned(client) {
            return Err(ChatError::Banned);
        }
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let from_there = open.by_address.get(&client).copied().unwrap_or(0);
        if from_there >= self.max_per_address {
            return Err(ChatError::TooManyConnections);
        }
        open.by_address.insert(client, from_there + 1);
        open.forget(place.addr);
        place.addr = client;
        Ok(())
    }

    /// True when `host` (a request's `Host`, port included or not) names this machine: one of
    /// its addresses, `localhost`, its name, or one given with `--public-host`. A page of
    /// another site whose name was made to point here (DNS rebinding) names itself.
    pub(crate) fn host_allowed(&self, host: Option<&str>) -> bool {
        let Some(host) = host else {
            return false;
        };
        let name = match host.strip_prefix('[') {
            // [IPv6]:port
            Some(rest) => rest.split(']').next().unwrap_or_default(),
            None => host.rsplit_once(':').map_or(host, |(name, _)| name),
        };
        if let Ok(ip) = name.parse::<IpAddr>() {
            return is_own_address(ip.to_canonical());
        }
        self.hosts
            .iter()
            .any(|known| known.eq_ignore_ascii_case(name.trim_end_matches('.')))
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

    /// True when a request comes from the machine tchat runs on itself. A request that
    /// says it was forwarded (`X-Forwarded-For`, `Forwarded`) by a proxy that is not
    /// trusted is not: a reverse proxy on the same machine would otherwise make every
    /// student "the machine itself".
    pub(crate) fn is_local(&self, peer: SocketAddr, headers: &HeaderMap) -> bool {
        let untrusted_forward = !self.trusted_proxies.contains(&peer.ip().to_canonical())
            && (headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded"));
        !untrusted_forward && self.client_ip(peer, headers).is_loopback()
    }

    /// True when the room has a password.
    pub(crate) fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The password gate: passes when the room has no password or `given` is it (compared
    /// in constant time). Only wrong guesses count against the address's allowance.
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
        self.password_guesses.check(addr, given, password)
    }

    /// The teacher's gate, for every route that takes the token (`/op`, the `hello`'s
    /// `teacher`, `?teacher=` in an address). Only wrong guesses count against the
    /// address's allowance.
    ///
    /// # Errors
    /// [`ChatError::TooManyAttempts`] past the allowance, [`ChatError::BadToken`].
    pub(crate) fn check_teacher_token(&self, addr: IpAddr, given: &str) -> Result<(), ChatError> {
        self.token_guesses
            .check(addr, given, &self.teacher_token)
            .map_err(|refusal| match refusal {
                ChatError::PasswordWrong => ChatError::BadToken,
                other => other,
            })
    }
}

impl Counts {
    /// One connection fewer from `addr`.
    fn forget(&mut self, addr: IpAddr) {
        if let Some(count) = self.by_address.get_mut(&addr) {
            *count -= 1;
            if *count == 0 {
                self.by_address.remove(&addr);
            }
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self
            .door
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        open.forget(self.addr);
    }
}

/// True for an address of this machine: loopback, or one of its interfaces' now (a laptop's
/// address may change while tchat runs, so they are asked each time; a page asks rarely).
fn is_own_address(ip: IpAddr) -> bool {
    ip.is_loopback()
        || if_addrs::get_if_addrs()
            .unwrap_or_default()
            .iter()
            .any(|interface| interface.ip().to_canonical() == ip)
}

/// `localhost`, the machine's name (and its `.local` form, as phones on the LAN see it),
/// and the names given with `--public-host`.
fn own_names(public: &[String]) -> Vec<String> {
    let mut names = vec!["localhost".to_owned()];
    if let Some(name) = hostname::get()
        .ok()
        .and_then(|name| name.into_string().ok())
    {
        names.push(format!("{name}.local"));
        names.push(name);
    }
    names.extend(public.iter().cloned());
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn door(args: &[&str]) -> Arc<Door> {
        let mut all = vec!["tchat", "--teacher-token", "prof"];
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
    fn the_console_takes_no_place_at_the_door() {
        let door = door(&["--max-per-address", "1", "--max-connections", "1"]);
        let hub = hub();
        let _console = Permit::console();
        let here: IpAddr = "127.0.0.1".parse().expect("ip");
        let student = door.admit(&hub, here).expect("the one place is still free");
        let full = Some(ChatError::TooManyConnections);
        assert_eq!(door.admit(&hub, here).err(), full);
        drop(student);
        assert!(door.admit(&hub, here).is_ok());
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
    fn only_wrong_guesses_count_and_past_the_allowance_nothing_is_compared() {
        let door = door(&["--password", "secret", "--guesses-per-address", "3"]);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let required = Err(ChatError::PasswordRequired);
        assert_eq!(door.check_password(a, None), required);
        for _ in 0..30 {
            assert_eq!(door.check_password(a, Some("secret")), Ok(()));
        }
        for _ in 0..3 {
            let wrong = Err(ChatError::PasswordWrong);
            assert_eq!(door.check_password(a, Some("guess")), wrong);
        }
        let refused = Err(ChatError::TooManyAttempts);
        assert_eq!(door.check_password(a, Some("secret")), refused);
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        assert_eq!(door.check_password(b, Some("secret")), Ok(()));
        // The teacher token has an allowance of its own.
        assert_eq!(
            door.check_teacher_token(a, "nope"),
            Err(ChatError::BadToken)
        );
        assert_eq!(door.check_teacher_token(a, "prof"), Ok(()));
    }

    #[test]
    fn a_connection_runs_out_of_tries_after_five_wrong_guesses() {
        let door = door(&["--password", "secret"]);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let mut tries = Tries::default();
        for _ in 1..WRONG_PER_CONNECTION {
            let wrong = Err(ChatError::PasswordWrong);
            assert_eq!(tries.check(|| door.check_password(a, Some("x"))), wrong);
        }
        let refused = Err(ChatError::TooManyAttempts);
        assert_eq!(tries.check(|| door.check_password(a, Some("x"))), refused);
        assert_eq!(
            tries.check(|| door.check_password(a, Some("secret"))),
            refused
        );
        // A classmate behind the same address is not held up.
        let mut other = Tries::default();
        assert_eq!(
            other.check(|| door.check_password(a, Some("secret"))),
            Ok(())
        );
    }
}
