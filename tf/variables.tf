variable "project" {
  description = "Short name used as a prefix for every resource (lowercase letters, digits and hyphens)."
  type        = string
  default     = "appl-tracky"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2-21 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment stage, appended to resource names (for example production or staging)."
  type        = string
  default     = "production"
}

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "availability_zones" {
  description = "The two availability zones (names, in aws_region) that get a public and a private subnet each."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b"]

  validation {
    condition     = length(var.availability_zones) == 2
    error_message = "availability_zones must name exactly two zones."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC; the public and private subnets of the two availability zones are carved out of it."
  type        = string
  default     = "10.20.0.0/16"
}

variable "single_nat_gateway" {
  description = "Use one NAT gateway for both private subnets (cheaper, but an AZ outage cuts egress). False gives one NAT gateway per AZ."
  type        = bool
  default     = false
}

variable "hosted_zone_name" {
  description = "Name of the existing public Route 53 hosted zone that holds the service's record (for example example.com)."
  type        = string
}

variable "domain_name" {
  description = "Fully qualified host name the service answers on (for example tracky.example.com); an ACM certificate is issued for it."
  type        = string
}

variable "image_tag" {
  description = "Tag of the app and nginx images in ECR to run (make deploy passes the git commit)."
  type        = string
}

variable "task_cpu" {
  description = "Fargate task CPU units (1024 = 1 vCPU) shared by the app and nginx containers."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Fargate task memory in MiB shared by the app and nginx containers."
  type        = number
  default     = 1024
}

variable "gunicorn_workers" {
  description = "Gunicorn worker processes per task (GUNICORN_WORKERS)."
  type        = number
  default     = 2
}

variable "gunicorn_threads" {
  description = "Threads per gunicorn worker (GUNICORN_THREADS)."
  type        = number
  default     = 4
}

variable "desired_count" {
  description = "Minimum (and initial) number of running tasks. Use 0 for the very first apply, before any image has been pushed."
  type        = number
  default     = 2
}

variable "max_count" {
  description = "Upper bound for CPU-based autoscaling of the service."
  type        = number
  default     = 6
}

variable "cpu_target_percent" {
  description = "Average service CPU utilisation that autoscaling keeps the service at."
  type        = number
  default     = 60
}

variable "cors_origins" {
  description = "Comma-separated origins allowed by CORS (the web client's URL), passed to the app as CORS_ORIGINS."
  type        = string
}

variable "google_client_id" {
  description = "OAuth client id for Google sign-in (public; the client secret goes to Secrets Manager, see README)."
  type        = string
  default     = ""
}

variable "superuser_email" {
  description = "E-mail of the administrator that the migration task creates if absent (flask initialize-superuser)."
  type        = string
}

variable "db_engine_version" {
  description = "PostgreSQL major version for RDS."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  description = "RDS instance class (Performance Insights is on, which the smallest burstable classes do not all support)."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage" {
  description = "Initial RDS storage in GiB."
  type        = number
  default     = 20
}

variable "db_max_allocated_storage" {
  description = "Upper bound in GiB for RDS storage autoscaling."
  type        = number
  default     = 100
}

variable "db_multi_az" {
  description = "Run RDS with a standby in the second availability zone."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days RDS keeps automated backups (point-in-time recovery window)."
  type        = number
  default     = 14
}

variable "redis_node_type" {
  description = "ElastiCache node type of the rate-limit Redis (a primary and a replica)."
  type        = string
  default     = "cache.t4g.small"
}

variable "redis_engine_version" {
  description = "Redis engine version of ElastiCache (7.x, matching the default.redis7 parameter group)."
  type        = string
  default     = "7.1"
}

variable "deletion_protection" {
  description = "Protect the load balancer and the database from deletion (turn off only to destroy the stack)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the service's logs."
  type        = number
  default     = 365
}

variable "backup_retention_days" {
  description = "Days the backups bucket keeps `flask backup-db` dumps (and old versions of them)."
  type        = number
  default     = 90
}
