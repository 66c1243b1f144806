//! Decimal amounts as sources send them (`"404.95"`) to integer minor units of the currency.

/// Minor-unit exponent of an ISO 4217 currency: 2 for most, 0 for yen-like, 3 for dinar-like.
pub fn exponent(currency: &str) -> u32 {
    match currency.to_ascii_uppercase().as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount {0:?} is not a decimal number")]
    NotANumber(String),
    #[error("amount has more decimals than the currency allows")]
    TooPrecise,
    #[error("amount is too large")]
    TooLarge,
}

/// Parses `"1234.5"`, `"-3"`, `"1,234.50"` (thousands separators dropped) into minor units.
pub fn parse_minor(amount: &str, currency: &str) -> Result<i64, MoneyError> {
    let exp = exponent(currency) as usize;
    let cleaned: String = amount.trim().chars().filter(|c| *c != ',' && *c != '_').collect();
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let is_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !is_digits(whole) || !is_digits(frac) {
        return Err(MoneyError::NotANumber(amount.chars().take(40).collect()));
    }
    // Trailing zeros beyond the currency's precision are harmless ("10.000" USD).
    let frac = frac.trim_end_matches('0');
    if frac.len() > exp {
        return Err(MoneyError::TooPrecise);
    }
    let scaled = format!("{whole}{frac:0<exp$}");
    let value: i64 = if scaled.is_empty() { 0 } else { scaled.parse().map_err(|_| MoneyError::TooLarge)? };
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_by_currency_precision() {
        assert_eq!(parse_minor("404.95", "USD"), Ok(40495));
        assert_eq!(parse_minor("89.9", "eur"), Ok(8990));
        assert_eq!(parse_minor("1,234.50", "USD"), Ok(123450));
        assert_eq!(parse_minor("1000", "JPY"), Ok(1000));
        assert_eq!(parse_minor("1.250", "KWD"), Ok(1250));
        assert_eq!(parse_minor("-3", "USD"), Ok(-300));
        assert_eq!(parse_minor("10.000", "USD"), Ok(1000));
        assert_eq!(parse_minor(".5", "USD"), Ok(50));
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        assert!(matches!(parse_minor("ten", "USD"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(parse_minor("", "USD"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(parse_minor("1.2.3", "USD"), Err(MoneyError::NotANumber(_))));
        assert_eq!(parse_minor("1.5", "JPY"), Err(MoneyError::TooPrecise));
        assert_eq!(parse_minor("99999999999999999999", "USD"), Err(MoneyError::TooLarge));
    }
}
