-- Written for Portico's tests (2026-12-06), not copied: the tables the Kratos importer reads, in
-- the column types Kratos's MySQL migrations give them as far as they are known (char(36) ids,
-- json documents, varchar/text strings, datetime(6) and timestamp(6) times, tinyint(1) booleans),
-- with the columns of Kratos master after v26.2.0 (the SQLite fixture's schema-sqlite.sql).
-- TestImportKratosMySQL creates these in a throw-away MariaDB/MySQL database and copies every
-- row of kratos.sqlite.gz's same tables into them. No Kratos MySQL dump exists in the fixtures.
CREATE TABLE schema_migration (
  version varchar(48) NOT NULL,
  version_self int NOT NULL DEFAULT 0,
  UNIQUE KEY schema_migration_version_idx (version)
);
CREATE TABLE networks (
  id char(36) NOT NULL PRIMARY KEY,
  created_at datetime(6) NOT NULL,
  updated_at datetime(6) NOT NULL
);
CREATE TABLE identity_credential_types (
  id char(36) NOT NULL PRIMARY KEY,
  name varchar(32) NOT NULL,
  UNIQUE KEY identity_credential_types_name_idx (name)
);
CREATE TABLE identities (
  id char(36) NOT NULL PRIMARY KEY,
  schema_id varchar(2048) NOT NULL,
  traits json NOT NULL,
  created_at datetime(6) NOT NULL,
  updated_at datetime(6) NOT NULL,
  nid char(36),
  state varchar(255) NOT NULL DEFAULT 'active',
  state_changed_at timestamp(6) NULL,
  metadata_public json NULL,
  metadata_admin json NULL,
  available_aal varchar(4) NULL,
  organization_id char(36) NULL,
  external_id varchar(64) NULL,
  UNIQUE KEY identities_nid_external_id_idx (nid, external_id),
  CONSTRAINT identities_nid_fk FOREIGN KEY (nid) REFERENCES networks (id) ON DELETE CASCADE
);
CREATE TABLE identity_credentials (
  id char(36) NOT NULL PRIMARY KEY,
  config json NOT NULL,
  identity_credential_type_id char(36) NOT NULL,
  identity_id char(36) NOT NULL,
  created_at datetime(6) NOT NULL,
  updated_at datetime(6) NOT NULL,
  nid char(36),
  version int NOT NULL DEFAULT 0,
  CONSTRAINT identity_credentials_identity_id_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE,
  CONSTRAINT identity_credentials_type_id_fk FOREIGN KEY (identity_credential_type_id) REFERENCES identity_credential_types (id) ON DELETE CASCADE
);
CREATE TABLE identity_credential_identifiers (
  id char(36) NOT NULL PRIMARY KEY,
  identifier varchar(255) NOT NULL,
  identity_credential_id char(36) NOT NULL,
  created_at datetime(6) NOT NULL,
  updated_at datetime(6) NOT NULL,
  nid char(36),
  identity_credential_type_id char(36) NOT NULL,
  identity_id char(36) NOT NULL,
  UNIQUE KEY identity_credential_identifiers_identifier_nid_type_uq_idx (nid, identity_credential_type_id, identifier),
  CONSTRAINT identity_credential_identifiers_credential_fk FOREIGN KEY (identity_credential_id) REFERENCES identity_credentials (id) ON DELETE CASCADE,
  CONSTRAINT identity_credential_identifiers_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
);
CREATE TABLE identity_verifiable_addresses (
  id char(36) NOT NULL PRIMARY KEY,
  status varchar(16) NOT NULL,
  via varchar(16) NOT NULL,
  verified tinyint(1) NOT NULL,
  value varchar(400) NOT NULL,
  verified_at timestamp(6) NULL,
  identity_id char(36) NOT NULL,
  created_at datetime(6) NOT NULL,
  updated_at datetime(6) NOT NULL,
  nid char(36),
  CONSTRAINT identity_verifiable_addresses_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
);
CREATE TABLE identity_recovery_addresses (
  id char(36) NOT NULL PRIMARY KEY,
  via varchar(16) NOT NULL,
  value varchar(400) NOT NULL,
  identity_id char(36) NOT NULL,
  created_at datetime(6) NOT NULL,
  updated_at datetime(6) NOT NULL,
  nid char(36),
  break_glass_for_organization char(36) NULL,
  CONSTRAINT identity_recovery_addresses_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
);
CREATE TABLE sessions (
  id char(36) NOT NULL PRIMARY KEY,
  issued_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at datetime(6) NOT NULL,
  authenticated_at datetime(6) NOT NULL,
  identity_id char(36) NOT NULL,
  created_at datetime(6) NOT NULL,
  updated_at datetime(6) NOT NULL,
  token varchar(39) NULL,
  active tinyint(1) NULL DEFAULT 0,
  nid char(36),
  logout_token varchar(39) NULL,
  aal varchar(4) NOT NULL DEFAULT 'aal1',
  authentication_methods json NOT NULL,
  UNIQUE KEY sessions_token_uq_idx (token),
  UNIQUE KEY sessions_logout_token_uq_idx (logout_token),
  CONSTRAINT sessions_identity_id_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
);
CREATE TABLE session_devices (
  id char(36) NOT NULL PRIMARY KEY,
  identity_id char(36) NOT NULL,
  ip_address varchar(50) DEFAULT '',
  user_agent varchar(512) DEFAULT '',
  location varchar(512) DEFAULT '',
  nid char(36) NOT NULL,
  session_id char(36) NOT NULL,
  created_at datetime(6) NOT NULL,
  updated_at datetime(6) NOT NULL,
  UNIQUE KEY unique_session_device (nid, session_id, ip_address, user_agent(255)),
  CONSTRAINT session_metadata_sessions_id_fk FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
  CONSTRAINT session_devices_identity_id_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
);
