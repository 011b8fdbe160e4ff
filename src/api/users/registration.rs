//! `registration` (seed contract) and `user_register` (current contract): one implementation that
//! creates a user, its device group, its default device and its CLIs in one transaction
//! (seed `registration.txt`, spec E.1).

use crate::api::{ApiError, Call, refuse};
use crate::model::{UserType, parse_id};
use crate::secrets;
use crate::settings::Resolved;
use crate::state::AppState;
use crate::storage::{NewDevice, NewUser, PinChoice, Registered, StoreError, Unique};
use crate::xml::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contract {
    /// `/api/registration`: the seed page's messages and shapes.
    Seed,
    /// `/api/user_register`: later MOR's.
    Current,
}

pub async fn seed_contract(call: Call) -> Result<Node, ApiError> {
    register(call, Contract::Seed).await
}

pub async fn current_contract(call: Call) -> Result<Node, ApiError> {
    register(call, Contract::Current).await
}

const USERNAME_TAKEN: &str = "Such username is already taken";
const EMAIL_TAKEN: &str = "This email address is already in use";

/// (parameter, CLI description, message when its digits are already a CLI).
const PHONES: &[(&str, &str, &str)] = &[
    ("mob_phone", "Mobile Phone", "User with mobile phone already exists"),
    ("phone", "Phone", "User with phone already exists"),
    ("fax", "Fax", "User with fax already exists"),
];

