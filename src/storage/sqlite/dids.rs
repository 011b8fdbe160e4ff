//! DIDs.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::SqliteStore;
use super::sql::exists;
use crate::storage::{DidStore, NewDid, StoreResult};

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

#[async_trait]
impl DidStore for SqliteStore {
    async fn did_exists(&self, did: &str) -> StoreResult<bool> {
        let did = did.to_owned();
        self.read(move |c| did_exists(c, &did)).await
    }

    async fn create_did(&self, did: NewDid) -> StoreResult<i64> {
        self.writer.write(move |s| insert_did(&s.conn, &did)).await
    }
}
