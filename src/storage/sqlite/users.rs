//! Users and permission groups.

mod manage;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::sql::exists;
use crate::model::{
    DefaultUser, PermissionGroup, Rights, User, UserChanges, UserDeletion, UserDetails, UserType, fold_case,
};
use crate::storage::{NewDevice, NewPermissionGroup, NewUser, Registered, StoreResult, UserStore};

// ---- users ----

/// `SELECT` of the columns of [`User`] and the condition; a literal, so no string is built per lookup.
macro_rules! select_user {
    ($condition:literal) => {
        concat!(
            "SELECT id, username, password_hash, usertype, owner_id, uniquehash, blocked, ",
            "first_name, last_name, email, acc_group_id, own_providers FROM users WHERE ",
            $condition
        )
    };
}

fn user_where(conn: &Connection, sql: &str, param: impl rusqlite::ToSql) -> StoreResult<Option<User>> {
    let user = conn
        .prepare_cached(sql)?
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
    user_where(conn, select_user!("id = ?1"), id)
}

pub fn user_by_username(conn: &Connection, username: &str) -> StoreResult<Option<User>> {
    user_where(conn, select_user!("username_key = ?1"), fold_case(username))
}

pub fn user_by_uniquehash(conn: &Connection, uniquehash: &str) -> StoreResult<Option<User>> {
    user_where(conn, select_user!("uniquehash = ?1"), uniquehash)
}

pub fn email_in_use(conn: &Connection, email: &str) -> StoreResult<bool> {
    manage::email_taken(conn, email, None)
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
    let group_id = super::devices::insert_device_group(conn, user_id)?;
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

// ---- permission groups ----

pub fn permission_group(conn: &Connection, id: i64) -> StoreResult<Option<PermissionGroup>> {
    Ok(conn
        .prepare_cached("SELECT id, name, group_type FROM permission_groups WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(PermissionGroup {
                id: row.get(0)?,
                name: row.get(1)?,
                group_type: row.get(2)?,
            })
        })
        .optional()?)
}

pub fn group_name_in_use(conn: &Connection, name: &str) -> StoreResult<bool> {
    exists(
        conn,
        "SELECT EXISTS(SELECT 1 FROM permission_groups WHERE name_key = ?1)",
        fold_case(name),
    )
}

pub fn insert_permission_group(conn: &Connection, group: &NewPermissionGroup) -> StoreResult<i64> {
    conn.prepare_cached(
        "INSERT INTO permission_groups (name, name_key, description, group_type) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        group.name,
        fold_case(&group.name),
        group.description,
        group.group_type
    ])?;
    let id = conn.last_insert_rowid();
    let mut stmt =
        conn.prepare_cached("INSERT INTO permission_group_rights (group_id, right_name, level) VALUES (?1, ?2, ?3)")?;
    for (name, level) in &group.rights {
        stmt.execute(params![id, name, level])?;
    }
    Ok(id)
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        self.lookup(|c| user_by_id(c, id))
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        self.lookup(|c| user_by_username(c, username))
    }

    async fn user_by_uniquehash(&self, uniquehash: &str) -> StoreResult<Option<User>> {
        self.lookup(|c| user_by_uniquehash(c, uniquehash))
    }

    async fn email_in_use(&self, email: &str) -> StoreResult<bool> {
        // An ASCII address is two index probes; any other may scan (see `manage::email_taken`).
        if email.is_ascii() {
            return self.lookup(|c| email_in_use(c, email));
        }
        let email = email.to_owned();
        self.read(move |c| email_in_use(c, &email)).await
    }

    async fn default_user(&self, owner_id: i64) -> StoreResult<Option<DefaultUser>> {
        self.lookup(|c| default_user(c, owner_id))
    }

    async fn permission_group(&self, id: i64) -> StoreResult<Option<PermissionGroup>> {
        self.lookup(|c| permission_group(c, id))
    }

    async fn group_name_in_use(&self, name: &str) -> StoreResult<bool> {
        self.lookup(|c| group_name_in_use(c, name))
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<i64> {
        self.writer
            .write(move |s| insert_user(&s.conn, &user).map(|(id, _)| id))
            .await
    }

    async fn register(&self, user: NewUser, device: NewDevice) -> StoreResult<Registered> {
        self.writer
            .write(move |s| {
                let (user_id, group_id) = insert_user(&s.conn, &user)?;
                let device = NewDevice { user_id, ..device };
                let device = super::devices::insert_device(s, &device, Some(group_id))?;
                Ok(Registered { user_id, device })
            })
            .await
    }

    async fn create_permission_group(&self, group: NewPermissionGroup) -> StoreResult<i64> {
        self.writer
            .write(move |s| insert_permission_group(&s.conn, &group))
            .await
    }

    async fn user_details(&self, id: i64) -> StoreResult<Option<UserDetails>> {
        self.lookup(|c| manage::user_details(c, id))
    }

    async fn users_list(&self, owner_id: Option<i64>, limit: usize) -> StoreResult<Vec<UserDetails>> {
        self.read(move |c| manage::users_list(c, owner_id, limit)).await
    }

    async fn email_in_use_by_other(&self, email: &str, except_id: i64) -> StoreResult<bool> {
        if email.is_ascii() {
            return self.lookup(|c| manage::email_in_use_by_other(c, email, except_id));
        }
        let email = email.to_owned();
        self.read(move |c| manage::email_in_use_by_other(c, &email, except_id))
            .await
    }

    async fn update_user(&self, id: i64, changes: UserChanges) -> StoreResult<bool> {
        self.writer
            .write(move |s| manage::update_user(&s.conn, id, changes))
            .await
    }

    async fn delete_user(&self, id: i64) -> StoreResult<UserDeletion> {
        self.writer.write(move |s| manage::delete_user(s, id)).await
    }
}