async fn register(call: Call, contract: Contract) -> Result<Node, ApiError> {
    let Call {
        state,
        params,
        caller: owner,
        settings,
        ..
    } = call;
    let store = &state.store;
    // 1. the owner found from `id`
    let Some(owner) = owner else {
        return refuse(match contract {
            Contract::Seed => "Dont be so smart",
            Contract::Current => "Access Denied",
        });
    };
    let owner_scope = owner.scope();
    // 2.
    if !settings.is_on("api_allow_registration") {
        return refuse("Registration over API is disabled");
    }
    // 3., 4. username
    let Some(username) = params.non_blank("username") else {
        return refuse("Please enter username");
    };
    if store.user_by_username(username).await?.is_some() {
        return refuse(USERNAME_TAKEN);
    }
    // 5.–10. password
    let password = params.text("password");
    if password != params.text("password2") {
        return refuse("Passwords do not match");
    }
    check_password(&settings, contract, username, password)?;
    // 11., 12. names
    if params.is_blank("first_name") {
        return refuse("Please enter first name");
    }
    if params.is_blank("last_name") {
        return refuse("Please enter last name");
    }
    // 13. user type and its permission group (honoured for admin's sign-ups only)
    let usertype = match (owner.usertype, params.get("usertype")) {
        (UserType::Admin, Some("reseller")) => UserType::Reseller,
        (UserType::Admin, Some("accountant")) => UserType::Accountant,
        _ => UserType::User,
    };
    let acc_group_id = if usertype == UserType::User {
        0
    } else {
        let Some(text) = params.non_blank("permission_group") else {
            return refuse("Permission Group was not selected");
        };
        let group = match parse_id(text) {
            Some(id) => store.permission_group(id).await?,
            None => None,
        };
        match group {
            Some(group) if group.group_type == usertype.as_str() => group.id,
            _ => return refuse("Permission Group was not Found"),
        }
    };
    // 14. country
    let country_id = params.non_blank("country_id").and_then(parse_id);
    let country_id = match country_id {
        Some(id) if store.country_exists(id).await? => id,
        _ => return refuse("Please select country"),
    };
    // 15., 16. e-mail
    let email = params.text("email");
    if !valid_email(email) {
        return refuse("Please enter email");
    }
    let email_unique = !settings.is_on("allow_identical_email_addresses_to_different_users");
    if email_unique && store.email_in_use(email).await? {
        // Another sign-up may have taken the username since check 4: answer the first that fails.
        return Err(first_conflict(&state, Unique::Email, &params, email_unique).await);
    }
    // 17. phones become CLIs of the new device, so their digits must be unused
    let mut clis: Vec<(String, &'static str)> = Vec::new();
    for (param, description, taken) in PHONES {
        let digits: String = params.text(param).chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            continue;
        }
        if clis.iter().any(|(cli, _)| *cli == digits) {
            // The request repeats one of its own phones (decision W7).
            return refuse(taken);
        }
        if store.cli_in_use(&digits).await? {
            return Err(first_conflict(&state, Unique::Cli, &params, email_unique).await);
        }
        clis.push((digits, description));
    }
    // 18. device type
    let device_type = params.non_blank("device_type").and_then(registration_device_type);
    let Some(device_type) = device_type else {
        return refuse("Enter device type");
    };
    // 19.–21. optional references, checked when present
    let lcr_id = match params.get("lcr_id") {
        None => None,
        Some(text) => match parse_id(text) {
            Some(id) if store.lcr_owner(id).await? == Some(owner_scope) => Some(id),
            _ => return refuse("LCR was not found"),
        },
    };
    let location_id = match params.get("device_location_id") {
        None => None,
        Some(text) => match parse_id(text) {
            Some(id) if matches!(store.location_owner(id).await?, Some(o) if o == owner_scope || o == 0) => Some(id),
            _ => return refuse("Location was not found"),
        },
    };
    let admin_tariffs_allowed = owner_scope != 0 && settings.is_on("allow_resellers_to_use_admin_tariffs");
    let tariff_id = match params.get("tariff") {
        None => None,
        Some(text) => match parse_id(text) {
            Some(id) => match store.tariff_owner(id).await? {
                Some(o) if o == owner_scope || (o == 0 && admin_tariffs_allowed) => Some(id),
                _ => return refuse("Tariff was not found"),
            },
            None => return refuse("Tariff was not found"),
        },
    };
    // 22. the owner's Default User template
    let Some(template) = store.default_user(owner_scope).await? else {
        return refuse("Default user is not present");
    };
    if store.tariff_owner(template.tariff_id).await?.is_none() {
        return refuse("Tariff was not found cannot create");
    }
    if template.lcr_id == 0 || store.lcr_owner(template.lcr_id).await?.is_none() {
        return refuse("Default user does not have and LCR set");
    }
    // 23. VAT number
    if settings.is_on("registration_enable_vat_checking")
        && params.is_blank("vat_number")
        && !settings.is_on("registration_allow_vat_blank")
    {
        return refuse("Please fill field TAX Registration Number");
    }

    // Effects (24: any write failure is a configuration error, a lost race its check's message).
    let cost = state.config.password_cost;
    let hashed = password.to_owned();
    let password_hash = state
        .password_work(move |memory| cost.hash_in(&hashed, memory))
        .await
        .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))?;
    let credit = match params.get("credit_limit") {
        _ if !template.postpaid => 0.0,
        None => template.credit,
        Some("-1") => -1.0,
        Some(text) => parse_id(text).map(|v| v as f64).unwrap_or(0.0),
    };
    let call_limit = match params.get("call_limit") {
        None => template.call_limit,
        Some(text) => parse_id(text).unwrap_or(0),
    };
    let text = |name: &str| params.text(name).to_owned();
    let user = NewUser {
        username: username.to_owned(),
        password_hash,
        usertype,
        owner_id: owner_scope,
        uniquehash: secrets::uniquehash(),
        first_name: text("first_name"),
        last_name: text("last_name"),
        email: email.to_owned(),
        email_unique,
        address: text("address"),
        city: text("city"),
        postcode: text("postcode"),
        county: text("county"),
        state: text("state"),
        country_id,
        phone: text("phone"),
        mob_phone: text("mob_phone"),
        fax: text("fax"),
        client_id: text("client_id"),
        vat_number: text("vat_number"),
        acc_group_id,
        rights_group: None,
        own_providers: false,
        tariff_id: tariff_id.unwrap_or(template.tariff_id),
        lcr_id: lcr_id.unwrap_or(template.lcr_id),
        currency: template.currency.clone(),
        postpaid: template.postpaid,
        credit,
        balance: template.balance,
        call_limit,
        language: template.language.clone(),
        hidden: template.hidden,
        agreement_date: crate::model::today(),
        accounting_number: text("accounting_number"),
    };
    let credentials_mode = settings.is_on("use_registration_credentials_for_device");
    let device = NewDevice {
        user_id: 0,
        template_owner: owner_scope,
        device_type: device_type.to_owned(),
        username: credentials_mode.then(|| username.to_owned()),
        extension: None,
        extension_range: (settings.number("device_range_min"), settings.number("device_range_max")),
        secret: if credentials_mode {
            password.to_owned()
        } else {
            secrets::device_secret(settings.is_on("use_strong_passwords_for_users"))
        },
        sip_realm: settings.get("sip_realm").to_owned(),
        pin: PinChoice::Random(settings.number("device_pin_length").max(0) as usize),
        description: String::new(),
        devicegroup_id: None,
        callerid: params
            .non_blank("caller_id")
            .map(|cid| format!("<{cid}>"))
            .unwrap_or_default(),
        location_id,
        timeout: None,
        fromuser: String::new(),
        clis,
    };
    let registered = match store.register(user, device).await {
        Ok(registered) => registered,
        Err(StoreError::Conflict(rule)) => return Err(first_conflict(&state, rule, &params, email_unique).await),
        Err(e) => return Err(e.into()),
    };
    notify_after_registration(&settings, owner.usertype, email);
    Ok(success(
        contract,
        &settings,
        &registered,
        device_type,
        email,
        params.non_blank("caller_id"),
    ))
}

