//! Facts in a generated reply that must come from the merchant's data: prices, discounts, links
//! and product names. A model that invents "20% off" or a link to a look-alike shop costs the
//! merchant money and trust, so anything not backed by the catalog or the settings is reported.

use std::ops::Range;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::ai::text::{fold, words};

/// What the merchant's data backs up for one reply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Allowed {
    /// Prices in minor units (cents, kuruş) of the products in play.
    pub prices: Vec<i64>,
    /// The largest discount the bot may mention; `None` means it may mention none.
    pub max_discount_percent: Option<i32>,
    /// Links the bot may share; any link equal to or under one of them is fine.
    pub urls: Vec<String>,
    /// Catalog product names; quoted names in the reply must be one of them.
    pub product_names: Vec<String>,
}

/// An amount: digit groups of three ("1.299,00", "1,299.00") or plain digits, with 1–2 decimals.
const AMOUNT: &str = r"(\d{1,3}(?:[.,\x{A0}\x{202F}]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)";
const SYMBOL: &str = r"US\$|R\$|C\$|A\$|\$|€|£|₺|₹|¥";
const CODE: &str = r"USD|EUR|GBP|TRY|INR|BRL|MXN|CAD|AUD|(?i:tl)";

static PRICE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let pattern = format!(
        r"(?:{SYMBOL}|\b(?:{CODE}|Rs\.?))\s?{AMOUNT}|{AMOUNT}\s?(?:{SYMBOL}|(?:{CODE}|(?i:dollars?|euros?|liras?|reais|rupees?))\b)"
    );
    Regex::new(&pattern).ok()
});

const PCT: &str = r"(\d{1,3}(?:[.,]\d+)?)";
static PERCENT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let words = r"(?i:percent|per cent|por ciento|por cento|prozent|pour cent|pourcent)";
    Regex::new(&format!(r"%\s?{PCT}|{PCT}\s?(?:%|{words}\b)|\b(?i:yüzde|yuzde)\s{PCT}")).ok()
});

static URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // Bare domains are matched in lower case only, so "Thanks.In the meantime" is no link.
    let tlds = "com|net|org|shop|store|co|io|app|me|info|biz|online|site|us|uk|de|fr|es|it|nl|tr|br|in|mx|ca|au|eu|pt|ch|at|be|pl";
    Regex::new(&format!(
        r#"(?i:\b(?:https?://|www\.))[^\s<>"'`]+|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{tlds})\b(?:\.[a-z]{{2}})?(?::\d+)?(?:/[^\s<>"'`]*)?"#
    ))
    .ok()
});

static QUOTED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"["“«„]([^"“”«»„\n]{2,60})["”»“]"#).ok());

/// Reads "1.299,00" / "1,299.00" / "12,99" / "1299" as minor units. The last separator is a
/// decimal point only when one or two digits follow it; three digits make it a thousands group.
fn minor_units(amount: &str) -> Option<i64> {
    let last_sep = amount.rfind(['.', ',']);
    let (whole, cents) = match last_sep {
        Some(i) if (1..=2).contains(&amount[i + 1..].len()) => {
            let frac = &amount[i + 1..];
            let cents: i64 = frac.parse().ok()?;
            (&amount[..i], if frac.len() == 1 { cents * 10 } else { cents })
        }
        _ => (amount, 0),
    };
    let digits: String = whole.chars().filter(char::is_ascii_digit).collect();
    digits.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)
}

fn amount_of<'a>(caps: &'a Captures<'_>) -> Option<&'a str> {
    caps.get(1).or_else(|| caps.get(2)).or_else(|| caps.get(3)).map(|m| m.as_str())
}

/// Byte ranges of the prices in `text`, so other checks can tell a price from a phone number.
pub(super) fn price_spans(text: &str) -> Vec<Range<usize>> {
    PRICE.as_ref().map(|re| re.find_iter(text).map(|m| m.range()).collect()).unwrap_or_default()
}

/// Words that make a percentage a discount rather than "100% cotton"; the stems at the end also
/// match with endings glued on ("indirimle", "Rabattcode").
const DISCOUNT_WORDS: &str = "off discount discounts discounted save saving savings sale coupon promo code \
    descuento descuentos dto rebaja rebajas ahorra ahorro oferta desconto descontos promocao sparen sparst \
    spare reduziert gutschein remise reduction rabais promotion soldes chhoot chhut cashback";
const DISCOUNT_STEMS: &str = "indirim kampanya kupon rabatt";

fn is_discount_word(word: &str) -> bool {
    DISCOUNT_WORDS.split_whitespace().any(|d| d == word)
        || DISCOUNT_STEMS.split_whitespace().any(|s| word.starts_with(s))
}

