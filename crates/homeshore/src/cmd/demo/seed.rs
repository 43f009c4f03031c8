//! What the demo center is made of: the organisation "Demo Retail", its queues, people,
//! wrap-up codes and canned responses, and the lines simulated customers and agents say.
//! Pure data; `demo.rs` writes it through the server's seeding functions.

/// The organisation every demo login belongs to.
pub const ORG_NAME: &str = "Demo Retail";
pub const ORG_SLUG: &str = "demo-retail";

/// The one password of every demo login (shown in the banner; demo data only).
pub const PASSWORD: &str = "demo-retail-2026";

/// The demo center's direct line: calls from this machine wait in Orders.
pub const PHONE_NUMBER: &str = "+15550100";
/// The demo center's menu line: callers go through [`CALL_FLOW`] first.
pub const MENU_NUMBER: &str = "+15550111";
/// The menu line's call flow: orders (with the order number), returns, a message;
/// a callback offered while waiting.
pub const CALL_FLOW: &str = r#"{
  "start": "welcome",
  "steps": {
    "welcome": {"type": "menu",
      "prompt": "Thank you for calling Demo Retail. For an order, press 1. For a return, press 2. To leave a message, press 3.",
      "options": {"1": "order", "2": "returns", "3": "message"}, "no_input": "orders"},
    "order": {"type": "collect", "prompt": "Please key in your order number, then press hash.",
      "into": "order", "min_digits": 4, "max_digits": 10, "next": "orders", "failed": "orders"},
    "orders": {"type": "queue", "queue": "Orders", "callback": true, "announce_every_s": 45},
    "returns": {"type": "queue", "queue": "Returns", "callback": true, "announce_every_s": 45},
    "message": {"type": "voicemail", "queue": "Orders", "max_s": 60,
      "prompt": "Please leave your message after the tone, and press hash when you are done."}
  }
}"#;

/// Chats an agent handles at once.
pub const CHAT_CAPACITY: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSeed {
    pub name: &'static str,
    /// The skill an agent needs to be offered this queue's contacts.
    pub skill: &'static str,
    /// Routing policy: the level wanted at first, and after `relax_after_s` the level
    /// accepted so a customer is not left waiting for the one expert.
    pub preferred_level: u8,
    pub relax_after_s: u32,
    pub relaxed_level: u8,
    /// What the queue is for (kept with the queue; the widget shows its name).
    pub description: &'static str,
}

/// The four queues, in the order the widget lists their topics.
pub const QUEUES: &[QueueSeed] = &[
    QueueSeed {
        name: "Orders",
        skill: "orders",
        preferred_level: 3,
        relax_after_s: 30,
        relaxed_level: 1,
        description: "An order or delivery",
    },
    QueueSeed {
        name: "Returns",
        skill: "returns",
        preferred_level: 3,
        relax_after_s: 45,
        relaxed_level: 1,
        description: "Returns and exchanges",
    },
    QueueSeed {
        name: "Billing",
        skill: "billing",
        preferred_level: 4,
        relax_after_s: 60,
        relaxed_level: 2,
        description: "Payments and invoices",
    },
    QueueSeed {
        name: "Spanish",
        skill: "spanish",
        preferred_level: 4,
        relax_after_s: 60,
        relaxed_level: 3,
        description: "Ayuda en español",
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonSeed {
    pub name: &'static str,
    pub email: &'static str,
    pub role: Role,
    /// (skill, level 1..=5); empty for people who take no contacts.
    pub skills: &'static [(&'static str, u8)],
    /// Driven by the simulator; the others are left free for a person to log in as.
    pub simulated: bool,
}

const fn agent(
    name: &'static str,
    email: &'static str,
    skills: &'static [(&'static str, u8)],
    simulated: bool,
) -> PersonSeed {
    PersonSeed {
        name,
        email,
        role: Role::Agent,
        skills,
        simulated,
    }
}

