// Who is here: the user list, who of them are teachers, and who "me" is. Renders the list,
// with the teacher's buttons beside each student when the reader is a teacher.

import { t } from "./i18n.js";
import * as render from "./render.js";

const $ = (id) => document.getElementById(id);

/** Nickname → transport ("tcp" or "web"). */
let users = new Map();
let teachers = new Set();
let me = null;
let teacher = false;
/** What a click does: `pick(nick)` on a name, `act(command)` on a teacher's button. */
let actions = { pick: () => {}, act: () => {} };

export function init(given) {
  actions = { ...actions, ...given };
  $("toggle-users").addEventListener("click", () => {
    const open = $("users").classList.toggle("open");
    $("toggle-users").setAttribute("aria-expanded", String(open));
  });
  show();
}

/** Everyone present, as a welcome lists them. */
export function setAll(list) {
  users = new Map(list.map((user) => [user.nick, user.via]));
  teachers = new Set(list.filter((user) => user.teacher).map((user) => user.nick));
}

/** The answer to `/who`, which also says who the teachers are. */
export function setTeachers(list) {
  teachers = new Set(list.filter((user) => user.teacher).map((user) => user.nick));
}

export function arrived(nick, via) {
  users.set(nick, via);
}

export function left(nick) {
  users.delete(nick);
}

export function renamed(old, nick, via) {
  users.delete(old);
  users.set(nick, via);
  if (teachers.delete(old)) teachers.add(nick);
  if (old === me) me = nick;
}

export function becameTeacher(nick) {
  teachers.add(nick);
  if (nick === me) teacher = true;
}

export function isTeacher(nick) {
  return teachers.has(nick);
}

/** This page's own nickname, and whether it is a teacher's. */
export function setMe(nick, asTeacher) {
  me = nick;
  teacher = asTeacher;
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

/** Draws the list and the count. */
export function show() {
  const sorted = [...users].sort(([a], [b]) => a.localeCompare(b, undefined, { sensitivity: "base" }));
  $("user-list").replaceChildren(...sorted.map(([nick, via]) => entry(nick, via)));
  $("user-count").textContent = String(users.size);
  $("toggle-users-count").textContent = String(users.size);
}

function entry(nick, via) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.append(render.nickElement(nick));
  const badge = document.createElement("span");
  badge.className = `via-badge ${via}`;
  badge.textContent = teachers.has(nick) ? `${t("teacher_tag")} · ${viaName(via)}` : viaName(via);
  button.append(badge);
  if (nick === me) button.classList.add("me");
  button.addEventListener("click", () => {
    if (nick !== me) actions.pick(nick);
  });
  item.append(button);
  if (teacher && nick !== me && !teachers.has(nick)) item.append(teacherButtons(nick));
  return item;
}

function teacherButtons(nick) {
  const box = document.createElement("div");
  box.className = "actions";
  const button = (label, command, confirmText) => {
    const control = document.createElement("button");
    control.type = "button";
    control.textContent = t(label);
    control.setAttribute("aria-label", `${t(label)} ${nick}`);
    control.addEventListener("click", () => {
      if (confirmText && !confirm(confirmText)) return;
      actions.act(`${command} ${nick}`);
    });
    return control;
  };
  box.append(button("mute", "/mute"), button("kick", "/kick"), button("ban", "/ban", t("banConfirm", { nick })));
  return box;
}
