// The page's dialogs. The nickname dialog: choosing a nickname (and the class password when
// the room has one) before joining, and renaming once in; a refusal is explained there,
// never silently altered. And the question asked before something that cannot be undone.

import * as connection from "./connection.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

let renaming = false;

export function init() {
  $("nick-form").addEventListener("submit", onSubmit);
  $("nick-cancel").addEventListener("click", close);
  // Escape cancels a rename; before joining there is nothing to go back to.
  $("nick-dialog").addEventListener("cancel", (event) => {
    event.preventDefault();
    if (renaming) close();
  });
  $("rename").addEventListener("click", () => open("", true));
  $("confirm").addEventListener("close", answered);
  $("confirm-cancel").addEventListener("click", () => $("confirm").close(""));
}

/** True while the dialog is renaming a joined page (rather than joining). */
export function isRenaming() {
  return renaming;
}

/** The nickname typed in the dialog. */
export function typed() {
  return $("nick").value.trim();
}

/** Opens the dialog, explaining `problem` if there is one. */
export function open(problem = "", rename = false) {
  renaming = rename;
  if (!$("nick-dialog").open) $("nick-dialog").showModal();
  $("nick-submit").textContent = rename ? t("rename") : t("join");
  $("nick-cancel").hidden = !rename;
  $("nick-error").textContent = problem;
  const input = $("nick");
  if (!rename && !problem) input.value = connection.identity.wanted;
  input.focus();
  input.select();
}

/** Asks for the teacher token again, explaining why: the one the page held was refused
 * (the server was started with another). Left empty, the page joins as a student. */
export function askToken(problem) {
  $("token-row").hidden = false;
  $("teacher-token").value = "";
  open(problem);
}

/** Asks for the class password too, explaining why. */
export function askPassword(problem) {
  connection.setPassword("");
  $("password-row").hidden = false;
  open(problem);
}

export function close() {
  renaming = false;
  if ($("nick-dialog").open) $("nick-dialog").close();
  $("nick-error").textContent = "";
}

function onSubmit(event) {
  event.preventDefault();
  const nick = typed();
  if (!nick) return;
  $("nick-error").textContent = "";
  if (renaming) {
    connection.send({ type: "nick", nick });
    return;
  }
  connection.want(nick);
  if (!$("password-row").hidden) connection.setPassword($("password").value);
  if (!$("token-row").hidden) {
    connection.setTeacherToken($("teacher-token").value.trim());
    $("token-row").hidden = true;
  }
  if (connection.isOpen() && !connection.isJoined()) connection.hello();
  else if (!connection.isConnecting()) connection.connect();
}

/** The confirmation being asked, and where focus was before it. */
let asking = null;

/**
 * Asks before an action that cannot be undone: `text` is the question, `action` the
 * button that goes ahead, `reason` offers a field for a reason. Resolves to `{ reason }`
 * when confirmed, `null` when cancelled (the Cancel button or Escape). Focus goes back
 * where it was.
 */
export function confirm({ text, action, reason = false }) {
  // A new question replaces one still open, which counts as cancelled.
  const back = asking ? asking.back : document.activeElement;
  asking?.resolve(null);
  const box = $("confirm");
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = action;
  $("confirm-reason-row").hidden = !reason;
  $("confirm-reason").value = "";
  return new Promise((resolve) => {
    asking = { resolve, back };
    if (!box.open) {
      box.returnValue = "";
      box.showModal();
    }
    (reason ? $("confirm-reason") : $("confirm-cancel")).focus();
  });
}

function answered() {
  if (!asking) return;
  const { resolve, back } = asking;
  asking = null;
  const ok = $("confirm").returnValue === "ok";
  resolve(ok ? { reason: $("confirm-reason").value.trim() } : null);
  if (back?.isConnected) back.focus();
}
