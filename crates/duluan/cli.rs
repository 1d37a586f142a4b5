//! Command-line interface definition.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// duluan — public-opinion and social-media monitoring.
///
/// Crawls public news sites, feeds and public social pages; flags items that match
/// misinformation and sentiment rules; hands alerts to collaborators for triage; lets analysts
/// search everything collected. Start with `duluan demo` to see it work on a bundled local news
/// site without internet access.
#[derive(Debug, Parser)]
#[command(name = "duluan", version, propagate_version = true, max_term_width = 100)]
pub(crate) struct Cli {
    /// Configuration file with the keys to change (the rest come from the built-in defaults,
    /// listed in config/default.toml). Also read from DULUAN_CONFIG.
    #[arg(long, global = true, value_name = "FILE", env = "DULUAN_CONFIG")]
    pub(crate) config: Option<PathBuf>,

    /// Data directory for the store, the index and the lock file (overrides `data_dir`).
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,

    /// More log output on stderr (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run everything: crawler workers, pipeline, scheduler and the web server.
    ///
    /// Sources come from config/sources.toml (or `[crawl] sources`); the web UI and API listen
    /// on `[server] listen`. Stops cleanly on Ctrl-C, committing pending index work.
    Serve(ServeArgs),

    /// Crawl a bundled local news site through the whole pipeline and serve the UI.
    ///
    /// Starts the demo site "Tin Thành Phố" on 127.0.0.1 (robots.txt, RSS, sitemap, 46 articles),
    /// crawls it with the real crawler, extracts, flags, stores, indexes and raises alerts, then
    /// prints a summary. Without --once it then serves the UI on 127.0.0.1:PORT and prints a login.
    Demo(DemoArgs),

    /// Crawl the configured sources: one complete pass with --once, else continuously.
    Crawl(CrawlArgs),

    /// Ingest HTML files, directories or JSONL files into the store and index.
    ///
    /// JSONL lines are {"url","html"} (a page to extract) or {"url","title","text","published_at"}
    /// (text as is). A bad file or line is reported on stderr with its name and line number and
    /// the other inputs still go in.
    Ingest(IngestArgs),

    /// Extract the article (title, text, date, language) from one HTML file.
    Extract(ExtractArgs),

    /// Vietnamese text tools: one text per line on stdin, one result per line on stdout.
    Text(TextArgs),

    /// Check rule files and run their examples, or match items against rules.
    Rules(RulesArgs),

    /// Score sentiment: one text per line on stdin, one JSON object per line on stdout (a line
    /// longer than 16 MiB: {"error":...}).
    Sentiment(SentimentArgs),

    /// Search the collected items.
    Search(SearchArgs),

    /// Write an opinion-trend report for a period.
    ///
    /// Volume and share of coverage per day, sentiment, rising terms against the previous
    /// period, top sources and stories, spikes and alert triage — for all items and for each
    /// topic in `[[reports.topic]]`. Every number links to the search that reproduces it.
    Report(ReportArgs),

    /// Check every topic for a spike now (as `serve` does every `[reports] spike_check_minutes`).
    ///
    /// Prints one JSON object per spike found (topic, window, observed, expected, ratio, z, top
    /// terms, sources, stories, tone shift); with --raise also puts each in the alert queue.
    Spikes(SpikesArgs),

    /// Show each source's crawl health.
    Sources,

    /// Manage accounts and API tokens.
    User(UserArgs),

    /// Rebuild the search index from the store.
    Reindex,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (overrides `[server] listen`).
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SummaryFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Port of the web UI on 127.0.0.1 after the crawl (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8080)]
    pub(crate) port: u16,
    /// Run the pipeline once, print the summary and exit.
    #[arg(long)]
    pub(crate) once: bool,
    /// Summary format; with json the summary is one JSON object on the last line of stdout.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub(crate) format: SummaryFormat,
}

#[derive(Debug, Args)]
pub(crate) struct CrawlArgs {
    /// One complete pass (every due source and the articles it lists), then exit.
    #[arg(long)]
    pub(crate) once: bool,
    /// Only this source (polled even if not due).
    #[arg(long, value_name = "ID")]
    pub(crate) source: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// HTML files, JSONL files, WARC files (`.warc`, `.warc.gz`: their HTML responses), or
    /// directories of these.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// Source id recorded on the items; a source configured with that id (`crawl.sources`) lends
    /// them its tags, region and language.
    #[arg(long, default_value = "ingest")]
    pub(crate) source: String,
}

