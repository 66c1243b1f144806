//! Plain text out of the HTML and Markdown that merchants upload, for chunking and embedding.
//!
//! HTML is stripped by hand rather than with a full HTML5 parser: knowledge pages are product
//! descriptions and FAQ pages, and all that matters is the visible text, line by block.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Elements whose content is never text for a reader.
const RAW: &[&str] = &["script", "style", "noscript", "template", "svg", "head"];

/// Elements that start a new line.
const BLOCK: &str = "p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd tr table thead tbody section article \
    header footer nav aside main blockquote pre hr figure figcaption form fieldset address title details \
    summary option body html";

fn is_block(name: &str) -> bool {
    BLOCK.split_whitespace().any(|b| b == name)
}

/// Reads a tag at the start of `s` (which starts with '<'): its lowercase name, whether it closes,
/// and the rest after '>'. `None` for a '<' that starts no tag ("a < b").
fn parse_tag(s: &str) -> Option<(String, bool, &str)> {
    let body = s.get(1..)?;
    let first = body.chars().next()?;
    if !(first.is_ascii_alphabetic() || matches!(first, '/' | '!' | '?')) {
        return None;
    }
    let mut quote: Option<char> = None;
    let end = body
        .char_indices()
        .find_map(|(i, c)| {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '>' => return Some(i),
                None => {}
            }
            None
        })
        // An unbalanced quote (`alt=don't`) would otherwise swallow the rest of the page.
        .or_else(|| body.find('>'))?;
    let closing = first == '/';
    let name: String = body
        .trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Some((name, closing, &body[end + 1..]))
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "deg" => '°',
        "times" => '×',
        "middot" => '·',
        "bull" => '•',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "aacute" => 'á',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ntilde" => 'ñ',
        "ccedil" => 'ç',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "szlig" => 'ß',
        _ => return None,
    })
}

fn decode_entities(mut s: &str, out: &mut String) {
    while let Some(amp) = s.find('&') {
        out.push_str(&s[..amp]);
        let after = &s[amp + 1..];
        let decoded =
            after.find(';').filter(|&semi| semi <= 10).and_then(|semi| Some((entity(&after[..semi])?, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                s = &after[semi + 1..];
            }
            None => {
                out.push('&');
                s = after;
            }
        }
    }
    out.push_str(s);
}

/// Non-empty lines, trimmed, one per line.
fn tidy(text: &str, keep_indent: bool) -> String {
    let lines = text.lines().map(|l| if keep_indent { l.trim_end() } else { l.trim() });
    lines.filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

/// Visible text of an HTML document: tags stripped, scripts and styles dropped, common entities
/// decoded, one line per block element.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    let mut in_pre = 0usize;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |i| &after[i + 3..]);
            continue;
        }
        if let Some((name, closing, after)) = rest.starts_with('<').then(|| parse_tag(rest)).flatten() {
            rest = after;
            if !closing && RAW.contains(&name.as_str()) {
                let close = format!("</{name}");
                rest = match rest.to_ascii_lowercase().find(&close) {
                    Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                    None => "",
                };
                continue;
            }
            if name == "pre" {
                in_pre = if closing { in_pre.saturating_sub(1) } else { in_pre + 1 };
            }
            if name == "br" || is_block(&name) {
                out.push('\n');
            } else if matches!(name.as_str(), "td" | "th") {
                out.push(' ');
            }
            continue;
        }
        // Text runs to the next tag; its first character may be multi-byte ("Über", "€").
        let first = rest.chars().next().map_or(1, char::len_utf8);
        let end = rest[first..].find('<').map_or(rest.len(), |i| i + first);
        let mut text = String::new();
        decode_entities(&rest[..end], &mut text);
        if in_pre > 0 {
            out.push_str(&text);
        } else {
            let mut gap = false;
            for c in text.chars() {
                if c.is_whitespace() {
                    gap = true;
                } else {
                    if gap {
                        out.push(' ');
                        gap = false;
                    }
                    out.push(c);
                }
            }
            if gap {
                out.push(' ');
            }
        }
        rest = &rest[end..];
    }
    tidy(&out, false)
}

/// Plain text of a Markdown document: markers dropped, link text kept without the URL, code kept.
pub fn markdown_to_text(md: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut out = String::new();
    for event in Parser::new_ext(md, options) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak | Event::Rule => out.push('\n'),
            Event::Html(h) => {
                out.push_str(&html_to_text(&h));
                out.push('\n');
            }
            Event::InlineHtml(h) => {
                let text = html_to_text(&h);
                if text.is_empty() && h.trim_start().to_ascii_lowercase().starts_with("<br") {
                    out.push('\n');
                }
                out.push_str(&text);
            }
            Event::Start(Tag::Item | Tag::CodeBlock(_)) => out.push('\n'),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::Item
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::BlockQuote(_),
            ) => out.push('\n'),
            Event::End(TagEnd::TableCell) => out.push(' '),
            _ => {}
        }
    }
    tidy(&out, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_starting_with_a_multibyte_character_still_ends_at_the_next_tag() {
        let text = html_to_text("<p>Über uns</p><script>var secret = 1;</script><p>€5 Versand</p>");
        assert!(text.contains("Über uns") && text.contains("€5 Versand"), "{text:?}");
        assert!(!text.contains("secret") && !text.contains('<'), "{text:?}");
    }

    #[test]
    fn html_keeps_visible_text_only() {
        let html = r#"<!doctype html><html><head><title>T</title><style>p{color:red}</style></head>
            <body><h1>Lavender&nbsp;Soap</h1><!-- hidden --><p>Made   with <b>olive</b> oil &amp; love.</p>
            <script type="text/javascript">var a = "<p>no</p>";</script>
            <ul><li>250&#160;ml</li><li>&euro;12 &#x2014; &lt;ok&gt;</li></ul>
            <a href="/x" title="a > b">Link</a> 3 < 4<br>Next</body></html>"#;
        assert_eq!(
            html_to_text(html),
            "Lavender Soap\nMade with olive oil & love.\n250 ml\n€12 — <ok>\nLink 3 < 4\nNext"
        );
        assert_eq!(html_to_text("AT&T &unknown; &"), "AT&T &unknown; &");
        assert_eq!(html_to_text("<p>unclosed <b"), "unclosed <b");
        assert_eq!(html_to_text("<img alt=don't>Soap<br/>Cream"), "Soap\nCream");
    }

    #[test]
    fn markdown_keeps_text_links_and_code() {
        let md = "# Care guide\n\nUse **twice** a _day_. See [our FAQ](https://shop.example/faq).\n\n\
                  - one\n- two\n\n```\nlet x = 1;\n  indented\n```\n\n\
                  | Size | Price |\n|---|---|\n| S | 10 |\n";
        assert_eq!(
            markdown_to_text(md),
            "Care guide\nUse twice a day. See our FAQ.\none\ntwo\nlet x = 1;\n  indented\nSize Price\nS 10"
        );
    }
}
