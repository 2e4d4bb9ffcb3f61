//! Compiles the contracts in `proto/` with protox (pure Rust), so a fresh machine needs
//! no system `protoc`. The descriptor set is written next to the generated code for
//! gRPC server reflection, and every RPC gets a typed method constant (see `rpc`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use prost::Message;
use prost_types::method_options::IdempotencyLevel;
use prost_types::{FileDescriptorSet, MethodDescriptorProto, ServiceDescriptorProto};

const PROTOS: &[&str] = &[
    "travel/common/v1/common.proto",
    "travel/meta/v1/meta.proto",
    "travel/currency/v1/currency.proto",
    "travel/history/v1/history.proto",
    "travel/ranking/v1/ranking.proto",
    "travel/ingest/v1/ingest.proto",
    "travel/alerts/v1/alerts.proto",
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
    write_methods(&descriptors, &out_dir)?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}

/// Writes `<package>.rpc.rs` for every package: a marker type per service and a
/// constant per method whose type carries the service, the request and the answer,
/// and whether the method is a read (`idempotency_level = NO_SIDE_EFFECTS`).
fn write_methods(descriptors: &FileDescriptorSet, out_dir: &Path) -> Result<(), String> {
    for file in &descriptors.file {
        let package = file.package();
        let mut code = String::new();
        for service in &file.service {
            write_service(&mut code, package, service)?;
        }
        let path = out_dir.join(format!("{package}.rpc.rs"));
        std::fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn write_service(
    code: &mut String,
    package: &str,
    service: &ServiceDescriptorProto,
) -> Result<(), String> {
    let name = service.name();
    let full = format!("{package}.{name}");
    let _ = writeln!(
        code,
        "/// `{full}`.\n#[derive(Debug, Clone, Copy)]\npub struct {name};\n\
         impl crate::rpc::Service for {name} {{\n    const NAME: &'static str = \"{full}\";\n}}\n"
    );
    for method in &service.method {
        write_method(code, package, &full, name, method)?;
    }
    Ok(())
}

fn write_method(
    code: &mut String,
    package: &str,
    service_path: &str,
    service: &str,
    method: &MethodDescriptorProto,
) -> Result<(), String> {
    let name = method.name();
    let request = message_type(package, method.input_type())?;
    let answer = message_type(package, method.output_type())?;
    let read = method
        .options
        .as_ref()
        .is_some_and(|o| o.idempotency_level() == IdempotencyLevel::NoSideEffects);
    let kind = match (method.client_streaming(), method.server_streaming(), read) {
        (false, false, true) => "Read",
        (false, false, false) => "Unary",
        (false, true, _) => "ServerStreaming",
        (true, _, _) => return Err(format!("{service_path}/{name}: client streaming")),
    };
    let _ = writeln!(
        code,
        "/// `rpc {name}`.\npub const {constant}: crate::rpc::{kind}<{service}, {request}, {answer}> =\n    \
         crate::rpc::{kind}::new(\"/{service_path}/{name}\");\n",
        constant = screaming_snake(name),
    );
    Ok(())
}

/// The Rust path, from the package's `rpc` module, of a message of the same package.
fn message_type(package: &str, full: &str) -> Result<String, String> {
    let prefix = format!(".{package}.");
    match full.strip_prefix(&prefix) {
        Some(name) if !name.contains('.') => Ok(format!("super::{name}")),
        _ => Err(format!(
            "{full}: RPC messages must be top-level messages of {package}"
        )),
    }
}

fn screaming_snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}
