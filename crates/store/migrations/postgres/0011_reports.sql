-- Historical reports (the server's `reports.rs`). The routing log's facts, kept per stay
-- of a contact in a queue (an arrival, or a transfer or overflow into another queue):
-- when it was offered, answered (and after what wait, within the threshold or not), how
-- it ended (abandoned, expired, handled, transferred, moved), its handle and
-- after-contact times, the contact's wrap-up code and rating. Each fact keeps its own
-- time, so a report counts it in the interval it happened, as the wallboard does. Times
-- are Unix milliseconds.
CREATE TABLE report_stays (
    org_id UUID NOT NULL,
    contact_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    queue_id UUID NOT NULL,
    channel TEXT NOT NULL,
    agent_id UUID,
    offered_at BIGINT NOT NULL,
    answered_at BIGINT,
    answer_wait_ms BIGINT,
    in_sl BIGINT NOT NULL,
    outcome TEXT,
    ended_at BIGINT,
    wait_ms BIGINT,
    handle_ms BIGINT,
    wrapped_at BIGINT,
    acw_ms BIGINT,
    code TEXT,
    csat BIGINT,
    rated_at BIGINT,
    PRIMARY KEY (org_id, offered_at, contact_id, seq)
);
-- Keyed by the time of the offer (a stay's offer never moves): a report reads the stays
-- offered in its period (and a day before it) as one range. A rating finds its
-- contact's stays by the contact.
CREATE INDEX report_stays_contact ON report_stays (org_id, contact_id, seq);
-- Each agent's time per activity per fifteen minutes.
CREATE TABLE report_agent_time (
    org_id UUID NOT NULL,
    agent_id UUID NOT NULL,
    bucket BIGINT NOT NULL,
    offline_ms BIGINT NOT NULL,
    break_ms BIGINT NOT NULL,
    available_ms BIGINT NOT NULL,
    on_contact_ms BIGINT NOT NULL,
    acw_ms BIGINT NOT NULL,
    PRIMARY KEY (org_id, bucket, agent_id)
);
-- How far into the log the reports have read (`watermark`, an event seq), and what the
-- projection holds of contacts and agents in flight there, so that a restart resumes
-- instead of reading the log again.
CREATE TABLE report_state (
    org_id UUID PRIMARY KEY NOT NULL,
    watermark BIGINT NOT NULL,
    state TEXT NOT NULL
);
