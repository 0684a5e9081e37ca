// The chat page, wired together: each module owns its slice of the page's state.
// - connection.js: the socket, the hello, resuming, reconnecting, the status.
// - conversation.js: frames from the server → the room and the log.
// - composer.js: the message box. users.js: who is here (moderation.js: the teacher's
//   menu for each of them, and deleting messages). room.js: the rules and topic.
//   rooms.js: the list of rooms (a teacher's unread counts, a student's moves).
// - dialog.js: the nickname, the password, confirmations.
// - attention.js: unread counts and notifications.
// - wire.js: the `/wire` panel, the bytes of a connection (and a teacher's live view).
// - render.js: elements for the log. log.js: placing them, dividers, runs, folds.
// - i18n.js: every sentence.

import * as attention from "./attention.js";
import * as composer from "./composer.js";
import * as connection from "./connection.js";
import * as conversation from "./conversation.js";
import * as dialog from "./dialog.js";
import { initialLanguage, language, languages, setLanguage, t } from "./i18n.js";
import * as room from "./room.js";
import * as rooms from "./rooms.js";
import * as users from "./users.js";
import * as wire from "./wire.js";

const $ = (id) => document.getElementById(id);

function chooseLanguage() {
  const choice = $("lang");
  choice.replaceChildren(
    ...languages.map((code) => {
      const option = document.createElement("option");
      option.value = code;
      option.textContent = code.toUpperCase();
      return option;
    }),
  );
  setLanguage(initialLanguage());
  choice.value = language();
  choice.addEventListener("change", () => {
    setLanguage(choice.value);
    users.redraw();
    room.show();
    rooms.draw();
    wire.redraw();
    connection.invite();
    if (connection.isJoined()) connection.setStatus("online", t("connected", { nick: users.myNick() }));
  });
  document.title = t("title");
}

function start() {
  chooseLanguage();
  connection.init({
    frame: conversation.handle,
    open: conversation.opened,
    closed: () => {
      users.show();
      wire.disconnected();
    },
    since: conversation.since,
    room: rooms.hereRoom,
    traffic: wire.traffic,
  });
  users.init({
    pick: (nick) => composer.prefill(`/msg ${nick} `),
    act: (command) => connection.send({ type: "say", text: command }),
    watch: wire.watch,
  });
  composer.init();
  dialog.init();
  room.init();
  rooms.init({
    enter: (name) => connection.send({ type: "say", text: `/join ${name}` }),
    view: conversation.view,
  });
  attention.init();
  wire.init();
  if (connection.identity.wanted) {
    connection.connect();
  } else {
    connection.invite();
    dialog.open();
  }
}

start();
