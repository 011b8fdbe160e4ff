//! Users and permission groups (the SQLite backend's `users` and `users/manage`).

use async_trait::async_trait;

use super::db::args;
use super::devices::{insert_device, insert_device_group, retry_allocation};
use super::{Conn, Row, ServerStore, Value, flag, limit, never, one, transaction};
use crate::model::{
    DefaultUser, PermissionGroup, Rights, User, UserChanges, UserDeletion, UserDetails, UserType, fold_case,
};
use crate::storage::{NewDevice, NewPermissionGroup, NewUser, Registered, StoreError, StoreResult, Unique, UserStore};

// ---- users ----

const USER_COLUMNS: &str = "id, username, password_hash, usertype, owner_id, uniquehash, blocked, \
                            first_name, last_name, email, acc_group_id, own_providers";

async fn user_where(c: &mut dyn Conn, condition: &str, param: Value) -> StoreResult<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {condition}");
    let Some(row) = one(c, &sql, vec![param]).await? else {
        return Ok(None);
    };
    let mut user = User {
        id: row.i64(0)?,
        username: row.text(1)?,
        password_hash: row.text(2)?,
        usertype: UserType::parse(&row.text(3)?).unwrap_or(UserType::User),
        owner_id: row.i64(4)?,
        uniquehash: row.text(5)?,
        blocked: row.bool(6)?,
        first_name: row.text(7)?,
        last_name: row.text(8)?,
        email: row.text(9)?,
        acc_group_id: row.i64(10)?,
        own_providers: row.bool(11)?,
        rights: Rights::new(),
    };
    if user.usertype == UserType::Accountant && user.acc_group_id != 0 {
        let rows = c
            .query(
                "SELECT right_name, level FROM permission_group_rights WHERE group_id = ?",
                args![user.acc_group_id],
            )
            .await?;
        for row in rows {
            user.rights.insert(row.text(0)?, row.i64(1)?);
        }
    }
    Ok(Some(user))
}

/// Whether a user other than `except_id` has this e-mail, case-insensitively, exactly as the
/// SQLite backend decides it: ASCII case through `email_ci` (the e-mail with ASCII letters
/// lowercased, kept by the schema), the rest through the folded key of unique e-mails, and for an
/// address with non-ASCII characters the folded comparison with the keyless addresses of its
/// length.
async fn email_taken(c: &mut dyn Conn, email: &str, except_id: Option<i64>) -> StoreResult<bool> {
    let except = except_id.unwrap_or(-1);
    let folded = fold_case(email);
    let found = flag(
        c,
        "SELECT CASE WHEN EXISTS(SELECT 1 FROM users WHERE email_ci = ? AND id <> ?)
                       OR EXISTS(SELECT 1 FROM users WHERE email_key = ? AND id <> ?) THEN 1 ELSE 0 END",
        args![email.to_ascii_lowercase(), except, folded, except],
    )
    .await?;
    if found || email.is_ascii() {
        return Ok(found);
    }
    let length = email.chars().count() as i64;
    let mut taken = false;
    c.query_each(
        "SELECT email FROM users WHERE email_key IS NULL AND id <> ? AND char_length(email) = ?",
        args![except, length],
        &mut |row| {
            taken = fold_case(&row.text(0)?) == folded;
            Ok(!taken)
        },
    )
    .await?;
    Ok(taken)
}

async fn default_user(c: &mut dyn Conn, owner_id: i64) -> StoreResult<Option<DefaultUser>> {
    let Some(row) = one(
        c,
        "SELECT owner_id, postpaid, credit, balance, tariff_id, lcr_id, currency, language, call_limit, hidden
         FROM default_users WHERE owner_id = ?",
        args![owner_id],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(DefaultUser {
        owner_id: row.i64(0)?,
        postpaid: row.bool(1)?,
        credit: row.f64(2)?,
        balance: row.f64(3)?,
        tariff_id: row.i64(4)?,
        lcr_id: row.i64(5)?,
        currency: row.text(6)?,
        language: row.text(7)?,
        call_limit: row.i64(8)?,
        hidden: row.bool(9)?,
    }))
}

