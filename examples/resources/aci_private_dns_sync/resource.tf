# Keep app.<zone> pointing at the private IPs of two app container groups (round robin).
resource "aci_private_dns_sync" "app" {
  private_dns_zone_id = azurerm_private_dns_zone.app.id
  name                = "app"
  container_group_ids = azurerm_container_group.app[*].id
  ttl                 = 10
}

output "app_fqdn" {
  value = aci_private_dns_sync.app.fqdn
}
