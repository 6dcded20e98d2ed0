//! Word lists for people, companies and mail content. ASCII only, so every header stays 7-bit.

pub(crate) const FIRST: &[&str] = &[
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark",
    "Ashley", "Steven", "Emily", "Paul", "Michelle", "Andrew", "Amanda", "Joshua", "Melissa",
    "Kevin", "Rebecca", "Brian", "Laura", "George", "Stephanie", "Timothy", "Rachel", "Ryan",
    "Hannah", "Jacob", "Olivia", "Nicholas", "Sophie", "Lukas", "Anna", "Felix", "Lena", "Oliver",
    "Chloe", "Samuel", "Grace", "Ethan", "Priya", "Arjun", "Mei", "Wei", "Omar", "Fatima",
    "Carlos", "Lucia", "Mateo", "Ines", "Jonas", "Marie", "Tobias", "Julia", "Noah", "Zoe",
];

pub(crate) const LAST: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
    "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Parker",
    "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper",
    "Peterson", "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood",
    "Watson", "Brooks", "Bennett", "Gray", "Hughes", "Price", "Sanders", "Patel", "Schmidt",
    "Fischer", "Weber", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch", "Richter", "Klein",
    "Chen", "Wang", "Nguyen", "Kim", "Singh", "Khan", "Okafor", "Silva", "Rossi", "Novak",
];

pub(crate) const COMPANY_A: &[&str] = &[
    "Alder", "Brookfield", "Cedar", "Summit", "Granite", "Harbor", "Ironwood", "Juniper",
    "Keystone", "Lumen", "Meridian", "Oakridge", "Pioneer", "Quarry", "Redstone", "Silverline",
    "Tidewater", "Vantage", "Willow", "Zenith", "Northgate", "Bluepeak", "Clearwater", "Fairmont",
    "Highmark", "Lakeshore", "Crescent", "Evergreen", "Stonebridge", "Westfield",
];

pub(crate) const COMPANY_B: &[(&str, &str)] = &[
    ("Logistics", "logistics"),
    ("Engineering", "eng"),
    ("Foods", "foods"),
    ("Health", "health"),
    ("Analytics", "analytics"),
    ("Manufacturing", "mfg"),
    ("Partners", "partners"),
    ("Labs", "labs"),
    ("Systems", "systems"),
    ("Dynamics", "dynamics"),
    ("Industries", "industries"),
    ("Capital", "capital"),
];

pub(crate) const VENDOR_A: &[&str] = &[
    "Apex", "Beacon", "Coastal", "Delta", "Eastwood", "Frontier", "Globe", "Horizon", "Inland",
    "Jetstream", "Kestrel", "Landmark", "Metro", "Nimbus", "Orion", "Pacific", "Quantum", "Regal",
    "Sterling", "Triton", "Unity", "Vertex", "Wolfe", "Atlas", "Crown",
];

pub(crate) const VENDOR_B: &[(&str, &str)] = &[
    ("Supply", "supply"),
    ("Packaging", "packaging"),
    ("Freight", "freight"),
    ("IT Services", "itservices"),
    ("Office Solutions", "office"),
    ("Consulting", "consulting"),
    ("Electrical", "electrical"),
    ("Facilities", "facilities"),
    ("Print", "print"),
    ("Components", "components"),
];

pub(crate) const INTERNAL_TOPICS: &[&str] = &[
    "Q3 planning",
    "Weekly sync notes",
    "Budget review",
    "Customer escalation",
    "Hiring plan",
    "Offsite agenda",
    "Project timeline",
    "Board deck draft",
    "Release checklist",
    "Vendor shortlist",
    "Travel policy update",
    "Office move",
    "Security awareness training",
    "Inventory count",
    "Pricing proposal",
    "Onboarding for new starters",
    "Contract renewal",
    "Team lunch on Friday",
    "Expense report questions",
    "Forecast update",
];

