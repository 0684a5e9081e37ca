//! Where students connect: the machine's addresses as page URLs and `nc` lines, and the page
//! URL as a QR code, for the terminal at startup and for the projected `/join` page, and the
//! Python client that page shows.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use qrcode::QrCode;
use qrcode::render::{svg, unicode};

/// The ways in, one entry per address students can reach.
#[derive(Clone, Debug)]
pub struct Entrances {
    /// `(page URL, TCP address)` per address, the most likely one first.
    pub addresses: Vec<(String, SocketAddr)>,
}

impl Entrances {
    /// The addresses students use for listeners bound to `http` and `tcp`: the machine's
    /// LAN IPv4 addresses when bound to all interfaces (loopback if it has none), else the
    /// bound address itself.
    pub fn new(http: SocketAddr, tcp: SocketAddr) -> Self {
        let ips: Vec<IpAddr> = if http.ip().is_unspecified() {
            let lan: Vec<IpAddr> = if_addrs::get_if_addrs()
                .unwrap_or_default()
                .into_iter()
                .filter(|interface| !interface.is_loopback())
                .map(|interface| interface.ip())
                .filter(IpAddr::is_ipv4)
                .collect();
            if lan.is_empty() {
                vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]
            } else {
                lan
            }
        } else {
            vec![http.ip()]
        };
        let addresses = ips
            .into_iter()
            .map(|ip| {
                let page = SocketAddr::new(ip, http.port());
                let tcp_ip = if tcp.ip().is_unspecified() {
                    ip
                } else {
                    tcp.ip()
                };
                (
                    format!("http://{page}/"),
                    SocketAddr::new(tcp_ip, tcp.port()),
                )
            })
            .collect();
        Self { addresses }
    }

    /// The page URL most students should type.
    pub fn main_url(&self) -> &str {
        self.addresses
            .first()
            .map_or("http://127.0.0.1:8080/", |(url, _)| url.as_str())
    }
}

/// A Python 3 client for tchat at `host:port`, short enough to copy from the board: it
/// prints what the server sends while sending what is typed, and ends without a traceback
/// on `/quit` (the server says goodbye and closes), when the server closes the connection,
/// and on Ctrl-D or Ctrl-C (it tells the server it is done, then reads the goodbye).
///
/// `input()` blocks the main thread, so the thread reading the socket is the one that ends
/// the program, with `os._exit`, once the server has closed the connection. That thread
/// blocks SIGINT (where the system has thread signal masks, not on Windows): a Ctrl-C the
/// kernel gave it would leave the main thread blocked in `input()`, never interrupted.
pub fn python_client(host: &str, port: u16) -> String {
    format!(
        r#"import os, signal as sig, socket, threading
s = socket.create_connection(("{host}", {port}))
s.sendall(b"\n")  # lines end with \n: be sent everything as it comes
def show():
    try:
        for line in s.makefile(encoding="utf-8", errors="replace"):
            print(line, end="", flush=True)
    finally:
        os._exit(0)  # the server has closed: end the program
mask = hasattr(sig, "pthread_sigmask")  # Ctrl-C: main thread
if mask: sig.pthread_sigmask(sig.SIG_BLOCK, [sig.SIGINT])
threading.Thread(target=show).start()
if mask: sig.pthread_sigmask(sig.SIG_UNBLOCK, [sig.SIGINT])
try:
    while True:
        s.sendall((input() + "\n").encode())
except (EOFError, KeyboardInterrupt):  # Ctrl-D, Ctrl-C
    s.shutdown(socket.SHUT_WR)"#
    )
}

/// Black characters on a bright white ground (ANSI SGR 30 and 107): a QR code scans with
/// dark modules on a light ground, which a terminal's own colours give only half the time.
/// The sixteen basic colours are the ones every terminal takes, and every usual scheme
/// keeps black dark and bright white light.
const DARK_ON_LIGHT: &str = "\x1b[30;107m";
/// Back to the terminal's own colours.
const PLAIN: &str = "\x1b[0m";

/// `text` as a QR code for a terminal that takes colours: two rows of modules per line of
/// half blocks, dark modules in black on white whatever the terminal's scheme, inside the
/// quiet zone of four light modules that readers need to find the code.
pub fn qr_terminal(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let blocks = code
        .render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Dark)
        .light_color(unicode::Dense1x2::Light)
        .quiet_zone(true)
        .build();
    // Colours end before each line break: a terminal may paint the rest of a line, or the
    // next one it scrolls in, with the colours in force at the break.
    let lines: Vec<String> = blocks
        .lines()
        .map(|line| format!("{DARK_ON_LIGHT}{line}{PLAIN}"))
        .collect();
    Some(lines.join("\n"))
}

/// `text` as a QR code in SVG, for the projected page.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(280, 280)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_specific_address_is_used_as_it_is() {
        let http: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        let tcp: SocketAddr = "127.0.0.1:50000".parse().expect("addr");
        let entrances = Entrances::new(http, tcp);
        assert_eq!(entrances.main_url(), "http://127.0.0.1:8080/");
        assert_eq!(entrances.addresses[0].1, tcp);
    }

    #[test]
    fn qr_codes_render_for_terminals_and_pages() {
        let text = qr_terminal("http://192.168.1.20:8080/").expect("QR");
        assert!(text.contains('█') || text.contains('▀') || text.contains('▄'));
        for line in text.lines() {
            assert!(
                line.starts_with(DARK_ON_LIGHT) && line.ends_with(PLAIN),
                "{line:?}"
            );
        }
        let svg = qr_svg("http://192.168.1.20:8080/").expect("QR");
        assert!(svg.contains("<svg"));
    }
}
