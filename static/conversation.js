// The conversation: every frame from the server, turned into the page's picture of the
// room (who is here, the rules, where we are in the history) and into lines in the log.
// Sentences are built here in the reader's language from the frames' codes and values,
// whatever the server's own language. A student sees its own room; a teacher watches every
// room, each event going to its room's log (announcements to every log).

import * as attention from "./attention.js";
import * as composer from "./composer.js";
import * as connection from "./connection.js";
import * as dialog from "./dialog.js";
import { language, t } from "./i18n.js";
import * as log from "./log.js";
import * as moderation from "./moderation.js";
import * as render from "./render.js";
import * as room from "./room.js";
import * as rooms from "./rooms.js";
import * as users from "./users.js";
import * as wire from "./wire.js";

const $ = (id) => document.getElementById(id);

/** The last event shown: a reconnect asks for what came after it. */
let lastId = null;
/** A long welcome or answer arrives in parts: `roster` and `backlog` frames ahead of the
 * `welcome`, the `users` or the `history` they belong to. */
let ahead = { users: [], history: [] };

/** The id of the last event shown, or `null` before any. */
export function since() {
  return lastId;
}

/** A new socket: whatever came ahead of an unfinished welcome is gone with the old one. */
export function opened() {
  ahead = { users: [], history: [] };
}

/** True for an event already shown: a resume must never show anything twice. */
function seen(frame) {
  if (typeof frame.id !== "number") return false;
  if (lastId !== null && frame.id <= lastId) return true;
  lastId = frame.id;
  return false;
}

export function handle(frame) {
  switch (frame.type) {
    case "roster":
      ahead.users.push(...frame.users);
      return;
    case "backlog":
      ahead.history.push(...frame.events);
      return;
    case "welcome":
      frame.users = ahead.users.concat(frame.users);
      frame.history = ahead.history.concat(frame.history);
      ahead = { users: [], history: [] };
      return welcome(frame);
    case "message":
    case "join":
    case "leave":
    case "nick":
    case "notice":
    case "move":
      if (!seen(frame)) show(frame, true);
      return;
    case "room":
      frame.users = ahead.users.concat(frame.users ?? []);
      ahead.users = [];
      return entered(frame);
    case "rooms":
      return listed(frame);
    case "private": {
      const mine = frame.from === users.myNick();
      const onReply = (nick) => composer.prefill(`/msg ${nick} `);
      const item = render.privateMessage(frame, { mine, onReply });
      log.append(item);
      if (!mine) notifyReader(item, frame.from, frame.text, true);
      return;
    }
    case "users": {
      const list = ahead.users.concat(frame.users);
      ahead.users = [];
      users.setTeachers(list);
      const count = frame.count ?? list.length;
      log.append(render.notice(t("who", { count })));
      for (const user of list) log.append(render.notice(`${user.nick} (${users.viaName(user.via)})`));
      if (count > list.length) log.append(render.notice(t("who_more", { count: count - list.length })));
      return;
    }
    case "help":
      help(frame);
      return;
    case "history": {
      const events = ahead.history.concat(frame.events);
      ahead.history = [];
      log.append(render.notice(t("history")));
      if (frame.missed > 0) log.append(render.notice(t("history_older", { count: frame.missed })));
      for (const past of events) show(past, false);
      return;
    }
    case "missed":
      log.append(render.notice(t("missed", { count: frame.count }), { kind: "notice gap" }));
      return;
    case "error":
      return error(frame);
    case "arrivals":
      log.append(render.notice(t("arrivals")));
      for (const arrived of frame.arrivals) {
        const time = new Date(arrived.ts).toLocaleTimeString(language(), { hourCycle: "h23" });
        const state = t(arrived.present ? "arrival_here" : "arrival_gone");
        const via = users.viaName(arrived.via);
        log.append(render.notice(t("arrival", { ...arrived, time, via, state })));
      }
      return;
    case "wire":
      return wire.show(frame);
    case "unwatched":
      if (!wire.unwatched()) log.append(render.notice(t("wire_off")));
      return;
    case "alert": {
      const kind = ["saving_failed", "cluster_down"].includes(frame.code) ? "notice error" : "notice";
      log.append(render.notice(t(frame.code, frame.args || {}, frame.text), { kind }));
      return;
    }
    case "bye":
      return bye(frame);
  }
}

