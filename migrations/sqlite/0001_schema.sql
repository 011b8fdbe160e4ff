-- moray schema, SQLite dialect. Every uniqueness rule of the API is a constraint here, so two
-- concurrent requests (or two processes) can never both win; the API's own pre-checks only pick
-- the message.

CREATE TABLE countries (
    id     INTEGER PRIMARY KEY,
    name   TEXT NOT NULL,
    alpha2 TEXT NOT NULL,
    alpha3 TEXT NOT NULL
);

CREATE TABLE tariffs (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    owner_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE lcrs (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    owner_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE locations (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    owner_id INTEGER NOT NULL DEFAULT 0
);

-- Permission groups: reseller groups and accountant rights groups (spec D.3, D.4).
CREATE TABLE permission_groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,          -- Unicode lowercase of name
    description TEXT NOT NULL DEFAULT '',
    group_type  TEXT NOT NULL CHECK (group_type IN ('accountant', 'reseller'))
);

CREATE TABLE permission_group_rights (
    group_id   INTEGER NOT NULL REFERENCES permission_groups(id) ON DELETE CASCADE,
    right_name TEXT NOT NULL,
    level      INTEGER NOT NULL,
    PRIMARY KEY (group_id, right_name)
);

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,     -- admin is 0
    username          TEXT NOT NULL,
    username_key      TEXT NOT NULL UNIQUE,    -- case-folded username
    password_hash     TEXT NOT NULL,           -- argon2id PHC string
    usertype          TEXT NOT NULL CHECK (usertype IN ('admin', 'accountant', 'reseller', 'user')),
    owner_id          INTEGER NOT NULL DEFAULT 0,
    uniquehash        TEXT NOT NULL UNIQUE,
    blocked           INTEGER NOT NULL DEFAULT 0,
    hidden            INTEGER NOT NULL DEFAULT 0,
    first_name        TEXT NOT NULL DEFAULT '',
    last_name         TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    email_key         TEXT UNIQUE,             -- lowercase e-mail while e-mails must be unique, else NULL
    address           TEXT NOT NULL DEFAULT '',
    city              TEXT NOT NULL DEFAULT '',
    postcode          TEXT NOT NULL DEFAULT '',
    county            TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL DEFAULT '',
    country_id        INTEGER NOT NULL DEFAULT 0,
    phone             TEXT NOT NULL DEFAULT '',
    mob_phone         TEXT NOT NULL DEFAULT '',
    fax               TEXT NOT NULL DEFAULT '',
    client_id         TEXT NOT NULL DEFAULT '',
    vat_number        TEXT NOT NULL DEFAULT '',
    acc_group_id      INTEGER NOT NULL DEFAULT 0,
    own_providers     INTEGER NOT NULL DEFAULT 0,
    tariff_id         INTEGER NOT NULL DEFAULT 0,
    lcr_id            INTEGER NOT NULL DEFAULT 0,
    currency          TEXT NOT NULL DEFAULT 'USD',
    postpaid          INTEGER NOT NULL DEFAULT 0,
    credit            REAL NOT NULL DEFAULT 0,  -- -1 = unlimited
    balance           REAL NOT NULL DEFAULT 0,
    call_limit        INTEGER NOT NULL DEFAULT 0,
    language          TEXT NOT NULL DEFAULT 'en',
    agreement_number  TEXT NOT NULL DEFAULT '',
    agreement_date    TEXT NOT NULL DEFAULT '',
    accounting_number TEXT NOT NULL DEFAULT ''
);
CREATE INDEX users_owner ON users (owner_id);
CREATE INDEX users_email ON users (email COLLATE NOCASE);

-- Default User template, one per owner scope (spec C, "Templates").
CREATE TABLE default_users (
    owner_id   INTEGER PRIMARY KEY,
    usertype   TEXT NOT NULL DEFAULT 'user',
    postpaid   INTEGER NOT NULL DEFAULT 0,
    credit     REAL NOT NULL DEFAULT 0,
    balance    REAL NOT NULL DEFAULT 0,
    tariff_id  INTEGER NOT NULL DEFAULT 0,
    lcr_id     INTEGER NOT NULL DEFAULT 0,
    currency   TEXT NOT NULL DEFAULT 'USD',
    language   TEXT NOT NULL DEFAULT 'en',
    call_limit INTEGER NOT NULL DEFAULT 0,
    hidden     INTEGER NOT NULL DEFAULT 0
);

