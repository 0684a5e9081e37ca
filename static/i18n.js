// Every sentence the page shows, in each language it speaks. The page's own words are
// here; the server's sentences (notices, errors, commands) come with the page, from the
// same catalog the server uses for TCP clients (the `sentences` block in index.html), so
// the two never drift apart. A third language is one more object here and one more
// catalog on the server.
//
// A sentence that depends on a number has two forms, `NAME_one` and `NAME_other`, and is
// asked for as `NAME`: the number picks the form by the language's rule (French says 0 and 1
// in the singular, English only 1), as the server does for TCP clients.

const own = {
  fr: {
    title: "tchat",
    nickLabel: "Ton pseudo",
    nickHint: "1 à {max} lettres, chiffres, _ - ou .",
    join: "Entrer",
    changeNick: "Changer de pseudo",
    rename: "Renommer",
    cancel: "Annuler",
    send: "Envoyer",
    message: "Message",
    messagePlaceholder: "Écris un message… (/help pour les commandes)",
    usersHere_one: "{count} personne connectée",
    usersHere_other: "{count} personnes connectées",
    showUsers: "Afficher les connectés",
    language: "Langue",
    settings: "Réglages",
    newMessages: "Nouveaux messages ↓",
    newBelow_one: "{count} nouveau message ↓",
    newBelow_other: "{count} nouveaux messages ↓",
    connecting: "Connexion…",
    connected: "Connecté en tant que {nick}",
    offline: "Hors ligne, nouvel essai dans {seconds} s",
    reconnectNow: "Réessayer maintenant",
    chooseNick: "Choisis un pseudo pour entrer dans la conversation",
    closed: "Déconnecté",
    youAre: "Tu es connecté·e en tant que {nick}.",
    missedAway_one: "{count} message manqué pendant la déconnexion",
    missedAway_other: "{count} messages manqués pendant la déconnexion",
    restarted: "La conversation a redémarré : les anciens messages ne sont plus disponibles.",
    pending: "en attente",
    privateTo: "privé à {nick}",
    privateFrom: "privé de {nick}",
    reply: "Répondre",
    copyCode: "Copier le code",
    copied: "Copié ✓",
    pressCtrlC: "Sélectionné : Ctrl+C pour copier",
    nicknames: "Pseudos",
    composerHint: "Entrée envoie, Maj+Entrée passe à la ligne, @ propose les pseudos.",
    nick_taken_dialog: "Le pseudo {nick} est déjà pris : choisis-en un autre.",
    nick_invalid_dialog: "Pseudo invalide : 1 à {max} lettres, chiffres, _ - ou .",
    nick_reserved_dialog: "Le pseudo {nick} est réservé : choisis-en un autre.",
    password_required_dialog: "Cette conversation a un mot de passe.",
    password_wrong_dialog: "Mauvais mot de passe.",
    too_many_attempts_dialog: "Trop d'essais : attends une minute.",
    replaced_page: "Tu t'es connecté·e dans un autre onglet ou un autre appareil.",
    stopping_page: "Le serveur redémarre…",
    notifyLabel: "Me prévenir quand on me mentionne",
    notifyDenied: "Le navigateur a refusé les notifications pour ce site.",
    notifyInsecure:
      "Les notifications du bureau ne sont possibles qu'en https ou sur localhost ; à cette adresse le navigateur les refuse. Les mentions restent surlignées et comptées dans l'onglet.",
    mention: "{nick} t'a mentionné·e",
    passwordLabel: "Mot de passe de la classe",
    tokenLabel: "Jeton du prof (vide : entrer en élève)",
    teacherTools: "Outils du prof",
    roomsHeading: "Salons",
    roomPeople_one: "({count} personne)",
    roomPeople_other: "({count} personnes)",
    roomUnread_one: "{count} non lu",
    roomUnread_other: "{count} non lus",
    roomsFixedNote: "Le prof a fixé les groupes : tu restes dans le tien jusqu'à la fin des groupes.",
    roomsAnswer: "Salons :",
    roomRow: "{room} {count}",
    roomRowHere: "{room} {count} — tu es ici",
    lock: "Verrouiller",
    unlock: "Déverrouiller",
    slowLabel: "Mode lent",
    slowOff: "non",
    privateToggle: "Messages privés entre élèves",
    topicLabel: "Sujet",
    setTopic: "Afficher",
    transcripts: "Transcription",
    transcriptRoom: "de ce salon",
    transcriptAll: "de tous les salons",
    kick: "Exclure",
    ban: "Bannir",
    banConfirm: "Bannir l'adresse de {nick} jusqu'au redémarrage ? (Derrière un même routeur, toute la classe peut partager cette adresse.)",
    delete: "Supprimer",
    deleteConfirm: "Supprimer ce message de {nick} pour tout le monde ?\n« {text} »",
    personActions: "Actions pour {nick}",
    privateMessage: "Message privé",
    muteFor: "Faire taire 5 min",
    mutedTag: "muet·te",
    unmute: "Rendre la parole",
    kickAsk: "Exclure…",
    banAsk: "Bannir l'adresse…",
    kickConfirm: "Exclure {nick} ? Ce pseudo ne pourra pas revenir pendant une minute.",
    reasonLabel: "Raison (facultatif, tout le monde la verra)",
    lockedBanner: "Conversation verrouillée : seuls les profs écrivent.",
    today: "Aujourd'hui",
    yesterday: "Hier",
    newSince: "Nouveau depuis ton départ",
    names2: "{a} et {b}",
    names3: "{a}, {b} et {c}",
    namesMore: "{a}, {b} et {count} autres",
    foldJoinedOne: "{names} a rejoint la conversation",
    foldJoined: "{names} ont rejoint la conversation",
    foldLeftOne: "{names} a quitté la conversation",
    foldLeft: "{names} ont quitté la conversation",
    foldRenamed: "{names} ont changé de pseudo",
    foldMovedOne: "{names} est passé·e dans le salon {room}",
    foldMoved: "{names} ont changé de salon",
    close: "Fermer",
    seeBytes: "Voir les octets",
    wireOwnTitle: "Ce que tchat a lu de ta connexion",
    wireOfTitle: "Ce que tchat a lu de {nick}",
    wireVia: "Connexion : {via}",
    wireLive: "en direct",
    wireStopped: "direct arrêté",
    wireReadsTitle: "Lu par le serveur",
    wireReadsNote: "Chaque lecture, la plus ancienne d'abord : ses octets comme Python les écrit, puis ce que tchat en a fait.",
    wirePageTitle: "Trames WebSocket de cette page",
    wirePageNote: "Vues par le navigateur : ↑ envoyée, ↓ reçue ; les 32 dernières, chacune coupée à 128 caractères, jetons et mots de passe masqués.",
    wireSent: "envoyée :",
    wireReceived: "reçue :",
  },
  en: {
    title: "tchat",
    nickLabel: "Your nickname",
    nickHint: "1 to {max} letters, digits, _ - or .",
    join: "Join",
    changeNick: "Change nickname",
    rename: "Rename",
    cancel: "Cancel",
    send: "Send",
    message: "Message",
    messagePlaceholder: "Type a message… (/help for commands)",
    usersHere_one: "{count} person connected",
    usersHere_other: "{count} people connected",
    showUsers: "Show who is connected",
    language: "Language",
    settings: "Settings",
    newMessages: "New messages ↓",
    newBelow_one: "{count} new message ↓",
    newBelow_other: "{count} new messages ↓",
    connecting: "Connecting…",
    connected: "Connected as {nick}",
    offline: "Offline, retrying in {seconds} s",
    reconnectNow: "Retry now",
    chooseNick: "Choose a nickname to join the conversation",
    closed: "Disconnected",
    youAre: "You are connected as {nick}.",
    missedAway_one: "{count} message missed while disconnected",
    missedAway_other: "{count} messages missed while disconnected",
    restarted: "The conversation restarted: earlier messages are no longer available.",
    pending: "pending",
    privateTo: "private to {nick}",
    privateFrom: "private from {nick}",
    reply: "Reply",
    copyCode: "Copy code",
    copied: "Copied ✓",
    pressCtrlC: "Selected: press Ctrl+C to copy",
    nicknames: "Nicknames",
    composerHint: "Enter sends, Shift+Enter starts a new line, @ suggests nicknames.",
    nick_taken_dialog: "The nickname {nick} is taken: choose another one.",
    nick_invalid_dialog: "Invalid nickname: 1 to {max} letters, digits, _ - or .",
    nick_reserved_dialog: "The nickname {nick} is reserved: choose another one.",
    password_required_dialog: "This conversation has a password.",
    password_wrong_dialog: "Wrong password.",
    too_many_attempts_dialog: "Too many attempts: wait a minute.",
    replaced_page: "You connected from another tab or device.",
    stopping_page: "The server is restarting…",
    notifyLabel: "Notify me when someone mentions me",
    notifyDenied: "The browser blocked notifications for this site.",
    notifyInsecure:
      "Desktop notifications only work over https or on localhost; at this address the browser refuses them. Mentions are still highlighted and counted in the tab.",
    mention: "{nick} mentioned you",
    passwordLabel: "Class password",
    tokenLabel: "Teacher token (empty: join as a student)",
    teacherTools: "Teacher tools",
    roomsHeading: "Rooms",
    roomPeople_one: "({count} person)",
    roomPeople_other: "({count} people)",
    roomUnread_one: "{count} unread",
    roomUnread_other: "{count} unread",
    roomsFixedNote: "The teacher has fixed the groups: you stay in yours until the groups end.",
    roomsAnswer: "Rooms:",
    roomRow: "{room} {count}",
    roomRowHere: "{room} {count} — you are here",
    lock: "Lock",
    unlock: "Unlock",
    slowLabel: "Slow mode",
    slowOff: "off",
    privateToggle: "Private messages between students",
    topicLabel: "Topic",
    setTopic: "Show",
    transcripts: "Transcript",
    transcriptRoom: "of this room",
    transcriptAll: "of every room",
    kick: "Kick",
    ban: "Ban",
    banConfirm: "Ban {nick}'s address until restart? (Behind one router, a whole class may share that address.)",
    delete: "Delete",
    deleteConfirm: "Delete this message by {nick} for everyone?\n“{text}”",
    personActions: "Actions for {nick}",
    privateMessage: "Private message",
    muteFor: "Mute for 5 min",
    mutedTag: "muted",
    unmute: "Unmute",
    kickAsk: "Kick…",
    banAsk: "Ban their address…",
    kickConfirm: "Send {nick} away? That nickname cannot come back for a minute.",
    reasonLabel: "Reason (optional, everyone will see it)",
    lockedBanner: "Conversation locked: only teachers write.",
    today: "Today",
    yesterday: "Yesterday",
    newSince: "New since you left",
    names2: "{a} and {b}",
    names3: "{a}, {b} and {c}",
    namesMore: "{a}, {b} and {count} others",
    foldJoinedOne: "{names} joined the conversation",
    foldJoined: "{names} joined the conversation",
    foldLeftOne: "{names} left the conversation",
    foldLeft: "{names} left the conversation",
    foldRenamed: "{names} changed their nicknames",
    foldMovedOne: "{names} went to the room {room}",
    foldMoved: "{names} changed rooms",
    close: "Close",
    seeBytes: "See their bytes",
    wireOwnTitle: "What tchat read from your connection",
    wireOfTitle: "What tchat read from {nick}",
    wireVia: "Connection: {via}",
    wireLive: "live",
    wireStopped: "live view stopped",
    wireReadsTitle: "Read by the server",
    wireReadsNote: "Each read, oldest first: its bytes as Python writes them, then what tchat made of them.",
    wirePageTitle: "This page's WebSocket frames",
    wirePageNote: "As the browser saw them: ↑ sent, ↓ received; the last 32, each cut at 128 characters, tokens and passwords masked.",
    wireSent: "sent:",
    wireReceived: "received:",
  },
};

