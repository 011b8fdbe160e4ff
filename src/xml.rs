//! The XML bytes MOR clients read (spec A.5): a declaration line, one element per line, two
//! spaces per depth, leaf text on the element's line, no attributes, never self-closing.
//!
//! A tree of [`Node`]s is rendered by hand because the layout rules are exact and tiny; the text
//! escaping (only `&`, `<`, `>`) is quick-xml's `partial_escape`.

use std::borrow::Cow;

pub const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// One element: a leaf with text, or a container with child elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Leaf(&'static str, String),
    Parent(&'static str, Vec<Node>),
}

impl Node {
    pub fn leaf(name: &'static str, text: impl Into<String>) -> Node {
        Node::Leaf(name, text.into())
    }

    pub fn parent(name: &'static str, children: Vec<Node>) -> Node {
        Node::Parent(name, children)
    }

    /// Renders a whole response document: declaration plus this element as the root.
    pub fn into_document(self) -> String {
        let mut out = String::with_capacity(DECLARATION.len() + self.rendered_len(0));
        out.push_str(DECLARATION);
        self.write(0, &mut out);
        out
    }

    /// The length of the rendered element when its text needs no escaping: sizes the buffer
    /// once instead of growing it (and copying it) several times.
    fn rendered_len(&self, depth: usize) -> usize {
        let tags = |name: &str| 2 * name.len() + 5;
        match self {
            Node::Leaf(name, text) => 2 * depth + tags(name) + text.len() + 1,
            Node::Parent(name, children) => {
                let inner: usize = children.iter().map(|child| child.rendered_len(depth + 1)).sum();
                4 * depth + tags(name) + 2 + inner
            }
        }
    }

    fn write(&self, depth: usize, out: &mut String) {
        indent(depth, out);
        match self {
            Node::Leaf(name, text) => {
                open(name, out);
                push_escaped(text, out);
                close(name, out);
            }
            // An empty container reads like empty text: `<name></name>`.
            Node::Parent(name, children) if children.is_empty() => {
                open(name, out);
                close(name, out);
            }
            Node::Parent(name, children) => {
                open(name, out);
                out.push('\n');
                for child in children {
                    child.write(depth + 1, out);
                }
                indent(depth, out);
                close(name, out);
            }
        }
        out.push('\n');
    }
}

fn indent(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn open(name: &str, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(name: &str, out: &mut String) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// A byte that text cannot carry as is: markup (`&`, `<`, `>`) or a C0 control character other
/// than TAB, LF and CR, which XML 1.0 cannot carry at all. (No byte of a multi-byte UTF-8
/// character is below 0x80, so a byte test is exact.)
fn needs_escape(byte: u8) -> bool {
    matches!(byte, b'&' | b'<' | b'>') || (byte < b' ' && !matches!(byte, b'\t' | b'\n' | b'\r'))
}

/// Appends `text` escaped; most text (ids, names, numbers) has nothing to escape and is copied
/// in one piece.
fn push_escaped(text: &str, out: &mut String) {
    if text.bytes().any(needs_escape) {
        out.push_str(&escape_text(text));
    } else {
        out.push_str(text);
    }
}

/// Escapes `&`, `<`, `>` and drops C0 control characters other than TAB, LF and CR, which XML 1.0
/// cannot carry at all. Quotes and non-ASCII pass through unchanged.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    let is_dropped = |c: char| c < ' ' && !matches!(c, '\t' | '\n' | '\r');
    if text.chars().any(is_dropped) {
        let kept: String = text.chars().filter(|&c| !is_dropped(c)).collect();
        Cow::Owned(quick_xml::escape::partial_escape(&kept).into_owned())
    } else {
        quick_xml::escape::partial_escape(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_nested_elements_with_two_space_indent() {
        let doc = Node::parent(
            "page",
            vec![
                Node::parent("status", vec![Node::leaf("success", "DID created")]),
                Node::parent("did_details", vec![Node::leaf("id", "3")]),
            ],
        )
        .into_document();
        assert_eq!(
            doc,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  <status>\n    <success>DID created</success>\n  </status>\n  <did_details>\n    <id>3</id>\n  </did_details>\n</page>\n"
        );
    }

    #[test]
    fn empty_text_and_empty_container_are_never_self_closing() {
        let doc = Node::parent("page", vec![Node::leaf("a", ""), Node::parent("b", vec![])]).into_document();
        assert!(doc.contains("  <a></a>\n  <b></b>\n"));
    }

    #[test]
    fn escapes_only_markup_and_drops_control_characters() {
        assert_eq!(escape_text("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d\"e'f");
        assert_eq!(escape_text("x\u{1}y\tz\n"), "xy\tz\n");
        assert_eq!(escape_text("Žalgiris"), "Žalgiris");
    }

    #[test]
    fn the_buffer_is_sized_exactly_for_text_without_escapes() {
        let node = Node::parent(
            "page",
            vec![
                Node::leaf("id", "17"),
                Node::parent("deep", vec![Node::parent("deeper", vec![Node::leaf("x", "Žalgiris")])]),
            ],
        );
        assert_eq!(DECLARATION.len() + node.rendered_len(0), node.into_document().len());
    }

    #[test]
    fn deep_indentation_and_escapes_in_leaf_text() {
        let mut node = Node::leaf("leaf", "a<b&c>\u{7}d");
        for _ in 0..10 {
            node = Node::parent("n", vec![node]);
        }
        let doc = node.into_document();
        let line = format!("{}<leaf>a&lt;b&amp;c&gt;d</leaf>\n", " ".repeat(20));
        assert!(doc.contains(&line), "{doc}");
    }

    #[test]
    fn text_with_newlines_is_written_as_is() {
        let doc = Node::leaf("n", "a \nb").into_document();
        assert_eq!(doc, format!("{DECLARATION}<n>a \nb</n>\n"));
    }
}
