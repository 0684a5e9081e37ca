// The link to the server: the socket, the hello, resuming, reconnecting with backoff, and
// the connection status in the bar. Also who this page says it is: the nickname it wants,
// its resume token, the conversation it last saw, and the secrets it was given; and the
// last frames it sent and received, which the `/wire` panel shows beside the server's view.

import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const RETRY_STEPS = [1, 2, 4, 8, 15, 30];
/** Frames kept for the `/wire` panel, as many as the server keeps reads: the panel sets
 * the two views side by side. */
const TRAFFIC = 32;
/** Characters kept of each frame: enough to tell one frame from another, so that a flood
 * or a long welcome costs the page nothing to remember. */
const TRAFFIC_CHARS = 128;
/**
 * A secret's value in a frame's JSON: the resume token, the class password and the teacher
 * token (in the hello, and the token in the welcome). A page shown on the projector must
 * not show them. Matches a string value cut off by the truncation too. Only an object key
 * can match: inside a JSON string every `"` is escaped, so `token"` never occurs there.
 */
const SECRET = /("(?:token|teacher|password)":")(?:[^"\\]|\\.?)*("?)/g;

/** What the page says about itself in its hello; the nickname and token survive reloads. */
export const identity = {
  /** What the person asked to be called. */
  wanted: localStorage.getItem("tchat.nick") || "",
  token: localStorage.getItem("tchat.token") || null,
  epoch: localStorage.getItem("tchat.epoch") || null,
  /** The teacher token, from `?teacher=` in the address (kept for this tab only). */
  teacherToken: sessionStorage.getItem("tchat.teacher"),
  password: sessionStorage.getItem("tchat.password") || "",
};

let socket = null;
/** Whether the page has tried to join yet: until then the status invites the reader to
 * choose a nickname rather than saying it is disconnected. */
let tried = false;
let joined = false;
let retries = 0;
let retryTimer = null;
/** Set when this socket is not to be reconnected: what the status then says, and whether
 * it offers to connect again. */
let stayClosed = null;
let handlers = {
  frame: () => {},
  open: () => {},
  closed: () => {},
  since: () => null,
  traffic: () => {},
};
/** The last frames, oldest first: `{ at, sent, text, cut }`, `text` masked and cut short. */
let traffic = [];

// The teacher's address carries the token: keep it out of the address bar (and of
// screenshots, shared links and history) once read.
{
  const params = new URLSearchParams(location.search);
  const token = params.get("teacher");
  if (token) {
    identity.teacherToken = token;
    sessionStorage.setItem("tchat.teacher", token);
    params.delete("teacher");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : ""));
  }
}

/** What to do with frames and with the link opening or closing; `since` is the resume
 * point; `traffic` is told of each frame sent or received, as `recent` keeps it. */
export function init(given) {
  handlers = { ...handlers, ...given };
  $("retry").addEventListener("click", () => {
    if (!socket) connect();
  });
}

export function connect() {
  tried = true;
  clearTimeout(retryTimer);
  stayClosed = null;
  setStatus("connecting", t("connecting"));
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const opened = new WebSocket(`${scheme}//${location.host}/ws`);
  socket = opened;
  opened.addEventListener("open", () => {
    handlers.open();
    hello();
  });
  opened.addEventListener("message", (event) => {
    if (typeof event.data === "string") keep(false, event.data);
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    try {
      handlers.frame(frame);
    } catch (error) {
      // One frame the page cannot show must not stop it from showing the next ones.
      console.error("frame not shown", frame, error);
    }
  });
  opened.addEventListener("close", () => {
    if (socket !== opened) return;
    joined = false;
    socket = null;
    handlers.closed();
    if (stayClosed !== null) {
      setStatus("closed", stayClosed.why, stayClosed.retry);
      return;
    }
    scheduleRetry();
  });
}

