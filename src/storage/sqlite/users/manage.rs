//! Reading, listing, updating and deleting users (spec F.2–F.5).

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::super::sql::exists;
use super::super::writer::{ExtensionHint, WriteState};
use crate::model::{UserChanges, UserDeletion, UserDetails, UserType, fold_case};
use crate::storage::StoreResult;

const DETAIL_COLUMNS: &str = "u.id, u.username, u.usertype, u.owner_id, u.blocked, u.hidden, u.first_name, \
    u.last_name, u.email, u.address, u.city, u.postcode, u.county, u.state, u.country_id, COALESCE(c.name, ''), \
    u.phone, u.mob_phone, u.fax, u.client_id, u.vat_number, u.tariff_id, u.lcr_id, u.currency, u.postpaid, \
    u.credit, u.balance, u.call_limit, u.language, u.agreement_number, u.agreement_date";

fn details_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserDetails> {
    let usertype: String = row.get(2)?;
    Ok(UserDetails {
        id: row.get(0)?,
        username: row.get(1)?,
        usertype: UserType::parse(&usertype).unwrap_or(UserType::User),
        owner_id: row.get(3)?,
        blocked: row.get(4)?,
        hidden: row.get(5)?,
        first_name: row.get(6)?,
        last_name: row.get(7)?,
        email: row.get(8)?,
        address: row.get(9)?,
        city: row.get(10)?,
        postcode: row.get(11)?,
        county: row.get(12)?,
        state: row.get(13)?,
        country_id: row.get(14)?,
        country_name: row.get(15)?,
        phone: row.get(16)?,
        mob_phone: row.get(17)?,
        fax: row.get(18)?,
        client_id: row.get(19)?,
        vat_number: row.get(20)?,
        tariff_id: row.get(21)?,
        lcr_id: row.get(22)?,
        currency: row.get(23)?,
        postpaid: row.get(24)?,
        credit: row.get(25)?,
        balance: row.get(26)?,
        call_limit: row.get(27)?,
        language: row.get(28)?,
        agreement_number: row.get(29)?,
        agreement_date: row.get(30)?,
    })
}

pub fn user_details(conn: &Connection, id: i64) -> StoreResult<Option<UserDetails>> {
    let sql =
        format!("SELECT {DETAIL_COLUMNS} FROM users u LEFT JOIN countries c ON c.id = u.country_id WHERE u.id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], details_from_row)
        .optional()?)
}

pub fn users_list(conn: &Connection, owner_id: Option<i64>, limit: usize) -> StoreResult<Vec<UserDetails>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let from = "FROM users u LEFT JOIN countries c ON c.id = u.country_id";
    let rows = match owner_id {
        Some(owner) => {
            let sql =
                format!("SELECT {DETAIL_COLUMNS} {from} WHERE u.owner_id = ?1 AND u.id <> 0 ORDER BY u.id LIMIT ?2");
            let mut stmt = conn.prepare_cached(&sql)?;
            stmt.query_map(params![owner, limit], details_from_row)?
                .collect::<Result<Vec<_>, _>>()?
        }
        None => {
            let sql = format!("SELECT {DETAIL_COLUMNS} {from} WHERE u.id <> 0 ORDER BY u.id LIMIT ?1");
            let mut stmt = conn.prepare_cached(&sql)?;
            stmt.query_map([limit], details_from_row)?
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    Ok(rows)
}

/// Whether a user other than `except_id` has this e-mail, case-insensitively: ASCII case through
/// the NOCASE index, the rest through the folded key of unique e-mails. An address with non-ASCII
/// characters is also compared, folded, with the keyless addresses of its length (those kept while
/// identical e-mails were allowed), a scan paid only by such rare addresses.
pub fn email_taken(conn: &Connection, email: &str, except_id: Option<i64>) -> StoreResult<bool> {
    let except = except_id.unwrap_or(-1);
    let folded = fold_case(email);
    let found: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM users WHERE email = ?1 COLLATE NOCASE AND id <> ?2)
                 OR EXISTS(SELECT 1 FROM users WHERE email_key = ?3 AND id <> ?2)",
        )?
        .query_row(params![email, except, folded], |row| row.get(0))?;
    if found || email.is_ascii() {
        return Ok(found);
    }
    let length = email.chars().count() as i64;
    let mut stmt =
        conn.prepare_cached("SELECT email FROM users WHERE email_key IS NULL AND id <> ?2 AND length(email) = ?1")?;
    let mut rows = stmt.query(params![length, except])?;
    while let Some(row) = rows.next()? {
        let other: String = row.get(0)?;
        if fold_case(&other) == folded {
            return Ok(true);
        }
    }
    Ok(false)
}

pub fn email_in_use_by_other(conn: &Connection, email: &str, except_id: i64) -> StoreResult<bool> {
    email_taken(conn, email, Some(except_id))
}

