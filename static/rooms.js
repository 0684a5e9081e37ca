// The room list: the open rooms as buttons, shown only when there is another room than
// `main`. A student's button asks to go there (`/join NAME`), unless the teacher has fixed
// the groups; a teacher's shows that room's log (the teacher watches every room) and counts
// what was said there while it was not on screen. The room on screen is where a teacher's
// lines and room tools go (`say` with `room`).

import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

/** Room name → `{ count, unread, rules }`, in the server's order (`main` first). Bounded by
 * the server's rooms (64 at most). */
let rooms = new Map();
/** The room this member is in on the server (where a student reads, where a teacher speaks). */
let here = "main";
/** The room on screen: a teacher's choice, a student's own room. */
let shown = "main";
let teacher = false;
let fixed = false;
/** What a click does: `enter(name)` for a student, `view(name)` for a teacher. */
let actions = { enter: () => {}, view: () => {} };

export function init(given) {
  actions = { ...actions, ...given };
}

const rulesOf = (entry) => ({
  topic: entry.topic ?? null,
  locked: Boolean(entry.locked),
  slow: entry.slow ?? 0,
  private: entry.private ?? true,
});

/** The rooms as a welcome (or the answer to `/rooms`) lists them. */
export function set(list, where, asTeacher, isFixed) {
  const before = rooms;
  rooms = new Map(
    list.map((entry) => [
      entry.name,
      { count: entry.count, unread: before.get(entry.name)?.unread ?? 0, rules: rulesOf(entry) },
    ]),
  );
  here = where;
  teacher = asTeacher;
  if (isFixed !== undefined) fixed = isFixed;
  if (!teacher || !rooms.has(shown)) shown = here;
  draw();
}

/** The room this member is in now (a `room` frame), with `people` in it. */
export function entered(name, rules, people) {
  const entry = rooms.get(name) ?? { count: 0, unread: 0, rules: rulesOf({}) };
  entry.rules = rulesOf(rules);
  if (typeof people === "number") entry.count = people;
  rooms.set(name, entry);
  here = name;
  shown = name;
  entry.unread = 0;
  draw();
}

/** A room was opened or closed, or the groups began or ended: from a notice. */
export function noticed(frame) {
  switch (frame.kind) {
    case "room_open":
      if (!rooms.has(frame.text)) rooms.set(frame.text, { count: 0, unread: 0, rules: rulesOf({}) });
      break;
    case "room_close":
      rooms.delete(frame.text);
      if (shown === frame.text) shown = here;
      break;
    case "groups":
      fixed = true;
      break;
    case "groups_end":
      fixed = false;
      break;
    default:
      return;
  }
  draw();
}

/** Someone arrived in, left or moved into room `name` (`delta` people). */
export function counted(name, delta) {
  const entry = rooms.get(name);
  if (!entry) return;
  entry.count = Math.max(0, entry.count + delta);
  draw();
}

/** A teacher's notice that sets room `frame.room`'s rules, kept for when it is shown. */
export function ruled(frame) {
  const entry = rooms.get(frame.room);
  if (entry) applyRule(entry.rules, frame);
}

/** Changes `rules` as a teacher's notice says; false for a notice that sets no rule. The
 * one definition of what each notice does to a room, on the page as on the server. */
export function applyRule(rules, frame) {
  switch (frame.kind) {
    case "topic":
      rules.topic = frame.text || null;
      return true;
    case "lock":
    case "unlock":
      rules.locked = frame.kind === "lock";
      return true;
    case "slow":
      rules.slow = frame.number;
      return true;
    case "private_off":
    case "private_on":
      rules.private = frame.kind === "private_on";
      return true;
    default:
      return false;
  }
}

/** A message in room `name`: counted as unread unless it is on screen. */
export function said(name) {
  const entry = rooms.get(name);
  if (!entry || name === shown) return;
  entry.unread += 1;
  draw();
}

/** The rules last known of room `name`. */
export function rulesIn(name) {
  return rooms.get(name)?.rules ?? rulesOf({});
}

/** Shows a teacher's room `name`: its unread count goes. */
export function show(name) {
  shown = name;
  const entry = rooms.get(name);
  if (entry) entry.unread = 0;
  draw();
}

export function shownRoom() {
  return shown;
}

export function hereRoom() {
  return here;
}

/** Draws the list: hidden while `main` is the only room. */
export function draw() {
  const nav = $("rooms");
  nav.hidden = rooms.size <= 1;
  $("rooms-heading").textContent = t("roomsHeading");
  const note = $("rooms-note");
  note.hidden = teacher || !fixed;
  note.textContent = t("roomsFixedNote");
  const focused = document.activeElement?.closest?.("#room-list button")?.dataset.room;
  $("room-list").replaceChildren(...[...rooms].map(([name, entry]) => button(name, entry)));
  if (focused !== undefined) $("room-list").querySelector(`button[data-room="${CSS.escape(focused)}"]`)?.focus();
}

function button(name, entry) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.room = name;
  const current = name === shown;
  if (current) button.setAttribute("aria-current", "true");
  const label = document.createElement("span");
  label.className = "room-name";
  label.textContent = name;
  button.append(label);
  // A student reads its own room alone: the others' counts would be guesses.
  if (teacher || name === here) {
    const people = document.createElement("span");
    people.className = "room-count";
    people.textContent = t("roomPeople", { count: entry.count });
    button.append(" ", people);
  }
  if (teacher && entry.unread > 0) {
    const unread = document.createElement("span");
    unread.className = "room-unread";
    unread.textContent = t("roomUnread", { count: entry.unread });
    button.append(" ", unread);
  }
  const locked = !teacher && fixed && !current;
  if (locked) {
    button.setAttribute("aria-disabled", "true");
    button.setAttribute("aria-describedby", "rooms-note");
  }
  button.addEventListener("click", () => {
    if (locked || (current && !teacher)) return;
    if (teacher) actions.view(name);
    else actions.enter(name);
  });
  item.append(button);
  return item;
}

/** A `say` frame for `text`: a teacher's goes to the room on screen. */
export function sayFrame(text) {
  return teacher ? { type: "say", text, room: shown } : { type: "say", text };
}
