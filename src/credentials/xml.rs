//! The XML STS answers (query protocol), read with `roxmltree`.
//!
//! Why a parser and not the hand-written extractor this file held before: that one searched the
//! text for `<Name>` and `</Name>`, so a comment, a CDATA section or a nested element of the
//! same name that held such text was read as the element; a namespace prefix (`<sts:Code>`) was
//! not found; and nothing checked that the answer was XML at all. `roxmltree` is small (one
//! crate, no dependency that is not already built: memchr comes with serde_json), read-only,
//! widely used and kept, and does all of that: well-formedness, the predefined entities and
//! character references, CDATA, comments, processing instructions, namespaces. It refuses a
//! DTD by default (no entity expansion from a body we did not write). The body is at most
//! 1 MiB (`http::MAX_BODY`), so the tree is too. Anything it cannot read is `None`: the caller
//! says which field was missing.

/// A parsed answer, or nothing if the body is not well-formed XML.
pub(crate) struct Answer<'a>(Option<roxmltree::Document<'a>>);

impl<'a> Answer<'a> {
    pub(crate) fn parse(xml: &'a str) -> Self {
        Answer(roxmltree::Document::parse(xml).ok())
    }

    /// Text of the first `<name>` element (by local name, any namespace); `None` if there is
    /// none, or it holds elements rather than text.
    pub(crate) fn element_text(&self, name: &str) -> Option<String> {
        text(first(self.0.as_ref()?.root(), name)?)
    }

    /// Text of the first `<name>` element inside the first `<parent>` element.
    pub(crate) fn child_text(&self, parent: &str, name: &str) -> Option<String> {
        text(first(first(self.0.as_ref()?.root(), parent)?, name)?)
    }
}

/// The first element below `node` (document order) whose local name is `name`.
fn first<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.descendants()
        .skip(1)
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

/// The element's text (its text and CDATA, entities decoded; comments skipped), or `None` if
/// it has child elements.
fn text(node: roxmltree::Node<'_, '_>) -> Option<String> {
    let mut out = String::new();
    for c in node.children() {
        if c.is_element() {
            return None;
        }
        if c.is_text() {
            out.push_str(c.text().unwrap_or_default());
        }
    }
    Some(out)
}

/// Escape text for inclusion in XML (used by the emulator's fake STS).
#[cfg(any(test, feature = "emulator"))]
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764&amp;x=&#65;&#x42;</SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>"#;

    fn element_text(xml: &str, name: &str) -> Option<String> {
        Answer::parse(xml).element_text(name)
    }

    fn child_text(xml: &str, parent: &str, name: &str) -> Option<String> {
        Answer::parse(xml).child_text(parent, name)
    }

    #[test]
    fn extracts_sts_credentials() {
        assert_eq!(
            child_text(OK, "Credentials", "AccessKeyId").as_deref(),
            Some("ASIAIOSFODNN7EXAMPLE")
        );
        assert_eq!(
            child_text(OK, "Credentials", "SessionToken").as_deref(),
            Some("AQoDYXdzEPT//////////wEXAMPLEtc764&x=AB")
        );
        assert_eq!(
            element_text(OK, "RequestId").as_deref(),
            Some("c6104cbe-af31-11e0-8154-cbc7ccf896c7")
        );
        // <Arn> must not match <ArnX>, <Credentials> not <CredentialsX>
        assert_eq!(
            element_text("<r><ArnX>no</ArnX><Arn>yes</Arn></r>", "Arn").as_deref(),
            Some("yes")
        );
        assert_eq!(element_text("<a x=\"1\">v</a >", "a").as_deref(), Some("v"));
        assert_eq!(element_text("<a/>", "a").as_deref(), Some(""));
        assert_eq!(element_text("<a x='1'/>", "a").as_deref(), Some(""));
        assert_eq!(
            element_text("<a><![CDATA[<&>]]>x</a>", "a").as_deref(),
            Some("<&>x")
        );
    }

    /// What the hand-written extractor got wrong: markup inside comments and CDATA, nested
    /// elements of the same name, namespace prefixes, a declaration.
    #[test]
    fn reads_xml_not_text_that_looks_like_it() {
        let err = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- <Error><Code>FromAComment</Code></Error> -->
<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Message><![CDATA[<Code>FromCData</Code>]]> &amp; more</Message>
    <Code>ExpiredTokenException</Code>
  </Error>
  <RequestId>r-1</RequestId>
</ErrorResponse>"#;
        let a = Answer::parse(err);
        assert_eq!(
            a.child_text("Error", "Code").as_deref(),
            Some("ExpiredTokenException")
        );
        assert_eq!(
            a.child_text("Error", "Message").as_deref(),
            Some("<Code>FromCData</Code> & more")
        );
        assert_eq!(a.element_text("RequestId").as_deref(), Some("r-1"));
        let prefixed = r#"<sts:R xmlns:sts="https://sts.amazonaws.com/doc/2011-06-15/"><sts:Credentials><sts:AccessKeyId>AK</sts:AccessKeyId></sts:Credentials></sts:R>"#;
        assert_eq!(
            child_text(prefixed, "Credentials", "AccessKeyId").as_deref(),
            Some("AK")
        );
        // The outer <a>'s text is not the inner one's closing tag.
        assert_eq!(element_text("<r><a><a>in</a></a></r>", "a"), None);
        assert_eq!(
            element_text("<r>x<!-- <a>no</a> --><a>y<!-- c -->z</a></r>", "a").as_deref(),
            Some("yz")
        );
    }

    #[test]
    fn malformed_is_none_not_panic() {
        for s in [
            "",
            "<",
            "<a",
            "<a>",
            "<a>x",
            "<a>x</b>",
            "<a>&bogus;</a>",
            "<a>&#xZZ;</a>",
            "<a>&#0;</a>",
            "<a>&amp</a>",
            "<a><b>x</b></a>",
            "<a><![CDATA[x</a>",
            "<aé>",
            // Not one document: the extractor read these.
            "<a>x</a><a>y</a>",
            "junk <a>x</a>",
            // A DTD is refused: no entity expansion from a body we did not write.
            "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
        ] {
            assert_eq!(element_text(s, "a"), None, "{s}");
        }
        assert_eq!(element_text("<r>é<a>ü</a></r>", "a").as_deref(), Some("ü"));
        // A reference beyond Unicode is read as U+FFFD (roxmltree's choice, as browsers do; the
        // extractor refused it): no panic, and no credential field ever holds one.
        assert_eq!(
            element_text("<a>&#1114112;</a>", "a").as_deref(),
            Some("\u{FFFD}")
        );
    }

    #[test]
    fn escape_round_trips() {
        let s = "a<b>&\"c'";
        assert_eq!(
            element_text(&format!("<x>{}</x>", escape(s)), "x").as_deref(),
            Some(s)
        );
    }
}
