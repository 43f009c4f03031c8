//! Who is asking: organisations, users, sessions and API tokens, kept in memory.
//!
//! Every staff request authenticates by reading a session (or an API token), its
//! organisation and its user. Those rows change rarely, but without a cache every request
//! pays three database reads before it does any work. The cache is read-through and is
//! kept true by the store's own writer: after a transaction commits, and *before* any of
//! its submitters hears so, every cached row that transaction wrote is dropped. A reader
//! that fetched a row from the database while such a write was committing does not put
//! its (possibly older) copy back: each drop advances a generation, and a copy is only
//! kept if the generation did not move while it was being read.
//!
//! Rows written by another process (the CLI beside a running server, or another node) do
//! not pass this writer, so entries also expire after [`TTL`]: that bounds how long such a
//! change can go unseen. Misses are not cached (a wrong cookie costs a read, not memory),
//! and the cache empties itself when it reaches [`MAX_ENTRIES`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::model::{ApiToken, Change, Org, Session, User};

/// How long a cached row is trusted without a write from this process dropping it.
pub const TTL: Duration = Duration::from_secs(5);
/// Entries of each kind before the cache starts again from empty.
pub const MAX_ENTRIES: usize = 100_000;

struct Entry<T> {
    value: T,
    at: Instant,
}

#[derive(Default)]
pub(crate) struct Maps {
    generation: u64,
    orgs: HashMap<Uuid, Entry<Org>>,
    /// Organisations by slug: how the widget and sign-in find theirs.
    org_slugs: HashMap<String, Entry<Org>>,
    users: HashMap<(Uuid, Uuid), Entry<User>>,
    sessions: HashMap<String, Entry<Session>>,
    tokens: HashMap<String, Entry<ApiToken>>,
}

/// A read-through cache of the rows that authenticate a request.
#[derive(Default)]
pub(crate) struct Principals(Mutex<Maps>);

