//! `duluan_extract::warc::WarcReader` on arbitrary bytes (plain, or gzip when they start so): no
//! panic, a bounded number of pages, each no larger than the body cap, and nothing after an error.

#![no_main]

use duluan_extract::warc::{MAX_BODY, WarcReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = WarcReader::open(std::io::Cursor::new(data.to_vec())) else { return };
    let mut failed = false;
    for (n, page) in reader.enumerate() {
        assert!(!failed, "a page after an error");
        assert!(n <= data.len(), "more pages than bytes");
        match page {
            Ok(page) => assert!(page.html.len() as u64 <= MAX_BODY && !page.html.is_empty()),
            Err(_) => failed = true,
        }
    }
});
