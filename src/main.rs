//! The `spliceforge` binary: parse the command line, hand it to [`cli::run`], and map the
//! outcome to a documented exit code (`spliceforge --help` and the README list them).

mod cli;

use std::process::ExitCode;

use clap::Parser;

use spliceforge::error::exit;

fn main() -> ExitCode {
    // `spliceforge --version` (or -V) alone also names the XGBoost library it loads.
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.len() == 1 && (args[0] == "--version" || args[0] == "-V") {
        print!("{}", cli::commands::version());
        return ExitCode::from(exit::OK);
    }
    match cli::run(cli::Cli::parse()) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(err) => {
            eprintln!("error: {err}");
            if matches!(err, spliceforge::Error::Usage(_)) {
                eprintln!("\nFor more information, try '--help'.");
            }
            ExitCode::from(err.exit_code())
        }
    }
}
