//! Multilingual phrase lists (English, French, German, Spanish, Portuguese, Dutch) for the
//! content signals. Entries are written folded (see [`crate::text::fold`]): lower case, no
//! accents. Matching is on whole words over folded subject + body text.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A family of phrases that mean the same thing to an analyst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Asking the reader to sign in, verify or re-enter credentials.
    Credential,
    /// Threat of losing an account or access: suspended, locked, deleted, expired.
    AccountThreat,
    /// Time pressure.
    Urgency,
    /// New or changed bank details, IBAN changes.
    PaymentChange,
    /// Gift cards.
    GiftCard,
    /// Invoices, wire transfers, payments due.
    InvoiceWire,
    /// "Call us at" — callback phishing.
    Callback,
    /// Prizes, winnings, rewards, free gifts.
    Prize,
    /// Crypto wallets, seed phrases, airdrops.
    Crypto,
    /// Advance-fee fraud: inheritance, beneficiary, compensation funds.
    AdvanceFee,
    /// Parcel delivery lures.
    Delivery,
    /// Dating and adult content.
    Adult,
    /// BEC openers: "are you available", "I need a favour".
    BecRequest,
    /// Secrecy and confidentiality pressure.
    Secrecy,
    /// Billing and subscription problems.
    Billing,
    /// Loans, credit and money-making offers.
    MoneyOffer,
    /// Miracle health products (weight loss, hair, enhancement).
    HealthProduct,
}

impl Topic {
    pub fn name(self) -> &'static str {
        match self {
            Topic::Credential => "credential request",
            Topic::AccountThreat => "account threat",
            Topic::Urgency => "urgency",
            Topic::PaymentChange => "payment-detail change",
            Topic::GiftCard => "gift cards",
            Topic::InvoiceWire => "invoice or wire transfer",
            Topic::Callback => "call-back request",
            Topic::Prize => "prize or reward",
            Topic::Crypto => "crypto wallet",
            Topic::AdvanceFee => "advance-fee story",
            Topic::Delivery => "parcel delivery",
            Topic::Adult => "dating or adult",
            Topic::BecRequest => "request for a favour",
            Topic::Secrecy => "secrecy",
            Topic::Billing => "billing problem",
            Topic::MoneyOffer => "loan or money offer",
            Topic::HealthProduct => "miracle health product",
        }
    }
}

const CREDENTIAL: &[&str] = &[
    // en
    "verify your account", "verify your identity", "verify your email", "verify your information",
    "confirm your account", "confirm your identity", "confirm your email", "confirm your details",
    "confirm your information", "confirm your password", "update your account", "update your information",
    "update your details", "validate your account", "validate your email", "reactivate your account",
    "re-activate your account", "restore your account", "restore access", "unlock your account",
    "sign in to your account", "log in to your account", "login to your account", "log into your account",
    "sign in to verify", "login to verify", "click here to verify", "click here to confirm",
    "click below to verify", "verify now", "confirm now", "validate now", "verify it's you",
    "verify it is you", "keep your password", "keep same password", "password expires",
    "password will expire", "password has expired", "password expiry", "re-enter your password",
    "reset your password", "unusual sign-in", "unusual signin", "unusual sign in", "unusual login",
    "unusual activity", "suspicious activity", "suspicious login", "suspicious sign-in",
    "someone tried to log in", "someone tried to sign in", "new sign-in",     "mailbox is full", "mailbox full", "storage is full", "storage full", "quota exceeded",
    "mailbox quota", "email quota", "pending messages", "undelivered messages", "incoming messages",
    "shared a document", "shared a file", "view document", "review document", "access document",
    "secure message", "encrypted message", "two-factor authentication",     "account verification", "identity verification", "security verification", "security check",
    "account review", "complete verification", "update your payment", "update payment",
    "billing information", "payment information", "payment details", "recovery phrase",
    // fr
    "verifiez votre compte", "verifier votre compte", "confirmez votre compte", "confirmer votre compte",
    "confirmez votre identite", "mettre a jour vos informations", "mettez a jour", "activez votre compte",
    "connectez-vous", "identifiez-vous", "votre mot de passe", "mot de passe expire",
    "activite inhabituelle", "connexion inhabituelle", "verification de securite", "votre boite mail",
    // de
    "bestatigen sie ihr konto", "bestatigen sie ihre", "verifizieren sie ihr konto", "verifizieren sie",
    "aktualisieren sie ihre", "melden sie sich an", "ihr passwort", "passwort lauft ab",
    "ungewohnliche aktivitat", "ungewohnliche anmeldung", "verdachtige aktivitat", "speicher ist voll",
    "speicherplatz", "konto verifizieren", "daten bestatigen", "sicherheitsuberprufung",
    // es
    "verifique su cuenta", "verifica tu cuenta", "confirme su cuenta", "confirma tu cuenta",
    "actualice sus datos", "actualiza tus datos", "inicie sesion", "inicia sesion", "su contrasena",
    "tu contrasena", "actividad inusual", "actividad sospechosa", "verificar su identidad",
    "almacenamiento lleno", "tu almacenamiento", "actualizar tus datos",
    // pt
    "verifique sua conta", "confirme sua conta", "confirme seus dados", "atualize seus dados",
    "atualizar seus dados", "atualizacao cadastral", "atualize seu cadastro", "acesse sua conta",
    "sua senha", "senha expira", "atividade incomum", "atividade suspeita", "acesso suspeito",
    "novo acesso", "desbloqueie sua conta", "desbloquear sua conta", "regularize",
    // nl
    "verifieer uw account", "verifieer je account", "bevestig uw account", "bevestig je account",
    "bevestig uw gegevens", "werk uw gegevens bij", "log in op", "uw wachtwoord",
    "je wachtwoord", "ongebruikelijke activiteit", "verdachte activiteit", "uw mailbox is vol",
];

