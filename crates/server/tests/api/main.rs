//! The server's API over real HTTP and WebSockets, on SQLite and on PostgreSQL
//! (`HOMESHORE_TEST_PG`, default `postgres://postgres@127.0.0.1:5432/test`; the
//! PostgreSQL half is skipped loudly when unreachable, except when `CI` is set).

mod authz;
mod bodies;
mod bot;
mod common;
mod customers;
mod email;
mod hostile;
mod idempotency;
mod insight;
mod ivr;
mod kb;
mod mailserver;
mod messenger;
mod mfa;
mod openapi_doc;
mod outbound;
mod protect;
mod reports;
mod routing_live;
mod scim;
mod sso;
mod supervise;
mod twilio;
mod voice;
mod whatsapp;
mod ws_resume;
