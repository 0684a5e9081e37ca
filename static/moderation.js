// The teacher's moderation from the page. A menu for each student in the user list (write
// to them, mute, unmute, watch their bytes, kick, ban): one button per person, so a list of
// 30 students stays a list of names. It follows the WAI-ARIA menu button pattern: Enter,
// Space or the arrows open it, the arrows move, Escape or Tab closes it, and focus goes back
// to the button that opened it. Kicking, banning and deleting a message ask first, as none
// can be undone. The harmless items come first, away from the two that send someone away.

import * as dialog from "./dialog.js";
import { t } from "./i18n.js";

/** The one menu, made once and moved beside whichever person it is open for. */
let menu = null;
/** Whose menu is open, and the button that opened it (redrawn with the list). */
let open = null;
/** What the items do: `pick(nick)` writes to them, `act(command)` sends a command,
 * `watch(nick)` shows their bytes. */
let actions = { pick: () => {}, act: () => {}, watch: () => {} };

export function init(container, given) {
  actions = { ...actions, ...given };
  menu = document.createElement("div");
  menu.id = "person-menu";
  menu.className = "person-menu";
  menu.setAttribute("role", "menu");
  menu.hidden = true;
  menu.addEventListener("keydown", onMenuKey);
  menu.addEventListener("focusout", (event) => {
    // Tab, or a click elsewhere, leaves the menu: it closes without taking focus back.
    if (open && !menu.contains(event.relatedTarget) && event.relatedTarget !== open.button) close(false);
  });
  container.append(menu);
  document.addEventListener("pointerdown", (event) => {
    if (open && !menu.contains(event.target) && !open.button.contains(event.target)) close(false);
  });
}

/** The button that opens `nick`'s menu. */
export function button(nick) {
  const control = document.createElement("button");
  control.type = "button";
  control.className = "more";
  control.textContent = "⋯";
  control.dataset.nick = nick;
  control.setAttribute("aria-haspopup", "menu");
  control.setAttribute("aria-controls", "person-menu");
  control.setAttribute("aria-label", t("personActions", { nick }));
  control.title = t("personActions", { nick });
  const isOpen = open?.nick === nick;
  control.setAttribute("aria-expanded", String(isOpen));
  if (isOpen) open.button = control;
  control.addEventListener("click", () => {
    if (open?.nick === nick) close(true);
    else show(nick, control, 0);
  });
  control.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      show(nick, control, event.key === "ArrowDown" ? 0 : -1);
    }
  });
  return control;
}

/** After the list was drawn again: the menu follows its person's new button, or closes
 * when they left. */
export function redrawn(present) {
  if (!open) return;
  if (!present.has(open.nick) || !open.button.isConnected) {
    const hadFocus = menu.contains(document.activeElement);
    close(false);
    if (hadFocus) menu.closest("[tabindex]")?.focus();
    return;
  }
  place(open.button);
}

function show(nick, control, focusAt) {
  if (open) close(false);
  open = { nick, button: control };
  const item = (label, run) => {
    const entry = document.createElement("button");
    entry.type = "button";
    entry.setAttribute("role", "menuitem");
    entry.tabIndex = -1;
    entry.textContent = label;
    entry.addEventListener("click", () => {
      close(true);
      run();
    });
    return entry;
  };
  menu.replaceChildren(
    item(t("privateMessage"), () => actions.pick(nick)),
    item(t("muteFor"), () => actions.act(`/mute ${nick}`)),
    item(t("unmute"), () => actions.act(`/unmute ${nick}`)),
    item(t("seeBytes"), () => actions.watch(nick)),
    item(t("kickAsk"), () => kick(nick)),
    item(t("banAsk"), () => ban(nick)),
  );
  menu.setAttribute("aria-label", t("personActions", { nick }));
  menu.hidden = false;
  control.setAttribute("aria-expanded", "true");
  place(control);
  const items = entries();
  items.at(focusAt)?.focus();
}

/** Closes the menu; `refocus` puts focus back on the button that opened it. */
function close(refocus) {
  if (!open) return;
  const { button: control } = open;
  open = null;
  menu.hidden = true;
  control.setAttribute("aria-expanded", "false");
  if (refocus && control.isConnected) control.focus();
}

/** Under the button, inside the user list (which scrolls, and carries the menu along). */
function place(control) {
  menu.style.top = `${control.offsetTop + control.offsetHeight}px`;
}

function entries() {
  return [...menu.querySelectorAll("[role=menuitem]")];
}

function onMenuKey(event) {
  const items = entries();
  const at = items.indexOf(document.activeElement);
  const go = (index) => {
    event.preventDefault();
    items.at(index % items.length)?.focus();
  };
  switch (event.key) {
    case "ArrowDown":
      return go(at + 1);
    case "ArrowUp":
      return go(at - 1);
    case "Home":
      return go(0);
    case "End":
      return go(-1);
    case "Escape":
      event.preventDefault();
      return close(true);
    case "Tab":
      return close(false);
  }
}

async function kick(nick) {
  const answer = await dialog.confirm({
    text: t("kickConfirm", { nick }),
    action: t("kick"),
    reason: true,
  });
  if (answer) actions.act(`/kick ${nick}${answer.reason ? ` ${answer.reason}` : ""}`);
}

async function ban(nick) {
  const answer = await dialog.confirm({ text: t("banConfirm", { nick }), action: t("ban") });
  if (answer) actions.act(`/ban ${nick}`);
}

/** A teacher's delete of message `frame`, once confirmed. */
export async function deleteMessage(frame) {
  const text = frame.text.length > 80 ? `${frame.text.slice(0, 80)}…` : frame.text;
  const answer = await dialog.confirm({
    text: t("deleteConfirm", { nick: frame.from, text }),
    action: t("delete"),
  });
  if (answer) actions.act(`/delete ${frame.id}`);
}
