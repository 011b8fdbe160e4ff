//! The neutral interface a server backend implements: values, rows, a connection (plain or in a
//! transaction), and the few SQL spellings that differ between the databases.
//!
//! SQL handed to a [`Conn`] uses `?` placeholders (never inside string literals); a backend that
//! numbers its placeholders (PostgreSQL) rewrites them.

use async_trait::async_trait;

use crate::storage::{StoreError, StoreResult};

/// A bound parameter or a fetched column. Nulls carry their type, so a database that infers
/// parameter types (PostgreSQL) always knows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
    NullInt,
    NullText,
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::NullInt | Value::NullText)
    }
}

/// Anything that binds as one [`Value`].
pub trait Param {
    fn value(&self) -> Value;
}

impl Param for Value {
    fn value(&self) -> Value {
        self.clone()
    }
}

impl Param for i64 {
    fn value(&self) -> Value {
        Value::Int(*self)
    }
}

impl Param for i32 {
    fn value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}

impl Param for usize {
    fn value(&self) -> Value {
        Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl Param for bool {
    fn value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}

impl Param for f64 {
    fn value(&self) -> Value {
        Value::Float(*self)
    }
}

impl Param for str {
    fn value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl Param for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value {
        (**self).value()
    }
}

impl Param for Option<i64> {
    fn value(&self) -> Value {
        self.map_or(Value::NullInt, Value::Int)
    }
}

impl Param for Option<bool> {
    fn value(&self) -> Value {
        self.map_or(Value::NullInt, |b| Value::Int(i64::from(b)))
    }
}

impl Param for Option<String> {
    fn value(&self) -> Value {
        self.as_ref().map_or(Value::NullText, |s| Value::Text(s.clone()))
    }
}

impl Param for Option<&str> {
    fn value(&self) -> Value {
        self.map_or(Value::NullText, |s| Value::Text(s.to_owned()))
    }
}

/// `args![a, b, …]`: a `Vec<Value>` from parameters of mixed types.
macro_rules! args {
    ($($x:expr),* $(,)?) => {
        vec![$($crate::storage::server::Param::value(&$x)),*]
    };
}
pub(crate) use args;

/// One fetched row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

fn decode_error(index: usize, want: &str, got: &Value) -> StoreError {
    StoreError::Backend(format!("column {index}: expected {want}, found {got:?}"))
}

impl Row {
    fn at(&self, index: usize) -> StoreResult<&Value> {
        self.0
            .get(index)
            .ok_or_else(|| StoreError::Backend(format!("no column {index}")))
    }

    pub fn i64(&self, index: usize) -> StoreResult<i64> {
        match self.at(index)? {
            Value::Int(n) => Ok(*n),
            other => Err(decode_error(index, "an integer", other)),
        }
    }

    pub fn opt_i64(&self, index: usize) -> StoreResult<Option<i64>> {
        match self.at(index)? {
            Value::Int(n) => Ok(Some(*n)),
            v if v.is_null() => Ok(None),
            other => Err(decode_error(index, "an integer", other)),
        }
    }

    pub fn bool(&self, index: usize) -> StoreResult<bool> {
        Ok(self.i64(index)? != 0)
    }

    pub fn f64(&self, index: usize) -> StoreResult<f64> {
        match self.at(index)? {
            Value::Float(f) => Ok(*f),
            Value::Int(n) => Ok(*n as f64),
            other => Err(decode_error(index, "a number", other)),
        }
    }

    pub fn text(&self, index: usize) -> StoreResult<String> {
        match self.at(index)? {
            Value::Text(s) => Ok(s.clone()),
            other => Err(decode_error(index, "text", other)),
        }
    }

    pub fn opt_text(&self, index: usize) -> StoreResult<Option<String>> {
        match self.at(index)? {
            Value::Text(s) => Ok(Some(s.clone())),
            v if v.is_null() => Ok(None),
            other => Err(decode_error(index, "text", other)),
        }
    }
}

/// A connection of a server backend: plain (each statement commits) or inside a transaction.
#[async_trait]
pub trait Conn: Send {
    async fn query(&mut self, sql: &str, args: Vec<Value>) -> StoreResult<Vec<Row>>;
    /// Streams the rows to `each` until it answers `false`.
    async fn query_each(
        &mut self,
        sql: &str,
        args: Vec<Value>,
        each: &mut (dyn FnMut(Row) -> StoreResult<bool> + Send),
    ) -> StoreResult<()>;
    /// Rows affected (PostgreSQL: matched; MySQL: found, as `CLIENT_FOUND_ROWS` is set).
    async fn execute(&mut self, sql: &str, args: Vec<Value>) -> StoreResult<u64>;
    /// Runs an INSERT into a table whose key is `id` and returns the new row's id.
    async fn insert(&mut self, sql: &str, args: Vec<Value>) -> StoreResult<i64>;
    async fn commit(self: Box<Self>) -> StoreResult<()>;
    async fn rollback(self: Box<Self>) -> StoreResult<()>;
}

/// The SQL spellings that differ between the server databases.
#[derive(Debug, Clone)]
pub struct Dialect {
    /// Appended to a SELECT to lock its rows for update until commit.
    pub for_update: &'static str,
    /// Appended to a SELECT to lock its rows against changes until commit.
    pub for_share: &'static str,
    /// The upsert of one setting: `(owner_id, name, value)`.
    pub upsert_setting: &'static str,
    /// `INSERT … ` prefix that skips rows whose key exists, with [`insert_ignore_suffix`].
    pub insert_ignore: &'static str,
    pub insert_ignore_suffix: &'static str,
    /// The greatest agreement number of one owner's users as an integer (SQLite's
    /// `MAX(CAST(agreement_number AS INTEGER))`: text that is not a number counts as 0).
    pub max_agreement_number: &'static str,
    /// Statements that move a table's id generator past its greatest id (`{table}` is replaced);
    /// empty when the database does that by itself.
    pub sync_ids: &'static str,
}

/// A server database: a pool of connections and its dialect.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// A pooled connection in autocommit mode.
    async fn connect(&self) -> StoreResult<Box<dyn Conn>>;
    /// A pooled connection with a transaction begun.
    async fn begin(&self) -> StoreResult<Box<dyn Conn>>;
    /// Runs SQL text as it is (several statements allowed, no parameters, no transaction):
    /// what `CREATE DATABASE` and similar need.
    async fn execute_unprepared(&self, sql: &str) -> StoreResult<()>;
    fn dialect(&self) -> &Dialect;
}

/// Calls `each` with the byte offset, digits (empty for a bare `?`) and length of every
/// placeholder of `sql` outside string literals and quoted names.
fn placeholders(sql: &str, mut each: impl FnMut(usize, &str, usize)) {
    let bytes = sql.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == q {
                    quote = None;
                }
                i += 1;
            }
            None if b == b'\'' || b == b'"' || b == b'`' => {
                quote = Some(b);
                i += 1;
            }
            None if b == b'?' => {
                let digits = bytes[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
                each(i, &sql[i + 1..i + 1 + digits], 1 + digits);
                i += 1 + digits;
            }
            None => i += 1,
        }
    }
}

