//! Request parameters (spec A.3): the query string and the body merged into one flat map of
//! strings. The query string wins over the body; within one source the last value wins.

use foldhash::{HashMap, HashMapExt};

use bytes::Bytes;
use percent_encoding::percent_decode;

/// Why a request's parameters could not be read; answered as `Invalid request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidRequest;

/// foldhash, randomly seeded per process: SipHash was 4 % of a read's instructions, and a
/// request's names are bounded by the 64 KiB body limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    map: HashMap<String, String>,
}

impl Params {
    pub fn new() -> Params {
        // Room for a typical request's parameters: no rehash while they are read.
        Params {
            map: HashMap::with_capacity(16),
        }
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.map.insert(name.into(), value.into());
    }

    /// The value as sent (present-empty is `Some("")`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    pub fn is_present(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// The value unless it is blank (absent, empty or whitespace only).
    pub fn non_blank(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    pub fn is_blank(&self, name: &str) -> bool {
        self.non_blank(name).is_none()
    }

    /// The value, or `""` when absent.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Parses a request: query string first (it wins), then the body by content type.
    pub fn from_request(
        query: Option<&str>,
        content_type: Option<&str>,
        body: &Bytes,
    ) -> Result<Params, InvalidRequest> {
        let mut params = Params::new();
        params.merge_body(content_type, body)?;
        if let Some(query) = query {
            params.merge_urlencoded(query.as_bytes())?;
        }
        Ok(params)
    }

    fn merge_body(&mut self, content_type: Option<&str>, body: &Bytes) -> Result<(), InvalidRequest> {
        let mime = content_type
            .map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .unwrap_or_default();
        match mime.as_str() {
            "application/x-www-form-urlencoded" => self.merge_urlencoded(body),
            "multipart/form-data" => {
                let boundary = content_type
                    .and_then(|ct| multer::parse_boundary(ct).ok())
                    .ok_or(InvalidRequest)?;
                self.merge_multipart(body, boundary)
            }
            m if m == "application/json" || m.ends_with("+json") => self.merge_json(body),
            _ => {
                // No or another content type: sniff JSON, else urlencoded (DECISION in A.3).
                match body.iter().find(|b| !b.is_ascii_whitespace()) {
                    None => Ok(()),
                    Some(b'{') => self.merge_json(body),
                    Some(_) => self.merge_urlencoded(body),
                }
            }
        }
    }

    fn merge_urlencoded(&mut self, input: &[u8]) -> Result<(), InvalidRequest> {
        for pair in input.split(|&b| b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let name = decode_component(name)?;
            if name.is_empty() {
                continue;
            }
            self.insert(name, decode_component(value)?);
        }
        Ok(())
    }

    fn merge_json(&mut self, body: &[u8]) -> Result<(), InvalidRequest> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| InvalidRequest)?;
        let serde_json::Value::Object(object) = value else {
            return Err(InvalidRequest);
        };
        for (name, value) in object {
            if let Some(text) = json_scalar_text(&value) {
                self.insert(name, text);
            }
        }
        Ok(())
    }

    fn merge_multipart(&mut self, body: &Bytes, boundary: String) -> Result<(), InvalidRequest> {
        let body = body.clone();
        let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        // The whole body is already in memory, so every future below is ready at once.
        let fields = futures_util::FutureExt::now_or_never(async move {
            let mut fields = Vec::new();
            while let Some(field) = multipart.next_field().await.map_err(|_| InvalidRequest)? {
                let is_file = field.file_name().is_some();
                let name = field.name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|_| InvalidRequest)?;
                if let (Some(name), false) = (name, is_file) {
                    let text = String::from_utf8(bytes.to_vec()).map_err(|_| InvalidRequest)?;
                    fields.push((name, text));
                }
            }
            Ok::<_, InvalidRequest>(fields)
        })
        .ok_or(InvalidRequest)??;
        for (name, value) in fields {
            self.insert(name, value);
        }
        Ok(())
    }
}

/// `+` is a space, `%XX` is decoded, and the result must be UTF-8.
fn decode_component(raw: &[u8]) -> Result<String, InvalidRequest> {
    // Most names and values have nothing to decode: only the UTF-8 check is left.
    if !raw.iter().any(|&b| b == b'+' || b == b'%') {
        return std::str::from_utf8(raw).map(str::to_owned).map_err(|_| InvalidRequest);
    }
    let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    percent_decode(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| InvalidRequest)
}

