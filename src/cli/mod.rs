//! The command line: [`args`] is what clap parses, [`resolve`] turns it into one validated
//! configuration per command, [`commands`] runs each command and prints its outcome.

pub mod args;
pub mod commands;
pub mod resolve;

pub use args::Cli;

use args::Command;

/// Resolves the parsed command line and runs the command.
pub fn run(cli: Cli) -> Result<(), spliceforge::Error> {
    match cli.command {
        Command::Inspect(a) => commands::inspect(resolve::inspect(a)?),
        Command::Builder(a) => {
            let quiet = a.quiet;
            commands::builder(&resolve::builder(a)?, quiet)
        }
        Command::Verify(a) => commands::verify(&a.dir),
        Command::Train(a) => commands::train(&resolve::train(a)?),
        Command::Estimate(a) => commands::estimate(resolve::estimate(a)?),
        Command::Predict(a) => commands::predict(&a.model, &a.dataset, &a.out),
        Command::Score(a) => {
            let quiet = a.quiet;
            commands::score(&resolve::score(a)?, quiet)
        }
        Command::Schema(a) => commands::schema(&a.kmer_sizes, a.markdown),
    }
}
