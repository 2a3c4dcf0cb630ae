-- Sign-up by emailed link (issue #11): POST /api/v1/auth/signup answers the same for a new and an
-- existing address and creates no account; it records the attempt here and mails either a link
-- that finishes the sign-up (kind 'new') or a notice to the existing account's owner ('existing').
-- Only the link token's SHA-256 and the password's PBKDF2 hash are stored.
CREATE TABLE signup_attempts (
  token_hash text PRIMARY KEY,
  email text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('new', 'existing')),
  password_hash text,
  name text,
  org_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  CHECK (kind = 'existing' OR password_hash IS NOT NULL)
);
--> statement-breakpoint
CREATE INDEX signup_attempts_email ON signup_attempts (email, created_at);
