-- tokend schema version 3: managed signing keys (keys.managed), shared by
-- every replica. Applied by Migrate() in one transaction; never edit a
-- released migration, add the next numbered file instead.
--
-- A private key is stored only sealed: AES-256-GCM under a key-encryption
-- key that is not in the database (kek_id names it), with the kid and alg as
-- associated data. The row alone reveals nothing of the key.
CREATE TABLE tokend_signing_keys (
  kid          text PRIMARY KEY,
  alg          text NOT NULL,
  kek_id       text NOT NULL,
  sealed_key   bytea NOT NULL,
  -- Published in the JWK Set from publish_from until delete_after; signs
  -- from signs_from until signs_until; each replica by its own clock.
  publish_from timestamptz NOT NULL,
  signs_from   timestamptz NOT NULL,
  signs_until  timestamptz NOT NULL,
  delete_after timestamptz NOT NULL,
  -- Set by `tokend keys revoke`: the key is neither published nor used.
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  imported     boolean NOT NULL DEFAULT false,
  CHECK (publish_from <= signs_from AND signs_from < signs_until AND signs_until <= delete_after)
);

-- One unrevoked key per signing period: two creators cannot both add the
-- next key (a revoked key's successor may take its slot).
CREATE UNIQUE INDEX tokend_signing_keys_one_per_period
  ON tokend_signing_keys (signs_from) WHERE revoked_at IS NULL;
