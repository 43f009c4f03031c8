//! Single sign-on for staff with OpenID Connect: each organisation may name its own
//! identity provider (Okta, Entra ID, Keycloak, Google…), so that people sign in with
//! the account their company already manages, and leaving the company ends their access.
//!
//! - The settings ([`SsoSettings`]) are one `sso_config` object per organisation; the
//!   client secret is sealed like providers' credentials ([`crate::secrets`]).
//! - Sign-in is the authorization-code flow with PKCE (S256): `start` sends the browser
//!   to the provider with a fresh `state` and `nonce`, kept with the PKCE verifier in a
//!   sealed, ten-minute cookie scoped to `/api/auth/sso` (so nothing is stored
//!   server-side and any node can take the callback). The callback exchanges the code,
//!   then checks the ID token itself ([`verify_id_token`]): RS256 or ES256 signature
//!   against the provider's published keys, issuer, audience, expiry, nonce. Nothing
//!   else is trusted: `alg: none` and HMAC algorithms are refused.
//! - Discovery documents and key sets are cached for fifteen minutes; an unknown key id
//!   refetches the key set (a provider rotating its keys), at most once a minute.
//! - The user's groups (the `groups` claim by default) choose the role by the
//!   organisation's rules, first match wins; no match gives the default role, or no
//!   access. Users are found by email; an unknown email is created just in time when
//!   the organisation allows it. Every sign-in brings the role up to date.
//! - The session is the same as a password sign-in's. MFA: when the provider's `amr`
//!   claim reports a second factor ([`MFA_AMR`]), the session counts as two-factor
//!   authenticated; an organisation that requires MFA refuses a provider sign-in that
//!   does not report one (the provider is where staff prove a second factor then).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use store::Role;

/// The name of the organisation's settings object.
pub const CONFIG_NAME: &str = "oidc";
/// The field the client secret is sealed under.
pub const SECRET_FIELD: &str = "oidc_client_secret";
/// The sealed cookie that carries `state`, `nonce` and the PKCE verifier.
pub const STATE_COOKIE: &str = "hs_sso";
/// How long a started sign-in may take at the provider.
pub const STATE_TTL_SECS: i64 = 600;

/// The scopes asked for unless the admin says otherwise.
pub const DEFAULT_SCOPES: &str = "openid email profile";

fn default_scopes() -> String {
    DEFAULT_SCOPES.into()
}

/// `amr` values (RFC 8176) that mean a second factor was proven.
pub const MFA_AMR: &[&str] = &["mfa", "otp", "hwk", "sc", "swk", "fpt", "face", "iris"];

/// One rule of the group-to-role mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRule {
    /// A group name (or id) as the provider sends it in the groups claim.
    pub group: String,
    /// `admin`, `supervisor`, `agent`, `analyst`.
    #[schema(value_type = String, example = "agent")]
    pub role: Role,
}

/// An organisation's single sign-on settings, as stored (the secret sealed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoSettings {
    pub enabled: bool,
    /// Shown on the sign-in page: "Sign in with {provider_name}".
    pub provider_name: String,
    pub issuer: String,
    pub client_id: String,
    /// Sealed ([`SECRET_FIELD`]).
    pub client_secret: String,
    /// Scopes asked for, space-separated ([`DEFAULT_SCOPES`]).
    #[serde(default = "default_scopes")]
    pub scopes: String,
    pub groups_claim: String,
    pub role_rules: Vec<RoleRule>,
    /// The role of a user none of whose groups has a rule; `None`: no access.
    pub default_role: Option<Role>,
    /// Create an account at the first sign-in of an unknown email.
    pub jit: bool,
    /// Whether staff may still sign in with a password (admins always may: the way in
    /// when the provider is down or misconfigured).
    pub password_login: bool,
}

/// Whether `url` may be used for the provider: https, or http on a loopback host (a
/// provider on the same machine, as in tests).
pub fn allowed_url(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    match u.scheme() {
        "https" => u.host_str().is_some(),
        "http" => match u.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        },
        _ => false,
    }
}

