// The log: items put in the page in batches, the bottom followed while the reader is there,
// and what makes a long conversation easy to read: a divider where the day changes, one
// name for a run of messages from one person, runs of arrivals and departures folded into
// one line, and a line before what arrived while the reader was away.
//
// A teacher watches every room: the log keeps one list per room, each bounded like the
// first, and shows one of them (the list on screen carries the id `log`). A student has one
// list, started afresh when it changes room.

import { t } from "./i18n.js";
import * as render from "./render.js";

/** Most items kept in one room's list, folded ones included: older ones go, so long
 * sessions stay fast. A teacher's page holds one list per open room (the server opens at
 * most 64). */
const MAX_ITEMS = 1000;
/** Messages from one person closer than this share one name, as in Slack or The Lounge. */
const RUN_GAP_MS = 5 * 60 * 1000;
/** Most notices in one folded line: past that a new one starts, so trimming stays gradual. */
const MAX_FOLDED = 100;

/** The list on screen. */
let log = document.getElementById("log");
/** Room name → its list; the first list is the main room's. */
const lists = new Map([["main", log]]);
/** The room on screen. */
let onScreen = "main";
/** What scrolls: the live region around the list. */
const view = document.getElementById("log-view");
const jump = document.getElementById("jump");
let unseenBelow = 0;
/**
 * Whether the reader is at the bottom. Kept from their scrolling rather than measured when
 * items arrive: a banner appearing above the log shrinks it without anyone scrolling, and the
 * page must go on following.
 */
let following = true;
/** The first item that arrived while the reader was away, until it is placed. */
let firstUnread = null;
/** The day the dividers' labels were written on (each list keeps the day of its last item
 * in `data-last-day`). */
let labelledOn = null;

/** When an item happened: its event's time, or now for the page's own lines. */
function timeOf(item) {
  return Number(item.dataset.ts) || Number(item.dataset.placed) || Date.now();
}

function isAtBottom() {
  return view.scrollTop + view.clientHeight >= view.scrollHeight - 8;
}

/** Where the page last scrolled the view to itself. */
let pinnedTop = 0;

function pin() {
  view.scrollTop = view.scrollHeight;
  pinnedTop = view.scrollTop;
}

let queued = [];
let flushing = false;

/**
 * Adds items at the end of the log, following them down unless the reader scrolled up.
 * Items are put in the page once per frame, not one by one: measuring the scroll position
 * after each item would lay the page out again for every message of a burst.
 */
export function append(...items) {
  appendIn(onScreen, ...items);
}

/** Adds items at the end of room `name`'s list, shown or not. */
export function appendIn(name, ...items) {
  const list = listOf(name);
  queued.push(...items.map((item) => [list, item]));
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
  relabelDays();
  const touched = new Set();
  for (const [list, item] of items) {
    place(list, item);
    touched.add(list);
  }
  for (const list of touched) trim(list);
  const here = items.filter(([list]) => list === log).length;
  if (here === 0) return;
  if (following) {
    pin();
  } else {
    unseenBelow += here;
    jump.hidden = false;
    jump.textContent = t("newBelow", { count: unseenBelow });
  }
}

/** One item at the end of the log, with the dividers it needs, grouped or folded. */
function place(log, item) {
  item.dataset.placed = item.dataset.ts || Date.now();
  const day = String(render.dayOf(timeOf(item)));
  const lastDay = log.dataset.lastDay ?? null;
  // The first day needs no divider when it is today: everything is, so far.
  if (day !== lastDay && (lastDay !== null || day !== String(render.dayOf(Date.now())))) {
    log.append(render.dayDivider(timeOf(item)));
  }
  log.dataset.lastDay = day;
  if (item === firstUnread) {
    firstUnread = null;
    removeUnreadDivider();
    log.append(render.unreadDivider());
  }
  const previous = log.lastElementChild;
  if (isPresence(item) && previous && (isPresence(previous) || isOpenFold(previous))) {
    fold(previous, item);
    return;
  }
  item.classList.toggle("continued", continues(previous, item));
  log.append(item);
}

/** A plain message (not an action, not waiting to be sent), which a run may hold. */
function isRunnable(item) {
  return Boolean(item?.dataset.from) && item.classList.contains("message")
    && !item.classList.contains("action") && !item.classList.contains("pending");
}

/** True when `item` goes on the run of `previous`: same person, same badge, a short gap. */
function continues(previous, item) {
  if (!isRunnable(previous) || !isRunnable(item)) return false;
  const gap = timeOf(item) - timeOf(previous);
  return previous.dataset.from === item.dataset.from
    && previous.dataset.teacher === item.dataset.teacher
    && gap >= 0 && gap <= RUN_GAP_MS;
}

/** Whether `item` shows its name, now that what comes before it may have changed. */
function regroup(item) {
  if (item) item.classList.toggle("continued", continues(item.previousElementSibling, item));
}

