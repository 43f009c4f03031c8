//! Trunks as an organisation configures them, and the directory the SIP driver looks
//! calls up in.
//!
//! A trunk is where calls come from: the numbers it brings calls for (each to a queue),
//! the addresses that may send them without a password, the digest credentials that
//! may send them from anywhere else, and the provider Homeshore registers with when the
//! provider wants a registration. Passwords are sealed at rest and never read back; for
//! calls in only the digest HA1 is kept (it is what verifying needs).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use store::{Object, ObjectKind, Store as _};
use uuid::Uuid;
use voice::access::Cidr;
use voice::flow::Flow;

use crate::{ApiError, ApiResult, AppState};

/// The digest realm Homeshore challenges calls with.
pub const REALM: &str = "homeshore";
/// The sealed fields' names (the sealer binds each value to its field).
pub const HA1_FIELD: &str = "trunk_digest_ha1";
pub const REGISTER_PASSWORD_FIELD: &str = "trunk_register_password";

/// One number a trunk brings calls for, and the queue its calls wait in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberRoute {
    /// The dialled number as the provider sends it in the Request-URI, E.164 with or
    /// without `+` (`+15550100`).
    pub number: String,
    /// The queue its calls wait in (and the default of its contact flow's steps).
    pub queue_id: Uuid,
    /// The contact flow (IVR) callers go through first, by name; straight to the queue
    /// when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
}

/// Registering with the provider (when it wants to know where to send calls).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterIn {
    /// The provider's registrar, `host` or `host:port` (5060 when left out).
    pub registrar: String,
    pub username: String,
    /// Write only: left out, the stored one is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Seconds asked for (60 to 86,400; 3,600 when left out).
    #[serde(default = "default_expires")]
    pub expires: u32,
}

fn default_expires() -> u32 {
    3600
}

fn default_true() -> bool {
    true
}

/// A trunk as written by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrunkIn {
    #[serde(default = "default_true")]
    pub enabled: bool,
    pub numbers: Vec<NumberRoute>,
    /// Addresses calls may come from without credentials: `203.0.113.0/24`,
    /// `198.51.100.7`, `2001:db8::/32`.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Digest credentials a call from any other address must answer a challenge with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Write only: left out, the stored one is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<RegisterIn>,
    /// Where calls out go (callbacks): the carrier's SIP address, `host` or
    /// `host:port`; the registrar when left out. Calls out answer the carrier's digest
    /// challenge with the registration's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbound: Option<String>,
}

/// A trunk as stored: passwords sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrunkData {
    #[serde(flatten)]
    pub trunk: TrunkIn,
    #[serde(default)]
    pub ha1_sealed: Option<String>,
    #[serde(default)]
    pub register_password_sealed: Option<String>,
}

/// A trunk as read back: no secrets, only whether they are set.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrunkOut {
    pub name: String,
    pub enabled: bool,
    pub numbers: Vec<NumberRoute>,
    pub allow: Vec<String>,
    pub username: Option<String>,
    /// Whether calls can authenticate with a password.
    pub password_set: bool,
    pub register: Option<RegisterOut>,
    pub outbound: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegisterOut {
    pub registrar: String,
    pub username: String,
    pub expires: u32,
    pub password_set: bool,
}

impl TrunkOut {
    pub fn of(name: String, d: &TrunkData) -> TrunkOut {
        TrunkOut {
            name,
            enabled: d.trunk.enabled,
            numbers: d.trunk.numbers.clone(),
            allow: d.trunk.allow.clone(),
            username: d.trunk.username.clone(),
            password_set: d.ha1_sealed.is_some(),
            register: d.trunk.register.as_ref().map(|r| RegisterOut {
                registrar: r.registrar.clone(),
                username: r.username.clone(),
                expires: r.expires,
                password_set: d.register_password_sealed.is_some(),
            }),
            outbound: d.trunk.outbound.clone(),
        }
    }
}

