terraform {
  required_version = ">= 1.0.3"
  required_providers {
    letsencrypt = {
      source  = "acilab/letsencrypt"
      version = "~> 0.1"
    }
  }
}