/// Whether a discount word stands within three words of the percentage, in the same clause.
fn is_discount(text: &str, at: Range<usize>) -> bool {
    let clause_break = |c: char| matches!(c, ',' | ';' | '.' | '!' | '?' | '\n' | ':' | '(' | ')');
    let before = fold(text[..at.start].rsplit(clause_break).next().unwrap_or(""));
    let after = fold(text[at.end..].split(clause_break).next().unwrap_or(""));
    let before = words(&before);
    let after = words(&after);
    before.iter().rev().take(3).chain(after.iter().take(3)).any(|w| is_discount_word(w))
}

/// Host and path of a link, lower-cased, without scheme, "www.", query, fragment or final slash.
fn url_key(url: &str) -> (String, String) {
    let lower = url.trim().to_lowercase();
    let rest = ["https://", "http://", "//"].iter().find_map(|p| lower.strip_prefix(p)).unwrap_or(&lower);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let host = host.strip_prefix("www.").unwrap_or(host).trim_end_matches('.');
    (host.to_owned(), path.trim_end_matches('/').to_owned())
}

fn url_allowed(url: &str, allowed: &[String]) -> bool {
    let (host, path) = url_key(url);
    allowed.iter().map(|a| url_key(a)).any(|(ahost, apath)| {
        ahost == host && (apath.is_empty() || path == apath || path.starts_with(&format!("{apath}/")))
    })
}

/// A quoted span that looks like a product name: one to six words, the first and every word over
/// three letters capitalised, at least one such word ("Lavender Soap", "Gece Kremi"; not "OK").
fn looks_like_name(quoted: &str) -> bool {
    let parts: Vec<&str> = quoted.split_whitespace().collect();
    let capitalised = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let long = |w: &str| w.chars().count() > 3;
    (1..=6).contains(&parts.len())
        && parts.first().is_some_and(|w| capitalised(w))
        && parts.iter().any(|w| long(w))
        && parts.iter().filter(|w| long(w)).all(|w| capitalised(w))
}

fn is_catalog_name(quoted: &str, names: &[String]) -> bool {
    let q = format!(" {} ", fold(quoted));
    names.iter().any(|name| {
        let n = format!(" {} ", fold(name));
        n.contains(&q) || q.contains(&n)
    })
}

/// Every price, discount, link and quoted product name in `reply` that `allowed` does not back,
/// each as a short reason to store with the verdict; empty when the reply is clean.
/// Every price written in `text`, in minor units: what the merchant's own texts back.
pub fn prices_in(text: &str) -> Vec<i64> {
    let Some(price) = PRICE.as_ref() else { return Vec::new() };
    price.captures_iter(text).filter_map(|caps| amount_of(&caps).and_then(minor_units)).collect()
}

/// Every link written in `text`: what the merchant's own texts back.
pub fn urls_in(text: &str) -> Vec<String> {
    let Some(url) = URL.as_ref() else { return Vec::new() };
    url.find_iter(text)
        .map(|m| m.as_str().trim_end_matches(['.', ',', ')', ';', '!', '?']).to_owned())
        .collect()
}

