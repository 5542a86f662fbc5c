//! The `push` fuzz target ([`arcada_fuzz::push`]).

fn main() -> anyhow::Result<()> {
    arcada_fuzz::target_main(arcada_fuzz::push::run)
}
