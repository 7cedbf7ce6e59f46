# Keep <record>.<zone> equal to the private IPs of existing VNet container groups (round robin),
# through the dns-sync module. A restarted group's new IP shows as drift in the next plan, and
# apply repairs it; an acilab agent in the groups with the same owner keeps it current in between.

# Usually empty: the provider reads the same ARM_* settings (or the Azure CLI login) as azurerm.
provider "aci" {}

module "dns_sync" {
  source = "../../terraform/modules/dns-sync"

  private_dns_zone_id = var.private_dns_zone_id
  name                = var.record_name
  container_group_ids = var.container_group_ids
  ttl                 = var.ttl
  owner               = var.owner
}
