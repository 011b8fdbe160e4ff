//! DIDs (the SQLite backend's `dids`).

use async_trait::async_trait;

use super::db::args;
use super::{Conn, Row, ServerStore, Value, flag, limit, never, one, transaction};
use crate::model::{Did, DidStatus, display_name, fold_case};
use crate::storage::{DidFilter, DidGuard, DidListing, DidState, DidStore, NewDid, StoreError, StoreResult};

const DID_COLUMNS: &str = "d.id, d.did, d.provider_id, d.status, d.reseller_id, d.user_id, d.device_id, \
                           d.call_limit, d.language, d.custom_sip_header, d.comment, d.reseller_comment";

/// The first 12 columns of a row selected with [`DID_COLUMNS`].
fn did_from_row(row: &Row) -> StoreResult<Did> {
    let status = row.text(3)?;
    let status =
        DidStatus::parse(&status).ok_or_else(|| StoreError::Backend(format!("unknown DID status {status:?}")))?;
    Ok(Did {
        id: row.i64(0)?,
        did: row.text(1)?,
        provider_id: row.i64(2)?,
        status,
        reseller_id: row.i64(4)?,
        user_id: row.i64(5)?,
        device_id: row.i64(6)?,
        call_limit: row.i64(7)?,
        language: row.text(8)?,
        custom_sip_header: row.text(9)?,
        comment: row.text(10)?,
        reseller_comment: row.text(11)?,
    })
}

async fn did_where(c: &mut dyn Conn, condition: &str, param: Value) -> StoreResult<Option<Did>> {
    let sql = format!("SELECT {DID_COLUMNS} FROM dids d WHERE {condition}");
    one(c, &sql, vec![param]).await?.as_ref().map(did_from_row).transpose()
}

/// The display name of an optionally joined user (first name, last name, username columns).
fn joined_name(row: &Row, first: usize) -> StoreResult<Option<String>> {
    Ok(match row.opt_text(first + 2)? {
        Some(username) => Some(display_name(&row.text(first)?, &row.text(first + 1)?, &username)),
        None => None,
    })
}

fn listing_from_row(row: &Row) -> StoreResult<DidListing> {
    let device_type = row.opt_text(19)?;
    let device_name = row.opt_text(20)?;
    Ok(DidListing {
        did: did_from_row(row)?,
        provider_name: row.opt_text(12)?,
        reseller_name: joined_name(row, 13)?,
        owner_name: joined_name(row, 16)?,
        device: device_type.zip(device_name).map(|(t, n)| format!("{t}/{n}")),
    })
}

/// `dids_get`: every condition in SQL except the owner's display name, matched here with Unicode
/// case folding while the rows stream by, and the language, narrowed in SQL and compared here
/// ASCII-case-insensitively (SQLite's `lower`); only one page is ever kept.
async fn dids(c: &mut dyn Conn, filter: &DidFilter) -> StoreResult<Vec<DidListing>> {
    let mut sql = format!(
        "SELECT {DID_COLUMNS}, p.name, r.first_name, r.last_name, r.username,
                o.first_name, o.last_name, o.username, v.device_type, v.name
         FROM dids d
         LEFT JOIN providers p ON p.id = d.provider_id
         LEFT JOIN users r ON d.reseller_id <> 0 AND r.id = d.reseller_id
         LEFT JOIN users o ON d.user_id <> 0 AND o.id = d.user_id
         LEFT JOIN devices v ON d.device_id <> 0 AND v.id = d.device_id
         WHERE 1 = 1"
    );
    let mut args: Vec<Value> = Vec::new();
    let mut condition = |clause: &str, value: Value| {
        sql.push_str(" AND ");
        sql.push_str(clause);
        args.push(value);
    };
    let ids = [
        ("d.reseller_id = ?", filter.reseller_id),
        ("d.user_id = ?", filter.holder_id),
        ("d.user_id = ?", filter.user_id),
        ("d.device_id = ?", filter.device_id),
        ("d.provider_id = ?", filter.provider_id),
    ];
    for (clause, id) in ids {
        if let Some(id) = id {
            condition(clause, Value::Int(id));
        }
    }
    if let Some(number) = &filter.number {
        condition("POSITION(? IN d.did) > 0", Value::Text(number.clone()));
    }
    if let Some(status) = filter.status {
        condition("d.status = ?", Value::Text(status.as_str().into()));
    }
    if let Some(language) = &filter.language {
        condition("lower(d.language) = lower(?)", Value::Text(language.clone()));
    }
    if filter.hide_terminated {
        condition("d.status <> ?", Value::Text(DidStatus::Terminated.as_str().into()));
    }
    if filter.owner.is_some() {
        condition("d.user_id <> ?", Value::Int(0));
    }
    sql.push_str(" ORDER BY d.id");
    let owner = filter.owner.as_deref().map(fold_case);
    let in_sql = owner.is_none() && filter.language.is_none();
    if in_sql {
        sql.push_str(&format!(
            " LIMIT {} OFFSET {}",
            limit(filter.limit),
            limit(filter.offset)
        ));
    }
    let mut page = Vec::new();
    let mut skipped = 0;
    if filter.limit == 0 {
        return Ok(page);
    }
    c.query_each(&sql, args, &mut |row| {
        let listing = listing_from_row(&row)?;
        if !in_sql {
            if let Some(language) = &filter.language
                && !listing.did.language.eq_ignore_ascii_case(language)
            {
                return Ok(true);
            }
            if let Some(needle) = &owner {
                let name = listing.owner_name.as_deref().map(fold_case).unwrap_or_default();
                if !name.contains(needle.as_str()) {
                    return Ok(true);
                }
            }
            if skipped < filter.offset {
                skipped += 1;
                return Ok(true);
            }
        }
        page.push(listing);
        Ok(page.len() < filter.limit)
    })
    .await?;
    Ok(page)
}

