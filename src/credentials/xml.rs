//! A tiny, careful extractor for the flat XML that STS (query protocol) returns. It finds the text
//! of the first element with a given name (optionally inside another element) and decodes the
//! five predefined entities and numeric character references. It does not build a tree and never
//! panics on malformed input: anything it cannot read is `None`.

/// Text of the first `<name>…</name>` element (attributes allowed, namespace prefixes not).
pub(crate) fn element_text(xml: &str, name: &str) -> Option<String> {
    let (start, end) = element_span(xml, name)?;
    decode_text(&xml[start..end])
}

/// The inner text range of the first `<name …>…</name>` element.
pub(crate) fn element_span(xml: &str, name: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(rel) = xml.get(from..)?.find('<') {
        let lt = from + rel;
        let after = &xml[lt + 1..];
        if let Some(rest) = after.strip_prefix(name) {
            match rest.chars().next() {
                Some('>') => {
                    let start = lt + 1 + name.len() + 1;
                    return Some((start, start + find_close(&xml[start..], name)?));
                }
                Some(c) if c.is_whitespace() => {
                    let gt = rest.find('>')?;
                    if rest[..gt].ends_with('/') {
                        // <name/> : empty element
                        let pos = lt + 1 + name.len() + gt + 1;
                        return Some((pos, pos));
                    }
                    let start = lt + 1 + name.len() + gt + 1;
                    return Some((start, start + find_close(&xml[start..], name)?));
                }
                Some('/') if rest.starts_with("/>") => {
                    let pos = lt + 1 + name.len() + 2;
                    return Some((pos, pos));
                }
                _ => {}
            }
        }
        from = lt + 1;
    }
    None
}

fn find_close(s: &str, name: &str) -> Option<usize> {
    let close = format!("</{name}");
    let mut from = 0;
    loop {
        let i = from + s.get(from..)?.find(&close)?;
        let after = &s[i + close.len()..];
        if after.trim_start().starts_with('>') {
            return Some(i);
        }
        from = i + 1;
    }
}

/// Text of the first `<name>` element inside the first `<parent>` element.
pub(crate) fn child_text(xml: &str, parent: &str, name: &str) -> Option<String> {
    let (s, e) = element_span(xml, parent)?;
    element_text(&xml[s..e], name)
}

/// Decode entities and CDATA sections; `None` if the text contains markup or a bad reference.
fn decode_text(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>")?;
            out.push_str(&after[..end]);
            rest = &after[end + 3..];
        } else if rest.starts_with('<') {
            return None;
        } else if let Some(after) = rest.strip_prefix('&') {
            let semi = after.find(';')?;
            let ent = &after[..semi];
            let c = match ent {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) =
                        ent.strip_prefix("#x").or_else(|| ent.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok()?
                    } else {
                        ent.strip_prefix('#')?.parse::<u32>().ok()?
                    };
                    char::from_u32(code)?
                }
            };
            out.push(c);
            rest = &after[semi + 1..];
        } else {
            let n = rest.find(['<', '&']).unwrap_or(rest.len());
            out.push_str(&rest[..n]);
            rest = &rest[n..];
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
            element_text("<ArnX>no</ArnX><Arn>yes</Arn>", "Arn").as_deref(),
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
            "<a>&#1114112;</a>",
            "<a>&amp</a>",
            "<a><b>x</b></a>",
            "<a><![CDATA[x</a>",
            "<aé>",
        ] {
            assert_eq!(element_text(s, "a"), None, "{s}");
        }
        assert_eq!(element_text("é<a>ü</a>", "a").as_deref(), Some("ü"));
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
