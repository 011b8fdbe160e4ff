//! `devices_get` (`/api/device_list`, spec F.6) and `device_details_get` (spec F.7).

use super::{ACCESS_DENIED, DEVICE_NOT_FOUND, Need, device_in_scope, may_manage_devices};
use crate::api::{ApiError, Call, refuse};
use crate::model::{Device, parse_id};
use crate::xml::Node;

/// At most this many devices are listed (by id ascending), so no answer grows without bound.
pub const MAX_LISTED: usize = 1000;

const NOT_AUTHORIZED: &str = "You are not authorized to view this page";

pub(super) async fn devices_get(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let store = &state.store;
    let Some(caller) = caller else {
        return refuse("Bad login");
    };
    if !may_manage_devices(&caller, Need::Read) {
        return refuse(NOT_AUTHORIZED);
    }
    let Some(user_id) = params.non_blank("user_id") else {
        return refuse("user_id is empty");
    };
    let target = match parse_id(user_id) {
        Some(id) => store.user_by_id(id).await?,
        None => None,
    };
    let Some(target) = target else {
        return refuse("User not found");
    };
    if !caller.manages(&target) {
        return refuse(ACCESS_DENIED);
    }
    let include_hidden = params.get("show_hidden_devices") != Some("0");
    let listed = store.user_devices(target.id, include_hidden, MAX_LISTED).await?;
    if listed.is_empty() {
        return refuse("Device not found");
    }
    let devices = listed
        .into_iter()
        .map(|listed| {
            let d = listed.device;
            Node::parent(
                "device",
                vec![
                    Node::leaf("device_id", d.id.to_string()),
                    Node::leaf("device_type", d.device_type),
                    Node::leaf("devicegroup_id", d.devicegroup_id.to_string()),
                    Node::leaf("primary_device", if listed.primary { "yes" } else { "no" }),
                    Node::leaf("username", d.username),
                    Node::leaf("secret", d.secret),
                    Node::leaf("ipaddr", d.ipaddr),
                    Node::leaf("port", d.port.to_string()),
                    Node::leaf("callerid", d.callerid),
                ],
            )
        })
        .collect();
    Ok(Node::parent("page", vec![Node::parent("devices", devices)]))
}

pub(super) async fn device_details_get(call: Call) -> Result<Node, ApiError> {
    let Call {
        state, params, caller, ..
    } = call;
    let store = &state.store;
    let Some(caller) = caller else {
        return refuse(ACCESS_DENIED);
    };
    if !may_manage_devices(&caller, Need::Read) {
        return refuse(NOT_AUTHORIZED);
    }
    // `device_id` wins over `device_u` (the device username, matched exactly).
    let device = match (params.non_blank("device_id"), params.non_blank("device_u")) {
        (Some(id), _) => match parse_id(id) {
            Some(id) => store.device_by_id(id).await?,
            None => None,
        },
        (None, Some(username)) => store.device_by_username(username).await?,
        (None, None) => None,
    };
    let Some(device) = device else {
        return refuse(DEVICE_NOT_FOUND);
    };
    if !device_in_scope(store, &caller, &device).await? {
        return refuse(ACCESS_DENIED);
    }
    Ok(details(device))
}

/// Codec names the `allow` list may hold that are video, not audio.
const VIDEO_CODECS: &[&str] = &["h261", "h263", "h263p", "h264", "h265", "mpeg4", "vp8", "vp9"];

/// The `allow` list split into (audio, video), each joined by `, `.
fn codecs(allow: &str) -> (String, String) {
    let (video, audio): (Vec<&str>, Vec<&str>) = allow
        .split(',')
        .map(str::trim)
        .filter(|codec| !codec.is_empty())
        .partition(|codec| VIDEO_CODECS.iter().any(|v| v.eq_ignore_ascii_case(codec)));
    (audio.join(", "), video.join(", "))
}

/// The `<page>` of one device, fields in the spec's order.
fn details(d: Device) -> Node {
    let (audio, video) = codecs(&d.allow);
    let fields = vec![
        Node::leaf("id", d.id.to_string()),
        Node::leaf("name", d.name),
        Node::leaf("host", d.host),
        Node::leaf("secret", d.secret),
        Node::leaf("context", d.context),
        Node::leaf("ipaddr", d.ipaddr),
        Node::leaf("port", d.port.to_string()),
        Node::leaf("accountcode", d.id.to_string()),
        Node::leaf("callerid", d.callerid),
        Node::leaf("extension", d.extension),
        Node::leaf("username", d.username),
        Node::leaf("device_type", d.device_type),
        Node::leaf("user_id", d.user_id.to_string()),
        Node::leaf("description", d.description),
        Node::leaf("pin", d.pin.unwrap_or_default()),
        Node::leaf("devicegroup_id", d.devicegroup_id.to_string()),
        Node::leaf("dtmfmode", d.dtmfmode),
        Node::leaf("nat", d.nat),
        Node::leaf("qualify", d.qualify),
        Node::leaf("canreinvite", d.canreinvite),
        Node::leaf("fromuser", d.fromuser),
        Node::leaf("location_id", d.location_id.to_string()),
        Node::leaf("call_limit", d.call_limit.to_string()),
        Node::leaf("timeout", d.timeout.to_string()),
        Node::leaf("istrunk", d.istrunk.to_string()),
        Node::leaf("hidden", if d.hidden { "1" } else { "0" }),
        Node::leaf("comment", d.comment),
        Node::parent(
            "codecs",
            vec![Node::leaf("audio_codecs", audio), Node::leaf("video_codecs", video)],
        ),
    ];
    Node::parent("page", fields)
}

#[cfg(test)]
mod tests {
    use super::codecs;

    #[test]
    fn allow_list_is_split_into_audio_and_video() {
        assert_eq!(codecs("alaw,ulaw"), ("alaw, ulaw".into(), String::new()));
        assert_eq!(
            codecs("g729, alaw,h264,,VP8"),
            ("g729, alaw".into(), "h264, VP8".into())
        );
        assert_eq!(codecs(""), (String::new(), String::new()));
    }
}