/// A key and where its row lives in the cache.
pub(crate) enum Key<'a> {
    Org(Uuid),
    OrgSlug(&'a str),
    User(Uuid, Uuid),
    Session(&'a str),
    Token(&'a str),
}

/// A row the cache can hold.
pub(crate) trait Cached: Clone {
    fn get(maps: &Maps, key: &Key<'_>) -> Option<Self>;
    fn put(maps: &mut Maps, key: &Key<'_>, value: Self);
}

fn fresh<T: Clone>(e: Option<&Entry<T>>) -> Option<T> {
    e.filter(|e| e.at.elapsed() < TTL).map(|e| e.value.clone())
}

fn bounded<K: std::hash::Hash + Eq, T>(map: &mut HashMap<K, Entry<T>>, key: K, value: T) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(
        key,
        Entry {
            value,
            at: Instant::now(),
        },
    );
}

impl Cached for Org {
    fn get(maps: &Maps, key: &Key<'_>) -> Option<Self> {
        match key {
            Key::Org(id) => fresh(maps.orgs.get(id)),
            Key::OrgSlug(slug) => fresh(maps.org_slugs.get(*slug)),
            _ => None,
        }
    }
    fn put(maps: &mut Maps, key: &Key<'_>, value: Self) {
        match key {
            Key::Org(id) => bounded(&mut maps.orgs, *id, value),
            Key::OrgSlug(slug) => bounded(&mut maps.org_slugs, (*slug).to_string(), value),
            _ => {}
        }
    }
}

impl Cached for User {
    fn get(maps: &Maps, key: &Key<'_>) -> Option<Self> {
        let Key::User(org, id) = key else { return None };
        fresh(maps.users.get(&(*org, *id)))
    }
    fn put(maps: &mut Maps, key: &Key<'_>, value: Self) {
        if let Key::User(org, id) = key {
            bounded(&mut maps.users, (*org, *id), value);
        }
    }
}

impl Cached for Session {
    fn get(maps: &Maps, key: &Key<'_>) -> Option<Self> {
        let Key::Session(hash) = key else { return None };
        fresh(maps.sessions.get(*hash))
    }
    fn put(maps: &mut Maps, key: &Key<'_>, value: Self) {
        if let Key::Session(hash) = key {
            bounded(&mut maps.sessions, (*hash).to_string(), value);
        }
    }
}

impl Cached for ApiToken {
    fn get(maps: &Maps, key: &Key<'_>) -> Option<Self> {
        let Key::Token(hash) = key else { return None };
        fresh(maps.tokens.get(*hash))
    }
    fn put(maps: &mut Maps, key: &Key<'_>, value: Self) {
        if let Key::Token(hash) = key {
            bounded(&mut maps.tokens, (*hash).to_string(), value);
        }
    }
}

impl Principals {
    fn lock(&self) -> std::sync::MutexGuard<'_, Maps> {
        // A panic while holding this lock cannot leave a map half-updated in a way that
        // matters (the worst is a missing entry), so a poisoned lock is used as is.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached row, or the one `load` reads (kept if nothing was written meanwhile).
    pub(crate) async fn get_or_load<T, F>(&self, key: Key<'_>, load: F) -> crate::Result<Option<T>>
    where
        T: Cached,
        F: std::future::Future<Output = crate::Result<Option<T>>>,
    {
        let generation = {
            let maps = self.lock();
            if let Some(v) = T::get(&maps, &key) {
                return Ok(Some(v));
            }
            maps.generation
        };
        let loaded = load.await?;
        if let Some(v) = &loaded {
            let mut maps = self.lock();
            if maps.generation == generation {
                T::put(&mut maps, &key, v.clone());
            }
        }
        Ok(loaded)
    }

    /// Drop every cached row these changes wrote. Called by the writer after a commit
    /// (or a failed one) and before the submitters are answered.
    pub(crate) fn written<'a>(&self, changes: impl IntoIterator<Item = &'a Change>) {
        let mut maps = None;
        for change in changes {
            let m = match change {
                Change::PutOrg(_)
                | Change::PutUser(_)
                | Change::PutSession(_)
                | Change::DeleteSession { .. }
                | Change::DeleteUserSessions { .. }
                | Change::PutApiToken(_) => maps.get_or_insert_with(|| self.lock()),
                _ => continue,
            };
            m.generation += 1;
            match change {
                Change::PutOrg(o) => {
                    m.orgs.remove(&o.id);
                    // Its slug may be the one that changed.
                    m.org_slugs.retain(|_, e| e.value.id != o.id);
                }
                Change::PutUser(u) => {
                    m.users.remove(&(u.org_id, u.id));
                }
                Change::PutSession(s) => {
                    m.sessions.remove(&s.token_hash);
                }
                Change::DeleteSession { token_hash } => {
                    m.sessions.remove(token_hash);
                }
                Change::DeleteUserSessions { org_id, user_id } => {
                    m.sessions
                        .retain(|_, e| !(e.value.org_id == *org_id && e.value.user_id == *user_id));
                }
                Change::PutApiToken(t) => {
                    // A token's hash never changes.
                    m.tokens.remove(&t.token_hash);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn session(hash: &str, user: Uuid) -> Session {
        let now = OffsetDateTime::now_utc();
        Session {
            token_hash: hash.into(),
            org_id: Uuid::nil(),
            user_id: user,
            csrf_token: "c".into(),
            created_at: now,
            last_seen_at: now,
            expires_at: now,
            idp_mfa: false,
        }
    }

    #[tokio::test]
    async fn a_write_drops_the_row_and_a_read_racing_it_is_not_kept() {
        let cache = Principals::default();
        let user = Uuid::now_v7();
        let s = session("h", user);
        let got = cache
            .get_or_load(Key::Session("h"), async { Ok(Some(s.clone())) })
            .await
            .unwrap();
        assert_eq!(got.unwrap().token_hash, "h");
        // Cached: the loader is not asked again.
        let got = cache
            .get_or_load::<Session, _>(Key::Session("h"), async { panic!("read again") })
            .await
            .unwrap();
        assert!(got.is_some());
        // A logout drops it; the next read goes to the database (which has none).
        cache.written(&[Change::DeleteUserSessions {
            org_id: Uuid::nil(),
            user_id: user,
        }]);
        let got = cache
            .get_or_load::<Session, _>(Key::Session("h"), async { Ok(None) })
            .await
            .unwrap();
        assert!(got.is_none());
        // A read that started before a write and finished after it is not cached.
        let racing = cache.get_or_load(Key::Session("h"), async {
            cache.written(&[Change::DeleteSession {
                token_hash: "h".into(),
            }]);
            Ok(Some(s.clone()))
        });
        assert!(racing.await.unwrap().is_some());
        let got = cache
            .get_or_load::<Session, _>(Key::Session("h"), async { Ok(None) })
            .await
            .unwrap();
        assert!(got.is_none(), "the racing read's copy must not be kept");
    }

    #[tokio::test]
    async fn rows_of_other_kinds_and_keys_stay() {
        let cache = Principals::default();
        let org = Uuid::now_v7();
        let now = OffsetDateTime::now_utc();
        let o = Org {
            id: org,
            slug: "a".into(),
            name: "A".into(),
            mfa_required: false,
            created_at: now,
        };
        cache
            .get_or_load(Key::Org(org), async { Ok(Some(o.clone())) })
            .await
            .unwrap();
        cache.written(&[Change::DeleteSession {
            token_hash: "x".into(),
        }]);
        let got = cache
            .get_or_load::<Org, _>(Key::Org(org), async { panic!("read again") })
            .await
            .unwrap();
        assert_eq!(got.unwrap().slug, "a");
    }

    #[tokio::test]
    async fn an_organisation_found_by_slug_is_dropped_when_it_is_written() {
        let cache = Principals::default();
        let now = OffsetDateTime::now_utc();
        let o = Org {
            id: Uuid::now_v7(),
            slug: "old".into(),
            name: "A".into(),
            mfa_required: false,
            created_at: now,
        };
        cache
            .get_or_load(Key::OrgSlug("old"), async { Ok(Some(o.clone())) })
            .await
            .unwrap();
        let got = cache
            .get_or_load::<Org, _>(Key::OrgSlug("old"), async { panic!("read again") })
            .await
            .unwrap();
        assert_eq!(got.map(|o| o.id), Some(o.id));
        // Renamed: the old slug must not keep finding it.
        cache.written(&[Change::PutOrg(Org {
            slug: "new".into(),
            ..o.clone()
        })]);
        let got = cache
            .get_or_load::<Org, _>(Key::OrgSlug("old"), async { Ok(None) })
            .await
            .unwrap();
        assert!(
            got.is_none(),
            "the renamed organisation's old slug was dropped"
        );
    }
}
