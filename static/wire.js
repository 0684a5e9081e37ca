// The `/wire` panel: what the server read from a connection, read by read, as Python bytes
// with what tchat made of each. For one's own connection it also lists the WebSocket
// frames this page sent and received, so the two ends can be compared. A teacher watching
// someone sees each new read arrive live (the server masks private messages); closing the
// panel tells the server to stop. Text from the network goes in through textContent only.
//
// The panel shows one connection at a time, and the server is made to agree: whenever the
// panel moves away from someone it was watching, it sends `/wire off` itself, and the
// answer to that (`unwatched`) is not shown in the log.

import * as connection from "./connection.js";
import { language, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
/** Rows kept for a live view: as many reads as the server keeps, the oldest going first. */
const ROWS = 32;

/**
 * What the panel shows, or `null` while it is closed: whose reads (`own` for this page's),
 * their transport, the reads, and whether the server is sending new ones (`live`).
 * `resume` marks a live view whose connection was lost: the next welcome watches again.
 */
let view = null;
/** `/wire off` this panel sent whose answers are still to come: they say nothing. */
let quietOffs = 0;
/** Where focus was before the panel opened, to go back there when it closes. */
let back = null;

export function init() {
  $("wire-close").addEventListener("click", close);
  $("wire").addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });
}

/** A teacher asks to watch `nick` (from the user list). */
export function watch(nick) {
  if (view?.live && view.nick !== nick) stop();
  connection.send({ type: "say", text: `/wire ${nick}` });
}

/** A `wire` frame: the record so far opens or refills the panel; a live read adds a row. */
export function show(frame) {
  if (frame.live) {
    // Reads still on their way after the panel closed or moved on are dropped.
    if (!view || view.own || !view.live) return;
    const reads = frame.reads.map((read) => ({ ...read, nick: frame.nick }));
    view.reads.push(...reads);
    const extra = Math.max(0, view.reads.length - ROWS);
    view.reads.splice(0, extra);
    $("wire-empty").hidden = true;
    appendRows($("wire-reads"), reads.map(readRow), extra);
    return;
  }
  // The server watches everyone asked for until `/wire off`: moving to another view stops
  // the one before, and a `/wire NICK` typed while watching someone else is asked again
  // alone, so that only this person's reads keep coming.
  const elsewhere = view?.live && (frame.own || frame.nick !== view.nick);
  if (elsewhere) stop();
  if (elsewhere && !frame.own) connection.send({ type: "say", text: `/wire ${frame.nick}` });
  const wasOpen = view !== null;
  view = {
    own: frame.own,
    nick: frame.nick,
    via: frame.via,
    reads: frame.reads.slice(-ROWS).map((read) => ({ ...read, nick: frame.nick })),
    live: !frame.own && !elsewhere,
    resume: false,
  };
  if (!wasOpen) back = document.activeElement;
  draw();
  const panel = $("wire");
  panel.hidden = false;
  // One's own view reads from the top (the server's side, then the page's); a watched
  // person's newest reads are at the bottom, where the live ones arrive.
  panel.scrollTop = frame.own ? 0 : panel.scrollHeight;
  if (!wasOpen) panel.focus();
}

/** The answer to `/wire off`: false when it is one the reader asked for, to be said. */
export function unwatched() {
  if (quietOffs > 0) {
    quietOffs -= 1;
    return true;
  }
  if (view && !view.own) {
    view.live = false;
    drawStatus();
  }
  return false;
}

/** A frame this page sent or received: one's own view lists it as it happens. */
export function traffic(entry) {
  if (!view?.own) return;
  const list = $("wire-frames");
  appendRows(list, [frameRow(entry)], Math.max(0, list.children.length + 1 - ROWS));
}

/** The watched person took another nickname. */
export function renamed(old, nick) {
  if (!view || view.own || view.nick !== old) return;
  view.nick = nick;
  draw();
}

/** The socket closed: the server forgot who this page watched. */
export function disconnected() {
  quietOffs = 0;
  if (!view?.live) return;
  view.live = false;
  view.resume = true;
  drawStatus();
}

/** Joined again after a lost connection: a live view watches again. */
export function rejoined() {
  if (!view?.resume) return;
  view.resume = false;
  connection.send({ type: "say", text: `/wire ${view.nick}` });
}

/** Draws the panel again, in the reader's new language. */
export function redraw() {
  if (view) draw();
}

