// Who is here: the user list, who of them are teachers, and who "me" is. Draws the list,
// teachers first (with their badge), then everyone else alphabetically, each with how they
// came in (TCP or web); a teacher reading it gets a menu beside each student.

import { t } from "./i18n.js";
import * as moderation from "./moderation.js";
import * as render from "./render.js";

const $ = (id) => document.getElementById(id);

/** Nickname → transport ("tcp" or "web"). */
let users = new Map();
/** Nickname → the room they are in, when not `main`. */
let places = new Map();
/** The room whose people are listed (the room on screen). */
let only = "main";
let teachers = new Set();
let me = null;
let teacher = false;
/** Nickname → when their mute ends (ms), as this page saw it happen: a page loaded later
 * does not know, so the teacher's menu always offers both mute and unmute. */
let silenced = new Map();
/** Whether the list changed since it was last drawn: most events (messages) change nothing,
 * and a room of 60 is not drawn again for each of 10,000 messages. */
let changed = true;
/** What a click does: `pick(nick)` on a name, `act(command)` or `watch(nick)` on a
 * teacher's button. */
let actions = { pick: () => {}, act: () => {}, watch: () => {} };

export function init(given) {
  actions = { ...actions, ...given };
  moderation.init($("users"), actions);
  $("toggle-users").addEventListener("click", () => {
    const open = $("users").classList.toggle("open");
    $("toggle-users").setAttribute("aria-expanded", String(open));
  });
  show();
}

/** Everyone present, as a welcome lists them. */
export function setAll(list) {
  users = new Map(list.map((user) => [user.nick, user.via]));
  places = new Map(list.filter((user) => user.room).map((user) => [user.nick, user.room]));
  teachers = new Set(list.filter((user) => user.teacher).map((user) => user.nick));
  changed = true;
}

/** The answer to `/who`, which also says who the teachers are. */
export function setTeachers(list) {
  teachers = new Set(list.filter((user) => user.teacher).map((user) => user.nick));
  changed = true;
}

export function arrived(nick, via, room = "main") {
  users.set(nick, via);
  moved(nick, room);
}

export function left(nick) {
  users.delete(nick);
  places.delete(nick);
  changed = true;
}

/** `nick` is in room `room` now (someone this page had not listed, if `via` is given). */
export function moved(nick, room, via) {
  if (via && !users.has(nick)) users.set(nick, via);
  if (room && room !== "main") places.set(nick, room);
  else places.delete(nick);
  changed = true;
}

/** Lists only the people of room `room` (the room on screen). */
export function showOnly(room) {
  if (only === room) return;
  only = room;
  changed = true;
}

export function renamed(old, nick, via) {
  users.delete(old);
  users.set(nick, via);
  if (places.has(old)) {
    places.set(nick, places.get(old));
    places.delete(old);
  }
  if (teachers.delete(old)) teachers.add(nick);
  if (silenced.has(old)) {
    silenced.set(nick, silenced.get(old));
    silenced.delete(old);
  }
  if (old === me) me = nick;
  changed = true;
}

export function becameTeacher(nick) {
  teachers.add(nick);
  if (nick === me) teacher = true;
  changed = true;
}

/** `nick` was silenced for `minutes` (0: may write again); marked until then. */
export function muted(nick, minutes) {
  if (minutes > 0) {
    const ms = minutes * 60_000;
    silenced.set(nick, Date.now() + ms);
    setTimeout(redraw, ms + 1000);
  } else {
    silenced.delete(nick);
  }
  changed = true;
}

export function isTeacher(nick) {
  return teachers.has(nick);
}

/** This page's own nickname, and whether it is a teacher's. */
export function setMe(nick, asTeacher) {
  me = nick;
  teacher = asTeacher;
  changed = true;
}

export function myNick() {
  return me;
}

export function amTeacher() {
  return teacher;
}

/** Everyone else's nicknames, for completion. */
export function others() {
  return [...users.keys()].filter((nick) => nick !== me);
}

/** The transport's name, in the reader's language. */
export function viaName(via) {
  return via === "tcp" ? t("via_tcp") : t("via_web");
}

/** Draws the list again, in the reader's new language. */
export function redraw() {
  changed = true;
  show();
}

/** Draws the list and the count if they changed, once the page has joined (before, there
 * is no one to show, not even "0"). Focus on a name or a menu button stays on that person's. */
export function show() {
  if (me === null || !changed) return;
  changed = false;
  $("users").hidden = false;
  $("toggle-users").hidden = false;
  const focused = document.activeElement?.closest?.("#user-list button");
  const focusedNick = focused?.dataset.nick;
  const focusedKind = focused?.className;
  const byName = (a, b) => a.localeCompare(b, undefined, { sensitivity: "base" }) || (a < b ? -1 : 1);
  const here = [...users].filter(([nick]) => (places.get(nick) ?? "main") === only);
  const sorted = here.sort(
    ([a], [b]) => Number(teachers.has(b)) - Number(teachers.has(a)) || byName(a, b),
  );
  $("user-list").replaceChildren(...sorted.map(([nick, via]) => entry(nick, via)));
  $("users-heading").textContent = t("usersHere", { count: here.length });
  $("toggle-users-count").textContent = String(here.length);
  moderation.redrawn(users);
  if (focusedNick !== undefined) {
    const again = [...$("user-list").querySelectorAll("button")].find(
      (button) => button.dataset.nick === focusedNick && button.className === focusedKind,
    );
    again?.focus();
  }
}

function entry(nick, via) {
  const item = document.createElement("li");
  const teacherHere = teachers.has(nick);
  item.classList.toggle("teacher", teacherHere);
  const name = document.createElement("button");
  name.type = "button";
  name.className = nick === me ? "who me" : "who";
  name.dataset.nick = nick;
  name.append(render.nickElement(nick));
  if (teacherHere) {
    const badge = document.createElement("span");
    badge.className = "teacher-badge";
    badge.textContent = t("teacher_tag");
    name.append(badge);
  }
  if (silenced.get(nick) > Date.now()) {
    const mark = document.createElement("span");
    mark.className = "muted-badge";
    mark.textContent = t("mutedTag");
    name.append(mark);
  }
  const tag = document.createElement("span");
  tag.className = `via-badge ${via}`;
  tag.textContent = via === "tcp" ? "TCP" : "web";
  tag.title = viaName(via);
  name.append(tag);
  if (nick !== me) {
    name.title = t("privateMessage");
    name.addEventListener("click", () => actions.pick(nick));
  }
  item.append(name);
  if (teacher && nick !== me && !teacherHere) item.append(moderation.button(nick));
  return item;
}
