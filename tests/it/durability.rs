//! kill -9 in the middle of a crawl: after restarts every page is stored exactly once and the
//! index holds exactly the store's items.

use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use duluan_store::Store;

use crate::support::{Duluan, article_page, serve, stderr};

const PAGES: usize = 5000;

fn site() -> Router {
    Router::new()
        .route("/sitemap.xml", get(|| async {
            let urls: String = (0..PAGES).map(|n| format!("<url><loc>/bai/tin-so-{n}.html</loc></url>")).collect();
            format!("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>")
        }))
        .route("/bai/{slug}", get(|axum::extract::Path(slug): axum::extract::Path<String>| async move {
            let n = slug.trim_end_matches(".html").rsplit('-').next().unwrap_or("0").to_string();
            let body = format!(
                "Bản tin số {n} của phường: đường dây nóng tiếp nhận {n} phản ánh về trật tự đô thị, rác thải và chiếu sáng công cộng trong tuần.\n\n\
                 Ủy ban phường cho biết đã xử lý xong phần lớn phản ánh số {n} và sẽ công khai kết quả trên cổng thông tin."
            );
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], article_page(&format!("Bản tin phường số {n}"), &body, None)).into_response()
        }))
}

fn crawl_cmd(d: &Duluan, sources: &std::path::Path) -> std::process::Command {
    let mut c = d.cmd();
    c.env("DULUAN__CRAWL__SOURCES", sources)
        .env("DULUAN__CRAWL__ALLOW_LOOPBACK", "true")
        .env("DULUAN__CRAWL__PER_HOST_DELAY_MS", "0")
        .env("DULUAN__CRAWL__PER_HOST_CONCURRENCY", "8")
        .env("DULUAN__CRAWL__WORKERS", "8")
        .env("DULUAN__CRAWL__MAX_ITEMS_PER_POLL", "10000")
        .env("DULUAN__INDEX__COMMIT_EVERY_MS", "200");
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_crawl_loses_nothing_and_duplicates_nothing() {
    let (base, log) = serve(site(), "127.0.0.1").await;
    let d = Duluan::new();
    let sources = d.dir.path().join("sources.toml");
    std::fs::write(
        &sources,
        format!("[[source]]\nid = \"phuong\"\ntype = \"sitemap\"\nurl = \"{base}/sitemap.xml\"\n"),
    )
    .unwrap();

    // Kill the crawler three times at different points of the crawl.
    for wait_ms in [1500u64, 2500, 2000] {
        let mut child = crawl_cmd(&d, &sources)
            .arg("crawl")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let killed_at = log.lock().unwrap().iter().filter(|(p, _, _)| p.starts_with("/bai/")).count();
    assert!(killed_at > 0 && killed_at < PAGES, "the kills must land mid-crawl ({killed_at} pages fetched)");

    // A last, complete pass.
    let done = crawl_cmd(&d, &sources).args(["crawl", "--once"]).output().unwrap();
    assert!(done.status.success(), "{}", stderr(&done));

    let url = format!("sqlite://{}?mode=rwc", d.data_dir().join("duluan.db").display());
    let store = duluan_store::SqlStore::connect(&url, 2).await.unwrap();
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.items, PAGES as i64, "every page stored exactly once");
    let frontier = store.frontier_counts(Some("phuong")).await.unwrap();
    assert_eq!((frontier.done, frontier.queued, frontier.leased, frontier.failed), (PAGES as i64, 0, 0, 0));
    let index = duluan_index::SearchIndex::open_read_only(&d.data_dir().join("index")).unwrap();
    assert_eq!(index.num_docs(), PAGES as u64, "the index holds exactly the store's items");
    // Pages in flight at a kill may be fetched again; nothing else is.
    let fetched = log.lock().unwrap().iter().filter(|(p, _, _)| p.starts_with("/bai/")).count();
    eprintln!("kill -9 ×3: {killed_at} pages fetched before the last kill, {fetched} fetches in all for {PAGES} pages");
    assert!(fetched <= PAGES + 3 * 8 * 4, "{fetched} page fetches for {PAGES} pages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_or_missing_index_is_rebuilt_from_the_store_at_start() {
    use crate::support::Harness;
    let h = Harness::new(|_| {}).await;
    let records = (0..20).map(|n| duluan_pipeline::IngestRecord::Text {
        label: format!("r{n}"),
        url: format!("https://bao.example/ban-tin-{n}.html"),
        title: format!("Bản tin phường số {n}"),
        text: format!("Đường dây nóng của phường tiếp nhận {n} phản ánh về chiếu sáng công cộng và rác thải."),
        published_at: None,
        lang: None,
    });
    duluan_pipeline::ingest(h.pipeline.clone(), records, "test", 2, |_, _| {}).await.unwrap();
    h.flush().await;
    let index_dir = h.pipeline.config.index_dir();
    let dir = h.close().await;

    // Garbage where tantivy's metadata was, then no index directory at all.
    std::fs::write(index_dir.join("meta.json"), b"{ not json").unwrap();
    let h = Harness::open(dir, |_| {}).await;
    h.flush().await;
    assert_eq!(h.pipeline.index.num_docs(), 20, "rebuilt after corruption");
    let dir = h.close().await;
    std::fs::remove_dir_all(&index_dir).unwrap();
    let h = Harness::open(dir, |_| {}).await;
    h.flush().await;
    assert_eq!(h.pipeline.index.num_docs(), 20, "rebuilt after deletion");
    h.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_committed_to_the_store_but_not_the_index_are_indexed_after_restart() {
    use crate::support::Harness;
    let records = |from: usize, to: usize| {
        (from..to).map(|n| duluan_pipeline::IngestRecord::Text {
            label: format!("r{n}"),
            url: format!("https://bao.example/tin-{n}.html"),
            title: format!("Tin nhanh số {n}"),
            text: format!("Ủy ban phường thông báo lịch cắt điện số {n} để bảo trì lưới điện khu dân cư."),
            published_at: None,
            lang: None,
        })
    };
    let mut h = Harness::new(|_| {}).await;
    duluan_pipeline::ingest(h.pipeline.clone(), records(0, 10), "test", 2, |_, _| {}).await.unwrap();
    h.flush().await;
    // Stop the indexer: what is stored now reaches the store and never the index, as if the
    // process died between the two commits.
    h.indexer.take().unwrap().shutdown().await.unwrap();
    duluan_pipeline::ingest(h.pipeline.clone(), records(10, 25), "test", 2, |_, _| {}).await.unwrap();
    assert_eq!(h.pipeline.store.counts().await.unwrap().items, 25);
    assert_eq!(h.pipeline.index.num_docs(), 10);
    let dir = h.close().await;

    let h = Harness::open(dir, |_| {}).await;
    h.flush().await;
    assert_eq!(h.pipeline.index.num_docs(), 25, "the index caught up with the store");
    // Storing the same records again changes nothing: no new items, no new documents.
    duluan_pipeline::ingest(h.pipeline.clone(), records(0, 25), "test", 2, |_, _| {}).await.unwrap();
    h.flush().await;
    assert_eq!(h.pipeline.store.counts().await.unwrap().items, 25);
    assert_eq!(h.pipeline.index.num_docs(), 25);
    h.close().await;
}

/// 1,500 distinct news records as JSONL.
fn ingest_file(dir: &std::path::Path) -> std::path::PathBuf {
    const PLACES: [&str; 10] = [
        "Bến Nghé",
        "Tân Định",
        "Đa Kao",
        "Cầu Kho",
        "Nguyễn Cư Trinh",
        "Phạm Ngũ Lão",
        "Bến Thành",
        "Cô Giang",
        "Cầu Ông Lãnh",
        "Nguyễn Thái Bình",
    ];
    const TOPICS: [&str; 10] = [
        "sửa chữa đường ống nước",
        "lắp đèn chiếu sáng",
        "dọn rác kênh rạch",
        "cắt tỉa cây xanh",
        "chỉnh trang vỉa hè",
        "kiểm tra an toàn thực phẩm",
        "tiêm chủng mở rộng",
        "phòng chống sốt xuất huyết",
        "hỗ trợ hộ nghèo",
        "cấp giấy phép xây dựng",
    ];
    let lines: String = (0..1500)
        .map(|n| {
            let (place, topic) = (PLACES[n % 10], TOPICS[(n / 10) % 10]);
            let record = serde_json::json!({
                "url": format!("https://phuong.example/tin/{n}.html"),
                "title": format!("Phường {place}: {topic}, đợt {n}"),
                "text": format!("Ủy ban nhân dân phường {place} cho biết đợt {n} của chương trình {topic} bắt đầu từ sáng nay. \
                                 Người dân được đề nghị phối hợp, phản ánh qua đường dây nóng số {n} nếu có vướng mắc."),
            });
            format!("{record}\n")
        })
        .collect();
    let path = dir.join("tin.jsonl");
    std::fs::write(&path, lines).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_ingest_a_hundred_times_loses_and_duplicates_nothing() {
    let d = Duluan::new();
    let file = ingest_file(d.dir.path());
    let url = format!("sqlite://{}?mode=rwc", d.data_dir().join("duluan.db").display());
    // A fixed pseudo-random sequence of kill delays (30–400 ms), so a failure can be replayed.
    let mut seed: u64 = 0x5eed_d01a;
    let mut stored_before = 0;
    for round in 0..100 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let wait_ms = 30 + (seed >> 33) % 370;
        let mut child = d
            .cmd()
            .args(["ingest", "--source", "phuong"])
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        if round % 10 == 9 {
            // What was committed stays committed, once, and the index never runs ahead of it.
            let store = duluan_store::SqlStore::connect(&url, 1).await.unwrap();
            let stored = store.counts().await.unwrap().items;
            assert!(stored >= stored_before && stored <= 1500, "round {round}: {stored} items after {stored_before}");
            stored_before = stored;
            if let Ok(index) = duluan_index::SearchIndex::open_read_only(&d.data_dir().join("index")) {
                assert!(index.num_docs() <= stored as u64, "round {round}: index ahead of the store");
            }
        }
    }
    assert!(stored_before < 1500, "the kills must land mid-ingest ({stored_before} stored)");

    let done = d.run(&["ingest", "--source", "phuong", &file.display().to_string()], None);
    assert!(done.status.success(), "{}", stderr(&done));
    let store = duluan_store::SqlStore::connect(&url, 1).await.unwrap();
    assert_eq!(store.counts().await.unwrap().items, 1500, "every record stored exactly once");
    let index = duluan_index::SearchIndex::open_read_only(&d.data_dir().join("index")).unwrap();
    assert_eq!(index.num_docs(), 1500, "the index caught up with the store");
    eprintln!("kill -9 ×100 during ingest: {stored_before} items stored before the last check, 1500 after");
}

/// Unmounts a test's tmpfs when dropped.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_pauses_indexing_and_it_resumes_when_space_returns() {
    use std::io::Write;

    use crate::support::Harness;
    let dir = tempfile::tempdir().unwrap();
    let index_dir = dir.path().join("data").join("index");
    std::fs::create_dir_all(&index_dir).unwrap();
    // The index gets a small disk of its own; the store stays on the normal one.
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&index_dir)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("cannot mount a tmpfs here (needs root): full-disk test skipped");
        return;
    }
    let _unmount = Mounted(index_dir.clone());
    let records = |from: usize, to: usize| {
        (from..to).map(|n| duluan_pipeline::IngestRecord::Text {
            label: format!("r{n}"),
            url: format!("https://bao.example/dia-day-{n}.html"),
            title: format!("Bản tin số {n}"),
            text: format!("Bản tin số {n}: ").repeat(20)
                + "Ủy ban phường thông báo kế hoạch chỉnh trang vỉa hè và chiếu sáng công cộng trong quý tới.",
            published_at: None,
            lang: None,
        })
    };
    let h = Harness::open(dir, |_| {}).await;
    duluan_pipeline::ingest(h.pipeline.clone(), records(0, 20), "test", 2, |_, _| {}).await.unwrap();
    h.flush().await;
    assert_eq!(h.pipeline.index.num_docs(), 20);

    // Fill the index's disk to the last byte.
    let filler_path = index_dir.join("filler");
    let mut filler = std::fs::File::create(&filler_path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while filler.write_all(&chunk).is_ok() {}
    while filler.write_all(&chunk[..512]).is_ok() {}
    drop(filler);

    // Items keep being stored (acknowledged); indexing fails, pauses and says so.
    duluan_pipeline::ingest(h.pipeline.clone(), records(20, 220), "test", 2, |_, _| {}).await.unwrap();
    assert_eq!(h.pipeline.store.counts().await.unwrap().items, 220);
    let progress = h.indexer.as_ref().unwrap().progress();
    for _ in 0..100 {
        if progress.failing.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(progress.failing.load(std::sync::atomic::Ordering::SeqCst), "the failure is surfaced");
    assert_eq!(h.pipeline.index.num_docs(), 20, "nothing half-committed is visible");

    // Space returns: the same indexer catches up without a restart.
    std::fs::remove_file(&filler_path).unwrap();
    tokio::time::timeout(Duration::from_secs(60), h.flush()).await.expect("indexing resumed");
    assert_eq!(h.pipeline.index.num_docs(), 220);
    assert!(!progress.failing.load(std::sync::atomic::Ordering::SeqCst));
    h.close().await;
}
