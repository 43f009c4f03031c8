-- Historical reports (the server's `reports.rs`). The routing log's facts, kept per stay
-- of a contact in a queue (an arrival, or a transfer or overflow into another queue):
-- when it was offered, answered (and after what wait, within the threshold or not), how
-- it ended (abandoned, expired, handled, transferred, moved), its handle and
-- after-contact times, the contact's wrap-up code and rating. Each fact keeps its own
-- time, so a report counts it in the interval it happened, as the wallboard does. Times
-- are Unix milliseconds.
CREATE TABLE report_stays (
    org_id BLOB NOT NULL,
    contact_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    queue_id BLOB NOT NULL,
    channel TEXT NOT NULL,
    agent_id BLOB,
    offered_at INTEGER NOT NULL,
    answered_at INTEGER,
    answer_wait_ms INTEGER,
    in_sl INTEGER NOT NULL,
    outcome TEXT,
    ended_at INTEGER,
    wait_ms INTEGER,
    handle_ms INTEGER,
    wrapped_at INTEGER,
    acw_ms INTEGER,
    code TEXT,
    csat INTEGER,
    rated_at INTEGER,
    PRIMARY KEY (org_id, offered_at, contact_id, seq)
) WITHOUT ROWID;
-- Keyed by the time of the offer (a stay's offer never moves): a report reads the stays
-- offered in its period (and a day before it) as one range, stored in that order. A rating finds its
-- contact's stays by the contact.
CREATE INDEX report_stays_contact ON report_stays (org_id, contact_id, seq);
-- Each agent's time per activity per fifteen minutes.
CREATE TABLE report_agent_time (
    org_id BLOB NOT NULL,
    agent_id BLOB NOT NULL,
    bucket INTEGER NOT NULL,
    offline_ms INTEGER NOT NULL,
    break_ms INTEGER NOT NULL,
    available_ms INTEGER NOT NULL,
    on_contact_ms INTEGER NOT NULL,
    acw_ms INTEGER NOT NULL,
    PRIMARY KEY (org_id, bucket, agent_id)
);
-- How far into the log the reports have read (`watermark`, an event seq), and what the
-- projection holds of contacts and agents in flight there, so that a restart resumes
-- instead of reading the log again.
CREATE TABLE report_state (
    org_id BLOB PRIMARY KEY NOT NULL,
    watermark INTEGER NOT NULL,
    state TEXT NOT NULL
);
