//! Points the embedded web app at `web/dist` when the app was built (`make web`), or
//! at a one-page stand-in that says it was not, so a Rust-only build without Node.js
//! still compiles and serves something honest at `/`.

use std::path::{Path, PathBuf};

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trip Currency Mesh</title></head>
<body>
<h1>Trip Currency Mesh</h1>
<p>The web app was not built into this binary (it needs Node.js and npm: <code>make web</code>,
then build the gateway again). The API works: <a href="/api/v1/currencies/latest">/api/v1/currencies/latest</a>,
its documentation is at <a href="/docs">/docs</a>.</p>
</body>
</html>
"#;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let dist = manifest.join("../../web/dist");
    // Also when absent: the build script runs again once the app is built. Cargo
    // compares modification times, so a web/dist put back with old ones (mv, tar)
    // goes unnoticed: `touch web/dist/index.html`. Vite writes fresh files.
    println!("cargo:rerun-if-changed={}", dist.display());
    let folder = if dist.join("index.html").is_file() {
        dist.canonicalize().expect("web/dist")
    } else {
        let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
        let stand_in = out.join("web-not-built");
        std::fs::create_dir_all(&stand_in).expect("OUT_DIR is writable");
        write_if_changed(&stand_in.join("index.html"), NOT_BUILT);
        stand_in
    };
    let source = format!(
        "/// The built web app (or the stand-in page), embedded at compile time.\n\
         #[derive(rust_embed::RustEmbed)]\n#[folder = {:?}]\npub struct Assets;\n",
        folder.display().to_string()
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    write_if_changed(&out.join("web_assets.rs"), &source);
}

fn write_if_changed(path: &Path, content: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(content) {
        std::fs::write(path, content).expect("OUT_DIR is writable");
    }
}
