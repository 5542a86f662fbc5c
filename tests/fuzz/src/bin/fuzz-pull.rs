//! The `pull` fuzz target ([`arcada_fuzz::pull`]).

fn main() -> anyhow::Result<()> {
    arcada_fuzz::target_main(arcada_fuzz::pull::run)
}
