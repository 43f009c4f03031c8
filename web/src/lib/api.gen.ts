// Generated from docs/openapi.json by `npm run types` (web/scripts/types.mjs): do not edit.
// The server's test keeps docs/openapi.json equal to /api/openapi.json, and
// `npm test` checks this file against it, so these types follow the server.
export interface paths {
    "/api/agent/state": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set my presence: `available`, `break` (with a reason) or `offline`. */
        put: operations["set_state"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/agents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Agents with their presence and profile. */
        get: operations["list_agents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/agents/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One agent. */
        get: operations["get_agent"];
        /**
         * Set an agent's routing profile (skills, capacity). Also makes a supervisor or admin
         *     an agent. Presence is not touched: an agent on a break stays on it.
         */
        put: operations["update_agent"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/agents/{id}/state": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set an agent's state, or sign them out (supervisors), with a reason the agent sees. */
        put: operations["force_state"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The organisation's alert rules and webhook (admins, supervisors, analysts). The
         *     signing secret is never returned.
         */
        get: operations["get_alerts"];
        /**
         * Set the alert rules and webhook (admins and supervisors; in effect within a second).
         *     Audited as `object.put`.
         */
        put: operations["put_alerts"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/active": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The alerts up now. */
        get: operations["active_alerts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alerts/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The webhook's delivery log, newest first (admins and supervisors): each attempt
         *     with its outcome.
         */
        get: operations["deliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Log in with a password (and a TOTP code when enrolled). Sets the session cookie and
         *     answers the CSRF token to send with writes. A browser signing in for the first time
         *     also gets a device cookie: failed sign-ins from elsewhere never lock it out, and its
         *     own failures lock only it. Unknown accounts lock like real ones.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End this session. */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/logout-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End every session of this user, on every device, and close their WebSockets. */
        post: operations["logout_all"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/mfa/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Turn MFA off (needs a current code). Refused when the organisation requires MFA. */
        post: operations["mfa_disable"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/mfa/enrol": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start TOTP enrolment: a new secret, its `otpauth://` URL and a QR code (PNG data
         *     URL). Confirm with `/api/auth/mfa/verify`.
         */
        post: operations["mfa_enrol"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/mfa/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Confirm enrolment with a code: MFA is on, and ten recovery codes are shown once. */
        post: operations["mfa_verify"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change one's own password; every other session is logged out. */
        post: operations["change_password"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/reauth": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Unlock a desktop that locked itself while no one used it: the signed-in user types
         *     their password again. A wrong one counts; after as many as lock an account the
         *     session ends (401 `signed_out`), so whoever found the computer cannot keep guessing.
         */
        post: operations["reauth"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Whether this browser is signed in, always 200 (a sign-in page asks it first and has
         *     no failed request to log): `/api/me`'s answer with `signed_in: true`, or
         *     `{signed_in: false}`.
         */
        get: operations["session"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/sso/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The identity provider sends the browser back here (register this URL at the
         *     provider; `GET /api/sso` shows it). Checks the state, exchanges the code, verifies
         *     the ID token, maps groups to a role, finds or creates the user, and signs them in
         *     exactly as a password sign-in does; then back to the page sign-in started from.
         */
        get: operations["sso_callback"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/sso/{org}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What the sign-in page shows for an organisation: whether it offers single sign-on,
         *     under which name, and whether passwords are still accepted. Public, always 200 (an
         *     unknown organisation has no single sign-on).
         */
        get: operations["sso_info"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/sso/{org}/start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Start signing in through the organisation's identity provider: a redirect to the
         *     provider (authorization code with PKCE), with `state` and `nonce` in a sealed,
         *     ten-minute cookie. Unknown organisation or single sign-on off: back with
         *     `?sso_error=unavailable`.
         */
        get: operations["sso_start"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/bot/actions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The answer bot's guided actions (admins), by slug. */
        get: operations["list_actions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/bot/actions/{slug}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Create or replace a guided action (admins). The secret is sealed; leaving it out
         *     keeps the stored one. Audited as `object.put`.
         */
        put: operations["put_action"];
        post?: never;
        /**
         * Delete a guided action (admins); conversations in the middle of it go on as if it
         *     had never started. Audited as `object.deleted`.
         */
        delete: operations["delete_action"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/bot/actions/{slug}/try": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Try a guided action against its endpoint with sample values, as the bot would call
         *     it (signed), and see the reply (admins).
         */
        post: operations["try_action"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/business-hours": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List objects of one kind (`queues`, `skills`, `routing-policies`, `wrapup-codes`,
         *     `business-hours`, `canned-responses`).
         */
        get: operations["list_objects_business_hours"];
        put?: never;
        /** Create an object (admins, supervisors). */
        post: operations["create_object_business_hours"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/business-hours/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One object. */
        get: operations["get_object_business_hours"];
        /** Replace an object. */
        put: operations["update_object_business_hours"];
        post?: never;
        /** Delete an object. A queue with contacts still waiting or active is a 409. */
        delete: operations["delete_object_business_hours"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/canned-responses": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List objects of one kind (`queues`, `skills`, `routing-policies`, `wrapup-codes`,
         *     `business-hours`, `canned-responses`).
         */
        get: operations["list_objects_canned_responses"];
        put?: never;
        /** Create an object (admins, supervisors). */
        post: operations["create_object_canned_responses"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/canned-responses/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One object. */
        get: operations["get_object_canned_responses"];
        /** Replace an object. */
        put: operations["update_object_canned_responses"];
        post?: never;
        /** Delete an object. A queue with contacts still waiting or active is a 409. */
        delete: operations["delete_object_canned_responses"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channel-endpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Where each channel's outbound messages go (admins). */
        get: operations["list_endpoints"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channel-endpoints/email/fetch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Read the email endpoint's IMAP mailbox now, as the poller does every 30 seconds
         *     (admins): what is new is stored; what was stored is not stored again.
         */
        post: operations["fetch_mail"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channel-endpoints/{channel}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Set where one channel's outbound messages go (admins). A webhook: each message is
         *     POSTed there as JSON with `Idempotency-Key: <message id>` and `X-Homeshore-Signature:
         *     t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. Twilio (SMS): replies go through the
         *     Messages API, texts come in at `inbound_url`, and both are checked with the auth token.
         */
        put: operations["put_endpoint"];
        post?: never;
        /** Remove a channel's endpoint (admins): its messages fail until one is set again. */
        delete: operations["delete_endpoint"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/channel-endpoints/{channel}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Check a channel's endpoint without sending a customer anything: Twilio, WhatsApp
         *     and Messenger are asked to read the account, number or page with the stored
         *     credentials; an integration gets a signed test message (`"type": "test"`).
         */
        post: operations["test_endpoint"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List contacts (agents: only their own). */
        get: operations["list_contacts"];
        put?: never;
        /** Create a contact (integrations, the simulator): it is queued and routed at once. */
        post: operations["create_contact"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One contact. */
        get: operations["get_contact"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/end": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End the conversation; the agent goes to after-contact work. */
        post: operations["end"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Messages of a contact, in order. Those an agent sent through a channel carry their
         *     `delivery` (`{status: queued|sent|delivered|read|failed, attempts, error}`).
         */
        get: operations["list_messages"];
        put?: never;
        /**
         * Send a message as the agent (or a supervisor's internal note). It is answered once
         *     durable, with its `delivery` queued in the outbox; `receipt` updates on the staff
         *     WebSocket follow it to `sent`, `delivered`, `read` or `failed`.
         */
        post: operations["post_message"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/messages/{seq}/reveal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Show the personal data masked out of one customer message, to staff who may see the
         *     contact (not analysts), for a reason that is recorded as `pii.revealed` before the
         *     values are sent. Card numbers are never kept: theirs come back `null`.
         */
        post: operations["reveal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/priority": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Move a waiting (or active) contact up or down its line (supervisors). */
        put: operations["set_priority"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/reach": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * From a contact of yours, write to the same customer on another channel (e.g. a text
         *     to the phone of a WhatsApp customer): a new contact on that channel, assigned to you,
         *     whose first message is yours. Refused (422 naming `channel`) where the customer has
         *     no identity on the channel, the organisation has not set it up, or the number texted
         *     STOP; web chat and calls are not opened from here.
         */
        post: operations["reach"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The agent has read the customer's messages up to `up_to_seq`. */
        post: operations["read"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/routing": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Why a contact went where it went: each routing decision with the engine's
         *     explanation ("why did Alex get this contact?"), from the log.
         */
        get: operations["routing_history"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/suggestions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Articles that fit what the customer of a conversation asks now, best first (the
         *     conversation's agent, supervisors and admins). Reads the customer's last messages
         *     to search, and returns only articles.
         */
        get: operations["contact_suggestions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/supervise": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Supervise a live conversation. Every action is in the log with who and when. */
        post: operations["supervise_contact"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/templates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The approved templates an agent may send on this contact (WhatsApp's way to write
         *     after the 24-hour window closed).
         */
        get: operations["list_templates"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/transfer": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Transfer an active contact to a queue or an agent. */
        post: operations["transfer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/typing": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The agent is typing (shown to the customer). */
        post: operations["typing"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/contacts/{id}/wrapup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Record the wrap-up and close the contact. */
        post: operations["wrapup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/customers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Find customers by name, email or phone (handlers of contacts), for "same person
         *     as…". Every customer answered is recorded as read by the caller.
         */
        get: operations["search"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/customers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A customer, their identities and recent contacts (agents: only their customers).
         *     A customer merged into another answers 404 with `details.merged_into`.
         */
        get: operations["get_customer"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/customers/{id}/erase": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Erase one customer on request (admins): the customer, their identities, contacts,
         *     messages, attachments, deliveries and the idempotency records that name them are
         *     deleted in one commit with a `customer.erased` event (the reason and the admin).
         *     The event log keeps only ids, so its hash chain stays whole. A customer with a
         *     contact not yet closed is refused (409): close it first.
         */
        post: operations["erase_customer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/customers/{id}/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A customer's contacts on every channel (chat, SMS, WhatsApp, Messenger, email,
         *     voice), newest first, each with its first and last line (agents: only customers of
         *     their contacts). Recorded as a read of the customer.
         */
        get: operations["history"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/customers/{id}/merge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Merge another customer into this one (handlers: agents on a contact of either):
         *     every identity and contact of `from`, on every channel, becomes this customer's, in
         *     one commit with a `customer.merged` event. Contacts not yet closed follow at once.
         *     A customer merged into itself is refused (422); one of another organisation, erased
         *     or already merged is not found (404).
         */
        post: operations["merge"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/customers/{id}/split": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Split identities and contacts off into a new customer (handlers: agents on a
         *     contact of this customer), e.g. to undo a wrong merge, with a `customer.split`
         *     event. At least one identity or contact, each this customer's, and this customer
         *     keeps at least one of either (422 naming the field otherwise).
         */
        post: operations["split"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organisation's event log (admins, analysts): `{items, next_after_seq}`. */
        get: operations["list_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/help": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Open raised hands: supervisors see all, an agent their own. */
        get: operations["list_help"];
        put?: never;
        /** Raise a hand: every supervisor sees it at once; one takes it and joins you. */
        post: operations["raise_help"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/help/{id}/close": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Close a raised hand (the agent who raised it, or a supervisor). */
        post: operations["close_help"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/help/{id}/take": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Take a raised hand (supervisors): the others see it taken, the agent sees who is
         *     coming. Open the contact next (`POST /api/contacts/{id}/supervise`).
         */
        post: operations["take_help"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/inbound": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Receive a customer's message from any channel (integrations): the customer is found
         *     by identity, their open contact on that channel gets the message, or a new contact is
         *     opened and routed. Idempotent on `message_id`, also across restarts.
         */
        post: operations["inbound"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/insight": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One week of Insight: the top contact reasons with their trend over five weeks and
         *     their ratings, each queue this week and last, and the words and two-word phrases
         *     rising in customers' messages against the mean of the four weeks before (by
         *     conversations using them; never one used in fewer than three; personal data masked
         *     first). Counting the words of a week's conversations is audited (`insight.terms`).
         */
        get: operations["get_insight"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/insight/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The digest webhook's delivery log, newest first (admins and supervisors): each
         *     attempt with its outcome.
         */
        get: operations["digest_deliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/insight/digest": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The weekly digest (default: last week): contacts, service level, speed of answer,
         *     abandons and satisfaction against the week before, the five top reasons and
         *     rising phrases, the best and the worst queue, and a few sentences.
         */
        get: operations["get_digest"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/insight/digest/send": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send the digest (default: last week) to the webhook now (admins). Answered once
         *     the send is logged (`insight.digest`); the call is made, signed, and retried in the
         *     background, each attempt in `GET /api/insight/deliveries`.
         */
        post: operations["send_digest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/insight/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The digest's webhook (admins). The signing secret is never returned. */
        get: operations["get_digest_settings"];
        /**
         * Set the digest's webhook (admins): sent every Monday at 08:00 in the planning zone,
         *     from the next Monday on. Audited as `object.put`.
         */
        put: operations["put_digest_settings"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/kb/articles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every article of the organisation, drafts included (every role). */
        get: operations["list_articles"];
        put?: never;
        /** Write an article (admins and authorised editors); a draft unless `publish`. */
        post: operations["create_article"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/kb/articles/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One article, with its help-center votes (every role). */
        get: operations["get_article"];
        /**
         * Save an article's draft (admins and authorised editors). The published version is
         *     unchanged until the draft is published.
         */
        put: operations["update_article"];
        post?: never;
        /** Delete an article and its votes (admins and authorised editors). */
        delete: operations["delete_article"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/kb/articles/{id}/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publish the article's draft: the help center and the answer bot use it from now on. */
        post: operations["publish_article"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/kb/articles/{id}/unpublish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Withdraw the article from the help center and the answer bot; its draft stays. */
        post: operations["unpublish_article"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/kb/flags": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The latest 200 flags, newest first (admins and authorised editors): the articles to
         *     fix and the ones to write.
         */
        get: operations["list_flags"];
        put?: never;
        /**
         * Flag an article as wrong or outdated, or say that no article answers a question
         *     (every staff role). Logged as `kb.flagged` with who; the editors see the list.
         */
        post: operations["create_flag"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/kb/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import articles from CSV or HTML (admins and authorised editors): all or nothing is
         *     checked first, then each becomes an article (a draft unless `publish`).
         */
        post: operations["import_articles"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/kb/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Search the published articles, and see what the answer bot would do (every role). */
        get: operations["search_articles"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/kb/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who besides admins may edit the knowledge base (admins). */
        get: operations["get_kb_settings"];
        /**
         * Set who besides admins may edit the knowledge base, and where the answer bot meets
         *     customers first (admins). Audited as `object.put`.
         */
        put: operations["put_kb_settings"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who am I: user, CSRF token, agent state. */
        get: operations["me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/offers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My pending offers and assigned contacts. */
        get: operations["list_offers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/offers/{id}/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Accept an offer: the contact is mine and active. */
        post: operations["accept"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/offers/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Decline an offer. */
        post: operations["reject"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/org": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My organisation. */
        get: operations["get_org"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change the organisation (admins). */
        patch: operations["update_org"];
        trace?: never;
    };
    "/api/protection": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organisation's data protection settings (admins). */
        get: operations["get_protection"];
        /**
         * Set the organisation's data protection settings (admins); in effect at once.
         *     Audited as `object.put`.
         */
        put: operations["put_protection"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queues": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List objects of one kind (`queues`, `skills`, `routing-policies`, `wrapup-codes`,
         *     `business-hours`, `canned-responses`).
         */
        get: operations["list_objects_queues"];
        put?: never;
        /** Create an object (admins, supervisors). */
        post: operations["create_object_queues"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/queues/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One object. */
        get: operations["get_object_queues"];
        /** Replace an object. */
        put: operations["update_object_queues"];
        post?: never;
        /** Delete an object. A queue with contacts still waiting or active is a 409. */
        delete: operations["delete_object_queues"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/receipts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Report what happened to an outbound message (integrations): `sent`, `delivered`,
         *     `read` or `failed`. Receipts only move a message forward: a late or repeated one is
         *     answered with the message's status as it stands and changes nothing.
         */
        post: operations["post_receipt"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reports": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The report: figures per interval (`series`, for a chart), per group over the range
         *     (`groups`), per interval and group (`rows`), in total, and per wrap-up code (the
         *     contact reasons). Each fact counts in the interval it happened, with the wallboard's
         *     definitions (service level: answered within the queue's threshold of answered and
         *     abandoned). Occupancy is the agents' time with contacts of their time ready for them
         *     (given when the rows are agents or the whole center, without queue, channel or code
         *     filters).
         */
        get: operations["report"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reports.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The report's figures as CSV: one line per interval and group. */
        get: operations["report_csv"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reports/contacts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The contacts behind a figure (one row per stay in a queue: a transferred contact
         *     has one per queue), a page at a time, oldest offer first. Each contact listed is
         *     recorded as read (`audit.read`) before the page is sent.
         */
        get: operations["contacts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reports/contacts.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One row per contact (per stay in a queue) behind a figure, as CSV, streamed as it
         *     is read (never held whole). The export is recorded (`audit.export`, with its
         *     filter) before the first row is sent.
         */
        get: operations["contacts_csv"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/retention": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** How long closed contacts are kept (admins). */
        get: operations["get_retention"];
        /**
         * Set how long closed contacts are kept (admins); the next run of the retention job
         *     (hourly) deletes those past their period. Audited as `object.put`.
         */
        put: operations["put_retention"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/routing-policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List objects of one kind (`queues`, `skills`, `routing-policies`, `wrapup-codes`,
         *     `business-hours`, `canned-responses`).
         */
        get: operations["list_objects_routing_policies"];
        put?: never;
        /** Create an object (admins, supervisors). */
        post: operations["create_object_routing_policies"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/routing-policies/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One object. */
        get: operations["get_object_routing_policies"];
        /** Replace an object. */
        put: operations["update_object_routing_policies"];
        post?: never;
        /** Delete an object. A queue with contacts still waiting or active is a 409. */
        delete: operations["delete_object_routing_policies"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/routing/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Which agents qualify now, at each step of a policy, for a sample contact; and the
         *     parser's error for each step that does not parse (with its column), so the policy
         *     editor can show it as the admin types.
         */
        post: operations["preview_policy"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/skills": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List objects of one kind (`queues`, `skills`, `routing-policies`, `wrapup-codes`,
         *     `business-hours`, `canned-responses`).
         */
        get: operations["list_objects_skills"];
        put?: never;
        /** Create an object (admins, supervisors). */
        post: operations["create_object_skills"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/skills/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One object. */
        get: operations["get_object_skills"];
        /** Replace an object. */
        put: operations["update_object_skills"];
        post?: never;
        /** Delete an object. A queue with contacts still waiting or active is a 409. */
        delete: operations["delete_object_skills"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sso": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The organisation's single sign-on settings (admins). The client secret is never
         *     returned, only whether one is set; `redirect_uri` is the callback to register at the
         *     provider.
         */
        get: operations["get_sso"];
        /**
         * Set the organisation's single sign-on (admins). When `enabled`, the issuer's
         *     discovery document is fetched first: a provider that does not answer is a 422 that
         *     says why. Audited as `sso.configured`.
         */
        put: operations["put_sso"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** API tokens (admins; never the secrets). */
        get: operations["list_tokens"];
        put?: never;
        /** Create an API token; the secret is in this answer only. */
        post: operations["create_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API token. */
        delete: operations["revoke_token"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Users of the organisation (admins). */
        get: operations["list_users"];
        put?: never;
        /** Add a user (admins). */
        post: operations["create_user"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One user. */
        get: operations["get_user"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change a user (admins): name, role, disabled, password. Disabling or a new password
         *     ends the user's sessions.
         */
        patch: operations["update_user"];
        trace?: never;
    };
    "/api/users/{id}/mfa/reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Turn off a user's MFA (lost phone; admins). They enrol again at next login. */
        post: operations["reset_user_mfa"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{id}/unlock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Unlock an account locked after failed sign-ins (admins). Audited as `user.unlocked`;
         *     `was_locked` says whether it was.
         */
        post: operations["unlock_user"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/calls": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Call a number from the desktop (click-to-dial): a new voice contact for the
         *     customer with that phone number (found, or created under `name`), in `queue_id`,
         *     yours at once, and the call placed through the organisation's first phone line that
         *     places calls. An agent who cannot take a call now (not available, a call or chats
         *     already filling their capacity) gets a 409 and no contact is left behind; so does an
         *     organisation with no phone line that places calls.
         */
        post: operations["place_call"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/calls/{id}/audio": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Connect the agent's browser to the call of a contact they hold (WebRTC): send the
         *     browser's SDP offer, get the answer. The caller then hears the agent and the agent
         *     the caller. Only the contact's agent, while it is active; 409 when the contact has
         *     no live call (the caller hung up, or telephony is off).
         */
        post: operations["connect_audio"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/calls/{id}/consult": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Make the consult a conference (all three talk) or take it back to the agent and
         *     the colleague alone. Only the contact's agent; 409 until the colleague has joined.
         */
        put: operations["consult_mode"];
        /**
         * Ask a colleague to join a call you hold (a consult before a warm transfer, or a
         *     conference): their desktop shows the request, and they join from the browser
         *     (`POST /api/voice/calls/{id}/consult/join`). Only the contact's agent, while it is
         *     active; 409 while another colleague is asked, or when the call is over.
         */
        post: operations["consult"];
        /**
         * End a consult: the colleague leaves the call (or is no longer asked) and the agent
         *     has the caller back. The agent who holds the call, or the colleague themselves.
         *     409 when there is no consult on the call.
         */
        delete: operations["end_consult"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/calls/{id}/consult/complete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Hand the call over to the colleague on it (the end of a warm transfer): the
         *     contact becomes theirs at once, their desktop joins its audio, and yours leaves.
         *     Only the contact's agent, once the colleague has joined; 409 before.
         */
        post: operations["complete_consult"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/calls/{id}/consult/join": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Join a call a colleague asked you to (WebRTC: send the browser's SDP offer, get the
         *     answer). You and the agent then talk while the caller hears the music, until the
         *     agent makes it a conference, hands the call over to you, or calls it off. 403 when
         *     you were not asked; 409 when the call is over.
         */
        post: operations["join_consult"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/calls/{id}/dial": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Call the customer of a voice contact the agent holds — a callback the caller asked
         *     for, or any number they give — through the phone line the call came in on (or the
         *     organisation's first that places calls). Only the contact's agent, while it is
         *     active; 409 while the contact has a live call, or when no phone line places calls.
         *     A call nobody answers leaves the contact open with the attempt noted
         *     (`callback.attempts`, `callback.last`).
         */
        post: operations["dial"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/calls/{id}/hold": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Put the caller on hold, or take them back (the contact's agent, while active). 409
         *     when the contact has no live call.
         */
        post: operations["hold"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/calls/{id}/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Press keys on the call (the agent's keypad: an extension or a menu on the other
         *     side), sent as RFC 4733 events on the telephone-event type the call agreed. The
         *     contact's agent, while active; 409 when the contact has no live call.
         */
        post: operations["send_keys"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/calls/{id}/monitor": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Change how the supervisor on a call takes part: `listen`, `whisper` or `barge`.
         *     Audited like joining. 409 when no supervisor is on the call.
         */
        put: operations["monitor_mode"];
        /**
         * Join a live call from the browser (supervisors and admins): listen to both sides,
         *     whisper to the agent (the caller does not hear it), or barge in (everyone hears
         *     everyone). Send the browser's SDP offer, get the answer. Audited (`supervision`,
         *     `call_listen` / `call_whisper` / `call_barge`). 409 when the contact has no live
         *     call with an agent.
         */
        post: operations["monitor"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/calls/{id}/recording": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause or resume the recording of a call the agent holds, e.g. while the caller gives
         *     a card number (what is said and keyed meanwhile is not recorded; key presses are
         *     never kept anyway). Only the contact's agent, while it is active; 409 when the call
         *     is over.
         */
        post: operations["pause_recording"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/flows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The organisation's contact flows (admins), the numbers that use each, and an
         *     example to start from.
         */
        get: operations["list_flows"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/flows/check": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Check a contact flow without saving it (admins): every problem, each with the JSON
         *     pointer of what is wrong, for the editor to show where.
         */
        post: operations["check_flow"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/flows/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Create or replace a contact flow (admins). A flow with problems is refused (422)
         *     with every problem in `details.errors` (`path`, a JSON pointer, and `message`).
         *     Calls already in the flow finish the version they started with. Audited as
         *     `object.put`.
         */
        put: operations["put_flow"];
        post?: never;
        /** Delete a contact flow (admins); refused (409) while a number names it. */
        delete: operations["delete_flow"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/loopback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The device check's audio test (no sign-in: it runs before a shift): the browser's
         *     offer is answered like an agent's leg on a call, and every audio frame it sends
         *     comes back, for 20 seconds, so the page sees call audio cross the network both
         *     ways. At most 16 run at once, 2 from one address (429 beyond, with Retry-After);
         *     409 where telephony is off.
         */
        post: operations["loopback"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/prompts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every sentence the organisation's contact flows say, each with the recording an
         *     admin made of it (played in place of synthesized speech) or none, and recordings no
         *     flow says any more (admins).
         */
        get: operations["list_prompts"];
        /**
         * Record a sentence (admins): the body is a WAV file (16-bit PCM, any rate, mono or
         *     stereo, up to two minutes), kept at the telephone's 8 kHz; wherever a contact flow
         *     says `text` (case and spacing aside), callers hear the recording instead of the
         *     synthesized voice. Replaces an earlier recording of it. Audited as `object.put`.
         *     422 for a body that is not such a WAV, or is longer.
         */
        put: operations["put_prompt"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/prompts/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a recording (admins): its sentence is spoken again. */
        delete: operations["delete_prompt"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/prompts/{key}/audio": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A recording as callers hear it (admins): 8 kHz mono WAV. */
        get: operations["prompt_audio"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The organisation's live calls (their media counters) and trunk registrations, and
         *     the SIP listener's counters (admins and supervisors). `listening` is null when
         *     telephony is off (`sip_bind` unset).
         */
        get: operations["voice_status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/trunks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organisation's SIP trunks (admins). */
        get: operations["list_trunks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/voice/trunks/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Create or replace a SIP trunk (admins): its numbers and their queues, the addresses
         *     it sends calls from, digest credentials, and the provider to register with.
         *     Passwords are sealed; leaving one out keeps the stored one. A number another trunk
         *     holds is refused. Takes effect for the next call. Audited as `object.put`.
         */
        put: operations["put_trunk"];
        post?: never;
        /**
         * Delete a SIP trunk (admins). Calls in progress go on; new calls to its numbers are
         *     refused (404). Audited as `object.deleted`.
         */
        delete: operations["delete_trunk"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wallboard": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The wallboard: per queue, waiting and longest wait now, and today's and the last 30
         *     minutes' service level, speed of answer, abandons and handle time; per agent, their
         *     activity and since when, contacts held and occupancy today; volume and service level
         *     per 15 minutes of the day. The same figures the routing log gives (they are kept
         *     from its events); supervisors get a `wallboard` note on their WebSocket when they
         *     change, and fetch this again.
         */
        get: operations["wallboard"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/email/{org}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A raw mail (RFC 5322, MIME), as an MTA's pipe or a provider's inbound webhook
         *     delivers it, with `Authorization: Bearer <the endpoint's ingress secret>`. It joins
         *     the conversation it answers or opens one, once however often it is posted; the
         *     answer comes when it is durable. Up to 25 MB.
         */
        post: operations["email_ingress"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/messenger/{org}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Meta's set-up handshake for the page's webhook. */
        get: operations["messenger_verify"];
        put?: never;
        /**
         * Customers' messages and delivery and read receipts, as Messenger posts them, checked
         *     against `X-Hub-Signature-256` before anything is read. Messages join the customer's
         *     conversation once each (by `mid`, with Messenger's time); receipts move our replies
         *     forward (a read receipt: everything sent to that customer up to its watermark).
         */
        post: operations["messenger_webhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/twilio/{org}/sms": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A text from a customer, as Twilio posts it (form-encoded `MessageSid`, `From`, `To`,
         *     `Body`), checked against `X-Twilio-Signature`. STOP and START change whether the
         *     number may be texted; every text joins the customer's conversation. Answered with
         *     empty TwiML once durable; a repeated `MessageSid` changes nothing.
         */
        post: operations["twilio_sms"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/twilio/{org}/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Twilio's status callback for a text we sent (`MessageSid`, `MessageStatus`,
         *     `ErrorCode`), checked against `X-Twilio-Signature`: the delivery moves forward.
         */
        post: operations["twilio_status"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/whatsapp/{org}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Meta's set-up handshake: with the configured verify token, the challenge is answered. */
        get: operations["whatsapp_verify"];
        put?: never;
        /**
         * Customers' messages and our messages' statuses, as the Cloud API posts them, checked
         *     against `X-Hub-Signature-256` before anything is read. Each message joins the
         *     customer's conversation once (by its `wamid`), with WhatsApp's time; statuses move
         *     deliveries forward. Answered 200 once durable.
         */
        post: operations["whatsapp_webhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/adherence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Who is out of adherence now, and since when: this week's published schedule against
         *     the live agent states. `agents` lists everyone scheduled this week.
         */
        get: operations["get_adherence"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/forecast": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Forecast against actual contacts offered, per interval of a week; with the
         *     requirement and (when one is published) the scheduled coverage.
         */
        get: operations["forecast_vs_actual"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/forecasts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Forecast a week from the contact history and turn it into required agents (Erlang C). */
        post: operations["create_forecast"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/hire-plans": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Peak planning: how many hires of which availability pattern (weekday daytime,
         *     mornings, evenings, weekends, flexible) close the week's staffing gap once everyone
         *     who offered hours is scheduled. Changes nothing.
         */
        post: operations["plan_hires"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/me/extra-hours": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Extra hours offered to me: under-staffed intervals right next to my published shifts. */
        get: operations["extra_hours"];
        put?: never;
        /** Accept extra hours: my shift is extended. */
        post: operations["accept_extra_hours"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/me/open-shifts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Open shifts in published schedules that I can take. */
        get: operations["open_shifts"];
        put?: never;
        /** Pick up an open shift. */
        post: operations["pick_up_open_shift"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/me/preferences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My offered hours (defaults until saved: no windows, 1–30 hours). */
        get: operations["get_preferences"];
        /** Set my availability and weekly hours. */
        put: operations["put_preferences"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/me/shifts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My shifts in published schedules, from a week ago on. */
        get: operations["my_shifts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/me/shifts.ics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My shifts as an iCalendar file, for the calendar on my phone or computer. */
        get: operations["my_shifts_calendar"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/me/swaps": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Colleagues' shifts up for swap that I could take. */
        get: operations["swappable_shifts"];
        put?: never;
        /**
         * Put one of my published shifts up for a colleague to take. It stays mine until
         *     someone does.
         */
        post: operations["offer_swap"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/me/swaps/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Take back a shift I put up for swap. */
        delete: operations["withdraw_swap"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/me/swaps/{id}/take": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Take over a colleague's shift that is up for swap: it becomes mine, breaks and all. */
        post: operations["take_swap"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/requirements": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A week's requirement (404 until entered or forecast). */
        get: operations["get_requirement"];
        put?: never;
        /** Enter (replace) a week's requirement. */
        post: operations["put_requirement"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Schedules, newest first (without their shifts). */
        get: operations["list_schedules"];
        put?: never;
        /**
         * Generate a draft schedule for a week from its requirement and every agent's
         *     preferences.
         */
        post: operations["create_schedule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/schedules/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One schedule with its shifts, coverage per interval, shortfall and lower bound,
         *     hours per agent and open shifts.
         */
        get: operations["get_schedule"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/schedules/{id}/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish a schedule: agents see its shifts; the week's previously published schedule
         *     is superseded.
         */
        post: operations["publish_schedule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/schedules/{id}/simulate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Simulate a schedule against its week's expected contacts: Poisson arrivals,
         *     lognormal handle times and exponential patience through the routing engine, the
         *     schedule's coverage answering. Service level, ASA, abandonment and occupancy, per
         *     interval and for the week, with a 95 % interval on the service level.
         */
        post: operations["simulate_schedule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wfm/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The planning settings: `planning_zone`, the zone planners read schedules in. */
        get: operations["get_settings"];
        /** Set the planning zone. */
        put: operations["put_settings"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wrapup-codes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List objects of one kind (`queues`, `skills`, `routing-policies`, `wrapup-codes`,
         *     `business-hours`, `canned-responses`).
         */
        get: operations["list_objects_wrapup_codes"];
        put?: never;
        /** Create an object (admins, supervisors). */
        post: operations["create_object_wrapup_codes"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/wrapup-codes/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One object. */
        get: operations["get_object_wrapup_codes"];
        /** Replace an object. */
        put: operations["update_object_wrapup_codes"];
        post?: never;
        /** Delete an object. A queue with contacts still waiting or active is a 409. */
        delete: operations["delete_object_wrapup_codes"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Alive (the process answers). */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Ready to serve: started and the database answers. */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/ResourceTypes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The resource types: User. */
        get: operations["scim_resource_types"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/Schemas": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The User schema, as far as Homeshore keeps it. */
        get: operations["scim_schemas"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/ServiceProviderConfig": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The service's capabilities (RFC 7643 §5). */
        get: operations["scim_service_provider_config"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/Users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Users, filtered by `userName eq "…"`, paged with `startIndex` and `count`. */
        get: operations["scim_list_users"];
        put?: never;
        /** Provision a user. 409 (`uniqueness`) when the email has an account. */
        post: operations["scim_create_user"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/Users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One user. */
        get: operations["scim_get_user"];
        /**
         * Replace a user (name, role, active). `userName` must stay the same: Homeshore's
         *     accounts are known by their email.
         */
        put: operations["scim_replace_user"];
        post?: never;
        /**
         * Deprovision a user: the account is deactivated (kept for the audit log) and every
         *     session of theirs ends at once.
         */
        delete: operations["scim_delete_user"];
        options?: never;
        head?: never;
        /**
         * Change parts of a user: `Operations` of `replace` / `add` (and `remove` of nothing
         *     Homeshore keeps), as Okta and Entra ID send them: with a `path` (`active`,
         *     `displayName`, `name.formatted`, `roles`) or without one and an object value.
         *     Attributes Homeshore does not keep are ignored.
         */
        patch: operations["scim_patch_user"];
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description A guided action as admins write it (`PUT /api/bot/actions/{slug}`). */
        ActionIn: {
            /** @description What it asks for, in order (at most 5). */
            ask?: components["schemas"]["Field"][];
            enabled?: boolean;
            /**
             * @description The answer, with `{{name}}` for the endpoint's fields and the values asked
             *     ("Your order {{order_number}} is {{status}}."); 1 to 1,000 characters.
             */
            reply: string;
            /** @description The signing secret, 16 to 200 characters (write only: none keeps the stored one). */
            secret?: string | null;
            /**
             * Format: int64
             * @description How long the endpoint may take, 500 to 10,000 ms (default 5,000).
             */
            timeout_ms?: number;
            /** @description 1 to 100 characters. */
            title: string;
            /**
             * @description Phrases that start it when a customer's message contains one ("where is my
             *     order"), case and punctuation aside; 1 to 20, each 3 to 100 characters.
             */
            triggers: string[];
            /** @description The company's endpoint: https, or http on this machine. */
            url: string;
        };
        /** @description A guided action as admins read it (its secret never). */
        ActionOut: {
            ask: components["schemas"]["Field"][];
            enabled: boolean;
            /** @description Whether a signing secret is stored. */
            has_secret: boolean;
            reply: string;
            slug: string;
            /** Format: int64 */
            timeout_ms: number;
            title: string;
            triggers: string[];
            url: string;
        };
        ActionsOut: {
            items: components["schemas"]["ActionOut"][];
        };
        /** @description An alert that is up. */
        ActiveAlert: {
            metric: components["schemas"]["Metric"];
            queue: string;
            /** Format: uuid */
            queue_id: string;
            rule: string;
            since: string;
            /** Format: double */
            threshold: number;
            /** Format: double */
            value: number;
            when: components["schemas"]["When"];
        };
        /**
         * @description An agent's routing profile: skills with levels 1–5 (or a list of names, level 3
         *     each), capacity per channel (or one number: that many chats, messaging threads and
         *     emails, and one call), and their team.
         */
        AgentIn: components["schemas"]["AgentProfile"];
        /**
         * @description An agent's routing profile (the `data` of an agent object; its id is the user's id).
         *     Presence is not here: it is the engine's, changed only through the agent's state.
         */
        AgentProfile: {
            /**
             * @description Contacts at once per channel, and the cross-channel rules (by default a call
             *     blocks every other channel and any other contact blocks calls). A number is read
             *     as that many chats, messaging threads and emails, and one call.
             */
            capacity?: Record<string, unknown>;
            /**
             * @description Skill → level 1–5. A list of names is read as level 3 each.
             * @default {}
             */
            skills: {
                [key: string]: number;
            };
            /**
             * @description The team the agent belongs to (wallboard filters; supervisors see their team
             *     first).
             * @default null
             */
            team: string | null;
        };
        /**
         * @description The presence an agent asks for.
         * @enum {string}
         */
        AgentState: "offline" | "available" | "break";
        /**
         * @description One rule: `metric` of a queue (or of each queue) above or below `threshold` for at
         *     least `for_s` seconds.
         */
        AlertRule: {
            /**
             * Format: int32
             * @description How long the figure must stay past the threshold (0: at once).
             */
            for_s?: number;
            metric: components["schemas"]["Metric"];
            /** @description Unique; what the alert is called on the console and in the webhook. */
            name: string;
            /**
             * Format: uuid
             * @description One queue, or none for every queue.
             */
            queue_id?: string | null;
            /** Format: double */
            threshold: number;
            /** @description `above` or `below`. */
            when: components["schemas"]["When"];
        };
        /** @description The settings as an admin or supervisor reads and sends them. */
        AlertSettings: {
            /** @description Whether a signing secret is stored (read only). */
            has_secret?: boolean;
            rules?: components["schemas"]["AlertRule"][];
            /** @description The signing secret: leave out to keep the stored one. Never returned. */
            webhook_secret?: string | null;
            /** @description Where raised and cleared alerts are posted (https, or http on this machine). */
            webhook_url?: string | null;
        };
        /** @description A new article. */
        ArticleIn: {
            body?: string;
            category?: string;
            locale?: string | null;
            /** @description Publish at once (default: a draft). */
            publish?: boolean;
            /** @description Its address in the help center; made from the title when absent. Fixed once set. */
            slug?: string | null;
            title: string;
        };
        /** @description An article with its draft and published versions. */
        ArticleOut: {
            /** Format: date-time */
            created_at: string;
            draft: components["schemas"]["Version"];
            /** Format: uuid */
            edited_by?: string | null;
            /** Format: uuid */
            id: string;
            published?: components["schemas"]["Version"] | null;
            /** Format: date-time */
            published_at?: string | null;
            /** Format: uuid */
            published_by?: string | null;
            /** Format: int32 */
            published_revision?: number | null;
            /**
             * Format: int32
             * @description The draft's number: each save adds one.
             */
            revision: number;
            slug: string;
            /** @description The draft differs from what is published (or nothing is). */
            unpublished_changes: boolean;
            /** Format: date-time */
            updated_at: string;
            votes?: components["schemas"]["Votes"] | null;
        };
        /** @description A file on a message. */
        AttachmentRef: {
            content_type: string;
            /** Format: uuid */
            id: string;
            name: string;
            /**
             * Format: int64
             * @description Bytes.
             */
            size: number;
            /**
             * @description Where to fetch it: `/api/attachments/{id}` for staff, the widget's own route for
             *     customers.
             */
            url: string;
        };
        AudioIn: {
            /** @description The browser's SDP offer (`RTCPeerConnection.createOffer`), with PCMU audio. */
            sdp: string;
        };
        AudioOut: {
            /** @description Homeshore's SDP answer (ICE-lite, one host candidate, PCMU). */
            sdp: string;
        };
        /** @description What the bot did in a conversation: kept in the contact's data under [`KEY`]. */
        BotRecord: {
            action?: components["schemas"]["InFlight"] | null;
            /** @description The guided actions that answered (their slugs), in order. */
            actions_answered?: string[];
            /** @description The articles it showed, in order. */
            answers?: components["schemas"]["Shown"][];
            /** @description Attributes for routing steps, kept for the handover. */
            attributes?: Record<string, unknown>;
            handover?: components["schemas"]["Handover"] | null;
            /**
             * Format: int64
             * @description Seconds of silence that close the conversation (the setting at its start).
             */
            idle_s?: number;
            /** @description Whether the time with the bot counts toward the wait (the setting at its start). */
            time_counts?: boolean;
        };
        /** @description The answer bot's week. */
        BotWeek: {
            /**
             * Format: int32
             * @description Of them, those it answered with an article at least once.
             */
            answered: number;
            /**
             * Format: int32
             * @description Conversations that met the bot.
             */
            conversations: number;
            /**
             * Format: double
             * @description Ratings of self-served conversations.
             */
            csat_avg?: number | null;
            /** Format: int32 */
            csat_count: number;
            /**
             * Format: int32
             * @description Self-served, and the customer did not come back within a day.
             */
            deflected: number;
            /**
             * Format: double
             * @description Deflected against the conversations judged (all but `pending`), in percent.
             */
            deflection_percent?: number | null;
            /** Format: int32 */
            handed_over: number;
            /** Format: double */
            handover_percent?: number | null;
            /** @description Most frequent first. */
            handover_reasons: components["schemas"]["HandoverCount"][];
            /**
             * Format: int32
             * @description Self-served less than a day ago with no new contact yet: not judged.
             */
            pending: number;
            /**
             * Format: int32
             * @description Ended without a person after an answer.
             */
            self_served: number;
            /** @description The questions it could not answer, grouped: the articles to write next. */
            unanswered: components["schemas"]["QuestionGroup"][];
        };
        /** @description One live call, as the status endpoint shows it. */
        CallOut: {
            /** @description Whether an agent's browser is connected to the call's audio. */
            agent_audio: boolean;
            /**
             * Format: int64
             * @description Audio frames from the agent's browser, and to it.
             */
            agent_frames_in: number;
            /** Format: int64 */
            agent_frames_out: number;
            consult?: components["schemas"]["ConsultOut"] | null;
            /** Format: uuid */
            contact_id?: string | null;
            /** @description The contact flow and the step the caller is at, while in one. */
            flow?: string | null;
            flow_step?: string | null;
            /** @description The agent has the caller on hold (the caller hears the music). */
            held: boolean;
            /** Format: double */
            jitter_ms: number;
            /**
             * Format: int64
             * @description Key presses received (their values are not kept: they may be card numbers).
             */
            key_presses: number;
            /** Format: int64 */
            lost: number;
            monitor?: components["schemas"]["Monitor"] | null;
            /** Format: int64 */
            packets_in: number;
            /** Format: int64 */
            packets_out: number;
            /** Format: int64 */
            seconds: number;
            /** @description `offered`, `ringing`, `answered`, `confirmed`, `ended`. */
            state: string;
            trunk: string;
        };
        /**
         * @description The channel a contact came on.
         * @enum {string}
         */
        ChannelOut: "chat" | "sms" | "whatsapp" | "messenger" | "email" | "voice";
        CodeIn: {
            code: string;
        };
        /** @description One figure this week and last, and the change. */
        Compared: {
            /**
             * Format: double
             * @description `value - previous` (in the figure's own unit: points for percentages).
             */
            change?: number | null;
            /** Format: double */
            previous?: number | null;
            /** Format: double */
            value?: number | null;
        };
        ConsultIn: {
            /**
             * Format: uuid
             * @description The colleague to ask: another agent (or supervisor) of the organisation.
             */
            agent_id: string;
        };
        ConsultModeIn: {
            /**
             * @description `true`: the caller, the agent and the colleague all talk; `false`: the agent
             *     and the colleague alone, the caller hearing the music.
             */
            conference: boolean;
        };
        /** @description A colleague asked to join a call, and how far they are. */
        ConsultOut: {
            /** Format: uuid */
            agent_id: string;
            agent_name: string;
            /**
             * @description `invited` (asked, not joined yet), `consult` (the agent and the colleague talk,
             *     the caller hears the music) or `conference` (all three talk).
             */
            state: string;
        };
        /** @description A contact as staff see it. */
        ContactOut: {
            /** Format: date-time */
            accepted_at?: string | null;
            /** Format: uuid */
            agent_id?: string | null;
            /** Format: int64 */
            agent_read_seq: number;
            bot?: components["schemas"]["BotRecord"] | null;
            /**
             * @description The caller asked to be called back instead of waiting: `{number, requested_at}`;
             *     the contact kept its place in line.
             */
            callback?: Record<string, unknown> | null;
            channel: components["schemas"]["ChannelOut"];
            /** Format: date-time */
            closed_at?: string | null;
            /** Format: date-time */
            created_at: string;
            /** @description The customer's rating once given: `{score, comment?}`. */
            csat?: Record<string, unknown> | null;
            /** Format: uuid */
            customer_id?: string | null;
            customer_name?: string | null;
            /** Format: int64 */
            customer_read_seq: number;
            /** Format: date-time */
            ended_at?: string | null;
            /** Format: date-time */
            enqueued_at: string;
            /**
             * Format: int64
             * @description Waiting contacts, on their own: the estimated wait in seconds.
             */
            estimated_wait_s?: number | null;
            /**
             * @description A call that went through a contact flow: `{name, path, keyed}` — the flow, the
             *     steps and keys that led here (`menu:1`), and what the caller keyed in by
             *     attribute (an order number).
             */
            flow?: Record<string, unknown> | null;
            /** Format: uuid */
            id: string;
            /**
             * Format: int64
             * @description The last message's `seq` (0: none yet).
             */
            last_seq: number;
            /**
             * @description A call an agent placed from the desktop: `{number}`, and like a callback's,
             *     `attempts` and `last` (`{at, outcome}`) once a call out went unanswered.
             */
            outbound?: Record<string, unknown> | null;
            /**
             * Format: int64
             * @description Waiting contacts, on their own: their place in line (1 = next).
             */
            position?: number | null;
            /**
             * Format: int32
             * @description The contact's own priority, when a supervisor has set one (0 to 100, added to
             *     its queue's).
             */
            priority?: number | null;
            /** Format: uuid */
            queue_id?: string | null;
            /**
             * @description A recorded call's recording, once the call is over: `{attachment, seconds}`
             *     (the attachment plays as `audio/wav`, caller left, what the caller heard right).
             */
            recording?: Record<string, unknown> | null;
            status: components["schemas"]["ContactState"];
            topic?: string | null;
            /** @description Where a transferred contact comes from: `{by, from_queue?, note?}`. */
            transferred_from?: Record<string, unknown> | null;
            /** Format: date-time */
            updated_at: string;
            /** @description A voicemail: `{attachment, seconds}` (mono `audio/wav`). */
            voicemail?: Record<string, unknown> | null;
            wrapup_code?: string | null;
            wrapup_notes?: string | null;
        };
        /** @description One page of contacts. */
        ContactPage: {
            items: components["schemas"]["ContactOut"][];
            /** Format: uuid */
            next_cursor?: string | null;
        };
        /**
         * @description A contact's state.
         * @enum {string}
         */
        ContactState: "bot" | "waiting" | "active" | "wrapup" | "closed";
        CreateContactIn: {
            /** @description Attributes routing steps can test as `contact.<name>` (e.g. `language`). */
            attributes?: {
                [key: string]: string;
            };
            /**
             * @description `chat`, `sms`, `whatsapp`, `messenger`, `email` or `voice`.
             * @example chat
             */
            channel: string;
            customer?: components["schemas"]["CustomerIn"] | null;
            /**
             * Format: uuid
             * @description An existing customer…
             */
            customer_id?: string | null;
            /** Format: uuid */
            queue_id: string;
            /** @description The customer's first message. */
            text?: string | null;
            topic?: string | null;
        };
        /** @description A customer found. */
        CustomerHit: {
            email?: string | null;
            /** Format: uuid */
            id: string;
            /** @description The kinds of identity the customer has (`phone`, `email`, `chat`…). */
            identities: string[];
            /**
             * @description How it matched: `email`, `phone`, `id` (another channel's id), `name`, `open`
             *     (a customer of a contact not yet closed).
             */
            matched: string;
            name: string;
        };
        CustomerHits: {
            items: components["schemas"]["CustomerHit"][];
        };
        CustomerIn: {
            email?: string | null;
            name: string;
            phone?: string | null;
        };
        /** @description What the answer bot would do with the question. */
        DecisionOut: {
            /** Format: float */
            confidence?: number | null;
            /** @description `answer` or `handover`. */
            decision: string;
            /** @description Why it would hand over: `asked_for_person`, `no_match`, `low_confidence`. */
            reason?: string | null;
            /** @description The article it would answer with. */
            slug?: string | null;
        };
        /** @description A delivery as integrations see it. */
        DeliveryOut: {
            /** Format: int32 */
            attempts: number;
            channel: string;
            /** Format: uuid */
            contact_id: string;
            error?: string | null;
            /** Format: uuid */
            message_id: string;
            provider_message_id?: string | null;
            /** @description `queued`, `sent`, `delivered`, `read`, `failed`. */
            status: string;
        };
        /**
         * @description Where an outbound message stands with its channel.
         * @enum {string}
         */
        DeliveryState: "queued" | "sent" | "delivered" | "read" | "failed";
        /** @description A message an agent sent through a channel, as far as the channel has taken it. */
        DeliveryView: {
            /**
             * Format: int32
             * @description Send attempts so far.
             */
            attempts: number;
            /** @description The last failure, in the channel's words. */
            error?: string | null;
            status: components["schemas"]["DeliveryState"];
        };
        DialIn: {
            /**
             * @description The number to call (E.164, `+15550001`); the number the caller asked to be
             *     called back at when left out.
             */
            number?: string | null;
        };
        DialOut: {
            number: string;
            /**
             * @description `dialling`: the call is out; its audio is joined like any call's
             *     (`POST /api/voice/calls/{id}/audio`), and `GET /api/voice/status` shows it ring.
             */
            state: string;
        };
        /** @description The weekly digest: the week summarised for someone with two minutes. */
        Digest: {
            abandon_percent: components["schemas"]["Compared"];
            asa_s: components["schemas"]["Compared"];
            best_queue?: components["schemas"]["QueueInsight"] | null;
            contacts: components["schemas"]["Compared"];
            csat_avg: components["schemas"]["Compared"];
            /** @description The five most rising words and phrases. */
            rising: components["schemas"]["RisingTerm"][];
            service_level_percent: components["schemas"]["Compared"];
            /** @description The same in a few plain sentences. */
            summary: string[];
            /** @description The five most frequent reasons, with their trend. */
            top_reasons: components["schemas"]["ReasonTrend"][];
            tz: string;
            /** @description The week's Monday (`YYYY-MM-DD`) and zone. */
            week: string;
            worst_queue?: components["schemas"]["QueueInsight"] | null;
        };
        /** @description The answer to a digest sent. */
        DigestSent: {
            digest: components["schemas"]["Digest"];
            /**
             * Format: uuid
             * @description What its delivery attempts name.
             */
            id: string;
        };
        /** @description The digest webhook as an admin reads and sends it. */
        DigestSettings: {
            /** @description Whether a signing secret is stored (read only). */
            has_secret?: boolean;
            /** @description The signing secret: leave out to keep the stored one. Never returned. */
            webhook_secret?: string | null;
            /**
             * @description Where the weekly digest is posted (https, or http on this machine); none: not
             *     sent.
             */
            webhook_url?: string | null;
        };
        /** @description A new draft of an article. */
        DraftIn: {
            /**
             * Format: int32
             * @description The revision this draft was edited from: when someone saved since, 409 (their
             *     changes would be lost).
             */
            base_revision?: number | null;
            body?: string;
            category?: string;
            locale?: string | null;
            title: string;
        };
        /** @description What testing an endpoint found. */
        EndpointCheck: {
            /** @description What it said, or what to fix. */
            detail: string;
            /** @description The provider (or integration) accepted the stored address and credentials. */
            ok: boolean;
            /**
             * Format: int64
             * @description How long the check took.
             */
            took_ms: number;
        };
        EndpointIn: {
            /** @description WhatsApp: a system user's access token (left out: the current one stays). */
            access_token?: string | null;
            /** @description Twilio: the account SID (`AC…`). */
            account_sid?: string | null;
            /** @description Email: the support address customers write to (`support@shop.example`). */
            address?: string | null;
            /** @description Twilio: the API's address (default `https://api.twilio.com`). */
            api_base?: string | null;
            /** @description WhatsApp, Messenger: the Meta app's secret, which signs webhooks (left out: kept). */
            app_secret?: string | null;
            /** @description Twilio: the auth token (left out: the current one stays). */
            auth_token?: string | null;
            /** @description Email: the name replies come from. */
            display_name?: string | null;
            /** @description Twilio: the number replies come from, E.164 (`+15551230000`). */
            from?: string | null;
            imap?: components["schemas"]["MailServerIn"] | null;
            /**
             * @description Email: the raw-MIME ingress's shared secret (16 to 200 characters). Left out:
             *     the current one stays, or a new one is made and shown once.
             */
            ingress_secret?: string | null;
            /** @description Email: the IMAP folder read (default `INBOX`). */
            mailbox?: string | null;
            /** @description Messenger: the page's access token (left out: the current one stays). */
            page_access_token?: string | null;
            /** @description Messenger: the Facebook page's id. */
            page_id?: string | null;
            /** @description WhatsApp: the business number's id in the Cloud API. */
            phone_number_id?: string | null;
            /**
             * @description `webhook` (the default), `twilio` (SMS only), `whatsapp` (WhatsApp only),
             *     `messenger` (Messenger only) or `email` (email only).
             */
            provider?: string | null;
            /** @description Twilio: this server's address as Twilio reaches it (`https://cc.example.com`). */
            public_base_url?: string | null;
            /**
             * Format: uuid
             * @description Twilio: where a new SMS contact waits.
             */
            queue_id?: string | null;
            /**
             * @description Webhook: the HMAC-SHA256 key (16 to 200 characters). Left out: the current one
             *     stays, or a new one is made and shown once.
             */
            secret?: string | null;
            /** @description Email: under every reply; `{agent}` becomes the agent's name. */
            signature?: string | null;
            smtp?: components["schemas"]["MailServerIn"] | null;
            /**
             * @description WhatsApp: the number's approved message templates, as in WhatsApp Manager (left
             *     out: the current ones stay). The only messages sent once the 24-hour window closed.
             */
            templates?: components["schemas"]["Template"][] | null;
            /** @description WhatsApp, Messenger: the verify token the webhook's set-up handshake must present. */
            verify_token?: string | null;
            /**
             * @description Webhook: where each outbound message is POSTed (JSON, signed in
             *     `X-Homeshore-Signature`).
             */
            webhook_url?: string | null;
        };
        /** @description One channel's endpoint as admins see it: never a secret itself. */
        EndpointOut: {
            /**
             * @description Twilio: the account, the sending number, where new contacts wait, the API's
             *     address, and this server's address as Twilio reaches it.
             */
            account_sid?: string | null;
            /**
             * @description Email: the support address, the name replies come from, the mail servers (never
             *     their passwords), the mailbox read, and the signature under replies.
             */
            address?: string | null;
            api_base?: string | null;
            /** @description `sms`, `whatsapp`, `messenger` or `email`. */
            channel: string;
            display_name?: string | null;
            from?: string | null;
            imap?: components["schemas"]["MailServerOut"] | null;
            /**
             * @description Twilio: the URL to set as the number's "A message comes in" webhook. WhatsApp:
             *     the path of the callback URL to give Meta (after this server's address).
             */
            inbound_url?: string | null;
            mailbox?: string | null;
            /** @description Messenger: the Facebook page's id. */
            page_id?: string | null;
            /** @description WhatsApp: the business number's id. */
            phone_number_id?: string | null;
            /** @description `webhook`, `twilio`, `whatsapp`, `messenger` or `email`. */
            provider: string;
            public_base_url?: string | null;
            /** Format: uuid */
            queue_id?: string | null;
            /** @description Only in the answer that created the secret: keep it, it is not shown again. */
            secret?: string | null;
            /**
             * @description The last four characters of the signing secret (webhook), the auth token
             *     (Twilio) or the access token (WhatsApp, Messenger).
             */
            secret_hint: string;
            signature?: string | null;
            smtp?: components["schemas"]["MailServerOut"] | null;
            /** @description WhatsApp: the approved message templates agents may send. */
            templates?: components["schemas"]["Template"][] | null;
            /** @description Webhook: where each message is POSTed. */
            webhook_url?: string | null;
        };
        /** @description Why a customer is erased. */
        EraseIn: {
            /**
             * @description Why (kept with your name in the log, so write no personal data in it): 3 to 500
             *     characters, e.g. "erasure request of 2026-12-01, ticket 4711".
             */
            reason: string;
        };
        /** @description What an erasure deleted. */
        ErasureReport: {
            /** Format: uuid */
            customer_id: string;
            /**
             * @description Rows deleted per kind: `customers`, `identities`, `contacts`, `messages`,
             *     `attachments`, `deliveries`, `idempotency_keys`.
             */
            erased: {
                [key: string]: number;
            };
        };
        ErrorBody: {
            error: components["schemas"]["ErrorInner"];
        };
        ErrorInner: {
            code: string;
            details?: unknown;
            message: string;
        };
        /** @description One thing an action asks the customer for. */
        Field: {
            /** @description Said when an answer does not match ("Order numbers look like HS-12345."). */
            hint?: string | null;
            /**
             * @description `order_number`: lowercase letters, digits and `_`, 1 to 32; the template's
             *     `{{order_number}}`.
             */
            name: string;
            /** @description A regular expression the whole answer must match (`HS-\d{5}`), if any. */
            pattern?: string | null;
            /** @description What the bot asks ("What is your order number?"); 1 to 300 characters. */
            prompt: string;
        };
        /** @description A flag on an article, or on a question no article answers. */
        FlagIn: {
            /**
             * Format: uuid
             * @description The article (left out for `missing`).
             */
            article_id?: string | null;
            /**
             * Format: uuid
             * @description The conversation it came up in (one the caller may see).
             */
            contact_id?: string | null;
            /**
             * @description What is wrong, or what the customer asked (required for `missing`); personal
             *     data is masked before it is kept.
             */
            note?: string;
            reason: components["schemas"]["FlagReason"];
        };
        /** @description One flag, as the editors see it. */
        FlagOut: {
            /** Format: uuid */
            article_id?: string | null;
            /** @description The article's title now (none for `missing`, or once it is deleted). */
            article_title?: string | null;
            /** Format: date-time */
            at: string;
            /**
             * Format: uuid
             * @description Who flagged it.
             */
            by?: string | null;
            by_name?: string | null;
            /** Format: uuid */
            contact_id?: string | null;
            /** Format: uuid */
            id: string;
            note: string;
            reason: string;
        };
        /**
         * @description Why an article was flagged.
         * @enum {string}
         */
        FlagReason: "wrong" | "outdated" | "missing";
        FlagsOut: {
            items: components["schemas"]["FlagOut"][];
        };
        FlowCheckOut: {
            /** @description Empty when the flow may be saved. */
            errors: components["schemas"]["FlowProblem"][];
        };
        FlowIn: {
            /**
             * @description The flow: `{"start": "step", "timezone": "America/Chicago", "language": "es",
             *     "steps": {...}}`; each step has a `type` (`say`, `menu`, `collect`, `branch`,
             *     `queue`, `voicemail`, `hangup`). `language` (`en`, `es`, `fr`, `de`, `pt`, `it`;
             *     English when left out) is the voice callers hear and the language of the place
             *     in line and the callback offer. See the example in the list.
             */
            flow: Record<string, unknown>;
        };
        FlowOut: {
            flow: Record<string, unknown>;
            name: string;
            /** @description The numbers whose callers go through it. */
            numbers: string[];
        };
        /** @description One problem with a flow: a JSON pointer into it, and what is wrong there. */
        FlowProblem: {
            message: string;
            path: string;
        };
        FlowsOut: {
            /**
             * @description A flow to start from: business hours, a menu, an order number, a callback
             *     offer while waiting, voicemail when closed.
             */
            example: Record<string, unknown>;
            items: components["schemas"]["FlowOut"][];
        };
        ForceStateIn: {
            /** @description Why (the agent sees it; 1 to 100 characters). */
            reason: string;
            /** @description Also end the agent's sessions (they sign in again). */
            sign_out?: boolean;
            /** @description `available`, `break` or `offline`. */
            state: components["schemas"]["AgentState"];
        };
        /** @description Forecast settings. */
        ForecastIn: {
            /**
             * Format: double
             * @description Handle time where the history has none, seconds (default 300).
             */
            aht_s?: number | null;
            /**
             * Format: double
             * @description Seconds (default 20).
             */
            answer_s?: number | null;
            peak?: boolean;
            /**
             * Format: double
             * @description Share answered within `answer_s` (default 0.8).
             */
            service_level?: number | null;
            /**
             * Format: double
             * @description Share of paid time not on contacts (default 0.3).
             */
            shrinkage?: number | null;
            /** @description The Monday starting the week; default: this week. */
            week?: string | null;
            /**
             * Format: int32
             * @description Weeks of history used (default 8).
             */
            weeks_of_history?: number | null;
        };
        /**
         * @description Who wrote a message.
         * @enum {string}
         */
        From: "customer" | "agent" | "system" | "supervisor";
        HandOverOut: {
            contact: components["schemas"]["ContactOut"];
            /**
             * @description The colleague took the call; when `false` (no room for a call, not available)
             *     it waits for them, offered as soon as they can take it, the caller hearing the
             *     music.
             */
            taken: boolean;
        };
        /** @description How the bot handed the conversation over. */
        Handover: {
            at: string;
            /**
             * Format: int64
             * @description The customer's message it could not answer (none when they asked for a person
             *     with the button).
             */
            question_seq?: number | null;
            reason: components["schemas"]["Reason"];
            /** @description What the question is about, as the search found it (an article category). */
            topic?: string | null;
        };
        /** @description Why the bot handed over, and how often. */
        HandoverCount: {
            /** Format: int32 */
            count: number;
            reason: string;
        };
        /** @description A raised hand. */
        HelpRequest: {
            /** Format: uuid */
            agent_id: string;
            agent_name: string;
            /**
             * Format: uuid
             * @description The contact the agent needs help with, if any.
             */
            contact_id?: string | null;
            /** Format: uuid */
            id: string;
            raised_at: string;
            taken_at?: string | null;
            /**
             * Format: uuid
             * @description The supervisor who took it.
             */
            taken_by?: string | null;
            taken_by_name?: string | null;
            /**
             * @description The agent's team when they raised it: that team's supervisors (and those with no
             *     team) are called with a sound and a notification; everyone else sees it listed.
             */
            team?: string | null;
            /** @description The agent's line (personal data masked). */
            text?: string | null;
        };
        /** @description One mask in a message's text. */
        HiddenOut: {
            /** @description Whether a reveal can show it (card numbers are never kept). */
            kept: boolean;
            /** @description `card`, `ssn`, `iban`, `phone`, `email`. */
            kind: string;
            /** @description As it appears in the text (`[phone ending 99]`). */
            mask: string;
        };
        /** @description Peak planning settings. */
        HirePlanIn: {
            /**
             * Format: int32
             * @description Most hires to consider (default 500, at most 5000).
             */
            max_hires?: number | null;
            /** @description The hires' time zone, an IANA name (default: the planning zone). */
            time_zone?: string | null;
            /**
             * Format: int32
             * @description Superseded by `time_zone`: a fixed offset, minutes east of UTC.
             */
            utc_offset_min?: number | null;
            /** @description The Monday starting the week; default: this week. */
            week?: string | null;
        };
        /** @description One contact of a customer's history. */
        HistoryItem: {
            contact: components["schemas"]["ContactOut"];
            first?: components["schemas"]["LineOut"] | null;
            last?: components["schemas"]["LineOut"] | null;
        };
        HistoryPage: {
            items: components["schemas"]["HistoryItem"][];
            /** Format: uuid */
            next_cursor?: string | null;
        };
        HitOut: {
            category: string;
            /**
             * Format: float
             * @description The share of the question's words (rare ones weigh more) the article holds.
             */
            coverage: number;
            locale: string;
            /** Format: float */
            score: number;
            slug: string;
            title: string;
        };
        HoldIn: {
            /**
             * @description `true`: the caller hears the hold music and the agent hears nothing of them;
             *     `false`: back on the line.
             */
            on: boolean;
        };
        HoldOut: {
            held: boolean;
        };
        /** @description Articles to import. */
        ImportIn: {
            /** @description For HTML, and CSV rows without one. */
            category?: string;
            content: string;
            /**
             * @description `csv` (a header with `title` and `body`, optionally `category`, `locale`, `slug`)
             *     or `html` (one page: its `<h1>` is the title).
             */
            format: string;
            locale?: string | null;
            publish?: boolean;
        };
        /** @description An action under way in a conversation (kept in its bot record). */
        InFlight: {
            slug: string;
            /** @description The index of the question asked now. */
            step: number;
            /**
             * Format: int32
             * @description Times the current question was answered wrongly.
             */
            tries: number;
            /** @description Values given so far, each sealed. */
            values: Record<string, unknown>;
        };
        /** @description Who sent an inbound message. */
        InboundFrom: {
            /** @description `phone`, `email`, `messenger_psid`, `whatsapp`, `chat`… */
            kind: string;
            name?: string | null;
            value: string;
        };
        /** @description An inbound message from an integration, in the channel contract's one shape. */
        InboundIn: {
            attributes?: {
                [key: string]: string;
            };
            /** @example sms */
            channel: string;
            from: components["schemas"]["InboundFrom"];
            /** @description The provider's id of the message: a second delivery answers the first result. */
            message_id: string;
            /**
             * Format: uuid
             * @description Where a new contact waits.
             */
            queue_id: string;
            /** @description When the provider says it was sent (RFC 3339). */
            sent_at?: string | null;
            text?: string | null;
        };
        /** @description One week of Insight. */
        Insight: {
            /**
             * @description The answer bot's week: deflection, handovers and why, ratings, and the questions
             *     it could not answer, grouped.
             */
            bot: components["schemas"]["BotWeek"];
            /**
             * Format: int32
             * @description Conversations whose words were counted this week.
             */
            conversations: number;
            from: string;
            last_week: components["schemas"]["WeekFigures"];
            /**
             * Format: int32
             * @description Terms used in fewer conversations than this are never shown.
             */
            min_conversations: number;
            /** @description Each queue this week and last. */
            queues: components["schemas"]["QueueInsight"][];
            /**
             * @description Contact reasons (wrap-up codes of handled contacts), most frequent first, with
             *     their ratings.
             */
            reasons: components["schemas"]["ReasonTrend"][];
            /** @description Words and phrases rising in customers' messages, against the four weeks before. */
            rising: components["schemas"]["RisingTerm"][];
            to: string;
            totals: components["schemas"]["WeekFigures"];
            tz: string;
            /** @description The week's Monday (`YYYY-MM-DD`) in `tz`, and its bounds. */
            week: string;
            /** @description The Mondays of the weeks the trends cover, oldest first, this week last. */
            weeks: string[];
        };
        /**
         * @description Who besides admins may edit the knowledge base, and where the answer bot meets
         *     customers first (an admin-only object).
         */
        KbSettings: {
            /** @description The channels it does so on (written channels only). Default: all of them. */
            bot_channels?: string[];
            /**
             * Format: int64
             * @description Seconds of silence after which a conversation with the bot closes (60 to
             *     86,400; default 1,800).
             */
            bot_idle_s?: number;
            /**
             * @description Queues whose new conversations meet the answer bot before they are queued: it
             *     answers from published articles and hands over to a person when unsure or asked.
             */
            bot_queues?: string[];
            /**
             * @description Whether the time a customer spent with the bot counts toward their wait when it
             *     hands them over (their place in line counts from their first message). Default:
             *     no, the wait starts at the handover.
             */
            bot_time_counts?: boolean;
            /** @description Users (agents, supervisors, analysts) allowed to write and publish articles. */
            editors?: string[];
        };
        KeysIn: {
            /** @description 1 to 32 of `0`–`9`, `*`, `#`, sent one every 200 ms. */
            keys: string;
        };
        KeysOut: {
            /** @description How many keys were queued (their values are not kept or logged). */
            sent: number;
        };
        /** @description One line of a conversation, shortened. */
        LineOut: {
            /** Format: date-time */
            at: string;
            /** @description `customer`, `agent`, `system`, `supervisor`. */
            from: string;
            /**
             * @description The text (personal data masked as stored), at most 200 characters, or the
             *     attachment's name in brackets.
             */
            text: string;
        };
        LoginIn: {
            email: string;
            /** @description The organisation's slug. */
            org: string;
            password: string;
            /** @description A 6-digit TOTP code or a recovery code, when MFA is enabled. */
            totp_code?: string | null;
        };
        /** @description What reading the mailbox now found. */
        MailRound: {
            /** @description What went wrong, or what was read. */
            detail: string;
            /** @description Mails stored before (the same Message-ID). */
            duplicates: number;
            /** @description The round ran to its end. */
            ok: boolean;
            /** @description Automatic replies and our own mails, kept out. */
            skipped: number;
            /** @description New mails stored. */
            stored: number;
            /** @description Messages that are not mail, passed over. */
            unreadable: number;
        };
        /** @description A mail server and the account on it. */
        MailServerIn: {
            host: string;
            /** @description Left out: the current one stays. */
            password?: string | null;
            /** Format: int32 */
            port: number;
            /** @description `tls` (the default), `starttls` or `none` (a server on this machine or network). */
            security?: string | null;
            /** @description Left empty: no login (an SMTP relay that trusts this server). */
            user?: string | null;
        };
        /** @description A mail server as admins see it. */
        MailServerOut: {
            /** @description Whether a password is stored. */
            has_password: boolean;
            host: string;
            /** Format: int32 */
            port: number;
            /** @description `tls`, `starttls` or `none`. */
            security: string;
            user: string;
        };
        /** @description What became of a mail given to the ingress. */
        MailTaken: {
            /** Format: uuid */
            contact_id?: string | null;
            opened: boolean;
            /** @description Why it was skipped. */
            reason?: string | null;
            /**
             * @description `stored` (in `contact_id`; `opened`: a new contact), `duplicate` (stored before,
             *     by its Message-ID) or `skipped` (an automatic reply, or our own mail).
             */
            status: string;
        };
        /** @description Which customer is the same person. */
        MergeIn: {
            /**
             * Format: uuid
             * @description The other customer: its identities and contacts become this customer's, and it
             *     is gone (a read of it answers 404 with `details.merged_into`).
             */
            from: string;
        };
        MessageIn: {
            /**
             * Format: uuid
             * @description A file uploaded to this contact (`POST /api/contacts/{id}/attachments`) to send
             *     with the message; `text` may then be empty (its caption where the channel has
             *     captions; on Messenger, which has none, it must be).
             */
            attachment_id?: string | null;
            /** @description The sender's idempotency key: a retry with the same one returns the first message. */
            client_id: string;
            /** @description A note for staff only, never shown to the customer. */
            internal?: boolean;
            template?: components["schemas"]["TemplateIn"] | null;
            /** @description The message (left out when sending a `template`: its filled-in body is the text). */
            text?: string;
        };
        /** @description A message, the same for staff and customers (staff also get `delivery`). */
        MessageOut: {
            /**
             * Format: date-time
             * @description RFC 3339.
             */
            at: string;
            attachment?: components["schemas"]["AttachmentRef"] | null;
            author_name?: string | null;
            /** @description The sender's idempotency key. */
            client_id?: string | null;
            /** Format: uuid */
            contact_id: string;
            /** @description It reached the other side (a customer's message always has: it is here). */
            delivered: boolean;
            delivery?: components["schemas"]["DeliveryView"] | null;
            from: components["schemas"]["From"];
            /**
             * @description Personal data masked out of `text`, in order: what each mask stands for. The
             *     values come only from `POST …/messages/{seq}/reveal`, with a reason.
             */
            hidden?: components["schemas"]["HiddenOut"][];
            /** Format: uuid */
            id: string;
            /** @description A note for staff only. */
            internal: boolean;
            /**
             * @description An email's quoted history starts at this offset of `text` (in UTF-16 code units,
             *     as browsers count): the desktop folds it away.
             */
            quoted_from?: number | null;
            /** @description The other side has read it. */
            read: boolean;
            /**
             * Format: int64
             * @description 1, 2, 3… within the contact: the order of the conversation.
             */
            seq: number;
            /** @description The approved template it was sent as (WhatsApp); `text` is that template filled in. */
            template?: string | null;
            text?: string | null;
        };
        /** @description One page of a contact's messages. */
        MessagePage: {
            items: components["schemas"]["MessageOut"][];
        };
        /**
         * @description What a rule watches, per queue.
         * @enum {string}
         */
        Metric: "waiting" | "longest_wait_s" | "agents_available" | "service_level_30m" | "abandon_rate_30m";
        /**
         * @description How a supervisor joins a call (all three hear the caller and the agent).
         * @enum {string}
         */
        Monitor: "listen" | "whisper" | "barge";
        MonitorIn: {
            /**
             * @description `listen` (nobody hears the supervisor), `whisper` (the agent does), `barge`
             *     (everyone does).
             */
            mode: components["schemas"]["Monitor"];
            /** @description The supervisor's browser's SDP offer, with PCMU audio. */
            sdp: string;
        };
        MonitorModeIn: {
            mode: components["schemas"]["Monitor"];
        };
        MonitorOut: {
            mode: components["schemas"]["Monitor"];
            /** @description Homeshore's SDP answer (on joining); absent on a change of mode. */
            sdp?: string | null;
        };
        /** @description What a merge or split moved. */
        Moved: {
            contacts: string[];
            /**
             * Format: uuid
             * @description The customer that holds them now.
             */
            customer_id: string;
            /**
             * Format: uuid
             * @description The customer they came from (merged away, or split from).
             */
            from: string;
            identities: string[];
        };
        /** @description One number a trunk brings calls for, and the queue its calls wait in. */
        NumberRoute: {
            /**
             * @description The contact flow (IVR) callers go through first, by name; straight to the queue
             *     when left out.
             */
            flow?: string | null;
            /**
             * @description The dialled number as the provider sends it in the Request-URI, E.164 with or
             *     without `+` (`+15550100`).
             */
            number: string;
            /**
             * Format: uuid
             * @description The queue its calls wait in (and the default of its contact flow's steps).
             */
            queue_id: string;
        };
        OrgPatch: {
            /** @description Every user must use two-factor authentication. */
            mfa_required?: boolean | null;
            name?: string | null;
        };
        PasswordIn: {
            current_password: string;
            new_password: string;
        };
        PlaceCallIn: {
            /** @description The customer's name, for a number not known yet. */
            name?: string | null;
            /** @description The number to call (E.164, `+15550001`). */
            number: string;
            /**
             * Format: uuid
             * @description The queue the call counts in (its reports, its recording policy).
             */
            queue_id: string;
        };
        PlacedCallOut: {
            /**
             * @description The call's contact: yours, active; the desktop joins its audio
             *     (`POST /api/voice/calls/{id}/audio`) while it rings.
             */
            contact: components["schemas"]["ContactOut"];
            number: string;
            /** @description `dialling`. */
            state: string;
        };
        /** @description One step of a queue's routing policy. */
        PolicyStep: {
            /**
             * @description Who qualifies, e.g. `skill.returns >= 4 AND contact.language == "es"`.
             * @default
             */
            target: string;
            /**
             * Format: int64
             * @description Seconds before the next step replaces this one; none on the last step.
             * @default null
             */
            timeout_s: number | null;
        };
        /** @description The hours an agent offers. */
        PreferencesIn: {
            /** @description Weekdays (0 = Monday) wanted off whatever the windows say. */
            days_off?: number[];
            /**
             * Format: double
             * @description Most paid hours a week (default 30, at most 30).
             */
            max_week_hours?: number;
            /**
             * Format: double
             * @description Fewest paid hours a week (default 1).
             */
            min_week_hours?: number;
            /**
             * Format: double
             * @description Most paid hours in a peak week the planner opened (at most 60).
             */
            peak_max_week_hours?: number | null;
            /**
             * @description The agent's time zone, an IANA name such as `America/Chicago` (its daylight-saving
             *     rules apply date by date). The windows are on its wall clock.
             */
            time_zone?: string | null;
            /**
             * Format: int32
             * @description Superseded by `time_zone`: a fixed offset, minutes east of UTC, used only when
             *     `time_zone` is absent (preferences saved before zones read this way: a fixed
             *     offset zone such as `UTC-05:00`).
             */
            utc_offset_min?: number;
            /** @description When the agent can work. */
            windows?: components["schemas"]["WindowIn"][];
        };
        /** @description What to preview: steps as typed in the editor, or a queue's own. */
        PreviewIn: {
            contact: components["schemas"]["SampleContact"];
            /** Format: uuid */
            queue_id?: string | null;
            steps?: components["schemas"]["PolicyStep"][] | null;
        };
        PriorityIn: {
            /**
             * Format: int32
             * @description The contact's own priority, 0 to 100, added to its queue's; higher is served
             *     first. Waiting time still ages every contact toward the front.
             */
            priority: number;
            /** @description Why (kept in the log with who changed it). */
            reason?: string | null;
        };
        PromptOut: {
            /** @description The contact flows that say this sentence. */
            flows: string[];
            /** @description Names the recording (`/api/voice/prompts/{key}`). */
            key: string;
            /**
             * Format: double
             * @description The recording's length; absent where the sentence is spoken (no recording).
             */
            seconds?: number | null;
            text: string;
        };
        PromptsOut: {
            items: components["schemas"]["PromptOut"][];
        };
        /** @description The organisation's data protection settings. */
        Protection: {
            /**
             * @description Roles whose staff may open customers' attachments, on the contacts they may see.
             *     (`admin`, `supervisor`, `agent`, `analyst`.) Default: admins, supervisors and
             *     agents.
             */
            attachment_roles?: string[];
        };
        /**
         * @description Questions the answer bot could not answer that share a word or phrase: one article
         *     to write.
         */
        QuestionGroup: {
            /** Format: int32 */
            count: number;
            /** @description Up to three of the questions, personal data masked, at most 200 characters each. */
            examples: string[];
            /**
             * @description The word or phrase they share (`refund`, `gift card`); `""` for the rest, which
             *     share none with another.
             */
            label: string;
        };
        /** @description A queue this week against last week. */
        QueueInsight: {
            last_week: components["schemas"]["WeekFigures"];
            name: string;
            /** Format: uuid */
            queue_id: string;
            this_week: components["schemas"]["WeekFigures"];
        };
        RaiseIn: {
            /**
             * Format: uuid
             * @description The contact you need help with (one of yours).
             */
            contact_id?: string | null;
            /** @description One line for the supervisor (at most 280 characters). */
            text?: string | null;
        };
        /** @description Write to the customer on another channel. */
        ReachIn: {
            /**
             * @description `sms`, `whatsapp`, `messenger` or `email`: one the customer has an identity for
             *     and the organisation has set up.
             * @example sms
             */
            channel: string;
            /** @description The first message. */
            text: string;
        };
        /**
         * @description The contact opened on the other channel, and the message sent (none when the
         *     agent had no room for another contact: it waits for them for five minutes).
         */
        ReachOut: {
            contact: components["schemas"]["ContactOut"];
            message?: components["schemas"]["MessageOut"] | null;
        };
        ReadIn: {
            /** Format: int64 */
            up_to_seq: number;
        };
        /**
         * @description Why the bot handed a customer to a person.
         * @enum {string}
         */
        Reason: "asked_for_person" | "no_match" | "low_confidence" | "action_failed" | "action_handover";
        /** @description A contact reason this week, with its trend. */
        ReasonTrend: {
            /**
             * Format: double
             * @description Week over week, in percent (none when last week had none).
             */
            change_percent?: number | null;
            /** @description The wrap-up code. */
            code: string;
            /**
             * Format: int64
             * @description Contacts handled with it this week.
             */
            contacts: number;
            /**
             * Format: double
             * @description Average rating this week (1–5) and how many.
             */
            csat_avg?: number | null;
            /** Format: int64 */
            csat_count: number;
            /** Format: double */
            csat_last_week?: number | null;
            /** Format: int64 */
            last_week: number;
            /**
             * Format: double
             * @description Share of this week's coded contacts, in percent.
             */
            share_percent: number;
            /** @description Contacts per week, oldest first, this week last. */
            weekly: number[];
        };
        ReauthIn: {
            password: string;
        };
        ReceiptIn: {
            /** @example sms */
            channel?: string | null;
            /** @description Why it failed, as the provider says. */
            error?: string | null;
            /**
             * Format: uuid
             * @description Our id of the message (the webhook body's `id`)…
             */
            message_id?: string | null;
            /** @description …or the provider's id, with the channel. */
            provider_message_id?: string | null;
            /**
             * @description `sent`, `delivered`, `read` or `failed`.
             * @example delivered
             */
            status: string;
        };
        /** @description A `receipt` on the staff WebSocket: an outbound message moved on. */
        ReceiptOut: {
            /** Format: int32 */
            attempts: number;
            channel: components["schemas"]["ChannelOut"];
            /** Format: uuid */
            contact_id: string;
            error?: string | null;
            /** Format: uuid */
            message_id: string;
            /** Format: int64 */
            seq: number;
            status: components["schemas"]["DeliveryState"];
        };
        RecordingIn: {
            /** @description `true`: stop recording (a card payment is read out or keyed in); `false`: go on. */
            paused: boolean;
        };
        RecordingOut: {
            /** @description `paused`, `recording`, or `off` (this call's queue does not record). */
            recording: string;
        };
        /** @description Registering with the provider (when it wants to know where to send calls). */
        RegisterIn: {
            /**
             * Format: int32
             * @description Seconds asked for (60 to 86,400; 3,600 when left out).
             */
            expires?: number;
            /** @description Write only: left out, the stored one is kept. */
            password?: string | null;
            /** @description The provider's registrar, `host` or `host:port` (5060 when left out). */
            registrar: string;
            username: string;
        };
        RegisterOut: {
            /** Format: int32 */
            expires: number;
            password_set: boolean;
            registrar: string;
            username: string;
        };
        /** @description A trunk's registration with its provider. */
        RegistrationOut: {
            /** @description The provider's last refusal, if any. */
            last_error?: string | null;
            /**
             * @description `registering`, `registered`, `failed`, `unresolved` (the registrar's name did not
             *     resolve).
             */
            state: string;
            trunk: string;
        };
        /** @description A requirement entered by the planner. */
        RequirementIn: {
            /** @description Mean handle time per interval, seconds (336 values). */
            aht_s?: number[] | null;
            /**
             * @description Contacts expected per interval (336 values), for simulating schedules; kept
             *     from the week's forecast when not given.
             */
            contacts?: number[] | null;
            /** @description A peak week: agents may be given up to their peak maximum (60 at most). */
            peak?: boolean;
            /** @description Agents needed working per 30-minute interval from Monday 00:00 UTC (336 values). */
            requirement: number[];
            /** @description The Monday starting the week; default: this week. */
            week?: string | null;
        };
        /** @description How long closed contacts are kept. */
        Retention: {
            /**
             * @description Per channel (`chat`, `sms`, `whatsapp`, `messenger`, `email`, `voice`): days
             *     that replace `days` for that channel (null: kept).
             */
            channels?: {
                [key: string]: number | null;
            };
            /**
             * Format: int32
             * @description Days a closed contact is kept, counted from its closing; null: kept.
             */
            days?: number | null;
        };
        RevealIn: {
            /**
             * @description Why you need the hidden values (kept with your name in the log): 3 to 500
             *     characters, e.g. "customer asked for a call back".
             */
            reason: string;
        };
        /** @description The values behind a message's masks, for the staff member who asked, with a reason. */
        Revealed: {
            values: components["schemas"]["RevealedValue"][];
        };
        RevealedValue: {
            kind: string;
            mask: string;
            /** @description `null` for a card number: it was never kept. */
            value?: string | null;
        };
        /** @description A word or phrase used in more conversations this week than before. */
        RisingTerm: {
            /**
             * Format: int32
             * @description Conversations that used it this week.
             */
            conversations: number;
            /**
             * Format: double
             * @description The mean per week of the four weeks before.
             */
            previous_mean: number;
            /**
             * Format: double
             * @description (this week + 2) / (mean before + 2).
             */
            ratio: number;
            term: string;
        };
        /** @description One rule of the group-to-role mapping. */
        RoleRule: {
            /** @description A group name (or id) as the provider sends it in the groups claim. */
            group: string;
            /**
             * @description `admin`, `supervisor`, `agent`, `analyst`.
             * @example agent
             */
            role: string;
        };
        RoutingHistoryOut: {
            /** Format: uuid */
            contact_id: string;
            /** @description Everything routing did with the contact, oldest first. */
            steps: components["schemas"]["RoutingStep"][];
        };
        /** @description One thing routing did with a contact, in words for a supervisor. */
        RoutingStep: {
            /** @description Who caused it (a user, an API token, the customer, or the server's timers). */
            actor: Record<string, unknown>;
            /**
             * Format: uuid
             * @description The agent it concerns, if any.
             */
            agent_id?: string | null;
            at: string;
            /** @description The engine's event: `contact_enqueued`, `contact_offered`, `offer_declined`… */
            event: string;
            /** @description For an offer: why this agent, in words. */
            explanation?: string | null;
            /** @description What happened, in a sentence. */
            text: string;
            /** @description For an offer: the same, as data (step, selection rule, agents qualified, wait). */
            why?: Record<string, unknown> | null;
        };
        /** @description A sample contact for [`preview_policy`]. */
        SampleContact: {
            attributes?: {
                [key: string]: string;
            };
            /** @example chat */
            channel: string;
            /** Format: int32 */
            priority?: number;
        };
        ScheduleIn: {
            /** @description The Monday starting the week; default: this week. */
            week?: string | null;
        };
        SearchOut: {
            bot: components["schemas"]["DecisionOut"];
            hits: components["schemas"]["HitOut"][];
            /** @description Whether a sentence-embedding model re-ranked the hits by meaning (`kb_model_dir`). */
            reranked: boolean;
        };
        /** @description Planning settings to save. */
        SettingsIn: {
            /** @description The zone planners read schedules in: an IANA name such as `America/Chicago`. */
            planning_zone: string;
        };
        /** @description An article the bot showed. */
        Shown: {
            /**
             * Format: float
             * @description How sure the bot was, 0 to 1.
             */
            confidence: number;
            /**
             * Format: int64
             * @description The message that quoted it.
             */
            seq: number;
            slug: string;
            title: string;
        };
        SimpleIn: {
            description?: string | null;
            /** @description Routing policies: the target expression; canned responses: the text. */
            expression?: string | null;
            label?: string | null;
            name: string;
            /** Format: uuid */
            queue_id?: string | null;
            /** @description Canned responses: what the agent types to insert it (`/refund`), and a title. */
            shortcut?: string | null;
            tags?: string[] | null;
            text?: string | null;
            /** @description Business hours: IANA time zone and weekly opening hours. */
            timezone?: string | null;
            title?: string | null;
            weekly?: components["schemas"]["WeeklyIn"][] | null;
        };
        /** @description How to simulate a schedule. */
        SimulateIn: {
            /**
             * Format: double
             * @description Handle time where the plan has none, seconds (default 300).
             */
            aht_s?: number | null;
            /**
             * Format: double
             * @description Service-level answer time, seconds (default 20).
             */
            answer_s?: number | null;
            /**
             * Format: double
             * @description Mean customer patience, seconds (default 120); 0: nobody hangs up.
             */
            patience_s?: number | null;
            /**
             * Format: int32
             * @description Seeded replications (default 5, at most 50).
             */
            runs?: number | null;
        };
        /** @description What to split off. */
        SplitIn: {
            /** @description Ids of this customer's contacts that become the new customer's. */
            contacts?: string[];
            /** @description Ids of this customer's identities that become the new customer's. */
            identities?: string[];
            /** @description The new customer's name (default: this customer's). */
            name?: string | null;
        };
        /** @description Single sign-on settings as an admin sends them. */
        SsoIn: {
            client_id: string;
            /** @description Leave out to keep the stored one. Stored sealed, never returned. */
            client_secret?: string | null;
            /**
             * @description The role of a user none of whose groups has a rule; null: no access.
             * @example agent
             */
            default_role?: string | null;
            /** @description Offer "Sign in with …" (and accept sign-ins through the provider). */
            enabled: boolean;
            /** @description The ID-token claim that lists the user's groups (default `groups`). */
            groups_claim?: string | null;
            /**
             * @description The issuer URL; its `/.well-known/openid-configuration` must answer. https (http
             *     only on loopback).
             */
            issuer: string;
            /** @description Create an account at the first sign-in of an unknown email (default on). */
            jit?: boolean | null;
            /** @description Whether staff may still sign in with a password (default on; admins always may). */
            password_login?: boolean | null;
            /** @description The provider's name on the sign-in page ("Okta", "Acme SSO"). */
            provider_name: string;
            /** @description Group → role, first match wins. */
            role_rules?: components["schemas"]["RoleRule"][];
            /**
             * @description Scopes to ask for (default `openid email profile`; add `groups` where the
             *     provider needs it).
             */
            scopes?: string | null;
        };
        StateIn: {
            reason?: string | null;
            state: components["schemas"]["AgentState"];
        };
        /** @description An article suggested to the agent of a conversation, ready to quote or link. */
        Suggestion: {
            /** Format: uuid */
            article_id: string;
            category: string;
            /** @description The answer bot would answer with this article on its own. */
            confident: boolean;
            /**
             * Format: float
             * @description The share of the question's terms the article holds (0–1).
             */
            coverage: number;
            /** @description The start of the article as plain text, to insert as a passage. */
            excerpt: string;
            slug: string;
            title: string;
            /** @description The article on the public help center, to send as a link. */
            url: string;
        };
        SuggestionsOut: {
            items: components["schemas"]["Suggestion"][];
        };
        SuperviseIn: {
            /**
             * @description `monitor` (watch silently), `barge` (join: the customer sees you and your
             *     messages), `take_over` (the agent is released; you continue). To whisper, post an
             *     internal message (`POST /api/contacts/{id}/messages` with `internal: true`).
             */
            action: components["schemas"]["Supervision"];
        };
        /**
         * @description What a supervisor does to a live conversation.
         * @enum {string}
         */
        Supervision: "monitor" | "barge" | "take_over";
        /** @description A shift of mine to put up for swap. */
        SwapIn: {
            /** Format: uuid */
            shift_id: string;
        };
        /** @description An open shift or extra hours to take. */
        TakeIn: {
            /**
             * Format: int32
             * @description Intervals (as listed).
             */
            len: number;
            /** Format: uuid */
            schedule_id: string;
            /**
             * Format: uuid
             * @description Extra hours: the shift they extend.
             */
            shift_id?: string | null;
            /**
             * Format: int32
             * @description First interval of the week (as listed).
             */
            start_index: number;
        };
        /**
         * @description An approved message template. Its body is kept only to show agents what the customer
         *     will read; WhatsApp sends its own approved copy, filled with the parameters.
         */
        Template: {
            /** @description The body with its parameters as `{{1}}`, `{{2}}`, … */
            body: string;
            /** @description The approved language's code (`en_US`). */
            language: string;
            /** @description The template's name (`order_update`): lowercase letters, digits and `_`. */
            name: string;
        };
        /** @description Which approved template to send, and its parameters. */
        TemplateIn: {
            /** @description Needed only when the template is approved in more than one language. */
            language?: string | null;
            name: string;
            /** @description The values of `{{1}}`, `{{2}}`, … in order. */
            params?: string[];
        };
        /** @description A template an agent may send on this contact's channel. */
        TemplateOut: {
            /** @description The body, with `{{1}}`, `{{2}}`, … where the parameters go. */
            body: string;
            language: string;
            name: string;
            /** @description How many parameters it takes. */
            params: number;
        };
        TokenIn: {
            /**
             * Format: int64
             * @description Seconds until the token stops working (default: never for your own tokens, 15
             *     minutes for an impersonation, at most an hour for one).
             */
            expires_in_s?: number | null;
            name: string;
            /**
             * @description `read`, `write`, `admin`; or `scim` alone (SCIM provisioning at `/scim/v2`, nothing
             *     else).
             */
            scopes: string[];
            /**
             * Format: uuid
             * @description The user the token acts for (default: you). A token for someone else is an
             *     impersonation: never with the `admin` scope, always expiring (within an hour),
             *     and every change made with it names you as well.
             */
            user_id?: string | null;
        };
        TransferIn: {
            /** Format: uuid */
            agent_id?: string | null;
            /** @description For the next agent only (the customer never sees it). */
            note?: string | null;
            /** Format: uuid */
            queue_id?: string | null;
        };
        /** @description A trunk as written by an admin. */
        TrunkIn: {
            /**
             * @description Addresses calls may come from without credentials: `203.0.113.0/24`,
             *     `198.51.100.7`, `2001:db8::/32`.
             */
            allow?: string[];
            enabled?: boolean;
            numbers: components["schemas"]["NumberRoute"][];
            /**
             * @description Where calls out go (callbacks): the carrier's SIP address, `host` or
             *     `host:port`; the registrar when left out. Calls out answer the carrier's digest
             *     challenge with the registration's credentials.
             */
            outbound?: string | null;
            /** @description Write only: left out, the stored one is kept. */
            password?: string | null;
            register?: components["schemas"]["RegisterIn"] | null;
            /** @description Digest credentials a call from any other address must answer a challenge with. */
            username?: string | null;
        };
        /** @description A trunk as read back: no secrets, only whether they are set. */
        TrunkOut: {
            allow: string[];
            enabled: boolean;
            name: string;
            numbers: components["schemas"]["NumberRoute"][];
            outbound?: string | null;
            /** @description Whether calls can authenticate with a password. */
            password_set: boolean;
            register?: components["schemas"]["RegisterOut"] | null;
            username?: string | null;
        };
        TrunksOut: {
            items: components["schemas"]["TrunkOut"][];
        };
        TryIn: {
            /** @description A sample value for each question the action asks. */
            values?: {
                [key: string]: string;
            };
        };
        TryOut: {
            /** @description Why the call failed. */
            error?: string | null;
            /** @description Whether the endpoint asked for a person. */
            handover: boolean;
            /** @description Whether the endpoint answered as it should. */
            ok: boolean;
            /** @description What the bot would say. */
            reply?: string | null;
        };
        TypingIn: {
            typing: boolean;
        };
        UserIn: {
            email: string;
            name: string;
            password: string;
            /**
             * @description `admin`, `supervisor`, `agent`, `analyst`.
             * @example agent
             */
            role: string;
        };
        /** @description A staff user without secrets. */
        UserOut: {
            disabled: boolean;
            email: string;
            /** Format: uuid */
            id: string;
            mfa_enabled: boolean;
            name: string;
            /** Format: uuid */
            org_id: string;
            role: string;
        };
        UserPatch: {
            /** @description A disabled user cannot log in; their sessions end. */
            disabled?: boolean | null;
            name?: string | null;
            password?: string | null;
            /** @example supervisor */
            role?: string | null;
        };
        /** @description One version of an article: what editors write and the help center shows. */
        Version: {
            /** @description Markdown, at most 100,000 characters. */
            body: string;
            /** @description The help center groups articles by it; at most 100 characters. */
            category?: string;
            /** @description `en`, `fr-CA`…: picks the search's language. Default `en`. */
            locale?: string;
            /** @description 1 to 200 characters. */
            title: string;
        };
        VoiceStatus: {
            calls: components["schemas"]["CallOut"][];
            /** Format: int64 */
            datagrams: number;
            /** @description Where SIP is received (`udp:ADDRESS:PORT`); null when telephony is off. */
            listening?: string | null;
            /**
             * @description Where SIP over TCP is received (`tcp:ADDRESS:PORT`), and how many carriers'
             *     connections are open.
             */
            listening_tcp?: string | null;
            /** Format: int64 */
            malformed: number;
            /** Format: int64 */
            refused: number;
            registrations: components["schemas"]["RegistrationOut"][];
            tcp_connections: number;
        };
        /** @description The help center's "was this helpful?" counts of one article. */
        Votes: {
            /** Format: int64 */
            helpful: number;
            /** Format: int64 */
            not_helpful: number;
        };
        /** @description A week's headline figures (the whole center, or one queue). */
        WeekFigures: {
            /** Format: double */
            abandon_percent?: number | null;
            /** Format: double */
            asa_s?: number | null;
            /**
             * Format: int64
             * @description Contacts offered.
             */
            contacts: number;
            /** Format: double */
            csat_avg?: number | null;
            /** Format: int64 */
            csat_count: number;
            /** Format: int64 */
            handled: number;
            /** Format: double */
            service_level_percent?: number | null;
        };
        WeeklyIn: {
            close: string;
            /**
             * Format: int32
             * @description 1 = Monday … 7 = Sunday.
             */
            day: number;
            /** @description `HH:MM`. */
            open: string;
        };
        /** @enum {string} */
        When: "above" | "below";
        /** @description An availability window on one weekday, in the agent's local time. */
        WindowIn: {
            /** @description `HH:MM` (up to `24:00`), local, after `start`. */
            end: string;
            /** @description `HH:MM`, local. */
            start: string;
            /**
             * Format: int32
             * @description 0 = Monday … 6 = Sunday.
             */
            weekday: number;
        };
        WrapupIn: {
            /** @description A wrap-up code (its name or id). */
            code: string;
            notes?: string | null;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    set_state: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StateIn"];
            };
        };
        responses: {
            /** @description the agent */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_agents: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    get_agent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the agent */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_agent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AgentIn"];
            };
        };
        responses: {
            /** @description the agent */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    force_state: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ForceStateIn"];
            };
        };
        responses: {
            /** @description the agent */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_alerts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AlertSettings"];
                };
            };
        };
    };
    put_alerts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AlertSettings"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AlertSettings"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    active_alerts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActiveAlert"][];
                };
            };
        };
    };
    deliveries: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items: [{at, rule, queue_id, alert, attempt, ok, status, error}]}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginIn"];
            };
        };
        responses: {
            /** @description `{user, csrf_token}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `invalid_credentials` or `mfa_required` */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description too many attempts, or the account is locked */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description logged out */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    logout_all: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description logged out everywhere */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    mfa_disable: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CodeIn"];
            };
        };
        responses: {
            /** @description off */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    mfa_enrol: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{secret, otpauth_url, qr_png}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description already enabled */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    mfa_verify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CodeIn"];
            };
        };
        responses: {
            /** @description `{recovery_codes}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    change_password: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PasswordIn"];
            };
        };
        responses: {
            /** @description changed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    reauth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReauthIn"];
            };
        };
        responses: {
            /** @description unlocked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `invalid_credentials`, or `signed_out` after too many */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{signed_in, …}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    sso_callback: {
        parameters: {
            query?: {
                code?: string | null;
                state?: string | null;
                /** @description The provider's refusal (`access_denied`…). */
                error?: string | null;
                error_description?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description signed in (session cookie set), or back with `?sso_error=` */
            303: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    sso_info: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the organisation's slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{enabled, provider_name?, password_login, start_url?}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    sso_start: {
        parameters: {
            query?: {
                /** @description The page to come back to (a path on this server; default `/agent/`). */
                return_to?: string | null;
            };
            header?: never;
            path: {
                /** @description the organisation's slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description to the identity provider, or back with `?sso_error=` */
            303: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    list_actions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActionsOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    put_action: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description lowercase letters, digits and dashes, 2 to 64 */
                slug: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ActionIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActionOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_action: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                slug: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    try_action: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                slug: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TryIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TryOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_objects_business_hours: {
        parameters: {
            query?: {
                /** @description Where the previous page ended (its `next_cursor`). */
                cursor?: string | null;
                /** @description 1 to 500, default 100. */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_object_business_hours: {
        parameters: {
            query?: never;
            header?: {
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_object_business_hours: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_object_business_hours: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_object_business_hours: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_objects_canned_responses: {
        parameters: {
            query?: {
                /** @description Where the previous page ended (its `next_cursor`). */
                cursor?: string | null;
                /** @description 1 to 500, default 100. */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_object_canned_responses: {
        parameters: {
            query?: never;
            header?: {
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_object_canned_responses: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_object_canned_responses: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_object_canned_responses: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_endpoints: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items: [EndpointOut]}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    fetch_mail: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MailRound"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    put_endpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                channel: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EndpointIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EndpointOut"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_endpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description removed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    test_endpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                channel: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EndpointCheck"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_contacts: {
        parameters: {
            query?: {
                /** @description `waiting`, `active`, `wrapup`, `closed`. */
                status?: string | null;
                queue_id?: string | null;
                agent_id?: string | null;
                customer_id?: string | null;
                cursor?: string | null;
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactPage"];
                };
            };
        };
    };
    create_contact: {
        parameters: {
            query?: never;
            header?: {
                /** @description retry-safe create */
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateContactIn"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactOut"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_contact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactOut"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    end: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactOut"];
                };
            };
        };
    };
    list_messages: {
        parameters: {
            query?: {
                /** @description Only messages with a greater `seq`. */
                after_seq?: number | null;
                /** @description At most this many (1 to 1000, default 500). */
                limit?: number | null;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessagePage"];
                };
            };
        };
    };
    post_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MessageIn"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageOut"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    reveal: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                seq: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RevealIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Revealed"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    set_priority: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PriorityIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactOut"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    reach: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReachIn"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReachOut"];
                };
            };
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReachOut"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    read: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReadIn"];
            };
        };
        responses: {
            /** @description noted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    routing_history: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RoutingHistoryOut"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    contact_suggestions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SuggestionsOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    supervise_contact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SuperviseIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactOut"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_templates: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TemplateOut"][];
                };
            };
        };
    };
    transfer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TransferIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactOut"];
                };
            };
        };
    };
    typing: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TypingIn"];
            };
        };
        responses: {
            /** @description sent */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    wrapup: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WrapupIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactOut"];
                };
            };
        };
    };
    search: {
        parameters: {
            query?: {
                /**
                 * @description A name (part of one), an email address or a phone number. Agents find customers
                 *     by an exact email, phone number or channel id, or by name among the customers
                 *     of their own contacts; supervisors and admins also by part of a name or email.
                 *     Empty: the customers of the caller's contacts not yet closed.
                 */
                q?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CustomerHits"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_customer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{customer, identities, contacts}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    erase_customer: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EraseIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErasureReport"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    history: {
        parameters: {
            query?: {
                /** @description Where the previous page ended (its `next_cursor`): older contacts follow. */
                cursor?: string | null;
                /** @description 1 to 100, default 50. */
                limit?: number | null;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HistoryPage"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    merge: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MergeIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Moved"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    split: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SplitIn"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Moved"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_events: {
        parameters: {
            query?: {
                after_seq?: number | null;
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_after_seq}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    list_help: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HelpRequest"][];
                };
            };
        };
    };
    raise_help: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RaiseIn"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HelpRequest"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    close_help: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description closed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    take_help: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HelpRequest"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    inbound: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["InboundIn"];
            };
        };
        responses: {
            /** @description `{contact, message, opened, duplicate}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_insight: {
        parameters: {
            query?: {
                /**
                 * @description Any day of the week (`YYYY-MM-DD`, in `tz`); default: this week (the digest:
                 *     last week).
                 */
                week?: string | null;
                /** @description IANA time zone of the weeks (default: the organisation's planning zone). */
                tz?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Insight"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    digest_deliveries: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items: [{at, digest_id, week, attempt, ok, status, error}]}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    get_digest: {
        parameters: {
            query?: {
                /**
                 * @description Any day of the week (`YYYY-MM-DD`, in `tz`); default: this week (the digest:
                 *     last week).
                 */
                week?: string | null;
                /** @description IANA time zone of the weeks (default: the organisation's planning zone). */
                tz?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Digest"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    send_digest: {
        parameters: {
            query?: {
                /**
                 * @description Any day of the week (`YYYY-MM-DD`, in `tz`); default: this week (the digest:
                 *     last week).
                 */
                week?: string | null;
                /** @description IANA time zone of the weeks (default: the organisation's planning zone). */
                tz?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DigestSent"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_digest_settings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DigestSettings"];
                };
            };
        };
    };
    put_digest_settings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DigestSettings"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DigestSettings"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_articles: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items: [ArticleOut]}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_article: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ArticleIn"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ArticleOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_article: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ArticleOut"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_article: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DraftIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ArticleOut"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_article: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    publish_article: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ArticleOut"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    unpublish_article: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ArticleOut"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_flags: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlagsOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_flag: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FlagIn"];
            };
        };
        responses: {
            /** @description `{id}` */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    import_articles: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ImportIn"];
            };
        };
        responses: {
            /** @description `{items: [ArticleOut]}` */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    search_articles: {
        parameters: {
            query?: {
                /** @description The question (none: no hits). */
                q?: string;
                /** @description Default `en`. */
                locale?: string | null;
                /** @description 1 to 50, default 5. */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchOut"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_kb_settings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KbSettings"];
                };
            };
        };
    };
    put_kb_settings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["KbSettings"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KbSettings"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{user, org, csrf_token, agent?, mfa_enrolment_required}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_offers: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{offers, contacts, agent}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    accept: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactOut"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    reject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description declined */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_org: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the organisation */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    update_org: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OrgPatch"];
            };
        };
        responses: {
            /** @description the organisation */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    get_protection: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Protection"];
                };
            };
        };
    };
    put_protection: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Protection"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Protection"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_objects_queues: {
        parameters: {
            query?: {
                /** @description Where the previous page ended (its `next_cursor`). */
                cursor?: string | null;
                /** @description 1 to 500, default 100. */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_object_queues: {
        parameters: {
            query?: never;
            header?: {
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_object_queues: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_object_queues: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_object_queues: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    post_receipt: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReceiptIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryOut"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    report: {
        parameters: {
            query?: {
                /** @description First day (`YYYY-MM-DD`, in `tz`; default: six days before `to`). */
                from?: string | null;
                /** @description Last day, included (`YYYY-MM-DD`, in `tz`; default: today). */
                to?: string | null;
                /** @description IANA time zone of the days and intervals (default UTC). */
                tz?: string | null;
                /** @description `15m`, `hour`, `day` (default), `week` or `total`. */
                interval?: string | null;
                /** @description `none` (default), `queue`, `agent`, `channel` or `code`. */
                group_by?: string | null;
                /** @description Only this queue. */
                queue_id?: string | null;
                /** @description Only this agent (`-`: contacts no agent answered). */
                agent_id?: string | null;
                /** @description Only this channel (`chat`, `sms`, …). */
                channel?: string | null;
                /** @description Only this wrap-up code (`-`: contacts without one). */
                code?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{from, to, tz, interval, group_by, totals, series, groups, rows, reasons}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    report_csv: {
        parameters: {
            query?: {
                /** @description First day (`YYYY-MM-DD`, in `tz`; default: six days before `to`). */
                from?: string | null;
                /** @description Last day, included (`YYYY-MM-DD`, in `tz`; default: today). */
                to?: string | null;
                /** @description IANA time zone of the days and intervals (default UTC). */
                tz?: string | null;
                /** @description `15m`, `hour`, `day` (default), `week` or `total`. */
                interval?: string | null;
                /** @description `none` (default), `queue`, `agent`, `channel` or `code`. */
                group_by?: string | null;
                /** @description Only this queue. */
                queue_id?: string | null;
                /** @description Only this agent (`-`: contacts no agent answered). */
                agent_id?: string | null;
                /** @description Only this channel (`chat`, `sms`, …). */
                channel?: string | null;
                /** @description Only this wrap-up code (`-`: contacts without one). */
                code?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `text/csv`: `interval_start, interval_end, group, label`, then the figures */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": unknown;
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    contacts: {
        parameters: {
            query?: {
                /** @description First day (`YYYY-MM-DD`, in `tz`; default: six days before `to`). */
                from?: string | null;
                /** @description Last day, included (default: today). */
                to?: string | null;
                /** @description IANA time zone (default UTC). */
                tz?: string | null;
                /**
                 * @description The figure whose contacts to list: `offered` (default), `answered`,
                 *     `answered_in_sl`, `abandoned`, `expired`, `handled`, `transferred`, `wrapped`,
                 *     `rated`. Each counts at its own time (an answer when accepted, an abandon when
                 *     the customer left), as in the report.
                 */
                figure?: string | null;
                /** @description Narrow to one interval: its start and end (RFC 3339, as the report gives them). */
                start?: string | null;
                end?: string | null;
                queue_id?: string | null;
                /** @description `-`: contacts no agent answered. */
                agent_id?: string | null;
                channel?: string | null;
                /** @description `-`: contacts without a code. */
                code?: string | null;
                /** @description From the previous page's `next_cursor`. */
                cursor?: string | null;
                /** @description Rows per page (1–500, default 50). */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    contacts_csv: {
        parameters: {
            query?: {
                /** @description First day (`YYYY-MM-DD`, in `tz`; default: six days before `to`). */
                from?: string | null;
                /** @description Last day, included (default: today). */
                to?: string | null;
                /** @description IANA time zone (default UTC). */
                tz?: string | null;
                /**
                 * @description The figure whose contacts to list: `offered` (default), `answered`,
                 *     `answered_in_sl`, `abandoned`, `expired`, `handled`, `transferred`, `wrapped`,
                 *     `rated`. Each counts at its own time (an answer when accepted, an abandon when
                 *     the customer left), as in the report.
                 */
                figure?: string | null;
                /** @description Narrow to one interval: its start and end (RFC 3339, as the report gives them). */
                start?: string | null;
                end?: string | null;
                queue_id?: string | null;
                /** @description `-`: contacts no agent answered. */
                agent_id?: string | null;
                channel?: string | null;
                /** @description `-`: contacts without a code. */
                code?: string | null;
                /** @description From the previous page's `next_cursor`. */
                cursor?: string | null;
                /** @description Rows per page (1–500, default 50). */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `text/csv`: one line per stay */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": unknown;
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_retention: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Retention"];
                };
            };
        };
    };
    put_retention: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Retention"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Retention"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_objects_routing_policies: {
        parameters: {
            query?: {
                /** @description Where the previous page ended (its `next_cursor`). */
                cursor?: string | null;
                /** @description 1 to 500, default 100. */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_object_routing_policies: {
        parameters: {
            query?: never;
            header?: {
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_object_routing_policies: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_object_routing_policies: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_object_routing_policies: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    preview_policy: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreviewIn"];
            };
        };
        responses: {
            /** @description `{steps: [{index, target, timeout_s, error, agents}]}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_objects_skills: {
        parameters: {
            query?: {
                /** @description Where the previous page ended (its `next_cursor`). */
                cursor?: string | null;
                /** @description 1 to 500, default 100. */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_object_skills: {
        parameters: {
            query?: never;
            header?: {
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_object_skills: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_object_skills: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_object_skills: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_sso: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the settings */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    put_sso: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SsoIn"];
            };
        };
        responses: {
            /** @description the settings */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_tokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_token: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TokenIn"];
            };
        };
        responses: {
            /** @description `{id, token}` */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    revoke_token: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_users: {
        parameters: {
            query?: {
                /** @description Where the previous page ended (its `next_cursor`). */
                cursor?: string | null;
                /** @description 1 to 500, default 100. */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_user: {
        parameters: {
            query?: never;
            header?: {
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserIn"];
            };
        };
        responses: {
            /** @description the user */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserPatch"];
            };
        };
        responses: {
            /** @description the user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    reset_user_mfa: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description reset */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    unlock_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{was_locked}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    place_call: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PlaceCallIn"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PlacedCallOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    connect_audio: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AudioIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AudioOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    consult_mode: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConsultModeIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsultOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    consult: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConsultIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsultOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    end_consult: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    complete_consult: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HandOverOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    join_consult: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AudioIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AudioOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    dial: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DialIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DialOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    hold: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["HoldIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HoldOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    send_keys: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["KeysIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeysOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    monitor_mode: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MonitorModeIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MonitorOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    monitor: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MonitorIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MonitorOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    pause_recording: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the contact's id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RecordingIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecordingOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_flows: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlowsOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    check_flow: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FlowIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlowCheckOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    put_flow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description lowercase letters, digits and dashes, 2 to 64 */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FlowIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FlowOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_flow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    loopback: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AudioIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AudioOut"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_prompts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PromptsOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    put_prompt: {
        parameters: {
            query?: {
                /**
                 * @description The sentence the recording says, as a flow says it (case and spacing aside).
                 *     Required.
                 */
                text?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description the WAV file, under any content type (`audio/wav` too) */
        requestBody: {
            content: {
                "application/octet-stream": string;
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PromptOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_prompt: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    prompt_audio: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "audio/wav": number[];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    voice_status: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VoiceStatus"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_trunks: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TrunksOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    put_trunk: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description lowercase letters, digits and dashes, 2 to 64 */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TrunkIn"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TrunkOut"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_trunk: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    wallboard: {
        parameters: {
            query?: {
                /** @description Only this queue. */
                queue_id?: string | null;
                /** @description Only this channel (`chat`, `sms`, `whatsapp`, …). */
                channel?: string | null;
                /** @description Only agents of this team. */
                team?: string | null;
                /** @description The viewer's IANA time zone: "today" starts at its midnight (default UTC). */
                tz?: string | null;
                /**
                 * @description The `version` of the `wallboard` note being answered: a board at least that
                 *     recent, computed in the last half second for another console, may be shared.
                 */
                version?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{day_start, now, queues, totals, agents, series, help}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    email_ingress: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the organisation's slug */
                org: string;
            };
            cookie?: never;
        };
        /** @description the raw mail (RFC 5322 with MIME), under any content type (`message/rfc822` too) */
        requestBody: {
            content: {
                "application/octet-stream": string;
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MailTaken"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    messenger_verify: {
        parameters: {
            query?: {
                "hub.mode"?: string | null;
                "hub.verify_token"?: string | null;
                "hub.challenge"?: string | null;
            };
            header?: never;
            path: {
                /** @description the organisation's slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the challenge */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    messenger_webhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the organisation's slug */
                org: string;
            };
            cookie?: never;
        };
        /** @description Messenger's webhook body */
        requestBody: {
            content: {
                "application/json": string;
            };
        };
        responses: {
            /** @description received */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    twilio_sms: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the organisation's slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/x-www-form-urlencoded": string;
            };
        };
        responses: {
            /** @description empty TwiML */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    twilio_status: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the organisation's slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/x-www-form-urlencoded": string;
            };
        };
        responses: {
            /** @description noted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    whatsapp_verify: {
        parameters: {
            query?: {
                "hub.mode"?: string | null;
                "hub.verify_token"?: string | null;
                "hub.challenge"?: string | null;
            };
            header?: never;
            path: {
                /** @description the organisation's slug */
                org: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the challenge */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    whatsapp_webhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the organisation's slug */
                org: string;
            };
            cookie?: never;
        };
        /** @description the Cloud API's webhook body */
        requestBody: {
            content: {
                "application/json": string;
            };
        };
        responses: {
            /** @description received */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_adherence: {
        parameters: {
            query?: {
                /** @description Seconds a mismatch must last before it is listed (default 0). */
                grace_s?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{now, schedule_id, week, items, agents, team_today, team_week}`: who is out of adherence now and since when; per agent and for the team, adherence and conformance so far today (the agent's local day) and this week */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    forecast_vs_actual: {
        parameters: {
            query?: {
                /** @description The Monday (`YYYY-MM-DD`) starting the week; default: this week. */
                week?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{week, start, interval_min, forecast, actual, requirement, scheduled}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_forecast: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ForecastIn"];
            };
        };
        responses: {
            /** @description the requirement, with the forecast */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    plan_hires: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["HirePlanIn"];
            };
        };
        responses: {
            /** @description `{week, peak, hires:[{profile, hires, max_week_hours}], total_hires, shortfall_before, shortfall_after, shortfall_before_hours, shortfall_after_hours, hours_added}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    extra_hours: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    accept_extra_hours: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TakeIn"];
            };
        };
        responses: {
            /** @description the extended shift */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    open_shifts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    pick_up_open_shift: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TakeIn"];
            };
        };
        responses: {
            /** @description the new shift */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_preferences: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the preferences, `saved` and `peak_weeks` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    put_preferences: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreferencesIn"];
            };
        };
        responses: {
            /** @description the preferences */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    my_shifts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    my_shifts_calendar: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `text/calendar`: one event per shift on my wall clock (`TZID` with the zone's `VTIMEZONE`), breaks in its description */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/calendar": unknown;
                };
            };
        };
    };
    swappable_shifts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}`: shifts with `schedule_id` and `week` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    offer_swap: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SwapIn"];
            };
        };
        responses: {
            /** @description the shift, `up_for_swap` true */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    withdraw_swap: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the shift */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the shift, `up_for_swap` false */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    take_swap: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the shift */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the shift, now mine */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_requirement: {
        parameters: {
            query?: {
                /** @description The Monday (`YYYY-MM-DD`) starting the week; default: this week. */
                week?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{week, start, interval_min, peak, source, requirement, forecast}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    put_requirement: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RequirementIn"];
            };
        };
        responses: {
            /** @description the requirement */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_schedules: {
        parameters: {
            query?: {
                /** @description Only this week (`YYYY-MM-DD`, a Monday). */
                week?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_schedule: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ScheduleIn"];
            };
        };
        responses: {
            /** @description the schedule, with coverage, shortfall and lower bound */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_schedule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the schedule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    publish_schedule: {
        parameters: {
            query?: {
                /**
                 * @description The schedule's `version` as the planner saw it: refused (409) if it has changed
                 *     since (compare-and-set; without it, the schedule is published as it is).
                 */
                version?: number | null;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the schedule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description superseded, or changed since the `version` given */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    simulate_schedule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimulateIn"];
            };
        };
        responses: {
            /** @description `{runs, service_level, service_level_ci95, asa_s, abandon_rate, occupancy, offered, intervals}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_settings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{planning_zone, planning_zone_abbreviation}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    put_settings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SettingsIn"];
            };
        };
        responses: {
            /** @description `{planning_zone, planning_zone_abbreviation}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_objects_wrapup_codes: {
        parameters: {
            query?: {
                /** @description Where the previous page ended (its `next_cursor`). */
                cursor?: string | null;
                /** @description 1 to 500, default 100. */
                limit?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `{items, next_cursor}` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    create_object_wrapup_codes: {
        parameters: {
            query?: never;
            header?: {
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_object_wrapup_codes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_object_wrapup_codes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SimpleIn"];
            };
        };
        responses: {
            /** @description the object */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    delete_object_wrapup_codes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description ready */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description ready */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description not ready */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    scim_resource_types: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description SCIM ListResponse of ResourceType */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    scim_schemas: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description SCIM ListResponse of Schema */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    scim_service_provider_config: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description SCIM ServiceProviderConfig */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    scim_list_users: {
        parameters: {
            query?: {
                /** @description Only `userName eq "…"`. */
                filter?: string | null;
                /** @description 1-based. */
                startIndex?: number | null;
                count?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description SCIM ListResponse of User */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error (invalidFilter) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    scim_create_user: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/scim+json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description the SCIM User */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error (invalidSyntax, invalidValue) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error (uniqueness) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    scim_get_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the SCIM User */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    scim_replace_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/scim+json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description the SCIM User */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    scim_delete_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description deactivated */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    scim_patch_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/scim+json": Record<string, unknown>;
            };
        };
        responses: {
            /** @description the SCIM User */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description SCIM error */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
