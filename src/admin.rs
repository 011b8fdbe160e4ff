//! Operator actions shared by the CLI and the tests: install, users, providers.

use anyhow::{Context, bail, ensure};

use crate::model::{ACCOUNTANT_RIGHTS, User, UserType};
use crate::secrets;
use crate::state::{Config, SettingsCache};
use crate::storage::{DynStore, NewAdmin, NewPermissionGroup, NewProvider, NewUser};

/// Admin's credentials, printed once when a database is initialized.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub password: String,
    pub api_secret_key: String,
    pub uniquehash: String,
}

/// Creates admin and the install defaults if the database has none; `None` if it already had.
pub async fn initialize(
    store: &DynStore,
    config: &Config,
    password: Option<String>,
    api_secret_key: Option<String>,
) -> anyhow::Result<Option<Credentials>> {
    if let Some(password) = &password {
        ensure!(!password.trim().is_empty(), "--admin-password must not be empty");
    }
    if let Some(key) = &api_secret_key {
        ensure!(key.chars().count() >= 6, "--api-secret must be at least 6 characters");
    }
    if store.is_initialized().await? {
        return Ok(None);
    }
    let credentials = Credentials {
        password: password.unwrap_or_else(|| secrets::token(16)),
        api_secret_key: api_secret_key.unwrap_or_else(|| secrets::token(32)),
        uniquehash: secrets::uniquehash(),
    };
    let cost = config.password_cost;
    let plain = credentials.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || cost.hash(&plain)).await?;
    let admin = NewAdmin {
        password_hash,
        api_secret_key: credentials.api_secret_key.clone(),
        uniquehash: credentials.uniquehash.clone(),
    };
    // Another process may have initialized it meanwhile: then nothing was written.
    Ok(store.initialize(admin).await?.then_some(credentials))
}

/// The admin or reseller named `username` (admin when `None`).
pub async fn owner_named(store: &DynStore, username: Option<&str>) -> anyhow::Result<User> {
    let user = match username {
        None => store
            .user_by_id(0)
            .await?
            .context("the database is not initialized: run moray init")?,
        Some(name) => store
            .user_by_username(name)
            .await?
            .with_context(|| format!("no user named {name:?}"))?,
    };
    ensure!(
        matches!(user.usertype, UserType::Admin | UserType::Reseller),
        "{} is a {}; an owner must be admin or a reseller",
        user.username,
        user.usertype.as_str()
    );
    Ok(user)
}

/// `name=LEVEL,name`: a bare name means level 2.
pub fn parse_rights(text: &str) -> anyhow::Result<Vec<(String, i64)>> {
    let mut rights = Vec::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (name, level) = item.split_once('=').unwrap_or((item, "2"));
        ensure!(
            ACCOUNTANT_RIGHTS.contains(&name),
            "unknown right {name:?}; known: {}",
            ACCOUNTANT_RIGHTS.join(", ")
        );
        let level: i64 = level
            .parse()
            .ok()
            .filter(|l| (0..=2).contains(l))
            .with_context(|| format!("right {name}: level must be 0, 1 or 2"))?;
        rights.push((name.to_owned(), level));
    }
    Ok(rights)
}

/// A user to create from the console (spec H: only the user and its `primary` device group).
#[derive(Debug, Clone, Default)]
pub struct UserSpec {
    pub username: String,
    pub password: String,
    pub usertype: String,
    pub owner: Option<String>,
    pub rights: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub own_providers: bool,
}

/// Creates a user; returns (id, usertype, uniquehash).
pub async fn create_user(store: &DynStore, config: &Config, args: UserSpec) -> anyhow::Result<(i64, UserType, String)> {
    let usertype = UserType::parse(&args.usertype).context("--type must be admin, accountant, reseller or user")?;
    ensure!(
        usertype != UserType::Admin,
        "there is exactly one admin; it is created by moray init"
    );
    ensure!(!args.username.trim().is_empty(), "--username must not be empty");
    ensure!(!args.password.is_empty(), "--password must not be empty");
    let owner = owner_named(store, args.owner.as_deref()).await?;
    ensure!(
        usertype == UserType::User || owner.usertype == UserType::Admin,
        "a {} can only be owned by admin",
        usertype.as_str()
    );
    ensure!(
        args.rights.is_none() || usertype == UserType::Accountant,
        "--rights applies to accountants only"
    );
    ensure!(
        !args.own_providers || usertype == UserType::Reseller,
        "--own-providers applies to resellers only"
    );
    if store.user_by_username(&args.username).await?.is_some() {
        bail!("the username {:?} is already taken", args.username);
    }
    let rights_group = match (usertype, &args.rights) {
        (UserType::Accountant, rights) => Some(NewPermissionGroup {
            name: format!("{} rights", args.username),
            description: format!("Rights of accountant {}", args.username),
            group_type: "accountant",
            rights: parse_rights(rights.as_deref().unwrap_or(""))?,
        }),
        _ => None,
    };
    let scope = owner.scope();
    let template = store.default_user(scope).await?;
    let settings = SettingsCache::new(store.clone()).resolved(scope).await?;
    let cost = config.password_cost;
    let plain = args.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || cost.hash(&plain)).await?;
    let email = args.email;
    let uniquehash = secrets::uniquehash();
    let user = NewUser {
        username: args.username.clone(),
        password_hash,
        usertype,
        owner_id: scope,
        uniquehash: uniquehash.clone(),
        first_name: args.first_name,
        last_name: args.last_name,
        email_unique: !email.is_empty() && !settings.is_on("allow_identical_email_addresses_to_different_users"),
        email,
        address: String::new(),
        city: String::new(),
        postcode: String::new(),
        county: String::new(),
        state: String::new(),
        country_id: 0,
        phone: String::new(),
        mob_phone: String::new(),
        fax: String::new(),
        client_id: String::new(),
        vat_number: String::new(),
        acc_group_id: 0,
        rights_group,
        own_providers: args.own_providers,
        tariff_id: template.as_ref().map_or(1, |t| t.tariff_id),
        lcr_id: template.as_ref().map_or(1, |t| t.lcr_id),
        currency: template.as_ref().map_or("USD".into(), |t| t.currency.clone()),
        postpaid: template.as_ref().is_some_and(|t| t.postpaid),
        credit: 0.0,
        balance: 0.0,
        call_limit: 0,
        language: template.as_ref().map_or("en".into(), |t| t.language.clone()),
        hidden: false,
        agreement_date: crate::model::today(),
        accounting_number: String::new(),
    };
    let id = store
        .create_user(user)
        .await
        .map_err(|e| anyhow::anyhow!("user not created: {e}"))?;
    Ok((id, usertype, uniquehash))
}

/// Creates a provider owned by admin or a Reseller PRO; returns its id.
pub async fn create_provider(store: &DynStore, name: &str, owner: Option<&str>) -> anyhow::Result<i64> {
    ensure!(!name.trim().is_empty(), "--name must not be empty");
    let owner = owner_named(store, owner).await?;
    ensure!(
        owner.usertype == UserType::Admin || owner.own_providers,
        "{} is not a Reseller PRO (create it with --own-providers)",
        owner.username
    );
    let provider = NewProvider {
        name: name.to_owned(),
        owner_id: owner.scope(),
        tech: "SIP".into(),
        tariff_id: 1,
    };
    Ok(store.create_provider(provider).await?)
}
