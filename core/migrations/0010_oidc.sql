-- Accounts of people who sign in through the provincial SSO (OpenID Connect). They have no
-- password here; they are tied to the identity provider's (issuer, subject), so a local
-- account that happens to share the username is never taken over by an SSO sign-in.
-- Never edit this file once released; put changes in a new NNNN_description.sql.

ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE users ADD COLUMN external_issuer text;
ALTER TABLE users ADD COLUMN external_subject text;
ALTER TABLE users ADD CONSTRAINT users_credential_check
  CHECK (password_hash IS NOT NULL OR external_subject IS NOT NULL);
CREATE UNIQUE INDEX users_external_identity_idx
  ON users (external_issuer, external_subject) WHERE external_subject IS NOT NULL;
