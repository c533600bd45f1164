import LogoutCore

/// What the browser pages say, in French and English. The reason of a refusal stays in English
/// (it is the rule's text, for the application's developers); the sentence around it is translated.
struct EndSessionTexts {
    var signedOutTitle: String
    var signedOut: String
    var signedOutNothing: String
    var refusedTitle: String
    var refused: String
    var unavailableTitle: String
    var unavailable: String
    var rateLimitedTitle: String
    var rateLimited: String
    var detail: String
    var signingOutTitle: String
    var signingOut: String
    var continueLabel: String

    static func of(_ language: PageLanguage) -> EndSessionTexts {
        switch language {
        case .en:
            return EndSessionTexts(
                signedOutTitle: "You are signed out",
                signedOut: "You are signed out of every application that used this sign-in. You can close this window.",
                signedOutNothing: "You are signed out. You can close this window.",
                refusedTitle: "Sign-out request refused",
                refused:
                    "The application sent a sign-out request that could not be verified, so you were not sent back to it. Sign out in the application again, or close this window.",
                unavailableTitle: "Sign-out unavailable",
                unavailable: "Signing out is not possible right now. Please try again in a moment.",
                rateLimitedTitle: "Too many requests",
                rateLimited:
                    "Too many sign-out requests that could not be verified came from your network. Please try again in a minute.",
                detail: "Detail for the application's developers:",
                signingOutTitle: "Signing you out",
                signingOut: "You are being signed out of every application that used this sign-in.",
                continueLabel: "Continue"
            )
        case .fr:
            return EndSessionTexts(
                signedOutTitle: "Vous êtes déconnecté",
                signedOut:
                    "Vous êtes déconnecté de toutes les applications qui utilisaient cette connexion. Vous pouvez fermer cette fenêtre.",
                signedOutNothing: "Vous êtes déconnecté. Vous pouvez fermer cette fenêtre.",
                refusedTitle: "Demande de déconnexion refusée",
                refused:
                    "L'application a envoyé une demande de déconnexion qui n'a pas pu être vérifiée ; vous n'y avez donc pas été renvoyé. Déconnectez-vous à nouveau depuis l'application, ou fermez cette fenêtre.",
                unavailableTitle: "Déconnexion indisponible",
                unavailable: "La déconnexion est impossible pour le moment. Veuillez réessayer dans un instant.",
                rateLimitedTitle: "Trop de demandes",
                rateLimited:
                    "Trop de demandes de déconnexion invalides proviennent de votre réseau. Veuillez réessayer dans une minute.",
                detail: "Détail pour les développeurs de l'application :",
                signingOutTitle: "Déconnexion en cours",
                signingOut:
                    "Vous êtes en cours de déconnexion de toutes les applications qui utilisaient cette connexion.",
                continueLabel: "Continuer"
            )
        }
    }
}