/// A dialled number as the directory keys it: digits only (`+1 555-0100` → `15550100`).
pub fn number_key(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

impl TrunkIn {
    /// Checks what can be checked without the store; every error names its field.
    pub fn validate(&self) -> ApiResult<()> {
        if self.numbers.is_empty() || self.numbers.len() > 1000 {
            return Err(ApiError::invalid(
                "numbers: 1 to 1,000 numbers, each with the queue its calls wait in",
            ));
        }
        for (i, n) in self.numbers.iter().enumerate() {
            let digits = number_key(&n.number);
            let ok_chars = n
                .number
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !ok_chars || !(3..=15).contains(&digits.len()) {
                return Err(ApiError::invalid(format!(
                    "numbers[{i}].number: 3 to 15 digits, e.g. +15550100"
                )));
            }
            if let Some(f) = &n.flow
                && (f.is_empty() || f.len() > 64)
            {
                return Err(ApiError::invalid(format!(
                    "numbers[{i}].flow: a contact flow's name"
                )));
            }
        }
        for (i, a) in self.allow.iter().enumerate() {
            Cidr::parse(a).map_err(|e| {
                ApiError::invalid(format!(
                    "allow[{i}]: {} (an address or a block such as 203.0.113.0/24)",
                    e.0
                ))
            })?;
        }
        if let Some(u) = &self.username
            && (u.is_empty() || u.len() > 64 || u.contains(['"', '\\', ':']))
        {
            return Err(ApiError::invalid(
                "username: 1 to 64 characters, no quotes, backslashes or colons",
            ));
        }
        if self.password.is_some() && self.username.is_none() {
            return Err(ApiError::invalid("username: a password needs a username"));
        }
        if let Some(p) = &self.password
            && !(12..=128).contains(&p.len())
        {
            return Err(ApiError::invalid("password: 12 to 128 characters"));
        }
        if let Some(r) = &self.register {
            if registrar_addr(&r.registrar).is_none() {
                return Err(ApiError::invalid(
                    "register.registrar: host or host:port, e.g. sip.provider.example:5060",
                ));
            }
            if r.username.is_empty() || r.username.len() > 64 {
                return Err(ApiError::invalid("register.username: 1 to 64 characters"));
            }
            if let Some(p) = &r.password
                && (p.is_empty() || p.len() > 128)
            {
                return Err(ApiError::invalid("register.password: 1 to 128 characters"));
            }
            if !(60..=86_400).contains(&r.expires) {
                return Err(ApiError::invalid("register.expires: 60 to 86,400 seconds"));
            }
        }
        if let Some(o) = &self.outbound
            && registrar_addr(o).is_none()
        {
            return Err(ApiError::invalid(
                "outbound: host or host:port, e.g. sip.provider.example:5060",
            ));
        }
        Ok(())
    }
}

/// `host[:port]` of a registrar, checked for shape (resolved by the driver).
pub fn registrar_addr(s: &str) -> Option<(String, u16)> {
    let s = s.trim();
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, p.parse().ok()?),
        _ => (s, 5060),
    };
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    ok.then(|| (host.to_string(), port))
}

/// What the driver knows about one trunk.
#[derive(Debug, Clone)]
pub struct TrunkEntry {
    pub org: Uuid,
    pub name: String,
    pub allow: Vec<Cidr>,
    /// (username, HA1).
    pub digest: Option<(String, String)>,
    pub register: Option<Registration>,
    /// Where calls out go, `(host, port)`: `outbound`, else the registrar.
    pub outbound: Option<(String, u16)>,
    /// The number calls out show: the trunk's first.
    pub caller_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub expires: u32,
}

/// Where a dialled number leads.
#[derive(Debug, Clone)]
pub struct Route {
    /// Index into `Directory::trunks`.
    pub trunk: usize,
    pub queue: Uuid,
    /// Its contact flow, when it names one that exists.
    pub flow: Option<(String, Arc<Flow>)>,
}

/// Every enabled trunk of every organisation, which trunk each number belongs to, and
/// the contact flows the numbers name.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub trunks: Vec<TrunkEntry>,
    /// Number (digits) → where it leads.
    pub numbers: HashMap<String, Route>,
    /// (organisation, sentence key) → an admin's recording of it, 8 kHz.
    pub recorded: HashMap<(Uuid, String), Arc<Vec<i16>>>,
}

impl Directory {
    /// Reads every organisation's trunks. A number claimed twice goes to the trunk read
    /// first (the API refuses a number another trunk holds, so this needs a race).
    pub async fn load(state: &AppState) -> ApiResult<Directory> {
        let mut dir = Directory::default();
        for org in state.store().list_orgs().await? {
            let flows: HashMap<String, Arc<Flow>> =
                crate::contacts::load_all_objects(state, org.id, ObjectKind::CallFlow)
                    .await?
                    .into_iter()
                    .filter_map(|o| {
                        let f = flow_of(&o.data);
                        if f.is_none() {
                            tracing::warn!(flow = %o.name, org = %o.org_id, "a stored contact flow no longer reads; its numbers go straight to their queues");
                        }
                        Some((o.name, Arc::new(f?)))
                    })
                    .collect();
            for o in crate::contacts::load_all_objects(state, org.id, ObjectKind::Trunk).await? {
                dir.add(state, &o, &flows);
            }
            for o in
                crate::contacts::load_all_objects(state, org.id, ObjectKind::VoicePrompt).await?
            {
                let rec = serde_json::from_value::<super::prompts::Recorded>(o.data).ok();
                match rec.as_ref().and_then(|r| Some((r, r.samples()?))) {
                    Some((r, pcm)) => {
                        dir.recorded.insert(
                            (org.id, super::prompts::sentence_key(&r.text)),
                            Arc::new(pcm),
                        );
                    }
                    None => {
                        tracing::warn!(prompt = %o.name, org = %o.org_id, "a stored recording no longer reads; the sentence is spoken instead")
                    }
                }
            }
        }
        Ok(dir)
    }

