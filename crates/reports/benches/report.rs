//! How long a monthly report takes over a large index (issue 9: ≥ 1,000,000 items in the month,
//! goal under 10 s on the 2-core development machine).
//!
//!   cargo bench -p duluan-reports --bench report       2,000,000 items over two months (about
//!                                                      1,016,000 of them in December 2021)
//!   DULUAN_BENCH_ITEMS=200000 cargo bench -p duluan-reports --bench report
//!
//! The index is built once (items spread over November and December 2021, so the baseline
//! month is full too) and kept in target/bench/; titles and texts are drawn from the VNTC news
//! sample in ../shared/data/vi-news when present, else from a built-in set of sentences.
//! Reported: the time of the whole report (no topics, then three topics), of the fast-field
//! aggregation alone, and of the spike check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use duluan_config::{Config, Topic};
use duluan_index::{Query, SearchIndex};
use duluan_model::{Item, Label, Sentiment};
use duluan_reports::{Period, Settings};

const FALLBACK: [&str; 8] = [
    "Giá xăng dầu trong nước được điều chỉnh theo kỳ\nLiên bộ Công Thương - Tài chính điều chỉnh giá bán lẻ xăng dầu từ 15 giờ chiều nay.",
    "Học sinh Thành phố trở lại trường sau kỳ nghỉ\nCác trường đã chuẩn bị phòng học, nước sát khuẩn và kế hoạch đón học sinh.",
    "Đội tuyển bóng đá Việt Nam tập trung chuẩn bị giải đấu\nHuấn luyện viên triệu tập 30 cầu thủ cho đợt tập trung cuối năm.",
    "Chứng khoán giảm điểm phiên cuối tuần\nChỉ số VN-Index mất hơn 10 điểm khi nhóm cổ phiếu ngân hàng bị bán mạnh.",
    "Bệnh viện mở thêm phòng khám buổi tối\nNgười bệnh có thể đăng ký khám ngoài giờ hành chính từ tháng tới.",
    "Mưa lớn gây ngập nhiều tuyến đường\nTriều cường kết hợp mưa lớn khiến nhiều tuyến đường ngập sâu.",
    "Tiêm vắc xin cho trẻ em trong độ tuổi đến trường\nNgành y tế triển khai tiêm chủng tại các trường học trên địa bàn.",
    "Công an cảnh báo thủ đoạn lừa đảo qua mạng\nNhiều người mất tiền khi làm theo hướng dẫn của đối tượng giả danh.",
];

fn corpus() -> Vec<(String, String, String)> {
    let vntc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/vi-news/vntc-train-sample.jsonl");
    if let Ok(text) = std::fs::read_to_string(&vntc) {
        let docs: Vec<(String, String, String)> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| {
                let body = v["text"].as_str().unwrap_or_default().trim().to_string();
                let (title, rest) = body.split_once('\n').unwrap_or((&body, ""));
                let lead: String = rest.chars().take(600).collect();
                (title.trim().to_string(), lead, v["source"].as_str().unwrap_or("vntc").to_string())
            })
            .collect();
        if !docs.is_empty() {
            eprintln!("corpus: {} VNTC documents", docs.len());
            return docs;
        }
    }
    eprintln!("corpus: built-in sentences (../shared/data/vi-news not found)");
    FALLBACK
        .iter()
        .map(|t| {
            let (title, text) = t.split_once('\n').unwrap_or((t, ""));
            (title.to_string(), text.to_string(), "builtin".to_string())
        })
        .collect()
}

fn item(i: usize, n: usize, doc: &(String, String, String)) -> Item {
    let start = Utc.with_ymd_and_hms(2021, 10, 31, 17, 0, 0).unwrap(); // 1 Nov 00:00 in Vietnam
    let at = start + Duration::seconds((i as i64) * 61 * 86_400 / n as i64);
    let label = match i % 10 {
        0..=2 => Label::Negative,
        8 | 9 => Label::Positive,
        _ => Label::Neutral,
    };
    let score = match label {
        Label::Negative => -0.5,
        Label::Positive => 0.5,
        Label::Neutral => 0.0,
    };
    Item {
        id: format!("b{i}"),
        url: format!("https://bench.example/{i}"),
        canonical_url: format!("https://bench.example/{i}"),
        source_id: format!("{}-{}", doc.2, i % 7),
        source_tags: vec!["news".into()],
        region: None,
        title: doc.0.clone(),
        text: doc.1.clone(),
        lang: "vi".into(),
        published_at: Some(at),
        fetched_at: at,
        content_hash: format!("h{i}"),
        simhash: 0,
        story_id: format!("s{}", i / 4),
        sentiment: Sentiment { score, label, terms: vec![] },
        flags: vec![],
    }
}