/// Compare-and-set. The rows of the guard are share-locked first: a user or device being deleted
/// concurrently either waits for this write (and then sees the DID) or is gone before it.
async fn update_did(
    store: &ServerStore,
    c: &mut dyn Conn,
    id: i64,
    expected: &DidState,
    new: &DidState,
    guard: &DidGuard,
) -> StoreResult<bool> {
    let share = store.dialect().for_share;
    if let Some(user) = guard.user
        && one(c, &format!("SELECT id FROM users WHERE id = ? {share}"), args![user])
            .await?
            .is_none()
    {
        return Ok(false);
    }
    if let Some((device, user)) = guard.device
        && one(
            c,
            &format!("SELECT id FROM devices WHERE id = ? AND user_id = ? {share}"),
            args![device, user],
        )
        .await?
        .is_none()
    {
        return Ok(false);
    }
    let changed = c
        .execute(
            "UPDATE dids SET status = ?, reseller_id = ?, user_id = ?, device_id = ?, call_limit = ?
             WHERE id = ? AND status = ? AND reseller_id = ? AND user_id = ? AND device_id = ? AND call_limit = ?",
            args![
                new.status.as_str(),
                new.reseller_id,
                new.user_id,
                new.device_id,
                new.call_limit,
                id,
                expected.status.as_str(),
                expected.reseller_id,
                expected.user_id,
                expected.device_id,
                expected.call_limit,
            ],
        )
        .await?;
    match changed {
        0 => Ok(false),
        1 => Ok(true),
        n => Err(StoreError::Backend(format!("DID update changed {n} rows"))),
    }
}

#[async_trait]
impl DidStore for ServerStore {
    async fn did_exists(&self, did: &str) -> StoreResult<bool> {
        flag(
            &mut *self.reader().await?,
            "SELECT EXISTS(SELECT 1 FROM dids WHERE did = ?)",
            args![did],
        )
        .await
    }

    async fn create_did(&self, did: NewDid) -> StoreResult<i64> {
        transaction!(self, never, |c| {
            c.insert(
                "INSERT INTO dids (did, provider_id, reseller_id, custom_sip_header, comment, reseller_comment)
                 VALUES (?, ?, ?, ?, ?, ?)",
                args![
                    did.did,
                    did.provider_id,
                    did.reseller_id,
                    did.custom_sip_header,
                    did.comment,
                    did.reseller_comment
                ],
            )
            .await
        })
    }

    async fn did_by_id(&self, id: i64) -> StoreResult<Option<Did>> {
        did_where(&mut *self.reader().await?, "d.id = ?", Value::Int(id)).await
    }

    async fn did_by_number(&self, did: &str) -> StoreResult<Option<Did>> {
        did_where(&mut *self.reader().await?, "d.did = ?", Value::Text(did.to_owned())).await
    }

    async fn dids(&self, filter: DidFilter) -> StoreResult<Vec<DidListing>> {
        dids(&mut *self.reader().await?, &filter).await
    }

    async fn update_did(&self, id: i64, expected: DidState, new: DidState, guard: DidGuard) -> StoreResult<bool> {
        transaction!(self, never, |c| update_did(self, c, id, &expected, &new, &guard).await)
    }
}