/// Inserts a user with its `primary` device group; returns (user id, group id).
///
/// The owner's row is locked first: users of one owner are numbered one at a time (agreement
/// numbers), and an owner deleted meanwhile is noticed instead of leaving an orphan.
pub(super) async fn insert_user(store: &ServerStore, c: &mut dyn Conn, user: &NewUser) -> StoreResult<(i64, i64)> {
    let d = store.dialect();
    let owner = one(
        c,
        &format!("SELECT id FROM users WHERE id = ? {}", d.for_update),
        args![user.owner_id],
    )
    .await?;
    if owner.is_none() {
        return Err(StoreError::Conflict(Unique::Other));
    }
    let acc_group_id = match &user.rights_group {
        Some(group) => insert_permission_group(c, group).await?,
        None => user.acc_group_id,
    };
    let last = one(
        c,
        &format!("SELECT {} FROM users WHERE owner_id = ?", d.max_agreement_number),
        args![user.owner_id],
    )
    .await?
    .map(|row| row.opt_i64(0))
    .transpose()?
    .flatten();
    let agreement_number = format!("{:010}", last.unwrap_or(0) + 1);
    let email_key = user.email_unique.then(|| fold_case(&user.email));
    let user_id = c
        .insert(
            "INSERT INTO users (username, username_key, password_hash, usertype, owner_id, uniquehash,
                first_name, last_name, email, email_key, address, city, postcode, county, state, country_id,
                phone, mob_phone, fax, client_id, vat_number, acc_group_id, own_providers, tariff_id, lcr_id,
                currency, postpaid, credit, balance, call_limit, language, hidden, agreement_number,
                agreement_date, accounting_number)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                     ?, ?, ?)",
            args![
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
            ],
        )
        .await?;
    let group_id = insert_device_group(c, user_id).await?;
    if user.usertype == UserType::Reseller {
        // A new reseller starts from copies of admin's templates (spec E.1 effects).
        c.execute(
            "INSERT INTO default_users (owner_id, usertype, postpaid, credit, balance, tariff_id, lcr_id,
                                        currency, language, call_limit, hidden)
             SELECT ?, usertype, postpaid, credit, balance, tariff_id, lcr_id, currency, language,
                    call_limit, hidden FROM default_users WHERE owner_id = 0",
            args![user_id],
        )
        .await?;
        c.execute(
            "INSERT INTO default_devices (owner_id, context, host, dtmfmode, nat, qualify, canreinvite,
                                          allow, call_limit, timeout)
             SELECT ?, context, host, dtmfmode, nat, qualify, canreinvite, allow, call_limit, timeout
             FROM default_devices WHERE owner_id = 0",
            args![user_id],
        )
        .await?;
    }
    Ok((user_id, group_id))
}

// ---- permission groups ----

pub(super) async fn insert_permission_group(c: &mut dyn Conn, group: &NewPermissionGroup) -> StoreResult<i64> {
    let id = c
        .insert(
            "INSERT INTO permission_groups (name, name_key, description, group_type) VALUES (?, ?, ?, ?)",
            args![group.name, fold_case(&group.name), group.description, group.group_type],
        )
        .await?;
    for (name, level) in &group.rights {
        c.execute(
            "INSERT INTO permission_group_rights (group_id, right_name, level) VALUES (?, ?, ?)",
            args![id, name, level],
        )
        .await?;
    }
    Ok(id)
}

// ---- details, list, update, delete (spec F.2–F.5) ----

const DETAIL_COLUMNS: &str = "u.id, u.username, u.usertype, u.owner_id, u.blocked, u.hidden, u.first_name, \
    u.last_name, u.email, u.address, u.city, u.postcode, u.county, u.state, u.country_id, COALESCE(c.name, ''), \
    u.phone, u.mob_phone, u.fax, u.client_id, u.vat_number, u.tariff_id, u.lcr_id, u.currency, u.postpaid, \
    u.credit, u.balance, u.call_limit, u.language, u.agreement_number, u.agreement_date";

fn details_from_row(row: &Row) -> StoreResult<UserDetails> {
    Ok(UserDetails {
        id: row.i64(0)?,
        username: row.text(1)?,
        usertype: UserType::parse(&row.text(2)?).unwrap_or(UserType::User),
        owner_id: row.i64(3)?,
        blocked: row.bool(4)?,
        hidden: row.bool(5)?,
        first_name: row.text(6)?,
        last_name: row.text(7)?,
        email: row.text(8)?,
        address: row.text(9)?,
        city: row.text(10)?,
        postcode: row.text(11)?,
        county: row.text(12)?,
        state: row.text(13)?,
        country_id: row.i64(14)?,
        country_name: row.text(15)?,
        phone: row.text(16)?,
        mob_phone: row.text(17)?,
        fax: row.text(18)?,
        client_id: row.text(19)?,
        vat_number: row.text(20)?,
        tariff_id: row.i64(21)?,
        lcr_id: row.i64(22)?,
        currency: row.text(23)?,
        postpaid: row.bool(24)?,
        credit: row.f64(25)?,
        balance: row.f64(26)?,
        call_limit: row.i64(27)?,
        language: row.text(28)?,
        agreement_number: row.text(29)?,
        agreement_date: row.text(30)?,
    })
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
            Value::NullText
        };
        set.push(("email_key", key));
        set.push(("email", Value::Text(email)));
    }
    for (column, flag) in [("blocked", changes.blocked), ("hidden", changes.hidden)] {
        if let Some(flag) = flag {
            set.push((column, Value::Int(i64::from(flag))));
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
        set.push(("country_id", Value::Int(country_id)));
    }
    text(&mut set, "phone", changes.phone);
    text(&mut set, "mob_phone", changes.mob_phone);
    text(&mut set, "fax", changes.fax);
    set
}

