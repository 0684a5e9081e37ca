// The chat page: asks a nickname, joins over /ws, shows the conversation, sends on Enter.
// Everything from the network is put into the page as text (textContent), never as HTML.

const $ = (id) => document.getElementById(id);
const log = $("log");
let socket = null;
let me = null;

function timeOf(ts) {
  return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function line(cls, ...parts) {
  const item = document.createElement("li");
  item.className = cls;
  for (const [partClass, text] of parts) {
    const span = document.createElement("span");
    span.className = partClass;
    span.textContent = text;
    item.append(span);
  }
  const follow = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(item);
  if (follow) log.scrollTop = log.scrollHeight;
}

function show(frame) {
  const time = ["time", frame.ts ? timeOf(frame.ts) : ""];
  switch (frame.type) {
    case "welcome":
      me = frame.nick;
      frame.history.forEach(show);
      line("notice", ["text", `Connecté en tant que ${me}`]);
      break;
    case "message":
      if (frame.action) line("action", time, ["text", `• ${frame.from} ${frame.text}`]);
      else line(frame.from === me ? "message mine" : "message", time, ["nick", frame.from], ["text", frame.text]);
      break;
    case "join": line("notice", time, ["text", `${frame.nick} est arrivé·e (${frame.via})`]); break;
    case "leave": line("notice", time, ["text", `${frame.nick} est parti·e`]); break;
    case "nick":
      if (frame.old === me) me = frame.new;
      line("notice", time, ["text", `${frame.old} → ${frame.new}`]);
      break;
    case "private": line("private", time, ["nick", `*${frame.from} → ${frame.to}*`], ["text", frame.text]); break;
    case "users": line("notice", ["text", frame.users.map((u) => `${u.nick} (${u.via})`).join(", ")]); break;
    case "help": frame.commands.forEach((c) => line("notice", ["text", `${c.usage} — ${c.text}`])); break;
    case "missed": line("notice", ["text", `${frame.count} messages manqués`]); break;
    case "error":
      if (!me) $("join-error").textContent = frame.text;
      else line("notice error", ["text", frame.text]);
      break;
    case "bye": line("notice", ["text", frame.text]); break;
  }
}

function connect(nick) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}/ws`);
  $("status").textContent = "connexion…";
  socket.addEventListener("open", () => {
    $("status").textContent = "connecté";
    socket.send(JSON.stringify({ type: "hello", nick }));
  });
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "welcome") {
      localStorage.setItem("tchat.nick", frame.nick);
      $("join").hidden = true;
      $("chat").hidden = false;
      $("msg").focus();
    }
    show(frame);
  });
  socket.addEventListener("close", () => { $("status").textContent = "déconnecté"; });
}

$("nick").value = localStorage.getItem("tchat.nick") || "";
$("join").addEventListener("submit", (event) => {
  event.preventDefault();
  $("join-error").textContent = "";
  const nick = $("nick").value.trim();
  if (socket && socket.readyState === WebSocket.OPEN && !me) socket.send(JSON.stringify({ type: "hello", nick }));
  else connect(nick);
});
$("say").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("msg").value;
  if (!text.trim() || !socket || socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: "say", text }));
  $("msg").value = "";
});
