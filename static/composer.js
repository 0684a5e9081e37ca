// The message box: sending, lines typed while offline (shown as pending, sent once joined
// again), ↑/↓ recall of one's own lines, and nickname completion with `@` and Tab.

import * as connection from "./connection.js";
import * as render from "./render.js";
import * as users from "./users.js";

const $ = (id) => document.getElementById(id);
/** Own lines kept for ↑/↓ recall. */
const RECALL = 100;

let sentLines = [];
/** Where ↑/↓ is in `sentLines`; -1 when not recalling. */
let recall = -1;
/** Lines typed while offline: `{ text, item }`, the item being their pending line in the log. */
let pending = [];

export function init() {
  $("say").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("msg");
    submit(input.value);
    input.value = "";
    hideSuggestions();
  });
  $("msg").addEventListener("keydown", onKey);
  $("msg").addEventListener("input", showSuggestions);
  $("msg").addEventListener("blur", () => setTimeout(hideSuggestions, 100));
}

/** Puts `text` in the box, ready to be completed. */
export function prefill(text) {
  const input = $("msg");
  input.value = text;
  input.focus();
  input.setSelectionRange(text.length, text.length);
}

export function focus() {
  $("msg").focus();
}

function submit(text) {
  if (!text.trim()) return;
  sentLines.push(text);
  if (sentLines.length > RECALL) sentLines.shift();
  recall = -1;
  if (connection.isJoined() && connection.send({ type: "say", text })) return;
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
    if (!connection.send({ type: "say", text })) {
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
  hideSuggestions();
}

function showSuggestions() {
  const found = completions();
  const box = $("suggestions");
  if (!found || !found.at || found.nicks.length === 0) return hideSuggestions();
  const options = found.nicks.slice(0, 8).map((nick, index) => {
    const option = document.createElement("li");
    option.role = "option";
    option.id = `suggestion-${index}`;
    option.append(render.nickElement(nick));
    option.addEventListener("mousedown", (event) => {
      event.preventDefault();
      complete(nick, completions());
      $("msg").focus();
    });
    return option;
  });
  box.replaceChildren(...options);
  box.hidden = false;
  $("msg").setAttribute("aria-expanded", "true");
}

function hideSuggestions() {
  $("suggestions").hidden = true;
  $("msg").setAttribute("aria-expanded", "false");
}

function onKey(event) {
  if (event.key === "Tab" && !event.shiftKey) {
    const found = completions();
    if (found && found.nicks.length > 0) {
      event.preventDefault();
      complete(found.nicks[0], found);
    }
    return;
  }
  if (event.key === "Escape") return hideSuggestions();
  if (!$("suggestions").hidden) return;
  if (event.key === "ArrowUp" && sentLines.length > 0) {
    event.preventDefault();
    recall = recall < 0 ? sentLines.length - 1 : Math.max(0, recall - 1);
    prefill(sentLines[recall]);
  } else if (event.key === "ArrowDown" && recall >= 0) {
    event.preventDefault();
    recall += 1;
    if (recall >= sentLines.length) {
      recall = -1;
      prefill("");
    } else {
      prefill(sentLines[recall]);
    }
  }
}
