terraform {
  required_version = ">= 1.0.3"
  required_providers {
    aci = {
      source  = "acilab/aci"
      version = "~> 0.1"
    }
  }
}
