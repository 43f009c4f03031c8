//! Who is asking: sessions (cookie + CSRF header), API tokens (bearer, scoped), roles,
//! passwords (Argon2id), TOTP, login rate limits and lockout.
//!
//! - The session cookie `hs_session` holds 32 random bytes; the store keeps only their
//!   SHA-256. HttpOnly, SameSite=Lax, Path=/, and Secure unless the server listens on
//!   loopback (or the config says otherwise). Sessions end after `session_idle_secs`
//!   without use and `session_absolute_secs` after login, whichever comes first.
//! - Cookie-authenticated writes (anything but GET/HEAD/OPTIONS) need `X-CSRF-Token`
//!   equal to the session's token (compared in constant time). Bearer tokens need none:
//!   browsers never attach them by themselves.
//! - API tokens (`hs_…`) act for a user, capped by scopes: `read` (GET only), `write`,
//!   `admin` (needed on top of the admin role for admin-only endpoints).
//! - When the organisation makes MFA mandatory, a user without TOTP may only reach
//!   `/api/me` and `/api/auth/…` (to enrol) until they have it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{HeaderMap, Method, header, request::Parts};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use store::{Org, Role, Session, Store, User};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{ApiError, AppState};

pub const SESSION_COOKIE: &str = "hs_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const TOKEN_PREFIX: &str = "hs_";

/// 32 random bytes, base64url.
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Lowercase hex SHA-256: how secrets with enough entropy (session ids, API tokens,
/// recovery codes) are stored.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn argon2(m_kib: u32) -> argon2::Argon2<'static> {
    let params = argon2::Params::new(m_kib.max(8), 2, 1, None).unwrap_or_default();
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Argon2id hash (PHC string) of a password, on a blocking thread.
pub async fn hash_password(password: String, m_kib: u32) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        argon2(m_kib)
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(|_| ApiError::internal("hashing task failed"))?
}

/// Check a password against a PHC string, on a blocking thread.
pub async fn verify_password(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc)
            .map(|h| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that timing does not tell.
pub static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn password_policy(p: &str) -> Result<(), ApiError> {
    if p.chars().count() < 10 {
        return Err(ApiError::invalid("password: at least 10 characters"));
    }
    if p.len() > 1024 {
        return Err(ApiError::invalid("password: at most 1024 bytes"));
    }
    Ok(())
}

// ---------- TOTP ----------

pub fn totp(secret_b32: &str, account: &str, issuer: &str) -> Result<totp_rs::Totp, ApiError> {
    let secret = totp_rs::Secret::try_from_base32(secret_b32)
        .map_err(|_| ApiError::internal("bad TOTP secret"))?;
    totp_rs::Builder::new()
        .with_secret(secret.as_bytes().to_vec())
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(issuer.replace(':', "_")))
        .build()
        .map_err(|e| ApiError::internal(format!("TOTP: {e}")))
}

/// The name a TOTP secret is sealed under ([`crate::secrets`]).
pub const TOTP_FIELD: &str = "totp_secret";

/// A user's TOTP secret, opened (empty when there is none or it does not open, so that
/// no code matches).
pub fn totp_secret_of(state: &AppState, user: &store::User) -> String {
    user.totp_secret
        .as_deref()
        .and_then(|s| state.sealer().open(user.org_id, TOTP_FIELD, s))
        .unwrap_or_default()
}

pub fn new_totp_secret() -> String {
    totp_rs::Secret::generate().to_base32()
}

/// Check a 6-digit code at `unix` seconds (one step of skew either way).
pub fn check_totp(secret_b32: &str, code: &str, unix: u64) -> bool {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    match totp(secret_b32, "x", "x") {
        Ok(t) => t.check(code, unix).is_some(),
        Err(_) => false,
    }
}

/// Ten fresh recovery codes (shown once) and their hashes (stored).
pub fn recovery_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..10)
        .map(|_| {
            let b: [u8; 5] = rand::random();
            let h = hex::encode(b);
            format!("{}-{}", &h[..5], &h[5..])
        })
        .collect();
    let hashes = codes.iter().map(|c| sha256_hex(c)).collect();
    (codes, hashes)
}

// ---------- login rate limit ----------

