// Turning frames into page elements. Text from the network only ever goes in through
// textContent (never innerHTML), so nothing a user types is interpreted as HTML; a
// message's code and links are built as elements by format.js.

import { format } from "./format.js";
import { language, t } from "./i18n.js";

/** Most messages kept on the page: older ones are removed so long sessions stay fast. */
const MAX_ITEMS = 1000;

const log = document.getElementById("log");
const jump = document.getElementById("jump");
let unseenBelow = 0;

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

function timeElement(ts) {
  const node = element("time", "time");
  if (ts) {
    const date = new Date(ts);
    node.dateTime = date.toISOString();
    node.textContent = date.toLocaleTimeString(language(), { hour: "2-digit", minute: "2-digit" });
  }
  return node;
}

function isAtBottom() {
  return log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
}

let queued = [];
let flushing = false;

/**
 * Adds items at the end of the log, following them down unless the reader scrolled up.
 * Items are put in the page once per frame, not one by one: measuring the scroll position
 * after each item would lay the page out again for every message of a burst.
 */
export function append(...items) {
  queued.push(...items);
  if (flushing) return;
  flushing = true;
  requestAnimationFrame(flush);
  // A hidden tab gets no animation frames (even one asked for just before it was hidden):
  // a timer flushes there too. Whichever comes second finds nothing left to do.
  setTimeout(flush, 100);
}

/** Puts queued items in the page now (also done before measuring or removing anything). */
export function flush() {
  flushing = false;
  if (queued.length === 0) return;
  const items = queued.length > MAX_ITEMS ? queued.slice(-MAX_ITEMS) : queued;
  queued = [];
  const follow = isAtBottom();
  log.append(...items);
  const excess = log.childElementCount - MAX_ITEMS;
  for (let n = 0; n < excess; n += 1) log.firstElementChild.remove();
  if (follow) {
    log.scrollTop = log.scrollHeight;
  } else {
    unseenBelow += items.length;
    jump.hidden = false;
    jump.textContent = `${t("newMessages")} (${unseenBelow})`;
  }
}

export function scrollToEnd() {
  flush();
  log.scrollTop = log.scrollHeight;
  unseenBelow = 0;
  jump.hidden = true;
}

log.addEventListener("scroll", () => {
  if (isAtBottom()) {
    unseenBelow = 0;
    jump.hidden = true;
  }
});
jump.addEventListener("click", scrollToEnd);

/** A chat message or a /me action; `onDelete` (for teachers) adds a delete button. */
export function message(frame, { mine, mention, onDelete }) {
  const item = element("li", "message");
  if (frame.id) item.dataset.id = frame.id;
  item.classList.toggle("mine", mine);
  item.classList.toggle("mention", mention);
  item.classList.toggle("action", Boolean(frame.action));
  item.append(timeElement(frame.ts));
  if (frame.action) item.append(element("span", "bullet", "•"));
  item.append(nickElement(frame.from));
  if (frame.teacher) item.append(element("span", "teacher-badge", t("teacher_tag")));
  item.append(element("span", "via", frame.via === "tcp" ? "TCP" : ""));
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

/** Removes a message everyone was told was deleted. */
export function forget(id) {
  flush();
  document.querySelector(`#log [data-id="${Number(id)}"]`)?.remove();
}

/** A line from the server: arrivals, departures, answers, errors. */
export function notice(text, { ts, kind = "notice" } = {}) {
  const item = element("li", kind);
  item.append(timeElement(ts), element("span", "text", text));
  return item;
}

/** A private message, with a button to answer it. */
export function privateMessage(frame, { mine, onReply }) {
  const item = element("li", "private");
  item.append(timeElement(frame.ts));
  const other = mine ? frame.to : frame.from;
  item.append(element("span", "tag", mine ? t("privateTo", { nick: other }) : t("privateFrom", { nick: other })));
  item.append(nickElement(frame.from));
  const text = element("span", "text");
  text.append(format(frame.text));
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
  item.append(element("span", "time", "⏳"), element("span", "tag", t("pending")), element("span", "text", text));
  return item;
}
