// Turning frames into page elements. Text from the network only ever goes in through
// textContent (never innerHTML), so nothing a user types is interpreted as HTML; a
// message's code and links are built as elements by format.js. Where items go, and how
// they group, is log.js's job.

import { format } from "./format.js";
import { language, t } from "./i18n.js";

// The log's placing, for modules that add lines of their own (the composer's pending lines).
export { append, flush } from "./log.js";

/** A stable hue for a nickname, so everyone sees each person in the same colour. */
export function hueOf(nick) {
  let hash = 0;
  for (const char of nick.toLowerCase()) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % 360;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function nickElement(nick) {
  const node = element("span", "nick", nick);
  node.style.setProperty("--hue", hueOf(nick));
  return node;
}

/** How dates are written: a 24-hour clock in every language. */
const DATE_FORMATS = {
  time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  full: { dateStyle: "full", timeStyle: "short", hourCycle: "h23" },
  day: { weekday: "long", day: "numeric", month: "long" },
  dayAndYear: { weekday: "long", day: "numeric", month: "long", year: "numeric" },
};
const formats = new Map();

/** `date` written as `DATE_FORMATS[kind]` says, in the reader's language. Each format is
 * made once per language: making one costs far more than using it, and a flood of messages
 * would make thousands. */
function written(date, kind) {
  const key = `${language()} ${kind}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(language(), DATE_FORMATS[kind]));
  return formats.get(key).format(date);
}

/** A time in the 24-hour clock, with the full date for a pointer resting on it. */
function timeElement(ts) {
  const node = element("time", "time");
  if (ts) {
    const date = new Date(ts);
    node.dateTime = date.toISOString();
    node.textContent = written(date, "time");
    node.title = written(date, "full");
  }
  return node;
}

/**
 * A chat message or a /me action; `onDelete` (for teachers) adds a delete button. Its cells:
 * the time, who wrote it (hidden from sight, not from screen readers, on the later messages
 * of a run), the text, and buttons.
 */
export function message(frame, { mine, mention, onDelete }) {
  const item = element("li", "message");
  if (frame.id) item.dataset.id = frame.id;
  if (frame.ts) item.dataset.ts = frame.ts;
  item.dataset.from = frame.from;
  if (frame.teacher) item.dataset.teacher = "true";
  item.classList.toggle("mine", mine);
  item.classList.toggle("mention", mention);
  item.classList.toggle("action", Boolean(frame.action));
  item.append(timeElement(frame.ts));
  const who = element("span", "who");
  if (frame.action) who.append(element("span", "bullet", "•"), " ");
  who.append(nickElement(frame.from));
  if (frame.teacher) who.append(" ", element("span", "teacher-badge", t("teacher_tag")));
  item.append(who);
  const text = element("span", "text");
  text.append(format(frame.text));
  item.append(text);
  if (onDelete && frame.id) {
    const remove = element("button", "delete", "✕");
    remove.type = "button";
    remove.title = t("delete");
    remove.setAttribute("aria-label", `${t("delete")} (${frame.from})`);
    remove.addEventListener("click", () => onDelete(frame.id));
    item.append(remove);
  }
  return item;
}

/** A line from the server: answers, errors, a teacher's actions. */
export function notice(text, { ts, kind = "notice" } = {}) {
  const item = element("li", kind);
  if (ts) item.dataset.ts = ts;
  item.append(timeElement(ts), element("span", "text", text));
  return item;
}

/**
 * An arrival, a departure or a rename (`kind` is the frame's type): a notice that folds with
 * its neighbours, carrying the names its folded line sums up.
 */
export function presence(frame, text) {
  const item = notice(text, { ts: frame.ts, kind: "notice presence" });
  item.dataset.presence = frame.type;
  item.dataset.nick = frame.type === "nick" ? frame.old : frame.nick;
  if (frame.type === "nick") item.dataset.renamed = frame.new;
  if (frame.type === "move") item.dataset.to = frame.to;
  return item;
}

let folds = 0;

/** A line standing for a run of presence notices, which opens to show each of them. */
export function fold() {
  folds += 1;
  const item = element("li", "notice fold");
  const list = element("ul", "folded");
  list.id = `fold-${folds}`;
  list.hidden = true;
  const toggle = element("button", "fold-toggle");
  toggle.type = "button";
  toggle.setAttribute("aria-expanded", "false");
  toggle.setAttribute("aria-controls", list.id);
  toggle.append(element("span", "chevron", "▸"), element("span", "summary"));
  toggle.firstChild.setAttribute("aria-hidden", "true");
  toggle.addEventListener("click", () => {
    list.hidden = !list.hidden;
    toggle.setAttribute("aria-expanded", String(!list.hidden));
    toggle.firstChild.textContent = list.hidden ? "▸" : "▾";
  });
  const text = element("span", "text");
  text.append(toggle);
  item.append(timeElement(null), text, list);
  return item;
}

/** How many notices a folded line holds. */
export function foldedCount(item) {
  return item.querySelector(".folded").childElementCount;
}

/** Puts a presence notice in a folded line, whose time is its first notice's. */
export function addToFold(item, notice) {
  const list = item.querySelector(".folded");
  list.append(notice);
  if (list.childElementCount === 1) {
    item.dataset.ts = notice.dataset.ts ?? "";
    item.querySelector(".time").replaceWith(timeElement(Number(notice.dataset.ts)));
  }
  item.querySelector(".summary").textContent = foldSummary([...list.children]);
}

/** "alice, bob et 3 autres ont rejoint la conversation · carol l'a quittée": a run in a line. */
function foldSummary(notices) {
  const joined = [];
  const left = [];
  const renamed = new Map();
  /** Who changed room, and where to last. */
  const moved = new Map();
  for (const notice of notices) {
    const { presence: kind, nick, renamed: now, to } = notice.dataset;
    if (kind === "join") joined.push(nick);
    else if (kind === "leave") left.push(nick);
    else if (kind === "move") moved.set(nick, to);
    else if (joined.includes(nick)) joined[joined.indexOf(nick)] = now;
    else {
      // Followed through successive renames: a → b → c is one person, now c.
      const first = [...renamed].find(([, current]) => current === nick)?.[0] ?? nick;
      renamed.set(first, now);
    }
  }
  const parts = [];
  const distinct = (names) => [...new Set(names)];
  if (joined.length) parts.push(people("foldJoined", distinct(joined)));
  if (left.length) parts.push(people("foldLeft", distinct(left)));
  if (moved.size === 1) {
    const [[nick, room]] = moved;
    parts.push(t("foldMovedOne", { names: nick, room }));
  } else if (moved.size > 1) {
    parts.push(people("foldMoved", [...moved.keys()]));
  }
  if (renamed.size === 1) {
    const [[old, now]] = renamed;
    parts.push(t("renamed", { old, new: now }));
  } else if (renamed.size > 1) {
    parts.push(people("foldRenamed", [...renamed.values()]));
  }
  return parts.join(" · ");
}

/** A sentence about some people, naming two of them and counting the rest. */
function people(key, names) {
  const [a, b, c] = names;
  const list = names.length === 1 ? a
    : names.length === 2 ? t("names2", { a, b })
    : names.length === 3 ? t("names3", { a, b, c })
    : t("namesMore", { a, b, count: names.length - 2 });
  return t(names.length === 1 ? `${key}One` : key, { names: list });
}

/** A local calendar day, as `2026-11-30`: what a day divider separates. */
export function dayOf(ts) {
  const date = new Date(ts);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** "Aujourd'hui", "Hier", or the date: what a day divider says. */
function dayLabel(ts) {
  const date = new Date(ts);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  const same = (one, other) => one.toDateString() === other.toDateString();
  if (same(date, today)) return t("today");
  if (same(date, yesterday)) return t("yesterday");
  return written(date, date.getFullYear() === today.getFullYear() ? "day" : "dayAndYear");
}

/** The line where the day changes. A list item, so the log stays a list of items. */
export function dayDivider(ts) {
  const item = element("li", "divider day");
  const label = element("time", "", dayLabel(ts));
  label.dateTime = dayOf(ts);
  label.dataset.ts = ts;
  item.append(label);
  return item;
}

/** Says again what a day divider says, now that the day has changed. */
export function relabelDay(item) {
  const label = item.querySelector("time");
  label.textContent = dayLabel(Number(label.dataset.ts));
}

/** The line before what arrived while the reader was away. */
export function unreadDivider() {
  return element("li", "divider unread", t("newSince"));
}

/** A private message, with a button to answer it. */
export function privateMessage(frame, { mine, onReply }) {
  const item = element("li", "private");
  if (frame.ts) item.dataset.ts = frame.ts;
  item.append(timeElement(frame.ts));
  const other = mine ? frame.to : frame.from;
  const who = element("span", "who");
  who.append(nickElement(frame.from));
  item.append(who);
  const text = element("span", "text");
  text.append(format(frame.text));
  text.prepend(element("span", "tag", mine ? t("privateTo", { nick: other }) : t("privateFrom", { nick: other })), " ");
  item.append(text);
  const reply = element("button", "reply", t("reply"));
  reply.type = "button";
  reply.addEventListener("click", () => onReply(other));
  item.append(reply);
  return item;
}

/** A line typed while offline, waiting to be sent. */
export function pending(text) {
  const item = element("li", "message mine pending");
  const who = element("span", "who");
  who.append(element("span", "tag", t("pending")));
  item.append(element("span", "time", "⏳"), who, element("span", "text", text));
  return item;
}