/// `(column, value)` for every change that is set; a username also sets its key, an e-mail its
/// key (NULL when identical e-mails are allowed).
fn assignments(changes: UserChanges) -> Vec<(&'static str, Value)> {
    let mut set: Vec<(&'static str, Value)> = Vec::new();
    let text = |set: &mut Vec<(&'static str, Value)>, column, value: Option<String>| {
        if let Some(value) = value {
            set.push((column, Value::Text(value)));
        }
    };
    if let Some(username) = changes.username {
        set.push(("username_key", Value::Text(fold_case(&username))));
        set.push(("username", Value::Text(username)));
    }
    text(&mut set, "password_hash", changes.password_hash);
    if let Some((email, unique)) = changes.email {
        let key = if unique {
            Value::Text(fold_case(&email))
        } else {
            Value::Null
        };
        set.push(("email_key", key));
        set.push(("email", Value::Text(email)));
    }
    for (column, flag) in [("blocked", changes.blocked), ("hidden", changes.hidden)] {
        if let Some(flag) = flag {
            set.push((column, Value::Integer(i64::from(flag))));
        }
    }
    text(&mut set, "first_name", changes.first_name);
    text(&mut set, "last_name", changes.last_name);
    text(&mut set, "client_id", changes.client_id);
    text(&mut set, "vat_number", changes.vat_number);
    text(&mut set, "address", changes.address);
    text(&mut set, "city", changes.city);
    text(&mut set, "postcode", changes.postcode);
    text(&mut set, "county", changes.county);
    text(&mut set, "state", changes.state);
    if let Some(country_id) = changes.country_id {
        set.push(("country_id", Value::Integer(country_id)));
    }
    text(&mut set, "phone", changes.phone);
    text(&mut set, "mob_phone", changes.mob_phone);
    text(&mut set, "fax", changes.fax);
    set
}

pub fn update_user(conn: &Connection, id: i64, changes: UserChanges) -> StoreResult<bool> {
    let set = assignments(changes);
    if set.is_empty() {
        return exists(conn, "SELECT EXISTS(SELECT 1 FROM users WHERE id = ?1)", id);
    }
    let columns: Vec<String> = set
        .iter()
        .enumerate()
        .map(|(i, (column, _))| format!("{column} = ?{}", i + 2))
        .collect();
    let sql = format!("UPDATE users SET {} WHERE id = ?1", columns.join(", "));
    let values = std::iter::once(Value::Integer(id)).chain(set.into_iter().map(|(_, value)| value));
    let changed = conn.prepare_cached(&sql)?.execute(params_from_iter(values))?;
    Ok(changed > 0)
}

/// Spec F.5, in one transaction: the checks that refuse, then the user's devices (their CLIs
/// first), device groups and the user. A deleted reseller also takes its own settings,
/// templates, tariffs, LCRs and locations with it, so a later user reusing its id inherits
/// nothing. An accountant's CLI-made rights group (`<username> rights`) goes when nobody else
/// uses it.
pub fn delete_user(state: &mut WriteState, id: i64) -> StoreResult<UserDeletion> {
    let conn = &state.conn;
    let found: Option<(String, String, i64)> = conn
        .prepare_cached("SELECT usertype, username, acc_group_id FROM users WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    let Some((usertype, username, acc_group_id)) = found else {
        return Ok(UserDeletion::NotFound);
    };
    let usertype = UserType::parse(&usertype).unwrap_or(UserType::User);
    if id == 0 || usertype == UserType::Admin {
        return Ok(UserDeletion::OwnsObjects);
    }
    let reseller = usertype == UserType::Reseller;
    if reseller
        && exists(
            conn,
            "SELECT EXISTS(SELECT 1 FROM users WHERE owner_id = ?1)
                 OR EXISTS(SELECT 1 FROM providers WHERE owner_id = ?1)",
            id,
        )?
    {
        return Ok(UserDeletion::OwnsObjects);
    }
    let has_dids = exists(
        conn,
        "SELECT EXISTS(SELECT 1 FROM dids WHERE user_id = ?1)
             OR EXISTS(SELECT 1 FROM dids WHERE device_id IN (SELECT id FROM devices WHERE user_id = ?1))",
        id,
    )? || (reseller && exists(conn, "SELECT EXISTS(SELECT 1 FROM dids WHERE reseller_id = ?1)", id)?);
    if has_dids {
        return Ok(UserDeletion::HasDids);
    }
    conn.prepare_cached("DELETE FROM clis WHERE device_id IN (SELECT id FROM devices WHERE user_id = ?1)")?
        .execute([id])?;
    let devices = conn
        .prepare_cached("DELETE FROM devices WHERE user_id = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM device_groups WHERE user_id = ?1")?
        .execute([id])?;
    if reseller {
        for table in [
            "settings",
            "default_users",
            "default_devices",
            "tariffs",
            "lcrs",
            "locations",
        ] {
            conn.execute(&format!("DELETE FROM {table} WHERE owner_id = ?1"), [id])?;
        }
    }
    conn.prepare_cached("DELETE FROM users WHERE id = ?1")?.execute([id])?;
    if usertype == UserType::Accountant && acc_group_id != 0 {
        conn.prepare_cached(
            "DELETE FROM permission_groups WHERE id = ?1 AND group_type = 'accountant' AND name = ?2
                 AND NOT EXISTS(SELECT 1 FROM users WHERE acc_group_id = ?1)",
        )?
        .execute(params![acc_group_id, format!("{username} rights")])?;
    }
    if devices > 0 {
        // Freed extensions must be found again by the next allocation (spec D.6).
        state.extension_hint = ExtensionHint::default();
    }
    Ok(UserDeletion::Deleted)
}