/// The string MOR (Ruby) would see for a JSON scalar; `None` means "absent".
fn json_scalar_text(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => {
            // serde_json keeps the literal (arbitrary_precision): integers stay exact at any size,
            // as Ruby's do; anything with a fraction or exponent is a float.
            let literal = n.to_string();
            if literal.contains(['.', 'e', 'E']) {
                Some(ruby_float(literal.parse::<f64>().unwrap_or(f64::NAN)))
            } else if literal == "-0" {
                Some("0".into())
            } else {
                Some(literal)
            }
        }
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Ruby's `Float#to_s`: the shortest round-trip digits, at least one fractional digit, and the
/// exponent form (`1.0e+20`, `1.0e-05`) when |x| >= 1e16 or |x| < 1e-4.
pub fn ruby_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let magnitude = x.abs();
    if magnitude != 0.0 && !(1e-4..1e16).contains(&magnitude) {
        // `{:e}` gives the shortest round-trip mantissa, e.g. `1.5e20`, `1e-5`.
        let formatted = format!("{x:e}");
        let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let plain = format!("{x}");
    if plain.contains('.') {
        plain
    } else {
        format!("{plain}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: Option<&str>, ct: Option<&str>, body: &str) -> Params {
        Params::from_request(query, ct, &Bytes::from(body.to_owned())).unwrap()
    }

    #[test]
    fn query_wins_over_body_and_last_wins_within_a_source() {
        let p = parse(
            Some("a=1&a=2"),
            Some("application/x-www-form-urlencoded"),
            "a=3&b=x+y%21",
        );
        assert_eq!(p.get("a"), Some("2"));
        assert_eq!(p.get("b"), Some("x y!"));
    }

    #[test]
    fn present_empty_differs_from_absent() {
        let p = parse(Some("pin=&flag"), None, "");
        assert_eq!(p.get("pin"), Some(""));
        assert_eq!(p.get("flag"), Some(""));
        assert!(p.is_blank("pin"));
        assert_eq!(p.get("other"), None);
    }

    #[test]
    fn json_scalars_become_ruby_strings() {
        let p = parse(
            None,
            Some("application/json"),
            r#"{"i":10,"f":0.5,"g":10.0,"big":1e20,"small":0.00001,"t":true,"n":null,"a":[1],"s":"x"}"#,
        );
        assert_eq!(p.get("i"), Some("10"));
        assert_eq!(p.get("f"), Some("0.5"));
        assert_eq!(p.get("g"), Some("10.0"));
        assert_eq!(p.get("big"), Some("1.0e+20"));
        assert_eq!(p.get("small"), Some("1.0e-05"));
        assert_eq!(p.get("t"), Some("true"));
        assert_eq!(p.get("n"), None);
        assert_eq!(p.get("a"), None);
        assert_eq!(p.get("s"), Some("x"));
        let p = parse(
            None,
            Some("application/json"),
            r#"{"big":123456789012345678901234567890,"neg":-9223372036854775809,"e":1E2}"#,
        );
        assert_eq!(p.get("big"), Some("123456789012345678901234567890"));
        assert_eq!(p.get("neg"), Some("-9223372036854775809"));
        assert_eq!(p.get("e"), Some("100.0"));
    }

    #[test]
    fn sniffs_json_without_content_type() {
        let p = parse(None, None, "  {\"u\":\"admin\"}");
        assert_eq!(p.get("u"), Some("admin"));
        let p = parse(None, Some("text/plain"), "u=admin");
        assert_eq!(p.get("u"), Some("admin"));
    }

    #[test]
    fn rejects_invalid_utf8_and_malformed_json() {
        let bad = |q: Option<&str>, ct: Option<&str>, body: &str| {
            Params::from_request(q, ct, &Bytes::from(body.to_owned())).is_err()
        };
        assert!(bad(Some("u=%FF"), None, ""));
        assert!(bad(None, Some("application/json"), "{\"u\":"));
        assert!(bad(None, Some("application/json"), "[1,2]"));
    }

    #[test]
    fn reads_multipart_text_parts_and_skips_files() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"u\"\r\n\r\nadmin\r\n--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nfile\r\n--XX--\r\n";
        let p = parse(None, Some("multipart/form-data; boundary=XX"), body);
        assert_eq!(p.get("u"), Some("admin"));
        assert_eq!(p.get("f"), None);
    }

    #[test]
    fn ruby_float_forms() {
        assert_eq!(ruby_float(0.0), "0.0");
        assert_eq!(ruby_float(12.5), "12.5");
        assert_eq!(ruby_float(-3.0), "-3.0");
        assert_eq!(ruby_float(1e16), "1.0e+16");
        assert_eq!(ruby_float(1e15), "1000000000000000.0");
        assert_eq!(ruby_float(0.0001), "0.0001");
        assert_eq!(ruby_float(1.5e-7), "1.5e-07");
    }
}
