//! Merchant CSV uploads of orders, one order event per row.
//!
//! Uploads can be 100 MB, so rows are read one at a time from a blocking reader and handed out as
//! they come. A bad row is reported with its line number and the reason, and reading goes on:
//! merchants fix a few lines and upload again, they do not want the whole file refused. Only a
//! file that cannot be read as CSV at all stops the iterator.
//!
//! Reasons are stored and shown in plain text, so they never echo a cell that could be a phone
//! number or an email address (a ragged row can put a phone number in any column).

use std::collections::VecDeque;
use std::io::Read;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use csv::ByteRecord;

use super::money::{MoneyError, parse_minor};
use super::{
    Channel, ConsentSignal, Contact, CustomerFacts, EventType, LineItem, Normalized, NormalizedEvent,
    OrderFacts, PhoneCandidate, Source, full_name, parse_time, pick_phone,
};

/// One usable row.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    /// `order_id:event_type`, the idempotency key: the same delivered row uploaded twice is a
    /// duplicate, while the created and delivered rows of one order are two events.
    pub external_id: String,
    pub normalized: Normalized,
    /// Tells a corrected row apart from a re-upload of the same row under the same key.
    pub content_hash: [u8; 32],
}

/// A row with the physical line it starts on, so the merchant can find it in their spreadsheet.
#[derive(Debug, Clone, PartialEq)]
pub struct RowResult {
    pub line: u64,
    /// `Err` is the reason the row was rejected, written for the merchant.
    pub result: Result<CsvRow, String>,
}

/// Problems with the file as a whole; each ends the upload.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("the header row is missing required column(s): {}", .0.join(", "))]
    MissingColumns(Vec<&'static str>),
    #[error("the file is empty (no header row)")]
    Empty,
    /// Never carries file content, as it ends up in logs and API responses.
    #[error("{0}")]
    Read(String),
}

/// One documented column. The API serves [`COLUMNS`] as the upload format, so the docs and the
/// parser cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDoc {
    pub name: &'static str,
    /// Written the way they are compared: header cells are lowercased and everything but a-z and
    /// 0-9 is dropped, so `Order ID`, `order_id` and `ORDER-ID` are all `orderid`.
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub description: &'static str,
}

const fn col(
    name: &'static str,
    aliases: &'static [&'static str],
    required: bool,
    description: &'static str,
) -> ColumnDoc {
    ColumnDoc { name, aliases, required, description }
}

/// Index of each column in [`COLUMNS`] (same order; a test checks it).
#[rustfmt::skip]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    OrderId, Event, OccurredAt, Phone, Country, CustomerName, FirstName, LastName, Email, CustomerId, Locale,
    Timezone, MarketingConsent, Currency, Total, OrderName, Sku, ProductTitle, ProductId, Quantity, UnitPrice,
}

#[rustfmt::skip]
pub const COLUMNS: &[ColumnDoc] = &[
    col("order_id", &["order", "orderno", "ordernumber", "orderref", "orderreference", "id"], true,
        "The store's order id. With the event it identifies the row: uploading it again is a no-op."),
    col("event", &["eventtype", "type", "status", "orderstatus"], false,
        "created, paid, fulfilled, delivered, cancelled or refunded (an `order.` prefix is fine). Empty means delivered."),
    col("occurred_at", &["date", "eventdate", "deliveredat", "delivereddate", "timestamp", "datetime", "createdat"], false,
        "When it happened: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC) or `YYYY-MM-DD` (noon UTC)."),
    col("phone", &["phonenumber", "mobile", "mobilephone", "cell", "cellphone", "whatsapp", "whatsappnumber", "customerphone", "tel", "telephone"], true,
        "The customer's mobile number, international (+90 ...) or national with a country."),
    col("country", &["countrycode", "shippingcountry", "shippingcountrycode"], false,
        "ISO 3166 two-letter country used to read national phone numbers; defaults to the store's country."),
    col("customer_name", &["name", "customername", "fullname"], false, "Full name; used instead of first/last name."),
    col("first_name", &["firstname", "givenname"], false, "Given name."),
    col("last_name", &["lastname", "surname", "familyname"], false, "Family name."),
    col("email", &["emailaddress", "customeremail"], false, "Email address; stored encrypted."),
    col("customer_id", &["customerid", "externalcustomerid"], false, "The store's customer id."),
    col("locale", &["language", "lang"], false, "Language hint such as `tr` or `pt-BR`."),
    col("timezone", &["tz", "timezonename"], false, "IANA time zone such as `Europe/Istanbul`."),
    col("marketing_consent", &["acceptsmarketing", "marketingoptin", "optin", "whatsappoptin", "consent"], false,
        "WhatsApp marketing consent: yes/no, true/false, 1/0, subscribed/unsubscribed, opted_in/opted_out. Empty says nothing."),
    col("currency", &[], false, "ISO 4217 three-letter code; needed when total or unit_price is given."),
    col("total", &["ordertotal", "totalprice", "amount", "totalamount"], false, "Order total as a decimal (`1249.90`)."),
    col("order_name", &["ordername", "displaynumber"], false, "The order number shown to the customer (`#1001`)."),
    col("sku", &["productsku", "variantsku"], false, "SKU of the product."),
    col("product_title", &["product", "producttitle", "productname", "item", "itemname", "title"], false,
        "Product name; with sku it makes one line item."),
    col("product_id", &["productid"], false, "The store's product id."),
    col("quantity", &["qty"], false, "Positive whole number; default 1."),
    col("unit_price", &["unitprice", "price", "itemprice"], false, "Price of one item as a decimal."),
];

