//! Streaming readers for event files: JSON lines, JSON arrays (streamed element by element),
//! single JSON documents (a record, or a Graph page with `value`), and Log Analytics CSV exports.
//! Memory is bounded by the largest single record (capped), not by the file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use crate::adapters::{self, AdapterError};
use crate::event::Event;

/// Largest record (line, array element, document) read; bigger ones are reported and skipped.
pub const MAX_RECORD_BYTES: usize = 16 << 20;
/// Largest single JSON document (non-lines, non-array file) read whole.
pub const MAX_DOCUMENT_BYTES: u64 = 256 << 20;

/// Why one record was not turned into an event. The reader goes on with the next one.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("record larger than {MAX_RECORD_BYTES} bytes")]
    TooLarge,
    #[error("invalid CSV row: {0}")]
    Csv(String),
    #[error(transparent)]
    Adapter(#[from] AdapterError),
    #[error("read error: {0}")]
    Io(String),
}

struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Fails a read when a line grows past a bound, so a CSV row cannot make the parser buffer an
/// unbounded field; the rest of that line is skipped and parsing goes on from the next one.
struct LineLimit<R> {
    inner: R,
    since_newline: usize,
    skipping: bool,
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let mut n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            if self.skipping {
                let Some(i) = buf[..n].iter().position(|&b| b == b'\n') else {
                    continue;
                };
                self.skipping = false;
                self.since_newline = 0;
                buf.copy_within(i + 1..n, 0);
                n -= i + 1;
                if n == 0 {
                    continue;
                }
            }
            match buf[..n].iter().rposition(|&b| b == b'\n') {
                Some(i) => self.since_newline = n - i - 1,
                None => self.since_newline += n,
            }
            if self.since_newline > MAX_RECORD_BYTES {
                self.skipping = true;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "CSV row too large",
                ));
            }
            return Ok(n);
        }
    }
}

type Item = (usize, Result<Event, RecordError>);

/// Iterator over `(index, event or error)` of one file.
pub struct EventReader {
    inner: Box<dyn Iterator<Item = Item> + Send>,
    read: Arc<AtomicU64>,
    len: u64,
}

impl Iterator for EventReader {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        self.inner.next()
    }
}

impl EventReader {
    /// Bytes consumed so far, and the file size (for progress bars).
    pub fn progress(&self) -> (u64, u64) {
        (self.read.load(Ordering::Relaxed), self.len)
    }
}

/// Opens a file and picks the reader by extension (`.csv`) or by its first byte.
pub fn read_file(path: &Path) -> io::Result<EventReader> {
    let file = File::open(path)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let read = Arc::new(AtomicU64::new(0));
    let mut r = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: file,
            count: read.clone(),
        },
    );
    let is_csv = path
        .extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| x.eq_ignore_ascii_case("csv"));
    let inner: Box<dyn Iterator<Item = Item> + Send> = if is_csv {
        Box::new(csv_rows(r))
    } else {
        match first_byte(&mut r)? {
            Some(b'[') => {
                r.consume(1);
                Box::new(ArrayElements {
                    r,
                    index: 0,
                    done: false,
                })
            }
            Some(b'{') => {
                let mut first = Vec::new();
                let truncated = read_line_capped(&mut r, &mut first)?;
                let parses =
                    |b: &[u8]| serde_json::from_slice::<Value>(b).is_ok_and(|v| v.is_object());
                if truncated {
                    // Only a line-oriented file has a first line this long.
                    Box::new(
                        std::iter::once((0, Err(RecordError::TooLarge)))
                            .chain(Lines { r, index: 1 }),
                    )
                } else if parses(&first) {
                    Box::new(std::iter::once((0, record(&first))).chain(Lines { r, index: 1 }))
                } else {
                    // A pretty-printed document, or JSON lines with a broken first line: the
                    // second line decides.
                    let mut second = Vec::new();
                    let cut = read_line_capped(&mut r, &mut second)?;
                    if cut || parses(&second) {
                        let first_err = (0, record(&first));
                        let second_item = (
                            1,
                            if cut {
                                Err(RecordError::TooLarge)
                            } else {
                                record(&second)
                            },
                        );
                        Box::new(
                            [first_err, second_item]
                                .into_iter()
                                .chain(Lines { r, index: 2 }),
                        )
                    } else {
                        first.push(b'\n');
                        first.extend_from_slice(&second);
                        Box::new(document(first, r).into_iter())
                    }
                }
            }
            _ => Box::new(Lines { r, index: 0 }),
        }
    };
    Ok(EventReader { inner, read, len })
}

