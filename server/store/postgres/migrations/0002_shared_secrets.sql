-- tokend schema version 2: secrets every replica shares.
-- Applied by Migrate() in one transaction; never edit a released migration,
-- add the next numbered file instead.

CREATE TABLE tokend_secrets (
  name  text PRIMARY KEY,
  value bytea NOT NULL CHECK (octet_length(value) >= 32)
);

-- The key refresh token successors are derived under (HMAC-SHA256 of the
-- presented token), so that every replica derives the same successor when a
-- redemption is retried. 32 bytes from PostgreSQL's strong random source:
-- gen_random_uuid() draws 122 random bits from pg_strong_random(); three of
-- them, hashed, make the 256 bits.
INSERT INTO tokend_secrets (name, value)
SELECT 'refresh_successor_key',
       sha256(decode(replace(gen_random_uuid()::text || gen_random_uuid()::text
                             || gen_random_uuid()::text, '-', ''), 'hex'));