/// A single row longer than this means a quote was left open and the rest of the file is being
/// swallowed into one cell; it is refused rather than buffered.
const MAX_ROW_BYTES: u64 = 1 << 20;
const TOO_LONG: &str = "a row is longer than 1 MiB; is a quote left open?";

/// Sits under the csv reader. It refuses to pull a row past [`MAX_ROW_BYTES`], and keeps the raw
/// bytes of the current row: csv positions count `\n`s, so after a CRLF or blank lines a record's
/// position is a line early, and only the raw bytes tell by how much.
struct Guarded<R> {
    inner: R,
    limit: u64,
    /// Raw bytes from offset `base` up to what has been read.
    window: VecDeque<u8>,
    base: u64,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.base + self.window.len() as u64 > self.limit {
            return Err(std::io::Error::other(TOO_LONG));
        }
        let n = self.inner.read(buf)?;
        self.window.extend(&buf[..n]);
        Ok(n)
    }
}

impl<R> Guarded<R> {
    /// Forgets the bytes before `offset`, where the next record starts.
    fn start_at(&mut self, offset: u64) {
        let drop =
            usize::try_from(offset.saturating_sub(self.base)).unwrap_or(usize::MAX).min(self.window.len());
        self.window.drain(..drop);
        self.base += drop as u64;
        self.limit = offset + MAX_ROW_BYTES;
    }

    /// Line breaks the parser skipped before the record's first byte (a CRLF's `\n`, blank lines).
    fn skipped_lines(&self) -> u64 {
        let run = self.window.iter().take_while(|b| matches!(b, b'\r' | b'\n'));
        run.filter(|b| **b == b'\n').count() as u64
    }
}

/// The rows of an upload, read lazily. An `Err` item is fatal and is the last item.
pub struct CsvRows<R: Read> {
    reader: csv::Reader<Guarded<R>>,
    /// Header position of each column of [`COLUMNS`].
    columns: Vec<Option<usize>>,
    header_len: usize,
    default_country: Option<String>,
    record: ByteRecord,
    done: bool,
}

/// Reads and maps the header row, so a wrong file fails before any row is looked at.
/// `default_country` reads national phone numbers of rows without a country.
pub fn rows<R: Read>(input: R, default_country: Option<&str>) -> Result<CsvRows<R>, CsvError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(Guarded {
        inner: input,
        limit: MAX_ROW_BYTES,
        window: VecDeque::new(),
        base: 0,
    });
    let header = reader.byte_headers().map_err(|e| read_error(&e, 1))?;
    if header.iter().all(|cell| strip_bom(cell).trim_ascii().is_empty()) {
        return Err(CsvError::Empty);
    }
    let mut columns = vec![None; COLUMNS.len()];
    for (i, cell) in header.iter().enumerate() {
        let k = key(strip_bom(cell));
        let found =
            COLUMNS.iter().position(|c| k == key(c.name.as_bytes()) || c.aliases.contains(&k.as_str()));
        if let Some(slot) = found.and_then(|c| columns.get_mut(c)).filter(|slot| slot.is_none()) {
            *slot = Some(i);
        }
    }
    let missing: Vec<_> = COLUMNS
        .iter()
        .zip(&columns)
        .filter(|(c, i)| c.required && i.is_none())
        .map(|(c, _)| c.name)
        .collect();
    if !missing.is_empty() {
        return Err(CsvError::MissingColumns(missing));
    }
    let header_len = header.len();
    Ok(CsvRows {
        reader,
        columns,
        header_len,
        default_country: default_country.map(str::to_owned),
        record: ByteRecord::new(),
        done: false,
    })
}

/// The csv crate strips a BOM only when its first read holds all three bytes; a reader that
/// trickles bytes can leave it on the first header cell.
fn strip_bom(cell: &[u8]) -> &[u8] {
    cell.strip_prefix(b"\xef\xbb\xbf").unwrap_or(cell)
}