/// A dozen agents, a supervisor and an admin. Four agents are left for people: one
/// generalist per pair of queues and a Spanish speaker.
pub const PEOPLE: &[PersonSeed] = &[
    // Free for a person to log in as (listed first in the banner).
    agent(
        "Alex Morgan",
        "alex@demo-retail.example",
        &[("orders", 4), ("returns", 3), ("billing", 2)],
        false,
    ),
    agent(
        "Jordan Blake",
        "jordan@demo-retail.example",
        &[("orders", 3), ("returns", 4), ("billing", 3)],
        false,
    ),
    agent(
        "Lucía García",
        "lucia@demo-retail.example",
        &[("spanish", 5), ("orders", 3), ("returns", 2)],
        false,
    ),
    agent(
        "Sam Okafor",
        "sam@demo-retail.example",
        &[("billing", 4), ("orders", 2), ("returns", 2)],
        false,
    ),
    // Simulated.
    agent(
        "Priya Patel",
        "priya@demo-retail.example",
        &[("orders", 5), ("billing", 3)],
        true,
    ),
    agent(
        "Tom Becker",
        "tom@demo-retail.example",
        &[("returns", 5), ("orders", 3)],
        true,
    ),
    agent(
        "Grace Kim",
        "grace@demo-retail.example",
        &[("billing", 5), ("returns", 2)],
        true,
    ),
    agent(
        "Omar Haddad",
        "omar@demo-retail.example",
        &[("orders", 4), ("returns", 4)],
        true,
    ),
    agent(
        "Inés Duarte",
        "ines@demo-retail.example",
        &[("spanish", 5), ("returns", 3)],
        true,
    ),
    agent(
        "Mateo Ruiz",
        "mateo@demo-retail.example",
        &[("spanish", 4), ("orders", 3), ("billing", 2)],
        true,
    ),
    agent(
        "Hannah Schmidt",
        "hannah@demo-retail.example",
        &[("billing", 4), ("orders", 2)],
        true,
    ),
    agent(
        "Kofi Mensah",
        "kofi@demo-retail.example",
        &[("orders", 3), ("returns", 3), ("billing", 3)],
        true,
    ),
    PersonSeed {
        name: "Dana Whitfield",
        email: "dana@demo-retail.example",
        role: Role::Supervisor,
        skills: &[],
        simulated: false,
    },
    PersonSeed {
        name: "Robin Admin",
        email: "admin@demo-retail.example",
        role: Role::Admin,
        skills: &[],
        simulated: false,
    },
];

/// The hours a simulated agent offers (what they would enter on My hours), so that the
/// planner can generate a schedule and plan hires at first click.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoursSeed {
    pub email: &'static str,
    /// (weekday 0 = Monday, from, to), UTC like the demo's history.
    pub windows: &'static [(u8, &'static str, &'static str)],
    pub min_week_hours: f64,
    pub max_week_hours: f64,
    /// Opted in to peak weeks, with at most this many hours.
    pub peak_max_week_hours: Option<f64>,
}

const WEEKDAYS_DAY: &[(u8, &str, &str)] = &[
    (0, "08:00", "16:00"),
    (1, "08:00", "16:00"),
    (2, "08:00", "16:00"),
    (3, "08:00", "16:00"),
    (4, "08:00", "16:00"),
];
const WEEKDAYS_LATE: &[(u8, &str, &str)] = &[
    (0, "12:00", "20:00"),
    (1, "12:00", "20:00"),
    (2, "12:00", "20:00"),
    (3, "12:00", "20:00"),
    (4, "12:00", "20:00"),
];
const SCHOOL_HOURS: &[(u8, &str, &str)] = &[
    (0, "09:00", "14:00"),
    (1, "09:00", "14:00"),
    (2, "09:00", "14:00"),
    (3, "09:00", "14:00"),
    (4, "09:00", "14:00"),
];
const WEEKENDS_AND_EVENINGS: &[(u8, &str, &str)] = &[
    (1, "16:00", "20:00"),
    (3, "16:00", "20:00"),
    (5, "08:00", "20:00"),
];
const ANY_DAY: &[(u8, &str, &str)] = &[
    (0, "08:00", "20:00"),
    (1, "08:00", "20:00"),
    (2, "08:00", "20:00"),
    (3, "08:00", "20:00"),
    (4, "08:00", "20:00"),
    (5, "08:00", "20:00"),
];