/// A token bucket per client address (IPv6 per /64).
pub struct LoginLimiter {
    burst: f64,
    refill: Duration,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl LoginLimiter {
    pub fn new(burst: u32, refill_secs: u64) -> Self {
        LoginLimiter {
            burst: f64::from(burst.max(1)),
            refill: Duration::from_secs(refill_secs.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one attempt; `Err(seconds)` to wait when none is left.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let ip = match ip {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        };
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() > 100_000 {
            b.retain(|_, (_, at)| now.duration_since(*at) < self.refill * 100);
        }
        let (tokens, at) = b.entry(ip).or_insert((self.burst, now));
        let refilled = now.duration_since(*at).as_secs_f64() / self.refill.as_secs_f64();
        *tokens = (*tokens + refilled).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) * self.refill.as_secs_f64()).ceil() as u64)
        }
    }
}

/// The client's address (loopback when the server runs without connection info).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
        ))
    }
}

// ---------- the extractor ----------

/// How a request authenticated.
#[derive(Debug, Clone)]
pub enum Via {
    Session {
        token_hash: String,
        csrf: String,
        /// Signed in through the identity provider, which reported a second factor.
        idp_mfa: bool,
    },
    /// `by`: the admin who minted the token for this user (an impersonation).
    Token {
        id: Uuid,
        scopes: Vec<String>,
        by: Option<Uuid>,
    },
}

/// An authenticated staff user. Extracting it checks the session or token, CSRF on
/// cookie writes, token scopes against the method, and mandatory MFA enrolment.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    pub org: Org,
    pub via: Via,
}

impl Auth {
    pub fn org_id(&self) -> Uuid {
        self.org.id
    }
    pub fn role(&self) -> Role {
        self.user.role
    }
    /// 403 unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "your role ({}) may not do this",
                self.user.role
            )))
        }
    }
    /// Admin role, and for tokens the `admin` scope too.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(&[Role::Admin])?;
        if let Via::Token { scopes, .. } = &self.via
            && !scopes.iter().any(|s| s == "admin")
        {
            return Err(ApiError::forbidden("this token lacks the admin scope"));
        }
        Ok(())
    }
    /// The organisation requires MFA and this sign-in has none: neither TOTP on the
    /// account nor a second factor reported by the identity provider.
    pub fn mfa_enrolment_required(&self) -> bool {
        let idp_mfa = matches!(self.via, Via::Session { idp_mfa: true, .. });
        self.org.mfa_required && !self.user.totp_enabled && !idp_mfa
    }
    pub fn is_staff_manager(&self) -> bool {
        matches!(self.user.role, Role::Admin | Role::Supervisor)
    }
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    for v in headers.get_all(header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for part in s.split(';') {
            if let Some((k, val)) = part.trim().split_once('=')
                && k == name
            {
                return Some(val.to_string());
            }
        }
    }
    None
}

