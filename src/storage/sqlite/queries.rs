//! SQL for the SQLite backend: synchronous functions over one connection. Reads run on the read
//! pool; writes run inside a savepoint of the writer's group transaction.

use rusqlite::{Connection, OptionalExtension, params};

use super::writer::WriteState;
use crate::model::{DefaultUser, DeviceGroup, PermissionGroup, Provider, Rights, User, UserType, fold_case};
use crate::secrets;
use crate::settings::StoredSettings;
use crate::storage::{
    CreatedDevice, NewAdmin, NewDevice, NewDid, NewPermissionGroup, NewProvider, NewUser, PinChoice,
    StoreError, StoreResult, Unique,
};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(failure, Some(message)) = &e
            && failure.code == rusqlite::ErrorCode::ConstraintViolation
        {
            return StoreError::Conflict(unique_rule(message));
        }
        StoreError::Backend(e.to_string())
    }
}

/// Maps SQLite's "UNIQUE constraint failed: table.column" to the API's rule.
fn unique_rule(message: &str) -> Unique {
    const RULES: &[(&str, Unique)] = &[
        ("users.username_key", Unique::Username),
        ("users.email_key", Unique::Email),
        ("clis.cli", Unique::Cli),
        ("devices.pin", Unique::Pin),
        ("dids.did", Unique::Did),
        ("permission_groups.name_key", Unique::GroupName),
        ("devices.username", Unique::DeviceUsername),
        ("devices.extension", Unique::Extension),
    ];
    RULES.iter().find(|(column, _)| message.contains(column)).map(|(_, rule)| *rule).unwrap_or(Unique::Other)
}

fn exists(conn: &Connection, sql: &str, param: impl rusqlite::ToSql) -> StoreResult<bool> {
    Ok(conn.prepare_cached(sql)?.query_row([param], |row| row.get::<_, bool>(0))?)
}

fn owner_of(conn: &Connection, table: &str, id: i64) -> StoreResult<Option<i64>> {
    let sql = format!("SELECT owner_id FROM {table} WHERE id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([id], |row| row.get(0)).optional()?)
}

// ---- install and settings ----

pub fn is_initialized(conn: &Connection) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM users WHERE id = ?1)", 0)
}

pub fn initialize(conn: &Connection, admin: &NewAdmin, today: &str) -> StoreResult<bool> {
    if is_initialized(conn)? {
        return Ok(false);
    }
    conn.execute(
        "INSERT INTO users (id, username, username_key, password_hash, usertype, owner_id, uniquehash,
                            first_name, last_name, tariff_id, lcr_id, agreement_date)
         VALUES (0, 'admin', 'admin', ?1, 'admin', 0, ?2, 'System', 'Admin', 1, 1, ?3)",
        params![admin.password_hash, admin.uniquehash, today],
    )?;
    conn.execute_batch(
        "INSERT OR IGNORE INTO tariffs (id, name, owner_id) VALUES (1, 'Default', 0);
         INSERT OR IGNORE INTO lcrs (id, name, owner_id) VALUES (1, 'Primary', 0);
         INSERT OR IGNORE INTO locations (id, name, owner_id) VALUES (1, 'Global', 0);
         INSERT OR IGNORE INTO default_users (owner_id, tariff_id, lcr_id) VALUES (0, 1, 1);
         INSERT OR IGNORE INTO default_devices (owner_id) VALUES (0);
         INSERT INTO device_groups (user_id, name) VALUES (0, 'primary');",
    )?;
    set_setting(conn, 0, "api_secret_key", &admin.api_secret_key)?;
    set_setting(conn, 0, "allow_api", "1")?;
    Ok(true)
}

