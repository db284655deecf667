-- A supervisor's own phone: the endpoint the supervisor console rings to
-- listen to, whisper to or barge into an agent's call. Set by an
-- administrator (ccd user add -endpoint); '' = the supervisor types an
-- extension in the console, within acd.extensions.
ALTER TABLE ui_user ADD COLUMN endpoint text NOT NULL DEFAULT '';
