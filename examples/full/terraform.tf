terraform {
  required_version = ">= 1.0.3"
  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # 4.42 for the key-vault module's rbac_authorization_enabled.
      version = ">= 4.42, < 5.0"
    }
    aci = {
      source  = "acilab/aci"
      version = "~> 0.1"
    }
    letsencrypt = {
      source  = "acilab/letsencrypt"
      version = "~> 0.1"
    }
  }
}
