//! `terraform-provider-aci`: started by Terraform, serves the `aci` provider.

#[tokio::main]
async fn main() {
    tfplugin6::log::init("aci");
    if let Err(e) = tfplugin6::serve(acilab_providers::aci::AciProvider).await {
        eprintln!("terraform-provider-aci: {e}");
        std::process::exit(1);
    }
}