/// What kind of text is scored for sentiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RegisterArg {
    /// Comments, reviews, social posts: a request, a wish or a bare negation voices criticism.
    Opinion,
    /// News: requests and wishes are reported (`Thủ tướng yêu cầu …`), headlines open with a verb.
    News,
}

impl From<RegisterArg> for duluan_rules::Register {
    fn from(r: RegisterArg) -> duluan_rules::Register {
        match r {
            RegisterArg::Opinion => duluan_rules::Register::Opinion,
            RegisterArg::News => duluan_rules::Register::News,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct SentimentArgs {
    /// What kind of text the lines are (the pipeline takes it from the source: news from feeds,
    /// sitemaps, listings and ingested pages; opinion from social sources).
    #[arg(long, value_enum, default_value_t = RegisterArg::Opinion)]
    pub(crate) register: RegisterArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExtractFormat {
    /// JSON object: url, title, text, published_at, lang, and more.
    Json,
    /// The title, a blank line, then the text.
    Text,
}

#[derive(Debug, Args)]
pub(crate) struct ExtractArgs {
    /// HTML file.
    pub(crate) file: PathBuf,
    /// The page's URL (resolves relative links and canonical URLs).
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExtractFormat::Json)]
    pub(crate) format: ExtractFormat,
}

#[derive(Debug, Args)]
pub(crate) struct TextArgs {
    #[command(subcommand)]
    pub(crate) op: TextOp,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub(crate) enum TextOp {
    /// NFC, canonical tone-mark placement, invisible characters removed, quotes and dashes unified.
    Normalize,
    /// Diacritics removed, đ → d.
    Fold,
    /// Language: `code<TAB>confidence` (ISO 639-1 code, or `und`).
    Lang,
    /// Date: RFC 3339 (empty line when no date is found).
    Date,
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    #[command(subcommand)]
    pub(crate) op: RulesOp,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesOp {
    /// Validate every rule file and run every embedded example; exit 1 on any failure.
    Check {
        /// Rules directory (default: `[rules] dir`).
        dir: Option<PathBuf>,
    },
    /// Match JSONL items {"id","title","text","lang"?} from stdin; one JSONL result per item.
    ///
    /// Optional keys: "published_at" (RFC 3339; known claims match within their window around
    /// it), "source", "source_tags", "region" for rules with those filters, and "register"
    /// ("opinion" or "news", for sentiment; default --register).
    ///
    /// A line that is not an item (blank, bad JSON, not UTF-8, longer than 16 MiB) is answered
    /// with {"id":...,"error":...} in its place (the id as written if it could be read, else
    /// null), and matching goes on. Ids are echoed exactly as written.
    ///
    /// A title is read on one line, as the pipeline stores it: a phrase goes on across its line
    /// breaks (in the text they end it). Spans are byte offsets into the fields as given.
    Match {
        /// Rules directory (default: `[rules] dir`).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// What kind of text the items are, for sentiment, where an item does not say.
        #[arg(long, value_enum, default_value_t = RegisterArg::Opinion)]
        register: RegisterArg,
    },
    /// Run the rules of FILE over the stored items of the last days, before enabling them: hits
    /// per day, stories, and a sample with the terms that fired.
    Backtest(BacktestArgs),
    /// Rules by precision from triage verdicts, with hits and last hit; rules that never fired,
    /// went quiet or whose precision fell are marked for review.
    Stats {
        /// Rules directory (default: `[rules] dir`).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// One JSON object per rule instead of a table, with the counts of `GET /api/rules/stats`
        /// (`confirmed`, `escalated`, `dismissed`, `decided`) and its `review_flags`. The table's
        /// `kept` is confirmed plus escalated, what precision counts; its last hit is the day in
        /// Vietnam.
        #[arg(long)]
        json: bool,
        /// Order: rules to review first, lowest precision first, most hits first, or latest hit
        /// first.
        #[arg(long, value_enum, default_value_t = StatsSort::Review)]
        sort: StatsSort,
        /// Only the rules marked for review.
        #[arg(long)]
        needs_review: bool,
    },
}

/// Orders of `duluan rules stats` (those of `GET /api/rules/stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StatsSort {
    Review,
    Precision,
    Hits,
    LastHit,
}

#[derive(Debug, Args)]
pub(crate) struct BacktestArgs {
    /// A rule pack file (its lists and the rules directory's lists may be used).
    pub(crate) file: PathBuf,
    /// How many days back from now.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub(crate) days: u32,
    /// Rules directory whose lists the file may use (default: `[rules] dir`).
    #[arg(long)]
    pub(crate) rules: Option<PathBuf>,
    /// Hits shown per rule (the most recent).
    #[arg(long, default_value_t = 5)]
    pub(crate) sample: usize,
    /// One JSON object per rule instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SearchFormat {
    /// Aligned columns.
    Table,
    /// {"total": N, "hits": [...]}.
    Json,
    /// CSV with a header row (UTF-8 with BOM, for spreadsheets).
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Query: words, "phrases", AND/OR/NOT (VÀ/HOẶC/KHÔNG), -word, (groups), title:/text:,
    /// source:/lang:/rule:/tag:/region:/sentiment:/severity:, date:2021-12-01..2021-12-31 or
    /// date:7d, vắc*; words without diacritics also match text written with them. A query may
    /// start with `-word`.
    #[arg(allow_hyphen_values = true)]
    pub(crate) query: String,
    /// From date (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// To date (YYYY-MM-DD), inclusive.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Only this source (comma-separated for several).
    #[arg(long)]
    pub(crate) source: Option<String>,
    /// Only this language.
    #[arg(long)]
    pub(crate) lang: Option<String>,
    /// Only items flagged by this rule.
    #[arg(long)]
    pub(crate) rule: Option<String>,
    /// Newest first instead of most relevant.
    #[arg(long)]
    pub(crate) newest: bool,
    /// One row per story: syndicated copies of an article collapse into its best hit, with the
    /// number of other matching items of the story.
    #[arg(long)]
    pub(crate) collapse: bool,
    /// Number of hits.
    #[arg(long, default_value_t = 20)]
    pub(crate) limit: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SearchFormat::Table)]
    pub(crate) format: SearchFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// Self-contained page with SVG charts (prints to PDF).
    Html,
    /// Markdown.
    Md,
    /// Every number, as JSON.
    Json,
    /// PDF, printed by headless Chromium (`[reports] chromium`); needs --out.
    Pdf,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("span").required(true).args(["period", "from"])))]