/** The server's sentences, by language, as the page was served with them. */
const server = (() => {
  try {
    return JSON.parse(document.getElementById("sentences")?.textContent || "{}");
  } catch {
    return {};
  }
})();

/** Values every sentence may name: the limits the server was started with. */
const limits = (() => {
  const data = document.body.dataset;
  return { max: Number(data.maxNick) || 24 };
})();

export const languages = Object.keys(own);

let current = "en";

/** The saved choice, else the browser's preferred language, else English. */
export function initialLanguage() {
  const saved = localStorage.getItem("tchat.lang");
  if (languages.includes(saved)) return saved;
  for (const wanted of navigator.languages || [navigator.language || ""]) {
    const base = wanted.toLowerCase().split("-")[0];
    if (languages.includes(base)) return base;
  }
  return "en";
}

export function setLanguage(lang) {
  current = languages.includes(lang) ? lang : "en";
  localStorage.setItem("tchat.lang", current);
  document.documentElement.lang = current;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n, limits);
  }
  for (const element of document.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
    element.title = t(element.dataset.i18nLabel);
  }
  for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = t(element.dataset.i18nPlaceholder);
  }
}

export function language() {
  return current;
}

/**
 * The sentence `key` in the current language, the page's own or the server's, with each
 * `{name}` replaced from `values` in one pass; `fallback` (or the key) when there is none.
 */
export function t(key, values = {}, fallback = key) {
  const template = find(key) ?? counted(key, values) ?? fallback;
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

const rules = new Map();

function pluralRules(lang) {
  if (!rules.has(lang)) rules.set(lang, new Intl.PluralRules(lang));
  return rules.get(lang);
}

/** The values a counted sentence may depend on, in the order the server looks for them. */
const COUNTED = ["count", "number", "seconds", "max"];

function find(key) {
  return own[current][key] ?? server[current]?.[key] ?? own.en[key] ?? server.en?.[key];
}

/** The form of the counted sentence `key` its number asks for, if it is one. */
function counted(key, values) {
  const name = COUNTED.find((wanted) => typeof values[wanted] === "number");
  if (name === undefined || find(`${key}_other`) === undefined) return undefined;
  // CLDR's categories: French large round numbers are "many", which reads as "other" here.
  const form = pluralRules(current).select(values[name]);
  return find(`${key}_${form}`) ?? find(`${key}_other`);
}
