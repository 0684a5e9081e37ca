// The nickname dialog: choosing a nickname (and the class password when the room has one)
// before joining, and renaming once in. A refusal is explained here, never silently altered.

import * as connection from "./connection.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

let renaming = false;

export function init() {
  $("nick-form").addEventListener("submit", onSubmit);
  $("nick-cancel").addEventListener("click", close);
  $("rename").addEventListener("click", () => open("", true));
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
  $("nick-dialog").hidden = false;
  $("nick-submit").textContent = rename ? t("rename") : t("join");
  $("nick-cancel").hidden = !rename;
  $("nick-error").textContent = problem;
  const input = $("nick");
  if (!rename && !problem) input.value = connection.identity.wanted;
  input.focus();
  input.select();
}

/** Asks for the class password too, explaining why. */
export function askPassword(problem) {
  connection.setPassword("");
  $("password-row").hidden = false;
  open(problem);
}

export function close() {
  renaming = false;
  $("nick-dialog").hidden = true;
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
  if (connection.isOpen() && !connection.isJoined()) connection.hello();
  else if (!connection.isConnecting()) connection.connect();
}