/** Says who this page is and where it left off. */
export function hello() {
  const frame = { type: "hello", nick: identity.wanted };
  const since = handlers.since();
  if (since !== null) {
    frame.since = since;
    if (identity.epoch) frame.epoch = identity.epoch;
  }
  // Back in the room the page was in (the server says where, if not there).
  const room = handlers.room?.();
  if (room && room !== "main") frame.room = room;
  if (identity.token) frame.token = identity.token;
  if (identity.teacherToken) frame.teacher = identity.teacherToken;
  if (identity.password) frame.password = identity.password;
  send(frame);
}

/** The server welcomed this page: remember who it is, for the next reload or reconnection. */
export function welcomed({ nick, token, epoch }) {
  joined = true;
  retries = 0;
  identity.token = token;
  identity.epoch = epoch;
  localStorage.setItem("tchat.token", token);
  localStorage.setItem("tchat.epoch", epoch);
  want(nick);
  setStatus("online", t("connected", { nick }));
  // Renaming is for someone who is in.
  $("rename").hidden = false;
}

/** The nickname to ask for from now on. */
export function want(nick) {
  identity.wanted = nick;
  localStorage.setItem("tchat.nick", nick);
}

export function setPassword(password) {
  identity.password = password;
  if (password) sessionStorage.setItem("tchat.password", password);
  else sessionStorage.removeItem("tchat.password");
}

export function forgetTeacherToken() {
  setTeacherToken("");
}

export function setTeacherToken(token) {
  identity.teacherToken = token || null;
  if (token) sessionStorage.setItem("tchat.teacher", token);
  else sessionStorage.removeItem("tchat.teacher");
}

/** Before the page first tries to join: the status invites the reader in. */
export function invite() {
  if (!tried) setStatus("idle", t("chooseNick"));
}

/** Joined the conversation on the current socket. */
export function isJoined() {
  return joined;
}

/** A socket exists, open or opening. */
export function isConnecting() {
  return socket !== null;
}

export function isOpen() {
  return socket !== null && socket.readyState === WebSocket.OPEN;
}

/** Do not reconnect when this socket closes (kicked, banned, replaced, quit); the status
 * then says `why`, with the retry button if `retry`. */
export function stay(why = t("closed"), retry = false) {
  stayClosed = { why, retry };
  setStatus("closed", why, retry);
}

export function send(frame) {
  if (isOpen()) {
    const text = JSON.stringify(frame);
    socket.send(text);
    keep(true, text);
    return true;
  }
  return false;
}

/** The last frames this page sent (`sent`) and received, oldest first, as `keep` made them. */
export function recent() {
  return traffic.slice();
}

/** Remembers a frame for the `/wire` panel: its start, secrets masked. */
function keep(sent, text) {
  let head = text.length > TRAFFIC_CHARS ? text.slice(0, TRAFFIC_CHARS) : text;
  // Half a character (an emoji's first surrogate) is not shown.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  const entry = {
    at: Date.now(),
    sent,
    text: head.replace(SECRET, "$1•••$2"),
    cut: head.length < text.length,
  };
  traffic.push(entry);
  if (traffic.length > TRAFFIC) traffic.shift();
  handlers.traffic(entry);
}

/** The state screen readers were last told of. */
let spoken = "idle";

export function setStatus(kind, text, offerRetry = false) {
  // Screen readers hear a change of state once: not each second of a countdown, nor each
  // attempt in between (its outcome is what matters).
  if (kind !== spoken && kind !== "connecting") {
    spoken = kind;
    $("status-live").textContent = text;
  }
  $("status").dataset.state = kind;
  $("status-text").textContent = text;
  $("retry").hidden = !offerRetry;
}

function scheduleRetry() {
  const base = RETRY_STEPS[Math.min(retries, RETRY_STEPS.length - 1)];
  retries += 1;
  // A little jitter, so a class of pages does not hammer a restarting server in step.
  let seconds = base + Math.random() * base * 0.3;
  const tick = () => {
    setStatus("offline", t("offline", { seconds: Math.ceil(seconds) }), true);
    if (seconds <= 0) return connect();
    const step = Math.min(1, seconds);
    seconds -= step;
    retryTimer = setTimeout(tick, step * 1000);
  };
  tick();
}
