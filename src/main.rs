//! The `access-tokens` binary: parses the command line and hands it to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    access_tokens::startup::return_large_blocks();
    access_tokens::cli::run(access_tokens::cli::Cli::parse())
}
