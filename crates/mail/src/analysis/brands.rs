//! Brands that phishing impersonates, with the domains they really send from. Names are matched
//! as whole words in folded display names; `tokens` are searched inside foreign domain names
//! (combosquatting such as `updates-ledger.com`); `domains` are the brand's own registrable
//! domains (a domain whose label is the brand's own label under any suffix also counts).

pub struct Brand {
    pub name: &'static str,
    pub names: &'static [&'static str],
    pub tokens: &'static [&'static str],
    pub domains: &'static [&'static str],
}

macro_rules! b {
    ($name:expr, [$($n:expr),*], [$($t:expr),*], [$($d:expr),*]) => {
        Brand { name: $name, names: &[$($n),*], tokens: &[$($t),*], domains: &[$($d),*] }
    };
}

pub const BRANDS: &[Brand] = &[
    b!(
        "Microsoft",
        [
            "microsoft",
            "office 365",
            "office365",
            "microsoft 365",
            "outlook",
            "onedrive",
            "sharepoint",
            "microsoft teams",
            "azure",
            "hotmail",
            "windows defender",
            "microsoft account"
        ],
        ["microsoft", "office365", "onedrive", "sharepoint"],
        [
            "microsoft.com",
            "office.com",
            "office365.com",
            "outlook.com",
            "live.com",
            "hotmail.com",
            "microsoftonline.com",
            "sharepoint.com",
            "microsoft365.com",
            "azure.com",
            "windows.com",
            "msn.com",
            "skype.com",
            "bing.com",
            "microsoftstore.com",
            "onmicrosoft.com"
        ]
    ),
    b!(
        "Google",
        [
            "google",
            "gmail",
            "google drive",
            "google docs",
            "youtube",
            "google storage",
            "google workspace"
        ],
        ["google", "gmail", "youtube"],
        [
            "google.com",
            "gmail.com",
            "googlemail.com",
            "youtube.com",
            "googleusercontent.com",
            "googlegroups.com"
        ]
    ),
    b!(
        "Apple",
        [
            "apple",
            "icloud",
            "itunes",
            "apple id",
            "app store",
            "apple tv",
            "apple support"
        ],
        ["icloud", "itunes", "appleid"],
        ["apple.com", "icloud.com", "me.com", "mac.com", "itunes.com"]
    ),
    b!(
        "Amazon",
        [
            "amazon",
            "amazon prime",
            "prime video",
            "prime membership",
            "aws"
        ],
        ["amazon"],
        [
            "amazon.com",
            "amazon.de",
            "amazon.co.uk",
            "amazon.fr",
            "amazon.es",
            "amazon.it",
            "amazon.nl",
            "amazon.com.br",
            "amazon.ca",
            "amazonses.com",
            "primevideo.com",
            "amazonaws.com"
        ]
    ),
    b!(
        "PayPal",
        ["paypal"],
        ["paypal"],
        [
            "paypal.com",
            "paypal.de",
            "paypal.fr",
            "paypal-communication.com"
        ]
    ),
    b!(
        "Netflix",
        ["netflix"],
        ["netflix"],
        ["netflix.com", "netflix.net"]
    ),
    b!(
        "Facebook",
        [
            "facebook",
            "instagram",
            "whatsapp",
            "meta business",
            "messenger"
        ],
        ["facebook", "instagram", "whatsapp"],
        [
            "facebook.com",
            "facebookmail.com",
            "instagram.com",
            "whatsapp.com",
            "whatsapp.net",
            "meta.com",
            "fb.com"
        ]
    ),
    b!("LinkedIn", ["linkedin"], ["linkedin"], ["linkedin.com"]),
    b!(
        "DHL",
        ["dhl", "dhl express"],
        ["dhl"],
        ["dhl.com", "dhl.de", "dhl.nl", "dhl.fr", "dpdhl.com"]
    ),
    b!("UPS", ["ups", "ups.com"], [], ["ups.com"]),
    b!("FedEx", ["fedex"], ["fedex"], ["fedex.com"]),
    b!(
        "USPS",
        ["usps", "us postal service"],
        ["usps"],
        ["usps.com", "usps.gov"]
    ),
    b!(
        "PostNL",
        ["postnl"],
        ["postnl"],
        ["postnl.nl", "postnl.com"]
    ),
    b!("Correios", ["correios"], ["correios"], ["correios.com.br"]),
    b!(
        "La Poste",
        ["la poste", "colissimo"],
        ["colissimo", "laposte"],
        ["laposte.fr", "laposte.net", "colissimo.fr"]
    ),
    b!(
        "GLS",
        ["gls"],
        [],
        ["gls-group.eu", "gls-group.com", "gls.de"]
    ),
    b!(
        "DPD",
        ["dpd"],
        [],
        ["dpd.com", "dpd.de", "dpd.fr", "dpd.co.uk"]
    ),
    b!(
        "DocuSign",
        ["docusign"],
        ["docusign"],
        ["docusign.com", "docusign.net"]
    ),
    b!(
        "Adobe",
        ["adobe", "adobe acrobat", "adobe sign"],
        ["adobe"],
        ["adobe.com", "adobesign.com"]
    ),
    b!(
        "Dropbox",
        ["dropbox"],
        ["dropbox"],
        ["dropbox.com", "dropboxmail.com"]
    ),
    b!(
        "WeTransfer",
        ["wetransfer"],
        ["wetransfer"],
        ["wetransfer.com"]
    ),
    b!(
        "Norton",
        ["norton", "norton 360", "lifelock", "norton antivirus"],
        ["norton"],
        ["norton.com", "nortonlifelock.com", "gen.digital"]
    ),
    b!("McAfee", ["mcafee"], ["mcafee"], ["mcafee.com"]),
    b!("Coinbase", ["coinbase"], ["coinbase"], ["coinbase.com"]),
    b!("Binance", ["binance"], ["binance"], ["binance.com"]),
    b!(
        "MetaMask",
        ["metamask"],
        ["metamask"],
        ["metamask.io", "consensys.io", "consensys.net"]
    ),
    b!(
        "Trust Wallet",
        ["trust wallet", "trustwallet"],
        ["trustwallet", "trust-wallet"],
        ["trustwallet.com"]
    ),
    b!(
        "Ledger",
        ["ledger", "ledger live"],
        ["ledger"],
        ["ledger.com"]
    ),
    b!("OpenSea", ["opensea"], ["opensea"], ["opensea.io"]),
    b!("Kraken", ["kraken"], [], ["kraken.com"]),
    b!("Blockchain.com", ["blockchain.com"], [], ["blockchain.com"]),
    b!("Tether", ["tether"], [], ["tether.to"]),
    b!(
        "Bradesco",
        ["bradesco", "banco bradesco"],
        ["bradesco"],
        [
            "bradesco.com.br",
            "bradescoseguros.com.br",
            "bradescocartoes.com.br"
        ]
    ),
    b!(
        "Banco do Brasil",
        ["banco do brasil"],
        ["bancodobrasil"],
        ["bb.com.br", "bancodobrasil.com.br"]
    ),
    b!("Itau", ["itau", "banco itau"], ["itau"], ["itau.com.br"]),
    b!("Caixa", ["caixa economica"], [], ["caixa.gov.br"]),
    b!(
        "Nubank",
        ["nubank"],
        ["nubank"],
        ["nubank.com.br", "nu.com.mx"]
    ),
    b!(
        "Santander",
        ["santander"],
        ["santander"],
        [
            "santander.com",
            "santander.com.br",
            "santander.es",
            "santander.co.uk",
            "santander.de"
        ]
    ),
    b!(
        "Mercado Pago",
        [
            "mercado pago",
            "mercado livre",
            "mercado libre",
            "mercadopago",
            "mercadolivre"
        ],
        ["mercadopago", "mercadolivre", "mercadolibre"],
        [
            "mercadopago.com",
            "mercadopago.com.br",
            "mercadolivre.com.br",
            "mercadolibre.com",
            "mercadolibre.com.ar",
            "mercadolibre.com.mx"
        ]
    ),
    b!("Livelo", ["livelo"], ["livelo"], ["livelo.com.br"]),
    b!(
        "Chase",
        ["chase bank", "jpmorgan chase"],
        [],
        ["chase.com", "jpmorgan.com"]
    ),
    b!(
        "Wells Fargo",
        ["wells fargo"],
        ["wellsfargo"],
        ["wellsfargo.com"]
    ),
    b!(
        "Bank of America",
        ["bank of america"],
        ["bankofamerica"],
        ["bankofamerica.com", "bofa.com"]
    ),
    b!(
        "Citibank",
        ["citibank"],
        ["citibank"],
        ["citi.com", "citibank.com"]
    ),
    b!(
        "American Express",
        ["american express", "amex"],
        ["americanexpress"],
        ["americanexpress.com", "aexp.com"]
    ),
    b!("Mastercard", ["mastercard"], [], ["mastercard.com"]),
    b!("Visa", ["visa card"], [], ["visa.com"]),
    b!(
        "ING",
        ["ing bank"],
        [],
        ["ing.com", "ing.nl", "ing.de", "ing.be", "ing.fr"]
    ),
    b!(
        "Rabobank",
        ["rabobank"],
        ["rabobank"],
        ["rabobank.nl", "rabobank.com"]
    ),
    b!(
        "ABN AMRO",
        ["abn amro"],
        ["abnamro"],
        ["abnamro.nl", "abnamro.com"]
    ),
    b!("Sparkasse", ["sparkasse"], ["sparkasse"], ["sparkasse.de"]),
    b!(
        "Deutsche Bank",
        ["deutsche bank"],
        ["deutschebank", "deutsche-bank"],
        ["deutsche-bank.de", "db.com"]
    ),
    b!(
        "Commerzbank",
        ["commerzbank"],
        ["commerzbank"],
        ["commerzbank.de"]
    ),
    b!(
        "BBVA",
        ["bbva"],
        ["bbva"],
        ["bbva.com", "bbva.es", "bbva.mx"]
    ),
    b!("HSBC", ["hsbc"], ["hsbc"], ["hsbc.com", "hsbc.co.uk"]),
    b!(
        "Barclays",
        ["barclays"],
        ["barclays"],
        ["barclays.com", "barclays.co.uk"]
    ),
    b!("DigiD", ["digid"], ["digid"], ["digid.nl"]),
    b!("IRS", ["irs", "internal revenue service"], [], ["irs.gov"]),
    b!("HMRC", ["hmrc"], ["hmrc"], ["hmrc.gov.uk", "gov.uk"]),
    b!("Costco", ["costco"], ["costco"], ["costco.com"]),
    b!("Walmart", ["walmart"], ["walmart"], ["walmart.com"]),
    b!("Lowe's", ["lowes", "lowe's"], [], ["lowes.com"]),
    b!(
        "Home Depot",
        ["home depot"],
        ["homedepot"],
        ["homedepot.com"]
    ),
    b!(
        "Tractor Supply",
        ["tractor supply"],
        [],
        ["tractorsupply.com"]
    ),
    b!(
        "Dick's",
        ["dicks sporting goods", "dicks"],
        [],
        ["dickssportinggoods.com"]
    ),
    b!(
        "Sephora",
        ["sephora"],
        ["sephora"],
        ["sephora.com", "sephora.fr"]
    ),
    b!(
        "Decathlon",
        ["decathlon"],
        ["decathlon"],
        ["decathlon.com", "decathlon.fr", "decathlon.de"]
    ),
    b!(
        "Carrefour",
        ["carrefour"],
        ["carrefour"],
        ["carrefour.fr", "carrefour.com", "carrefour.es"]
    ),
    b!("Leclerc", ["leclerc"], [], ["e.leclerc", "leclerc.fr"]),
    b!(
        "Aldi",
        ["aldi"],
        [],
        [
            "aldi.de",
            "aldi-sued.de",
            "aldi-nord.de",
            "aldi.com",
            "aldi.us"
        ]
    ),
    b!("Lidl", ["lidl"], [], ["lidl.de", "lidl.com", "lidl.fr"]),
    b!("Edeka", ["edeka"], ["edeka"], ["edeka.de"]),
    b!("Rossmann", ["rossmann"], ["rossmann"], ["rossmann.de"]),
    b!("Fressnapf", ["fressnapf"], [], ["fressnapf.de"]),
    b!("Temu", ["temu"], [], ["temu.com"]),
    b!("Hilton", ["hilton"], [], ["hilton.com"]),
    b!("Spotify", ["spotify"], ["spotify"], ["spotify.com"]),
    b!(
        "Disney+",
        ["disney+", "disney plus"],
        [],
        ["disney.com", "disneyplus.com"]
    ),
    b!(
        "Paramount+",
        ["paramount+", "paramount plus"],
        [],
        ["paramountplus.com", "paramount.com"]
    ),
    b!("SiriusXM", ["sirius xm", "siriusxm"], [], ["siriusxm.com"]),
    b!("AT&T", ["at&t"], [], ["att.com", "att.net"]),
    b!(
        "Verizon",
        ["verizon"],
        ["verizon"],
        ["verizon.com", "verizonwireless.com"]
    ),
    b!(
        "Vodafone",
        ["vodafone"],
        ["vodafone"],
        ["vodafone.com", "vodafone.de", "vodafone.co.uk"]
    ),
    b!(
        "Telekom",
        ["telekom", "deutsche telekom"],
        [],
        ["telekom.de", "t-online.de", "telekom.com"]
    ),
    b!("Orange", ["orange france"], [], ["orange.fr", "orange.com"]),
    b!(
        "Steam",
        ["steam support"],
        ["steampowered", "steamcommunity"],
        ["steampowered.com", "steamcommunity.com"]
    ),
    b!("Zoom", ["zoom video", "zoom meetings"], [], ["zoom.us"]),
    // Payments and money apps.
    b!(
        "Cash App",
        ["cash app", "cashapp"],
        ["cashapp"],
        ["cash.app", "cash.me", "squareup.com", "block.xyz"]
    ),
    b!("Venmo", ["venmo"], ["venmo"], ["venmo.com"]),
    b!("Zelle", ["zelle"], ["zelle"], ["zellepay.com", "zelle.com"]),
    b!("Revolut", ["revolut"], ["revolut"], ["revolut.com"]),
    b!("N26", ["n26"], [], ["n26.com"]),
    b!("Stripe", ["stripe"], ["stripe"], ["stripe.com"]),
    b!(
        "Intuit",
        ["intuit", "quickbooks", "turbotax"],
        ["intuit", "quickbooks", "turbotax"],
        ["intuit.com", "quickbooks.com", "turbotax.com"]
    ),
    // Social networks and messengers.
    b!(
        "TikTok",
        ["tiktok"],
        ["tiktok"],
        ["tiktok.com", "tiktokv.com", "bytedance.com"]
    ),
    b!("X", ["twitter"], ["twitter"], ["twitter.com", "x.com"]),
    b!("Telegram", ["telegram"], ["telegram"], ["telegram.org"]),
    b!(
        "Yahoo",
        ["yahoo"],
        ["yahoo"],
        [
            "yahoo.com",
            "yahoo.co.uk",
            "yahoo.fr",
            "yahoo.de",
            "yahoo.es",
            "yahoo.com.br",
            "yahoo-inc.com",
            "yahoomail.com"
        ]
    ),
    // Shops, marketplaces, travel.
    b!(
        "eBay",
        ["ebay"],
        [],
        [
            "ebay.com",
            "ebay.co.uk",
            "ebay.de",
            "ebay.fr",
            "ebay.es",
            "ebay.nl",
            "ebay.it",
            "ebay.ca",
            "ebay.com.au"
        ]
    ),
    b!(
        "AliExpress",
        ["aliexpress"],
        ["aliexpress"],
        ["aliexpress.com", "aliexpress.us", "alibaba.com"]
    ),
    b!(
        "Shopee",
        ["shopee"],
        ["shopee"],
        ["shopee.com", "shopee.com.br", "shopee.co.id", "shopee.sg"]
    ),
    b!(
        "Best Buy",
        ["best buy", "bestbuy", "geek squad", "geeksquad"],
        ["bestbuy", "geeksquad"],
        ["bestbuy.com", "bestbuy.ca", "geeksquad.com"]
    ),
    b!("Booking.com", ["booking.com"], [], ["booking.com"]),
    b!(
        "Airbnb",
        ["airbnb"],
        ["airbnb"],
        [
            "airbnb.com",
            "airbnb.fr",
            "airbnb.de",
            "airbnb.co.uk",
            "airbnb.es",
            "airbnb.com.br",
            "airbnb.nl"
        ]
    ),
    b!(
        "Epic Games",
        ["epic games"],
        ["epicgames"],
        ["epicgames.com"]
    ),
    // Security software (call-back scams).
    b!(
        "Bitdefender",
        ["bitdefender"],
        ["bitdefender"],
        ["bitdefender.com"]
    ),
    b!("Avast", ["avast"], ["avast"], ["avast.com"]),
    b!("Kaspersky", ["kaspersky"], ["kaspersky"], ["kaspersky.com"]),
    // Telecom, hosting.
    b!(
        "Xfinity",
        ["xfinity", "comcast"],
        ["xfinity", "comcast"],
        ["xfinity.com", "comcast.com", "comcast.net"]
    ),
    b!("GoDaddy", ["godaddy"], ["godaddy"], ["godaddy.com"]),
    // Post and parcels.
    b!(
        "Chronopost",
        ["chronopost"],
        ["chronopost"],
        ["chronopost.fr"]
    ),
    b!(
        "Royal Mail",
        ["royal mail"],
        ["royalmail"],
        ["royalmail.com", "royalmail.co.uk"]
    ),
    b!("Evri", ["evri"], [], ["evri.com"]),
    b!(
        "Canada Post",
        ["canada post", "postes canada"],
        ["canadapost"],
        ["canadapost.ca", "canadapost-postescanada.ca"]
    ),
    b!(
        "Australia Post",
        ["australia post", "auspost"],
        ["auspost"],
        ["auspost.com.au"]
    ),
    b!(
        "Poste Italiane",
        ["poste italiane"],
        ["posteitaliane"],
        ["poste.it", "posteitaliane.it"]
    ),
    // Banks.
    b!(
        "BNP Paribas",
        ["bnp paribas"],
        ["bnpparibas"],
        ["bnpparibas.com", "bnpparibas.fr", "bnpparibas.net"]
    ),
    b!(
        "Credit Agricole",
        ["credit agricole"],
        ["creditagricole"],
        ["credit-agricole.fr", "credit-agricole.com"]
    ),
    b!(
        "Societe Generale",
        ["societe generale"],
        ["societegenerale"],
        ["societegenerale.fr", "societegenerale.com"]
    ),
    b!(
        "La Banque Postale",
        ["banque postale"],
        ["labanquepostale"],
        ["labanquepostale.fr"]
    ),
    // Public services.
    b!(
        "Ameli",
        ["ameli", "assurance maladie"],
        ["ameli"],
        ["ameli.fr", "assurance-maladie.fr"]
    ),
    b!(
        "Impots.gouv",
        ["impots.gouv", "finances publiques", "dgfip"],
        ["impots"],
        ["impots.gouv.fr", "finances.gouv.fr"]
    ),
    b!("ANTAI", ["antai"], ["antai"], ["antai.gouv.fr"]),
    b!(
        "Receita Federal",
        ["receita federal"],
        [],
        ["receita.fazenda.gov.br", "gov.br"]
    ),
    b!(
        "Serasa",
        ["serasa"],
        ["serasa"],
        ["serasa.com.br", "serasaexperian.com.br"]
    ),
    b!(
        "Webmail",
        [
            "webmail",
            "mail administrator",
            "email administrator",
            "mailbox administrator",
            "it helpdesk",
            "it help desk",
            "it support team",
            "it service desk",
            "system administrator",
            "mail delivery system",
            "email support"
        ],
        [],
        []
    ),
];

