# A CNAME to a host name, or an alias A record to the public IP resource (Azure DNS does not
# allow a CNAME alias to a public IP).
resource "azurerm_dns_cname_record" "this" {
  count = var.target.type == "CNAME" ? 1 : 0

  name                = var.record_name
  zone_name           = var.zone_name
  resource_group_name = var.resource_group_name
  ttl                 = var.ttl
  record              = var.target.value
  tags                = var.tags
}

resource "azurerm_dns_a_record" "this" {
  count = var.target.type == "A" ? 1 : 0

  name                = var.record_name
  zone_name           = var.zone_name
  resource_group_name = var.resource_group_name
  ttl                 = var.ttl
  target_resource_id  = var.target.value
  tags                = var.tags
}