const ACCOUNT_THREAT: &[&str] = &[
    "account suspended", "account has been suspended", "account will be suspended", "suspended",
    "account locked", "account has been locked", "account is locked", "temporarily locked",
    "temporarily suspended", "account disabled", "account will be disabled", "will be deactivated",
    "will be deleted", "will be closed", "account closure", "permanently deleted", "permanently disabled",
    "access has been limited", "account limited", "restriction on your account",
    "on hold", "has expired", "will expire", "expires today", "lose access", "lose all",
    "be terminated", "failed the merge",     "compte suspendu", "compte bloque", "sera supprime", "sera desactive", "acces limite", "a expire",
    "konto gesperrt", "gesperrt", "wird geloscht", "eingeschrankt", "deaktiviert", "abgelaufen",
    "cuenta suspendida", "cuenta bloqueada", "sera eliminada", "sera suspendida", "ha expirado",
    "seran eliminados", "conta bloqueada", "conta suspensa", "sera bloqueada", "bloqueio",
    "bloqueado", "bloqueada", "expiram", "expirar", "expirou", "account geblokkeerd", "wordt verwijderd",
    "verlopen", "opgeschort",
];

const URGENCY: &[&str] = &[
    "urgent", "urgently", "immediately", "immediate action", "action required", "act now",
    "respond now", "within 24 hours", "within 48 hours", "within 24hrs", "in 24 hours", "in 48 hours",
    "within 12 hours", "final notice", "final warning", "last warning", "last chance", "last reminder",
    "expires today", "today only", "as soon as possible", "asap", "right away", "don't delay",
    "do not ignore", "time sensitive", "time-sensitive", "hurry", "limited time",
    "only a few hours", "final attempt", "3rd attempt", "last attempt", "before it's too late",
    "urgence", "immediatement", "dernier avis", "derniere chance", "sous 24 heures", "depechez-vous",
    "dringend", "sofort", "umgehend", "letzte mahnung", "letzte chance", "innerhalb von 24 stunden",
    "nur noch", "urgente", "inmediatamente", "ultimo aviso", "ultima oportunidad", "en 24 horas",
    "aviso final", "intento final", "imediatamente", "ultima chance", "ultimo aviso", "em 24 horas",
    "antes que expirem", "poucas horas", "dringend", "onmiddellijk", "laatste kans",
    "laatste herinnering", "binnen 24 uur",
];