/// A realistic spread: 1 to 30 hours a week, most offering 20 to 29; two opted in to
/// peak weeks (one up to 60).
pub const OFFERED_HOURS: &[HoursSeed] = &[
    HoursSeed {
        email: "priya@demo-retail.example",
        windows: WEEKDAYS_DAY,
        min_week_hours: 20.0,
        max_week_hours: 28.0,
        peak_max_week_hours: None,
    },
    HoursSeed {
        email: "tom@demo-retail.example",
        windows: WEEKDAYS_LATE,
        min_week_hours: 16.0,
        max_week_hours: 25.0,
        peak_max_week_hours: None,
    },
    HoursSeed {
        email: "grace@demo-retail.example",
        windows: SCHOOL_HOURS,
        min_week_hours: 10.0,
        max_week_hours: 22.0,
        peak_max_week_hours: None,
    },
    HoursSeed {
        email: "omar@demo-retail.example",
        windows: ANY_DAY,
        min_week_hours: 24.0,
        max_week_hours: 30.0,
        peak_max_week_hours: Some(60.0),
    },
    HoursSeed {
        email: "ines@demo-retail.example",
        windows: WEEKENDS_AND_EVENINGS,
        min_week_hours: 8.0,
        max_week_hours: 20.0,
        peak_max_week_hours: None,
    },
    HoursSeed {
        email: "mateo@demo-retail.example",
        windows: ANY_DAY,
        min_week_hours: 18.0,
        max_week_hours: 26.0,
        peak_max_week_hours: Some(45.0),
    },
    HoursSeed {
        email: "hannah@demo-retail.example",
        windows: WEEKENDS_AND_EVENINGS,
        min_week_hours: 1.0,
        max_week_hours: 12.0,
        peak_max_week_hours: None,
    },
    HoursSeed {
        email: "kofi@demo-retail.example",
        windows: WEEKDAYS_DAY,
        min_week_hours: 16.0,
        max_week_hours: 24.0,
        peak_max_week_hours: None,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrapupSeed {
    pub code: &'static str,
    pub name: &'static str,
}

pub const WRAPUP_CODES: &[WrapupSeed] = &[
    WrapupSeed {
        code: "resolved",
        name: "Resolved",
    },
    WrapupSeed {
        code: "order_status",
        name: "Order status given",
    },
    WrapupSeed {
        code: "return_label",
        name: "Return label sent",
    },
    WrapupSeed {
        code: "refund_issued",
        name: "Refund issued",
    },
    WrapupSeed {
        code: "payment_fixed",
        name: "Payment problem fixed",
    },
    WrapupSeed {
        code: "follow_up",
        name: "Needs follow-up",
    },
    WrapupSeed {
        code: "escalated",
        name: "Escalated",
    },
    WrapupSeed {
        code: "no_response",
        name: "Customer stopped responding",
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CannedSeed {
    /// Typed after `/` in the desktop's composer.
    pub shortcut: &'static str,
    pub title: &'static str,
    pub text: &'static str,
}

pub const CANNED: &[CannedSeed] = &[
    CannedSeed {
        shortcut: "hi",
        title: "Greeting",
        text: "Hi {{customer.first_name}}, I'm {{agent.first_name}} from Demo Retail. How can I help you today?",
    },
    CannedSeed {
        shortcut: "order",
        title: "Ask for the order number",
        text: "Could you give me your order number? It starts with DR- and is in your confirmation email.",
    },
    CannedSeed {
        shortcut: "label",
        title: "Return label sent",
        text: "I've emailed you a prepaid return label. Drop the parcel at any post office within 30 days.",
    },
    CannedSeed {
        shortcut: "refund",
        title: "Refund timing",
        text: "Your refund is on its way: it usually shows on your statement within 3 to 5 business days.",
    },
    CannedSeed {
        shortcut: "wait",
        title: "One moment",
        text: "Thanks {{customer.first_name}}, give me a moment while I check that for you.",
    },
    CannedSeed {
        shortcut: "bye",
        title: "Closing",
        text: "Is there anything else I can help with? Thanks for shopping with Demo Retail, {{customer.first_name}}!",
    },
    CannedSeed {
        shortcut: "hola",
        title: "Saludo (español)",
        text: "¡Hola {{customer.first_name}}! Soy {{agent.first_name}} de Demo Retail. ¿En qué puedo ayudarte?",
    },
];

/// What a simulated customer of one queue says: an opening line and the answers it gives
/// to whatever the agent says next, in order.
#[derive(Debug, Clone, Copy)]
pub struct Script {
    pub queue: &'static str,
    pub opening: &'static str,
    pub replies: &'static [&'static str],
    pub thanks: &'static str,
}

pub const SCRIPTS: &[Script] = &[
    Script {
        queue: "Orders",
        opening: "Hi, my order hasn't arrived yet and the tracking page hasn't changed in three days.",
        replies: &[
            "Sure, it's DR-48213.",
            "It was supposed to come last Friday.",
            "Great, can you send me the new tracking link?",
        ],
        thanks: "Perfect, thank you so much!",
    },
    Script {
        queue: "Orders",
        opening: "Hello! Can I still change the delivery address on an order I placed this morning?",
        replies: &[
            "Order DR-51077.",
            "The new address is 14 Harbour Street, flat 2.",
            "Yes that's everything.",
        ],
        thanks: "Brilliant, thanks for the quick help.",
    },
    Script {
        queue: "Orders",
        opening: "I got the wrong size of the running shoes I ordered.",
        replies: &[
            "DR-39920, it should be a 42 but I got a 44.",
            "An exchange would be best.",
            "Okay, I'll wait for the email.",
        ],
        thanks: "Thanks, have a nice day!",
    },
    Script {
        queue: "Returns",
        opening: "I'd like to return a jacket, it doesn't fit. How do I do that?",
        replies: &[
            "It's order DR-45510.",
            "I bought it two weeks ago.",
            "Got the label, thanks.",
        ],
        thanks: "That was easy, thank you!",
    },
    Script {
        queue: "Returns",
        opening: "I sent a return back 10 days ago and haven't had my refund yet.",
        replies: &[
            "DR-40188. The parcel was delivered to you last Tuesday.",
            "Okay, so 3 to 5 more days?",
            "Fine, I'll keep an eye on it.",
        ],
        thanks: "Thanks for checking.",
    },
    Script {
        queue: "Billing",
        opening: "I was charged twice for the same order.",
        replies: &[
            "DR-47302, both charges are 59.90.",
            "It's a Visa card ending in 4417.",
            "Alright, thanks for sorting that out.",
        ],
        thanks: "Thank you, much appreciated.",
    },
    Script {
        queue: "Billing",
        opening: "Can I get a VAT invoice for my company for last month's order?",
        replies: &[
            "Order DR-44871, company name Nordlicht GmbH.",
            "Please send it to accounts@nordlicht.example.",
            "Perfect.",
        ],
        thanks: "Great, thanks!",
    },
    Script {
        queue: "Spanish",
        opening: "Hola, mi pedido llegó incompleto, falta una camiseta.",
        replies: &[
            "Es el pedido DR-50234.",
            "Sí, la camiseta azul talla M.",
            "Vale, muchas gracias.",
        ],
        thanks: "¡Gracias por la ayuda!",
    },
    Script {
        queue: "Spanish",
        opening: "Buenas, ¿puedo pagar a plazos con tarjeta?",
        replies: &[
            "Es para un pedido de 320 euros.",
            "De acuerdo, lo haré así.",
            "Nada más, gracias.",
        ],
        thanks: "¡Perfecto, gracias!",
    },
];

/// What a simulated agent says, in English or Spanish.
#[derive(Debug, Clone, Copy)]
pub struct AgentLines {
    pub greeting: &'static str,
    pub replies: &'static [&'static str],
    pub closing: &'static str,
}

pub const AGENT_LINES_EN: AgentLines = AgentLines {
    greeting: "Hi {first}, thanks for waiting! I'm {agent}. Let me look into that for you.",
    replies: &[
        "Could you give me your order number? It starts with DR-.",
        "Thanks, I've found it. One moment while I check the details.",
        "All sorted on my side. I've sent you an email with the details.",
        "You're welcome! Is there anything else I can help with?",
    ],
    closing: "Thanks for contacting Demo Retail, {first}. Have a great day!",
};

pub const AGENT_LINES_ES: AgentLines = AgentLines {
    greeting: "¡Hola {first}! Soy {agent}, gracias por esperar. Lo reviso ahora mismo.",
    replies: &[
        "¿Me das el número de pedido? Empieza por DR-.",
        "Gracias, ya lo tengo. Un momento mientras lo compruebo.",
        "Listo, te he enviado un correo con los detalles.",
        "¿Hay algo más en lo que pueda ayudarte?",
    ],
    closing: "Gracias por contactar con Demo Retail, {first}. ¡Que tengas un buen día!",
};

/// What customers of each queue wrote first in the demo's past weeks.
pub fn openings_for(queue: &str) -> &'static [&'static str] {
    match queue {
        "Orders" => &[
            "Hi, my order hasn't arrived yet and the tracking page hasn't changed in three days.",
            "Can I still change the delivery address on my order?",
            "The parcel says delivered but it isn't here.",
            "When will my order ship? It still says processing.",
            "I got the wrong size of the shoes I ordered.",
            "One item is missing from my parcel.",
        ],
        "Returns" => &[
            "I'd like to return a jacket, it doesn't fit. How do I do that?",
            "I sent a return back 10 days ago and haven't had my refund yet.",
            "Can I exchange the jeans for a bigger size?",
            "The return label link doesn't open.",
            "Do I have to pay for the return shipping?",
        ],
        "Billing" => &[
            "I was charged twice for the same order.",
            "Can I get a VAT invoice for my company for last month's order?",
            "My card payment was declined but the money left my account.",
            "How do I pay in instalments?",
            "The refund went to an old card, can you change it?",
        ],
        "Spanish" => &[
            "Hola, mi pedido llegó incompleto, falta una camiseta.",
            "Buenas, ¿puedo pagar a plazos con tarjeta?",
            "¿Cuándo llega mi pedido? Sigue en preparación.",
            "Quiero devolver unas zapatillas, ¿cómo lo hago?",
        ],
        _ => &["Hi, I have a question about my order."],
    }
}

/// What customers began to write in the demo's last week of history: a problem that
/// is new, for Insight's rising phrases.
pub const NEW_THIS_WEEK: &[&str] = &[
    "The discount code from your newsletter is rejected at checkout.",
    "Your checkout says my discount code has expired but I got it yesterday.",
    "Why doesn't the discount code work on sale items?",
];

/// The wrap-up code a simulated agent picks for a queue (its name, which the server
/// accepts as the code).
pub fn wrapup_for(queue: &str) -> &'static str {
    let code = match queue {
        "Orders" => "order_status",
        "Returns" => "return_label",
        "Billing" => "payment_fixed",
        _ => "resolved",
    };
    WRAPUP_CODES
        .iter()
        .find(|w| w.code == code)
        .map(|w| w.name)
        .unwrap_or("Resolved")
}

