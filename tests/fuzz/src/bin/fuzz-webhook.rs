//! The `webhook` fuzz target ([`arcada_fuzz::webhook`]).

fn main() -> anyhow::Result<()> {
    arcada_fuzz::target_main(arcada_fuzz::webhook::run)
}
