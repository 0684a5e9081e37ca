// The link to the server: the socket, the hello, resuming, reconnecting with backoff, and
// the connection status in the bar. Also who this page says it is: the nickname it wants,
// its resume token, the conversation it last saw, and the secrets it was given.

import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const RETRY_STEPS = [1, 2, 4, 8, 15, 30];

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
let handlers = { frame: () => {}, open: () => {}, closed: () => {}, since: () => null };

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

/** What to do with frames and with the link opening or closing; `since` is the resume point. */
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
    socket.send(JSON.stringify(frame));
    return true;
  }
  return false;
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
