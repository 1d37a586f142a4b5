//! One module per command.

mod backtest;
mod crawl;
mod demo;
mod extract;
mod ingest;
mod lines;
mod report;
mod rules;
mod search;
mod serve;
mod sources;
mod text;
mod user;

use std::process::ExitCode;

use anyhow::Result;

use crate::app;
use crate::cli::{Cli, Command};

/// Run the parsed command.
pub(crate) async fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Text(args) => text::run(args.op),
        Command::Extract(args) => extract::run(args),
        Command::Sentiment(args) => rules::sentiment(&app::load_config(&cli)?, args.register.into()),
        Command::Rules(args) => rules::run(&app::load_config(&cli)?, &args.op).await,
        Command::Serve(args) => serve::run(app::load_config(&cli)?, args).await,
        Command::Demo(args) => demo::run(app::load_config(&cli)?, args).await,
        Command::Crawl(args) => crawl::run(app::load_config(&cli)?, args).await,
        Command::Ingest(args) => ingest::run(app::load_config(&cli)?, args).await,
        Command::Search(args) => search::run(&app::load_config(&cli)?, args).await,
        Command::Report(args) => report::run(&app::load_config(&cli)?, args).await,
        Command::Spikes(args) => report::spikes(&app::load_config(&cli)?, args).await,
        Command::Sources => sources::run(&app::load_config(&cli)?).await,
        Command::User(args) => user::run(&app::load_config(&cli)?, &args.op).await,
        Command::Reindex => crawl::reindex(app::load_config(&cli)?).await,
    }
}
