//! An export of 100,000 items streams in bounded memory: its own test binary, so the allocator
//! measures nothing but the export.

mod common;

use std::io::Write;

use common::item;
use duluan_index::{ExportFormat, ExportWriter, Query, SearchIndex};
use peak_alloc::PeakAlloc;

#[global_allocator]
static MEMORY: PeakAlloc = PeakAlloc;

const ITEMS: usize = 100_000;

/// Counts what it is given and keeps none of it, like a socket.
#[derive(Default)]
struct Counting(u64);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn exporting_a_hundred_thousand_rows_keeps_memory_flat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (index, _) = SearchIndex::open(&dir.path().join("index")).expect("open");
    let mut w = index.writer(50_000_000).expect("writer");
    for n in 0..ITEMS {
        let text = format!("Người dân phản ánh tình trạng ngập úng kéo dài tại phường số {n}, mưa lớn từ chiều qua.");
        w.upsert(&item(&format!("item-{n:06}"), &format!("Ngập úng ở phường {n}"), &text, "wire", 1 + (n % 28) as u32))
            .expect("add");
    }
    w.commit(1).expect("commit");
    w.finish().expect("finish");

    // One pass first: the store's block cache and the term dictionary load on first use (about
    // 3 MB, bounded by the cache size, not by the export).
    index.export(&Query { text: "ngap".into(), ..Query::default() }, |_| true).expect("warm-up");
    for format in [ExportFormat::Csv, ExportFormat::Ndjson, ExportFormat::Json] {
        let before = MEMORY.current_usage();
        MEMORY.reset_peak_usage();
        let mut out = ExportWriter::new(Counting::default(), format).expect("start");
        let rows = index
            .export(&Query { text: "ngap".into(), ..Query::default() }, |row| out.row(&row).is_ok())
            .expect("export");
        let written = out.finish().expect("finish").0;
        let peak = MEMORY.peak_usage().saturating_sub(before);
        assert_eq!(rows, ITEMS as u64);
        assert!(written > 15_000_000, "{format:?}: {written} bytes written");
        // The output is over 15 MB; holding it (or the rows) would show here.
        assert!(peak < 1_000_000, "{format:?}: peak {peak} bytes above the start for {written} bytes written");
        eprintln!("{format:?}: {rows} rows, {written} bytes written, peak {peak} bytes above the start");
    }
}
