locals {
  web_port = 80
  api_port = 8080

  resource_group_name = element(split("/", var.resource_group_id), 4)
  group_names         = [for i in range(var.instance_count) : "${var.name_prefix}-${i}"]

  # ARM ids are composed here: a resource cannot reference its own id, and the agent needs it.
  group_ids = [
    for n in local.group_names :
    "${var.resource_group_id}/providers/Microsoft.ContainerInstance/containerGroups/${n}"
  ]

  zone_name = element(split("/", var.dns_zone_id), 8)

  # The agent's environment contract (helpers/agent): everything but the group id is the same
  # in every group.
  agent_environment = {
    ACILAB_IP_SOURCE          = var.agent_ip_source
    ACILAB_DNS_ZONE_ID        = var.dns_zone_id
    ACILAB_DNS_RECORD_NAME    = var.dns_record_name
    ACILAB_DNS_OWNER          = var.dns_owner
    ACILAB_DNS_TTL            = tostring(var.dns_ttl)
    ACILAB_CERT_KEY_VAULT_URL = var.certificate.key_vault_uri
    ACILAB_CERT_NAME          = var.certificate.name
    ACILAB_CERT_DIR           = var.cert_dir
    ACILAB_INTERVAL_SECONDS   = tostring(var.agent_interval_seconds)
    ACILAB_HEALTH_ADDR        = "0.0.0.0:${var.agent_health_port}"
    ACILAB_LOG                = var.agent_log_level
    AZURE_CLIENT_ID           = var.identity.client_id
  }

  web_environment = merge({ API_URL = "http://127.0.0.1:${local.api_port}" }, var.web_environment_variables)

  nginx_config = templatefile("${path.module}/templates/nginx.conf.tftpl", {
    worker_user = var.nginx_worker_user
    cert_dir    = var.cert_dir
    web_port    = local.web_port
    api_port    = local.api_port
    tls_port    = 443
    run_dir     = "/tmp"
  })
  nginx_config_dir = "/etc/nginx/acilab"
}