/// Events from an in-memory JSON value (a record, an array of records, or a Graph page).
pub fn events_from_value(v: &Value) -> Vec<Item> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => match o.get("value") {
            Some(Value::Array(a)) => a.iter().collect(),
            _ => vec![v],
        },
        _ => vec![v],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, x)| (i, adapters::parse_value(x).map_err(Into::into)))
        .collect()
}

fn first_byte<R: BufRead>(r: &mut R) -> io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        // UTF-8 byte order mark.
        if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            r.consume(3);
            continue;
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                r.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

/// Reads one line into `buf` (without the newline), keeping at most [`MAX_RECORD_BYTES`];
/// returns whether it was cut. An empty `buf` at EOF means no more lines.
fn read_line_capped<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    let mut truncated = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(truncated);
        }
        let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], i + 1),
            None => (chunk, chunk.len()),
        };
        if buf.len() + part.len() <= MAX_RECORD_BYTES {
            buf.extend_from_slice(part);
        } else {
            truncated = true;
        }
        let ended = done <= chunk.len() && chunk.get(done - 1) == Some(&b'\n');
        r.consume(done);
        if ended {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(truncated);
        }
    }
}

fn record(bytes: &[u8]) -> Result<Event, RecordError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| RecordError::Json(e.to_string()))?;
    Ok(adapters::parse_owned(v)?)
}

struct Lines<R> {
    r: R,
    index: usize,
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        let mut buf = Vec::new();
        loop {
            let at_eof = self.r.fill_buf().map(<[u8]>::is_empty);
            match at_eof {
                Ok(true) => return None,
                Ok(false) => {}
                Err(e) => return Some((self.index, Err(RecordError::Io(e.to_string())))),
            }
            let idx = self.index;
            self.index += 1;
            match read_line_capped(&mut self.r, &mut buf) {
                Err(e) => return Some((idx, Err(RecordError::Io(e.to_string())))),
                Ok(true) => return Some((idx, Err(RecordError::TooLarge))),
                Ok(false) if buf.iter().all(u8::is_ascii_whitespace) => continue,
                Ok(false) => return Some((idx, record(&buf))),
            }
        }
    }
}

fn document<R: Read>(first_line: Vec<u8>, r: R) -> Vec<Item> {
    let mut all = first_line;
    all.push(b'\n');
    if let Err(e) = r.take(MAX_DOCUMENT_BYTES).read_to_end(&mut all) {
        return vec![(0, Err(RecordError::Io(e.to_string())))];
    }
    match serde_json::from_slice::<Value>(&all) {
        Ok(v) => events_from_value(&v),
        Err(e) => vec![(0, Err(RecordError::Json(e.to_string())))],
    }
}

/// Streams the elements of a top-level JSON array, one buffer per element.
struct ArrayElements<R> {
    r: R,
    index: usize,
    done: bool,
}

