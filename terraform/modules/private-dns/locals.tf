locals {
  sql_zone_name       = "privatelink.database.windows.net"
  key_vault_zone_name = "privatelink.vaultcore.azure.net"

  zone_names = distinct(concat(
    [var.app_zone_name],
    var.sql_private_link_enabled ? [local.sql_zone_name] : [],
    var.key_vault_private_link_enabled ? [local.key_vault_zone_name] : [],
    var.additional_zone_names,
  ))

  # Every zone linked to every network: "<zone>|<link name>" => {zone, link, network}.
  links = {
    for pair in setproduct(local.zone_names, keys(var.virtual_network_links)) :
    "${pair[0]}|${pair[1]}" => {
      zone               = pair[0]
      name               = pair[1]
      virtual_network_id = var.virtual_network_links[pair[1]]
    }
  }
}
