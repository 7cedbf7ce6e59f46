resource "azurerm_private_dns_zone" "this" {
  for_each = toset(local.zone_names)

  name                = each.value
  resource_group_name = var.resource_group_name
  tags                = var.tags
}

resource "azurerm_private_dns_zone_virtual_network_link" "this" {
  for_each = local.links

  name                  = each.value.name
  resource_group_name   = var.resource_group_name
  private_dns_zone_name = azurerm_private_dns_zone.this[each.value.zone].name
  virtual_network_id    = each.value.virtual_network_id
  registration_enabled  = each.value.zone == var.app_zone_name ? var.registration_enabled : false
  tags                  = var.tags
}
