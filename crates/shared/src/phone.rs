//! Phone numbers in E.164, parsed with libphonenumber's rules (the `phonenumber` crate).
//! The type redacts itself in `Debug` and `Display`, so it cannot leak into a log by accident.

use phonenumber::{Mode, country};

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneE164(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number could not be parsed")]
    Unparseable,
    #[error("phone number is not a valid number for its country")]
    Invalid,
    #[error("unknown country code {0:?}")]
    UnknownCountry(String),
}

impl PhoneE164 {
    /// Parses a free-text phone number. `default_country` (ISO 3166 alpha-2, e.g. "DE") is used
    /// for numbers written without a `+` prefix.
    pub fn parse(raw: &str, default_country: Option<&str>) -> Result<Self, PhoneError> {
        // A number in international form names its own country. The `phonenumber` crate can
        // misread one when given a default country as well: with `CA`, "+4915123456789" came
        // back as +495123456789 (the NANP national prefix "1" stripped after the country code).
        let international = raw.trim_start().starts_with('+');
        let country = default_country
            .filter(|_| !international)
            .map(|c| {
                c.trim()
                    .to_ascii_uppercase()
                    .parse::<country::Id>()
                    .map_err(|_| PhoneError::UnknownCountry(c.to_owned()))
            })
            .transpose()?;
        let number = phonenumber::parse(country, raw).map_err(|_| PhoneError::Unparseable)?;
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Invalid);
        }
        Ok(Self(number.format().mode(Mode::E164).to_string()))
    }

    /// The number itself, for encryption and blind indexing only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `+90 *** *** 12 34`-style mask: country code and the last four digits.
    pub fn masked(&self) -> String {
        mask_e164(&self.0)
    }
}

/// Masks an E.164 string, keeping the country calling code and the last four digits.
pub fn mask_e164(e164: &str) -> String {
    let Ok(number) = phonenumber::parse(None, e164) else {
        return "***".to_owned();
    };
    let cc = number.code().value().to_string();
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < cc.len() + 6 {
        return format!("+{cc} ***");
    }
    let tail = &digits[digits.len() - 4..];
    format!("+{cc} *** *** {}{} {}{}", tail[0], tail[1], tail[2], tail[3])
}

impl std::fmt::Debug for PhoneE164 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PhoneE164({})", self.masked())
    }
}

impl std::fmt::Display for PhoneE164 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_international_and_national_forms() {
        let a = PhoneE164::parse("+49 151 23456789", None).expect("international");
        let b = PhoneE164::parse("0151 23456789", Some("de")).expect("national with country");
        assert_eq!(a.expose(), "+4915123456789");
        assert_eq!(a, b);
    }

    #[test]
    fn international_numbers_ignore_the_default_country() {
        for country in ["CA", "US", "DE", "TR"] {
            let p = PhoneE164::parse("+4915123456789", Some(country)).expect("valid German mobile");
            assert_eq!(p.expose(), "+4915123456789", "read with {country}");
        }
    }

    #[test]
    fn rejects_garbage_and_invalid_numbers() {
        assert_eq!(PhoneE164::parse("call me maybe", None), Err(PhoneError::Unparseable));
        assert_eq!(PhoneE164::parse("+49 1", None), Err(PhoneError::Unparseable));
        // Well-formed but not an assignable number (NANP area codes never start with 1).
        assert_eq!(PhoneE164::parse("+1 123 555 0100", None), Err(PhoneError::Invalid));
        assert!(matches!(PhoneE164::parse("0151 23456789", Some("XX")), Err(PhoneError::UnknownCountry(_))));
    }

    #[test]
    fn debug_and_display_never_show_the_number() {
        let p = PhoneE164::parse("+90 532 123 12 34", None).expect("valid TR mobile");
        assert_eq!(p.to_string(), "+90 *** *** 12 34");
        assert!(!format!("{p:?}").contains("5321231234"));
        // One-digit country codes keep one digit, not two.
        let us = PhoneE164::parse("+1 415 555 2671", None).expect("valid US number");
        assert_eq!(us.masked(), "+1 *** *** 26 71");
    }
}
