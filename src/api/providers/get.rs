//! `providers_get` (spec F.16): MOR's long provider record, in MOR's field order.

use super::{NOT_FOUND, READ, provider_caller};
use crate::api::{ApiError, Call, refuse};
use crate::model::{ProviderDetails, parse_id};
use crate::xml::Node;

/// Providers listed at most, by id.
pub const MAX_PROVIDERS: usize = 1000;

/// Every `<provider>` child, in order (spec F.16).
pub const FIELDS: &[&str] = &[
    "id",
    "name",
    "tech",
    "channel",
    "login",
    "password",
    "server_ip",
    "port",
    "priority",
    "quality",
    "tariff_id",
    "cut_a",
    "cut_b",
    "add_a",
    "add_b",
    "device_id",
    "ani",
    "timeout",
    "call_limit",
    "interpret_noanswer_as_failed",
    "interpret_busy_as_failed",
    "register",
    "reg_extension",
    "terminator_id",
    "reg_line",
    "hidden",
    "use_p_asserted_identity",
    "user_id",
    "common_use",
    "balance",
    "balance_limit",
    "cps_call_limit",
    "cps_period",
    "alive",
    "periodic_check",
    "active",
    "contact_info_id",
    "contact_info_partners_id",
    "contact_info_noc_id",
    "contact_info_rates_provisioning_id",
    "contact_info_billing_provisioning_id",
    "tech_details_info",
    "privacy_from_domain",
    "privacy_callerid",
    "playback_before_dial",
    "playback_before_dial_mode",
    "prov_enable_static_source_list",
    "prov_static_source_list_id",
    "enable_mnp_tags",
    "responsible_accountant_id",
    "sip_request_uri",
    "sip_to_uri",
    "prov_enable_static_destination_list",
    "prov_static_destination_list_id",
    "use_tariffs_by_clis",
    "use_default_tariff_if_by_cli_not_found",
];

/// Fields moray does not model that hold text in MOR: printed empty. The others print `0`.
const TEXT_FIELDS: &[&str] = &[
    "channel",
    "add_a",
    "add_b",
    "reg_extension",
    "reg_line",
    "tech_details_info",
    "privacy_from_domain",
    "privacy_callerid",
    "sip_request_uri",
    "sip_to_uri",
];

fn flag(on: bool) -> String {
    if on { "1" } else { "0" }.to_owned()
}

fn field(provider: &ProviderDetails, name: &'static str) -> String {
    match name {
        "id" => provider.id.to_string(),
        "name" => provider.name.clone(),
        "tech" => provider.tech.clone(),
        "login" => provider.login.clone(),
        "password" => provider.password.clone(),
        "server_ip" => provider.server_ip.clone(),
        "port" => provider.port.to_string(),
        "tariff_id" => provider.tariff_id.to_string(),
        "timeout" => provider.timeout.to_string(),
        "call_limit" => provider.call_limit.to_string(),
        "hidden" => flag(provider.hidden),
        "user_id" => provider.owner_id.to_string(),
        "active" => flag(provider.active),
        _ if TEXT_FIELDS.contains(&name) => String::new(),
        _ => "0".to_owned(),
    }
}

fn provider_node(provider: &ProviderDetails) -> Node {
    let children = FIELDS
        .iter()
        .map(|&name| Node::leaf(name, field(provider, name)))
        .collect();
    Node::parent("provider", children)
}

pub(super) async fn providers_get(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let caller = provider_caller(caller, READ)?;
    let scope = caller.scope();
    let providers = match params.non_blank("provider_id") {
        Some(text) => {
            let provider = match parse_id(text.trim()) {
                Some(id) => state.store.provider_details(id).await?,
                None => None,
            };
            match provider.filter(|p| p.owner_id == scope) {
                Some(provider) => vec![provider],
                None => return refuse(NOT_FOUND),
            }
        }
        None => state.store.providers(scope, MAX_PROVIDERS).await?,
    };
    if providers.is_empty() {
        return refuse("No Providers found");
    }
    let list = providers.iter().map(provider_node).collect();
    Ok(Node::parent(
        "page",
        vec![Node::parent("status", vec![Node::parent("providers", list)])],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field list exactly as spec F.16 prints it.
    const SPEC: &str = "id name tech channel login password server_ip port priority quality tariff_id \
        cut_a cut_b add_a add_b device_id ani timeout call_limit interpret_noanswer_as_failed \
        interpret_busy_as_failed register reg_extension terminator_id reg_line hidden \
        use_p_asserted_identity user_id common_use balance balance_limit cps_call_limit cps_period alive \
        periodic_check active contact_info_id contact_info_partners_id contact_info_noc_id \
        contact_info_rates_provisioning_id contact_info_billing_provisioning_id tech_details_info \
        privacy_from_domain privacy_callerid playback_before_dial playback_before_dial_mode \
        prov_enable_static_source_list prov_static_source_list_id enable_mnp_tags \
        responsible_accountant_id sip_request_uri sip_to_uri prov_enable_static_destination_list \
        prov_static_destination_list_id use_tariffs_by_clis use_default_tariff_if_by_cli_not_found";

    #[test]
    fn fields_follow_the_spec_order() {
        let spec: Vec<&str> = SPEC.split_whitespace().collect();
        assert_eq!(FIELDS, spec.as_slice());
        assert!(TEXT_FIELDS.iter().all(|f| FIELDS.contains(f)));
    }
}