pub fn settings(conn: &Connection, owner_id: i64) -> StoreResult<StoredSettings> {
    let mut stmt = conn.prepare_cached("SELECT name, value FROM settings WHERE owner_id = ?1")?;
    let rows = stmt.query_map([owner_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_setting(conn: &Connection, owner_id: i64, name: &str, value: &str) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO settings (owner_id, name, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (owner_id, name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![owner_id, name, value])?;
    Ok(())
}

pub fn unset_setting(conn: &Connection, owner_id: i64, name: &str) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM settings WHERE owner_id = ?1 AND name = ?2")?
        .execute(params![owner_id, name])?;
    Ok(())
}

// ---- users ----

const USER_COLUMNS: &str = "id, username, password_hash, usertype, owner_id, uniquehash, blocked, \
                            first_name, last_name, email, acc_group_id, own_providers";

fn user_where(conn: &Connection, condition: &str, param: impl rusqlite::ToSql) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}");
    let user = conn
        .prepare_cached(&sql)?
        .query_row([param], |row| {
            let usertype: String = row.get(3)?;
            Ok(User {
                id: row.get(0)?,
                username: row.get(1)?,
                password_hash: row.get(2)?,
                usertype: UserType::parse(&usertype).unwrap_or(UserType::User),
                owner_id: row.get(4)?,
                uniquehash: row.get(5)?,
                blocked: row.get(6)?,
                first_name: row.get(7)?,
                last_name: row.get(8)?,
                email: row.get(9)?,
                acc_group_id: row.get(10)?,
                own_providers: row.get(11)?,
                rights: Rights::new(),
            })
        })
        .optional()?;
    let Some(mut user) = user else { return Ok(None) };
    if user.usertype == UserType::Accountant && user.acc_group_id != 0 {
        let mut stmt =
            conn.prepare_cached("SELECT right_name, level FROM permission_group_rights WHERE group_id = ?1")?;
        let rows = stmt.query_map([user.acc_group_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        user.rights = rows.collect::<Result<_, _>>()?;
    }
    Ok(Some(user))
}

pub fn user_by_id(conn: &Connection, id: i64) -> StoreResult<Option<User>> {
    user_where(conn, "id = ?1", id)
}

pub fn user_by_username(conn: &Connection, username: &str) -> StoreResult<Option<User>> {
    user_where(conn, "username_key = ?1", fold_case(username))
}

pub fn user_by_uniquehash(conn: &Connection, uniquehash: &str) -> StoreResult<Option<User>> {
    user_where(conn, "uniquehash = ?1", uniquehash)
}

pub fn email_in_use(conn: &Connection, email: &str) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM users WHERE email = ?1 COLLATE NOCASE)", email)
        .and_then(|found| {
            // NOCASE folds ASCII only; the key column covers the rest for unique e-mails.
            if found { Ok(true) } else { exists(conn, "SELECT EXISTS(SELECT 1 FROM users WHERE email_key = ?1)", fold_case(email)) }
        })
}

pub fn default_user(conn: &Connection, owner_id: i64) -> StoreResult<Option<DefaultUser>> {
    Ok(conn
        .prepare_cached(
            "SELECT owner_id, postpaid, credit, balance, tariff_id, lcr_id, currency, language, call_limit, hidden
             FROM default_users WHERE owner_id = ?1",
        )?
        .query_row([owner_id], |row| {
            Ok(DefaultUser {
                owner_id: row.get(0)?,
                postpaid: row.get(1)?,
                credit: row.get(2)?,
                balance: row.get(3)?,
                tariff_id: row.get(4)?,
                lcr_id: row.get(5)?,
                currency: row.get(6)?,
                language: row.get(7)?,
                call_limit: row.get(8)?,
                hidden: row.get(9)?,
            })
        })
        .optional()?)
}

