//! The `spliceforge` binary: parse flags, resolve them into the library's configuration, run,
//! and map the outcome to a documented exit code (see `spliceforge --help`).

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{AnnotationFormat, Cli, Command, InspectArgs, SelectionArgs};
use spliceforge::error::exit;
use spliceforge::genome::{Format, Selection};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<(), spliceforge::Error> {
    match cli.command {
        Command::Inspect(args) => inspect(args),
    }
}

fn resolve_format(f: Option<AnnotationFormat>) -> Option<Format> {
    f.map(|f| match f {
        AnnotationFormat::Gtf => Format::Gtf,
        AnnotationFormat::Gff3 => Format::Gff3,
    })
}

fn resolve_selection(a: SelectionArgs) -> Selection {
    Selection {
        gene_types: a.gene_types.into_iter().filter(|t| !t.is_empty()).collect(),
        gene_ids: a.gene_ids,
        n_genes: a.n_genes,
        seed: a.seed,
        require_introns: !a.no_require_introns || a.require_introns,
        skip_missing_contigs: a.skip_missing_contigs,
    }
}

fn inspect(args: InspectArgs) -> Result<(), spliceforge::Error> {
    let selection = resolve_selection(args.selection);
    let report = spliceforge::inspect::inspect(
        &args.inputs.genome,
        &args.inputs.annotation,
        resolve_format(args.inputs.annotation_format),
        &selection,
    )?;
    let text = if args.json {
        serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
    } else {
        report.to_string()
    };
    // A closed pipe (`| head`) is not an error.
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(())
}
