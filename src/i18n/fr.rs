//! Les phrases du serveur en français.

use super::Catalog;

pub(super) static CATALOG: Catalog = Catalog {
    greeting: "Bienvenue sur tchat, {nick} ! Tape /help pour voir les commandes.",
    history: "Derniers messages :",
    joined: "{nick} a rejoint la conversation ({via})",
    left: "{nick} a quitté la conversation",
    renamed: "{old} s'appelle maintenant {new}",
    via_web: "navigateur",
    via_tcp: "TCP",
    who: "{count} connecté(s) :",
    help: "Commandes :",
    commands: [
        "cette aide",
        "changer de pseudo",
        "décrire ce que tu fais",
        "qui est connecté",
        "message privé",
        "revoir les N derniers messages",
        "quitter (z ou FIN aussi)",
    ],
    bye: "Au revoir !",
    stopping: "Le serveur s'arrête. Au revoir !",
    replaced: "Tu t'es reconnecté·e ailleurs : cette connexion se ferme.",
    missed: "{count} messages manqués : ta connexion ne suit pas.",
    nick_taken: "Le pseudo {nick} est déjà pris.",
    nick_invalid: "Pseudo invalide : 1 à {max} lettres, chiffres, _ - ou .",
    no_such_user: "Personne ne s'appelle {nick} ici.",
    self_message: "Tu ne peux pas t'envoyer un message privé.",
    recipient_busy: "{nick} ne lit plus ses messages ; message non remis.",
    unknown_command: "Commande inconnue : {command}. Tape /help.",
    usage: "Utilisation : {usage}",
    too_long: "Message trop long (maximum {max} caractères).",
    bad_frame: "Trame invalide : {detail}",
};
