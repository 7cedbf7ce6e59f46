#!/usr/bin/env bash
# Adopt a certificate already in Key Vault: <key vault resource id>/certificates/<name>.
# The names come from the certificate; the ACME and DNS settings from the configuration.
terraform import letsencrypt_keyvault_cert.wildcard \
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1/certificates/wildcard-example-com"
