// Calling for the reader's attention: the unread count in the title while the tab is
// hidden (and which arrival was the first, for the log to mark), and a desktop notification
// for a mention when the reader opted in (and the browser allows it: only over https or on
// localhost).

import { t } from "./i18n.js";
import { myNick } from "./users.js";

const $ = (id) => document.getElementById(id);
const WORD_CHAR = /[\p{L}\p{N}_]/u;

let unread = 0;

export function init() {
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      unread = 0;
      document.title = t("title");
    }
  });
  setupNotifications();
}

/** True when `text` names the reader as a whole word (`@bruno`, `bruno:`, not `brunos`). */
export function mentions(text) {
  const me = myNick();
  if (!me) return false;
  const haystack = text.toLowerCase();
  const needle = me.toLowerCase();
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
    const before = haystack[at - 1] ?? "";
    const after = haystack[at + needle.length] ?? "";
    if (!WORD_CHAR.test(before) && !WORD_CHAR.test(after)) return true;
  }
  return false;
}

/**
 * Something arrived from `from`; `mention` when it names the reader or is for them alone.
 * True when it is the first thing to arrive since the reader left the tab.
 */
export function notify(from, text, mention) {
  const first = document.hidden && unread === 0;
  if (document.hidden) {
    unread += 1;
    document.title = `(${unread}) ${t("title")}`;
  }
  if (mention && document.hidden && localStorage.getItem("tchat.notify") === "on" && notificationsUsable()) {
    try {
      new Notification(t("mention", { nick: from }), { body: text, tag: "tchat-mention" });
    } catch {
      // Some browsers only allow notifications from a service worker: the highlight remains.
    }
  }
  return first;
}

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
