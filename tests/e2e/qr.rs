//! The QR code tchat prints at startup scans on a light terminal and on a dark one: what the
//! binary prints is drawn as each terminal would draw it, then read back with a QR reader.

use crate::helpers::{start_binary, tchat};

/// Pixels per module in the picture given to the reader: a phone's camera sees several.
const SCALE: usize = 4;

/// The quiet zone the QR specification asks for around a code, in modules.
const QUIET_ZONE: usize = 4;

/// How a terminal draws what it is given no colour for, in grey levels.
#[derive(Clone, Copy, Debug)]
struct Scheme {
    name: &'static str,
    fg: u8,
    bg: u8,
}

const LIGHT: Scheme = Scheme {
    name: "light",
    fg: 0,
    bg: 255,
};

const DARK: Scheme = Scheme {
    name: "dark",
    fg: 255,
    bg: 0,
};

/// One pixel of a terminal's screen.
#[derive(Clone, Copy)]
struct Pixel {
    grey: u8,
    /// Drawn on a background tchat chose, not the terminal's own.
    chosen: bool,
}

/// A terminal's screen once it has shown some output: one pixel per half cell, so that a
/// module drawn with half blocks is one square pixel. Characters other than blocks (the
/// text around the code) are drawn as their background: their thin strokes fool no reader.
struct Screen {
    rows: Vec<Vec<Pixel>>,
}

impl Screen {
    fn after(output: &str, scheme: Scheme) -> Self {
        // Colours last until changed, across line breaks too, as in a terminal.
        let (mut fg, mut bg) = (None, None);
        let mut rows = Vec::new();
        for line in output.split('\n') {
            let (mut top, mut bottom) = (Vec::new(), Vec::new());
            let mut chars = line.chars();
            while let Some(c) = chars.next() {
                if c == '\x1b' {
                    assert_eq!(chars.next(), Some('['), "only CSI sequences: {line:?}");
                    let params: String = chars.by_ref().take_while(|c| *c != 'm').collect();
                    select_graphic_rendition(&params, &mut fg, &mut bg);
                    continue;
                }
                let ink = fg.unwrap_or(scheme.fg);
                let ground = bg.unwrap_or(scheme.bg);
                let (high, low) = match c {
                    '█' => (ink, ink),
                    '▀' => (ink, ground),
                    '▄' => (ground, ink),
                    _ => (ground, ground),
                };
                let chosen = bg.is_some();
                top.push(Pixel { grey: high, chosen });
                bottom.push(Pixel { grey: low, chosen });
            }
            rows.extend([top, bottom]);
        }
        // Past the end of a line the terminal shows its own background.
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let blank = Pixel {
            grey: scheme.bg,
            chosen: false,
        };
        for row in &mut rows {
            row.resize(width, blank);
        }
        Self { rows }
    }

    /// What a QR reader finds on the screen.
    fn read(&self) -> Vec<String> {
        let width = self.rows.first().map_or(0, Vec::len);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(
            width * SCALE,
            self.rows.len() * SCALE,
            |x, y| self.rows[y / SCALE][x / SCALE].grey,
        );
        image
            .detect_grids()
            .iter()
            .filter_map(|grid| grid.decode().ok())
            .map(|(_, text)| text)
            .collect()
    }

    /// The pixels tchat chose the background of, as `(x, y)` ranges: they must make one
    /// rectangle.
    fn coloured(&self) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let chosen: Vec<(usize, usize)> = self
            .rows
            .iter()
            .enumerate()
            .flat_map(|(y, row)| {
                row.iter()
                    .enumerate()
                    .filter(|(_, pixel)| pixel.chosen)
                    .map(move |(x, _)| (x, y))
            })
            .collect();
        let xs = chosen.iter().map(|(x, _)| *x);
        let ys = chosen.iter().map(|(_, y)| *y);
        let x = xs.clone().min().expect("some colour")..xs.max().expect("some colour") + 1;
        let y = ys.clone().min().expect("some colour")..ys.max().expect("some colour") + 1;
        assert_eq!(chosen.len(), x.len() * y.len(), "one coloured rectangle");
        (x, y)
    }
}

/// Applies the colour changes of one `ESC [ … m` sequence: the ones tchat may print, with
/// xterm's grey levels for them; anything else fails the test rather than being guessed.
fn select_graphic_rendition(params: &str, fg: &mut Option<u8>, bg: &mut Option<u8>) {
    for code in params.split(';') {
        match code {
            "" | "0" => (*fg, *bg) = (None, None),
            "39" => *fg = None,
            "49" => *bg = None,
            "30" => *fg = Some(0),
            "37" => *fg = Some(229),
            "90" => *fg = Some(127),
            "97" => *fg = Some(255),
            "40" => *bg = Some(0),
            "47" => *bg = Some(229),
            "100" => *bg = Some(127),
            "107" => *bg = Some(255),
            other => panic!("an escape sequence this test cannot draw: {other:?} in {params:?}"),
        }
    }
}

#[test]
fn the_qr_code_printed_at_startup_scans_on_light_and_dark_terminals() {
    let mut command = tchat();
    command.args(["--db", ":memory:", "--color", "always"]);
    let (_tchat, http, _, startup) = start_binary(command);
    let page = format!("http://{http}/");
    let screens = [LIGHT, DARK].map(|scheme| (scheme, Screen::after(&startup, scheme)));
    for (scheme, screen) in &screens {
        let read = screen.read();
        assert_eq!(read, [page.as_str()], "on a {} terminal", scheme.name);
    }
    // Light all around the code, four modules deep, whatever the terminal's own colours.
    for (scheme, screen) in &screens {
        let (xs, ys) = screen.coloured();
        for y in ys.clone() {
            for x in xs.clone() {
                let edge = (x - xs.start)
                    .min(xs.end - 1 - x)
                    .min(y - ys.start)
                    .min(ys.end - 1 - y);
                let grey = screen.rows[y][x].grey;
                assert!(
                    edge >= QUIET_ZONE || grey > 128,
                    "a dark module at ({x}, {y}), {edge} from the edge, on a {} terminal",
                    scheme.name
                );
            }
        }
    }
}

#[test]
fn into_a_pipe_tchat_prints_no_colour_and_no_qr_code_but_where_to_find_one() {
    let mut command = tchat();
    command.args(["--db", ":memory:"]).env_remove("TCHAT_COLOR");
    let (_tchat, http, _, startup) = start_binary(command);
    assert!(!startup.contains('\x1b'), "{startup:?}");
    assert!(!startup.contains(['█', '▀', '▄']), "{startup}");
    assert!(
        startup.contains(&format!("http://{http}/join")),
        "{startup}"
    );
}
