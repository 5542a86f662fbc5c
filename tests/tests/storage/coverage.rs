//! The suite covers the traits: every method declared in `pub trait
//! Storage` and `pub trait WaStore` must be called somewhere in the
//! scenarios, so a storage method added without a conformance test fails
//! here, in CI, on every backend's build.

/// The traits as declared.
const TRAITS: [(&str, &str); 2] = [
    (
        "Storage",
        include_str!("../../../sync-server/src/storage/mod.rs"),
    ),
    (
        "WaStore",
        include_str!("../../../sync-server/src/storage/whatsapp.rs"),
    ),
];

/// The scenarios' source (this file aside: naming a method here is no test).
const SUITE: [&str; 10] = [
    include_str!("main.rs"),
    include_str!("fixtures.rs"),
    include_str!("accounts.rs"),
    include_str!("change_log.rs"),
    include_str!("whatsapp_numbers.rs"),
    include_str!("whatsapp_inbox.rs"),
    include_str!("whatsapp_conversations.rs"),
    include_str!("whatsapp_outbound.rs"),
    include_str!("whatsapp_reminders.rs"),
    include_str!("whatsapp_media.rs"),
];

/// The body of `pub trait NAME … { … }` in `source`, braces balanced.
fn trait_body<'a>(source: &'a str, name: &str) -> Option<&'a str> {
    let start = source.find(&format!("pub trait {name}"))?;
    let open = start + source[start..].find('{')?;
    let mut depth = 0usize;
    for (i, c) in source[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&source[open + 1..open + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// The names of the methods declared in a trait body (`fn name`), default
/// bodies included; comment lines are skipped.
fn method_names(body: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in body.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("fn ") {
            let before = &rest[..at];
            let after = &rest[at + 3..];
            let is_keyword = before
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if is_keyword && !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
            rest = after;
        }
    }
    names
}

#[test]
fn every_storage_method_has_a_conformance_scenario() {
    let suite = SUITE.concat();
    let mut missing = Vec::new();
    let mut declared = 0;
    for (name, source) in TRAITS {
        let body = trait_body(source, name)
            .unwrap_or_else(|| panic!("no `pub trait {name}` block found: has it moved?"));
        let methods = method_names(body);
        assert!(
            methods.len() >= 10,
            "only {} methods read from trait {name}: the parser no longer fits it",
            methods.len()
        );
        declared += methods.len();
        for method in methods {
            if !suite.contains(&format!(".{method}(")) {
                missing.push(format!("{name}::{method}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "storage methods without a conformance scenario in tests/tests/storage/ \
         (add one in the same commit as the method): {missing:?}"
    );
    assert!(declared > 70, "only {declared} trait methods read");
}

#[test]
fn the_trait_reader_finds_methods_and_only_methods() {
    let body = trait_body(
        "pub trait T: Send {\n    /// fn not_this\n    fn one(&self) -> impl Future<Output = ()>;\n    fn two(\n        &self,\n    ) -> u8 { 2 }\n}\nfn outside() {}",
        "T",
    )
    .expect("the trait block");
    assert_eq!(method_names(body), vec!["one", "two"]);
}