impl SsoSettings {
    /// Check sizes and shapes; the messages name the field.
    pub fn validate(&self) -> Result<(), String> {
        let text = |name: &str, v: &str, max: usize| -> Result<(), String> {
            if v.trim().is_empty() || v.len() > max {
                Err(format!("{name}: 1 to {max} characters"))
            } else {
                Ok(())
            }
        };
        text("provider_name", &self.provider_name, 60)?;
        text("issuer", &self.issuer, 500)?;
        text("client_id", &self.client_id, 500)?;
        text("groups_claim", &self.groups_claim, 100)?;
        text("scopes", &self.scopes, 500)?;
        if !self.scopes.split_whitespace().any(|s| s == "openid") {
            return Err("scopes: must include openid".into());
        }
        if !allowed_url(&self.issuer) {
            return Err(
                "issuer: an https:// URL (http:// only on this machine: localhost, 127.0.0.1)"
                    .into(),
            );
        }
        if self.issuer.contains(['?', '#']) {
            return Err("issuer: no query or fragment".into());
        }
        if self.role_rules.len() > 100 {
            return Err("role_rules: at most 100".into());
        }
        for r in &self.role_rules {
            if r.group.trim().is_empty() || r.group.len() > 200 {
                return Err("role_rules: each group 1 to 200 characters".into());
            }
        }
        Ok(())
    }

    /// The role for someone in `groups`: the first rule whose group they are in, else
    /// the default role; `None`: no access.
    pub fn role_for(&self, groups: &[String]) -> Option<Role> {
        self.mapped_role(groups).or(self.default_role)
    }

    /// The role a rule gives someone in `groups`, if any rule matches.
    pub fn mapped_role(&self, groups: &[String]) -> Option<Role> {
        self.role_rules
            .iter()
            .find(|r| groups.iter().any(|g| g == &r.group))
            .map(|r| r.role)
    }
}

/// The groups in `claims[claim]`: a list of strings, or one string.
pub fn groups_of(claims: &Value, claim: &str) -> Vec<String> {
    match claims.get(claim) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|g| g.as_str().map(str::to_string))
            .take(1000)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// Whether the ID token's `amr` reports a second factor.
pub fn reports_mfa(claims: &Value) -> bool {
    claims
        .get("amr")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter()
                .any(|v| v.as_str().is_some_and(|s| MFA_AMR.contains(&s)))
        })
}

// ---------- PKCE, state ----------

/// A PKCE verifier (43 characters) and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = crate::auth::random_secret();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// What the sealed cookie carries between `start` and the callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub return_to: String,
    /// Unix seconds after which the callback refuses it.
    pub exp: i64,
}

/// A path on this server to come back to after sign-in (`/agent/`, `/admin/`…);
/// anything else (another site, `//host`, odd characters) is `/agent/`.
pub fn safe_return_to(p: Option<&str>) -> String {
    match p {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && p.len() <= 200
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b)) =>
        {
            p.to_string()
        }
        _ => "/agent/".into(),
    }
}

// ---------- the provider: discovery and keys ----------

/// The parts of the discovery document Homeshore uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

/// One key of a JWK set (RSA or P-256 EC public keys; others are ignored).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

/// A provider's discovery document and keys, as cached.
#[derive(Debug)]
pub struct Provider {
    pub discovery: Discovery,
    keys: Mutex<(Vec<Jwk>, Instant)>,
    fetched: Instant,
}

const DISCOVERY_TTL: Duration = Duration::from_secs(15 * 60);
const JWKS_REFRESH_MIN: Duration = Duration::from_secs(60);

fn cache() -> &'static Mutex<HashMap<String, Arc<Provider>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Provider>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        crate::http_client_builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

/// Why talking to the provider failed (logged; the browser gets a sentence).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the provider answered {0}")]
    Status(String),
    #[error("the provider's answer is not what OpenID Connect says: {0}")]
    Malformed(String),
}

async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, ProviderError> {
    let r = client()
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    if !r.status().is_success() {
        return Err(ProviderError::Status(format!("{} at {url}", r.status())));
    }
    let bytes = r
        .bytes()
        .await
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    if bytes.len() > 512 * 1024 {
        return Err(ProviderError::Malformed(format!("{url}: too large")));
    }
    serde_json::from_slice(&bytes).map_err(|e| ProviderError::Malformed(format!("{url}: {e}")))
}

