-- The agent console finds the campaign and contact of the call an agent
-- answered (dialer.attempt.channel_id is the call's id in the ACD) to set
-- its disposition.
CREATE INDEX attempt_channel ON dialer.attempt (channel_id);