const PAYMENT_CHANGE: &[&str] = &[
    "new bank details", "new banking details", "updated bank details", "change of bank details",
    "change of bank account", "changed our bank", "changed bank account", "new bank account",
    "new account details", "updated banking information", "update our bank", "update the bank",
    "our bank details have changed", "bank account has changed", "bank details have changed",
    "change in bank details", "new remittance details", "remit payment to", "new iban",
    "nouvelles coordonnees bancaires", "changement de coordonnees bancaires", "nouveau rib",
    "nouvel iban", "changement de rib", "neue bankverbindung", "bankverbindung geandert",
    "neue kontodaten", "anderung der bankverbindung", "nuevos datos bancarios", "nueva cuenta bancaria",
    "cambio de cuenta bancaria", "novos dados bancarios", "nova conta bancaria", "alteracao de conta",
    "nieuwe bankgegevens", "gewijzigde bankgegevens", "nieuw rekeningnummer",
];

const GIFT_CARD: &[&str] = &[
    "gift card", "gift cards", "giftcard", "itunes card", "apple card", "google play card",
    "steam card", "amazon card", "scratch the card", "send me the codes", "pictures of the cards",
    "carte cadeau", "cartes cadeaux", "geschenkkarte", "gutscheinkarte", "tarjeta de regalo",
    "tarjetas de regalo", "cartao presente", "cartao-presente", "cadeaukaart", "cadeaubon",
];

const INVOICE_WIRE: &[&str] = &[
    "wire transfer", "bank transfer", "invoice attached", "attached invoice",
    "overdue invoice", "outstanding invoice", "unpaid invoice", "payment overdue", "past due",
    "remittance", "proof of payment", "payment advice", "process a payment", "make a payment",
    "transfer the funds", "wire the funds", "process the wire", "purchase order",
    "virement", "facture impayee", "facture en attente", "paiement en attente", "ueberweisung",
    "uberweisung", "rechnung", "zahlungserinnerung", "transferencia bancaria", "factura pendiente",
    "transferencia", "boleto", "fatura", "pagamento pendente", "comprovante", "overschrijving",
    "openstaande factuur", "betalingsherinnering",
];

const CALLBACK: &[&str] = &[
    "call us", "call our", "call the number", "call this number", "call immediately",
    "call our support", "contact our support", "helpline", "toll free", "toll-free",
    "if you did not authorize", "if you didn't authorize", "if you did not make this",
    "if you didn't make this", "not authorized by you", "to cancel this", "to cancel the order",
    "cancel your subscription", "auto-renewal", "auto renewal", "has been renewed",     "appelez", "appelez-nous", "rufen sie uns an", "llame al", "llamenos", "ligue para",
    "bel ons",
];

const PRIZE: &[&str] = &[
    "you have won", "you've won", "you won", "winner", "congratulations", "congrats",
    "claim your", "claim now", "prize", "reward", "rewards", "free gift", "cashback", "cash back",
    "you have been selected", "you've been selected", "selected to receive", "exclusive offer",
    "lottery", "jackpot", "sweepstakes", "giveaway", "bonus", "voucher", "coupon",
    "100% free", "mystery box", "gewonnen", "gewinnen", "gewinn", "gewinner", "gluckwunsch",
    "herzlichen gluckwunsch", "gutschein", "belohnung", "kostenlos", "gratis", "felicitations",
    "vous avez gagne", "gagner", "gagnant", "cadeau", "bon d'achat", "recompense", "gratuit",
    "felicidades", "ha ganado", "has ganado", "ganador", "premio", "regalo", "recompensa",
    "parabens", "voce ganhou", "ganhou", "premio", "resgate", "resgatar", "pontos", "recompensas",
    "gefeliciteerd", "gewonnen", "prijs", "beloning", "winnaar",
];

const CRYPTO: &[&str] = &[
    "wallet", "seed phrase", "recovery phrase", "secret phrase", "private key", "airdrop",
    "bitcoin", "btc", "usdt", "ethereum", "cryptocurrency", "metamask",
    "trust wallet", "coinbase", "binance",
    "portefeuille", "kryptowahrung", "criptomoneda", "carteira", "criptomoeda",
];

