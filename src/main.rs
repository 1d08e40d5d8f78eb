use clap::Parser;

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    combipat::cli::run(combipat::cli::Cli::parse())
}
