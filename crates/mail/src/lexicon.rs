//! Multilingual phrase lists (English, French, German, Spanish, Portuguese, Dutch) for the
//! content signals. Entries are written folded (see [`crate::text::fold`]): lower case, no
//! accents. Matching is on whole words over folded subject + body text.

use std::sync::LazyLock;

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
    /// Court, police, bailiff or debt-collection threats ("court summons", "intimação").
    Legal,
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
            Topic::Legal => "legal threat",
        }
    }
}

const CREDENTIAL: &[&str] = &[
    // en
    "verify your account",
    "verify your identity",
    "verify your email",
    "verify your information",
    "confirm your account",
    "confirm your identity",
    "confirm your email",
    "confirm your details",
    "confirm your information",
    "confirm your password",
    "update your account",
    "update your information",
    "update your details",
    "validate your account",
    "validate your email",
    "reactivate your account",
    "re-activate your account",
    "restore your account",
    "restore access",
    "unlock your account",
    "sign in to your account",
    "log in to your account",
    "login to your account",
    "log into your account",
    "sign in to verify",
    "login to verify",
    "click here to verify",
    "click here to confirm",
    "click below to verify",
    "verify now",
    "confirm now",
    "validate now",
    "verify it's you",
    "verify it is you",
    "keep your password",
    "keep same password",
    "password expires",
    "password will expire",
    "password has expired",
    "password expiry",
    "re-enter your password",
    "reset your password",
    "unusual sign-in",
    "unusual signin",
    "unusual sign in",
    "unusual login",
    "unusual activity",
    "suspicious activity",
    "suspicious login",
    "suspicious sign-in",
    "someone tried to log in",
    "someone tried to sign in",
    "new sign-in",
    "mailbox is full",
    "mailbox full",
    "storage is full",
    "storage full",
    "quota exceeded",
    "mailbox quota",
    "email quota",
    "pending messages",
    "undelivered messages",
    "incoming messages",
    "shared a document",
    "shared a file",
    "view document",
    "review document",
    "access document",
    "secure message",
    "encrypted message",
    "two-factor authentication",
    "account verification",
    "identity verification",
    "security verification",
    "security check",
    "account review",
    "complete verification",
    "update your payment",
    "update payment",
    "billing information",
    "payment information",
    "payment details",
    "recovery phrase",
    // fr
    "verifiez votre compte",
    "verifier votre compte",
    "confirmez votre compte",
    "confirmer votre compte",
    "confirmez votre identite",
    "mettre a jour vos informations",
    "mettez a jour",
    "activez votre compte",
    "connectez-vous",
    "identifiez-vous",
    "votre mot de passe",
    "mot de passe expire",
    "activite inhabituelle",
    "connexion inhabituelle",
    "verification de securite",
    "votre boite mail",
    // de
    "bestatigen sie ihr konto",
    "bestatigen sie ihre",
    "verifizieren sie ihr konto",
    "verifizieren sie",
    "aktualisieren sie ihre",
    "melden sie sich an",
    "ihr passwort",
    "passwort lauft ab",
    "ungewohnliche aktivitat",
    "ungewohnliche anmeldung",
    "verdachtige aktivitat",
    "speicher ist voll",
    "speicherplatz",
    "konto verifizieren",
    "daten bestatigen",
    "sicherheitsuberprufung",
    // es
    "verifique su cuenta",
    "verifica tu cuenta",
    "confirme su cuenta",
    "confirma tu cuenta",
    "actualice sus datos",
    "actualiza tus datos",
    "inicie sesion",
    "inicia sesion",
    "su contrasena",
    "tu contrasena",
    "actividad inusual",
    "actividad sospechosa",
    "verificar su identidad",
    "almacenamiento lleno",
    "tu almacenamiento",
    "actualizar tus datos",
    // pt
    "verifique sua conta",
    "confirme sua conta",
    "confirme seus dados",
    "atualize seus dados",
    "atualizar seus dados",
    "atualizacao cadastral",
    "atualize seu cadastro",
    "acesse sua conta",
    "sua senha",
    "senha expira",
    "atividade incomum",
    "atividade suspeita",
    "acesso suspeito",
    "novo acesso",
    "desbloqueie sua conta",
    "desbloquear sua conta",
    "regularize",
    // nl
    "verifieer uw account",
    "verifieer je account",
    "bevestig uw account",
    "bevestig je account",
    "bevestig uw gegevens",
    "werk uw gegevens bij",
    "log in op",
    "uw wachtwoord",
    "je wachtwoord",
    "ongebruikelijke activiteit",
    "verdachte activiteit",
    "uw mailbox is vol",
];

