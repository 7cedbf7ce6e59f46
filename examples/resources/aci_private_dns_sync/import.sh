#!/usr/bin/env bash
# Adopt an existing A record set: the import id is the record set id. The next apply writes the
# ownership marker into the record's metadata.
terraform import aci_private_dns_sync.app \
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/app.internal/A/app"