/// Well-known free mail providers: anyone can get an address there.
pub const FREEMAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "yahoo.de",
    "yahoo.es",
    "yahoo.com.br",
    "ymail.com",
    "rocketmail.com",
    "hotmail.com",
    "hotmail.fr",
    "hotmail.de",
    "hotmail.es",
    "hotmail.co.uk",
    "outlook.com",
    "outlook.fr",
    "outlook.de",
    "outlook.es",
    "live.com",
    "live.fr",
    "live.nl",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "mail.ru",
    "bk.ru",
    "list.ru",
    "inbox.ru",
    "yandex.ru",
    "yandex.com",
    "ya.ru",
    "gmx.de",
    "gmx.net",
    "gmx.com",
    "gmx.at",
    "web.de",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "zoho.com",
    "mail.com",
    "email.com",
    "qq.com",
    "163.com",
    "126.com",
    "t-online.de",
    "free.fr",
    "orange.fr",
    "laposte.net",
    "libero.it",
    "bol.com.br",
    "uol.com.br",
    "terra.com.br",
    "tutanota.com",
    "tuta.io",
    "gmx.fr",
    "seznam.cz",
    "wp.pl",
    "o2.pl",
    "rediffmail.com",
    "naver.com",
    "hanmail.net",
    "aim.com",
    "juno.com",
    "earthlink.net",
    "comcast.net",
];

pub fn is_freemail(reg_domain: &str) -> bool {
    FREEMAIL.contains(&reg_domain)
}