pub(crate) const INTERNAL_BODIES: &[&str] = &[
    "Thanks for pulling this together. I made a few comments in the attached notes; can we go through them tomorrow?",
    "Quick update: we are on track, the open items are listed below. Let me know if anything is missing.",
    "I spoke with the team this morning and we agreed to move the deadline by one week.",
    "Can you send me the latest numbers before the meeting? I want to double-check the totals.",
    "Looks good to me. Please go ahead and share it with the wider group.",
    "Following up on our call - I have booked the room for Thursday afternoon.",
    "Adding a couple of people to the thread who should see this.",
    "Here is the summary from yesterday. Action items are at the bottom.",
];

pub(crate) const REPLY_BODIES: &[&str] = &[
    "Thanks, will do.",
    "Sounds good - I will take care of it today.",
    "Agreed. I added two points, see inline.",
    "Got it, thanks for the heads-up.",
    "Can we discuss this in the 1:1 instead?",
    "Done. Let me know if you need anything else.",
];

pub(crate) const NEWSLETTERS: &[(&str, &str, &str)] = &[
    // (display name, domain, topic)
    ("Industry Weekly", "industryweekly.com", "This week in supply chains"),
    ("TechBrief", "techbrief.io", "Five things to know about AI this week"),
    ("The Finance Digest", "financedigest.com", "Rates, markets and what to watch"),
    ("HR Insider", "hrinsider.net", "Hybrid work policies that stick"),
    ("Marketing Pulse", "marketingpulse.co", "Campaign benchmarks for Q4"),
];

/// Real SaaS senders: display name, From address, DKIM domain, MAIL FROM domain, subject
/// templates, sending infrastructure selector.
pub(crate) struct Saas {
    pub name: &'static str,
    pub from: &'static str,
    pub dkim: &'static str,
    pub mailfrom: &'static str,
    pub subjects: &'static [&'static str],
    pub infra: u8,
    pub link: &'static str,
}

pub(crate) const SAAS: &[Saas] = &[
    Saas { name: "DocuSign", from: "dse_NA4@docusign.net", dkim: "docusign.net", mailfrom: "docusign.net", subjects: &["Completed: Please DocuSign: Services Agreement", "Please DocuSign: NDA"], infra: 3, link: "https://na4.docusign.net/Signing/EmailStart.aspx?a=" },
    Saas { name: "GitHub", from: "noreply@github.com", dkim: "github.com", mailfrom: "github.com", subjects: &["[GitHub] A new SSH key was added", "[GitHub] Your dependency alerts digest"], infra: 6, link: "https://github.com/settings/keys?ref=" },
    Saas { name: "Slack", from: "feedback@slack.com", dkim: "slack.com", mailfrom: "slack.com", subjects: &["Your Slack digest", "You have 4 unread messages in #general"], infra: 2, link: "https://app.slack.com/client/T0" },
    Saas { name: "Zoom", from: "no-reply@zoom.us", dkim: "zoom.us", mailfrom: "zoom.us", subjects: &["Your cloud recording is now available", "Meeting reminder: Weekly sync"], infra: 4, link: "https://us02web.zoom.us/rec/share/" },
    Saas { name: "Salesforce", from: "noreply@salesforce.com", dkim: "salesforce.com", mailfrom: "salesforce.com", subjects: &["Your weekly pipeline report", "Opportunity updated: Renewal FY27"], infra: 5, link: "https://login.salesforce.com/?ec=" },
    Saas { name: "Atlassian", from: "jira@atlassian.net", dkim: "atlassian.net", mailfrom: "bounce.atlassian.net", subjects: &["[JIRA] Issue assigned to you", "[Confluence] Page updated: Team handbook"], infra: 2, link: "https://atlassian.net/browse/OPS-" },
];

pub(crate) const VENDOR_ITEMS: &[&str] = &[
    "Monthly support retainer",
    "Shipping and handling",
    "Office supplies",
    "Printer maintenance",
    "Consulting hours",
    "Packaging materials",
    "Cloud backup subscription",
    "Electrical components",
];
