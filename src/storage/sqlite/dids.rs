//! DIDs.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::SqliteStore;
use super::sql::exists;
use crate::model::{Did, DidStatus, display_name, fold_case};
use crate::storage::{DidFilter, DidGuard, DidListing, DidState, DidStore, NewDid, StoreError, StoreResult};

const DID_COLUMNS: &str = "d.id, d.did, d.provider_id, d.status, d.reseller_id, d.user_id, d.device_id, \
                           d.call_limit, d.language, d.custom_sip_header, d.comment, d.reseller_comment";

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

/// The first 12 columns of a row selected with [`DID_COLUMNS`].
fn did_from_row(row: &Row) -> rusqlite::Result<Did> {
    let status: String = row.get(3)?;
    let status = DidStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, "unknown DID status".into())
    })?;
    Ok(Did {
        id: row.get(0)?,
        did: row.get(1)?,
        provider_id: row.get(2)?,
        status,
        reseller_id: row.get(4)?,
        user_id: row.get(5)?,
        device_id: row.get(6)?,
        call_limit: row.get(7)?,
        language: row.get(8)?,
        custom_sip_header: row.get(9)?,
        comment: row.get(10)?,
        reseller_comment: row.get(11)?,
    })
}

fn did_where(conn: &Connection, condition: &str, param: impl rusqlite::ToSql) -> StoreResult<Option<Did>> {
    let sql = format!("SELECT {DID_COLUMNS} FROM dids d WHERE {condition}");
    Ok(conn.prepare_cached(&sql)?.query_row([param], did_from_row).optional()?)
}

pub fn did_by_id(conn: &Connection, id: i64) -> StoreResult<Option<Did>> {
    did_where(conn, "d.id = ?1", id)
}

pub fn did_by_number(conn: &Connection, did: &str) -> StoreResult<Option<Did>> {
    did_where(conn, "d.did = ?1", did)
}

/// The display name of an optionally joined user (first name, last name, username columns).
fn joined_name(row: &Row, first: usize) -> rusqlite::Result<Option<String>> {
    let username: Option<String> = row.get(first + 2)?;
    Ok(match username {
        Some(username) => Some(display_name(
            &row.get::<_, String>(first)?,
            &row.get::<_, String>(first + 1)?,
            &username,
        )),
        None => None,
    })
}

fn listing_from_row(row: &Row) -> rusqlite::Result<DidListing> {
    let device_type: Option<String> = row.get(19)?;
    let device_name: Option<String> = row.get(20)?;
    Ok(DidListing {
        did: did_from_row(row)?,
        provider_name: row.get(12)?,
        reseller_name: joined_name(row, 13)?,
        owner_name: joined_name(row, 16)?,
        device: device_type.zip(device_name).map(|(t, n)| format!("{t}/{n}")),
    })
}

/// `dids_get`: every condition in SQL except the owner's display name, which is matched here
/// with Unicode case folding while the rows stream by; only one page is ever kept.
pub fn dids(conn: &Connection, filter: &DidFilter) -> StoreResult<Vec<DidListing>> {
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
        sql.push_str(&clause.replace('?', &format!("?{}", args.len() + 1)));
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
            condition(clause, Value::Integer(id));
        }
    }
    if let Some(number) = &filter.number {
        condition("instr(d.did, ?) > 0", Value::Text(number.clone()));
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
        condition("d.user_id <> ?", Value::Integer(0));
    }
    sql.push_str(" ORDER BY d.id");
    let owner = filter.owner.as_deref().map(fold_case);
    if owner.is_none() {
        // SQLite takes LIMIT/OFFSET as signed 64-bit integers. Bound, not written into the SQL:
        // the text then depends only on which filters are set, and the cached statement (whose
        // preparation costs several times its execution) is reused.
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
        sql.push_str(&format!(" LIMIT ?{} OFFSET ?{}", args.len() + 1, args.len() + 2));
        args.push(Value::Integer(limit));
        args.push(Value::Integer(offset));
    }
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    let mut page = Vec::new();
    let mut skipped = 0;
    while page.len() < filter.limit {
        let Some(row) = rows.next()? else { break };
        let listing = listing_from_row(row)?;
        if let Some(needle) = &owner {
            let name = listing.owner_name.as_deref().map(fold_case).unwrap_or_default();
            if !name.contains(needle.as_str()) {
                continue;
            }
            if skipped < filter.offset {
                skipped += 1;
                continue;
            }
        }
        page.push(listing);
    }
    Ok(page)
}

/// Rows visited at most by a listing that [`visits_one_page`] lets run on the calling thread.
const INLINE_ROWS: usize = 2000;

/// Whether a listing reads at most [`INLINE_ROWS`] rows: no condition, or one equality that an
/// index serves (`reseller_id`, `user_id`, `device_id`), walked in id order to offset + limit.
/// Any other condition may skip any number of rows, so such listings go to the blocking pool.
fn visits_one_page(filter: &DidFilter) -> bool {
    let indexed = [filter.reseller_id, filter.holder_id, filter.user_id, filter.device_id];
    indexed.iter().filter(|id| id.is_some()).count() <= 1
        && filter.number.is_none()
        && filter.status.is_none()
        && filter.owner.is_none()
        && filter.provider_id.is_none()
        && filter.language.is_none()
        && !filter.hide_terminated
        && filter.offset.saturating_add(filter.limit) <= INLINE_ROWS
}

pub fn update_did(
    conn: &Connection,
    id: i64,
    expected: &DidState,
    new: &DidState,
    guard: &DidGuard,
) -> StoreResult<bool> {
    let (guard_device, guard_device_user) = guard.device.unzip();
    let changed = conn
        .prepare_cached(
            "UPDATE dids SET status = ?1, reseller_id = ?2, user_id = ?3, device_id = ?4, call_limit = ?5
             WHERE id = ?6 AND status = ?7 AND reseller_id = ?8 AND user_id = ?9 AND device_id = ?10
               AND call_limit = ?11
               AND (?12 IS NULL OR EXISTS(SELECT 1 FROM users WHERE id = ?12))
               AND (?13 IS NULL OR EXISTS(SELECT 1 FROM devices WHERE id = ?13 AND user_id = ?14))",
        )?
        .execute(params![
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
            guard.user,
            guard_device,
            guard_device_user,
        ])?;
    match changed {
        0 => Ok(false),
        1 => Ok(true),
        n => Err(StoreError::Backend(format!("DID update changed {n} rows"))),
    }
}

#[async_trait]
impl DidStore for SqliteStore {
    async fn did_exists(&self, did: &str) -> StoreResult<bool> {
        self.lookup(|c| did_exists(c, did))
    }

    async fn create_did(&self, did: NewDid) -> StoreResult<i64> {
        self.writer.write(move |s| insert_did(&s.conn, &did)).await
    }

    async fn did_by_id(&self, id: i64) -> StoreResult<Option<Did>> {
        self.lookup(|c| did_by_id(c, id))
    }

    async fn did_by_number(&self, did: &str) -> StoreResult<Option<Did>> {
        self.lookup(|c| did_by_number(c, did))
    }

    async fn dids(&self, filter: DidFilter) -> StoreResult<Vec<DidListing>> {
        if visits_one_page(&filter) {
            return self.lookup(|c| dids(c, &filter));
        }
        self.read(move |c| dids(c, &filter)).await
    }

    async fn update_did(&self, id: i64, expected: DidState, new: DidState, guard: DidGuard) -> StoreResult<bool> {
        self.writer
            .write(move |s| update_did(&s.conn, id, &expected, &new, &guard))
            .await
    }
}