/// Header cell in comparable form: lowercase a-z and 0-9 only.
fn key(raw: &[u8]) -> String {
    raw.iter().filter(|b| b.is_ascii_alphanumeric()).map(|b| char::from(b.to_ascii_lowercase())).collect()
}

fn read_error(e: &csv::Error, line: u64) -> CsvError {
    match e.kind() {
        csv::ErrorKind::Io(io) if io.to_string() == TOO_LONG => CsvError::Read(format!(
            "the row starting at line {line} is longer than 1 MiB; is a quote left open?"
        )),
        csv::ErrorKind::Io(io) => CsvError::Read(format!("the file could not be read: {io}")),
        _ => CsvError::Read(format!("the file is not valid CSV near line {line}")),
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<RowResult, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let start = self.reader.position().clone();
            self.reader.get_mut().start_at(start.byte());
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {
                    // Spreadsheets export trailing rows of empty cells; they are not rows anyone wrote.
                    if self.record.iter().all(<[u8]>::is_empty) {
                        continue;
                    }
                    let line = start.line() + self.reader.get_ref().skipped_lines();
                    return Some(Ok(RowResult { line, result: self.parse(line) }));
                }
                Ok(false) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(read_error(&e, start.line() + self.reader.get_ref().skipped_lines())));
                }
            }
        }
        None
    }
}

/// The row's cells by column, trimmed, empty as `None`.
struct Cells<'a>(Vec<Option<&'a str>>);

impl<'a> Cells<'a> {
    fn get(&self, c: Col) -> Option<&'a str> {
        self.0.get(c as usize).copied().flatten()
    }
}

/// Quotes a cell for a reason, unless it might be contact details (an `@`, or as many digits as a
/// phone number). Clipped so a huge cell does not become a huge reason.
fn shown(value: &str) -> String {
    if value.contains('@') || value.chars().filter(char::is_ascii_digit).count() >= 7 {
        return String::new();
    }
    let clipped: String = value.chars().take(40).collect();
    if clipped.len() < value.len() { format!(" ({clipped:?}...)") } else { format!(" ({clipped:?})") }
}

const EVENTS: &str = "created, paid, fulfilled, delivered, cancelled, refunded";

/// The event and the short name used in the topic (`csv.delivered`).
fn parse_event(raw: Option<&str>) -> Result<(EventType, &'static str), String> {
    let Some(raw) = raw else { return Ok((EventType::OrderDelivered, "delivered")) };
    let lower = raw.trim().to_lowercase();
    let value = lower.strip_prefix("order.").or_else(|| lower.strip_prefix("order_")).unwrap_or(&lower);
    Ok(match value.trim() {
        "created" | "placed" | "new" => (EventType::OrderCreated, "created"),
        "paid" => (EventType::OrderPaid, "paid"),
        "fulfilled" | "shipped" => (EventType::OrderFulfilled, "fulfilled"),
        "delivered" => (EventType::OrderDelivered, "delivered"),
        "cancelled" | "canceled" => (EventType::OrderCancelled, "cancelled"),
        "refunded" => (EventType::OrderRefunded, "refunded"),
        _ => return Err(format!("event{} is not one of {EVENTS}", shown(raw))),
    })
}

/// Spreadsheets rarely write offsets, so local-looking times are read as UTC and bare dates as
/// noon UTC (the same calendar day almost everywhere).
fn parse_occurred_at(raw: &str) -> Option<DateTime<Utc>> {
    if let Some(t) = parse_time(raw) {
        return Some(t);
    }
    const FORMATS: [&str; 6] = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ];
    if let Some(t) = FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok()) {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(12, 0, 0)).map(|t| t.and_utc())
}

fn parse_consent(raw: &str) -> Option<bool> {
    match raw.to_lowercase().replace([' ', '-'], "_").as_str() {
        "yes" | "true" | "1" | "y" | "subscribed" | "opted_in" => Some(true),
        "no" | "false" | "0" | "n" | "unsubscribed" | "opted_out" => Some(false),
        _ => None,
    }
}

fn money(column: &str, raw: &str, currency: Option<&str>) -> Result<i64, String> {
    let Some(currency) = currency else { return Err(format!("{column} needs a currency column")) };
    parse_minor(raw, currency).map_err(|e| match e {
        MoneyError::NotANumber(_) => format!("{column}{} is not a decimal number", shown(raw)),
        MoneyError::TooPrecise => format!("{column} has more decimals than {currency} allows"),
        MoneyError::TooLarge => format!("{column} is too large"),
    })
}

