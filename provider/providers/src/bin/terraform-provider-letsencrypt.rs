//! `terraform-provider-letsencrypt`: started by Terraform, serves the `letsencrypt` provider.

#[tokio::main]
async fn main() {
    tfplugin6::log::init("letsencrypt");
    if let Err(e) = tfplugin6::serve(acilab_providers::letsencrypt::LetsEncryptProvider).await {
        eprintln!("terraform-provider-letsencrypt: {e}");
        std::process::exit(1);
    }
}