/// The routing policy of a queue: the target expression first, and the relaxed one
/// after `relax_after_s` (routing's expression language).
pub fn policy_steps(q: &QueueSeed) -> [(u32, String); 2] {
    [
        (0, format!("skill.{} >= {}", q.skill, q.preferred_level)),
        (
            q.relax_after_s,
            format!("skill.{} >= {}", q.skill, q.relaxed_level),
        ),
    ]
}

pub const FIRST_NAMES: &[&str] = &[
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Sofia", "Leo", "Chloe",
    "Mason", "Zoe", "Arjun", "Amara", "Finn", "Hana", "Diego", "Nora", "Kai",
];
pub const SPANISH_FIRST_NAMES: &[&str] = &[
    "Carmen", "Javier", "Lucía", "Pablo", "Elena", "Sergio", "Marta", "Andrés", "Paula", "Raúl",
];
pub const LAST_NAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Nguyen",
    "Müller",
    "Rossi",
    "Dubois",
    "Silva",
    "Kowalski",
    "Hansen",
    "O'Brien",
    "Novak",
    "Fischer",
    "Yilmaz",
    "Andersson",
    "Costa",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn people_are_unique_and_cover_every_queue() {
        let emails: HashSet<_> = PEOPLE.iter().map(|p| p.email).collect();
        assert_eq!(emails.len(), PEOPLE.len());
        let agents: Vec<_> = PEOPLE.iter().filter(|p| p.role == Role::Agent).collect();
        assert!((10..=14).contains(&agents.len()), "about a dozen agents");
        assert_eq!(
            PEOPLE.iter().filter(|p| p.role == Role::Supervisor).count(),
            1
        );
        assert_eq!(PEOPLE.iter().filter(|p| p.role == Role::Admin).count(), 1);
        assert!(
            agents.iter().filter(|a| !a.simulated).count() >= 2,
            "free agents for people"
        );
        for q in QUEUES {
            let skilled = |sim: bool| {
                agents.iter().filter(|a| a.simulated == sim).any(|a| {
                    a.skills
                        .iter()
                        .any(|(s, l)| *s == q.skill && *l >= q.relaxed_level)
                })
            };
            assert!(skilled(true), "a simulated agent serves {}", q.name);
            assert!(skilled(false), "a free agent serves {}", q.name);
            assert!(q.relaxed_level <= q.preferred_level);
        }
        for p in PEOPLE {
            for (skill, level) in p.skills {
                assert!(
                    QUEUES.iter().any(|q| q.skill == *skill),
                    "unknown skill {skill}"
                );
                assert!((1..=5).contains(level));
            }
        }
    }

    #[test]
    fn every_simulated_agent_offers_a_realistic_spread_of_hours() {
        let simulated: HashSet<_> = PEOPLE
            .iter()
            .filter(|p| p.simulated)
            .map(|p| p.email)
            .collect();
        let seeded: HashSet<_> = OFFERED_HOURS.iter().map(|h| h.email).collect();
        assert_eq!(simulated, seeded, "each simulated agent, once");
        assert_eq!(seeded.len(), OFFERED_HOURS.len());
        for h in OFFERED_HOURS {
            assert!(1.0 <= h.min_week_hours && h.min_week_hours <= h.max_week_hours);
            assert!(h.max_week_hours <= 30.0, "{}", h.email);
            if let Some(p) = h.peak_max_week_hours {
                assert!(h.max_week_hours <= p && p <= 60.0);
            }
            assert!(!h.windows.is_empty());
            for (d, a, b) in h.windows {
                assert!(*d <= 6 && a < b && b.len() == 5, "{}", h.email);
            }
        }
        let most = OFFERED_HOURS
            .iter()
            .filter(|h| (20.0..30.0).contains(&h.max_week_hours))
            .count();
        assert!(most * 2 > OFFERED_HOURS.len(), "most offer 20–29 hours");
        assert!(OFFERED_HOURS.iter().any(|h| h.max_week_hours < 20.0));
        assert!(
            OFFERED_HOURS
                .iter()
                .any(|h| h.peak_max_week_hours == Some(60.0))
        );
    }

    #[test]
    fn scripts_and_codes_match_the_queues() {
        for q in QUEUES {
            assert!(
                SCRIPTS.iter().any(|s| s.queue == q.name),
                "a script for {}",
                q.name
            );
            assert!(WRAPUP_CODES.iter().any(|w| w.name == wrapup_for(q.name)));
            assert_eq!(
                policy_steps(q)[0].1,
                format!("skill.{} >= {}", q.skill, q.preferred_level)
            );
        }
        for s in SCRIPTS {
            assert!(QUEUES.iter().any(|q| q.name == s.queue));
            assert!(!s.replies.is_empty());
        }
        let shortcuts: HashSet<_> = CANNED.iter().map(|c| c.shortcut).collect();
        assert_eq!(shortcuts.len(), CANNED.len());
        assert!(PASSWORD.len() >= 12);
    }
}