const ACCOUNT_THREAT: &[&str] = &[
    "account suspended",
    "account has been suspended",
    "account will be suspended",
    "suspended",
    "account locked",
    "account has been locked",
    "account is locked",
    "temporarily locked",
    "temporarily suspended",
    "account disabled",
    "account will be disabled",
    "will be deactivated",
    "will be deleted",
    "will be closed",
    "account closure",
    "permanently deleted",
    "permanently disabled",
    "access has been limited",
    "account limited",
    "restriction on your account",
    "on hold",
    "has expired",
    "will expire",
    "expires today",
    "lose access",
    "lose all",
    "be terminated",
    "failed the merge",
    "compte suspendu",
    "compte bloque",
    "sera supprime",
    "sera desactive",
    "acces limite",
    "a expire",
    "konto gesperrt",
    "gesperrt",
    "wird geloscht",
    "eingeschrankt",
    "deaktiviert",
    "abgelaufen",
    "cuenta suspendida",
    "cuenta bloqueada",
    "sera eliminada",
    "sera suspendida",
    "ha expirado",
    "seran eliminados",
    "conta bloqueada",
    "conta suspensa",
    "sera bloqueada",
    "bloqueio",
    "bloqueado",
    "bloqueada",
    "expiram",
    "expirar",
    "expirou",
    "account geblokkeerd",
    "wordt verwijderd",
    "verlopen",
    "opgeschort",
];

const URGENCY: &[&str] = &[
    "urgent",
    "urgently",
    "immediately",
    "immediate action",
    "action required",
    "act now",
    "respond now",
    "within 24 hours",
    "within 48 hours",
    "within 24hrs",
    "in 24 hours",
    "in 48 hours",
    "within 12 hours",
    "final notice",
    "final warning",
    "last warning",
    "last chance",
    "last reminder",
    "expires today",
    "today only",
    "as soon as possible",
    "asap",
    "right away",
    "don't delay",
    "do not ignore",
    "time sensitive",
    "time-sensitive",
    "hurry",
    "limited time",
    "only a few hours",
    "final attempt",
    "3rd attempt",
    "last attempt",
    "before it's too late",
    "urgence",
    "immediatement",
    "dernier avis",
    "derniere chance",
    "sous 24 heures",
    "depechez-vous",
    "dringend",
    "sofort",
    "umgehend",
    "letzte mahnung",
    "letzte chance",
    "innerhalb von 24 stunden",
    "nur noch",
    "urgente",
    "inmediatamente",
    "ultimo aviso",
    "ultima oportunidad",
    "en 24 horas",
    "aviso final",
    "intento final",
    "imediatamente",
    "ultima chance",
    "ultimo aviso",
    "em 24 horas",
    "antes que expirem",
    "poucas horas",
    "dringend",
    "onmiddellijk",
    "laatste kans",
    "laatste herinnering",
    "binnen 24 uur",
];

const PAYMENT_CHANGE: &[&str] = &[
    "new bank details",
    "new banking details",
    "updated bank details",
    "change of bank details",
    "change of bank account",
    "changed our bank",
    "changed bank account",
    "new bank account",
    "new account details",
    "updated banking information",
    "update our bank",
    "update the bank",
    "our bank details have changed",
    "bank account has changed",
    "bank details have changed",
    "change in bank details",
    "new remittance details",
    "remit payment to",
    "new iban",
    "nouvelles coordonnees bancaires",
    "changement de coordonnees bancaires",
    "nouveau rib",
    "nouvel iban",
    "changement de rib",
    "neue bankverbindung",
    "bankverbindung geandert",
    "neue kontodaten",
    "anderung der bankverbindung",
    "nuevos datos bancarios",
    "nueva cuenta bancaria",
    "cambio de cuenta bancaria",
    "novos dados bancarios",
    "nova conta bancaria",
    "alteracao de conta",
    "nieuwe bankgegevens",
    "gewijzigde bankgegevens",
    "nieuw rekeningnummer",
];