/** Closes the panel, stops a live view, and gives focus back. */
function close() {
  if (!view) return;
  if (view.live) stop();
  view = null;
  $("wire").hidden = true;
  const target = back?.isConnected ? back : $("msg");
  back = null;
  target.focus();
}

/** Asks the server to send no more reads. */
function stop() {
  if (connection.send({ type: "say", text: "/wire off" })) quietOffs += 1;
  view.live = false;
  view.resume = false;
}

function draw() {
  $("wire-title").textContent = view.own ? t("wireOwnTitle") : t("wireOfTitle", { nick: view.nick });
  $("wire-via").textContent = t("wireVia", { via: t(view.via === "tcp" ? "via_tcp" : "via_web") });
  drawStatus();
  $("wire-reads").replaceChildren(...view.reads.map(readRow));
  $("wire-empty").hidden = view.reads.length > 0;
  $("wire-empty").textContent = t("wire_nothing", { nick: view.nick });
  $("wire-page").hidden = !view.own;
  $("wire-frames").replaceChildren(...(view.own ? connection.recent().map(frameRow) : []));
}

/** Whether new reads are coming: only said for someone watched. */
function drawStatus() {
  const status = $("wire-status");
  status.hidden = view.own;
  status.textContent = view.live ? t("wireLive") : t("wireStopped");
  $("wire").dataset.state = view.own ? "own" : view.live ? "live" : "stopped";
}

/** Adds `rows` at the end of `list` after dropping its first `drop`, following them down
 * if the reader was at the bottom. */
function appendRows(list, rows, drop) {
  const panel = $("wire");
  const following = panel.scrollTop + panel.clientHeight >= panel.scrollHeight - 8;
  for (let n = 0; n < drop && list.firstChild; n++) list.firstChild.remove();
  list.append(...rows);
  if (following) panel.scrollTop = panel.scrollHeight;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const clocks = new Map();

/** `ms` as a time of day to the second, HH:MM:SS in every language. */
function timeElement(ms) {
  const date = new Date(ms);
  if (!clocks.has(language())) {
    const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
    clocks.set(language(), new Intl.DateTimeFormat(language(), options));
  }
  const node = element("time", "time", clocks.get(language()).format(date));
  node.dateTime = date.toISOString();
  return node;
}

/** One read: when, its bytes (or their count when masked), what the server made of it. */
function readRow(read) {
  const row = element("li", "wire-read");
  row.append(timeElement(read.at));
  // A live read of someone else than the panel's person (on its way before a switch).
  if (read.nick !== view.nick) row.append(element("span", "wire-who", read.nick));
  const size = t("wire_bytes", { count: read.len });
  if (read.bytes === null) {
    row.append(element("span", "wire-masked", size));
  } else {
    const shown = element("span", "wire-shown");
    shown.append(element("code", "wire-bytes", read.bytes));
    // The server keeps the start of a long read: its true size says what is missing.
    if (literalLength(read.bytes) < read.len) shown.append(element("span", "wire-cut", ` … (${size})`));
    row.append(shown);
  }
  const made = element("span", "wire-made");
  const arrow = element("span", "wire-arrow", "→ ");
  arrow.setAttribute("aria-hidden", "true");
  made.append(arrow, read.made.map((name) => t(`wire_${name}`, {}, name)).join(", "));
  row.append(made);
  return row;
}

/** How many bytes a Python bytes literal (`b'caf\xc3\xa9'`) stands for. */
function literalLength(literal) {
  const inner = literal.slice(2, -1);
  let count = 0;
  for (let at = 0; at < inner.length; count++) {
    if (inner[at] !== "\\") at += 1;
    else at += inner[at + 1] === "x" ? 4 : 2;
  }
  return count;
}

/** One frame this page sent (↑) or received (↓), as the browser saw it. */
function frameRow(entry) {
  const row = element("li", entry.sent ? "wire-frame sent" : "wire-frame received");
  row.append(timeElement(entry.at));
  const shown = element("span", "wire-shown");
  const arrow = element("span", "wire-dir", entry.sent ? "↑ " : "↓ ");
  arrow.setAttribute("aria-hidden", "true");
  shown.append(arrow, element("span", "visually-hidden", `${t(entry.sent ? "wireSent" : "wireReceived")} `));
  shown.append(element("code", "wire-bytes", entry.text));
  if (entry.cut) shown.append(element("span", "wire-cut", " …"));
  row.append(shown);
  return row;
}