/// PostgreSQL's spelling: `?` becomes `$1`, `$2`, … in order; `?N` becomes `$N`.
pub fn numbered_placeholders(sql: &str, args: Vec<Value>) -> (String, Vec<Value>) {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut last = 0;
    let mut count = 0;
    placeholders(sql, |at, digits, len| {
        count += 1;
        out.push_str(&sql[last..at]);
        out.push('$');
        if digits.is_empty() {
            out.push_str(&count.to_string());
        } else {
            out.push_str(digits);
        }
        last = at + len;
    });
    out.push_str(&sql[last..]);
    (out, args)
}

/// MySQL's spelling: bare `?` in order. `?N` placeholders become `?` with the arguments
/// repeated and reordered to match.
pub fn positional_placeholders(sql: &str, args: Vec<Value>) -> (String, Vec<Value>) {
    let mut numbered = Vec::new();
    placeholders(sql, |at, digits, len| {
        if !digits.is_empty() {
            numbered.push((at, digits.parse::<usize>().unwrap_or(0), len));
        }
    });
    if numbered.is_empty() {
        return (sql.to_owned(), args);
    }
    let mut out = String::with_capacity(sql.len());
    let mut ordered = Vec::with_capacity(numbered.len());
    let mut last = 0;
    for (at, n, len) in numbered {
        out.push_str(&sql[last..at]);
        out.push('?');
        last = at + len;
        ordered.push(args.get(n.wrapping_sub(1)).cloned().unwrap_or(Value::NullText));
    }
    out.push_str(&sql[last..]);
    (out, ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_placeholders() {
        let (sql, _) = numbered_placeholders("SELECT ? , '?' FROM t WHERE a = ? AND b = ?", vec![]);
        assert_eq!(sql, "SELECT $1 , '?' FROM t WHERE a = $2 AND b = $3");
        let (sql, _) = numbered_placeholders("VALUES (?1, ?1, ?2)", vec![]);
        assert_eq!(sql, "VALUES ($1, $1, $2)");
    }

    #[test]
    fn positional_from_numbered() {
        let (sql, args) = positional_placeholders(
            "VALUES (?1, lower(?1), ?2)",
            vec![Value::Text("a".into()), Value::Int(2)],
        );
        assert_eq!(sql, "VALUES (?, lower(?), ?)");
        assert_eq!(
            args,
            vec![Value::Text("a".into()), Value::Text("a".into()), Value::Int(2)]
        );
        let (sql, args) = positional_placeholders("a = ? AND '?1'", vec![Value::Int(1)]);
        assert_eq!(sql, "a = ? AND '?1'");
        assert_eq!(args, vec![Value::Int(1)]);
    }
}