const GIFT_CARD: &[&str] = &[
    "gift card",
    "gift cards",
    "giftcard",
    "itunes card",
    "apple card",
    "google play card",
    "steam card",
    "amazon card",
    "scratch the card",
    "send me the codes",
    "pictures of the cards",
    "carte cadeau",
    "cartes cadeaux",
    "geschenkkarte",
    "gutscheinkarte",
    "tarjeta de regalo",
    "tarjetas de regalo",
    "cartao presente",
    "cartao-presente",
    "cadeaukaart",
    "cadeaubon",
];

const INVOICE_WIRE: &[&str] = &[
    "wire transfer",
    "bank transfer",
    "invoice attached",
    "attached invoice",
    "overdue invoice",
    "outstanding invoice",
    "unpaid invoice",
    "payment overdue",
    "past due",
    "remittance",
    "proof of payment",
    "payment advice",
    "process a payment",
    "make a payment",
    "transfer the funds",
    "wire the funds",
    "process the wire",
    "purchase order",
    "virement",
    "facture impayee",
    "facture en attente",
    "paiement en attente",
    "ueberweisung",
    "uberweisung",
    "rechnung",
    "zahlungserinnerung",
    "transferencia bancaria",
    "factura pendiente",
    "transferencia",
    "boleto",
    "fatura",
    "pagamento pendente",
    "comprovante",
    "overschrijving",
    "openstaande factuur",
    "betalingsherinnering",
];

const CALLBACK: &[&str] = &[
    "call us",
    "call our",
    "call the number",
    "call this number",
    "call immediately",
    "call our support",
    "contact our support",
    "helpline",
    "toll free",
    "toll-free",
    "if you did not authorize",
    "if you didn't authorize",
    "if you did not make this",
    "if you didn't make this",
    "not authorized by you",
    "to cancel this",
    "to cancel the order",
    "cancel your subscription",
    "auto-renewal",
    "auto renewal",
    "has been renewed",
    "appelez",
    "appelez-nous",
    "rufen sie uns an",
    "llame al",
    "llamenos",
    "ligue para",
    "bel ons",
];

const PRIZE: &[&str] = &[
    "you have won",
    "you've won",
    "you won",
    "winner",
    "congratulations",
    "congrats",
    "claim your",
    "claim now",
    "prize",
    "reward",
    "rewards",
    "free gift",
    "cashback",
    "cash back",
    "you have been selected",
    "you've been selected",
    "selected to receive",
    "exclusive offer",
    "lottery",
    "jackpot",
    "sweepstakes",
    "giveaway",
    "bonus",
    "voucher",
    "coupon",
    "100% free",
    "mystery box",
    "gewonnen",
    "gewinnen",
    "gewinn",
    "gewinner",
    "gluckwunsch",
    "herzlichen gluckwunsch",
    "gutschein",
    "belohnung",
    "kostenlos",
    "gratis",
    "felicitations",
    "vous avez gagne",
    "gagner",
    "gagnant",
    "cadeau",
    "bon d'achat",
    "recompense",
    "gratuit",
    "felicidades",
    "ha ganado",
    "has ganado",
    "ganador",
    "premio",
    "regalo",
    "recompensa",
    "parabens",
    "voce ganhou",
    "ganhou",
    "premio",
    "resgate",
    "resgatar",
    "pontos",
    "recompensas",
    "gefeliciteerd",
    "gewonnen",
    "prijs",
    "beloning",
    "winnaar",
];

const CRYPTO: &[&str] = &[
    "wallet",
    "seed phrase",
    "recovery phrase",
    "secret phrase",
    "private key",
    "airdrop",
    "bitcoin",
    "btc",
    "usdt",
    "ethereum",
    "cryptocurrency",
    "metamask",
    "trust wallet",
    "coinbase",
    "binance",
    "portefeuille",
    "kryptowahrung",
    "criptomoneda",
    "carteira",
    "criptomoeda",
];