    fn add(&mut self, state: &AppState, o: &Object, flows: &HashMap<String, Arc<Flow>>) {
        let Ok(d) = serde_json::from_value::<TrunkData>(o.data.clone()) else {
            tracing::warn!(trunk = %o.name, org = %o.org_id, "a stored trunk no longer reads; skipped");
            return;
        };
        if !d.trunk.enabled {
            return;
        }
        let open = |field: &str, v: &Option<String>| {
            v.as_deref()
                .and_then(|s| state.sealer().open(o.org_id, field, s))
        };
        let digest = match (&d.trunk.username, open(HA1_FIELD, &d.ha1_sealed)) {
            (Some(u), Some(h)) => Some((u.clone(), h)),
            _ => None,
        };
        let register = d.trunk.register.as_ref().and_then(|r| {
            let (host, port) = registrar_addr(&r.registrar)?;
            Some(Registration {
                host,
                port,
                username: r.username.clone(),
                password: open(REGISTER_PASSWORD_FIELD, &d.register_password_sealed)?,
                expires: r.expires,
            })
        });
        let i = self.trunks.len();
        let outbound = d
            .trunk
            .outbound
            .as_deref()
            .and_then(registrar_addr)
            .or_else(|| register.as_ref().map(|r| (r.host.clone(), r.port)));
        let caller_id = d
            .trunk
            .numbers
            .first()
            .map(|n| format!("+{}", number_key(&n.number)))
            .unwrap_or_default();
        self.trunks.push(TrunkEntry {
            org: o.org_id,
            name: o.name.clone(),
            allow: d
                .trunk
                .allow
                .iter()
                .filter_map(|a| Cidr::parse(a).ok())
                .collect(),
            digest,
            register,
            outbound,
            caller_id,
        });
        for n in &d.trunk.numbers {
            let flow = n
                .flow
                .as_ref()
                .and_then(|f| Some((f.clone(), flows.get(f)?.clone())));
            self.numbers.entry(number_key(&n.number)).or_insert(Route {
                trunk: i,
                queue: n.queue_id,
                flow,
            });
        }
    }

    /// The trunk of a dialled number, and where it leads.
    pub fn lookup(&self, number: &str) -> Option<(&TrunkEntry, &Route)> {
        let r = self.numbers.get(&number_key(number))?;
        Some((&self.trunks[r.trunk], r))
    }

    /// Which organisation's trunk holds `number`, other than (`org`, `name`).
    pub fn holder(&self, number: &str, org: Uuid, name: &str) -> Option<(Uuid, String)> {
        let (t, _) = self.lookup(number)?;
        (t.org != org || t.name != name).then(|| (t.org, t.name.clone()))
    }
}

/// A stored contact flow object's flow (`{"flow": {...}}`).
pub fn flow_of(data: &serde_json::Value) -> Option<Flow> {
    serde_json::from_value(data.get("flow")?.clone()).ok()
}

/// Where a registrar's datagrams go, resolved once per reload.
pub async fn resolve(host: &str, port: u16) -> Option<SocketAddr> {
    tokio::net::lookup_host((host, port))
        .await
        .ok()?
        .find(SocketAddr::is_ipv4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trunk() -> TrunkIn {
        TrunkIn {
            enabled: true,
            numbers: vec![NumberRoute {
                number: "+1 555-0100".into(),
                queue_id: Uuid::nil(),
                flow: None,
            }],
            allow: vec!["203.0.113.0/24".into()],
            username: None,
            password: None,
            register: None,
            outbound: None,
        }
    }

    #[test]
    fn numbers_are_keyed_by_their_digits() {
        assert_eq!(number_key("+1 (555) 010-0"), "15550100");
        assert_eq!(number_key("sip"), "");
    }

    #[test]
    fn validation_names_the_field_at_fault() {
        assert!(trunk().validate().is_ok());
        let mut t = trunk();
        t.allow.push("10.0.0.0/99".into());
        assert!(format!("{:?}", t.validate().unwrap_err()).contains("allow[1]"));
        let mut t = trunk();
        t.numbers[0].number = "call me".into();
        assert!(format!("{:?}", t.validate().unwrap_err()).contains("numbers[0].number"));
        let mut t = trunk();
        t.password = Some("long enough password".into());
        assert!(format!("{:?}", t.validate().unwrap_err()).contains("username"));
        let mut t = trunk();
        t.register = Some(RegisterIn {
            registrar: "sip.provider.example:70000".into(),
            username: "u".into(),
            password: None,
            expires: 3600,
        });
        assert!(format!("{:?}", t.validate().unwrap_err()).contains("register.registrar"));
    }

    #[test]
    fn registrars_default_to_port_5060() {
        assert_eq!(
            registrar_addr("sip.example"),
            Some(("sip.example".into(), 5060))
        );
        assert_eq!(
            registrar_addr("127.0.0.1:5070"),
            Some(("127.0.0.1".into(), 5070))
        );
        assert_eq!(registrar_addr("bad host"), None);
    }
}