impl<R: BufRead> ArrayElements<R> {
    /// Scans one element; `Ok(None)` at the closing bracket or EOF.
    fn scan(&mut self) -> io::Result<Option<(Vec<u8>, bool)>> {
        let mut buf = Vec::new();
        let mut too_large = false;
        let (mut depth, mut in_str, mut esc, mut started) = (0usize, false, false, false);
        loop {
            let chunk = self.r.fill_buf()?;
            if chunk.is_empty() {
                self.done = true;
                return Ok(started.then_some((buf, too_large)));
            }
            let mut used = 0;
            let mut finished = false;
            for &b in chunk {
                used += 1;
                if !started {
                    if b.is_ascii_whitespace() || b == b',' {
                        continue;
                    }
                    if b == b']' {
                        self.done = true;
                        finished = true;
                        break;
                    }
                    started = true;
                }
                if in_str {
                    if esc {
                        esc = false;
                    } else if b == b'\\' {
                        esc = true;
                    } else if b == b'"' {
                        in_str = false;
                    }
                } else {
                    match b {
                        b'"' => in_str = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' if depth > 0 => depth -= 1,
                        b',' | b']' if depth == 0 => {
                            if b == b']' {
                                self.done = true;
                            }
                            finished = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if buf.len() < MAX_RECORD_BYTES {
                    buf.push(b);
                } else {
                    too_large = true;
                }
                if depth == 0 && !in_str && (b == b'}' || b == b']') {
                    finished = true;
                    break;
                }
            }
            self.r.consume(used);
            if finished {
                return Ok(started.then_some((buf, too_large)));
            }
        }
    }
}

impl<R: BufRead> Iterator for ArrayElements<R> {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        if self.done {
            return None;
        }
        let idx = self.index;
        match self.scan() {
            Err(e) => {
                self.done = true;
                Some((idx, Err(RecordError::Io(e.to_string()))))
            }
            Ok(None) => None,
            Ok(Some((buf, too_large))) => {
                self.index += 1;
                if too_large {
                    return Some((idx, Err(RecordError::TooLarge)));
                }
                Some((idx, record(&buf)))
            }
        }
    }
}

fn csv_rows<R: Read + Send + 'static>(r: R) -> impl Iterator<Item = Item> + Send {
    let r = LineLimit {
        inner: r,
        since_newline: 0,
        skipping: false,
    };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(r);
    let headers: Vec<String> = rdr
        .headers()
        .map(|h| {
            h.iter()
                .map(|s| s.trim_start_matches('\u{feff}').trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    rdr.into_records().enumerate().map(move |(i, row)| {
        let row = match row {
            Ok(row) => row,
            Err(e) => return (i, Err(RecordError::Csv(e.to_string()))),
        };
        let mut m = serde_json::Map::new();
        for (h, v) in headers.iter().zip(row.iter()) {
            if !v.is_empty() && v.len() <= MAX_RECORD_BYTES {
                m.insert(h.clone(), Value::String(v.to_string()));
            }
        }
        (
            i,
            adapters::parse_row(&Value::Object(m)).map_err(Into::into),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNIN: &str = r#"{"createdDateTime":"2025-01-01T00:00:00Z","userPrincipalName":"a@x.com","ipAddress":"1.2.3.4","status":{"errorCode":0}}"#;

    fn collect(name: &str, text: &str) -> Vec<(usize, bool)> {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        read_file(&p)
            .expect("open")
            .map(|(i, r)| (i, r.is_ok()))
            .collect()
    }

    #[test]
    fn json_lines_keep_line_numbers_and_survive_junk() {
        let text = format!("{SIGNIN}\nnot json\n\n{SIGNIN}\n{{\"foo\":1}}\n");
        assert_eq!(
            collect("a.jsonl", &text),
            vec![(0, true), (1, false), (3, true), (4, false)]
        );
    }

    #[test]
    fn arrays_stream_elements() {
        let text = format!("[ {SIGNIN}, 3, {{\"a\":\"]\\\"}}\"}}, {SIGNIN} ]");
        assert_eq!(
            collect("a.json", &text),
            vec![(0, true), (1, false), (2, false), (3, true)]
        );
    }

    #[test]
    fn graph_pages_and_pretty_documents() {
        let page =
            format!("{{\n  \"@odata.context\": \"x\",\n  \"value\": [{SIGNIN}, {SIGNIN}]\n}}");
        assert_eq!(collect("p.json", &page), vec![(0, true), (1, true)]);
    }

    #[test]
    fn csv_giant_row_is_skipped() {
        let mut text = String::from("UserPrincipalName,IPAddress,ResultType,CreatedDateTime\n");
        text.push_str(&"x".repeat(MAX_RECORD_BYTES + 100));
        text.push_str(",1.2.3.4,0,2025-01-01T00:00:00Z\n");
        for _ in 0..3 {
            text.push_str("a@x.com,1.2.3.4,0,2025-01-01T00:00:00Z\n");
        }
        let got = collect("big.csv", &text);
        assert!(got.len() >= 3 && got.len() <= 5, "{got:?}");
        assert!(got.iter().filter(|(_, ok)| *ok).count() >= 2, "{got:?}");
    }

    #[test]
    fn csv_rows_are_log_analytics() {
        let text = "\u{feff}TenantId,TimeGenerated [UTC],UserPrincipalName,IPAddress,ResultType,AppDisplayName,ClientAppUsed,LocationDetails_dynamic\n\
                    t,\"1/15/2025, 9:30:25.123 AM\",a@x.com,1.2.3.4,0,Outlook,IMAP4,\"{\"\"countryOrRegion\"\":\"\"DE\"\"}\"\n";
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("SigninLogs.csv");
        std::fs::write(&p, text).expect("write");
        let got: Vec<_> = read_file(&p).expect("open").collect();
        assert_eq!(got.len(), 1);
        let e = got[0].1.as_ref().expect("event");
        assert_eq!(e.country.as_deref(), Some("DE"));
        assert_eq!(e.success, Some(true));
        assert!(e.time.is_some());
    }
}