const ADVANCE_FEE: &[&str] = &[
    "next of kin",
    "beneficiary",
    "inheritance",
    "late husband",
    "my late",
    "deceased",
    "compensation fund",
    "barrister",
    "million dollars",
    "million usd",
    "usd$",
    "us$",
    "dear friend",
    "dear beloved",
    "i am contacting you",
    "business proposal",
    "consignment",
    "diplomat",
    "foreign partner",
    "fund transfer",
    "transfer of the sum",
    "united nations",
    "atm card",
    "the sum of",
    "percent of the total",
    "investment proposal",
    "widow",
    "orphanage",
    "peace be with you",
    "god bless",
    "trust you",
    "mutual benefit",
    "unclaimed",
    "dormant account",
    // fr
    "beneficiaire",
    "defunt",
    "feu mon mari",
    "proposition d'affaires",
    "veuve",
    "orphelinat",
    "cher ami",
    "benefice mutuel",
    "compte dormant",
    "millions de dollars",
    "la somme de",
    // de
    "erbschaft",
    "begunstigter",
    "verstorbener",
    "geschaftsvorschlag",
    "witwe",
    "waisenhaus",
    "lieber freund",
    "gegenseitigen nutzen",
    "millionen dollar",
    "die summe von",
    // es and pt
    "herencia",
    "heranca",
    "beneficiario",
    "fallecido",
    "difunto",
    "falecido",
    "propuesta de negocio",
    "proposta de negocio",
    "viuda",
    "viuva",
    "orfanato",
    "querido amigo",
    "beneficio mutuo",
    "su cooperacion",
    "sua cooperacao",
    "millones de dolares",
    "milhoes de dolares",
    "la suma de",
    "a soma de",
    // nl
    "erfenis",
    "begunstigde",
    "mijn overleden",
    "zakelijk voorstel",
    "weduwe",
    "weeshuis",
    "beste vriend",
    "wederzijds voordeel",
    "miljoen dollar",
    "de som van",
];

const DELIVERY: &[&str] = &[
    "parcel",
    "package",
    "delivery attempt",
    "delivery failed",
    "failed delivery",
    "shipment",
    "tracking number",
    "customs fee",
    "customs duty",
    "redelivery",
    "reschedule delivery",
    "held at",
    "awaiting delivery",
    "your order",
    "colis",
    "livraison",
    "paket",
    "sendung",
    "zustellung",
    "zollgebuhr",
    "paquete",
    "envio",
    "entrega",
    "encomenda",
    "pacote",
    "pakket",
    "bezorging",
    "zending",
];

const ADULT: &[&str] = &[
    "explicit content",
    "explicit images",
    "contenu explicite",
    "coquine",
    "coquines",
    "sexkontakte",
    "contenido explicito",
    "conteudo explicito",
    "expliciete",
    "18 jaar of ouder",
    "sexdate",
    "porn",
    "porno",
    "horny",
    "anal",
    "meet men",
    "for sex",
    "hot girls",
    "adult dating",
    "plan cul",
    "seitensprung",
    "sexo",
    "sexo casual",
    "spannende afspraak",
    "afspraakje",
    "vaste relatie",
    "vreemdgaan",
    "geile",
    "dating",
    "singles",
    "sex",
    "sexy",
    "hot women",
    "lonely",
    "hookup",
    "meet women",
    "looking for a man",
    "looking for a lover",
    "lover",
    "intim",
    "madchen",
    "frauen",
    "seks",
    "rencontre",
    "citas",
    "encontros",
    "naked",
    "nude",
    "erotic",
    "xxx",
    "enhancement",
    "viagra",
    "unmarried",
    "beautiful woman",
    "beautiful women",
    "beautiful girl",
    "beautiful female",
    "single women",
    "single woman",
    "lonely woman",
    "meet singles",
    "find love",
    "your match",
    "mature women",
    "vrouwen",
    "meisje",
    "liefde",
    "singles bij",
    "mujeres",
    "solteras",
    "mulheres",
    "solteiras",
    "femmes",
    "celibataires",
    "reife frauen",
    "ukrainian women",
    "ukrainian girl",
    "russian women",
    "romance",
];

