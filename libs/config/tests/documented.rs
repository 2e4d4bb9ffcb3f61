//! The settings the code reads and the README's configuration tables agree: every
//! `TRAVEL_*` variable named in the services' and libraries' code is documented,
//! every documented one exists in the code, and none is read at more than one call
//! site (so it has one default and one parse error).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `Env` methods that read a variable.
const READERS: [&str; 12] = [
    "raw",
    "string",
    "optional_string",
    "secret",
    "secret_url",
    "parse",
    "addr",
    "addr_or_off",
    "bool",
    "duration",
    "interval_or_off",
    "url",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its unit-test module (by convention the last item).
fn shipped_code(text: &str) -> &str {
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            return &text[..offset];
        }
        offset += line.len();
    }
    text
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '_' | '<' | '>')
}

/// Every string literal that is exactly a `TRAVEL_*` name, with whether it is the
/// first argument of an `Env` reader call.
fn literals(code: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let mut rest = code;
    let mut consumed = 0;
    while let Some(at) = rest.find("\"TRAVEL_") {
        let start = consumed + at + 1;
        let tail = &code[start..];
        let len = tail.find(|c: char| !is_name_char(c)).unwrap_or(tail.len());
        if tail[len..].starts_with('"') {
            let before = code[..start - 1].trim_end();
            let read = before.strip_suffix('(').is_some_and(|call| {
                let ident_start = call
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |i| i + 1);
                call[..ident_start].ends_with('.') && READERS.contains(&&call[ident_start..])
            });
            found.push((tail[..len].to_string(), read));
        }
        consumed = start + len;
        rest = &code[consumed..];
    }
    found
}

/// Names in the code, and the files of each call site that reads one.
fn code_names() -> (BTreeSet<String>, BTreeMap<String, Vec<String>>) {
    let root = workspace();
    let mut files = Vec::new();
    for group in ["libs", "services"] {
        for member in std::fs::read_dir(root.join(group)).unwrap().flatten() {
            rust_files(&member.path().join("src"), &mut files);
        }
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut names = BTreeSet::new();
    let mut reads: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (name, read) in literals(shipped_code(&text)) {
            if read {
                reads.entry(name.clone()).or_default().push(shown.clone());
            }
            names.insert(name);
        }
    }
    (names, reads)
}

/// Names in the README's configuration tables. A `NAME_FILE` row is the file variant
/// of the secret `NAME` and must name one.
fn documented_names() -> BTreeSet<String> {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let section = readme
        .split("\n## Configuration")
        .nth(1)
        .expect("README has a Configuration section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut names = BTreeSet::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        for (i, token) in line.split('`').enumerate() {
            if i % 2 == 1 && token.starts_with("TRAVEL_") && token.chars().all(is_name_char) {
                names.insert(token.to_string());
            }
        }
    }
    let files: Vec<String> = names
        .iter()
        .filter(|n| n.ends_with("_FILE"))
        .cloned()
        .collect();
    for file in files {
        let secret = file.trim_end_matches("_FILE");
        assert!(
            names.contains(secret),
            "{file} is documented but {secret} is not"
        );
        names.remove(&file);
    }
    names
}

#[test]
fn every_variable_read_is_documented_and_every_documented_one_is_read() {
    let (code, _) = code_names();
    let documented = documented_names();
    let undocumented: Vec<_> = code.difference(&documented).collect();
    let unread: Vec<_> = documented.difference(&code).collect();
    assert!(
        undocumented.is_empty(),
        "read by the code but missing from the README's configuration tables: {undocumented:?}"
    );
    assert!(
        unread.is_empty(),
        "documented in the README but read nowhere: {unread:?}"
    );
}

#[test]
fn every_variable_is_read_at_one_call_site() {
    let (_, reads) = code_names();
    let repeated: Vec<_> = reads.iter().filter(|(_, sites)| sites.len() > 1).collect();
    assert!(
        repeated.is_empty(),
        "read at more than one call site (give each one owner): {repeated:?}"
    );
    assert!(
        reads.len() > 40,
        "only {} reads found: is the scan broken?",
        reads.len()
    );
}

#[test]
fn the_scanner_finds_reads_and_skips_tests() {
    let code = r#"
        let a = env.duration("TRAVEL_A", d)?;
        let b = env
            .string(
                "TRAVEL_B", "x");
        let c = ConfigError { variable: "TRAVEL_C".into() };
        let d = "TRAVEL_D is not a name";
        #[cfg(test)]
        mod tests { fn t() { env.string("TRAVEL_E", ""); } }
    "#;
    let found = literals(shipped_code(code));
    assert_eq!(
        found,
        vec![
            ("TRAVEL_A".to_string(), true),
            ("TRAVEL_B".to_string(), true),
            ("TRAVEL_C".to_string(), false),
        ]
    );
}

/// Binaries are built without a test harness (`test = false`: one link less each);
/// a test written into one would silently never run, so none may hold one.
#[test]
fn binaries_without_a_harness_hold_no_tests() {
    let root = workspace();
    let mut checked = 0;
    for group in ["services", "tests"] {
        let manifests: Vec<PathBuf> = if group == "tests" {
            vec![root.join("tests/Cargo.toml")]
        } else {
            std::fs::read_dir(root.join(group))
                .unwrap()
                .flatten()
                .map(|e| e.path().join("Cargo.toml"))
                .filter(|p| p.exists())
                .collect()
        };
        for manifest in manifests {
            let text = std::fs::read_to_string(&manifest).unwrap();
            for bin in text.split("[[bin]]").skip(1) {
                let table = bin.split("\n[").next().unwrap_or(bin);
                if !table.contains("test = false") {
                    continue;
                }
                let path = table
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("path = "))
                    .map(|p| p.trim_matches('"'))
                    .expect("a [[bin]] with test = false names its path");
                let source = manifest.parent().unwrap().join(path);
                let code = std::fs::read_to_string(&source).unwrap();
                assert!(
                    !code.contains("#[test]") && !code.contains("#[tokio::test]"),
                    "{} has tests but its target sets test = false",
                    source.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "only {checked} binaries checked");
}
