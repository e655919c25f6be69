output "url" {
  description = "Public URL of the service."
  value       = "https://${var.domain_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (the Route 53 record aliases it)."
  value       = aws_lb.main.dns_name
}

output "app_repository_url" {
  description = "ECR repository of the app image (push <url>:<git commit>)."
  value       = aws_ecr_repository.main["app"].repository_url
}

output "nginx_repository_url" {
  description = "ECR repository of the nginx image."
  value       = aws_ecr_repository.main["nginx"].repository_url
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.main.name
}

output "service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.app.name
}

output "private_subnet_ids" {
  description = "Private subnets, comma-separated (where the one-off migration task runs)."
  value       = join(",", aws_subnet.private[*].id)
}

output "task_security_group_id" {
  description = "Security group of the tasks (the migration task uses it too)."
  value       = aws_security_group.tasks.id
}

output "migrate_task_definition" {
  description = "JSON for `aws ecs register-task-definition --cli-input-json`, with @IMAGE@ to replace by the app image."
  value       = jsonencode(local.migrate_task_definition)
}

output "images_bucket" {
  description = "S3 bucket of uploaded images."
  value       = module.images.id
}

output "backups_bucket" {
  description = "S3 bucket that `flask backup-db --s3` writes to."
  value       = module.backups.id
}

output "db_endpoint" {
  description = "RDS endpoint (host:port), reachable from the private subnets only."
  value       = aws_db_instance.main.endpoint
}

output "redis_endpoint" {
  description = "Primary endpoint (host) of the ElastiCache Redis, reachable from the tasks only, over TLS."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "redis_auth_token_arn" {
  description = "Secrets Manager secret holding the generated Redis AUTH token."
  value       = aws_secretsmanager_secret.redis_auth_token.arn
}

output "log_group" {
  description = "CloudWatch log group of the containers."
  value       = aws_cloudwatch_log_group.app.name
}

output "google_client_secret_arn" {
  description = "Secrets Manager secret to put the Google OAuth client secret into."
  value       = aws_secretsmanager_secret.app["GOOGLE_CLIENT_SECRET"].arn
}

output "superuser_password_arn" {
  description = "Secrets Manager secret holding the generated administrator password."
  value       = aws_secretsmanager_secret.app["SUPERUSER_PASSWORD"].arn
}

output "aws_region" {
  description = "Region of the stack (used by make deploy)."
  value       = var.aws_region
}

output "task_definition_arn" {
  description = "Task definition revision the service should run after an apply."
  value       = aws_ecs_task_definition.app.arn
}
