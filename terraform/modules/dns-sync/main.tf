resource "aci_private_dns_sync" "this" {
  private_dns_zone_id = var.private_dns_zone_id
  name                = var.name
  container_group_ids = var.container_group_ids
  ttl                 = var.ttl
  owner               = var.owner
}