impl<R: Read> CsvRows<R> {
    fn parse(&self, line: u64) -> Result<CsvRow, String> {
        let mut cells = Vec::with_capacity(COLUMNS.len());
        for (c, i) in COLUMNS.iter().zip(&self.columns) {
            let cell = i.and_then(|i| self.record.get(i)).unwrap_or_default();
            let text = std::str::from_utf8(cell).map_err(|_| {
                format!("line {line} is not valid UTF-8 (column {}); save the file as UTF-8", c.name)
            })?;
            cells.push(Some(text.trim()).filter(|s| !s.is_empty()));
        }
        let short = self.record.len() < self.header_len;
        let empty = |c: Col| {
            let name = COLUMNS[c as usize].name;
            if short {
                format!(
                    "{name} is empty (the row has {} cells, the header {})",
                    self.record.len(),
                    self.header_len
                )
            } else {
                format!("{name} is empty")
            }
        };
        parse_cells(&Cells(cells), self.default_country.as_deref(), empty)
    }
}

fn parse_cells(
    cells: &Cells<'_>,
    default_country: Option<&str>,
    empty: impl Fn(Col) -> String,
) -> Result<CsvRow, String> {
    let order_id = cells.get(Col::OrderId).ok_or_else(|| empty(Col::OrderId))?;
    let (event_type, event_name) = parse_event(cells.get(Col::Event))?;
    let occurred_at = cells
        .get(Col::OccurredAt)
        .map(|raw| {
            parse_occurred_at(raw).ok_or_else(|| {
                format!("occurred_at{} is not a date; expected YYYY-MM-DD or RFC 3339", shown(raw))
            })
        })
        .transpose()?;

    let country = cells.get(Col::Country);
    if let Some(c) = country.filter(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic())) {
        return Err(format!("country{} must be a two-letter ISO 3166 code such as TR", shown(c)));
    }
    let raw_phone = cells.get(Col::Phone).ok_or_else(|| empty(Col::Phone))?;
    let candidate =
        PhoneCandidate { raw: Some(raw_phone), field: "phone", country: country.or(default_country) };
    let (phone, phone_field, used_country) = pick_phone(&[candidate])?.ok_or_else(|| empty(Col::Phone))?;

    let email = match cells.get(Col::Email) {
        Some(e) if !e.contains('@') => return Err("email is not an email address (no @)".to_owned()),
        e => e.map(str::to_lowercase),
    };
    let consent = match cells.get(Col::MarketingConsent) {
        None => Vec::new(),
        Some(raw) => {
            let granted = parse_consent(raw).ok_or_else(|| {
                format!("marketing_consent{} must be yes/no, true/false, 1/0, subscribed/unsubscribed or opted_in/opted_out", shown(raw))
            })?;
            vec![ConsentSignal {
                channel: Channel::Whatsapp,
                granted,
                source_field: "csv.marketing_consent".to_owned(),
                opt_in_level: None,
                collected_from: Some("csv".to_owned()),
                at: occurred_at,
            }]
        }
    };

    let currency = match cells.get(Col::Currency) {
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => Some(c.to_ascii_uppercase()),
        Some(c) => {
            return Err(format!("currency{} must be a three-letter ISO 4217 code such as EUR", shown(c)));
        }
        None => None,
    };
    let total_minor = cells.get(Col::Total).map(|t| money("total", t, currency.as_deref())).transpose()?;
    let unit_price_minor =
        cells.get(Col::UnitPrice).map(|p| money("unit_price", p, currency.as_deref())).transpose()?;
    let quantity = match cells.get(Col::Quantity) {
        None => 1,
        Some(q) => {
            q.parse::<i32>().ok().filter(|q| *q > 0).ok_or("quantity must be a positive whole number")?
        }
    };
    let sku = cells.get(Col::Sku).map(str::to_owned);
    let items = match cells.get(Col::ProductTitle).or(cells.get(Col::Sku)) {
        Some(title) => vec![LineItem {
            external_product_id: cells.get(Col::ProductId).map(str::to_owned),
            sku,
            title: title.to_owned(),
            quantity,
            unit_price_minor,
        }],
        None => Vec::new(),
    };

    let name = match cells.get(Col::CustomerName) {
        Some(n) => Some(n.to_owned()),
        None => full_name(cells.get(Col::FirstName), cells.get(Col::LastName)),
    };
    let owned = |c: Col| cells.get(c).map(str::to_owned);
    let event = NormalizedEvent {
        source: Source::Csv,
        event_type,
        topic: format!("csv.{event_name}"),
        occurred_at,
        order: Some(OrderFacts {
            external_id: order_id.to_owned(),
            number: owned(Col::OrderName),
            currency,
            total_minor,
            financial_status: None,
            placed_at: occurred_at.filter(|_| event_type == EventType::OrderCreated),
            cancelled_at: occurred_at.filter(|_| event_type == EventType::OrderCancelled),
            items,
        }),
        customer: Some(CustomerFacts {
            external_id: owned(Col::CustomerId),
            name,
            locale: owned(Col::Locale),
            timezone: owned(Col::Timezone),
            country: used_country,
            phone_masked: Some(phone.masked()),
            phone_field: Some(phone_field.to_owned()),
            has_email: email.is_some(),
        }),
        fulfillment: None,
        consent,
        privacy: None,
        product: None,
    };
    let normalized = Normalized { event, contact: Contact { phone: Some(phone), email }, rejection: None };
    Ok(CsvRow {
        external_id: format!("{order_id}:{}", event_type.as_str()),
        content_hash: normalized.content_hash(),
        normalized,
    })
}

