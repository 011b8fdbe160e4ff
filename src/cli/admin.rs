//! `init`, `serve`, `users add`, `providers add` and `hash`: argument handling and printing
//! around [`crate::admin`].

use anyhow::Context;
use serde_json::json;

use super::{HashArgs, InitArgs, ServeArgs, UserAddArgs};
use crate::admin::{self, Credentials, UserSpec};
use crate::api::{self, Params, hash};
use crate::state::{AppState, Config};
use crate::storage::DynStore;

fn print_credentials(credentials: &Credentials, as_json: bool) {
    if as_json {
        println!(
            "{}",
            json!({
                "admin_username": "admin",
                "admin_password": credentials.password,
                "api_secret_key": credentials.api_secret_key,
                "uniquehash": credentials.uniquehash,
            })
        );
    } else {
        println!("moray initialized; keep these, they are shown only once:");
        println!("admin username: admin");
        println!("admin password: {}", credentials.password);
        println!("API secret key: {}", credentials.api_secret_key);
        println!("admin uniquehash: {}", credentials.uniquehash);
    }
}

pub async fn init(store: DynStore, config: Config, args: InitArgs) -> anyhow::Result<()> {
    match admin::initialize(&store, &config, args.admin_password, args.api_secret).await? {
        Some(credentials) => print_credentials(&credentials, args.json),
        None => eprintln!("moray: the database is already initialized; nothing was changed"),
    }
    Ok(())
}

pub async fn serve(store: DynStore, config: Config, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(credentials) = admin::initialize(&store, &config, None, None).await? {
        print_credentials(&credentials, false);
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, "moray is serving the MOR API");
    let state = AppState::new(store, config);
    crate::server::serve(state, listener, crate::server::shutdown_signal()).await?;
    Ok(())
}

pub async fn add_user(store: DynStore, config: Config, args: UserAddArgs) -> anyhow::Result<()> {
    let username = args.username.clone();
    let spec = UserSpec {
        username: args.username,
        password: args.password,
        usertype: args.usertype,
        owner: args.owner,
        rights: args.rights,
        first_name: args.first_name.unwrap_or_default(),
        last_name: args.last_name.unwrap_or_default(),
        email: args.email.unwrap_or_default(),
        own_providers: args.own_providers,
    };
    let (id, usertype, uniquehash) = admin::create_user(&store, &config, spec).await?;
    if args.json {
        println!(
            "{}",
            json!({ "id": id, "username": username, "usertype": usertype.as_str(), "uniquehash": uniquehash })
        );
    } else {
        println!("user created: id {id}, uniquehash {uniquehash}");
    }
    Ok(())
}

pub async fn add_provider(store: DynStore, name: String, owner: Option<String>, as_json: bool) -> anyhow::Result<()> {
    let id = admin::create_provider(&store, &name, owner.as_deref()).await?;
    if as_json {
        println!("{}", json!({ "id": id, "name": name }));
    } else {
        println!("provider created: id {id}");
    }
    Ok(())
}

/// Like MOR's "Generate hash": the same code the server checks with, primary list.
pub async fn hash(store: DynStore, args: HashArgs) -> anyhow::Result<()> {
    let method = api::route(&args.method).with_context(|| format!("unknown API method {:?}", args.method))?;
    let lists = method
        .hash
        .with_context(|| format!("{} is not hash-checked", method.name))?;
    let mut params = Params::new();
    for pair in &args.params {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        params.insert(name, value);
    }
    let secret = match args.secret {
        Some(secret) => secret,
        None => {
            let settings = store.settings(0).await?;
            settings
                .get("api_secret_key")
                .cloned()
                .filter(|k| !k.is_empty())
                .context("admin has no API secret key: pass --secret or run moray init")?
        }
    };
    let text = hash::hashed_string(lists[0], &params, &secret, false);
    println!("{}", hash::sha1_hex(&text));
    println!("hashed string: {text}");
    Ok(())
}
