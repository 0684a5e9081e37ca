// A message's text as page nodes: fenced code blocks (with a copy button), `inline code`
// and links. Everything is built with createElement and textContent, never parsed as HTML,
// and no markdown library is involved: a chat needs three rules, not a document language.
// Whatever the rules do not recognise stays exactly the text that was typed.

import { t } from "./i18n.js";

/**
 * A line opening a code block: three or more backticks, then an optional language word
 * ("```python"). Only on a line of its own, so that backticks inside a sentence stay text.
 */
const OPENING_FENCE = /^ *(`{3,})[ \t]*([\w+#.-]*)[ \t]*$/;
/** A line closing a code block: backticks only, at least as many as opened it. */
const CLOSING_FENCE = /^ *(`{3,})[ \t]*$/;

/**
 * Top-level domains that make a bare `name.tld` a link. Kept small on purpose: many
 * country codes are also file extensions a programming class types all day (`.py` is
 * Paraguay, `.rs` Serbia, `.sh` Saint Helena, `.md` Moldova, `.pl` Poland, `.ml` Mali,
 * `.so` Somalia, `.in` India), so `script.py` or `main.rs` must stay text. These are the
 * common generic domains, `io` (project pages such as `user.github.io`; the price is that
 * `java.io` in a sentence becomes a link too), `eu`, `uk`, and the country codes of the
 * French-speaking classes tchat is made for: none of them a usual file extension. Any other
 * address becomes a link when written with `https://` or `www.`.
 */
const BARE_TLDS = new Set(["com", "org", "net", "edu", "gov", "io", "eu", "uk", "fr", "be", "ch", "ca", "lu"]);

/**
 * Where a link may be: an address with its scheme, or a host name (`www.x.org`,
 * `docs.python.org`) with an optional port, path, query or fragment. A host must not
 * follow a letter, `@` (an e-mail address), `.`, `/` or `:` (part of something longer).
 * What is found is only a candidate: `linkAt` trims and checks it.
 */
const CANDIDATE =
  /(?<![\p{L}\p{N}_])https?:\/\/[^\s<>"`]+|(?<![\p{L}\p{N}_@.\/:-])[\p{L}\p{N}][\p{L}\p{N}-]*(?:\.[\p{L}\p{N}-]+)+(?:[:\/?#][^\s<>"`]*)?/giu;

/** Characters that end a sentence around a link more often than the link itself. */
const TRAILING = /[.,;:!?'*_~]$/;
const CLOSERS = { ")": "(", "]": "[", "}": "{" };

/** A line indented as code is and prose never is: two spaces or a tab, then something. */
const INDENTED = /^(?: {2,}|\t)\S/m;

/**
 * True for code pasted as it is, without fences (from an editor, or a terminal, where lines
 * sent together become one message): several lines, some of them after the first indented,
 * and no fence anywhere.
 */
function isBareCode(text) {
  const rest = text.indexOf("\n");
  if (rest < 0 || !INDENTED.test(text.slice(rest + 1))) return false;
  return !text.split("\n").some((line) => OPENING_FENCE.test(line));
}

/** `text` as a fragment of text nodes, code and links, ready to append to a message. */
export function format(text) {
  const fragment = document.createDocumentFragment();
  if (isBareCode(text)) {
    fragment.append(codeBlock(text, ""));
    return fragment;
  }
  for (const part of fencedBlocks(text)) {
    fragment.append(part.code === undefined ? inline(part.text) : codeBlock(part.code, part.lang));
  }
  return fragment;
}

/**
 * Cuts `text` into prose (`{ text }`) and fenced code (`{ code, lang }`). The code is the
 * lines between the fences, exactly; a block left open runs to the end of the message, as
 * in CommonMark, because someone who pasted code after "```" rarely means the backticks.
 */
function fencedBlocks(text) {
  const parts = [];
  const lines = text.split("\n");
  let prose = [];
  for (let n = 0; n < lines.length; n += 1) {
    const opening = lines[n].match(OPENING_FENCE);
    // A fence on the last line opens nothing: "```" alone is just backticks.
    if (!opening || n === lines.length - 1) {
      prose.push(lines[n]);
      continue;
    }
    let end = n + 1;
    while (end < lines.length) {
      const closing = lines[end].match(CLOSING_FENCE);
      if (closing && closing[1].length >= opening[1].length) break;
      end += 1;
    }
    // The line breaks around a block belong to its fences: a block is on lines of its own.
    if (prose.length > 0) parts.push({ text: prose.join("\n") });
    parts.push({ code: lines.slice(n + 1, end).join("\n"), lang: opening[2] });
    prose = [];
    n = end;
  }
  if (prose.length > 0) parts.push({ text: prose.join("\n") });
  return parts;
}

/** A code block under a bar naming its language, with a button that copies the code. */
function codeBlock(code, lang) {
  const block = document.createElement("div");
  block.className = "code-block";
  const bar = document.createElement("div");
  bar.className = "code-bar";
  const name = document.createElement("span");
  name.className = "code-lang";
  name.textContent = lang;
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "copy";
  copy.textContent = t("copyCode");
  bar.append(name, copy);
  const pre = document.createElement("pre");
  const content = document.createElement("code");
  content.textContent = code;
  if (lang) content.dataset.lang = lang;
  pre.append(content);
  copy.addEventListener("click", () => copyCode(code, content, copy));
  block.append(bar, pre);
  return block;
}

/**
 * Puts `code` on the clipboard. The clipboard API only exists in a secure context (https
 * or localhost), and a class often opens `http://<lab-ip>`: there the block's text is
 * selected instead and the older copy command tried, which browsers still honour after a
 * click; if even that fails, the selection is left for Ctrl+C.
 */
async function copyCode(code, content, button) {
  let copied = false;
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(code);
      copied = true;
    } catch {
      copied = false;
    }
  }
  if (!copied) {
    const range = document.createRange();
    range.selectNodeContents(content);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
  }
  button.textContent = t(copied ? "copied" : "pressCtrlC");
  setTimeout(() => {
    button.textContent = t("copyCode");
  }, 2000);
}

