-- moray schema, MariaDB/MySQL dialect: the SQLite schema (migrations/sqlite/0001_schema.sql)
-- column for column, so rows copy across unchanged. Every uniqueness rule of the API is a
-- constraint. Targets MariaDB 10.5+ (InnoDB, utf8mb4).
--
-- Differences, all invisible to the API:
-- * every text column uses utf8mb4_nopad_bin: exact, case-sensitive comparisons without
--   trailing-space padding, as in SQLite; case-insensitive rules use the *_key columns;
-- * text columns are MEDIUMTEXT (no length limit below 16 MiB, as SQLite has none): a unique
--   text column is unique through a stored SHA-256 digest column (`…_digest`) with a UNIQUE
--   index, and looked up through a prefix index, so a value of any length is accepted;
--   only the internal names `settings.name` and `permission_group_rights.right_name` are
--   VARCHAR(100) (they come from moray's own lists, never from a request);
-- * foreign keys follow an id changed by hand (ON UPDATE CASCADE);
-- * flags stay integers (0/1) as in SQLite; admin's id 0 needs NO_AUTO_VALUE_ON_ZERO, which
--   every moray session sets;
-- * users.email_ci (the e-mail with ASCII letters lowercased) does what SQLite's
--   `COLLATE NOCASE` index does;
-- * device_allocation holds the lock and the hint of extension allocation (spec D.6), reset by a
--   trigger whenever a device is deleted or renamed.

CREATE TABLE countries (
    id     BIGINT NOT NULL PRIMARY KEY,
    name   MEDIUMTEXT NOT NULL,
    alpha2 MEDIUMTEXT NOT NULL,
    alpha3 MEDIUMTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE tariffs (
    id       BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name     MEDIUMTEXT NOT NULL,
    owner_id BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE lcrs (
    id       BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name     MEDIUMTEXT NOT NULL,
    owner_id BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE locations (
    id       BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name     MEDIUMTEXT NOT NULL,
    owner_id BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE permission_groups (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name            MEDIUMTEXT NOT NULL,
    name_key        MEDIUMTEXT NOT NULL,
    name_key_digest BINARY(32) AS (UNHEX(SHA2(name_key, 256))) STORED,
    description     MEDIUMTEXT NOT NULL DEFAULT '',
    group_type      VARCHAR(20) NOT NULL CHECK (group_type IN ('accountant', 'reseller')),
    UNIQUE KEY permission_groups_name_key (name_key_digest),
    KEY permission_groups_name_key_lookup (name_key(64))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE permission_group_rights (
    group_id   BIGINT NOT NULL,
    right_name VARCHAR(100) NOT NULL,
    level      BIGINT NOT NULL,
    PRIMARY KEY (group_id, right_name),
    CONSTRAINT permission_group_rights_group FOREIGN KEY (group_id) REFERENCES permission_groups (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE users (
    id                  BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,  -- admin is 0
    username            MEDIUMTEXT NOT NULL,
    username_key        MEDIUMTEXT NOT NULL,
    username_key_digest BINARY(32) AS (UNHEX(SHA2(username_key, 256))) STORED,
    password_hash       MEDIUMTEXT NOT NULL,
    usertype            VARCHAR(20) NOT NULL CHECK (usertype IN ('admin', 'accountant', 'reseller', 'user')),
    owner_id            BIGINT NOT NULL DEFAULT 0,
    uniquehash          MEDIUMTEXT NOT NULL,
    uniquehash_digest   BINARY(32) AS (UNHEX(SHA2(uniquehash, 256))) STORED,
    blocked             BIGINT NOT NULL DEFAULT 0,
    hidden              BIGINT NOT NULL DEFAULT 0,
    first_name          MEDIUMTEXT NOT NULL DEFAULT '',
    last_name           MEDIUMTEXT NOT NULL DEFAULT '',
    email               MEDIUMTEXT NOT NULL DEFAULT '',
    email_key           MEDIUMTEXT,
    email_key_digest    BINARY(32) AS (UNHEX(SHA2(email_key, 256))) STORED,
    email_ci            MEDIUMTEXT AS (REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(email, 'A', 'a'), 'B', 'b'), 'C', 'c'), 'D', 'd'), 'E', 'e'), 'F', 'f'), 'G', 'g'), 'H', 'h'), 'I', 'i'), 'J', 'j'), 'K', 'k'), 'L', 'l'), 'M', 'm'), 'N', 'n'), 'O', 'o'), 'P', 'p'), 'Q', 'q'), 'R', 'r'), 'S', 's'), 'T', 't'), 'U', 'u'), 'V', 'v'), 'W', 'w'), 'X', 'x'), 'Y', 'y'), 'Z', 'z')) STORED,
    address             MEDIUMTEXT NOT NULL DEFAULT '',
    city                MEDIUMTEXT NOT NULL DEFAULT '',
    postcode            MEDIUMTEXT NOT NULL DEFAULT '',
    county              MEDIUMTEXT NOT NULL DEFAULT '',
    state               MEDIUMTEXT NOT NULL DEFAULT '',
    country_id          BIGINT NOT NULL DEFAULT 0,
    phone               MEDIUMTEXT NOT NULL DEFAULT '',
    mob_phone           MEDIUMTEXT NOT NULL DEFAULT '',
    fax                 MEDIUMTEXT NOT NULL DEFAULT '',
    client_id           MEDIUMTEXT NOT NULL DEFAULT '',
    vat_number          MEDIUMTEXT NOT NULL DEFAULT '',
    acc_group_id        BIGINT NOT NULL DEFAULT 0,
    own_providers       BIGINT NOT NULL DEFAULT 0,
    tariff_id           BIGINT NOT NULL DEFAULT 0,
    lcr_id              BIGINT NOT NULL DEFAULT 0,
    currency            MEDIUMTEXT NOT NULL DEFAULT 'USD',
    postpaid            BIGINT NOT NULL DEFAULT 0,
    credit              DOUBLE NOT NULL DEFAULT 0,
    balance             DOUBLE NOT NULL DEFAULT 0,
    call_limit          BIGINT NOT NULL DEFAULT 0,
    language            MEDIUMTEXT NOT NULL DEFAULT 'en',
    agreement_number    MEDIUMTEXT NOT NULL DEFAULT '',
    agreement_date      MEDIUMTEXT NOT NULL DEFAULT '',
    accounting_number   MEDIUMTEXT NOT NULL DEFAULT '',
    UNIQUE KEY users_username_key (username_key_digest),
    KEY users_username_key_lookup (username_key(64)),
    UNIQUE KEY users_uniquehash_key (uniquehash_digest),
    KEY users_uniquehash_lookup (uniquehash(64)),
    UNIQUE KEY users_email_key (email_key_digest),
    KEY users_email_key_lookup (email_key(64)),
    KEY users_email_ci (email_ci(64)),
    KEY users_owner (owner_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE default_users (
    owner_id   BIGINT NOT NULL PRIMARY KEY,
    usertype   MEDIUMTEXT NOT NULL DEFAULT 'user',
    postpaid   BIGINT NOT NULL DEFAULT 0,
    credit     DOUBLE NOT NULL DEFAULT 0,
    balance    DOUBLE NOT NULL DEFAULT 0,
    tariff_id  BIGINT NOT NULL DEFAULT 0,
    lcr_id     BIGINT NOT NULL DEFAULT 0,
    currency   MEDIUMTEXT NOT NULL DEFAULT 'USD',
    language   MEDIUMTEXT NOT NULL DEFAULT 'en',
    call_limit BIGINT NOT NULL DEFAULT 0,
    hidden     BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE default_devices (
    owner_id    BIGINT NOT NULL PRIMARY KEY,
    context     MEDIUMTEXT NOT NULL DEFAULT 'mor_local',
    host        MEDIUMTEXT NOT NULL DEFAULT 'dynamic',
    dtmfmode    MEDIUMTEXT NOT NULL DEFAULT 'rfc2833',
    nat         MEDIUMTEXT NOT NULL DEFAULT 'yes',
    qualify     MEDIUMTEXT NOT NULL DEFAULT 'yes',
    canreinvite MEDIUMTEXT NOT NULL DEFAULT 'no',
    allow       MEDIUMTEXT NOT NULL DEFAULT 'alaw,ulaw',
    call_limit  BIGINT NOT NULL DEFAULT 0,
    timeout     BIGINT NOT NULL DEFAULT 60
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE device_groups (
    id      BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    name    MEDIUMTEXT NOT NULL,
    KEY device_groups_user (user_id),
    CONSTRAINT device_groups_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE devices (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id          BIGINT NOT NULL,
    device_type      MEDIUMTEXT NOT NULL,
    name             MEDIUMTEXT NOT NULL,
    username         MEDIUMTEXT NOT NULL,
    username_digest  BINARY(32) AS (UNHEX(SHA2(username, 256))) STORED,
    secret           MEDIUMTEXT NOT NULL,
    ha1              MEDIUMTEXT NOT NULL,
    extension        MEDIUMTEXT NOT NULL,
    extension_digest BINARY(32) AS (UNHEX(SHA2(extension, 256))) STORED,
    pin              MEDIUMTEXT,
    pin_digest       BINARY(32) AS (UNHEX(SHA2(pin, 256))) STORED,
    description      MEDIUMTEXT NOT NULL DEFAULT '',
    devicegroup_id   BIGINT NOT NULL DEFAULT 0,
    callerid         MEDIUMTEXT NOT NULL DEFAULT '',
    host             MEDIUMTEXT NOT NULL DEFAULT 'dynamic',
    ipaddr           MEDIUMTEXT NOT NULL DEFAULT '',
    port             BIGINT NOT NULL DEFAULT 0,
    context          MEDIUMTEXT NOT NULL DEFAULT 'mor_local',
    location_id      BIGINT NOT NULL DEFAULT 1,
    call_limit       BIGINT NOT NULL DEFAULT 0,
    timeout          BIGINT NOT NULL DEFAULT 60,
    fromuser         MEDIUMTEXT NOT NULL DEFAULT '',
    istrunk          BIGINT NOT NULL DEFAULT 0,
    hidden           BIGINT NOT NULL DEFAULT 0,
    comment          MEDIUMTEXT NOT NULL DEFAULT '',
    dtmfmode         MEDIUMTEXT NOT NULL DEFAULT 'rfc2833',
    nat              MEDIUMTEXT NOT NULL DEFAULT 'yes',
    qualify          MEDIUMTEXT NOT NULL DEFAULT 'yes',
    canreinvite      MEDIUMTEXT NOT NULL DEFAULT 'no',
    allow            MEDIUMTEXT NOT NULL DEFAULT 'alaw,ulaw',
    UNIQUE KEY devices_username_key (username_digest),
    KEY devices_username_lookup (username(64)),
    UNIQUE KEY devices_extension_key (extension_digest),
    KEY devices_extension_lookup (extension(64)),
    UNIQUE KEY devices_pin_key (pin_digest),
    KEY devices_pin_lookup (pin(64)),
    KEY devices_user (user_id),
    CONSTRAINT devices_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE clis (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    device_id   BIGINT NOT NULL,
    cli         MEDIUMTEXT NOT NULL,
    cli_digest  BINARY(32) AS (UNHEX(SHA2(cli, 256))) STORED,
    description MEDIUMTEXT NOT NULL DEFAULT '',
    UNIQUE KEY clis_cli_key (cli_digest),
    KEY clis_cli_lookup (cli(64)),
    KEY clis_device (device_id),
    CONSTRAINT clis_device_fk FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE providers (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        MEDIUMTEXT NOT NULL,
    tech        MEDIUMTEXT NOT NULL DEFAULT 'SIP',
    tariff_id   BIGINT NOT NULL DEFAULT 0,
    owner_id    BIGINT NOT NULL DEFAULT 0,
    server_ip   MEDIUMTEXT NOT NULL DEFAULT '',
    port        BIGINT NOT NULL DEFAULT 5060,
    login       MEDIUMTEXT NOT NULL DEFAULT '',
    password    MEDIUMTEXT NOT NULL DEFAULT '',
    hidden      BIGINT NOT NULL DEFAULT 0,
    active      BIGINT NOT NULL DEFAULT 1,
    timeout     BIGINT NOT NULL DEFAULT 60,
    dtmfmode    MEDIUMTEXT NOT NULL DEFAULT 'rfc2833',
    call_limit  BIGINT NOT NULL DEFAULT 0,
    location_id BIGINT NOT NULL DEFAULT 1,
    KEY providers_owner (owner_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE dids (
    id                BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    did               MEDIUMTEXT NOT NULL,
    did_digest        BINARY(32) AS (UNHEX(SHA2(did, 256))) STORED,
    provider_id       BIGINT NOT NULL,
    status            VARCHAR(20) NOT NULL DEFAULT 'free'
                      CHECK (status IN ('free', 'reserved', 'active', 'closed', 'terminated')),
    reseller_id       BIGINT NOT NULL DEFAULT 0,
    user_id           BIGINT NOT NULL DEFAULT 0,
    device_id         BIGINT NOT NULL DEFAULT 0,
    call_limit        BIGINT NOT NULL DEFAULT 0,
    language          MEDIUMTEXT NOT NULL DEFAULT 'en',
    custom_sip_header MEDIUMTEXT NOT NULL DEFAULT '',
    comment           MEDIUMTEXT NOT NULL DEFAULT '',
    reseller_comment  MEDIUMTEXT NOT NULL DEFAULT '',
    UNIQUE KEY dids_did_key (did_digest),
    KEY dids_did_lookup (did(64)),
    KEY dids_reseller (reseller_id),
    KEY dids_user (user_id),
    KEY dids_device (device_id),
    KEY dids_provider (provider_id),
    CONSTRAINT dids_provider_fk FOREIGN KEY (provider_id) REFERENCES providers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE settings (
    owner_id BIGINT NOT NULL,
    name     VARCHAR(100) NOT NULL,
    value    MEDIUMTEXT NOT NULL,
    PRIMARY KEY (owner_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- One row: its lock serializes every write that takes or frees a device name; it remembers
-- where the last extension search for `range_start` ended (every smaller number is taken).
CREATE TABLE device_allocation (
    id          BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    range_start BIGINT NOT NULL DEFAULT 0,
    next_free   BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
INSERT INTO device_allocation (id) VALUES (1);

CREATE TRIGGER devices_deleted AFTER DELETE ON devices FOR EACH ROW
    UPDATE device_allocation SET range_start = 0, next_free = 0 WHERE id = 1;

CREATE TRIGGER devices_renamed AFTER UPDATE ON devices FOR EACH ROW
    IF NOT (OLD.extension <=> NEW.extension) OR NOT (OLD.username <=> NEW.username) THEN
        UPDATE device_allocation SET range_start = 0, next_free = 0 WHERE id = 1;
    END IF;
