output "deployment_stage" {
  description = "The stage this state was applied with (var.deployment_stage); deploy.yml never plans a lower one by accident."
  value       = var.deployment_stage
}

output "url" {
  description = "The app through Application Gateway (null before the gateway stage)."
  value       = local.deploy_gateway ? "https://${local.appgw_host_name}/" : null
}

output "app_gateway_public_ip" {
  description = "Public IP address of the gateway (appgw.<domain> is a CNAME to its DNS label); null before the gateway stage."
  value       = one(module.app_gateway[*].public_ip_address)
}

output "app_private_fqdn" {
  description = "Private name of the app container groups (the gateway's backend); null before the app_groups stage."
  value       = one(module.app[*].fqdn)
}

output "app_ip_addresses" {
  description = "Private IPs of the app groups in the DNS record; null before the app_groups stage."
  value       = one(module.app_dns[*].ip_addresses)
}

output "dashboard_url" {
  description = "The dashboard, reachable from inside the virtual network; null before the app_groups stage."
  value       = one(module.dashboard[*].url)
}

output "container_group_ids" {
  description = "Resource ids of the app container groups and the dashboard group (empty before the app_groups stage)."
  value       = concat(flatten(module.app[*].container_group_ids), module.dashboard[*].container_group_id)
}

output "registry_login_server" {
  description = "Registry the images are pulled from (push and import them here)."
  value       = module.acr.login_server
}

output "registry_name" {
  description = "Name of the registry, for `az acr login --name` and `az acr import --name`."
  value       = module.acr.name
}

output "key_vault_uri" {
  description = "Data-plane URL of the Key Vault holding the certificate."
  value       = module.key_vault.vault_uri
}

output "certificate_secret_id" {
  description = "Versionless secret id of the wildcard certificate (what the gateway references); null before the certificate stage."
  value       = one(module.certificate[*].versionless_secret_id)
}

output "certificate_not_after" {
  description = "Expiry of the current certificate version; null before the certificate stage."
  value       = one(module.certificate[*].not_after)
}

output "sql_server_fqdn" {
  description = "SQL server name; inside the network it resolves to the private endpoint."
  value       = module.sql.fully_qualified_domain_name
}