/// Inserts a user with its `primary` device group; returns (user id, group id).
pub fn insert_user(conn: &Connection, user: &NewUser) -> StoreResult<(i64, i64)> {
    let acc_group_id = match &user.rights_group {
        Some(group) => insert_permission_group(conn, group)?,
        None => user.acc_group_id,
    };
    let last: Option<i64> = conn
        .prepare_cached("SELECT MAX(CAST(agreement_number AS INTEGER)) FROM users WHERE owner_id = ?1")?
        .query_row([user.owner_id], |row| row.get(0))?;
    let agreement_number = format!("{:010}", last.unwrap_or(0) + 1);
    let email_key = user.email_unique.then(|| fold_case(&user.email));
    conn.prepare_cached(
        "INSERT INTO users (username, username_key, password_hash, usertype, owner_id, uniquehash,
            first_name, last_name, email, email_key, address, city, postcode, county, state, country_id,
            phone, mob_phone, fax, client_id, vat_number, acc_group_id, own_providers, tariff_id, lcr_id,
            currency, postpaid, credit, balance, call_limit, language, hidden, agreement_number,
            agreement_date, accounting_number)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                 ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)",
    )?
    .execute(params![
        user.username,
        fold_case(&user.username),
        user.password_hash,
        user.usertype.as_str(),
        user.owner_id,
        user.uniquehash,
        user.first_name,
        user.last_name,
        user.email,
        email_key,
        user.address,
        user.city,
        user.postcode,
        user.county,
        user.state,
        user.country_id,
        user.phone,
        user.mob_phone,
        user.fax,
        user.client_id,
        user.vat_number,
        acc_group_id,
        user.own_providers,
        user.tariff_id,
        user.lcr_id,
        user.currency,
        user.postpaid,
        user.credit,
        user.balance,
        user.call_limit,
        user.language,
        user.hidden,
        agreement_number,
        user.agreement_date,
        user.accounting_number,
    ])?;
    let user_id = conn.last_insert_rowid();
    let group_id = insert_device_group(conn, user_id)?;
    if user.usertype == UserType::Reseller {
        // A new reseller starts from copies of admin's templates (spec E.1 effects).
        conn.execute(
            "INSERT INTO default_users (owner_id, usertype, postpaid, credit, balance, tariff_id, lcr_id,
                                        currency, language, call_limit, hidden)
             SELECT ?1, usertype, postpaid, credit, balance, tariff_id, lcr_id, currency, language,
                    call_limit, hidden FROM default_users WHERE owner_id = 0",
            [user_id],
        )?;
        conn.execute(
            "INSERT INTO default_devices (owner_id, context, host, dtmfmode, nat, qualify, canreinvite,
                                          allow, call_limit, timeout)
             SELECT ?1, context, host, dtmfmode, nat, qualify, canreinvite, allow, call_limit, timeout
             FROM default_devices WHERE owner_id = 0",
            [user_id],
        )?;
    }
    Ok((user_id, group_id))
}

fn insert_device_group(conn: &Connection, user_id: i64) -> StoreResult<i64> {
    conn.prepare_cached("INSERT INTO device_groups (user_id, name) VALUES (?1, 'primary')")?
        .execute([user_id])?;
    Ok(conn.last_insert_rowid())
}

// ---- lookups with no API of their own ----

pub fn country_exists(conn: &Connection, id: i64) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM countries WHERE id = ?1)", id)
}

pub fn lcr_owner(conn: &Connection, id: i64) -> StoreResult<Option<i64>> {
    owner_of(conn, "lcrs", id)
}

pub fn tariff_owner(conn: &Connection, id: i64) -> StoreResult<Option<i64>> {
    owner_of(conn, "tariffs", id)
}

pub fn location_owner(conn: &Connection, id: i64) -> StoreResult<Option<i64>> {
    owner_of(conn, "locations", id)
}

// ---- permission groups ----

pub fn permission_group(conn: &Connection, id: i64) -> StoreResult<Option<PermissionGroup>> {
    Ok(conn
        .prepare_cached("SELECT id, name, group_type FROM permission_groups WHERE id = ?1")?
        .query_row([id], |row| Ok(PermissionGroup { id: row.get(0)?, name: row.get(1)?, group_type: row.get(2)? }))
        .optional()?)
}

pub fn group_name_in_use(conn: &Connection, name: &str) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM permission_groups WHERE name_key = ?1)", fold_case(name))
}