function welcome(frame) {
  const resumed = lastId !== null;
  const sameConversation = !connection.identity.epoch || connection.identity.epoch === frame.epoch;
  connection.welcomed(frame);
  dialog.close();
  $("chat").hidden = false;
  users.setAll(frame.users);
  users.setMe(frame.nick, Boolean(frame.teacher));
  const here = frame.here ?? "main";
  const list = frame.rooms ?? [{ name: "main", count: frame.users.length }];
  rooms.set(list, here, Boolean(frame.teacher), Boolean(frame.fixed));
  if (frame.teacher) {
    for (const name of list.map((entry) => entry.name)) log.ensure(name);
    log.showRoom(rooms.shownRoom());
    room.set(rooms.rulesIn(rooms.shownRoom()));
  } else {
    // A student that comes back in another room than its page showed starts afresh there.
    if (log.shownRoom() !== here) log.restart(here);
    room.set(frame.room);
  }
  users.showOnly(rooms.shownRoom());
  users.show();
  if (resumed && !sameConversation) {
    lastId = null;
    log.append(render.notice(t("restarted"), { kind: "notice gap" }));
  }
  if (frame.missed > 0) {
    log.append(render.notice(t("missedAway", { count: frame.missed }), { kind: "notice gap" }));
  }
  for (const past of frame.history) {
    if (!seen(past)) show(past, false);
  }
  if (!resumed) log.append(render.notice(t("youAre", { nick: frame.nick })));
  // A student put back in its group is told where it is, as on a move.
  if (!resumed && !frame.teacher && here !== "main") log.append(render.notice(t("entered", { room: here })));
  composer.flushPending();
  wire.rejoined();
  if (!resumed) log.scrollToEnd();
  composer.focus();
}

/** Shows an event; `live` ones update the room and may call for attention. */
function show(frame, live) {
  switch (frame.type) {
    case "message": {
      const mine = frame.from === users.myNick();
      const mention = !mine && attention.mentions(frame.text);
      const onDelete = users.amTeacher() ? () => moderation.deleteMessage(frame) : null;
      const item = render.message(frame, { mine, mention, onDelete });
      put(frame, item);
      if (live && !mine) notifyReader(item, frame.from, frame.text, mention);
      if (live && users.amTeacher()) rooms.said(frame.room);
      return;
    }
    case "notice":
      notice(frame, live);
      break;
    case "join":
      if (live) {
        users.arrived(frame.nick, frame.via, frame.room);
        rooms.counted(frame.room, 1);
      }
      put(frame, render.presence(frame, t("joined", { nick: frame.nick, via: users.viaName(frame.via) })));
      break;
    case "leave":
      if (live) {
        users.left(frame.nick);
        rooms.counted(frame.room, -1);
      }
      put(frame, render.presence(frame, t("left", { nick: frame.nick })));
      break;
    case "nick":
      if (live) renamed(frame);
      put(frame, render.presence(frame, t("renamed", { old: frame.old, new: frame.new })));
      break;
    case "move":
      // Told once in each room: a teacher, who reads both, counts it once; one's own move
      // is counted by the room frame that follows it.
      const mine = frame.nick === users.myNick();
      if (live && !mine && (!users.amTeacher() || frame.room === frame.to)) {
        users.moved(frame.nick, frame.to, frame.via);
        rooms.counted(frame.from, -1);
        rooms.counted(frame.to, 1);
      }
      put(frame, render.presence(frame, t("moved", { nick: frame.nick, from: frame.from, to: frame.to })));
      break;
  }
  if (live) users.show();
}

function renamed(frame) {
  const mine = frame.old === users.myNick();
  users.renamed(frame.old, frame.new, frame.via);
  wire.renamed(frame.old, frame.new);
  if (!mine) return;
  connection.want(frame.new);
  connection.setStatus("online", t("connected", { nick: frame.new }));
  dialog.close();
}

/** A teacher's action: shown, and applied to the page's picture of the room. */
function notice(frame, live) {
  const key = frame.kind === "topic" && !frame.text ? "notice_topic_cleared"
    : frame.kind === "slow" && !frame.number ? "notice_slow_off"
    : frame.kind === "kick" && frame.text ? "notice_kick_reason"
    : frame.kind === "ban" && !frame.nick ? "notice_ban_address"
    : `notice_${frame.kind}`;
  const text = t(key, { nick: frame.nick, by: frame.by, text: frame.text, number: frame.number });
  const kind = frame.kind === "announce" ? "notice announce" : "notice";
  const item = render.notice(text, { ts: frame.ts, kind });
  if (frame.kind === "room_open") log.ensure(frame.text);
  put(frame, item);
  if (frame.kind === "delete") log.forget(frame.number);
  if (!live) return;
  if (frame.kind === "op") users.becameTeacher(frame.nick);
  if (frame.kind === "kick" || frame.kind === "ban") users.left(frame.nick);
  rooms.noticed(frame);
  rooms.ruled(frame);
  if (frame.kind === "room_close" && users.amTeacher()) {
    // A teacher looking at the room that closed goes back to the room it speaks in.
    if (log.shownRoom() === frame.text) view(rooms.hereRoom());
    log.drop(frame.text);
  }
  // A teacher's page shows the rules of the room on screen.
  if (!users.amTeacher() || [rooms.shownRoom(), "*", undefined].includes(frame.room)) room.apply(frame);
  if (frame.kind === "op") room.show();
  if (frame.kind === "announce" || frame.kind === "topic") notifyReader(item, frame.by, frame.text, true);
}

