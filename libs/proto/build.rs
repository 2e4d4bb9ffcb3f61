//! Compiles the contracts in `proto/` with protox (pure Rust), so a fresh machine needs
//! no system `protoc`. The descriptor set is written next to the generated code for
//! gRPC server reflection.

use std::path::PathBuf;

use prost::Message;

const PROTOS: &[&str] = &[
    "travel/common/v1/common.proto",
    "travel/meta/v1/meta.proto",
    "travel/currency/v1/currency.proto",
    "travel/history/v1/history.proto",
    "travel/ranking/v1/ranking.proto",
    "travel/ingest/v1/ingest.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    println!("cargo:rerun-if-changed={}", root.display());

    let descriptors = protox::compile(PROTOS, [&root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("travel_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