pub fn session_cookie(state: &AppState, secret: &str, max_age: u64) -> String {
    let secure = if state.cookie_secure() {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The cookie that marks a browser a user signed in from before ("device cookie"):
/// failed sign-ins from elsewhere cannot lock that browser out.
pub const DEVICE_COOKIE: &str = "hs_device";

/// A fresh device cookie for `user`: `org.sealed(user:nonce)`, so it can be neither
/// forged nor moved to another account. Kept a year, sent only to the sign-in API.
pub fn device_cookie(state: &AppState, org: Uuid, user: Uuid) -> String {
    let nonce = random_secret();
    let sealed = state
        .sealer()
        .seal(org, DEVICE_COOKIE, &format!("{user}:{nonce}"));
    let secure = if state.cookie_secure() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{DEVICE_COOKIE}={org}.{sealed}; Path=/api/auth; HttpOnly; SameSite=Strict; Max-Age=31536000{secure}"
    )
}

/// The user and nonce of a genuine device cookie in `headers`.
pub fn device_of(state: &AppState, headers: &HeaderMap) -> Option<(Uuid, String)> {
    let v = cookie_value(headers, DEVICE_COOKIE)?;
    let (org, sealed) = v.split_once('.')?;
    let org = Uuid::parse_str(org).ok()?;
    let plain = state.sealer().open(org, DEVICE_COOKIE, sealed)?;
    let (user, nonce) = plain.split_once(':')?;
    Some((Uuid::parse_str(user).ok()?, nonce.to_string()))
}

/// Failed sign-ins kept in memory: those from a recognised device (keyed by its
/// nonce), and those for accounts that do not exist (keyed by organisation and
/// email), which lock exactly as real ones do so that a "locked" answer says nothing
/// about which emails have accounts. Accounts' own counts live on the user row.
#[derive(Debug, Default)]
pub struct Lockouts {
    by_key: Mutex<HashMap<String, (i32, Option<OffsetDateTime>)>>,
}

/// Keys kept at most; past it, entries with no lock in force are dropped first.
const LOCKOUT_KEYS: usize = 100_000;

impl Lockouts {
    /// Seconds left on `key`'s lock, if it is locked at `now`.
    pub fn locked(&self, key: &str, now: OffsetDateTime) -> Option<u64> {
        let by_key = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        let until = by_key.get(key)?.1?;
        (until > now).then(|| (until - now).whole_seconds().max(1) as u64)
    }

    /// One more failure for `key`: at `threshold` in a row it locks for `secs`.
    pub fn fail(&self, key: &str, now: OffsetDateTime, threshold: i32, secs: u64) {
        let mut by_key = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        if by_key.len() >= LOCKOUT_KEYS && !by_key.contains_key(key) {
            by_key.retain(|_, (_, until)| until.is_some_and(|u| u > now));
            if by_key.len() >= LOCKOUT_KEYS {
                return;
            }
        }
        let entry = by_key.entry(key.to_string()).or_insert((0, None));
        if entry.1.is_some_and(|u| u <= now) {
            *entry = (0, None);
        }
        entry.0 += 1;
        if entry.0 >= threshold {
            *entry = (0, Some(now + time::Duration::seconds(secs as i64)));
        }
    }

    /// A success: `key` starts afresh.
    pub fn clear(&self, key: &str) {
        self.by_key
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// A new session for `user` (its cookie secret and row), as every way of signing in
/// makes it.
pub fn new_session(state: &AppState, org: Uuid, user: Uuid, idp_mfa: bool) -> (String, Session) {
    let now = state.now();
    let secret = random_secret();
    let session = Session {
        token_hash: sha256_hex(&secret),
        org_id: org,
        user_id: user,
        csrf_token: random_secret(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + time::Duration::seconds(state.config().session_absolute_secs as i64),
        idp_mfa,
    };
    (secret, session)
}

pub fn clear_cookie(state: &AppState) -> String {
    session_cookie(state, "", 0)
}

/// Look up a live session by its cookie secret; `None` when missing or expired.
pub async fn load_session(state: &AppState, secret: &str) -> Result<Option<Session>, ApiError> {
    if secret.is_empty() || secret.len() > 128 {
        return Ok(None);
    }
    let hash = sha256_hex(secret);
    let Some(mut s) = state.store().get_session(&hash).await? else {
        return Ok(None);
    };
    let now = state.now();
    let idle = time::Duration::seconds(state.config().session_idle_secs as i64);
    if now >= s.expires_at || now - s.last_seen_at >= idle {
        state
            .write(
                vec![store::Change::DeleteSession { token_hash: hash }],
                vec![],
            )
            .await?;
        return Ok(None);
    }
    if now - s.last_seen_at >= time::Duration::seconds(60) {
        s.last_seen_at = now;
        state
            .write(vec![store::Change::PutSession(s.clone())], vec![])
            .await?;
    }
    Ok(Some(s))
}

async fn load_user(state: &AppState, org: Uuid, user: Uuid) -> Result<(Org, User), ApiError> {
    let org = state
        .store()
        .get_org(org)
        .await?
        .ok_or_else(|| ApiError::unauthorized("not logged in"))?;
    let user = state
        .store()
        .get_user(org.id, user)
        .await?
        .ok_or_else(|| ApiError::unauthorized("not logged in"))?;
    if user.disabled {
        return Err(ApiError::unauthorized("account disabled"));
    }
    Ok((org, user))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Paths a user who must enrol in MFA may still reach.
fn mfa_exempt(path: &str) -> bool {
    path == "/api/me" || path.starts_with("/api/auth/")
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(a) = parts.extensions.get::<Auth>() {
            return Ok(a.clone());
        }
        let auth = if let Some(token) = bearer(&parts.headers) {
            if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
                return Err(ApiError::unauthorized("invalid token"));
            }
            let t = state
                .store()
                .get_api_token(&sha256_hex(token))
                .await?
                .filter(|t| !t.revoked)
                .ok_or_else(|| ApiError::unauthorized("invalid token"))?;
            if t.expires_at.is_some_and(|at| at <= state.now()) {
                return Err(ApiError::unauthorized("this token has expired"));
            }
            let (org, user) = load_user(state, t.org_id, t.user_id).await?;
            let ok = if is_safe(&parts.method) {
                t.scopes
                    .iter()
                    .any(|s| s == "read" || s == "write" || s == "admin")
            } else {
                t.scopes.iter().any(|s| s == "write" || s == "admin")
            };
            if !ok {
                return Err(ApiError::forbidden("this token's scopes do not allow this"));
            }
            Auth {
                user,
                org,
                via: Via::Token {
                    id: t.id,
                    scopes: t.scopes,
                    by: t.created_by,
                },
            }
        } else {
            let secret = cookie_value(&parts.headers, SESSION_COOKIE)
                .ok_or_else(|| ApiError::unauthorized("not logged in"))?;
            let s = load_session(state, &secret)
                .await?
                .ok_or_else(|| ApiError::unauthorized("session expired"))?;
            if !is_safe(&parts.method) {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !constant_time_eq(sent.as_bytes(), s.csrf_token.as_bytes()) {
                    return Err(ApiError::new(
                        axum::http::StatusCode::FORBIDDEN,
                        "csrf",
                        "missing or wrong X-CSRF-Token header",
                    ));
                }
            }
            let (org, user) = load_user(state, s.org_id, s.user_id).await?;
            Auth {
                user,
                org,
                via: Via::Session {
                    token_hash: s.token_hash,
                    csrf: s.csrf_token,
                    idp_mfa: s.idp_mfa,
                },
            }
        };
        if auth.mfa_enrolment_required() && !mfa_exempt(parts.uri.path()) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "mfa_enrolment_required",
                "Your organisation requires two-factor authentication. Sign in again in the browser to set it up.",
            ));
        }
        parts.extensions.insert(auth.clone());
        Ok(auth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_refuses_after_burst() {
        let l = LoginLimiter::new(3, 60);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(l.check(ip).is_ok());
        assert!(l.check(ip).is_ok());
        assert!(l.check(ip).is_ok());
        let wait = l.check(ip).unwrap_err();
        assert!(wait > 0 && wait <= 60);
        // Another address is unaffected; an IPv6 /64 counts as one.
        assert!(l.check("10.0.0.2".parse().unwrap()).is_ok());
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.check(a).is_ok());
        }
        assert!(l.check(b).is_err());
    }

    #[test]
    fn totp_round_trip() {
        let secret = new_totp_secret();
        let t = totp(&secret, "ann@example.com", "Homeshore").unwrap();
        let now = 1_800_000_000;
        let code = t.generate(now).to_string();
        assert!(check_totp(&secret, &code, now));
        assert!(check_totp(&secret, &code, now + 30));
        assert!(!check_totp(&secret, &code, now + 300));
        assert!(!check_totp(&secret, "12345", now));
    }

    #[test]
    fn an_identity_providers_second_factor_counts_as_mfa() {
        let now = store::now();
        let org = Org {
            id: Uuid::now_v7(),
            slug: "acme".into(),
            name: "Acme".into(),
            mfa_required: true,
            created_at: now,
        };
        let user = User {
            id: Uuid::now_v7(),
            org_id: org.id,
            email: "ann@acme.example".into(),
            name: "Ann".into(),
            role: Role::Agent,
            password_hash: String::new(),
            totp_secret: None,
            totp_enabled: false,
            recovery_codes: vec![],
            failed_logins: 0,
            locked_until: None,
            disabled: false,
            created_at: now,
            updated_at: now,
        };
        let session = |idp_mfa| Auth {
            user: user.clone(),
            org: org.clone(),
            via: Via::Session {
                token_hash: String::new(),
                csrf: String::new(),
                idp_mfa,
            },
        };
        assert!(session(false).mfa_enrolment_required());
        assert!(!session(true).mfa_enrolment_required());
        let mut enrolled = session(false);
        enrolled.user.totp_enabled = true;
        assert!(!enrolled.mfa_enrolment_required());
        let mut relaxed = session(false);
        relaxed.org.mfa_required = false;
        assert!(!relaxed.mfa_enrolment_required());
    }

    #[test]
    fn cookies_are_parsed() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; hs_session=xyz; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h, SESSION_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie_value(&h, "c"), None);
    }
}