const ADVANCE_FEE: &[&str] = &[
    "next of kin", "beneficiary", "inheritance", "late husband", "my late", "deceased",
    "compensation fund", "barrister", "million dollars", "million usd", "usd$", "us$",
    "dear friend", "dear beloved", "i am contacting you", "business proposal", "consignment",
    "diplomat", "foreign partner", "fund transfer", "transfer of the sum", "united nations",
    "atm card", "the sum of", "percent of the total", "investment proposal", 
    "widow", "orphanage", "peace be with you", "god bless", "trust you",
];

const DELIVERY: &[&str] = &[
    "parcel", "package", "delivery attempt", "delivery failed", "failed delivery", "shipment",
    "tracking number", "customs fee", "customs duty", "redelivery", "reschedule delivery",
    "held at", "awaiting delivery", "your order", "colis", "livraison", "paket", "sendung",
    "zustellung", "zollgebuhr", "paquete", "envio", "entrega", "encomenda", "pacote", "pakket",
    "bezorging", "zending",
];

const ADULT: &[&str] = &[
    "dating", "singles", "sex", "sexy", "hot women", "lonely", "hookup", "meet women",
    "looking for a man", "looking for a lover", "lover", "intim", "madchen", "frauen",
    "seks", "rencontre", "citas", "encontros", "naked", "nude", "erotic", "xxx",
    "enhancement", "viagra", "unmarried", "beautiful woman", "beautiful women", "beautiful girl",
    "beautiful female", "single women", "single woman", "lonely woman", "meet singles",
    "find love", "your match", "mature women", "vrouwen", "meisje", "liefde", "singles bij",
    "mujeres", "solteras", "mulheres", "solteiras", "femmes", "celibataires", "reife frauen",
    "ukrainian women", "ukrainian girl", "russian women", "romance",
];

const BEC_REQUEST: &[&str] = &[
    "are you available", "are you at your desk", "are you in the office", "quick favor",
    "quick favour", "a favor", "a favour", "i need you to", "i need your help", "can you handle",
    "can i trust you", "kindly", "let me know when you are free", "reply with your",
    "send me your", "your mobile number", "your cell number", "your whatsapp", "text me",
    "etes-vous disponible", "es-tu disponible", "sind sie verfugbar", "bist du da",
    "estas disponible", "esta disponible", "voce esta disponivel", "esta disponivel",
    "ben je beschikbaar", "bent u beschikbaar",
];

const SECRECY: &[&str] = &[
    "confidential", "strictly confidential", "keep this between us", "don't tell",
    "do not discuss", "discreet", "discretion", "top secret", "confidentiel", "vertraulich",
    "confidencial", "vertrouwelijk",
];

const BILLING: &[&str] = &[
    "payment failed", "payment declined", "payment was declined", "card was declined",
    "unable to process your payment", "billing problem", "billing issue", "invalid billing",
    "subscription has expired", "subscription expired", "membership has expired",
    "membership expired", "renew your subscription", "update your billing", "outstanding balance",
    "paiement refuse", "abonnement expire", "zahlung fehlgeschlagen", "abonnement abgelaufen",
    "mitgliedschaft ist abgelaufen", "pago rechazado", "suscripcion ha expirado",
    "pagamento recusado", "assinatura expirou", "betaling mislukt", "abonnement verlopen",
];

const MONEY_OFFER: &[&str] = &[
    "loan", "low interest", "interest rate", "financing", "credit score", "bad credit",
    "investment opportunity", "guaranteed return", "guaranteed income", "earn money", "make money",
    "passive income", "work from home", "extra income", "cloud mining", "double your",
    "emprestimo", "emprestimos", "financiamento", "financiamentos", "taxa de juros", "credito",
    "prestamo", "prestamos", "financiacion", "kredit", "darlehen", "geld verdienen", "pret personnel",
    "gagner de l'argent", "lening", "geld verdienen", "renda extra", "ganhe dinheiro",
];

const HEALTH_PRODUCT: &[&str] = &[
    "weight loss", "lose weight", "diet", "keto", "gummies", "fat burner", "hair growth",
    "hair loss", "male enhancement", "erectile", "blood sugar", "joint pain", "wrinkles",
    "abnehmen", "gewichtsreduktion", "wunschgewicht", "haarwachstum", "schlank", "emagrecer",
    "perder peso", "maigrir", "perte de poids", "adelgazar", "afvallen", "cbd",
];

