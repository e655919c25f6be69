# ElastiCache Redis: the shared storage of the rate limits (RATELIMIT_STORAGE_URI), so every task and
# every gunicorn worker counts against the same limits. A primary and a replica in the two private
# subnets with automatic failover, encrypted at rest (the stack's key) and in transit (TLS), with an
# AUTH token generated here and kept in Secrets Manager; only the ECS tasks may connect.

locals {
  redis_port = 6379
}

resource "aws_elasticache_subnet_group" "main" {
  name       = local.name
  subnet_ids = aws_subnet.private[*].id
}

resource "random_password" "redis_auth" {
  # ElastiCache accepts 16-128 printable characters; letters and digits need no escaping in a URL.
  length  = 64
  special = false
}

resource "aws_elasticache_replication_group" "main" {
  replication_group_id = local.name
  description          = "${local.name}: shared rate-limit storage"
  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  port                 = local.redis_port
  parameter_group_name = "default.redis7"

  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true

  subnet_group_name  = aws_elasticache_subnet_group.main.name
  security_group_ids = [aws_security_group.redis.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.main.arn
  transit_encryption_enabled = true
  auth_token                 = random_password.redis_auth.result

  auto_minor_version_upgrade = true
  maintenance_window         = "sun:05:30-sun:06:30"
  # Rate-limit counters expire within minutes: a snapshot of them has nothing worth restoring.
  snapshot_retention_limit = 0
}

# The token alone, for an operator connecting with redis-cli (--tls --askpass); the app gets the whole
# URL through the RATELIMIT_STORAGE_URI secret (secrets.tf).
resource "aws_secretsmanager_secret" "redis_auth_token" {
  #checkov:skip=CKV2_AWS_57:The token is rotated by changing it in Terraform, which updates the replication group and the URL secret together.
  name                    = "${local.name}/redis-auth-token"
  description             = "${local.name}: AUTH token of the ElastiCache Redis replication group"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "redis_auth_token" {
  secret_id     = aws_secretsmanager_secret.redis_auth_token.id
  secret_string = random_password.redis_auth.result
}

resource "aws_security_group" "redis" {
  name        = "${local.name}-redis"
  description = "ElastiCache Redis: from the ECS tasks only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_tasks" {
  security_group_id            = aws_security_group.redis.id
  description                  = "Redis (TLS) from the ECS tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = local.redis_port
  to_port                      = local.redis_port
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_redis" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Redis (TLS), the shared rate-limit storage"
  referenced_security_group_id = aws_security_group.redis.id
  ip_protocol                  = "tcp"
  from_port                    = local.redis_port
  to_port                      = local.redis_port
}