/// Checks 6–10 (spec E.1).
fn check_password(settings: &Resolved, contract: Contract, username: &str, password: &str) -> Result<(), ApiError> {
    let length = password.chars().count() as i64;
    if settings.is_on("use_registration_credentials_for_device")
        && !settings.is_on("allow_short_passwords_in_devices")
        && length < 8
    {
        return refuse("Password must be longer than 7 characters or short passwords in Devices should be allowed");
    }
    let strong = settings.is_on("use_strong_passwords_for_users");
    if strong
        && !(password.chars().any(|c| c.is_ascii_digit())
            && password.chars().any(char::is_uppercase)
            && password.chars().any(char::is_lowercase))
    {
        return refuse("Password must contain at least one numeric value, capital and lowercase symbol");
    }
    let mut minimum = settings.number("default_user_password_length").max(6);
    if strong {
        minimum = minimum.max(8);
    }
    if length < minimum {
        return match contract {
            Contract::Seed => refuse("Password is too shorth"),
            Contract::Current => refuse(&format!("Password must be longer than {} characters", minimum - 1)),
        };
    }
    let username_minimum = settings.number("default_user_username_length").max(1);
    if (username.chars().count() as i64) < username_minimum {
        return refuse(&format!(
            "Username must be longer than {} characters",
            username_minimum - 1
        ));
    }
    if password == username {
        return refuse("Please enter password not equal to username");
    }
    Ok(())
}

/// Registration accepts `SIP`, `IAX2` and (Compat) `Virtual`, case-insensitively.
fn registration_device_type(text: &str) -> Option<&'static str> {
    ["SIP", "IAX2", "Virtual"]
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(text))
}