const BEC_REQUEST: &[&str] = &[
    "are you available",
    "are you at your desk",
    "are you in the office",
    "quick favor",
    "quick favour",
    "a favor",
    "a favour",
    "i need you to",
    "i need your help",
    "can you handle",
    "can i trust you",
    "kindly",
    "let me know when you are free",
    "reply with your",
    "send me your",
    "your mobile number",
    "your cell number",
    "your whatsapp",
    "text me",
    "etes-vous disponible",
    "es-tu disponible",
    "sind sie verfugbar",
    "bist du da",
    "estas disponible",
    "esta disponible",
    "voce esta disponivel",
    "esta disponivel",
    "ben je beschikbaar",
    "bent u beschikbaar",
];

const SECRECY: &[&str] = &[
    "confidential",
    "strictly confidential",
    "keep this between us",
    "don't tell",
    "do not discuss",
    "discreet",
    "discretion",
    "top secret",
    "confidentiel",
    "vertraulich",
    "confidencial",
    "vertrouwelijk",
];

const BILLING: &[&str] = &[
    "payment failed",
    "payment declined",
    "payment was declined",
    "card was declined",
    "unable to process your payment",
    "billing problem",
    "billing issue",
    "invalid billing",
    "subscription has expired",
    "subscription expired",
    "membership has expired",
    "membership expired",
    "renew your subscription",
    "update your billing",
    "outstanding balance",
    "paiement refuse",
    "abonnement expire",
    "zahlung fehlgeschlagen",
    "abonnement abgelaufen",
    "mitgliedschaft ist abgelaufen",
    "pago rechazado",
    "suscripcion ha expirado",
    "pagamento recusado",
    "assinatura expirou",
    "betaling mislukt",
    "abonnement verlopen",
];

const LEGAL: &[&str] = &[
    // en
    "court order",
    "court summons",
    "summons",
    "subpoena",
    "lawsuit",
    "legal action",
    "legal proceedings",
    "arrest warrant",
    "debt collection",
    "collection agency",
    "bailiff",
    // fr
    "convocation",
    "citation a comparaitre",
    "tribunal",
    "huissier",
    "poursuites judiciaires",
    "mise en demeure",
    "proces-verbal",
    // de
    "gericht",
    "mahnbescheid",
    "vorladung",
    "inkasso",
    "gerichtsvollzieher",
    "rechtliche schritte",
    "strafanzeige",
    "haftbefehl",
    // es
    "citacion",
    "citacion judicial",
    "notificacion judicial",
    "demanda judicial",
    "juzgado",
    "orden judicial",
    "proceso judicial",
    "embargo",
    // pt
    "intimacao",
    "processo judicial",
    "mandado",
    "citacao",
    "oficial de justica",
    "notificacao judicial",
    "acao judicial",
    // nl
    "dagvaarding",
    "deurwaarder",
    "incasso",
    "rechtbank",
    "gerechtelijke",
    "beslaglegging",
];

const MONEY_OFFER: &[&str] = &[
    "loan",
    "low interest",
    "interest rate",
    "financing",
    "credit score",
    "bad credit",
    "investment opportunity",
    "guaranteed return",
    "guaranteed income",
    "earn money",
    "make money",
    "passive income",
    "work from home",
    "extra income",
    "cloud mining",
    "double your",
    "emprestimo",
    "emprestimos",
    "financiamento",
    "financiamentos",
    "taxa de juros",
    "credito",
    "prestamo",
    "prestamos",
    "financiacion",
    "kredit",
    "darlehen",
    "geld verdienen",
    "pret personnel",
    "gagner de l'argent",
    "lening",
    "geld verdienen",
    "renda extra",
    "ganhe dinheiro",
];

const HEALTH_PRODUCT: &[&str] = &[
    "weight loss",
    "lose weight",
    "diet",
    "keto",
    "gummies",
    "fat burner",
    "hair growth",
    "hair loss",
    "male enhancement",
    "erectile",
    "blood sugar",
    "joint pain",
    "wrinkles",
    "abnehmen",
    "gewichtsreduktion",
    "wunschgewicht",
    "haarwachstum",
    "schlank",
    "emagrecer",
    "perder peso",
    "maigrir",
    "perte de poids",
    "adelgazar",
    "afvallen",
    "cbd",
];

