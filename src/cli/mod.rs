//! The `moray` command line (issue 2 §3, spec H). Every command opens the database named by the
//! global `--database` (env `MORAY_DATABASE`), migrating it first.

mod admin;
mod settings;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::logging::LogSink;
use crate::secrets::PasswordCost;
use crate::state::Config;
use crate::storage::DbOptions;

#[derive(Debug, Parser)]
#[command(name = "moray", version, about = "A server for Kolmisoft MOR's XML HTTP API")]
pub struct Cli {
    /// Database URL: sqlite://PATH (created on first use), postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    /// or mysql://USER[:PASSWORD]@HOST[:PORT]/DB (TLS: ?sslmode=… / ?ssl-mode=… in the URL).
    #[arg(long, global = true, env = "MORAY_DATABASE", default_value = "sqlite://moray.db")]
    pub database: String,

    /// Server databases: connections kept open at most.
    #[arg(long, global = true, env = "MORAY_DB_POOL_SIZE", default_value_t = DbOptions::default().pool_size)]
    pub db_pool_size: u32,

    /// Server databases: seconds a request waits for a connection before it fails (so how long
    /// a request takes to answer with an error while the database is down).
    #[arg(long, global = true, env = "MORAY_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = DbOptions::default().acquire_timeout.as_secs_f64())]
    pub db_acquire_timeout_secs: f64,

    /// Server databases: seconds one SQL statement may run.
    #[arg(long, global = true, env = "MORAY_DB_TIMEOUT_SECS", default_value_t = DbOptions::default().statement_timeout.as_secs_f64())]
    pub db_timeout_secs: f64,

    /// argon2id memory cost for user passwords, in KiB.
    #[arg(long, global = true, env = "MORAY_ARGON2_MEMORY_KIB", default_value_t = PasswordCost::default().memory_kib)]
    pub argon2_memory_kib: u32,

    /// argon2id passes for user passwords.
    #[arg(long, global = true, env = "MORAY_ARGON2_ITERATIONS", default_value_t = PasswordCost::default().iterations)]
    pub argon2_iterations: u32,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the schema and the admin user if absent, and print admin's credentials.
    Init(InitArgs),
    /// Migrate, initialize an empty database, and serve the API.
    Serve(ServeArgs),
    /// Apply the embedded migrations and exit.
    Migrate,
    /// Check that the database answers (connects and runs `SELECT 1`; changes nothing).
    Ping,
    /// Copy every row of an installation from one database to another (e.g. SQLite to
    /// PostgreSQL or MariaDB). The target must hold no installation yet.
    Copy(CopyArgs),
    /// List, read and change settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage providers.
    #[command(subcommand)]
    Providers(ProvidersCommand),
    /// Print the hash a client must send for METHOD with these parameters.
    Hash(HashArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Admin's password (default: generated).
    #[arg(long)]
    pub admin_password: Option<String>,
    /// Admin's API secret key, at least 6 characters (default: generated).
    #[arg(long)]
    pub api_secret: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Source database URL.
    #[arg(long)]
    pub from: String,
    /// Target database URL (created and migrated as needed; must hold no installation).
    #[arg(long)]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MORAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Every setting with its value in force.
    List {
        #[arg(long)]
        owner: Option<String>,
    },
    /// One setting's value in force.
    Get {
        name: String,
        #[arg(long)]
        owner: Option<String>,
    },
    /// Change a setting (admin's, or a reseller's own with --owner).
    Set {
        name: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
        #[arg(long)]
        owner: Option<String>,
    },
    /// Remove a reseller's own value so it inherits admin's again.
    Unset {
        name: String,
        #[arg(long)]
        owner: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user (and its primary device group).
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub password: String,
    /// admin, accountant, reseller or user.
    #[arg(long = "type")]
    pub usertype: String,
    /// Owning reseller (default: admin).
    #[arg(long)]
    pub owner: Option<String>,
    /// Accountant rights: name=LEVEL pairs, comma-separated; a bare name means level 2.
    #[arg(long)]
    pub rights: Option<String>,
    #[arg(long)]
    pub first_name: Option<String>,
    #[arg(long)]
    pub last_name: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    /// Make a reseller a Reseller PRO (own providers).
    #[arg(long)]
    pub own_providers: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProvidersCommand {
    /// Create a provider.
    Add {
        #[arg(long)]
        name: String,
        /// Owning Reseller PRO (default: admin).
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct HashArgs {
    /// API method name (or legacy alias).
    pub method: String,
    /// Request parameters as name=value.
    pub params: Vec<String>,
    /// Secret key (default: admin's API secret key from the database).
    #[arg(long)]
    pub secret: Option<String>,
}

impl Cli {
    /// The connection settings of the server databases.
    pub fn db_options(&self) -> anyhow::Result<DbOptions> {
        let seconds = |name: &str, value: f64| -> anyhow::Result<std::time::Duration> {
            anyhow::ensure!(
                value.is_finite() && value > 0.0,
                "{name} must be a positive number of seconds"
            );
            Ok(std::time::Duration::from_secs_f64(value))
        };
        anyhow::ensure!(self.db_pool_size >= 1, "--db-pool-size must be at least 1");
        Ok(DbOptions {
            pool_size: self.db_pool_size,
            acquire_timeout: seconds("--db-acquire-timeout-secs", self.db_acquire_timeout_secs)?,
            statement_timeout: seconds("--db-timeout-secs", self.db_timeout_secs)?,
            migrate: true,
        })
    }

    fn config(&self) -> Config {
        Config {
            password_cost: PasswordCost {
                memory_kib: self.argon2_memory_kib,
                iterations: self.argon2_iterations,
            },
        }
    }
}

/// Parses the command line, runs the command, and maps failures to a one-line message.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("MORAY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let log = LogSink::start();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(log.clone())
        .with_ansi(ansi);
    if ansi {
        subscriber.init(); // a person reading a terminal: the default format, in colour
    } else {
        subscriber.event_format(crate::logging::LineFormat).init();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // An idle worker keeps no SQLite read transaction open (see `with_shared_reads`).
        .on_thread_park(crate::storage::end_read_snapshots)
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("moray: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    // Every line logged is out before the exit (and before the failure message).
    log.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moray: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config();
    let options = cli.db_options()?;
    if let Command::Copy(args) = &cli.command {
        let report = crate::storage::copy::copy(&args.from, &args.to).await?;
        let total: u64 = report.iter().map(|(_, rows)| rows).sum();
        for (table, rows) in &report {
            println!("{table}: {rows}");
        }
        println!("copied {total} rows");
        return Ok(());
    }
    if let Command::Ping = &cli.command {
        let db = crate::storage::raw::RawDb::open(&cli.database, false).await?;
        db.query("SELECT 1", Vec::new()).await?;
        println!("{:?} database answers", db.backend());
        return Ok(());
    }
    let store = crate::storage::open_with(&cli.database, &options).await?;
    match cli.command {
        Command::Copy(_) | Command::Ping => unreachable!("handled above"),
        Command::Init(args) => admin::init(store, config, args).await,
        Command::Serve(args) => admin::serve(store, config, args).await,
        Command::Migrate => {
            println!("database is at the current schema");
            Ok(())
        }
        Command::Settings(command) => settings::run(store, command).await,
        Command::Users(UsersCommand::Add(args)) => admin::add_user(store, config, args).await,
        Command::Providers(ProvidersCommand::Add { name, owner, json }) => {
            admin::add_provider(store, name, owner, json).await
        }
        Command::Hash(args) => admin::hash(store, args).await,
    }
}