/** Prose: `inline code` between matching runs of backticks, links in the rest. */
function inline(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  const runs = /`+/g;
  for (let run = runs.exec(text); run; run = runs.exec(text)) {
    const length = run[0].length;
    const close = closingRun(text, runs.lastIndex, length);
    if (close < 0) continue;
    fragment.append(links(text.slice(last, run.index)));
    const code = document.createElement("code");
    code.className = "inline-code";
    code.textContent = trimOneSpace(text.slice(runs.lastIndex, close));
    fragment.append(code);
    last = close + length;
    runs.lastIndex = last;
  }
  fragment.append(links(text.slice(last)));
  return fragment;
}

/** Where a run of exactly `length` backticks starts at or after `from`; -1 if none. */
function closingRun(text, from, length) {
  const runs = /`+/g;
  runs.lastIndex = from;
  for (let match = runs.exec(text); match; match = runs.exec(text)) {
    if (match[0].length === length) return match.index;
  }
  return -1;
}

/** "`` `x` ``" shows `x` with its backticks: one space each side is padding (CommonMark). */
function trimOneSpace(code) {
  if (code.startsWith(" ") && code.endsWith(" ") && code.trim()) return code.slice(1, -1);
  return code;
}

/** Text with its links made clickable; everything else stays text. */
function links(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const link = linkAt(match[0]);
    if (!link) continue;
    fragment.append(text.slice(last, match.index));
    const anchor = document.createElement("a");
    anchor.textContent = link.text;
    anchor.href = link.href;
    anchor.target = "_blank";
    anchor.rel = "noopener noreferrer";
    fragment.append(anchor);
    last = match.index + link.text.length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

/**
 * The link a candidate holds, `{ text, href }`, or null. Trailing punctuation is left to
 * the sentence, and so is a closing bracket with no opening one in the link: "(see
 * https://x.org/a)" ends before ")", while a Wikipedia address ending in "_(language)" keeps
 * its own. A bare host is a link only with a known top-level domain, and opens in https.
 */
function linkAt(candidate) {
  let text = candidate;
  for (;;) {
    const end = text.at(-1);
    if (TRAILING.test(end)) {
      text = text.slice(0, -1);
    } else if (end in CLOSERS && count(text, end) > count(text, CLOSERS[end])) {
      text = text.slice(0, -1);
    } else {
      break;
    }
  }
  const scheme = /^https?:\/\//i.test(text);
  const host = scheme ? "" : text.match(/^[^:\/?#]*/)[0];
  const labels = host.split(".");
  const tld = labels.at(-1).toLowerCase();
  if (!scheme) {
    if (labels.some((label) => !label || label.startsWith("-") || label.endsWith("-"))) return null;
    const www = labels[0].toLowerCase() === "www" && labels.length > 2 && /^\p{L}{2,}$/u.test(tld);
    if (!www && !BARE_TLDS.has(tld)) return null;
  }
  let url;
  try {
    url = new URL(scheme ? text : `https://${text}`);
  } catch {
    return null;
  }
  if (!["http:", "https:"].includes(url.protocol) || !url.hostname) return null;
  return { text, href: url.href };
}

function count(text, char) {
  return text.split(char).length - 1;
}
