//! Generates the gRPC code for Terraform's plugin protocol and go-plugin's controller (needs
//! `protoc`, from Debian's protobuf-compiler).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_protos(
            &["proto/tfplugin6.proto", "proto/grpc_controller.proto"],
            &["proto"],
        )?;
    Ok(())
}