async fn update_user(c: &mut dyn Conn, id: i64, changes: UserChanges) -> StoreResult<bool> {
    let set = assignments(changes);
    if set.is_empty() {
        return flag(c, "SELECT EXISTS(SELECT 1 FROM users WHERE id = ?)", args![id]).await;
    }
    let columns: Vec<String> = set.iter().map(|(column, _)| format!("{column} = ?")).collect();
    let sql = format!("UPDATE users SET {} WHERE id = ?", columns.join(", "));
    let mut values: Vec<Value> = set.into_iter().map(|(_, value)| value).collect();
    values.push(Value::Int(id));
    Ok(c.execute(&sql, values).await? > 0)
}

/// Spec F.5, in one transaction, as the SQLite backend does it. The user's row and its devices
/// are locked first, so a concurrent write that attaches a DID, a device or a user to them either
/// finishes before the checks below see it, or waits and then finds them gone.
async fn delete_user(store: &ServerStore, c: &mut dyn Conn, id: i64) -> StoreResult<UserDeletion> {
    let d = store.dialect();
    let found = one(
        c,
        &format!(
            "SELECT usertype, username, acc_group_id FROM users WHERE id = ? {}",
            d.for_update
        ),
        args![id],
    )
    .await?;
    let Some(found) = found else {
        return Ok(UserDeletion::NotFound);
    };
    let (usertype, username, acc_group_id) = (found.text(0)?, found.text(1)?, found.i64(2)?);
    let usertype = UserType::parse(&usertype).unwrap_or(UserType::User);
    if id == 0 || usertype == UserType::Admin {
        return Ok(UserDeletion::OwnsObjects);
    }
    c.query(
        &format!("SELECT id FROM devices WHERE user_id = ? {}", d.for_update),
        args![id],
    )
    .await?;
    let reseller = usertype == UserType::Reseller;
    if reseller
        && flag(
            c,
            "SELECT CASE WHEN EXISTS(SELECT 1 FROM users WHERE owner_id = ?)
                           OR EXISTS(SELECT 1 FROM providers WHERE owner_id = ?) THEN 1 ELSE 0 END",
            args![id, id],
        )
        .await?
    {
        return Ok(UserDeletion::OwnsObjects);
    }
    let has_dids = flag(
        c,
        "SELECT CASE WHEN EXISTS(SELECT 1 FROM dids WHERE user_id = ?)
                       OR EXISTS(SELECT 1 FROM dids WHERE device_id IN (SELECT id FROM devices WHERE user_id = ?))
                  THEN 1 ELSE 0 END",
        args![id, id],
    )
    .await?
        || (reseller && flag(c, "SELECT EXISTS(SELECT 1 FROM dids WHERE reseller_id = ?)", args![id]).await?);
    if has_dids {
        return Ok(UserDeletion::HasDids);
    }
    c.execute(
        "DELETE FROM clis WHERE device_id IN (SELECT id FROM devices WHERE user_id = ?)",
        args![id],
    )
    .await?;
    c.execute("DELETE FROM devices WHERE user_id = ?", args![id]).await?;
    c.execute("DELETE FROM device_groups WHERE user_id = ?", args![id])
        .await?;
    if reseller {
        for table in [
            "settings",
            "default_users",
            "default_devices",
            "tariffs",
            "lcrs",
            "locations",
        ] {
            c.execute(&format!("DELETE FROM {table} WHERE owner_id = ?"), args![id])
                .await?;
        }
    }
    c.execute("DELETE FROM users WHERE id = ?", args![id]).await?;
    if usertype == UserType::Accountant && acc_group_id != 0 {
        c.execute(
            "DELETE FROM permission_groups WHERE id = ? AND group_type = 'accountant' AND name = ?
                 AND NOT EXISTS(SELECT 1 FROM users WHERE acc_group_id = ?)",
            args![acc_group_id, format!("{username} rights"), acc_group_id],
        )
        .await?;
    }
    Ok(UserDeletion::Deleted)
}

