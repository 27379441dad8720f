//! The file's records with the line number a spreadsheet shows for each. A spreadsheet
//! counts rows, not text lines: a cell holding a line break is still one row, while a blank
//! line is an empty row. The csv reader skips blank lines without saying how many, so the
//! raw bytes between two records are looked at to count them; only the bytes not yet
//! matched to a record are kept, never the file.

use std::io::{self, Read};

use csv::{ByteRecord, ReaderBuilder};

/// Bytes already matched to records are dropped once this many have piled up, so that
/// dropping (a move of the rest) happens rarely.
const FORGET_AFTER: usize = 64 * 1024;

#[derive(Debug)]
pub(crate) struct Records<R> {
    reader: csv::Reader<Window<R>>,
    record: ByteRecord,
    /// The row of the record read last (0 before the first).
    last_row: u64,
    /// Whether the last record ended on `\r`, whose `\n` (if any) is read with the next one.
    ended_with_cr: bool,
}

impl<R: Read> Records<R> {
    pub(crate) fn new(input: R, delimiter: u8) -> Records<R> {
        let reader = ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            // Rows with the wrong number of cells are reported, not fatal.
            .flexible(true)
            .from_reader(Window {
                inner: input,
                bytes: Vec::new(),
                start: 0,
            });
        Records {
            reader,
            record: ByteRecord::new(),
            last_row: 0,
            ended_with_cr: false,
        }
    }

    /// Reads the next record that is not blank (`,,,` is how spreadsheets write an empty
    /// row) and returns its row; the record is then [`Records::record`].
    pub(crate) fn advance(&mut self) -> Result<Option<u64>, csv::Error> {
        loop {
            let from = self.reader.position().byte();
            if !self.reader.read_byte_record(&mut self.record)? {
                return Ok(None);
            }
            let to = self.reader.position().byte();
            let raw = self.reader.get_ref().between(from, to);
            let row = self.last_row + 1 + self.blank_lines_before(raw, from == 0);
            self.last_row = row;
            self.ended_with_cr = raw.last() == Some(&b'\r');
            self.reader.get_mut().forget_before(to);

            let blank = self
                .record
                .iter()
                .all(|cell| cell.iter().all(u8::is_ascii_whitespace));
            if !blank {
                return Ok(Some(row));
            }
        }
    }

    pub(crate) fn record(&self) -> &ByteRecord {
        &self.record
    }

    /// The blank lines at the start of `raw`, the bytes read for one record: line breaks
    /// (`\r\n`, `\n` or `\r`) before its first cell, less the `\n` finishing the previous
    /// record's `\r\n`.
    fn blank_lines_before(&self, raw: &[u8], at_start: bool) -> u64 {
        let mut raw = raw;
        if at_start {
            raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
        }
        if self.ended_with_cr {
            raw = raw.strip_prefix(b"\n").unwrap_or(raw);
        }
        let leading = raw
            .iter()
            .take_while(|&&byte| matches!(byte, b'\r' | b'\n'));
        let mut breaks = 0;
        let mut after_cr = false;
        for &byte in leading {
            // A `\n` right after `\r` is the same break.
            if !(byte == b'\n' && after_cr) {
                breaks += 1;
            }
            after_cr = byte == b'\r';
        }
        breaks
    }
}

/// The input, with the bytes read from it kept until the records they belong to are done.
#[derive(Debug)]
struct Window<R> {
    inner: R,
    bytes: Vec<u8>,
    /// The offset in the file of `bytes[0]`.
    start: u64,
}

impl<R> Window<R> {
    /// The bytes at file offsets `from..to`, or fewer if some were never read.
    fn between(&self, from: u64, to: u64) -> &[u8] {
        let offset = |at: u64| {
            usize::try_from(at.saturating_sub(self.start))
                .unwrap_or(usize::MAX)
                .min(self.bytes.len())
        };
        &self.bytes[offset(from)..offset(to).max(offset(from))]
    }

    fn forget_before(&mut self, offset: u64) {
        let done = usize::try_from(offset.saturating_sub(self.start))
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        if done >= FORGET_AFTER {
            self.bytes.drain(..done);
            self.start += done as u64;
        }
    }
}

impl<R: Read> Read for Window<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.bytes.extend_from_slice(&buffer[..count]);
        Ok(count)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut records = Records::new(text.as_bytes(), b',');
        let mut seen = Vec::new();
        while let Some(row) = records.advance().unwrap() {
            let cells = records
                .record()
                .iter()
                .map(|cell| String::from_utf8_lossy(cell).into_owned())
                .collect();
            seen.push((row, cells));
        }
        seen
    }

    fn row_numbers(text: &str) -> Vec<u64> {
        rows(text).into_iter().map(|(row, _)| row).collect()
    }

    #[test]
    fn rows_count_blank_lines_but_not_breaks_inside_cells() {
        // 1 header, 2 a cell on two lines, 3 blank, 4, 5 blank cells, 6 a cell with CRLF, 7.
        let text = "a,b\n1,\"two\nlines\"\n\n3,x\r\n, \n\"4\",\"x\r\ny\"\n5,z";
        assert_eq!(row_numbers(text), [1, 2, 4, 6, 7]);
    }

    #[test]
    fn every_kind_of_line_ending_counts_once() {
        assert_eq!(row_numbers("a\r\n\r\n\r\nb\r\nc"), [1, 4, 5]);
        assert_eq!(row_numbers("a\rb\r\rc\r"), [1, 2, 4]);
        assert_eq!(row_numbers("\n\na\n\n"), [3]);
        assert_eq!(row_numbers("\u{feff}\r\na\r\nb\r\n"), [2, 3]);
    }

    #[test]
    fn rows_are_counted_across_forgotten_bytes() {
        let mut text = String::from("h\n");
        for i in 0..20_000 {
            text.push_str(&format!("row {i}\n"));
            if i % 1000 == 0 {
                text.push_str("\n\n");
            }
        }
        let rows = rows(&text);
        assert_eq!(rows.len(), 20_001);
        // Row 19,999 comes after 20 pairs of blank lines and the header.
        assert_eq!(rows[20_000], (20_001 + 40, vec!["row 19999".to_owned()]));
    }
}
