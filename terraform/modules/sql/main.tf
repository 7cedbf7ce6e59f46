resource "azurerm_mssql_server" "this" {
  #checkov:skip=CKV2_AZURE_2:Vulnerability assessment needs Microsoft Defender for SQL and a storage account; it is a paid subscription-level decision outside this sample.
  #checkov:skip=CKV2_AZURE_3:Vulnerability assessment (periodic scans) needs Microsoft Defender for SQL; see CKV2_AZURE_2.
  #checkov:skip=CKV2_AZURE_4:Vulnerability assessment reports need Microsoft Defender for SQL; see CKV2_AZURE_2.
  #checkov:skip=CKV2_AZURE_5:Vulnerability assessment e-mails need Microsoft Defender for SQL; see CKV2_AZURE_2.
  #checkov:skip=CKV_AZURE_24:Audit events go to Log Analytics (var.auditing), whose workspace retention decides how long they are kept; retention_in_days only applies to a storage account target.
  name                          = var.name
  location                      = var.location
  resource_group_name           = var.resource_group_name
  version                       = "12.0"
  minimum_tls_version           = var.minimum_tls_version
  public_network_access_enabled = false
  tags                          = var.tags

  azuread_administrator {
    login_username              = var.azuread_administrator.login_username
    object_id                   = var.azuread_administrator.object_id
    azuread_authentication_only = true
  }
}

resource "azurerm_mssql_database" "this" {
  #checkov:skip=CKV_AZURE_229:The default Basic SKU cannot be zone redundant; zone_redundant is a variable for the Premium, Business Critical and vCore SKUs that can.
  #checkov:skip=CKV_AZURE_224:Ledger cannot be turned off again and makes every table a ledger table; the sample's request log does not need cryptographic proof.
  name                                = var.database_name
  server_id                           = azurerm_mssql_server.this.id
  sku_name                            = var.sku_name
  max_size_gb                         = var.max_size_gb
  zone_redundant                      = var.zone_redundant
  transparent_data_encryption_enabled = true
  tags                                = var.tags
}

resource "azurerm_private_endpoint" "this" {
  name                = "pe-${var.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.private_endpoint_subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "sqlServer"
    private_connection_resource_id = azurerm_mssql_server.this.id
    subresource_names              = ["sqlServer"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [var.private_dns_zone_id]
  }
}

# Auditing to Log Analytics: the policy turns it on, the diagnostic setting on the master
# database carries the events to the workspace.
resource "azurerm_mssql_server_extended_auditing_policy" "this" {
  count = var.auditing == null ? 0 : 1

  server_id              = azurerm_mssql_server.this.id
  enabled                = true
  log_monitoring_enabled = true
}

resource "azurerm_monitor_diagnostic_setting" "audit" {
  count = var.auditing == null ? 0 : 1

  name                       = "audit-to-log-analytics"
  target_resource_id         = "${azurerm_mssql_server.this.id}/databases/master"
  log_analytics_workspace_id = var.auditing.log_analytics_workspace_id

  enabled_log {
    category = "SQLSecurityAuditEvents"
  }

  depends_on = [azurerm_mssql_server_extended_auditing_policy.this]
}
