-- tokend schema version 1: refresh token families and tokens, revocations.
-- Applied by Migrate() in one transaction; never edit a released migration,
-- add the next numbered file instead.

-- The primary key of revocations is a SHA-256 of the key, not the key itself:
-- keys can be caller-supplied subjects of a few KB, and a btree entry may not
-- exceed about 2.7 KB. convert_to() is only STABLE because it depends on the
-- database encoding, which never changes for a database, so this is immutable.
CREATE FUNCTION tokend_revocation_key_hash(key text) RETURNS bytea
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT sha256(convert_to(key, 'UTF8')) $$;

CREATE TABLE refresh_families (
  family_id           text PRIMARY KEY,
  client_id           text NOT NULL,
  subject             text NOT NULL,
  audience            text[] NOT NULL,
  custom_claims       text NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL
);
-- PurgeExpired.
CREATE INDEX refresh_families_absolute_expires_at_idx
  ON refresh_families (absolute_expires_at);

CREATE TABLE refresh_tokens (
  -- SHA-256 of the token text; the token itself is never stored.
  token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  family_id  text NOT NULL REFERENCES refresh_families ON DELETE CASCADE,
  scopes     text[] NOT NULL,
  issued_at  timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
-- The cascade from refresh_families (and any family-wide lookup) would
-- otherwise scan the whole table once per deleted family.
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

CREATE TABLE revocations (
  kind        smallint NOT NULL CHECK (kind IN (1, 2, 3)),  -- 1 token (jti), 2 family, 3 subject
  key         text NOT NULL,
  key_hash    bytea GENERATED ALWAYS AS (tokend_revocation_key_hash(key)) STORED,
  revoked_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  -- When this row was last written (database clock), for the feed's
  -- incremental resynchronization.
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (kind, key_hash)
);
-- PurgeExpired and ForEachUnexpired.
CREATE INDEX revocations_expires_at_idx ON revocations (expires_at);
-- The feed's incremental resynchronization.
CREATE INDEX revocations_recorded_at_idx ON revocations (recorded_at);