fn index(n: usize) -> SearchIndex {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/bench/report-index-{n}"));
    let (index, _) = SearchIndex::open(&dir).unwrap();
    if index.num_docs() == n as u64 {
        eprintln!("index: reusing {} ({n} items)", dir.display());
        return index;
    }
    let docs = corpus();
    let started = Instant::now();
    let mut writer = index.writer(512 * 1024 * 1024).unwrap();
    writer.clear().unwrap();
    for i in 0..n {
        writer.upsert(&item(i, n, &docs[i % docs.len()])).unwrap();
        if (i + 1) % 250_000 == 0 {
            writer.commit(i as i64).unwrap();
            eprintln!("index: {} items, {:.0} s", i + 1, started.elapsed().as_secs_f64());
        }
    }
    writer.commit(n as i64).unwrap();
    writer.finish().unwrap();
    index.reload().unwrap();
    eprintln!("index: built {n} items in {:.1} s", started.elapsed().as_secs_f64());
    index
}

fn topic(id: &str, query: &str) -> Topic {
    Topic {
        id: id.into(),
        name: id.into(),
        query: query.into(),
        rules: vec![],
        sources: vec![],
        tags: vec![],
        regions: vec![],
    }
}

fn main() {
    // `cargo test --benches` runs bench targets with --bench absent: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = std::env::var("DULUAN_BENCH_ITEMS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000_000);
    let index = index(n);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = rt
        .block_on(duluan_store::SqlStore::connect(
            &format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display()),
            2,
        ))
        .unwrap();
    let config = Config::defaults();
    let settings = Settings::from_config(&config.reports, "").unwrap();
    let period = Period::parse("2021-12").unwrap();
    let (from, to) = period.bounds(settings.tz);

    let t = Instant::now();
    let agg = index.aggregate(&Query { from: Some(from), to: Some(to), ..Query::default() }, 7 * 3600).unwrap();
    eprintln!("aggregate over the month: {} items in {:.2} s", agg.total, t.elapsed().as_secs_f64());

    let t = Instant::now();
    let daily = index.daily(&Query { from: Some(from), to: Some(to), ..Query::default() }, 7 * 3600).unwrap();
    eprintln!("daily counts over the month: {} items in {:.2} s", daily.total, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let sample =
        index.sample(&Query { from: Some(from), to: Some(to), ..Query::default() }, settings.sample_size).unwrap();
    eprintln!("sample of {} stored titles and leads: {:.2} s", sample.texts.len(), t.elapsed().as_secs_f64());
    let t = Instant::now();
    let mut counts = duluan_reports::terms::TermCounts::default();
    for s in &sample.texts {
        counts.add(&format!("{}\n{}", s.title, s.lead));
    }
    eprintln!("n-grams of the sample: {:.2} s", t.elapsed().as_secs_f64());

    let topics = [topic("bong-da", "bóng đá"), topic("chung-khoan", "chứng khoán"), topic("hoc-sinh", "học sinh")];
    for (label, topics) in [("no topics", &topics[..0]), ("three topics", &topics[..])] {
        let t = Instant::now();
        let report = rt.block_on(duluan_reports::build(&index, &store, &settings, topics, period, Utc::now())).unwrap();
        let secs = t.elapsed().as_secs_f64();
        let json = duluan_reports::render::json(&report);
        let html = duluan_reports::render::html(&report);
        println!(
            "report 2021-12, {label}: {:.2} s for {} items in the month ({} in the baseline), {} rising terms, {} KB JSON, {} KB HTML",
            secs,
            report.all.volume.total,
            report.all.volume.baseline_total,
            report.all.rising_terms.terms.len(),
            json.len() / 1024,
            html.len() / 1024
        );
    }
    let windows = duluan_reports::monitor::windows(&config.reports);
    let t = Instant::now();
    let found = duluan_reports::monitor::detect(&index, &settings, &[], &windows, to).unwrap();
    println!("spike check at the end of the month: {:.2} s, {} spikes", t.elapsed().as_secs_f64(), found.len());
}
