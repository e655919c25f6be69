# Secrets live in Secrets Manager, encrypted with the stack's key, and reach
# the containers through the task definition's `secrets` (never as plain
# environment values in the task definition).
#
# SECRET_KEY, DATABASE_URL, RATELIMIT_STORAGE_URI (the Redis URL with its AUTH token, redis.tf) and
# SUPERUSER_PASSWORD are generated here.
# GOOGLE_CLIENT_SECRET is created with a placeholder; put the real value in with
#   aws secretsmanager put-secret-value --secret-id <google_client_secret_arn> --secret-string '...'
# Terraform then leaves it alone (ignore_changes).

locals {
  secrets = {
    SECRET_KEY            = "secret-key"
    DATABASE_URL          = "database-url"
    RATELIMIT_STORAGE_URI = "ratelimit-storage-uri"
    SUPERUSER_PASSWORD    = "superuser-password"
    GOOGLE_CLIENT_SECRET  = "google-client-secret"
  }
}

resource "aws_secretsmanager_secret" "app" {
  #checkov:skip=CKV2_AWS_57:Automatic rotation does not fit these values: rotating SECRET_KEY logs every user out, and the database password and the Redis token are rotated together with their URLs by re-applying Terraform.
  for_each = local.secrets

  name                    = "${local.name}/${each.value}"
  description             = "${local.name}: ${each.key} for the app containers"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "random_password" "secret_key" {
  length  = 64
  special = false
}

resource "random_password" "superuser" {
  length  = 32
  special = false
}

resource "aws_secretsmanager_secret_version" "secret_key" {
  secret_id     = aws_secretsmanager_secret.app["SECRET_KEY"].id
  secret_string = random_password.secret_key.result
}

resource "aws_secretsmanager_secret_version" "superuser_password" {
  secret_id     = aws_secretsmanager_secret.app["SUPERUSER_PASSWORD"].id
  secret_string = random_password.superuser.result
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id = aws_secretsmanager_secret.app["DATABASE_URL"].id
  secret_string = format(
    "postgresql://%s:%s@%s/%s?sslmode=require",
    aws_db_instance.main.username,
    random_password.db.result,
    aws_db_instance.main.endpoint,
    aws_db_instance.main.db_name,
  )
}

resource "aws_secretsmanager_secret_version" "google_client_secret" {
  secret_id     = aws_secretsmanager_secret.app["GOOGLE_CLIENT_SECRET"].id
  secret_string = "not-configured"

  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret_version" "ratelimit_storage_uri" {
  secret_id = aws_secretsmanager_secret.app["RATELIMIT_STORAGE_URI"].id
  # rediss://: TLS, as the replication group requires (transit encryption).
  secret_string = format(
    "rediss://:%s@%s:%d/0",
    random_password.redis_auth.result,
    aws_elasticache_replication_group.main.primary_endpoint_address,
    local.redis_port,
  )
}
