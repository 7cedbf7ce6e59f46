locals {
  premium = var.sku == "Premium"

  role_assignments = merge(
    {
      for k, id in var.pull_principal_ids : "pull-${k}" => {
        role_definition_name = "AcrPull"
        principal_id         = id
        principal_type       = "ServicePrincipal"
      }
    },
    var.role_assignments,
  )
}