/// The phrases, found by where they start. Every phrase starts with an ASCII letter or digit
/// and must start on a word boundary, so only the positions after a non-alphanumeric byte
/// whose byte can begin a phrase are tried: their first four bytes are looked up in a small
/// open-addressing table (it stays in the L1 cache, where an Aho–Corasick DFA over the 850
/// phrases spills out of L2 and cost ~3.5 ns per byte of text), and the few phrases under
/// that key are compared in full. Phrases shorter than four bytes are compared at every such
/// position whose byte starts one of them.
struct Lexicon {
    topics: Vec<Topic>,
    phrases: Vec<&'static str>,
    /// Bytes a phrase can start with (`1`: some phrase of four bytes or more, `2`: a shorter
    /// one).
    starts: [u8; 256],
    /// `(key, first, end)`: the phrases of four bytes or more whose first four bytes are
    /// `key` are `by_key[first..end]`; key `0` marks an empty slot (no phrase starts with a
    /// NUL byte).
    slots: Vec<(u32, u16, u16)>,
    by_key: Vec<u16>,
    short: Vec<u16>,
    /// Each phrase's first eight bytes (see [`head8`]) and the mask of those it has.
    heads: Vec<(u64, u64)>,
}

/// Bit `i` set where `chunk[i]` (at most 64 bytes) is an ASCII letter or digit.
#[inline]
fn alnum_mask(chunk: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if let Some(full) = chunk.first_chunk::<64>() {
        // SAFETY: SSE2 is part of every x86-64 CPU.
        return unsafe { sse2::alnum_mask(full) };
    }
    alnum_mask_portable(chunk)
}

fn alnum_mask_portable(chunk: &[u8]) -> u64 {
    let mut alnum = 0u64;
    for (i, b) in chunk.iter().enumerate() {
        alnum |= (b.is_ascii_alphanumeric() as u64) << i;
    }
    alnum
}

/// [`alnum_mask`] sixteen bytes at a time: a byte is a letter when, with bit 5 set (lower
/// case), it lies in `a..=z`, and a digit when it lies in `0..=9`; each range test is one
/// signed comparison after shifting the range to the bottom of the signed bytes.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    /// `lo..=hi` shifted onto `-128..=hi-lo-128`, then one signed comparison.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn in_range(v: __m128i, lo: u8, hi: u8) -> __m128i {
        let shifted = _mm_add_epi8(v, _mm_set1_epi8(128u8.wrapping_sub(lo) as i8));
        _mm_cmplt_epi8(shifted, _mm_set1_epi8((hi - lo) as i8 - 127))
    }

    /// SSE2 is part of x86-64: no run-time check is needed.
    #[inline]
    #[target_feature(enable = "sse2")]
    pub fn alnum_mask(chunk: &[u8; 64]) -> u64 {
        let mut mask = 0u64;
        for (k, block) in chunk.as_chunks::<16>().0.iter().enumerate() {
            // SAFETY: `block` is 16 readable bytes; the load is unaligned.
            let v = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
            let letter = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', b'z');
            let digit = in_range(v, b'0', b'9');
            let bits = _mm_movemask_epi8(_mm_or_si128(letter, digit)) as u32 as u64;
            mask |= bits << (16 * k);
        }
        mask
    }
}

/// The first eight bytes of `b` as a little-endian word, zero past its end.
#[inline(always)]
fn head8(b: &[u8]) -> u64 {
    match b.first_chunk::<8>() {
        Some(h) => u64::from_le_bytes(*h),
        None => {
            let mut h = [0u8; 8];
            h[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(h)
        }
    }
}

/// The slot a four-byte key hashes to in a table of `2^bits` slots (Fibonacci hashing).
#[inline(always)]
fn slot_of(key: u32, bits: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> (32 - bits)) as usize
}