struct Lexicon {
    ac: AhoCorasick,
    topics: Vec<Topic>,
    phrases: Vec<&'static str>,
}

static LEXICON: LazyLock<Option<Lexicon>> = LazyLock::new(|| {
    let groups: &[(Topic, &[&'static str])] = &[
        (Topic::Credential, CREDENTIAL),
        (Topic::AccountThreat, ACCOUNT_THREAT),
        (Topic::Urgency, URGENCY),
        (Topic::PaymentChange, PAYMENT_CHANGE),
        (Topic::GiftCard, GIFT_CARD),
        (Topic::InvoiceWire, INVOICE_WIRE),
        (Topic::Callback, CALLBACK),
        (Topic::Prize, PRIZE),
        (Topic::Crypto, CRYPTO),
        (Topic::AdvanceFee, ADVANCE_FEE),
        (Topic::Delivery, DELIVERY),
        (Topic::Adult, ADULT),
        (Topic::BecRequest, BEC_REQUEST),
        (Topic::Secrecy, SECRECY),
        (Topic::Billing, BILLING),
        (Topic::MoneyOffer, MONEY_OFFER),
        (Topic::HealthProduct, HEALTH_PRODUCT),
    ];
    let mut topics = Vec::new();
    let mut phrases = Vec::new();
    for (t, list) in groups {
        for p in *list {
            topics.push(*t);
            phrases.push(*p);
        }
    }
    let ac = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .build(&phrases)
        .ok()?;
    Some(Lexicon { ac, topics, phrases })
});

/// Phrases found per topic, distinct, in order of first appearance.
#[derive(Debug, Default, Clone)]
pub struct TopicHits {
    pub hits: Vec<(Topic, Vec<&'static str>)>,
}

impl TopicHits {
    pub fn get(&self, t: Topic) -> &[&'static str] {
        self.hits
            .iter()
            .find(|(x, _)| *x == t)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }
    pub fn count(&self, t: Topic) -> usize {
        self.get(t).len()
    }
}

/// Finds every lexicon phrase in `folded` text on whole-word boundaries.
pub fn scan(folded: &str) -> TopicHits {
    let mut out = TopicHits::default();
    let Some(lex) = LEXICON.as_ref() else {
        return out;
    };
    let b = folded.as_bytes();
    for m in lex.ac.find_overlapping_iter(folded) {
        let (s, e) = (m.start(), m.end());
        let before_ok = s == 0 || !b[s - 1].is_ascii_alphanumeric();
        let after_ok = e >= b.len() || !b[e].is_ascii_alphanumeric();
        if !(before_ok && after_ok) {
            continue;
        }
        let i = m.pattern().as_usize();
        let (t, p) = (lex.topics[i], lex.phrases[i]);
        match out.hits.iter_mut().find(|(x, _)| *x == t) {
            Some((_, v)) => {
                // "loan" and "loans" are one idea: plurals do not count twice.
                let same = |q: &&str| *q == p || q.strip_suffix('s') == Some(p) || p.strip_suffix('s') == Some(*q);
                if !v.iter().any(same) && v.len() < 16 {
                    v.push(p)
                }
            }
            None => out.hits.push((t, vec![p])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fold;

    #[test]
    fn finds_phrases_in_six_languages() {
        for (text, topic) in [
            ("Please verify your account today", Topic::Credential),
            ("Vérifiez votre compte", Topic::Credential),
            ("Bitte bestätigen Sie Ihre Daten", Topic::Credential),
            ("Verifique su cuenta", Topic::Credential),
            ("Atualize seus dados", Topic::Credential),
            ("Verifieer uw account", Topic::Credential),
            ("Our bank details have changed", Topic::PaymentChange),
            ("Neue Bankverbindung ab sofort", Topic::PaymentChange),
            ("buy 5 gift cards", Topic::GiftCard),
        ] {
            assert!(scan(&fold(text)).count(topic) > 0, "{text}");
        }
    }

    #[test]
    fn respects_word_boundaries() {
        assert_eq!(scan("middlesex county").count(Topic::Adult), 0);
        assert_eq!(scan("the btcfoo thing").count(Topic::Crypto), 0);
    }
}