/// The provider of `issuer`, from the cache or fetched (discovery, then keys).
pub async fn provider(issuer: &str) -> Result<Arc<Provider>, ProviderError> {
    let key = issuer.trim_end_matches('/').to_string();
    if let Some(p) = cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .filter(|p| p.fetched.elapsed() < DISCOVERY_TTL)
    {
        return Ok(p.clone());
    }
    let d: Discovery = get_json(&format!("{key}/.well-known/openid-configuration")).await?;
    if d.issuer.trim_end_matches('/') != key {
        return Err(ProviderError::Malformed(format!(
            "its discovery document names the issuer {} instead of {key}",
            d.issuer
        )));
    }
    for u in [&d.authorization_endpoint, &d.token_endpoint, &d.jwks_uri] {
        if !allowed_url(u) {
            return Err(ProviderError::Malformed(format!(
                "{u} is not https (nor on this machine)"
            )));
        }
    }
    let set: JwkSet = get_json(&d.jwks_uri).await?;
    let p = Arc::new(Provider {
        discovery: d,
        keys: Mutex::new((set.keys, Instant::now())),
        fetched: Instant::now(),
    });
    cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, p.clone());
    Ok(p)
}

impl Provider {
    pub fn keys(&self) -> Vec<Jwk> {
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .clone()
    }

    /// Fetch the keys again (a token signed with a key id we do not know), at most
    /// once a minute. Whether it fetched.
    pub async fn refresh_keys(&self) -> bool {
        {
            let k = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            if k.1.elapsed() < JWKS_REFRESH_MIN {
                return false;
            }
        }
        match get_json::<JwkSet>(&self.discovery.jwks_uri).await {
            Ok(set) => {
                *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = (set.keys, Instant::now());
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "refreshing the identity provider's keys failed");
                false
            }
        }
    }

    /// Exchange an authorization code for the ID token (client_secret_basic, or
    /// client_secret_post when the provider supports only that).
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Tokens, ProviderError> {
        let methods = &self.discovery.token_endpoint_auth_methods_supported;
        let post_only = !methods.is_empty()
            && !methods.iter().any(|m| m == "client_secret_basic")
            && methods.iter().any(|m| m == "client_secret_post");
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        let mut req = client()
            .post(&self.discovery.token_endpoint)
            .header("accept", "application/json");
        if post_only {
            form.push(("client_id", client_id));
            form.push(("client_secret", client_secret));
        } else {
            // RFC 6749 §2.3.1: both parts form-urlencoded before Basic.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            req = req.basic_auth(enc(client_id), Some(enc(client_secret)));
        }
        let r = req
            .form(&form)
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
        let status = r.status();
        let body: Value = r
            .json()
            .await
            .map_err(|e| ProviderError::Malformed(format!("token endpoint: {e}")))?;
        if !status.is_success() {
            return Err(ProviderError::Status(format!(
                "{status} at the token endpoint: {} {}",
                body["error"].as_str().unwrap_or(""),
                body["error_description"].as_str().unwrap_or("")
            )));
        }
        let id_token = body["id_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ProviderError::Malformed("no id_token in the token answer".into()))?;
        Ok(Tokens {
            id_token,
            access_token: body["access_token"].as_str().map(str::to_string),
        })
    }

    /// The userinfo endpoint's claims, when the provider has one (`None` on any failure:
    /// the ID token's claims are what count).
    pub async fn userinfo(&self, access_token: Option<&str>) -> Option<Value> {
        let url = self.discovery.userinfo_endpoint.as_deref()?;
        if !allowed_url(url) {
            return None;
        }
        let r = client()
            .get(url)
            .bearer_auth(access_token?)
            .header("accept", "application/json")
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    }
}

/// What the token endpoint answered.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: Option<String>,
}

// ---------- the ID token ----------

/// What the ID token must say.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Unix seconds.
    pub now: i64,
}

/// Why an ID token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the ID token is not a signed JWT")]
    Malformed,
    #[error("the ID token is signed with {0}, which Homeshore does not accept (RS256, ES256)")]
    Algorithm(String),
    #[error("no key of the provider matches the ID token's key id")]
    UnknownKey,
    #[error("the ID token's signature does not verify")]
    Signature,
    #[error("the ID token was issued by someone else")]
    Issuer,
    #[error("the ID token is for another application (audience)")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token is not valid yet")]
    NotYetValid,
    #[error("the ID token's nonce is not this sign-in's")]
    Nonce,
}

