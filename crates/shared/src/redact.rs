//! Keeping caller-supplied values out of error messages.

/// serde's messages quote the rejected value (`invalid type: string "…"`, and numbers in
/// backticks: ``invalid type: integer `4915…` ``); it may be a phone number or a password, so the
/// quoted parts are blanked.
pub fn redact_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<char> = None;
    for c in text.chars() {
        match open {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None if c == '"' || c == '`' => {
                out.push(c);
                open = Some(c);
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_quoted;

    #[test]
    fn quoted_values_are_blanked() {
        assert_eq!(
            redact_quoted(r#"email: invalid type: string "+4915123456789", expected u32 at line 1"#),
            r#"email: invalid type: string "…", expected u32 at line 1"#
        );
        assert_eq!(redact_quoted("no quotes"), "no quotes");
        assert_eq!(
            redact_quoted("invalid type: integer `4915123456789`, expected a string"),
            "invalid type: integer `…`, expected a string"
        );
    }
}
