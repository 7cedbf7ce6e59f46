resource "azurerm_container_registry" "this" {
  #checkov:skip=CKV_AZURE_139:CI pushes images over the public endpoint (public_network_access_enabled, default true); container instances pull as a trusted service with their identity. Set it to false with a private build agent.
  #checkov:skip=CKV_AZURE_166:Quarantine holds every pushed image until a scanner releases it; with no scanner wired, container groups could never pull.
  #checkov:skip=CKV_AZURE_164:Docker Content Trust is being retired by Azure Container Registry; sign images with Notation instead.
  #checkov:skip=CKV_AZURE_165:Single-region sample; geo-replication doubles the registry's cost and adds nothing within one region.
  #checkov:skip=CKV_AZURE_163:Image vulnerability scanning is Microsoft Defender for Containers, a subscription-level plan, not a registry argument.
  name                          = var.name
  location                      = var.location
  resource_group_name           = var.resource_group_name
  sku                           = var.sku
  admin_enabled                 = false
  anonymous_pull_enabled        = false
  public_network_access_enabled = var.public_network_access_enabled
  network_rule_bypass_option    = "AzureServices"
  data_endpoint_enabled         = local.premium
  zone_redundancy_enabled       = local.premium && var.zone_redundancy_enabled
  retention_policy_in_days      = local.premium ? var.retention_policy_in_days : null
  network_rule_set = local.premium ? [{
    default_action = var.network_default_action
    ip_rule        = [for c in var.allowed_ip_ranges : { action = "Allow", ip_range = c }]
  }] : null
  tags = var.tags
}

resource "azurerm_role_assignment" "this" {
  for_each = local.role_assignments

  scope                = azurerm_container_registry.this.id
  role_definition_name = each.value.role_definition_name
  principal_id         = each.value.principal_id
  principal_type       = each.value.principal_type
}
