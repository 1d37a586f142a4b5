//! Helpers: run the binary in a fresh data directory, find fixtures.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The path of a fixture file.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// A temporary data directory and the binary pointed at it.
pub struct Duluan {
    pub dir: tempfile::TempDir,
}

impl Duluan {
    pub fn new() -> Duluan {
        Duluan { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command for the binary with `--data-dir` set and quiet logs.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_duluan"));
        c.current_dir(env!("CARGO_MANIFEST_DIR"));
        c.arg("--data-dir").arg(self.data_dir());
        c.env("RUST_LOG", "warn");
        c.env_remove("DULUAN_CONFIG");
        c
    }

    /// Run with arguments and optional stdin.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut c = self.cmd();
        c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn duluan");
        if let Some(input) = stdin {
            child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("wait")
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An in-process pipeline on a temporary data directory: store, index, rules, indexer.
pub struct Harness {
    pub pipeline: std::sync::Arc<duluan_pipeline::Pipeline>,
    pub indexer: Option<duluan_pipeline::Indexer>,
    pub dir: tempfile::TempDir,
}

impl Harness {
    /// A pipeline whose crawler may reach loopback, with `tweak` applied to the configuration.
    pub async fn new(tweak: impl FnOnce(&mut duluan_config::Config)) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        Harness::open(dir, tweak).await
    }

    /// Open (or reopen, after a restart) a pipeline on an existing directory.
    pub async fn open(dir: tempfile::TempDir, tweak: impl FnOnce(&mut duluan_config::Config)) -> Harness {
        let mut config = duluan_config::Config::defaults();
        config.data_dir = dir.path().join("data");
        config.crawl.allow_loopback = true;
        config.crawl.per_host_delay_ms = 0;
        config.crawl.timeout_secs = 5;
        config.crawl.max_retries = 1;
        config.crawl.retry_base_ms = 10;
        config.index.commit_every_ms = 50;
        config.rules.dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        tweak(&mut config);
        std::fs::create_dir_all(&config.data_dir).expect("data dir");
        let store: std::sync::Arc<dyn duluan_store::Store> =
            std::sync::Arc::new(duluan_store::SqlStore::connect(&config.store_url(), 4).await.expect("store"));
        let (index, state) = duluan_index::SearchIndex::open(&config.index_dir()).expect("index");
        let engine = duluan_rules::Engine::load(&config.rules.dir).expect("rules");
        let policy = duluan_pipeline::CommitPolicy { every_items: 1000, every: std::time::Duration::from_millis(50) };
        let indexer = duluan_pipeline::Indexer::start(
            store.clone(),
            index.clone(),
            &state,
            duluan_index::WriterOptions::with_memory(20_000_000),
            policy,
            |_, _| {},
        )
        .await
        .expect("indexer");
        let pipeline =
            duluan_pipeline::Pipeline::new(std::sync::Arc::new(config), store, index, engine, indexer.waker());
        Harness { pipeline: std::sync::Arc::new(pipeline), indexer: Some(indexer), dir }
    }

    /// A crawler over `sources` with a fetcher built from the configuration.
    pub fn crawler(&self, sources: Vec<duluan_model::Source>) -> duluan_pipeline::Crawler {
        let fetcher = duluan_crawl::Fetcher::new(duluan_crawl::FetchConfig::from_config(&self.pipeline.config.crawl))
            .expect("fetcher");
        duluan_pipeline::Crawler::new(self.pipeline.clone(), std::sync::Arc::new(fetcher), sources)
    }

    /// Wait until the index holds everything the store committed.
    pub async fn flush(&self) {
        let head = self.pipeline.store.outbox_head().await.expect("head");
        self.indexer.as_ref().expect("indexer").wait_for(head).await.expect("index caught up");
    }

    /// Stop the indexer and hand back the directory (to reopen it).
    pub async fn close(mut self) -> tempfile::TempDir {
        if let Some(indexer) = self.indexer.take() {
            indexer.shutdown().await.expect("indexer shutdown");
        }
        self.dir
    }
}

/// A source definition for tests.
pub fn source(id: &str, kind: &str, url: &str) -> duluan_model::Source {
    toml::from_str(&format!("id = \"{id}\"\ntype = \"{kind}\"\nurl = \"{url}\"\n")).expect("source")
}

/// Requests a test server received: (path with query, headers, when).
pub type RequestLog = std::sync::Arc<std::sync::Mutex<Vec<(String, axum::http::HeaderMap, std::time::Instant)>>>;

/// Serve `app` on 127.0.0.1 (or another loopback address), logging every request.
pub async fn serve(app: axum::Router, ip: &str) -> (String, RequestLog) {
    let log: RequestLog = Default::default();
    let log_for_layer = log.clone();
    let app = app.layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
        let log = log_for_layer.clone();
        async move {
            let path = req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
            log.lock().expect("log").push((path, req.headers().clone(), std::time::Instant::now()));
            next.run(req).await
        }
    }));
    let listener = tokio::net::TcpListener::bind(format!("{ip}:0")).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), log)
}

/// How many logged requests had this path (with query).
pub fn hits(log: &RequestLog, path: &str) -> usize {
    log.lock().expect("log").iter().filter(|(p, _, _)| p == path).count()
}

/// A realistic article page: navigation, a paragraph body long enough to be an article.
pub fn article_page(title: &str, body: &str, canonical: Option<&str>) -> String {
    let canonical = canonical.map(|c| format!("<link rel=\"canonical\" href=\"{c}\">")).unwrap_or_default();
    let paragraphs: String = body.split("\n\n").map(|p| format!("<p>{p}</p>")).collect();
    format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{title} - Báo Thử</title>{canonical}</head>\
         <body><nav><a href=\"/\">Trang chủ</a> <a href=\"/kinh-te/\">Kinh tế</a></nav><div class=\"ads\">Quảng cáo</div>\
         <article><h1>{title}</h1>{paragraphs}</article><div class=\"related\"><a href=\"/khac.html\">Tin khác</a></div>\
         <footer>Báo Thử</footer></body></html>"
    )
}
