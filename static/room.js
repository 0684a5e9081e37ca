// The room's rules and topic: the banners everyone sees, and the teacher's controls in the
// settings, which only a teacher is shown. Who is silenced is a rule too: the user list
// marks them.

import * as connection from "./connection.js";
import * as rooms from "./rooms.js";
import { t } from "./i18n.js";
import * as users from "./users.js";

const $ = (id) => document.getElementById(id);

let room = { topic: null, locked: false, slow: 0, private: true };

export function init() {
  // A teacher's tools act on the room on screen.
  const command = (text) => connection.send(rooms.sayFrame(text));
  $("lock").addEventListener("click", () => command(room.locked ? "/unlock" : "/lock"));
  $("slow").addEventListener("change", () => command(`/slow ${$("slow").value}`));
  $("private").addEventListener("change", () => command(`/private ${$("private").checked ? "on" : "off"}`));
  $("topic-form").addEventListener("submit", (event) => {
    event.preventDefault();
    command(`/topic ${$("topic-input").value}`);
  });
}

/** The room as a welcome describes it. */
export function set(state) {
  if (state) room = { ...state };
  show();
}

/** Applies a teacher's notice to the room. */
export function apply(frame) {
  if (frame.kind === "mute" || frame.kind === "unmute") {
    users.muted(frame.nick, frame.kind === "mute" ? frame.number : 0);
  } else if (rooms.applyRule(room, frame)) {
    show();
  }
}

/** Draws the banners and, for a teacher, the controls. */
export function show() {
  const topic = $("topic");
  topic.hidden = !room.topic;
  topic.textContent = room.topic ? `${t("topicLabel")} : ${room.topic}` : "";
  $("locked").hidden = !room.locked;
  $("teacher-tools").hidden = !users.amTeacher();
  $("lock").textContent = room.locked ? t("unlock") : t("lock");
  $("slow").value = String(room.slow || 0);
  $("private").checked = room.private;
  const here = rooms.shownRoom();
  $("transcript-room").href = transcript("txt", here);
  $("transcript-room-csv").href = transcript("csv", here);
  $("transcript-all").href = transcript("txt");
  $("transcript-all-csv").href = transcript("csv");
}

/** The address of a transcript, of room `name` or of every room, that lets the teacher in
 * from another machine than the server's (the token is in it, as in the teacher's address). */
function transcript(format, name) {
  const query = new URLSearchParams();
  if (name) query.set("room", name);
  if (connection.identity.teacherToken) query.set("teacher", connection.identity.teacherToken);
  const search = query.toString();
  return `/transcript.${format}${search ? `?${search}` : ""}`;
}