pub(crate) struct ReportArgs {
    /// Calendar period in the report time zone: YYYY-MM, YYYY-Qn, YYYY-Www or YYYY.
    #[arg(long)]
    pub(crate) period: Option<String>,
    /// First day (YYYY-MM-DD), with --to.
    #[arg(long, requires = "to")]
    pub(crate) from: Option<String>,
    /// Last day (YYYY-MM-DD), inclusive.
    #[arg(long, requires = "from")]
    pub(crate) to: Option<String>,
    /// Only these configured topics (comma-separated ids); default: all of them.
    #[arg(long)]
    pub(crate) topics: Option<String>,
    /// Output format (default: from the --out extension, else json).
    #[arg(long, value_enum)]
    pub(crate) format: Option<ReportFormat>,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Language of the report text: vi or en (default: `[reports] language`).
    #[arg(long)]
    pub(crate) lang: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SpikesArgs {
    /// Check as of this time (RFC 3339) instead of now, e.g. to replay a past day.
    #[arg(long)]
    pub(crate) at: Option<String>,
    /// Raise a queue alert for each spike (one per topic, window and day).
    #[arg(long)]
    pub(crate) raise: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UserArgs {
    #[command(subcommand)]
    pub(crate) op: UserOp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RoleArg {
    /// Configure sources, users and teams.
    Admin,
    /// Assign alerts, manage silences and rules.
    Lead,
    /// Triage alerts.
    Collaborator,
    /// Read and search only.
    Viewer,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserOp {
    /// Add an account. The password is the first line of stdin when stdin is not a terminal,
    /// asked for on a terminal, or generated and printed with --generate-password.
    Add {
        /// Login name.
        name: String,
        /// Role.
        #[arg(long, value_enum, default_value_t = RoleArg::Collaborator)]
        role: RoleArg,
        /// Team queue the user works (default: the default team).
        #[arg(long)]
        team: Option<String>,
        /// Generate a random password and print it.
        #[arg(long)]
        generate_password: bool,
    },
    /// List accounts.
    List,
    /// Set a new password (read like `user add`).
    Passwd {
        /// Login name.
        name: String,
    },
    /// Create an API token; the token is printed once, as the last line of stdout.
    Token {
        /// Login name.
        name: String,
        /// Label to recognise the token by.
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// Revoke an API token by its id (see `user tokens`).
    Revoke {
        /// Token id.
        token_id: i64,
    },
    /// List API tokens (ids, labels, last use; never the secrets).
    Tokens,
}
