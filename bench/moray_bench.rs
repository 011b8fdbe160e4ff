//! The Rust half of `bench/run` (issue 4): the storage limit, the argon2id time, bulk seeding and
//! the request bodies the load tool sends. Run as
//! `cargo bench --bench moray-bench -- COMMAND name=value…`; see `bench/README.md`.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use moray::api::{Params, hash, route};
use moray::secrets::PasswordCost;
use rusqlite::{Connection, params};

fn main() -> anyhow::Result<()> {
    // `cargo bench` appends `--bench`; everything else is COMMAND then name=value pairs.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some((command, rest)) = args.split_first() else {
        bail!("usage: moray-bench storage|argon2|seed|bodies name=value…");
    };
    let opts: HashMap<&str, &str> = rest.iter().filter_map(|a| a.split_once('=')).collect();
    let opt = |name: &str| opts.get(name).copied().with_context(|| format!("{name}= is required"));
    let num = |name: &str| -> anyhow::Result<u64> { Ok(opt(name)?.parse()?) };
    match command.as_str() {
        "storage" => storage(opt("db")?, Duration::from_secs_f64(opt("seconds")?.parse()?)),
        "argon2" => argon2(
            num("memory_kib")? as u32,
            num("iterations")? as u32,
            num("count")? as usize,
        ),
        "seed" => seed(opt("db")?, num("users")? as i64, num("provider")? as i64),
        "bodies" => bodies(&opts),
        other => bail!("unknown command {other}"),
    }
}

/// Opens the database as moray does: WAL, `synchronous=FULL`, foreign keys.
fn open(path: &str) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    Ok(conn)
}

/// A small deterministic generator: bench data needs spread, not secrecy.
struct Spread(u64);

impl Spread {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const INSERT_DEVICE: &str = "INSERT INTO devices (user_id, device_type, name, username, secret, ha1, extension, pin,
    description, devicegroup_id, callerid, host, ipaddr, port, context, location_id, call_limit, timeout, fromuser,
    dtmfmode, nat, qualify, canreinvite, allow)
    VALUES (?1, 'SIP', ?2, ?2, ?3, ?4, ?2, ?5, 'bench', ?6, '', 'dynamic', '', 0, 'mor_local', 1, 0, 60, '',
    'rfc2833', 'yes', 'yes', 'no', 'alaw,ulaw')";

/// Inserts the row `device_create` writes (a device with a random PIN) `rows` times through
/// `insert`, for an extension above any device range.
fn insert_devices(conn: &Connection, user: (i64, i64), first: u64, rows: u64, rng: &mut Spread) -> anyhow::Result<()> {
    let mut stmt = conn.prepare_cached(INSERT_DEVICE)?;
    for n in first..first + rows {
        let name = (9_000_000_000 + n).to_string();
        let pin = format!("{:012}", rng.next() % 1_000_000_000_000);
        let secret = format!("{:012x}", rng.next() % (1 << 48));
        let ha1 = format!("{:016x}{:016x}", rng.next(), rng.next());
        stmt.execute(params![user.0, name, secret, ha1, pin, user.1])?;
    }
    Ok(())
}

/// The storage limit: device rows inserted directly, one transaction per row, then 64 per
/// transaction, each phase for `phase`. The rows are deleted afterwards.
fn storage(path: &str, phase: Duration) -> anyhow::Result<()> {
    let conn = open(path)?;
    let user: (i64, i64) = conn.query_row(
        "SELECT user_id, id FROM device_groups WHERE user_id <> 0 ORDER BY id LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let first_id: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM devices", [], |r| r.get(0))?;
    let mut rng = Spread(0x9E37_79B9_7F4A_7C15);
    let mut next = 0;
    let mut rate = |batch: u64| -> anyhow::Result<f64> {
        let started = Instant::now();
        let mut rows = 0;
        while started.elapsed() < phase {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            insert_devices(&conn, user, next, batch, &mut rng)?;
            conn.execute_batch("COMMIT")?;
            next += batch;
            rows += batch;
        }
        Ok(rows as f64 / started.elapsed().as_secs_f64())
    };
    let single = rate(1)?;
    let batched = rate(64)?;
    conn.execute("DELETE FROM devices WHERE id >= ?1", [first_id])?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    println!("single_rows_per_s={single:.0} batched_rows_per_s={batched:.0}");
    Ok(())
}