/// DECISION (spec E.1 check 15): at most 254 characters, one `@`, a non-empty local part without
/// whitespace, and a domain of at least two dot-separated `[A-Za-z0-9-]` labels.
pub(super) fn valid_email(email: &str) -> bool {
    if email.chars().count() > 254 {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    if local.is_empty() || local.chars().any(char::is_whitespace) || domain.contains('@') {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// The answer to a uniqueness failure (a later check, or a race lost at commit): the first of
/// checks 4, 16 and 17 that fails against the data committed now. Concurrent sign-ups can commit
/// between this request's checks, and the constraint a database names first may be a later one.
async fn first_conflict(state: &AppState, rule: Unique, params: &crate::api::Params, email_unique: bool) -> ApiError {
    let store = &state.store;
    if let Some(username) = params.non_blank("username")
        && matches!(store.user_by_username(username).await, Ok(Some(_)))
    {
        return ApiError::method(USERNAME_TAKEN);
    }
    if email_unique && store.email_in_use(params.text("email")).await.unwrap_or(false) {
        return ApiError::method(EMAIL_TAKEN);
    }
    for (param, _, taken) in PHONES {
        let digits: String = params.text(param).chars().filter(char::is_ascii_digit).collect();
        if !digits.is_empty() && store.cli_in_use(&digits).await.unwrap_or(false) {
            return ApiError::method(*taken);
        }
    }
    match rule {
        // Credentials mode: the device username is the user's username.
        Unique::Username | Unique::DeviceUsername => ApiError::method(USERNAME_TAKEN),
        Unique::Email => ApiError::method(EMAIL_TAKEN),
        Unique::Cli => ApiError::method(PHONES[0].2),
        other => ApiError::Internal(format!("registration lost a uniqueness race on {other:?}")),
    }
}

/// After commit: e-mails are not part of the answer; failures are logged, never reported.
fn notify_after_registration(settings: &Resolved, owner_type: UserType, email: &str) {
    let owner_setting = match owner_type {
        UserType::Reseller => "send_email_to_reseller_after_registration",
        _ => "send_email_to_admin_after_registration",
    };
    let wanted = [
        ("user", settings.is_on("send_email_to_user_after_registration")),
        ("owner", settings.is_on(owner_setting)),
    ];
    for (recipient, on) in wanted {
        if on {
            tracing::warn!(target: "moray::mail", recipient, to_user = recipient == "user" && !email.is_empty(), "registration e-mail not sent: no mail transport is configured");
        }
    }
}

/// `<registration_notice>`: `<br>`, `<br/>`, `<br />` become line breaks, other tags go.
fn notice_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().trim_end_matches('/').trim();
        if tag.eq_ignore_ascii_case("br") {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

fn success(
    contract: Contract,
    settings: &Resolved,
    registered: &Registered,
    device_type: &str,
    email: &str,
    caller_id: Option<&str>,
) -> Node {
    let device = &registered.device;
    let mut details = Vec::new();
    if settings.is_on("send_email_to_user_after_registration") {
        details.push(Node::leaf("email", email));
    }
    if contract == Contract::Current {
        details.push(Node::leaf("user_id", registered.user_id.to_string()));
    }
    details.push(Node::leaf("device_type", device_type));
    if contract == Contract::Current {
        details.push(Node::leaf("device_id", device.id.to_string()));
        if let Some(caller_id) = caller_id {
            details.push(Node::leaf("caller_id", caller_id));
        }
    }
    details.extend([
        Node::leaf("username", device.username.as_str()),
        Node::leaf("password", device.secret.as_str()),
        Node::leaf("pin", device.pin.clone().unwrap_or_default()),
        Node::leaf("server_ip", settings.get("asterisk_server_ip")),
        Node::leaf("registration_notice", notice_text(settings.get("registration_notice"))),
    ]);
    let status = match contract {
        Contract::Seed => Node::leaf("status", "Registration successful"),
        Contract::Current => Node::parent("status", vec![Node::leaf("success", "Registration successful")]),
    };
    Node::parent("page", vec![status, Node::parent("user_device_settings", details)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rule() {
        assert!(valid_email("john@example.com"));
        assert!(valid_email("a.b+c@mail.example-x.org"));
        assert!(!valid_email("john@localhost"));
        assert!(!valid_email("jo hn@example.com"));
        assert!(!valid_email("@example.com"));
        assert!(!valid_email("a@b@example.com"));
        assert!(!valid_email("a@exa_mple.com"));
        assert!(!valid_email("a@example..com"));
    }

    #[test]
    fn notice_tags() {
        assert_eq!(notice_text("a<br>b<br/>c<br />d<b>e</b>"), "a\nb\nc\nde");
        assert_eq!(notice_text("1 < 2"), "1 < 2");
    }
}