-- Default Device template, one per owner scope.
CREATE TABLE default_devices (
    owner_id    INTEGER PRIMARY KEY,
    context     TEXT NOT NULL DEFAULT 'mor_local',
    host        TEXT NOT NULL DEFAULT 'dynamic',
    dtmfmode    TEXT NOT NULL DEFAULT 'rfc2833',
    nat         TEXT NOT NULL DEFAULT 'yes',
    qualify     TEXT NOT NULL DEFAULT 'yes',
    canreinvite TEXT NOT NULL DEFAULT 'no',
    allow       TEXT NOT NULL DEFAULT 'alaw,ulaw',
    call_limit  INTEGER NOT NULL DEFAULT 0,
    timeout     INTEGER NOT NULL DEFAULT 60
);

CREATE TABLE device_groups (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name    TEXT NOT NULL
);
CREATE INDEX device_groups_user ON device_groups (user_id);

CREATE TABLE devices (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    device_type    TEXT NOT NULL,
    name           TEXT NOT NULL,
    username       TEXT NOT NULL UNIQUE,
    secret         TEXT NOT NULL,            -- kept retrievable: a SIP switch needs it
    ha1            TEXT NOT NULL,            -- md5(username:realm:secret)
    extension      TEXT NOT NULL UNIQUE,
    pin            TEXT UNIQUE,              -- NULL = pinless
    description    TEXT NOT NULL DEFAULT '',
    devicegroup_id INTEGER NOT NULL DEFAULT 0,
    callerid       TEXT NOT NULL DEFAULT '',
    host           TEXT NOT NULL DEFAULT 'dynamic',
    ipaddr         TEXT NOT NULL DEFAULT '',
    port           INTEGER NOT NULL DEFAULT 0,
    context        TEXT NOT NULL DEFAULT 'mor_local',
    location_id    INTEGER NOT NULL DEFAULT 1,
    call_limit     INTEGER NOT NULL DEFAULT 0,
    timeout        INTEGER NOT NULL DEFAULT 60,
    fromuser       TEXT NOT NULL DEFAULT '',
    istrunk        INTEGER NOT NULL DEFAULT 0,
    hidden         INTEGER NOT NULL DEFAULT 0,
    comment        TEXT NOT NULL DEFAULT '',
    dtmfmode       TEXT NOT NULL DEFAULT 'rfc2833',
    nat            TEXT NOT NULL DEFAULT 'yes',
    qualify        TEXT NOT NULL DEFAULT 'yes',
    canreinvite    TEXT NOT NULL DEFAULT 'no',
    allow          TEXT NOT NULL DEFAULT 'alaw,ulaw'
);
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE clis (
    id          INTEGER PRIMARY KEY,
    device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    cli         TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX clis_device ON clis (device_id);

CREATE TABLE providers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    tech        TEXT NOT NULL DEFAULT 'SIP',
    tariff_id   INTEGER NOT NULL DEFAULT 0,
    owner_id    INTEGER NOT NULL DEFAULT 0,
    server_ip   TEXT NOT NULL DEFAULT '',
    port        INTEGER NOT NULL DEFAULT 5060,
    login       TEXT NOT NULL DEFAULT '',
    password    TEXT NOT NULL DEFAULT '',
    hidden      INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1,
    timeout     INTEGER NOT NULL DEFAULT 60,
    dtmfmode    TEXT NOT NULL DEFAULT 'rfc2833',
    call_limit  INTEGER NOT NULL DEFAULT 0,
    location_id INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE dids (
    id                INTEGER PRIMARY KEY,
    did               TEXT NOT NULL UNIQUE,
    provider_id       INTEGER NOT NULL REFERENCES providers(id),
    status            TEXT NOT NULL DEFAULT 'free'
                      CHECK (status IN ('free', 'reserved', 'active', 'closed', 'terminated')),
    reseller_id       INTEGER NOT NULL DEFAULT 0,
    user_id           INTEGER NOT NULL DEFAULT 0,
    device_id         INTEGER NOT NULL DEFAULT 0,
    call_limit        INTEGER NOT NULL DEFAULT 0,
    language          TEXT NOT NULL DEFAULT 'en',
    custom_sip_header TEXT NOT NULL DEFAULT '',
    comment           TEXT NOT NULL DEFAULT '',
    reseller_comment  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dids_reseller ON dids (reseller_id);
CREATE INDEX dids_user ON dids (user_id);
CREATE INDEX dids_device ON dids (device_id);

-- Settings: one row per (owner scope, name); a reseller without a row inherits admin's (owner 0).
CREATE TABLE settings (
    owner_id INTEGER NOT NULL,
    name     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (owner_id, name)
);
