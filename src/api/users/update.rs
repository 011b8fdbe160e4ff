//! `user_details_update` (`/api/user_update_api`), spec F.4: changes only the fields sent.

use super::registration::valid_email;
use crate::api::{ApiError, Call, Params, refuse};
use crate::model::{User, UserChanges, UserType, parse_id};
use crate::settings::Resolved;
use crate::storage::{StoreError, Unique};
use crate::xml::Node;

/// Hash list **U** after `user_id` (spec B.2): every name MOR hashes, implemented or not.
pub const USER_UPDATE_HASH: &[&str] = &[
    "user_id",
    "u0",
    "u1",
    "u2",
    "u3",
    "u4",
    "u5",
    "u6",
    "u7",
    "u8",
    "u9",
    "u10",
    "u11",
    "u12",
    "u13",
    "u14",
    "u15",
    "u16",
    "u17",
    "u18",
    "u19",
    "u20",
    "u21",
    "u22",
    "u23",
    "u24",
    "u25",
    "u26",
    "u27",
    "u28",
    "ay",
    "am",
    "ad",
    "by",
    "bm",
    "bd",
    "pswd",
    "pcsv",
    "ppdf",
    "recording_forced_enabled",
    "i4",
    "tax4_enabled",
    "tax2_enabled",
    "accountant_type_invalid",
    "block_at_conditional",
    "tax3_enabled",
    "accountant_type",
    "tax1_value",
    "show_zero_calls",
    "warning_email_active",
    "compound_tax",
    "tax4_name",
    "allow_loss_calls",
    "tax3_name",
    "tax2_name",
    "credit",
    "tax1_name",
    "total_tax_name",
    "tax2_value",
    "tax4_value",
    "i1",
    "tax3_value",
    "cyberplat_active",
    "i2",
    "i3",
    "recording_enabled",
    "email_warning_sent_test",
    "own_providers",
    "a0",
    "a1",
    "a2",
    "a3",
    "a4",
    "a5",
    "a6",
    "a7",
    "a8",
    "a9",
];

const ACCESS_DENIED: &str = "Access Denied";
const NOT_UPDATED: &str = "User was not updated";
const USERNAME_TAKEN: &str = "Such username is already taken";
const EMAIL_TAKEN: &str = "This email address is already in use";

pub async fn user_details_update(call: Call) -> Result<Node, ApiError> {
    let Call {
        state,
        params,
        caller,
        settings,
        ..
    } = call;
    let store = &state.store;
    let Some(caller) = caller else {
        return refuse("Bad login");
    };
    match caller.usertype {
        UserType::User => return refuse(ACCESS_DENIED),
        UserType::Accountant if caller.right("user_manage") != 2 => {
            return refuse("You do not have rights to edit this");
        }
        _ => {}
    }
    let target = match params.non_blank("user_id").and_then(parse_id) {
        Some(id) => store.user_by_id(id).await?,
        None => None,
    };
    let Some(target) = target else {
        return refuse("User was not found");
    };
    if !caller.manages(&target) {
        return refuse(ACCESS_DENIED);
    }
    // A blank `pswd` keeps the password.
    let password = params.non_blank("pswd");
    if let Some(password) = password {
        check_password(&settings, password)?;
    }
    let username = params.get("u9");
    if let Some(username) = username {
        let minimum = settings.number("default_user_username_length").max(1);
        let length = if username.trim().is_empty() {
            0
        } else {
            username.chars().count() as i64
        };
        if length < minimum {
            return refuse(&format!("Username must be longer than {} characters", minimum - 1));
        }
    }
    let email_unique = !settings.is_on("allow_identical_email_addresses_to_different_users");
    let mut messages: Vec<String> = Vec::new();
    if let Some(username) = username
        && let Some(other) = store.user_by_username(username).await?
        && other.id != target.id
    {
        messages.push(USERNAME_TAKEN.into());
    }
    for (name, message) in [("u23", "Please enter first name"), ("u17", "Please enter last name")] {
        if params.is_present(name) && params.is_blank(name) {
            messages.push(message.into());
        }
    }
    let country_id = match params.get("a6") {
        None => None,
        Some(text) => match parse_id(text) {
            Some(id) if store.country_exists(id).await? => Some(id),
            _ => {
                messages.push("Please select country".into());
                None
            }
        },
    };
    if let Some(email) = params.get("a8") {
        if !valid_email(email) {
            messages.push("Please enter email".into());
        } else if email_unique && store.email_in_use_by_other(email, target.id).await? {
            messages.push(EMAIL_TAKEN.into());
        }
    }
    if !messages.is_empty() {
        return Err(ApiError::with_messages(NOT_UPDATED, messages));
    }

    let password_hash = match password {
        None => None,
        Some(password) => {
            let cost = state.config.password_cost;
            let password = password.to_owned();
            let hashed = state
                .password_work(move |memory| cost.hash_in(&password, memory))
                .await
                .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))?;
            Some(hashed)
        }
    };
    let changes = changes(&params, &target, password_hash, country_id, email_unique);
    if changes.is_empty() {
        return Ok(updated());
    }
    match store.update_user(target.id, changes).await {
        Ok(true) => Ok(updated()),
        Ok(false) => refuse("User was not found"),
        Err(StoreError::Conflict(Unique::Username)) => {
            Err(ApiError::with_messages(NOT_UPDATED, vec![USERNAME_TAKEN.into()]))
        }
        Err(StoreError::Conflict(Unique::Email)) => Err(ApiError::with_messages(NOT_UPDATED, vec![EMAIL_TAKEN.into()])),
        Err(e) => Err(e.into()),
    }
}