#[async_trait]
impl UserStore for ServerStore {
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        user_where(&mut *self.reader().await?, "id = ?", Value::Int(id)).await
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        user_where(
            &mut *self.reader().await?,
            "username_key = ?",
            Value::Text(fold_case(username)),
        )
        .await
    }

    async fn user_by_uniquehash(&self, uniquehash: &str) -> StoreResult<Option<User>> {
        user_where(
            &mut *self.reader().await?,
            "uniquehash = ?",
            Value::Text(uniquehash.to_owned()),
        )
        .await
    }

    async fn email_in_use(&self, email: &str) -> StoreResult<bool> {
        email_taken(&mut *self.reader().await?, email, None).await
    }

    async fn default_user(&self, owner_id: i64) -> StoreResult<Option<DefaultUser>> {
        default_user(&mut *self.reader().await?, owner_id).await
    }

    async fn permission_group(&self, id: i64) -> StoreResult<Option<PermissionGroup>> {
        let row = one(
            &mut *self.reader().await?,
            "SELECT id, name, group_type FROM permission_groups WHERE id = ?",
            args![id],
        )
        .await?;
        row.map(|row| {
            Ok(PermissionGroup {
                id: row.i64(0)?,
                name: row.text(1)?,
                group_type: row.text(2)?,
            })
        })
        .transpose()
    }

    async fn group_name_in_use(&self, name: &str) -> StoreResult<bool> {
        flag(
            &mut *self.reader().await?,
            "SELECT EXISTS(SELECT 1 FROM permission_groups WHERE name_key = ?)",
            args![fold_case(name)],
        )
        .await
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<i64> {
        transaction!(self, never, |c| insert_user(self, c, &user).await.map(|(id, _)| id))
    }

    async fn register(&self, user: NewUser, device: NewDevice) -> StoreResult<Registered> {
        let retry = retry_allocation(&device);
        transaction!(self, retry, |c| {
            let (user_id, group_id) = insert_user(self, c, &user).await?;
            let device = NewDevice {
                user_id,
                ..device.clone()
            };
            let device = insert_device(self, c, &device, Some(group_id)).await?;
            Ok(Registered { user_id, device })
        })
    }

    async fn create_permission_group(&self, group: NewPermissionGroup) -> StoreResult<i64> {
        transaction!(self, never, |c| insert_permission_group(c, &group).await)
    }

    async fn user_details(&self, id: i64) -> StoreResult<Option<UserDetails>> {
        let sql =
            format!("SELECT {DETAIL_COLUMNS} FROM users u LEFT JOIN countries c ON c.id = u.country_id WHERE u.id = ?");
        let row = one(&mut *self.reader().await?, &sql, args![id]).await?;
        row.as_ref().map(details_from_row).transpose()
    }

    async fn users_list(&self, owner_id: Option<i64>, max: usize) -> StoreResult<Vec<UserDetails>> {
        let from = "FROM users u LEFT JOIN countries c ON c.id = u.country_id";
        let mut c = self.reader().await?;
        let rows = match owner_id {
            Some(owner) => {
                let sql =
                    format!("SELECT {DETAIL_COLUMNS} {from} WHERE u.owner_id = ? AND u.id <> 0 ORDER BY u.id LIMIT ?");
                c.query(&sql, args![owner, limit(max)]).await?
            }
            None => {
                let sql = format!("SELECT {DETAIL_COLUMNS} {from} WHERE u.id <> 0 ORDER BY u.id LIMIT ?");
                c.query(&sql, args![limit(max)]).await?
            }
        };
        rows.iter().map(details_from_row).collect()
    }

    async fn email_in_use_by_other(&self, email: &str, except_id: i64) -> StoreResult<bool> {
        email_taken(&mut *self.reader().await?, email, Some(except_id)).await
    }

    async fn update_user(&self, id: i64, changes: UserChanges) -> StoreResult<bool> {
        transaction!(self, never, |c| update_user(c, id, changes.clone()).await)
    }

    async fn delete_user(&self, id: i64) -> StoreResult<UserDeletion> {
        transaction!(self, never, |c| delete_user(self, c, id).await)
    }
}