impl Lexicon {
    fn new(topics: Vec<Topic>, phrases: Vec<&'static str>) -> Self {
        let mut starts = [0u8; 256];
        let mut short = Vec::new();
        let mut keyed: Vec<(u32, u16)> = Vec::new();
        for (i, p) in phrases.iter().enumerate() {
            let b = p.as_bytes();
            match b.first_chunk::<4>() {
                Some(k) => {
                    starts[b[0] as usize] |= 1;
                    keyed.push((u32::from_le_bytes(*k), i as u16));
                }
                None if !b.is_empty() => {
                    starts[b[0] as usize] |= 2;
                    short.push(i as u16);
                }
                None => {}
            }
        }
        keyed.sort_unstable();
        // Twice as many slots as phrases (fewer distinct keys): probes end fast.
        let bits = (2 * keyed.len().max(1))
            .next_power_of_two()
            .trailing_zeros();
        let mask = (1usize << bits) - 1;
        let mut slots = vec![(0u32, 0u16, 0u16); mask + 1];
        let by_key: Vec<u16> = keyed.iter().map(|&(_, i)| i).collect();
        let mut first = 0;
        while first < keyed.len() {
            let key = keyed[first].0;
            let end = first + keyed[first..].iter().take_while(|(k, _)| *k == key).count();
            let mut at = slot_of(key, bits);
            while slots[at].0 != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = (key, first as u16, end as u16);
            first = end;
        }
        let heads = phrases
            .iter()
            .map(|p| {
                let n = p.len().min(8);
                (head8(&p.as_bytes()[..n]), u64::MAX >> (64 - 8 * n.max(1)))
            })
            .collect();
        Self {
            heads,
            topics,
            phrases,
            starts,
            slots,
            by_key,
            short,
        }
    }

    /// The phrases whose first four bytes are `key`.
    #[inline]
    fn keyed(&self, key: u32) -> &[u16] {
        let mask = self.slots.len() - 1;
        let mut at = slot_of(key, self.slots.len().trailing_zeros());
        loop {
            let (k, first, end) = self.slots[at];
            if k == key {
                return &self.by_key[first as usize..end as usize];
            }
            if k == 0 {
                return &[];
            }
            at = (at + 1) & mask;
        }
    }

