// Every sentence the page shows, in each language it speaks. A third language is one more
// object here (and one more <option> in templates/index.html).

const strings = {
  fr: {
    title: "tchat",
    nickLabel: "Ton pseudo",
    nickHint: "1 à 24 lettres, chiffres, _ - ou .",
    join: "Entrer",
    changeNick: "Changer de pseudo",
    rename: "Renommer",
    cancel: "Annuler",
    send: "Envoyer",
    message: "Message",
    messagePlaceholder: "Écris un message… (/help pour les commandes)",
    users: "Connectés",
    showUsers: "Afficher les connectés",
    language: "Langue",
    settings: "Réglages",
    newMessages: "Nouveaux messages ↓",
    connecting: "Connexion…",
    connected: "Connecté en tant que {nick}",
    offline: "Hors ligne, nouvel essai dans {seconds} s",
    reconnectNow: "Réessayer maintenant",
    closed: "Déconnecté",
    viaWeb: "navigateur",
    viaTcp: "TCP",
    joined: "{nick} a rejoint la conversation ({via})",
    left: "{nick} a quitté la conversation",
    renamed: "{old} s'appelle maintenant {new}",
    youAre: "Tu es connecté·e en tant que {nick}.",
    missed: "{count} messages manqués pendant la déconnexion",
    restarted: "La conversation a redémarré : les anciens messages ne sont plus disponibles.",
    pending: "en attente",
    privateTo: "privé à {nick}",
    privateFrom: "privé de {nick}",
    reply: "Répondre",
    whoHeading: "{count} connecté(s) :",
    helpHeading: "Commandes :",
    historyHeading: "Derniers messages :",
    nick_taken: "Le pseudo {nick} est déjà pris : choisis-en un autre.",
    nick_invalid: "Pseudo invalide : 1 à 24 lettres, chiffres, _ - ou .",
    replaced: "Tu t'es connecté·e dans un autre onglet ou un autre appareil.",
    reconnectHere: "Revenir ici",
    stopping: "Le serveur redémarre…",
    notifyLabel: "Me prévenir quand on me mentionne",
    notifyDenied: "Le navigateur a refusé les notifications pour ce site.",
    notifyInsecure:
      "Les notifications du bureau ne sont possibles qu'en https ou sur localhost ; à cette adresse le navigateur les refuse. Les mentions restent surlignées et comptées dans l'onglet.",
    mention: "{nick} t'a mentionné·e",
    passwordLabel: "Mot de passe de la classe",
    password_required: "Cette conversation a un mot de passe.",
    password_wrong: "Mauvais mot de passe.",
    too_many_attempts: "Trop d'essais : attends une minute.",
    nick_reserved: "Le pseudo {nick} est réservé : choisis-en un autre.",
    teacherTag: "prof",
    teacherTools: "Outils du prof",
    lock: "Verrouiller",
    unlock: "Déverrouiller",
    slowLabel: "Mode lent",
    slowOff: "non",
    privateToggle: "Messages privés entre élèves",
    topicLabel: "Sujet",
    setTopic: "Afficher",
    mute: "Faire taire",
    kick: "Exclure",
    ban: "Bannir",
    banConfirm: "Bannir l'adresse de {nick} jusqu'au redémarrage ? (Derrière un même routeur, toute la classe peut partager cette adresse.)",
    delete: "Supprimer",
    kicked: "Tu as été exclu·e de la conversation.",
    banned: "Ton adresse est bannie jusqu'au redémarrage du serveur.",
    lockedBanner: "Conversation verrouillée : seuls les profs écrivent.",
    notice_op: "{nick} est prof",
    notice_topic: "Sujet : {text} ({by})",
    notice_topic_cleared: "{by} a retiré le sujet",
    notice_announce: "Annonce de {by} : {text}",
    notice_kick: "{nick} a été exclu·e par {by}",
    notice_mute: "{nick} ne peut plus écrire pendant {number} min ({by})",
    notice_unmute: "{nick} peut de nouveau écrire ({by})",
    notice_ban: "{nick} a été banni·e par {by}",
    notice_lock: "{by} a verrouillé la conversation : seuls les profs écrivent",
    notice_unlock: "{by} a rouvert la conversation",
    notice_slow: "Mode lent ({by}) : un message toutes les {number} s par élève",
    notice_slow_off: "Fin du mode lent ({by})",
    notice_private_off: "{by} a coupé les messages privés entre élèves",
    notice_private_on: "{by} a rétabli les messages privés entre élèves",
    notice_delete: "Un message de {nick} a été supprimé par {by}",
  },
  en: {
    title: "tchat",
    nickLabel: "Your nickname",
    nickHint: "1 to 24 letters, digits, _ - or .",
    join: "Join",
    changeNick: "Change nickname",
    rename: "Rename",
    cancel: "Cancel",
    send: "Send",
    message: "Message",
    messagePlaceholder: "Type a message… (/help for commands)",
    users: "Connected",
    showUsers: "Show who is connected",
    language: "Language",
    settings: "Settings",
    newMessages: "New messages ↓",
    connecting: "Connecting…",
    connected: "Connected as {nick}",
    offline: "Offline, retrying in {seconds} s",
    reconnectNow: "Retry now",
    closed: "Disconnected",
    viaWeb: "browser",
    viaTcp: "TCP",
    joined: "{nick} joined the conversation ({via})",
    left: "{nick} left the conversation",
    renamed: "{old} is now known as {new}",
    youAre: "You are connected as {nick}.",
    missed: "{count} messages missed while disconnected",
    restarted: "The conversation restarted: earlier messages are no longer available.",
    pending: "pending",
    privateTo: "private to {nick}",
    privateFrom: "private from {nick}",
    reply: "Reply",
    whoHeading: "{count} connected:",
    helpHeading: "Commands:",
    historyHeading: "Recent messages:",
    nick_taken: "The nickname {nick} is taken: choose another one.",
    nick_invalid: "Invalid nickname: 1 to 24 letters, digits, _ - or .",
    replaced: "You connected from another tab or device.",
    reconnectHere: "Come back here",
    stopping: "The server is restarting…",
    notifyLabel: "Notify me when someone mentions me",
    notifyDenied: "The browser blocked notifications for this site.",
    notifyInsecure:
      "Desktop notifications only work over https or on localhost; at this address the browser refuses them. Mentions are still highlighted and counted in the tab.",
    mention: "{nick} mentioned you",
    passwordLabel: "Class password",
    password_required: "This conversation has a password.",
    password_wrong: "Wrong password.",
    too_many_attempts: "Too many attempts: wait a minute.",
    nick_reserved: "The nickname {nick} is reserved: choose another one.",
    teacherTag: "teacher",
    teacherTools: "Teacher tools",
    lock: "Lock",
    unlock: "Unlock",
    slowLabel: "Slow mode",
    slowOff: "off",
    privateToggle: "Private messages between students",
    topicLabel: "Topic",
    setTopic: "Show",
    mute: "Mute",
    kick: "Kick",
    ban: "Ban",
    banConfirm: "Ban {nick}'s address until restart? (Behind one router, a whole class may share that address.)",
    delete: "Delete",
    kicked: "You were sent away from the conversation.",
    banned: "Your address is banned until the server restarts.",
    lockedBanner: "Conversation locked: only teachers write.",
    notice_op: "{nick} is a teacher",
    notice_topic: "Topic: {text} ({by})",
    notice_topic_cleared: "{by} cleared the topic",
    notice_announce: "Announcement from {by}: {text}",
    notice_kick: "{nick} was sent away by {by}",
    notice_mute: "{nick} cannot write for {number} min ({by})",
    notice_unmute: "{nick} can write again ({by})",
    notice_ban: "{nick} was banned by {by}",
    notice_lock: "{by} locked the conversation: only teachers write",
    notice_unlock: "{by} reopened the conversation",
    notice_slow: "Slow mode ({by}): one message every {number} s per student",
    notice_slow_off: "Slow mode ended ({by})",
    notice_private_off: "{by} turned off private messages between students",
    notice_private_on: "{by} turned private messages between students back on",
    notice_delete: "A message from {nick} was deleted by {by}",
  },
};

export const languages = Object.keys(strings);

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
    element.textContent = t(element.dataset.i18n);
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

/** The sentence `key` in the current language, with `{name}` replaced from `values`. */
export function t(key, values = {}) {
  const template = strings[current][key] ?? strings.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}