/** Puts an event's item in the log: a student's one log, or a teacher's log of the event's
 * room (every log, for an event of every room). */
function put(frame, item) {
  if (!users.amTeacher()) {
    log.append(item);
    return;
  }
  const where = frame.room ?? "main";
  if (where !== "*") {
    log.appendIn(where, item);
    return;
  }
  const shown = log.shownRoom();
  for (const name of log.rooms()) log.appendIn(name, name === shown ? item : item.cloneNode(true));
}

/** This member is in another room now (for a teacher: speaks there). A student starts a
 * fresh log there; a teacher, who has every room's log, shows that room's. */
function entered(frame) {
  const rules = { topic: frame.topic, locked: frame.locked, slow: frame.slow, private: frame.private };
  if (users.amTeacher()) {
    const from = rooms.hereRoom();
    if (from !== frame.name) rooms.counted(from, -1);
    rooms.entered(frame.name, rules, frame.users?.length);
    log.ensure(frame.name);
    log.showRoom(frame.name);
  } else {
    rooms.entered(frame.name, rules, frame.users?.length);
    log.restart(frame.name);
    users.setAll(frame.users ?? []);
    log.append(render.notice(t("entered", { room: frame.name })));
    for (const past of frame.events ?? []) show(past, false);
    log.scrollToEnd();
  }
  room.set(rules);
  users.showOnly(frame.name);
  users.show();
}

/** The answer to `/rooms`: shown, and the room list brought up to date. */
function listed(frame) {
  rooms.set(frame.rooms, frame.here, users.amTeacher());
  log.append(render.notice(t("roomsAnswer")));
  for (const entry of frame.rooms) {
    const key = entry.name === frame.here ? "roomRowHere" : "roomRow";
    log.append(render.notice(t(key, { room: entry.name, count: t("roomPeople", { count: entry.count }) })));
  }
}

/** A teacher looks at room `name` (its log, its people, its rules); its next line goes there. */
export function view(name) {
  rooms.show(name);
  log.ensure(name);
  log.showRoom(name);
  room.set(rooms.rulesIn(name));
  users.showOnly(name);
  users.show();
}

/** Something for the reader arrived: counted while they are away, the first of it marked. */
function notifyReader(item, from, text, mention) {
  if (attention.notify(from, text, mention)) log.markFirstUnread(item);
}

/** The commands, described in the reader's language. */
function help(frame) {
  const list = (commands) => {
    for (const command of commands) {
      const text = t(`cmd_${command.name}`, {}, command.text);
      log.append(render.notice(`${command.usage} — ${text}`));
    }
  };
  log.append(render.notice(t("help")));
  list(frame.commands);
  if (frame.teacher?.length) {
    log.append(render.notice(t("help_teacher")));
    list(frame.teacher);
  }
}

function error(frame) {
  const problem = t(frame.code, frame.args || {}, frame.text);
  const nickProblem = ["nick_taken", "nick_invalid", "nick_reserved"].includes(frame.code);
  if (nickProblem && (!connection.isJoined() || dialog.isRenaming())) {
    const nick = dialog.isRenaming() ? dialog.typed() : connection.identity.wanted;
    dialog.open(t(`${frame.code}_dialog`, { ...frame.args, nick }), dialog.isRenaming());
    return;
  }
  if (dialog.isRenaming()) {
    // A rename refused for another reason (muted, locked, too fast): said where the reader
    // is looking.
    dialog.open(problem, true);
    return;
  }
  if (["password_required", "password_wrong", "too_many_attempts"].includes(frame.code)) {
    dialog.askPassword(t(`${frame.code}_dialog`, {}, problem));
    return;
  }
  if (frame.code === "bad_token") {
    connection.forgetTeacherToken();
    if (!connection.isJoined()) {
      dialog.askToken(problem);
      return;
    }
  }
  if (!connection.isJoined()) {
    // Refused on the way in (sent away a moment ago, banned…): said where the reader is.
    dialog.open(problem);
    return;
  }
  log.append(render.notice(problem, { kind: "notice error" }));
}

function bye(frame) {
  if (frame.reason === "shutdown") {
    log.append(render.notice(t("stopping_page"), { kind: "notice gap" }));
    return;
  }
  // This server lost touch with the others for a while: the page connects again.
  if (frame.reason === "lost") {
    log.append(render.notice(frame.text, { kind: "notice gap" }));
    return;
  }
  if (frame.reason === "kicked" || frame.reason === "banned") {
    const key = frame.args?.text ? "kicked_reason" : frame.reason;
    log.append(render.notice(t(key, frame.args || {}), { kind: "notice gap" }));
    connection.stay(t(frame.reason));
  } else if (frame.reason === "replaced") {
    log.append(render.notice(t("replaced_page"), { kind: "notice gap" }));
    connection.stay(t("closed"), true);
  } else {
    connection.stay();
    log.append(render.notice(t(frame.reason === "quit" ? "bye" : frame.reason, {}, frame.text)));
  }
}