/// Median time of one argon2id hash at the given cost, hashed one after another in one reused
/// buffer, as the server's password threads do.
fn argon2(memory_kib: u32, iterations: u32, count: usize) -> anyhow::Result<()> {
    let cost = PasswordCost { memory_kib, iterations };
    let mut memory = Vec::new();
    cost.hash_in("warm-up", &mut memory);
    let mut times: Vec<f64> = (0..count.max(1))
        .map(|i| {
            let started = Instant::now();
            cost.hash_in(&format!("bench-password-{i}"), &mut memory);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("argon2_ms={:.2}", times[times.len() / 2]);
    Ok(())
}

/// Bulk seed, not through the API: `users` users (`bu0000001`…) of admin, each with its `primary`
/// device group, one device (extension 101, 102, …) and one active DID on `provider`.
fn seed(path: &str, users: i64, provider: i64) -> anyhow::Result<()> {
    let conn = open(path)?;
    // Seeding is not a measured write: no fsync per statement, a large cache.
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; BEGIN")?;
    let password_hash = PasswordCost::default().hash("bench-password");
    let base: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM users", [], |r| r.get(0))?;
    let today = moray::model::today();
    let mut user = conn.prepare(
        "INSERT INTO users (id, username, username_key, password_hash, usertype, owner_id, uniquehash, first_name,
            last_name, email, email_key, country_id, tariff_id, lcr_id, agreement_number, agreement_date)
         VALUES (?1, ?2, ?2, ?3, 'user', 0, ?4, 'Bench', ?2, ?5, ?5, 1, 1, 1, ?6, ?7)",
    )?;
    let mut group = conn.prepare("INSERT INTO device_groups (user_id, name) VALUES (?1, 'primary')")?;
    // A device's id is its user's id, so that request bodies can name both with one number.
    let mut device = conn.prepare(
        "INSERT INTO devices (id, user_id, device_type, name, username, secret, ha1, extension, pin, devicegroup_id)
         VALUES (?1, ?1, 'SIP', ?2, ?2, ?3, ?4, ?2, ?5, ?6)",
    )?;
    let mut did = conn
        .prepare("INSERT INTO dids (did, provider_id, status, user_id, device_id) VALUES (?1, ?2, 'active', ?3, ?3)")?;
    let mut rng = Spread(0xD1B5_4A32_D192_ED03);
    for n in 1..=users {
        let id = base + n;
        let name = format!("bu{n:07}");
        user.execute(params![
            id,
            name,
            password_hash,
            format!("b{n:09}"),
            format!("{name}@bench.example"),
            format!("{:010}", n),
            today
        ])?;
        group.execute([id])?;
        // Distinct 12-digit PINs: n times a number prime to 10 is a bijection modulo 10^12.
        let pin = format!("{:012}", (n as u64 * 7_919 + 12_345) % 1_000_000_000_000);
        let ha1 = format!("{:016x}{:016x}", rng.next(), rng.next());
        let group_id = conn.last_insert_rowid();
        let secret = format!("{:012x}", rng.next() % (1 << 48));
        device.execute(params![id, (100 + n).to_string(), secret, ha1, pin, group_id])?;
        did.execute(params![format!("3706{n:08}"), provider, id])?;
    }
    conn.execute_batch("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);")?;
    println!("seeded users={users} first_id={}", base + 1);
    Ok(())
}

/// Writes `count` urlencoded request bodies for `method`, one per line, each with its valid
/// hash (the method's primary list, then `secret`), to `out`.
fn bodies(opts: &HashMap<&str, &str>) -> anyhow::Result<()> {
    let get = |name: &str| opts.get(name).copied().with_context(|| format!("{name}= is required"));
    let method_name = get("method")?;
    let method = route(method_name).with_context(|| format!("unknown method {method_name}"))?;
    let count: u64 = get("count")?.parse()?;
    let secret = get("secret")?;
    let users: u64 = get("users")?.parse()?;
    let first_user: u64 = get("first_user")?.parse()?;
    let tag = opts.get("tag").copied().unwrap_or("0");
    let mut rng = Spread(0xA076_1D64_78BD_642F ^ tag.bytes().fold(0, |h, b| h * 31 + b as u64));
    let mut out = std::io::BufWriter::new(std::fs::File::create(get("out")?)?);
    for n in 0..count {
        let pick = first_user + rng.next() % users.max(1);
        let pairs: Vec<(&str, String)> = match method_name {
            "device_create" => vec![
                ("u", "admin".into()),
                ("user_id", pick.to_string()),
                ("description", "bench".into()),
            ],
            // The number is appended by the load tool; the hash is the `provider_id` list's.
            "did_create" => vec![("u", "admin".into()), ("provider_id", get("provider")?.into())],
            "device_details_get" => vec![("u", "admin".into()), ("device_id", pick.to_string())],
            "dids_get" => vec![("u", format!("bu{:07}", pick - first_user + 1))],
            "registration" => {
                let name = format!("reg{tag}x{n}");
                vec![
                    ("id", get("admin_uniquehash")?.into()),
                    ("username", name.clone()),
                    ("password", "Bench-pass1".into()),
                    ("password2", "Bench-pass1".into()),
                    ("first_name", "Bench".into()),
                    ("last_name", "Signup".into()),
                    ("email", format!("{name}@bench.example")),
                    ("country_id", "1".into()),
                    ("device_type", "SIP".into()),
                ]
            }
            other => bail!("no bodies for {other}"),
        };
        let mut params = Params::new();
        for (name, value) in &pairs {
            params.insert(*name, value.as_str());
        }
        let index: usize = opts.get("list").map_or(Ok(0), |v| v.parse())?;
        let list = method.hash.and_then(|lists| lists.get(index)).copied().unwrap_or(&[]);
        let digest = hash::sha1_hex(&hash::hashed_string(list, &params, secret, false));
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(out, "{}&hash={digest}", body.join("&"))?;
    }
    out.flush()?;
    Ok(())
}