/// A file merchants can download and edit; the tests make sure it parses.
pub const SAMPLE_CSV: &str = "\
order_id,event,occurred_at,phone,country,customer_name,email,marketing_consent,currency,total,product_title,sku,quantity,unit_price
1001,delivered,2024-05-02T14:30:00+03:00,0501 234 56 78,TR,Çağla Öztürk,cagla@example.com,yes,TRY,1249.90,Linen Shirt,LS-01,1,1249.90
1002,delivered,2024-05-03,+49 1512 3456789,DE,Jonas Becker,,no,EUR,89.90,\"Mug, Ceramic, 350 ml\",MUG-350,2,44.95
1003,created,2024-05-04 09:15,(201) 555-0123,US,Maria Garcia,maria@example.com,,USD,42.00,Canvas Tote,TOTE-1,1,42.00
";

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8], country: Option<&str>) -> Vec<RowResult> {
        rows(input, country).unwrap().collect::<Result<_, _>>().unwrap()
    }

    fn ok(r: &RowResult) -> &CsvRow {
        r.result.as_ref().unwrap_or_else(|e| panic!("line {} rejected: {e}", r.line))
    }

    fn err(r: &RowResult) -> &str {
        r.result.as_ref().err().map(String::as_str).unwrap_or_else(|| panic!("line {} accepted", r.line))
    }

    fn customer(r: &CsvRow) -> &CustomerFacts {
        r.normalized.event.customer.as_ref().unwrap()
    }

    fn order(r: &CsvRow) -> &OrderFacts {
        r.normalized.event.order.as_ref().unwrap()
    }

    #[test]
    fn sample_csv_parses_fully() {
        let rows = parse_all(SAMPLE_CSV.as_bytes(), None);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4]);
        let (a, b, c) = (ok(&rows[0]), ok(&rows[1]), ok(&rows[2]));

        assert_eq!(a.external_id, "1001:order.delivered");
        assert_eq!(a.normalized.contact.phone.as_ref().unwrap().expose(), "+905012345678");
        assert_eq!(a.normalized.contact.email.as_deref(), Some("cagla@example.com"));
        assert_eq!(customer(a).name.as_deref(), Some("Çağla Öztürk"));
        assert_eq!(customer(a).country.as_deref(), Some("TR"));
        assert_eq!(customer(a).phone_field.as_deref(), Some("phone"));
        assert!(customer(a).has_email);
        assert_eq!(order(a).total_minor, Some(124_990));
        assert_eq!(a.normalized.event.topic, "csv.delivered");
        assert_eq!(a.normalized.event.source, Source::Csv);
        assert_eq!(
            a.normalized.event.occurred_at,
            Some(DateTime::parse_from_rfc3339("2024-05-02T11:30:00Z").unwrap().with_timezone(&Utc))
        );
        let consent = &a.normalized.event.consent[0];
        assert!(consent.granted && consent.channel == Channel::Whatsapp);
        assert_eq!(consent.at, a.normalized.event.occurred_at);
        assert_eq!(a.normalized.rejection, None);

        assert_eq!(order(b).items[0].title, "Mug, Ceramic, 350 ml");
        assert_eq!((order(b).items[0].quantity, order(b).items[0].unit_price_minor), (2, Some(4495)));
        assert!(!customer(b).has_email && !b.normalized.event.consent[0].granted);

        assert_eq!(c.external_id, "1003:order.created");
        assert_eq!(c.normalized.event.topic, "csv.created");
        assert_eq!(order(c).placed_at, c.normalized.event.occurred_at);
        assert!(order(c).placed_at.is_some() && order(a).placed_at.is_none());
        assert!(c.normalized.event.consent.is_empty());
        assert_eq!(c.normalized.contact.phone.as_ref().unwrap().expose(), "+12015550123");
    }

    #[test]
    fn messy_file_keeps_good_rows_and_line_numbers() {
        let file = "\u{feff}Order ID,Event Type,Date,Mobile Phone,Country Code,Full Name,E-Mail Address,Product\r\n\
            A1,Delivered,2024-05-02,0501 234 56 78,TR,Çağla Öztürk,CAGLA@Example.com,\"Mug, Ceramic\"\r\n\
            A2,order.delivered,2024-05-02 10:00,+971 50 123 4567,AE,محمد,,\"Gift box\r\nwith ribbon\"\r\n\
            A3,shipped,2024-05-03T08:00:00Z,090-1234-5678,JP,山田 太郎,,Tenugui\r\n\
            \r\n\n,,,,,,,\r\n\
            A4,delivered,2024-05-03,12345,TR,Bad Phone,,X\r\n\
            A5,delivered\r\n\
            A6,exploded,2024-05-03,+4915123456789,DE,X,,Y\r\n\
            A7,delivered,31/12/2024,+4915123456789,DE,X,,Y\r\n\
            A1,delivered,2024-05-02,0501 234 56 78,TR,Çağla Öztürk,cagla@example.com,\"Mug, Ceramic\"\r\n";
        let rows = parse_all(file.as_bytes(), None);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 5, 9, 10, 11, 12, 13]);

        let a1 = ok(&rows[0]);
        assert_eq!(customer(a1).name.as_deref(), Some("Çağla Öztürk"));
        assert_eq!(order(a1).items[0].title, "Mug, Ceramic");
        assert_eq!(a1.normalized.contact.email.as_deref(), Some("cagla@example.com"));
        assert_eq!(a1.normalized.event.occurred_at.unwrap().to_rfc3339(), "2024-05-02T12:00:00+00:00");

        let a2 = ok(&rows[1]);
        assert_eq!(customer(a2).name.as_deref(), Some("محمد"));
        assert_eq!(order(a2).items[0].title, "Gift box\r\nwith ribbon");
        assert_eq!(a2.normalized.contact.phone.as_ref().unwrap().expose(), "+971501234567");

        let a3 = ok(&rows[2]);
        assert_eq!(customer(a3).name.as_deref(), Some("山田 太郎"));
        assert_eq!(a3.normalized.event.event_type, EventType::OrderFulfilled);
        assert_eq!(a3.normalized.contact.phone.as_ref().unwrap().expose(), "+819012345678");

        assert!(err(&rows[3]).contains("no usable phone number"), "{}", err(&rows[3]));
        assert_eq!(err(&rows[4]), "phone is empty (the row has 2 cells, the header 8)");
        assert!(
            err(&rows[5]).contains("\"exploded\"") && err(&rows[5]).contains(EVENTS),
            "{}",
            err(&rows[5])
        );
        assert!(err(&rows[6]).contains("expected YYYY-MM-DD or RFC 3339"), "{}", err(&rows[6]));

        let dup = ok(&rows[7]);
        assert_eq!(dup.external_id, a1.external_id);
        assert_eq!(dup.content_hash, a1.content_hash);
    }

    #[test]
    fn header_aliases_match_in_any_case_or_punctuation() {
        let file = "Notes,ORDER-NUMBER,id, Phone_Number ,WhatsApp,First Name,SURNAME,order total,CURRENCY,Qty,Item Name,status\n\
            ignored,1001,999,+4915123456789,+905012345678,Jonas,Becker,10.50,eur,3,Socks,Order_Cancelled\n";
        let rows = parse_all(file.as_bytes(), None);
        let r = ok(&rows[0]);
        assert_eq!(r.external_id, "1001:order.cancelled");
        assert_eq!(r.normalized.contact.phone.as_ref().unwrap().expose(), "+4915123456789");
        assert_eq!(customer(r).name.as_deref(), Some("Jonas Becker"));
        assert_eq!((order(r).currency.as_deref(), order(r).total_minor), (Some("EUR"), Some(1050)));
        assert_eq!((order(r).items[0].title.as_str(), order(r).items[0].quantity), ("Socks", 3));
        assert_eq!(order(r).cancelled_at, None, "no date given");
    }

    #[test]
    fn missing_required_header_names_it() {
        let e = rows(&b"order_id,name\n1,Ann\n"[..], None).err().unwrap();
        assert!(matches!(&e, CsvError::MissingColumns(c) if c == &["phone"]), "{e:?}");
        assert!(e.to_string().contains("phone"));
        let e = rows(&b"email\n"[..], None).err().unwrap();
        assert!(matches!(&e, CsvError::MissingColumns(c) if c == &["order_id", "phone"]), "{e:?}");
    }

    #[test]
    fn empty_input_has_no_header() {
        for input in [&b""[..], b"\r\n\r\n", b"\xef\xbb\xbf", b" , ,\n"] {
            assert!(matches!(rows(input, None), Err(CsvError::Empty)), "{input:?}");
        }
    }

    #[test]
    fn bom_is_stripped_even_when_bytes_trickle_in() {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let Some((first, rest)) = self.0.split_first() else { return Ok(0) };
                buf[0] = *first;
                self.0 = rest;
                Ok(1)
            }
        }
        let file = "\u{feff}order_id,phone\n7,+4915123456789\n";
        assert_eq!(strip_bom(b"\xef\xbb\xbforder_id"), b"order_id");
        let whole: Vec<_> = rows(file.as_bytes(), None).unwrap().collect();
        let trickled: Vec<_> = rows(OneByte(file.as_bytes()), None).unwrap().collect();
        for items in [whole, trickled] {
            let row = items.into_iter().next().unwrap().unwrap();
            assert_eq!(ok(&row).external_id, "7:order.delivered");
        }
    }

    #[test]
    fn invalid_utf8_rejects_only_that_row() {
        let file = b"order_id,phone,name\n1,+4915123456789,J\xf6rg\n2,+4915123456789,J\xc3\xb6rg\n";
        let rows = parse_all(file, None);
        assert_eq!(err(&rows[0]), "line 2 is not valid UTF-8 (column customer_name); save the file as UTF-8");
        assert_eq!(customer(ok(&rows[1])).name.as_deref(), Some("Jörg"));
    }

    #[test]
    fn national_numbers_use_the_row_or_default_country() {
        let file = "order_id,phone,country\n1,0501 234 56 78,\n2,0151 23456789,de\n";
        let rows = parse_all(file.as_bytes(), Some("TR"));
        assert_eq!(ok(&rows[0]).normalized.contact.phone.as_ref().unwrap().expose(), "+905012345678");
        assert_eq!(customer(ok(&rows[0])).country.as_deref(), Some("TR"));
        assert_eq!(customer(ok(&rows[1])).country.as_deref(), Some("DE"));
        assert_eq!(customer(ok(&rows[0])).phone_masked.as_deref(), Some("+90 *** *** 56 78"));
        assert!(err(&parse_all(file.as_bytes(), None)[0]).contains("no usable phone number"));
    }

    #[test]
    fn cells_are_validated_with_readable_reasons() {
        let head =
            "order_id,phone,event,country,currency,total,unit_price,quantity,email,marketing_consent,sku\n";
        let cases = [
            (
                "1,+4915123456789,,TUR,,,,,,,",
                "country (\"TUR\") must be a two-letter ISO 3166 code such as TR",
            ),
            (
                "1,+4915123456789,,,EURO,,,,,,",
                "currency (\"EURO\") must be a three-letter ISO 4217 code such as EUR",
            ),
            ("1,+4915123456789,,,,9.99,,,,,", "total needs a currency column"),
            ("1,+4915123456789,,,EUR,9.999,,,,,", "total has more decimals than EUR allows"),
            ("1,+4915123456789,,,EUR,ten,,,,,", "total (\"ten\") is not a decimal number"),
            ("1,+4915123456789,,,,,5,,,,", "unit_price needs a currency column"),
            ("1,+4915123456789,,,,,,0,,,", "quantity must be a positive whole number"),
            ("1,+4915123456789,,,,,,1.5,,,", "quantity must be a positive whole number"),
            ("1,+4915123456789,,,,,,,ann.example.com,,", "email is not an email address (no @)"),
            ("1,+4915123456789,,,,,,,,maybe,", "marketing_consent (\"maybe\") must be yes/no"),
            (",+4915123456789,,,,,,,,,", "order_id is empty"),
            ("1,,,,,,,,,,", "phone is empty"),
        ];
        for (row, want) in cases {
            let rows = parse_all(format!("{head}{row}\n").as_bytes(), None);
            assert!(err(&rows[0]).starts_with(want), "{row}: {}", err(&rows[0]));
        }
        let long = "x".repeat(500);
        let rows = parse_all(format!("{head}1,+4915123456789,{long},,,,,,,,\n").as_bytes(), None);
        assert!(err(&rows[0]).len() < 150 && err(&rows[0]).contains("x\"...)"), "{}", err(&rows[0]));

        let rows = parse_all(
            format!("{head}1,+4915123456789,Placed,,jpy,1000,,,,Opted-In,SKU-9\n").as_bytes(),
            None,
        );
        let r = ok(&rows[0]);
        assert_eq!(
            (r.normalized.event.event_type, order(r).total_minor),
            (EventType::OrderCreated, Some(1000))
        );
        assert_eq!(order(r).items[0].title, "SKU-9");
        assert!(r.normalized.event.consent[0].granted);
    }

    #[test]
    fn reasons_never_echo_contact_details() {
        let head = "order_id,phone,event,occurred_at,email,currency,total,quantity,country\n";
        let bad = [
            "1,+90 501 234 5,,,,,,,",
            "1,+4915123456789,+90 501 234 56 78,,,,,,",
            "1,+4915123456789,,05012345678,,,,,",
            "1,+4915123456789,,,ann.example.com,,,,",
            "1,+4915123456789,,,,ann@example.com,,,",
            "1,+4915123456789,,,,EUR,ann@example.com,,",
            "1,+4915123456789,,,,,,+90 501 234 56 78,",
            "1,+4915123456789,,,,,,,0501234567",
            "1,0501 234 56 78,,,,,,,ZZ",
        ];
        for row in bad {
            let rows = parse_all(format!("{head}{row}\n").as_bytes(), None);
            let reason = err(&rows[0]);
            let digits: String = reason.chars().filter(char::is_ascii_digit).collect();
            assert!(!digits.contains("501234") && !digits.contains("1512345"), "{row}: {reason}");
            assert!(!reason.contains("example"), "{row}: {reason}");
        }
    }

    #[test]
    fn key_and_hash_follow_event_and_content() {
        let file = "order_id,phone,event,total,currency\n9,+4915123456789,created,1,EUR\n9,+4915123456789,,1,EUR\n\
            9,+4915123456789,delivered,2,EUR\n";
        let rows = parse_all(file.as_bytes(), None);
        let (created, delivered, changed) = (ok(&rows[0]), ok(&rows[1]), ok(&rows[2]));
        assert_eq!(
            (created.external_id.as_str(), delivered.external_id.as_str()),
            ("9:order.created", "9:order.delivered")
        );
        assert_eq!(changed.external_id, delivered.external_id);
        assert_ne!(changed.content_hash, delivered.content_hash);
        assert_eq!(delivered.content_hash, delivered.normalized.content_hash());
    }

    #[test]
    fn occurred_at_formats() {
        let at = |s| parse_occurred_at(s).map(|t| t.to_rfc3339());
        assert_eq!(at("2024-05-02T14:30:00+03:00").as_deref(), Some("2024-05-02T11:30:00+00:00"));
        assert_eq!(at("2024-05-02 14:30").as_deref(), Some("2024-05-02T14:30:00+00:00"));
        assert_eq!(at("2024-05-02T14:30:15").as_deref(), Some("2024-05-02T14:30:15+00:00"));
        assert_eq!(at("2024-05-02").as_deref(), Some("2024-05-02T12:00:00+00:00"));
        assert_eq!(at("02.05.2024"), None);
        assert_eq!(at("2024-02-30"), None);
    }

    #[test]
    fn fatal_errors_end_the_iteration() {
        let mut file = b"order_id,phone\r\n1,+4915123456789\r\n2,\"never closed".to_vec();
        file.resize(file.len() + 2 * MAX_ROW_BYTES as usize, b'x');
        let items: Vec<_> = rows(&file[..], None).unwrap().collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        let e = items[1].as_ref().err().unwrap().to_string();
        assert_eq!(e, "the row starting at line 3 is longer than 1 MiB; is a quote left open?");

        struct Broken(bool);
        impl Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if std::mem::replace(&mut self.0, true) {
                    return Err(std::io::Error::other("connection reset"));
                }
                let head = b"order_id,phone\n";
                buf[..head.len()].copy_from_slice(head);
                Ok(head.len())
            }
        }
        let mut it = rows(Broken(false), None).unwrap();
        assert!(
            matches!(it.next(), Some(Err(CsvError::Read(m))) if m == "the file could not be read: connection reset")
        );
        assert!(it.next().is_none());
    }

    #[test]
    fn column_table_is_consistent() {
        #[rustfmt::skip]
        let order = [
            (Col::OrderId, "order_id"), (Col::Event, "event"), (Col::OccurredAt, "occurred_at"), (Col::Phone, "phone"),
            (Col::Country, "country"), (Col::CustomerName, "customer_name"), (Col::FirstName, "first_name"),
            (Col::LastName, "last_name"), (Col::Email, "email"), (Col::CustomerId, "customer_id"),
            (Col::Locale, "locale"), (Col::Timezone, "timezone"), (Col::MarketingConsent, "marketing_consent"),
            (Col::Currency, "currency"), (Col::Total, "total"), (Col::OrderName, "order_name"), (Col::Sku, "sku"),
            (Col::ProductTitle, "product_title"), (Col::ProductId, "product_id"), (Col::Quantity, "quantity"),
            (Col::UnitPrice, "unit_price"),
        ];
        assert_eq!(order.len(), COLUMNS.len());
        for (c, name) in order {
            assert_eq!(COLUMNS[c as usize].name, name);
        }
        let mut seen = std::collections::HashMap::new();
        for c in COLUMNS {
            for k in std::iter::once(key(c.name.as_bytes())).chain(c.aliases.iter().map(|a| a.to_string())) {
                assert_eq!(key(k.as_bytes()), k, "alias {k} is not in compared form");
                let first = *seen.entry(k.clone()).or_insert(c.name);
                assert!(first == c.name, "{k} belongs to both {first} and {}", c.name);
            }
        }
        let required: Vec<_> = COLUMNS.iter().filter(|c| c.required).map(|c| c.name).collect();
        assert_eq!(required, ["order_id", "phone"]);
    }
}
