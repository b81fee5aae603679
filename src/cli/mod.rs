//! The command line: [`args`] is what clap parses, [`resolve`] turns it into one validated
//! configuration per command, [`commands`] runs each command and prints its outcome.

pub mod args;
pub mod commands;
pub mod examples;
pub mod resolve;

pub use args::Cli;

use args::Command;

/// Resolves the parsed command line and runs the command.
pub fn run(cli: Cli) -> Result<(), spliceforge::Error> {
    match cli.command {
        Command::Inspect(a) => commands::inspect(resolve::inspect(a)?),
        Command::Builder(a) => {
            let quiet = a.quiet;
            let (cfg, shard_note) = resolve::builder(a)?;
            commands::builder(&cfg, shard_note.as_deref(), quiet)
        }
        Command::Merge(a) => commands::merge(&a.out, &a.shards, a.copy),
        Command::Verify(a) => commands::verify(&a.dir),
        Command::Train(a) => commands::train(&resolve::train(a)?),
        Command::Tracker(a) => commands::tracker(&a),
        Command::Estimate(a) => commands::estimate(resolve::estimate(a)?),
        Command::Predict(a) => {
            let quiet = a.quiet;
            match resolve::predict(a)? {
                resolve::Predict::Dataset {
                    model,
                    dataset,
                    out,
                    overwrite,
                } => commands::predict(&model, &dataset, &out, overwrite),
                resolve::Predict::Genes(cfg) => commands::predict_genes(&cfg, quiet),
            }
        }
        Command::Score(a) => {
            let quiet = a.quiet;
            commands::score(&resolve::score(a)?, quiet)
        }
        Command::Evaluate(a) => commands::evaluate(&resolve::evaluate(a)?),
        Command::Schema(a) => commands::schema(&a.kmer_sizes, a.markdown),
        Command::Doctor(_) => commands::doctor(),
        Command::Variants(a) => {
            let quiet = a.quiet;
            let (cfg, shard_note) = resolve::variants(a)?;
            commands::variants(&cfg, shard_note.as_deref(), quiet)
        }
    }
}