    /// Every whole-word occurrence as `(end, start, phrase index)`, sorted: the order an
    /// overlapping Aho–Corasick search reports them in (by end, the longer first), so which
    /// phrases a topic keeps first does not depend on the method.
    fn find_all(&self, text: &[u8]) -> Vec<(usize, usize, u16)> {
        let mut found = Vec::new();
        // A phrase's first eight bytes are compared as one word, which rejects most of the
        // phrases under a common key ("your ", "votr") without a call to `memcmp`.
        let whole = |s: usize, head: u64, i: u16, found: &mut Vec<(usize, usize, u16)>| {
            let (h, mask) = self.heads[i as usize];
            if head & mask != h {
                return;
            }
            let p = self.phrases[i as usize].as_bytes();
            let e = s + p.len();
            if (p.len() <= 8 || text.get(s + 8..e) == p.get(8..))
                && text.get(e).is_none_or(|c| !c.is_ascii_alphanumeric())
            {
                found.push((e, s, i));
            }
        };
        // Word starts (an ASCII letter or digit after anything else), 64 bytes at a time: a
        // bit mask of the alphanumeric bytes, built without branches, then its rising edges.
        // A byte-by-byte walk over words mispredicted a branch at every word's two ends.
        let mut after_word = 0u64;
        for (c, chunk) in text.chunks(64).enumerate() {
            let alnum = alnum_mask(chunk);
            let mut starts = alnum & !((alnum << 1) | after_word);
            after_word = alnum >> (chunk.len() - 1) & 1;
            while starts != 0 {
                let s = c * 64 + starts.trailing_zeros() as usize;
                starts &= starts - 1;
                let kinds = self.starts[text[s] as usize];
                if kinds == 0 {
                    continue;
                }
                let head = head8(&text[s..]);
                if kinds & 1 != 0
                    && let Some(k) = text[s..].first_chunk::<4>()
                {
                    for &i in self.keyed(u32::from_le_bytes(*k)) {
                        whole(s, head, i, &mut found);
                    }
                }
                if kinds & 2 != 0 {
                    for &i in &self.short {
                        whole(s, head, i, &mut found);
                    }
                }
            }
        }
        found.sort_unstable();
        found
    }
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
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
        (Topic::Legal, LEGAL),
    ];
    let mut topics = Vec::new();
    let mut phrases = Vec::new();
    for (t, list) in groups {
        for p in *list {
            topics.push(*t);
            phrases.push(*p);
        }
    }
    Lexicon::new(topics, phrases)
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
    let lex = &*LEXICON;
    for (_, _, i) in lex.find_all(folded.as_bytes()) {
        let (t, p) = (lex.topics[i as usize], lex.phrases[i as usize]);
        match out.hits.iter_mut().find(|(x, _)| *x == t) {
            Some((_, v)) => {
                // "loan" and "loans" are one idea: plurals do not count twice.
                let same = |q: &&str| {
                    *q == p || q.strip_suffix('s') == Some(p) || p.strip_suffix('s') == Some(*q)
                };
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
    fn alnum_mask_is_the_byte_by_byte_rule() {
        let mut rng = crate::test_rng::XorShift::new(0xa1_4e55);
        for _ in 0..20_000 {
            let chunk: Vec<u8> = (0..64).map(|_| rng.below(256) as u8).collect();
            assert_eq!(alnum_mask(&chunk), alnum_mask_portable(&chunk), "{chunk:?}");
        }
        let every: Vec<u8> = (0..=255).collect();
        for c in every.chunks(64) {
            assert_eq!(alnum_mask(c), alnum_mask_portable(c));
        }
    }

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
            ("Je suis la veuve de feu mon mari", Topic::AdvanceFee),
            (
                "Die Erbschaft meines verstorbener Kunden",
                Topic::AdvanceFee,
            ),
            ("La herencia de mi difunto esposo", Topic::AdvanceFee),
            ("A herança do meu marido falecido", Topic::AdvanceFee),
            ("Een zakelijk voorstel over de erfenis", Topic::AdvanceFee),
            ("Diese Seite zeigt Sexkontakte", Topic::Adult),
            ("Je moet 18 jaar of ouder zijn", Topic::Adult),
            ("Hot girls want to meet men for sex", Topic::Adult),
            ("Een spannende afspraak zonder vaste relatie", Topic::Adult),
            ("Notificación judicial: citación del juzgado", Topic::Legal),
            ("Intimação: processo judicial em andamento", Topic::Legal),
            ("Mahnbescheid vom Gericht", Topic::Legal),
        ] {
            assert!(scan(&fold(text)).count(topic) > 0, "{text}");
        }
    }

    /// The table lookup finds exactly what an overlapping Aho–Corasick search over the same
    /// phrases finds on word boundaries, in the same order, on text made of phrases, their
    /// pieces, glued and cut, with every kind of separator.
    #[test]
    fn finds_what_aho_corasick_finds() {
        let lex = &*LEXICON;
        let ac = aho_corasick::AhoCorasick::new(&lex.phrases).expect("automaton");
        let oracle = |t: &str| -> Vec<(usize, usize, u16)> {
            let b = t.as_bytes();
            ac.find_overlapping_iter(t)
                .filter(|m| {
                    (m.start() == 0 || !b[m.start() - 1].is_ascii_alphanumeric())
                        && b.get(m.end()).is_none_or(|c| !c.is_ascii_alphanumeric())
                })
                .map(|m| (m.end(), m.start(), m.pattern().as_usize() as u16))
                .collect()
        };
        let seps = [" ", "", "-", "é", "\n", "$", "a", "1", "'", " x "];
        let mut rng = crate::test_rng::XorShift::new(0x2545_F491_4F6C_DD1Du64);
        let mut total = 0;
        for _ in 0..2_000 {
            let mut t = String::new();
            for _ in 0..rng.below(12) {
                let p = lex.phrases[rng.below(lex.phrases.len())];
                let cut = rng.below(p.len() + 1);
                let piece = match rng.below(4) {
                    0 => &p[..p.floor_char_boundary(cut)],
                    1 => &p[p.ceil_char_boundary(cut)..],
                    _ => p,
                };
                t.push_str(piece);
                t.push_str(seps[rng.below(seps.len())]);
            }
            let want = oracle(&t);
            total += want.len();
            assert_eq!(lex.find_all(t.as_bytes()), want, "{t:?}");
        }
        assert!(total > 2_000, "the texts hold phrases: {total}");
    }

    #[test]
    fn respects_word_boundaries() {
        assert_eq!(scan("middlesex county").count(Topic::Adult), 0);
        assert_eq!(scan("the btcfoo thing").count(Topic::Crypto), 0);
    }
}
