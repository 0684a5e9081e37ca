// The chat page: joins over /ws, keeps the conversation, the user list and the input, and
// reconnects by itself, resuming exactly where it was.

import { initialLanguage, language, languages, setLanguage, t } from "./i18n.js";
import * as render from "./render.js";

const $ = (id) => document.getElementById(id);
const RETRY_STEPS = [1, 2, 4, 8, 15, 30];

const state = {
  socket: null,
  joined: false,
  /** What the person asked to be called; what the server calls them is `me`. */
  wanted: localStorage.getItem("tchat.nick") || "",
  me: null,
  token: localStorage.getItem("tchat.token") || null,
  epoch: localStorage.getItem("tchat.epoch") || null,
  /** The last event shown: a reconnect asks for what came after it. */
  lastId: null,
  users: new Map(),
  /** Lines typed while offline, sent once joined again. */
  pending: [],
  retries: 0,
  retryTimer: null,
  stayClosed: false,
  sentLines: [],
  recall: -1,
  unread: 0,
  renaming: false,
};

// ---- connection --------------------------------------------------------------------------

function connect() {
  clearTimeout(state.retryTimer);
  state.stayClosed = false;
  setStatus("connecting", t("connecting"));
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/ws`);
  state.socket = socket;
  socket.addEventListener("open", () => sendHello());
  socket.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    try {
      handle(frame);
    } catch (error) {
      // One frame the page cannot show must not stop it from showing the next ones.
      console.error("frame not shown", frame, error);
    }
  });
  socket.addEventListener("close", () => {
    if (state.socket !== socket) return;
    state.joined = false;
    state.socket = null;
    renderUsers();
    if (state.stayClosed) {
      setStatus("closed", t("closed"));
      return;
    }
    scheduleRetry();
  });
}

function sendHello() {
  const hello = { type: "hello", nick: state.wanted };
  if (state.lastId !== null) {
    hello.since = state.lastId;
    if (state.epoch) hello.epoch = state.epoch;
  }
  if (state.token) hello.token = state.token;
  send(hello);
}

function scheduleRetry() {
  const base = RETRY_STEPS[Math.min(state.retries, RETRY_STEPS.length - 1)];
  state.retries += 1;
  // A little jitter, so a class of pages does not hammer a restarting server in step.
  let seconds = base + Math.random() * base * 0.3;
  const tick = () => {
    setStatus("offline", t("offline", { seconds: Math.ceil(seconds) }), true);
    if (seconds <= 0) return connect();
    const step = Math.min(1, seconds);
    seconds -= step;
    state.retryTimer = setTimeout(tick, step * 1000);
  };
  tick();
}

function send(frame) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

function setStatus(kind, text, offerRetry = false) {
  const status = $("status");
  status.dataset.state = kind;
  $("status-text").textContent = text;
  $("retry").hidden = !offerRetry;
}

// ---- frames from the server --------------------------------------------------------------

/** True for an event already shown: a resume must never show anything twice. */
function seen(frame) {
  if (typeof frame.id !== "number") return false;
  if (state.lastId !== null && frame.id <= state.lastId) return true;
  state.lastId = frame.id;
  return false;
}

function handle(frame) {
  switch (frame.type) {
    case "welcome":
      return welcome(frame);
    case "message":
    case "join":
    case "leave":
    case "nick":
      if (!seen(frame)) show(frame, true);
      return;
    case "private":
      render.append(
        render.privateMessage(frame, { mine: frame.from === state.me, onReply: (nick) => prefill(`/msg ${nick} `) }),
      );
      if (frame.from !== state.me) attention(frame.from, frame.text, true);
      return;
    case "users":
      render.append(render.notice(t("whoHeading", { count: frame.users.length })));
      for (const user of frame.users) render.append(render.notice(`${user.nick} (${viaName(user.via)})`));
      return;
    case "help":
      render.append(render.notice(t("helpHeading")));
      for (const command of frame.commands) render.append(render.notice(`${command.usage} — ${command.text}`));
      return;
    case "history":
      render.append(render.notice(t("historyHeading")));
      for (const past of frame.events) show(past, false);
      return;
    case "missed":
      render.append(render.notice(t("missed", { count: frame.count }), { kind: "notice gap" }));
      return;
    case "error":
      return error(frame);
    case "bye":
      return bye(frame);
  }
}

function welcome(frame) {
  const resumed = state.lastId !== null;
  const sameConversation = !state.epoch || state.epoch === frame.epoch;
  state.joined = true;
  state.retries = 0;
  state.me = frame.nick;
  state.wanted = frame.nick;
  state.token = frame.token;
  state.epoch = frame.epoch;
  localStorage.setItem("tchat.nick", frame.nick);
  localStorage.setItem("tchat.token", frame.token);
  localStorage.setItem("tchat.epoch", frame.epoch);
  closeNickDialog();
  $("chat").hidden = false;
  state.users = new Map(frame.users.map((user) => [user.nick, user.via]));
  renderUsers();
  if (resumed && !sameConversation) {
    state.lastId = null;
    render.append(render.notice(t("restarted"), { kind: "notice gap" }));
  }
  if (frame.missed > 0) {
    render.append(render.notice(t("missed", { count: frame.missed }), { kind: "notice gap" }));
  }
  for (const past of frame.history) {
    if (!seen(past)) show(past, false);
  }
  if (!resumed) render.append(render.notice(t("youAre", { nick: frame.nick })));
  setStatus("online", t("connected", { nick: frame.nick }));
  flushPending();
  if (!resumed) render.scrollToEnd();
  $("msg").focus();
}

/** Shows an event; `live` ones update the user list and may call for attention. */
function show(frame, live) {
  switch (frame.type) {
    case "message": {
      const mine = frame.from === state.me;
      const mention = !mine && mentions(frame.text);
      render.append(render.message(frame, { mine, mention }));
      if (live && !mine) attention(frame.from, frame.text, mention);
      return;
    }
    case "join":
      if (live) state.users.set(frame.nick, frame.via);
      render.append(render.notice(t("joined", { nick: frame.nick, via: viaName(frame.via) }), { ts: frame.ts }));
      break;
    case "leave":
      if (live) state.users.delete(frame.nick);
      render.append(render.notice(t("left", { nick: frame.nick }), { ts: frame.ts }));
      break;
    case "nick":
      if (live) {
        state.users.delete(frame.old);
        state.users.set(frame.new, frame.via);
        if (frame.old === state.me) {
          state.me = frame.new;
          state.wanted = frame.new;
          localStorage.setItem("tchat.nick", frame.new);
          setStatus("online", t("connected", { nick: frame.new }));
          closeNickDialog();
        }
      }
      render.append(render.notice(t("renamed", { old: frame.old, new: frame.new }), { ts: frame.ts }));
      break;
  }
  if (live) renderUsers();
}

function error(frame) {
  const nickProblem = frame.code === "nick_taken" || frame.code === "nick_invalid";
  if (nickProblem && (!state.joined || state.renaming)) {
    const nick = state.renaming ? $("nick").value.trim() : state.wanted;
    openNickDialog(t(frame.code, { nick }));
    return;
  }
  render.append(render.notice(frame.text, { kind: "notice error" }));
}

function bye(frame) {
  if (frame.reason === "shutdown") {
    render.append(render.notice(t("stopping"), { kind: "notice gap" }));
    return;
  }
  state.stayClosed = true;
  if (frame.reason === "replaced") {
    render.append(render.notice(t("replaced"), { kind: "notice gap" }));
    $("retry").hidden = false;
  } else {
    render.append(render.notice(frame.text));
  }
}

function viaName(via) {
  return via === "tcp" ? t("viaTcp") : t("viaWeb");
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** True when `text` names the reader as a whole word (`@bruno`, `bruno:`, not `brunos`). */
function mentions(text) {
  if (!state.me) return false;
  const haystack = text.toLowerCase();
  const needle = state.me.toLowerCase();
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
    const before = haystack[at - 1] ?? "";
    const after = haystack[at + needle.length] ?? "";
    if (!WORD_CHAR.test(before) && !WORD_CHAR.test(after)) return true;
  }
  return false;
}

// ---- attention: unread count, mentions, notifications ----------------------------------

function attention(from, text, mention) {
  if (document.hidden) {
    state.unread += 1;
    document.title = `(${state.unread}) ${t("title")}`;
  }
  if (mention && document.hidden && localStorage.getItem("tchat.notify") === "on" && notificationsUsable()) {
    try {
      new Notification(t("mention", { nick: from }), { body: text, tag: "tchat-mention" });
    } catch {
      // Some browsers only allow notifications from a service worker: the highlight remains.
    }
  }
}

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) {
    state.unread = 0;
    document.title = t("title");
  }
});

function notificationsUsable() {
  return window.isSecureContext && "Notification" in window;
}

function setupNotifications() {
  const box = $("notify");
  const note = $("notify-note");
  if (!notificationsUsable()) {
    box.closest("label").hidden = true;
    note.hidden = false;
    note.textContent = t("notifyInsecure");
    return;
  }
  box.checked = localStorage.getItem("tchat.notify") === "on" && Notification.permission === "granted";
  box.addEventListener("change", async () => {
    if (!box.checked) return localStorage.setItem("tchat.notify", "off");
    const permission = await Notification.requestPermission();
    box.checked = permission === "granted";
    localStorage.setItem("tchat.notify", box.checked ? "on" : "off");
    note.hidden = box.checked;
    if (!box.checked) note.textContent = t("notifyDenied");
  });
}

// ---- user list ---------------------------------------------------------------------------

function renderUsers() {
  const list = $("user-list");
  const sorted = [...state.users].sort(([a], [b]) => a.localeCompare(b, undefined, { sensitivity: "base" }));
  const items = sorted.map(([nick, via]) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.append(render.nickElement(nick));
    const badge = document.createElement("span");
    badge.className = `via-badge ${via}`;
    badge.textContent = viaName(via);
    button.append(badge);
    if (nick === state.me) button.classList.add("me");
    button.addEventListener("click", () => {
      if (nick !== state.me) prefill(`/msg ${nick} `);
    });
    item.append(button);
    return item;
  });
  list.replaceChildren(...items);
  $("user-count").textContent = String(state.users.size);
  $("toggle-users-count").textContent = String(state.users.size);
}

// ---- input ---------------------------------------------------------------------------------

function prefill(text) {
  const input = $("msg");
  input.value = text;
  input.focus();
  input.setSelectionRange(text.length, text.length);
}

function submit(text) {
  if (!text.trim()) return;
  state.sentLines.push(text);
  if (state.sentLines.length > 100) state.sentLines.shift();
  state.recall = -1;
  if (state.joined && send({ type: "say", text })) return;
  const item = render.pending(text);
  state.pending.push({ text, item });
  render.append(item);
}

function flushPending() {
  const waiting = state.pending;
  state.pending = [];
  for (const { text, item } of waiting) {
    item.remove();
    if (!send({ type: "say", text })) {
      state.pending.push({ text, item });
      render.append(item);
    }
  }
}

/** Nickname completion for the word being typed: `@al` or, at the start, `al`. */
function completions() {
  const input = $("msg");
  const before = input.value.slice(0, input.selectionStart);
  const match = before.match(/(^|\s)(@?)([\p{L}\p{N}_.-]*)$/u);
  if (!match || (!match[2] && !match[3])) return null;
  const prefix = match[3].toLowerCase();
  const nicks = [...state.users.keys()].filter((nick) => nick !== state.me && nick.toLowerCase().startsWith(prefix));
  return { start: before.length - match[3].length - match[2].length, at: match[2], nicks };
}

function complete(nick, found) {
  const input = $("msg");
  const after = input.value.slice(input.selectionStart);
  const atStart = found.start === 0 && !found.at;
  const inserted = `${found.at}${nick}${atStart ? ": " : " "}`;
  input.value = input.value.slice(0, found.start) + inserted + after;
  const caret = found.start + inserted.length;
  input.setSelectionRange(caret, caret);
  hideSuggestions();
}

function showSuggestions() {
  const found = completions();
  const box = $("suggestions");
  if (!found || !found.at || found.nicks.length === 0) return hideSuggestions();
  const options = found.nicks.slice(0, 8).map((nick, index) => {
    const option = document.createElement("li");
    option.role = "option";
    option.id = `suggestion-${index}`;
    option.append(render.nickElement(nick));
    option.addEventListener("mousedown", (event) => {
      event.preventDefault();
      complete(nick, completions());
      $("msg").focus();
    });
    return option;
  });
  box.replaceChildren(...options);
  box.hidden = false;
  $("msg").setAttribute("aria-expanded", "true");
}

function hideSuggestions() {
  $("suggestions").hidden = true;
  $("msg").setAttribute("aria-expanded", "false");
}

function onKey(event) {
  const input = $("msg");
  if (event.key === "Tab" && !event.shiftKey) {
    const found = completions();
    if (found && found.nicks.length > 0) {
      event.preventDefault();
      complete(found.nicks[0], found);
    }
    return;
  }
  if (event.key === "Escape") return hideSuggestions();
  if (!$("suggestions").hidden) return;
  if (event.key === "ArrowUp" && state.sentLines.length > 0) {
    event.preventDefault();
    state.recall = state.recall < 0 ? state.sentLines.length - 1 : Math.max(0, state.recall - 1);
    prefill(state.sentLines[state.recall]);
  } else if (event.key === "ArrowDown" && state.recall >= 0) {
    event.preventDefault();
    state.recall += 1;
    if (state.recall >= state.sentLines.length) {
      state.recall = -1;
      prefill("");
    } else {
      prefill(state.sentLines[state.recall]);
    }
  }
}

// ---- nickname dialog -----------------------------------------------------------------------

function openNickDialog(problem = "", renaming = false) {
  state.renaming = renaming;
  $("nick-dialog").hidden = false;
  $("nick-submit").textContent = renaming ? t("rename") : t("join");
  $("nick-cancel").hidden = !renaming;
  $("nick-error").textContent = problem;
  const input = $("nick");
  if (!renaming && !problem) input.value = state.wanted;
  input.focus();
  input.select();
}

function closeNickDialog() {
  state.renaming = false;
  $("nick-dialog").hidden = true;
  $("nick-error").textContent = "";
}

function onNickSubmit(event) {
  event.preventDefault();
  const nick = $("nick").value.trim();
  if (!nick) return;
  $("nick-error").textContent = "";
  if (state.renaming) {
    send({ type: "nick", nick });
    return;
  }
  state.wanted = nick;
  localStorage.setItem("tchat.nick", nick);
  if (state.socket && state.socket.readyState === WebSocket.OPEN && !state.joined) sendHello();
  else if (!state.socket) connect();
}

// ---- start -------------------------------------------------------------------------------

function start() {
  const languageChoice = $("lang");
  languageChoice.replaceChildren(
    ...languages.map((code) => {
      const option = document.createElement("option");
      option.value = code;
      option.textContent = code.toUpperCase();
      return option;
    }),
  );
  setLanguage(initialLanguage());
  languageChoice.value = language();
  languageChoice.addEventListener("change", () => {
    setLanguage(languageChoice.value);
    renderUsers();
    if (state.joined) setStatus("online", t("connected", { nick: state.me }));
  });
  document.title = t("title");
  $("nick-form").addEventListener("submit", onNickSubmit);
  $("nick-cancel").addEventListener("click", closeNickDialog);
  $("rename").addEventListener("click", () => openNickDialog("", true));
  $("say").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("msg");
    submit(input.value);
    input.value = "";
    hideSuggestions();
  });
  $("msg").addEventListener("keydown", onKey);
  $("msg").addEventListener("input", showSuggestions);
  $("msg").addEventListener("blur", () => setTimeout(hideSuggestions, 100));
  $("retry").addEventListener("click", () => {
    if (!state.socket) connect();
  });
  $("toggle-users").addEventListener("click", () => {
    const open = $("users").classList.toggle("open");
    $("toggle-users").setAttribute("aria-expanded", String(open));
  });
  setupNotifications();
  renderUsers();
  if (state.wanted) {
    connect();
  } else {
    setStatus("closed", t("closed"));
    openNickDialog();
  }
}

start();
