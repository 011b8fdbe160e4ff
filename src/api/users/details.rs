//! `user_details_get` (`/api/user_details`), spec F.2: one user's personal details.

use crate::api::params::ruby_float;
use crate::api::{ApiError, Call, refuse};
use crate::model::{UserDetails, UserType, parse_id};
use crate::xml::Node;

const NOT_FOUND: &str = "User was not found";

/// Admin and resellers read themselves and the users in their scope (`user_id` wins over
/// `username`); accountants and plain users read only themselves, whatever ids they send.
pub async fn user_details_get(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let store = &state.store;
    let Some(caller) = caller else {
        return refuse("Access Denied");
    };
    let target_id = match caller.usertype {
        UserType::Accountant | UserType::User => Some(caller.id),
        UserType::Admin | UserType::Reseller => {
            let target = if let Some(text) = params.non_blank("user_id") {
                match parse_id(text) {
                    Some(id) => store.user_by_id(id).await?,
                    None => None,
                }
            } else if let Some(username) = params.non_blank("username") {
                store.user_by_username(username).await?
            } else {
                None
            };
            target
                .filter(|target| target.id == caller.id || caller.manages(target))
                .map(|target| target.id)
        }
    };
    let details = match target_id {
        Some(id) => store.user_details(id).await?,
        None => None,
    };
    match details {
        Some(details) => Ok(render(&details)),
        None => refuse(NOT_FOUND),
    }
}

/// `0.0000 USD`: four decimals, a space, the currency (never `-0.0000`).
fn money(amount: f64, currency: &str) -> String {
    let amount = if amount == 0.0 { 0.0 } else { amount };
    format!("{amount:.4} {currency}")
}

fn render(user: &UserDetails) -> Node {
    let leaf = |name: &'static str, text: &str| Node::leaf(name, text);
    let credit = if user.credit == -1.0 {
        "Unlimited".to_owned()
    } else {
        ruby_float(user.credit)
    };
    let main_detail = vec![
        leaf("account", if user.postpaid { "Postpaid" } else { "Prepaid" }),
        Node::leaf("balance", money(user.balance, &user.currency)),
        Node::leaf("balance_number", ruby_float(user.balance)),
        leaf("balance_currency", &user.currency),
        Node::leaf("credit", credit),
    ];
    let taxation_country: String = user.country_name.chars().take(22).collect();
    let agreement_date: String = user.agreement_date.chars().take(10).collect();
    let other_details = vec![
        leaf("username", &user.username),
        leaf("first_name", &user.first_name),
        leaf("surname", &user.last_name),
        leaf("personalid", &user.client_id),
        leaf("agreement_number", &user.agreement_number),
        Node::leaf("agreement_date", agreement_date),
        Node::leaf("taxation_country", taxation_country),
        leaf("vat_reg_number", &user.vat_number),
        // moray keeps no taxes: every user's VAT rate is 0.
        Node::leaf("vat_percent", ruby_float(0.0)),
        Node::leaf("call_limit", user.call_limit.to_string()),
    ];
    // MOR's quirks, kept: `reg_country` carries the county, `reg_direction` the e-mail.
    let registration = vec![
        leaf("reg_address", &user.address),
        leaf("reg_postcode", &user.postcode),
        leaf("reg_city", &user.city),
        leaf("reg_country", &user.county),
        leaf("reg_state", &user.state),
        leaf("reg_direction", &user.email),
        leaf("reg_phone", &user.phone),
        leaf("reg_mobile", &user.mob_phone),
        leaf("reg_fax", &user.fax),
        leaf("reg_email", &user.email),
    ];
    Node::parent(
        "page",
        vec![
            leaf("pagename", "Personal details"),
            leaf("language", &user.language),
            Node::leaf("userid", user.id.to_string()),
            Node::parent(
                "details",
                vec![
                    Node::parent("main_detail", main_detail),
                    Node::parent("other_details", other_details),
                    Node::parent("registration", registration),
                ],
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_form() {
        assert_eq!(money(0.0, "USD"), "0.0000 USD");
        assert_eq!(money(-0.0, "USD"), "0.0000 USD");
        assert_eq!(money(12.5, "EUR"), "12.5000 EUR");
        assert_eq!(money(-1.23456, "USD"), "-1.2346 USD");
    }
}
