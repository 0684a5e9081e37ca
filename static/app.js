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
  /** A long welcome arrives in parts: `roster` and `backlog` frames ahead of the `welcome`. */
  ahead: { users: [], history: [] },
  /** Lines typed while offline, sent once joined again. */
  pending: [],
  retries: 0,
  retryTimer: null,
  stayClosed: false,
  sentLines: [],
  recall: -1,
  unread: 0,
  renaming: false,
  /** The teacher token, from `?teacher=` in the address (kept for this tab only). */
  teacherToken: sessionStorage.getItem("tchat.teacher"),
  password: sessionStorage.getItem("tchat.password") || "",
  isTeacher: false,
  room: { topic: null, locked: false, slow: 0, private: true },
  teachers: new Set(),
};

// The teacher's address carries the token: keep it out of the address bar (and of
// screenshots, shared links and history) once read.
{
  const params = new URLSearchParams(location.search);
  const token = params.get("teacher");
  if (token) {
    state.teacherToken = token;
    sessionStorage.setItem("tchat.teacher", token);
    params.delete("teacher");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : ""));
  }
}

// ---- connection --------------------------------------------------------------------------

function connect() {
  clearTimeout(state.retryTimer);
  state.stayClosed = false;
  setStatus("connecting", t("connecting"));
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/ws`);
  state.socket = socket;
  socket.addEventListener("open", () => {
    state.ahead = { users: [], history: [] };
    sendHello();
  });
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
  if (state.teacherToken) hello.teacher = state.teacherToken;
  if (state.password) hello.password = state.password;
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
    case "roster":
      state.ahead.users.push(...frame.users);
      return;
    case "backlog":
      state.ahead.history.push(...frame.events);
      return;
    case "welcome":
      frame.users = state.ahead.users.concat(frame.users);
      frame.history = state.ahead.history.concat(frame.history);
      state.ahead = { users: [], history: [] };
      return welcome(frame);
    case "message":
    case "join":
    case "leave":
    case "nick":
    case "notice":
      if (!seen(frame)) show(frame, true);
      return;
    case "private":
      render.append(
        render.privateMessage(frame, { mine: frame.from === state.me, onReply: (nick) => prefill(`/msg ${nick} `) }),
      );
      if (frame.from !== state.me) attention(frame.from, frame.text, true);
      return;
    case "users":
      state.teachers = new Set(frame.users.filter((user) => user.teacher).map((user) => user.nick));
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
  state.teachers = new Set(frame.users.filter((user) => user.teacher).map((user) => user.nick));
  state.isTeacher = Boolean(frame.teacher);
  state.room = frame.room || state.room;
  renderUsers();
  renderRoom();
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
      const onDelete = state.isTeacher ? (id) => send({ type: "say", text: `/delete ${id}` }) : null;
      render.append(render.message(frame, { mine, mention, onDelete }));
      if (live && !mine) attention(frame.from, frame.text, mention);
      return;
    }
    case "notice":
      notice(frame, live);
      break;
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

/** A teacher's action: shown, and applied to the page's picture of the room. */
function notice(frame, live) {
  const key = frame.kind === "topic" && !frame.text ? "notice_topic_cleared"
    : frame.kind === "slow" && !frame.number ? "notice_slow_off"
    : `notice_${frame.kind}`;
  const text = t(key, { nick: frame.nick, by: frame.by, text: frame.text, number: frame.number });
  const kind = frame.kind === "announce" ? "notice announce" : "notice";
  render.append(render.notice(text, { ts: frame.ts, kind }));
  if (frame.kind === "delete") render.forget(frame.number);
  if (!live) return;
  switch (frame.kind) {
    case "op":
      state.teachers.add(frame.nick);
      if (frame.nick === state.me) state.isTeacher = true;
      break;
    case "kick":
    case "ban":
      state.users.delete(frame.nick);
      break;
    case "topic":
      state.room.topic = frame.text || null;
      break;
    case "lock":
    case "unlock":
      state.room.locked = frame.kind === "lock";
      break;
    case "slow":
      state.room.slow = frame.number;
      break;
    case "private_off":
    case "private_on":
      state.room.private = frame.kind === "private_on";
      break;
  }
  if (frame.kind === "announce" || frame.kind === "topic") attention(frame.by, frame.text, true);
  renderRoom();
}

function renderRoom() {
  const topic = $("topic");
  topic.hidden = !state.room.topic;
  topic.textContent = state.room.topic ? `${t("topicLabel")} : ${state.room.topic}` : "";
  $("locked").hidden = !state.room.locked;
  $("teacher-tools").hidden = !state.isTeacher;
  $("lock").textContent = state.room.locked ? t("unlock") : t("lock");
  $("slow").value = String(state.room.slow || 0);
  $("private").checked = state.room.private;
  renderUsers();
}

function error(frame) {
  const nickProblem = ["nick_taken", "nick_invalid", "nick_reserved"].includes(frame.code);
  if (nickProblem && (!state.joined || state.renaming)) {
    const nick = state.renaming ? $("nick").value.trim() : state.wanted;
    openNickDialog(t(frame.code, { nick }));
    return;
  }
  if (["password_required", "password_wrong", "too_many_attempts"].includes(frame.code)) {
    state.password = "";
    sessionStorage.removeItem("tchat.password");
    $("password-row").hidden = false;
    openNickDialog(t(frame.code));
    return;
  }
  if (frame.code === "bad_token") {
    state.teacherToken = null;
    sessionStorage.removeItem("tchat.teacher");
  }
  render.append(render.notice(frame.text, { kind: "notice error" }));
}

function bye(frame) {
  if (frame.reason === "shutdown") {
    render.append(render.notice(t("stopping"), { kind: "notice gap" }));
    return;
  }
  state.stayClosed = true;
  if (frame.reason === "kicked" || frame.reason === "banned") {
    render.append(render.notice(frame.text, { kind: "notice gap" }));
    setStatus("closed", t(frame.reason));
  } else if (frame.reason === "replaced") {
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
    badge.textContent = state.teachers.has(nick) ? `${t("teacherTag")} · ${viaName(via)}` : viaName(via);
    button.append(badge);
    if (nick === state.me) button.classList.add("me");
    button.addEventListener("click", () => {
      if (nick !== state.me) prefill(`/msg ${nick} `);
    });
    item.append(button);
    if (state.isTeacher && nick !== state.me && !state.teachers.has(nick)) {
      const actions = document.createElement("div");
      actions.className = "actions";
      const action = (label, command, confirmText) => {
        const control = document.createElement("button");
        control.type = "button";
        control.textContent = t(label);
        control.setAttribute("aria-label", `${t(label)} ${nick}`);
        control.addEventListener("click", () => {
          if (confirmText && !confirm(confirmText)) return;
          send({ type: "say", text: `${command} ${nick}` });
        });
        return control;
      };
      actions.append(
        action("mute", "/mute"),
        action("kick", "/kick"),
        action("ban", "/ban", t("banConfirm", { nick })),
      );
      item.append(actions);
    }
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
  render.flush();
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
  if (!$("password-row").hidden) {
    state.password = $("password").value;
    sessionStorage.setItem("tchat.password", state.password);
  }
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
  $("lock").addEventListener("click", () => send({ type: "say", text: state.room.locked ? "/unlock" : "/lock" }));
  $("slow").addEventListener("change", () => send({ type: "say", text: `/slow ${$("slow").value}` }));
  $("private").addEventListener("change", () => send({ type: "say", text: `/private ${$("private").checked ? "on" : "off"}` }));
  $("topic-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send({ type: "say", text: `/topic ${$("topic-input").value}` });
  });
  renderUsers();
  if (state.wanted) {
    connect();
  } else {
    setStatus("closed", t("closed"));
    openNickDialog();
  }
}

start();
