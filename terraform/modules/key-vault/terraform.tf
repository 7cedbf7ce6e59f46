terraform {
  required_version = ">= 1.0.3"
  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # rbac_authorization_enabled (the 4.x name of enable_rbac_authorization, which is
      # deprecated and goes away in 5.0) exists from azurerm 4.42.0 on.
      version = ">= 4.42, < 5.0"
    }
  }
}