pub fn insert_permission_group(conn: &Connection, group: &NewPermissionGroup) -> StoreResult<i64> {
    conn.prepare_cached(
        "INSERT INTO permission_groups (name, name_key, description, group_type) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![group.name, fold_case(&group.name), group.description, group.group_type])?;
    let id = conn.last_insert_rowid();
    let mut stmt = conn.prepare_cached(
        "INSERT INTO permission_group_rights (group_id, right_name, level) VALUES (?1, ?2, ?3)",
    )?;
    for (name, level) in &group.rights {
        stmt.execute(params![id, name, level])?;
    }
    Ok(id)
}

// ---- devices ----

pub fn device_group(conn: &Connection, id: i64) -> StoreResult<Option<DeviceGroup>> {
    Ok(conn
        .prepare_cached("SELECT id, user_id, name FROM device_groups WHERE id = ?1")?
        .query_row([id], |row| Ok(DeviceGroup { id: row.get(0)?, user_id: row.get(1)?, name: row.get(2)? }))
        .optional()?)
}

pub fn pin_in_use(conn: &Connection, pin: &str) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM devices WHERE pin = ?1)", pin)
}

pub fn cli_in_use(conn: &Connection, cli: &str) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM clis WHERE cli = ?1)", cli)
}

pub fn device_name_in_use(conn: &Connection, name: &str) -> StoreResult<bool> {
    exists(
        conn,
        "SELECT EXISTS(SELECT 1 FROM devices WHERE extension = ?1)
             OR EXISTS(SELECT 1 FROM devices WHERE username = ?1)",
        name,
    )
}

/// The smallest integer in the range used by no device as extension or username (spec D.6).
/// The writer's hint remembers where the last search ended for the same range start.
fn allocate_extension(state: &mut WriteState, (min, max): (i64, i64)) -> StoreResult<String> {
    let (hint_min, hint_next) = state.extension_hint;
    let mut candidate = if hint_min == min { hint_next.max(min) } else { min };
    while candidate <= max {
        let text = candidate.to_string();
        if !device_name_in_use(&state.conn, &text)? {
            // The hint stays at the allocated value (not past it), so it is still a valid lower
            // bound if this job or its group is rolled back.
            state.extension_hint = (min, candidate);
            return Ok(text);
        }
        candidate += 1;
    }
    Err(StoreError::NoFreeExtension)
}

fn random_unused_pin(conn: &Connection, length: usize) -> StoreResult<String> {
    let length = if length == 0 { 6 } else { length.min(18) };
    for _ in 0..1000 {
        let pin = secrets::pin(length);
        if !pin_in_use(conn, &pin)? {
            return Ok(pin);
        }
    }
    Err(StoreError::NoFreePin)
}

struct DeviceTemplate {
    context: String,
    host: String,
    dtmfmode: String,
    nat: String,
    qualify: String,
    canreinvite: String,
    allow: String,
    call_limit: i64,
    timeout: i64,
}

fn device_template(conn: &Connection, owner_id: i64) -> StoreResult<DeviceTemplate> {
    let mut stmt = conn.prepare_cached(
        "SELECT context, host, dtmfmode, nat, qualify, canreinvite, allow, call_limit, timeout
         FROM default_devices WHERE owner_id IN (?1, 0) ORDER BY owner_id = ?1 DESC LIMIT 1",
    )?;
    let found = stmt
        .query_row([owner_id], |row| {
            Ok(DeviceTemplate {
                context: row.get(0)?,
                host: row.get(1)?,
                dtmfmode: row.get(2)?,
                nat: row.get(3)?,
                qualify: row.get(4)?,
                canreinvite: row.get(5)?,
                allow: row.get(6)?,
                call_limit: row.get(7)?,
                timeout: row.get(8)?,
            })
        })
        .optional()?;
    Ok(found.unwrap_or_else(|| DeviceTemplate {
        context: "mor_local".into(),
        host: "dynamic".into(),
        dtmfmode: "rfc2833".into(),
        nat: "yes".into(),
        qualify: "yes".into(),
        canreinvite: "no".into(),
        allow: "alaw,ulaw".into(),
        call_limit: 0,
        timeout: 60,
    }))
}

