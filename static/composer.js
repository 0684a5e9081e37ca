// The message box: a text area that grows with what is typed (code keeps its lines and
// indentation), sending with Enter and a new line with Shift+Enter, lines typed while
// offline (shown as pending, sent once joined again), ↑/↓ recall of one's own lines, and
// nickname completion: `@` opens a list driven with ↑/↓, Enter or Tab; Tab also completes
// a nickname typed without `@`.

import * as connection from "./connection.js";
import * as rooms from "./rooms.js";
import * as render from "./render.js";
import * as users from "./users.js";

const $ = (id) => document.getElementById(id);
/** Own lines kept for ↑/↓ recall. */
const RECALL = 100;
/** Nicknames the `@` list shows at most: beyond that, typing more letters is quicker. */
const SUGGESTED = 8;

let sentLines = [];
/** Where ↑/↓ is in `sentLines`; -1 when not recalling. */
let recall = -1;
/** What was in the box when ↑ began recalling, given back by ↓ past the newest line. */
let draft = "";
/** Lines typed while offline: `{ text, item }`, the item being their pending line in the log. */
let pending = [];
/** The `@` list while it is open: the nicknames shown and the one Enter or Tab would pick. */
let suggested = null;

export function init() {
  const input = $("msg");
  $("say").addEventListener("submit", (event) => {
    event.preventDefault();
    submit(input.value);
    input.value = "";
    fit();
    hideSuggestions();
  });
  input.addEventListener("keydown", onKey);
  input.addEventListener("input", () => {
    fit();
    showSuggestions();
  });
  // Moving the caret sideways changes the word being completed.
  input.addEventListener("keyup", (event) => {
    if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) showSuggestions();
  });
  input.addEventListener("blur", () => setTimeout(hideSuggestions, 100));
  // A narrower window wraps the text on more lines.
  window.addEventListener("resize", fit);
}

/** Puts `text` in the box, ready to be completed. */
export function prefill(text) {
  const input = $("msg");
  input.value = text;
  fit();
  input.focus();
  input.setSelectionRange(text.length, text.length);
}

export function focus() {
  $("msg").focus();
}

/**
 * Makes the box as tall as its text, up to the `max-height` of the style sheet, past which
 * it scrolls. Done by hand: CSS `field-sizing: content` is not in every browser a class has.
 */
function fit() {
  const input = $("msg");
  // Empty, it is one line (Chromium would measure the placeholder, which wraps on a phone);
  // hidden (before joining), it has no height to measure: the style sheet's one line stays.
  if (!input.value || input.getClientRects().length === 0) {
    input.style.height = "";
    return;
  }
  input.style.height = "auto";
  const borders = input.offsetHeight - input.clientHeight;
  input.style.height = `${input.scrollHeight + borders}px`;
}

function submit(text) {
  if (!text.trim()) return;
  sentLines.push(text);
  if (sentLines.length > RECALL) sentLines.shift();
  recall = -1;
  if (connection.isJoined() && connection.send(rooms.sayFrame(text))) return;
  const item = render.pending(text);
  pending.push({ text, item });
  render.append(item);
}

/** Sends what was typed while offline, now that the page is in again. */
export function flushPending() {
  render.flush();
  const waiting = pending;
  pending = [];
  for (const { text, item } of waiting) {
    item.remove();
    if (!connection.send(rooms.sayFrame(text))) {
      pending.push({ text, item });
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
  const nicks = users.others().filter((nick) => nick.toLowerCase().startsWith(prefix));
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
  fit();
  hideSuggestions();
}

/** Opens (or refreshes) the `@` list for the word at the caret, its first nickname selected. */
function showSuggestions() {
  const found = completions();
  if (!found || !found.at || found.nicks.length === 0) return hideSuggestions();
  const nicks = found.nicks.slice(0, SUGGESTED);
  const options = nicks.map((nick, index) => {
    const option = document.createElement("li");
    option.role = "option";
    option.id = `suggestion-${index}`;
    option.append(render.nickElement(nick));
    option.addEventListener("mousedown", (event) => {
      event.preventDefault();
      const now = completions();
      if (now) complete(nick, now);
      $("msg").focus();
    });
    return option;
  });
  $("suggestions").replaceChildren(...options);
  $("suggestions").hidden = false;
  suggested = { nicks, active: 0 };
  select(0);
}

/** Marks the `index`-th nickname of the list as the one Enter or Tab picks. */
function select(index) {
  suggested.active = index;
  for (const [n, option] of [...$("suggestions").children].entries()) {
    option.setAttribute("aria-selected", String(n === index));
  }
  $("msg").setAttribute("aria-activedescendant", `suggestion-${index}`);
}

function hideSuggestions() {
  suggested = null;
  $("suggestions").hidden = true;
  $("msg").removeAttribute("aria-activedescendant");
}

/** Keys while the `@` list is open: they drive the list, and Enter never sends. */
function onListKey(event) {
  const count = suggested.nicks.length;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    select((suggested.active + (event.key === "ArrowDown" ? 1 : count - 1)) % count);
  } else if (event.key === "Enter" || (event.key === "Tab" && !event.shiftKey)) {
    event.preventDefault();
    const found = completions();
    if (found) complete(suggested.nicks[suggested.active], found);
    else hideSuggestions();
  } else if (event.key === "Escape") {
    event.preventDefault();
    hideSuggestions();
  }
}

/** True when the caret is on the text's first line (`up`) or its last. */
function caretOnEdgeLine(input, up) {
  if (input.selectionStart !== input.selectionEnd) return false;
  const caret = input.selectionStart;
  return up ? !input.value.slice(0, caret).includes("\n") : !input.value.slice(caret).includes("\n");
}

function onKey(event) {
  // Keys that compose a character in an input method (Japanese, Chinese…) are not commands.
  if (event.isComposing) return;
  if (suggested) return onListKey(event);
  const input = $("msg");
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("say").requestSubmit();
  } else if (event.key === "Tab" && !event.shiftKey) {
    const found = completions();
    if (found && found.nicks.length > 0) {
      event.preventDefault();
      complete(found.nicks[0], found);
    }
  } else if (event.key === "ArrowUp" && sentLines.length > 0 && caretOnEdgeLine(input, true)) {
    event.preventDefault();
    if (recall < 0) draft = input.value;
    recall = recall < 0 ? sentLines.length - 1 : Math.max(0, recall - 1);
    prefill(sentLines[recall]);
  } else if (event.key === "ArrowDown" && recall >= 0 && caretOnEdgeLine(input, false)) {
    event.preventDefault();
    recall += 1;
    if (recall >= sentLines.length) {
      recall = -1;
      prefill(draft);
    } else {
      prefill(sentLines[recall]);
    }
  }
}
