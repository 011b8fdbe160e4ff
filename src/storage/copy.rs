//! `moray copy`: moves every row of an installation from one database to another (SQLite to
//! PostgreSQL or MariaDB, or any other pair), in one transaction on the target.
//!
//! The target is migrated first and must hold no installation yet (no admin). Its tables are
//! emptied (the migrations' own rows, such as the countries, are replaced by the source's), the
//! source's rows are inserted with their ids, and the id generators are moved past them; either
//! all of it is written or nothing. Every table's row count is compared afterwards.

use anyhow::{Context, bail, ensure};

use super::raw::RawDb;
use super::server::Value;

/// Every table and column of the schema, parents before children. The SQLite schema is the
/// reference; the server schemas have the same columns plus derived ones that are not copied.
pub const TABLES: &[(&str, &[&str])] = &[
    ("countries", &["id", "name", "alpha2", "alpha3"]),
    ("tariffs", &["id", "name", "owner_id"]),
    ("lcrs", &["id", "name", "owner_id"]),
    ("locations", &["id", "name", "owner_id"]),
    (
        "permission_groups",
        &["id", "name", "name_key", "description", "group_type"],
    ),
    ("permission_group_rights", &["group_id", "right_name", "level"]),
    (
        "users",
        &[
            "id",
            "username",
            "username_key",
            "password_hash",
            "usertype",
            "owner_id",
            "uniquehash",
            "blocked",
            "hidden",
            "first_name",
            "last_name",
            "email",
            "email_key",
            "address",
            "city",
            "postcode",
            "county",
            "state",
            "country_id",
            "phone",
            "mob_phone",
            "fax",
            "client_id",
            "vat_number",
            "acc_group_id",
            "own_providers",
            "tariff_id",
            "lcr_id",
            "currency",
            "postpaid",
            "credit",
            "balance",
            "call_limit",
            "language",
            "agreement_number",
            "agreement_date",
            "accounting_number",
        ],
    ),
    (
        "default_users",
        &[
            "owner_id",
            "usertype",
            "postpaid",
            "credit",
            "balance",
            "tariff_id",
            "lcr_id",
            "currency",
            "language",
            "call_limit",
            "hidden",
        ],
    ),
    (
        "default_devices",
        &[
            "owner_id",
            "context",
            "host",
            "dtmfmode",
            "nat",
            "qualify",
            "canreinvite",
            "allow",
            "call_limit",
            "timeout",
        ],
    ),
    ("device_groups", &["id", "user_id", "name"]),
    (
        "devices",
        &[
            "id",
            "user_id",
            "device_type",
            "name",
            "username",
            "secret",
            "ha1",
            "extension",
            "pin",
            "description",
            "devicegroup_id",
            "callerid",
            "host",
            "ipaddr",
            "port",
            "context",
            "location_id",
            "call_limit",
            "timeout",
            "fromuser",
            "istrunk",
            "hidden",
            "comment",
            "dtmfmode",
            "nat",
            "qualify",
            "canreinvite",
            "allow",
        ],
    ),
    ("clis", &["id", "device_id", "cli", "description"]),
    (
        "providers",
        &[
            "id",
            "name",
            "tech",
            "tariff_id",
            "owner_id",
            "server_ip",
            "port",
            "login",
            "password",
            "hidden",
            "active",
            "timeout",
            "dtmfmode",
            "call_limit",
            "location_id",
        ],
    ),
    (
        "dids",
        &[
            "id",
            "did",
            "provider_id",
            "status",
            "reseller_id",
            "user_id",
            "device_id",
            "call_limit",
            "language",
            "custom_sip_header",
            "comment",
            "reseller_comment",
        ],
    ),
    ("settings", &["owner_id", "name", "value"]),
];

/// Rows read and inserted per statement.
const CHUNK: usize = 500;

/// Rows copied, per table.
pub type CopyReport = Vec<(&'static str, u64)>;

/// The sort key of a table: its id, or its whole key when it has none.
fn order_of(columns: &[&str]) -> String {
    match columns[0] {
        "id" => "id".into(),
        "group_id" => "group_id, right_name".into(),
        "owner_id" if columns[1] == "name" => "owner_id, name".into(),
        first => first.into(),
    }
}

async fn count(db: &RawDb, table: &str) -> anyhow::Result<u64> {
    let rows = db.query(&format!("SELECT COUNT(*) FROM {table}"), Vec::new()).await?;
    Ok(rows
        .first()
        .context("COUNT(*) returned no row")?
        .i64(0)
        .map(|n| n.max(0) as u64)?)
}

/// Copies every row from `from` to `to`; returns the number of rows per table.
pub async fn copy(from: &str, to: &str) -> anyhow::Result<CopyReport> {
    ensure!(from != to, "--from and --to name the same database");
    let source = RawDb::open(from, true)
        .await
        .context("cannot open the source database")?;
    let target = RawDb::open(to, true).await.context("cannot open the target database")?;
    if count(&target, "users").await? > 0 {
        bail!("the target database already holds an installation (it has users); copy only into a new database");
    }
    let mut statements: Vec<(String, Vec<Vec<Value>>)> = Vec::new();
    // Children first: empty every table of the target.
    for (table, _) in TABLES.iter().rev() {
        statements.push((format!("DELETE FROM {table}"), vec![Vec::new()]));
    }
    let mut expected = Vec::new();
    for (table, columns) in TABLES {
        let list = columns.join(", ");
        let rows = source
            .query(
                &format!("SELECT {list} FROM {table} ORDER BY {}", order_of(columns)),
                Vec::new(),
            )
            .await
            .with_context(|| format!("cannot read {table}"))?;
        expected.push((*table, rows.len() as u64));
        for chunk in rows.chunks(CHUNK) {
            let one = format!("({})", vec!["?"; columns.len()].join(", "));
            let sql = format!(
                "INSERT INTO {table} ({list}) VALUES {}",
                vec![one.as_str(); chunk.len()].join(", ")
            );
            let args: Vec<Value> = chunk.iter().flat_map(|row| row.0.iter().cloned()).collect();
            statements.push((sql, vec![args]));
        }
    }
    if let RawDb::Server(server) = &target {
        let sync = server.dialect().sync_ids;
        if !sync.is_empty() {
            for (table, columns) in TABLES {
                if columns[0] == "id" && *table != "countries" {
                    statements.push((sync.replace("{table}", table), vec![Vec::new()]));
                }
            }
        }
        statements.push((
            "UPDATE device_allocation SET range_start = 0, next_free = 0".into(),
            vec![Vec::new()],
        ));
    }
    target
        .batch(statements)
        .await
        .context("cannot write the target database (nothing was written)")?;
    for (table, rows) in &expected {
        let copied = count(&target, table).await?;
        ensure!(
            copied == *rows,
            "{table}: {rows} rows in the source but {copied} in the target"
        );
    }
    Ok(expected)
}