fn primary_group(conn: &Connection, user_id: i64) -> StoreResult<i64> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT id FROM device_groups WHERE user_id = ?1 AND name = 'primary' ORDER BY id LIMIT 1")?
        .query_row([user_id], |row| row.get(0))
        .optional()?;
    match found {
        Some(id) => Ok(id),
        None => insert_device_group(conn, user_id),
    }
}

/// Inserts a device and its CLIs; `group_id` overrides the device's own group choice.
pub fn insert_device(state: &mut WriteState, device: &NewDevice, group_id: Option<i64>) -> StoreResult<CreatedDevice> {
    let group_id = match group_id.or(device.devicegroup_id) {
        Some(id) => id,
        None => primary_group(&state.conn, device.user_id)?,
    };
    let template = device_template(&state.conn, device.template_owner)?;
    let extension = match &device.extension {
        Some(extension) => extension.clone(),
        None => allocate_extension(state, device.extension_range)?,
    };
    let username = device.username.clone().unwrap_or_else(|| extension.clone());
    let pin = match &device.pin {
        PinChoice::Random(length) => Some(random_unused_pin(&state.conn, *length)?),
        PinChoice::Pinless => None,
        PinChoice::Given(pin) => Some(pin.clone()),
    };
    let (host, ipaddr, port) = if device.device_type == "H323" {
        ("0.0.0.0".to_string(), "0.0.0.0", 1720)
    } else {
        (template.host, "", 0)
    };
    let ha1 = secrets::sip_ha1(&username, &device.sip_realm, &device.secret);
    let conn = &state.conn;
    conn.prepare_cached(
        "INSERT INTO devices (user_id, device_type, name, username, secret, ha1, extension, pin, description,
            devicegroup_id, callerid, host, ipaddr, port, context, location_id, call_limit, timeout, fromuser,
            dtmfmode, nat, qualify, canreinvite, allow)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                 ?21, ?22, ?23, ?24)",
    )?
    .execute(params![
        device.user_id,
        device.device_type,
        username,
        username,
        device.secret,
        ha1,
        extension,
        pin,
        device.description,
        group_id,
        device.callerid,
        host,
        ipaddr,
        port,
        template.context,
        device.location_id.unwrap_or(1),
        template.call_limit,
        device.timeout.unwrap_or(template.timeout),
        device.fromuser,
        template.dtmfmode,
        template.nat,
        template.qualify,
        template.canreinvite,
        template.allow,
    ])?;
    let id = conn.last_insert_rowid();
    let mut stmt = conn.prepare_cached("INSERT INTO clis (device_id, cli, description) VALUES (?1, ?2, ?3)")?;
    for (cli, description) in &device.clis {
        stmt.execute(params![id, cli, description])?;
    }
    Ok(CreatedDevice { id, username, secret: device.secret.clone(), pin, extension })
}

// ---- providers and DIDs ----

pub fn provider(conn: &Connection, id: i64) -> StoreResult<Option<Provider>> {
    Ok(conn
        .prepare_cached("SELECT id, name, owner_id, hidden FROM providers WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(Provider { id: row.get(0)?, name: row.get(1)?, owner_id: row.get(2)?, hidden: row.get(3)? })
        })
        .optional()?)
}

pub fn insert_provider(conn: &Connection, provider: &NewProvider) -> StoreResult<i64> {
    conn.prepare_cached("INSERT INTO providers (name, owner_id, tech, tariff_id) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![provider.name, provider.owner_id, provider.tech, provider.tariff_id])?;
    Ok(conn.last_insert_rowid())
}

pub fn did_exists(conn: &Connection, did: &str) -> StoreResult<bool> {
    exists(conn, "SELECT EXISTS(SELECT 1 FROM dids WHERE did = ?1)", did)
}

pub fn insert_did(conn: &Connection, did: &NewDid) -> StoreResult<i64> {
    conn.prepare_cached(
        "INSERT INTO dids (did, provider_id, reseller_id, custom_sip_header, comment, reseller_comment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        did.did,
        did.provider_id,
        did.reseller_id,
        did.custom_sip_header,
        did.comment,
        did.reseller_comment
    ])?;
    Ok(conn.last_insert_rowid())
}
