terraform {
  required_providers {
    aci = {
      source  = "acilab/aci"
      version = "~> 0.1"
    }
  }
}

# Usually empty: the provider reads the same ARM_* variables as azurerm
# (ARM_CLIENT_ID, ARM_TENANT_ID, and ARM_USE_OIDC=true in GitHub Actions).
provider "aci" {}