fn updated() -> Node {
    Node::parent("page", vec![Node::leaf("status", "User was updated")])
}

/// The fields sent, as changes. A username or e-mail that only repeats the stored one (exactly)
/// is left alone.
fn changes(
    params: &Params,
    target: &User,
    password_hash: Option<String>,
    country_id: Option<i64>,
    email_unique: bool,
) -> UserChanges {
    let text = |name: &str| params.get(name).map(str::to_owned);
    let flag = |name: &str| params.get(name).map(|value| ruby_to_i(value) == 1);
    UserChanges {
        username: text("u9").filter(|u| *u != target.username),
        password_hash,
        email: text("a8").filter(|e| *e != target.email).map(|e| (e, email_unique)),
        blocked: flag("u15"),
        hidden: flag("u28"),
        first_name: text("u23"),
        last_name: text("u17"),
        client_id: text("u19"),
        vat_number: text("u0"),
        address: text("a0"),
        city: text("a1"),
        postcode: text("a2"),
        county: text("a3"),
        state: text("a9"),
        country_id,
        phone: text("a7"),
        mob_phone: text("a4"),
        fax: text("a5"),
    }
}

/// Strong-password and minimum-length checks of a new password (spec F.4, C).
fn check_password(settings: &Resolved, password: &str) -> Result<(), ApiError> {
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
    if (password.chars().count() as i64) < minimum {
        return refuse(&format!("Password must be longer than {} characters", minimum - 1));
    }
    Ok(())
}

/// Ruby's `String#to_i`: leading whitespace, an optional sign, then the leading digits (else 0).
fn ruby_to_i(text: &str) -> i64 {
    let text = text.trim_start();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).take(18).collect();
    let value = digits.parse::<i64>().unwrap_or(0);
    if negative { -value } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruby_integers() {
        assert_eq!(ruby_to_i("1"), 1);
        assert_eq!(ruby_to_i(" 1abc"), 1);
        assert_eq!(ruby_to_i("01"), 1);
        assert_eq!(ruby_to_i("yes"), 0);
        assert_eq!(ruby_to_i(""), 0);
        assert_eq!(ruby_to_i("-1"), -1);
    }

    #[test]
    fn hash_list_u_is_the_specs() {
        let mut expected = vec!["user_id".to_owned()];
        expected.extend((0..=28).map(|i| format!("u{i}")));
        let middle = "ay am ad by bm bd pswd pcsv ppdf recording_forced_enabled i4 tax4_enabled tax2_enabled \
            accountant_type_invalid block_at_conditional tax3_enabled accountant_type tax1_value show_zero_calls \
            warning_email_active compound_tax tax4_name allow_loss_calls tax3_name tax2_name credit tax1_name \
            total_tax_name tax2_value tax4_value i1 tax3_value cyberplat_active i2 i3 recording_enabled \
            email_warning_sent_test own_providers";
        expected.extend(middle.split_whitespace().map(str::to_owned));
        expected.extend((0..=9).map(|i| format!("a{i}")));
        assert_eq!(USER_UPDATE_HASH, expected.as_slice());
    }
}