/// Clock skew allowed either way, seconds.
const SKEW: i64 = 60;

fn b64(s: &str) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| TokenError::Malformed)
}

fn verify_with(alg: &str, key: &Jwk, msg: &[u8], sig: &[u8]) -> Option<bool> {
    use ring::signature;
    match (alg, key.kty.as_str()) {
        ("RS256", "RSA") => {
            let n = b64(key.n.as_deref()?).ok()?;
            let e = b64(key.e.as_deref()?).ok()?;
            let pk = signature::RsaPublicKeyComponents { n: &n, e: &e };
            Some(
                pk.verify(&signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
                    .is_ok(),
            )
        }
        ("ES256", "EC") if key.crv.as_deref() == Some("P-256") => {
            let x = b64(key.x.as_deref()?).ok()?;
            let y = b64(key.y.as_deref()?).ok()?;
            if x.len() != 32 || y.len() != 32 {
                return Some(false);
            }
            let mut point = vec![4u8];
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            Some(
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(msg, sig)
                    .is_ok(),
            )
        }
        _ => None,
    }
}

/// The key id of a token's header, if it has one (to know whether to refresh keys).
pub fn token_kid(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let h: Value = serde_json::from_slice(&b64(header).ok()?).ok()?;
    h.get("kid").and_then(Value::as_str).map(str::to_string)
}

/// Verify an ID token against the provider's `keys` and what it must say; its claims.
/// Pure: the time is an input.
pub fn verify_id_token(token: &str, keys: &[Jwk], expect: &Expect) -> Result<Value, TokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header: Value = serde_json::from_slice(&b64(h)?).map_err(|_| TokenError::Malformed)?;
    let alg = header["alg"].as_str().ok_or(TokenError::Malformed)?;
    if alg != "RS256" && alg != "ES256" {
        return Err(TokenError::Algorithm(alg.to_string()));
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let sig = b64(s)?;
    let msg = format!("{h}.{p}");
    let kty = if alg == "RS256" { "RSA" } else { "EC" };
    let candidates: Vec<&Jwk> = keys
        .iter()
        .filter(|k| k.kty == kty)
        .filter(|k| k.use_.as_deref().is_none_or(|u| u == "sig"))
        .filter(|k| k.alg.as_deref().is_none_or(|a| a == alg))
        .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
        .collect();
    if candidates.is_empty() {
        return Err(TokenError::UnknownKey);
    }
    if !candidates
        .iter()
        .any(|k| verify_with(alg, k, msg.as_bytes(), &sig) == Some(true))
    {
        return Err(TokenError::Signature);
    }
    let claims: Value = serde_json::from_slice(&b64(p)?).map_err(|_| TokenError::Malformed)?;
    if claims["iss"].as_str().map(|i| i.trim_end_matches('/'))
        != Some(expect.issuer.trim_end_matches('/'))
    {
        return Err(TokenError::Issuer);
    }
    let aud_ok = match &claims["aud"] {
        Value::String(a) => a == expect.client_id,
        Value::Array(a) => {
            a.iter().any(|v| v.as_str() == Some(expect.client_id))
                && (a.len() == 1 || claims["azp"].as_str() == Some(expect.client_id))
        }
        _ => false,
    };
    if !aud_ok {
        return Err(TokenError::Audience);
    }
    let exp = claims["exp"].as_i64().ok_or(TokenError::Malformed)?;
    if exp + SKEW <= expect.now {
        return Err(TokenError::Expired);
    }
    if claims["nbf"]
        .as_i64()
        .is_some_and(|nbf| nbf - SKEW > expect.now)
        || claims["iat"]
            .as_i64()
            .is_some_and(|iat| iat - SKEW > expect.now)
    {
        return Err(TokenError::NotYetValid);
    }
    let nonce_ok = claims["nonce"]
        .as_str()
        .is_some_and(|n| crate::auth::constant_time_eq(n.as_bytes(), expect.nonce.as_bytes()));
    if !nonce_ok {
        return Err(TokenError::Nonce);
    }
    if claims["sub"].as_str().is_none_or(str::is_empty) {
        return Err(TokenError::Malformed);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
    use serde_json::json;

    /// A 2048-bit RSA key for the tests only (PKCS#1 DER, base64).
    const RSA_DER: &str = include_str!("../tests/data/sso_test_rsa.der.b64");

    fn rsa() -> (RsaKeyPair, Jwk) {
        let der = base64::engine::general_purpose::STANDARD
            .decode(RSA_DER.trim().replace('\n', ""))
            .unwrap();
        let kp = RsaKeyPair::from_der(&der).unwrap();
        let public = signature::RsaPublicKeyComponents::<Vec<u8>>::from(kp.public());
        let jwk = Jwk {
            kty: "RSA".into(),
            kid: Some("r1".into()),
            alg: Some("RS256".into()),
            use_: Some("sig".into()),
            n: Some(URL_SAFE_NO_PAD.encode(&public.n)),
            e: Some(URL_SAFE_NO_PAD.encode(&public.e)),
            crv: None,
            x: None,
            y: None,
        };
        (kp, jwk)
    }

    fn rs256(kp: &RsaKeyPair, header: Value, claims: &Value) -> String {
        let msg = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; kp.public().modulus_len()];
        kp.sign(
            &signature::RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            msg.as_bytes(),
            &mut sig,
        )
        .unwrap();
        format!("{msg}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    const NOW: i64 = 1_800_000_000;

    fn claims() -> Value {
        json!({"iss": "https://idp.example", "aud": "homeshore", "sub": "u1", "nonce": "n-1",
               "exp": NOW + 300, "iat": NOW, "email": "ann@acme.example", "groups": ["cc-agents"]})
    }

    fn expect() -> Expect<'static> {
        Expect {
            issuer: "https://idp.example",
            client_id: "homeshore",
            nonce: "n-1",
            now: NOW,
        }
    }

    fn hdr() -> Value {
        json!({"alg": "RS256", "kid": "r1", "typ": "JWT"})
    }

    #[test]
    fn a_good_rs256_token_verifies() {
        let (kp, jwk) = rsa();
        let c = verify_id_token(&rs256(&kp, hdr(), &claims()), &[jwk], &expect()).unwrap();
        assert_eq!(c["email"], "ann@acme.example");
    }

    #[test]
    fn bad_tokens_are_refused() {
        let (kp, jwk) = rsa();
        let keys = [jwk];
        let with = |f: &dyn Fn(&mut Value)| {
            let mut c = claims();
            f(&mut c);
            verify_id_token(&rs256(&kp, hdr(), &c), &keys, &expect())
        };
        assert_eq!(
            with(&|c| c["exp"] = json!(NOW - 61)),
            Err(TokenError::Expired)
        );
        assert_eq!(
            with(&|c| c["aud"] = json!("someone-else")),
            Err(TokenError::Audience)
        );
        assert_eq!(
            with(&|c| c["aud"] = json!(["homeshore", "other"])),
            Err(TokenError::Audience),
            "several audiences need azp"
        );
        assert!(
            with(&|c| {
                c["aud"] = json!(["homeshore", "other"]);
                c["azp"] = json!("homeshore");
            })
            .is_ok()
        );
        assert_eq!(with(&|c| c["nonce"] = json!("n-2")), Err(TokenError::Nonce));
        assert_eq!(
            with(&|c| {
                c.as_object_mut().unwrap().remove("nonce");
            }),
            Err(TokenError::Nonce)
        );
        assert_eq!(
            with(&|c| c["iss"] = json!("https://evil.example")),
            Err(TokenError::Issuer)
        );
        assert_eq!(
            with(&|c| c["nbf"] = json!(NOW + 600)),
            Err(TokenError::NotYetValid)
        );

        // A claim changed after signing: the signature no longer verifies.
        let good = rs256(&kp, hdr(), &claims());
        let parts: Vec<&str> = good.split('.').collect();
        let mut c = claims();
        c["groups"] = json!(["cc-admins"]);
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(c.to_string()),
            parts[2]
        );
        assert_eq!(
            verify_id_token(&forged, &keys, &expect()),
            Err(TokenError::Signature)
        );
        // An unknown key id.
        assert_eq!(
            verify_id_token(
                &rs256(&kp, json!({"alg": "RS256", "kid": "r9"}), &claims()),
                &keys,
                &expect()
            ),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn alg_none_and_hmac_are_refused() {
        let (_, jwk) = rsa();
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string()),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert_eq!(
            verify_id_token(&unsigned, std::slice::from_ref(&jwk), &expect()),
            Err(TokenError::Algorithm("none".into()))
        );
        let hs = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(json!({"alg": "HS256"}).to_string()),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert_eq!(
            verify_id_token(&hs, &[jwk], &expect()),
            Err(TokenError::Algorithm("HS256".into()))
        );
        assert_eq!(
            verify_id_token("not-a-jwt", &[], &expect()),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn es256_verifies_and_a_wrong_key_does_not() {
        let rng = SystemRandom::new();
        let make = || {
            let pk8 =
                EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .unwrap();
            let kp = EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                pk8.as_ref(),
                &rng,
            )
            .unwrap();
            let point = kp.public_key().as_ref().to_vec();
            let jwk = Jwk {
                kty: "EC".into(),
                kid: Some("e1".into()),
                alg: None,
                use_: None,
                n: None,
                e: None,
                crv: Some("P-256".into()),
                x: Some(URL_SAFE_NO_PAD.encode(&point[1..33])),
                y: Some(URL_SAFE_NO_PAD.encode(&point[33..65])),
            };
            (kp, jwk)
        };
        let (kp, jwk) = make();
        let (_, other) = make();
        let msg = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(json!({"alg": "ES256", "kid": "e1"}).to_string()),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        let sig = kp.sign(&rng, msg.as_bytes()).unwrap();
        let token = format!("{msg}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()));
        assert!(verify_id_token(&token, &[jwk], &expect()).is_ok());
        assert_eq!(
            verify_id_token(&token, &[other], &expect()),
            Err(TokenError::Signature)
        );
    }

    #[test]
    fn groups_map_to_roles_first_rule_first() {
        let s = SsoSettings {
            enabled: true,
            provider_name: "Acme".into(),
            issuer: "https://idp.example".into(),
            client_id: "c".into(),
            client_secret: String::new(),
            scopes: DEFAULT_SCOPES.into(),
            groups_claim: "groups".into(),
            role_rules: vec![
                RoleRule {
                    group: "cc-supervisors".into(),
                    role: Role::Supervisor,
                },
                RoleRule {
                    group: "cc-agents".into(),
                    role: Role::Agent,
                },
            ],
            default_role: None,
            jit: true,
            password_login: true,
        };
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            s.role_for(&g(&["cc-agents", "cc-supervisors"])),
            Some(Role::Supervisor)
        );
        assert_eq!(s.role_for(&g(&["cc-agents"])), Some(Role::Agent));
        assert_eq!(s.role_for(&g(&["sales"])), None);
        let with_default = SsoSettings {
            default_role: Some(Role::Analyst),
            ..s.clone()
        };
        assert_eq!(with_default.role_for(&g(&["sales"])), Some(Role::Analyst));
        assert!(s.validate().is_ok());
        for bad in ["http://idp.example", "ftp://x", "https://idp.example/?a=1"] {
            let b = SsoSettings {
                issuer: bad.into(),
                ..s.clone()
            };
            assert!(b.validate().is_err(), "{bad}");
        }
        assert!(
            SsoSettings {
                issuer: "http://127.0.0.1:9000/oidc".into(),
                ..s
            }
            .validate()
            .is_ok()
        );
        assert_eq!(
            groups_of(&json!({"roles": "x"}), "roles"),
            vec!["x".to_string()]
        );
        assert!(reports_mfa(&json!({"amr": ["pwd", "otp"]})));
        assert!(!reports_mfa(&json!({"amr": ["pwd"]})));
        assert_eq!(safe_return_to(Some("//evil.example/")), "/agent/");
        assert_eq!(safe_return_to(Some("https://evil.example/")), "/agent/");
        assert_eq!(safe_return_to(Some("/admin/")), "/admin/");
    }
}
