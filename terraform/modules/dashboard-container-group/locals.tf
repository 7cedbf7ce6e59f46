locals {
  dashboard_port = 8050

  resource_group_name = element(split("/", var.resource_group_id), 4)
  # ARM id composed here: a resource cannot reference its own id, and the agent needs it.
  group_id  = "${var.resource_group_id}/providers/Microsoft.ContainerInstance/containerGroups/${var.name}"
  zone_name = element(split("/", var.dns_zone_id), 8)

  # The agent's environment contract (helpers/agent); no ACILAB_CERT_* settings, so the agent
  # only keeps the DNS record.
  agent_environment = {
    ACILAB_CONTAINER_GROUP_ID = local.group_id
    ACILAB_IP_SOURCE          = var.agent_ip_source
    ACILAB_DNS_ZONE_ID        = var.dns_zone_id
    ACILAB_DNS_RECORD_NAME    = var.dns_record_name
    ACILAB_DNS_OWNER          = var.dns_owner
    ACILAB_DNS_TTL            = tostring(var.dns_ttl)
    ACILAB_INTERVAL_SECONDS   = tostring(var.agent_interval_seconds)
    ACILAB_HEALTH_ADDR        = "0.0.0.0:${var.agent_health_port}"
    ACILAB_LOG                = var.agent_log_level
    AZURE_CLIENT_ID           = var.identity.client_id
  }
}
