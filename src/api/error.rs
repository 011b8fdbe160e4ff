//! The one error type of the API and the MOR envelopes it renders in (spec A.4, A.6).

use crate::storage::StoreError;
use crate::xml::Node;

/// The XML shape an error is answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `<status><error>…</error></status>`: the generic pre-check envelope.
    Status,
    /// `<page><error>…</error>[<message>…]</page>`.
    Page,
    /// `<page><status><error>…</error></status></page>`.
    PageStatus,
    /// `<error>…</error>` as the root element.
    Error,
}

impl Envelope {
    pub fn render(self, error: &str, messages: &[String]) -> String {
        let error = Node::leaf("error", error);
        let root = match self {
            Envelope::Status => Node::parent("status", vec![error]),
            Envelope::Page => {
                let mut children = vec![error];
                children.extend(messages.iter().map(|m| Node::leaf("message", m.as_str())));
                Node::parent("page", children)
            }
            Envelope::PageStatus => Node::parent("page", vec![Node::parent("status", vec![error])]),
            Envelope::Error => error,
        };
        root.into_document()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A method's own refusal, in the method's error envelope.
    #[error("{error}")]
    Method { error: String, messages: Vec<String> },
    /// A failed pre-check (A.4), in the method's pre-check envelope.
    #[error("{0}")]
    Precheck(&'static str),
    /// The request could not be read (A.3): always the generic envelope.
    #[error("{0}")]
    Request(&'static str),
    /// Something broke inside moray: logged, and answered with the method's failure message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn method(error: impl Into<String>) -> ApiError {
        ApiError::Method {
            error: error.into(),
            messages: Vec::new(),
        }
    }

    pub fn with_messages(error: impl Into<String>, messages: Vec<String>) -> ApiError {
        ApiError::Method {
            error: error.into(),
            messages,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// Shorthand for a method's own refusal: `return refuse("Access Denied")`.
pub fn refuse<T>(error: &str) -> Result<T, ApiError> {
    Err(ApiError::method(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes() {
        let d = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        assert_eq!(
            Envelope::Status.render("Incorrect hash", &[]),
            format!("{d}<status>\n  <error>Incorrect hash</error>\n</status>\n")
        );
        assert_eq!(
            Envelope::Page.render("Device was not created", &["No free extension".into()]),
            format!(
                "{d}<page>\n  <error>Device was not created</error>\n  <message>No free extension</message>\n</page>\n"
            )
        );
        assert_eq!(
            Envelope::PageStatus.render("DID already exists", &[]),
            format!("{d}<page>\n  <status>\n    <error>DID already exists</error>\n  </status>\n</page>\n")
        );
        assert_eq!(
            Envelope::Error.render("Access Denied", &[]),
            format!("{d}<error>Access Denied</error>\n")
        );
    }
}