pub fn unbacked_claims(reply: &str, allowed: &Allowed) -> Vec<String> {
    let mut problems = Vec::new();
    let (Some(price), Some(percent), Some(url), Some(quoted)) =
        (PRICE.as_ref(), PERCENT.as_ref(), URL.as_ref(), QUOTED.as_ref())
    else {
        // Only reachable if a pattern above stops compiling; never let such a reply through.
        problems.push("claim patterns unavailable".to_owned());
        return problems;
    };

    for caps in price.captures_iter(reply) {
        let Some(whole) = caps.get(0) else { continue };
        match amount_of(&caps).and_then(minor_units) {
            Some(cents) if allowed.prices.contains(&cents) => {}
            _ => problems.push(format!("price {} is not in the catalog", whole.as_str().trim())),
        }
    }

    for caps in percent.captures_iter(reply) {
        let Some(whole) = caps.get(0) else { continue };
        let Some(value) = amount_of(&caps).and_then(|v| v.replace(',', ".").parse::<f64>().ok()) else {
            continue;
        };
        if !is_discount(reply, whole.range()) {
            continue;
        }
        match allowed.max_discount_percent {
            Some(max) if value <= f64::from(max) => {}
            Some(max) => {
                problems.push(format!("discount {} is above the allowed {max}%", whole.as_str().trim()))
            }
            None => problems.push(format!("discount {} is not offered", whole.as_str().trim())),
        }
    }

    for m in url.find_iter(reply) {
        if reply[..m.start()].ends_with('@') {
            // The domain of an e-mail address, not a link.
            continue;
        }
        let link = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'', '"', '’', '”']);
        if !url_allowed(link, &allowed.urls) {
            problems.push(format!("link {link} is not one of the merchant's"));
        }
    }

    // Only checked against a known catalog: without one there is nothing to compare with.
    if !allowed.product_names.is_empty() {
        for caps in quoted.captures_iter(reply) {
            let Some(name) = caps.get(1).map(|m| m.as_str().trim()) else { continue };
            if looks_like_name(name) && !is_catalog_name(name, &allowed.product_names) {
                problems.push(format!("product \"{name}\" is not in the catalog"));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices_in(text: &str) -> Vec<Option<i64>> {
        let Some(re) = PRICE.as_ref() else { return vec![] };
        re.captures_iter(text).map(|c| amount_of(&c).and_then(minor_units)).collect()
    }

    #[test]
    fn patterns_compile() {
        assert!(PRICE.is_some() && PERCENT.is_some() && URL.is_some() && QUOTED.is_some());
    }

    #[test]
    fn reads_prices_in_many_formats() {
        let cases = [
            ("only $12.99 today", 1299),
            ("12,99 € each", 1299),
            ("€12.99", 1299),
            ("12.99 USD", 1299),
            ("₺149,90", 14990),
            ("TL 149.90", 14990),
            ("149,90 TL", 14990),
            ("R$ 39,90", 3990),
            ("1.299,00 TL", 129900),
            ("$1,299", 129900),
            ("US$ 5", 500),
            ("Rs. 499", 49900),
            ("20 euros", 2000),
            ("€ 12,5", 1250),
        ];
        for (text, cents) in cases {
            assert_eq!(prices_in(text), vec![Some(cents)], "{text}");
        }
        assert!(prices_in("100% cotton, 250 ml, order #1001, 4.5 stars").is_empty());
    }

    #[test]
    fn flags_prices_not_in_the_catalog() {
        let allowed = Allowed { prices: vec![1299, 14990], ..Allowed::default() };
        assert!(unbacked_claims("The soap is $12.99 and the cream ₺149,90.", &allowed).is_empty());
        let problems = unbacked_claims("It is 12,99 € now, or 9.99 USD on sale", &allowed);
        assert_eq!(problems, vec!["price 9.99 USD is not in the catalog"]);
    }

    #[test]
    fn flags_discounts_above_the_setting() {
        let none = Allowed::default();
        let up_to_15 = Allowed { max_discount_percent: Some(15), ..Allowed::default() };
        for text in [
            "Get 20% off today",
            "%20 indirim var",
            "20 % de descuento",
            "yüzde 20 indirim",
            "save 20 percent",
        ] {
            assert_eq!(unbacked_claims(text, &none).len(), 1, "{text}");
            assert_eq!(unbacked_claims(text, &up_to_15).len(), 1, "{text}");
        }
        assert!(unbacked_claims("Use code HELLO for 10% off", &up_to_15).is_empty());
        assert!(unbacked_claims("It is 100% cotton, and 30% of buyers reorder.", &none).is_empty());
        assert!(unbacked_claims("We offer 100% natural soap", &none).is_empty());
    }

    #[test]
    fn links_must_be_the_merchants() {
        let allowed = Allowed {
            urls: vec!["https://shop.example.com/products".into(), "https://help.example.com".into()],
            ..Allowed::default()
        };
        let ok =
            "See https://shop.example.com/products/lavender-soap?variant=2, or www.help.example.com/faq.";
        assert!(unbacked_claims(ok, &allowed).is_empty(), "{:?}", unbacked_claims(ok, &allowed));
        for bad in [
            "Go to https://shop.example.com/cart",
            "Visit https://shop.example.com.evil.io/products",
            "Try shop-example.store/deals",
            "See http://shop.example.com/productsale",
        ] {
            assert_eq!(unbacked_claims(bad, &allowed).len(), 1, "{bad}");
        }
        assert!(unbacked_claims("Write to support@example.com. Thanks.In short, yes.", &allowed).is_empty());
    }

    #[test]
    fn quoted_names_must_be_catalog_products() {
        let allowed = Allowed { product_names: vec!["Lavender Soap 100g".into()], ..Allowed::default() };
        assert!(unbacked_claims("Our \"Lavender Soap\" is gentle.", &allowed).is_empty());
        let bad = unbacked_claims("Try our “Rose Night Cream” instead.", &allowed);
        assert_eq!(bad, vec!["product \"Rose Night Cream\" is not in the catalog"]);
        assert!(unbacked_claims("You said \"thanks a lot\" and \"OK\".", &allowed).is_empty());
        assert!(unbacked_claims("Try our “Rose Night Cream”.", &Allowed::default()).is_empty());
    }
}