function isPresence(item) {
  return item.classList.contains("presence");
}

function isOpenFold(item) {
  return item.classList.contains("fold") && render.foldedCount(item) < MAX_FOLDED;
}

/** Adds a presence notice to the folded line before it, which a single notice becomes. */
function fold(previous, item) {
  let group = previous;
  if (!previous.classList.contains("fold")) {
    group = render.fold();
    previous.replaceWith(group);
    render.addToFold(group, previous);
  }
  render.addToFold(group, item);
}

/** Drops the oldest items past the limit, counting the notices inside folded lines. */
function trim(log) {
  let count = log.getElementsByTagName("li").length;
  if (count <= MAX_ITEMS) return;
  // Room for a divider naming the day of what is now the first item.
  while (count > MAX_ITEMS - 1 && log.firstElementChild) {
    const first = log.firstElementChild;
    count -= 1 + first.getElementsByTagName("li").length;
    first.remove();
  }
  while (log.firstElementChild?.classList.contains("divider")) log.firstElementChild.remove();
  const first = log.firstElementChild;
  if (!first) return;
  regroup(first);
  if (render.dayOf(timeOf(first)) !== render.dayOf(Date.now())) log.prepend(render.dayDivider(timeOf(first)));
}

/** "Today" written yesterday is "Yesterday" now. */
function relabelDays() {
  const today = render.dayOf(Date.now());
  if (labelledOn !== null && today !== labelledOn) {
    for (const divider of view.querySelectorAll(".divider.day")) render.relabelDay(divider);
  }
  labelledOn = today;
}

/**
 * Marks `item` as the first thing that arrived while the reader was away: a line goes before
 * it, and the one from an earlier absence goes.
 */
export function markFirstUnread(item) {
  if (!item.isConnected) {
    firstUnread = item;
    return;
  }
  removeUnreadDivider();
  item.before(render.unreadDivider());
  regroup(item);
}

/** One such line at a time: the one from an earlier absence goes, rejoining what it split. */
function removeUnreadDivider() {
  const divider = view.querySelector(".divider.unread");
  if (!divider) return;
  const next = divider.nextElementSibling;
  divider.remove();
  regroup(next);
}

/** Shows the newest items and follows them again. */
export function scrollToEnd() {
  flush();
  following = true;
  pin();
  unseenBelow = 0;
  jump.hidden = true;
}

/** Removes a message everyone was told was deleted; the next one may now need its name. */
export function forget(id) {
  flush();
  const item = view.querySelector(`[data-id="${Number(id)}"]`);
  if (!item) return;
  const next = item.nextElementSibling;
  item.remove();
  regroup(next);
}

/** Makes room `name`'s list, if it has none yet. */
export function ensure(name) {
  listOf(name);
}

/** Room `name`'s list, made (hidden) the first time. */
function listOf(name) {
  let list = lists.get(name);
  if (!list) {
    list = document.createElement("ol");
    list.className = "log";
    list.dataset.room = name;
    list.hidden = true;
    view.append(list);
    lists.set(name, list);
  }
  return list;
}

/** Shows room `name`'s list, at its newest items. */
export function showRoom(name) {
  flush();
  if (name === onScreen) return;
  const next = listOf(name);
  log.hidden = true;
  log.removeAttribute("id");
  next.id = "log";
  next.hidden = false;
  log = next;
  onScreen = name;
  scrollToEnd();
}

/** The room whose list is on screen. */
export function shownRoom() {
  return onScreen;
}

/** Every room with a list. */
export function rooms() {
  return [...lists.keys()];
}

/** Empties the list on screen and names it after room `name`: a student starts afresh in
 * the room it entered. Its private messages stay: they are its own, not the room's. */
export function restart(name) {
  flush();
  log.replaceChildren(...log.querySelectorAll(":scope > li.private"));
  delete log.dataset.lastDay;
  lists.delete(onScreen);
  lists.set(name, log);
  log.dataset.room = name;
  onScreen = name;
}

/** Drops the list of a room that closed (the one on screen stays until another is shown). */
export function drop(name) {
  const list = lists.get(name);
  if (!list || list === log) return;
  list.remove();
  lists.delete(name);
}

view.addEventListener("scroll", () => {
  // The event of the page's own pin may come after more items were put in: the view is then
  // below the bottom again without the reader having moved. Only scrolling up stops following.
  following = isAtBottom() || (following && view.scrollTop >= pinnedTop - 2);
  if (following) {
    unseenBelow = 0;
    jump.hidden = true;
  }
});
// The log changes size without any scrolling when a banner (topic, lock) comes or goes above
// it, when the window is resized, or when a phone's keyboard opens: a reader who was at the
// bottom stays there.
new ResizeObserver(() => {
  if (following) pin();
}).observe(view);
jump.addEventListener("click", scrollToEnd);
