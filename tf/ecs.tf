# ECS on Fargate: one task = nginx (public port, behind the ALB) + the app
# (gunicorn on localhost). Tasks run in the private subnets, scale on CPU, and
# a deployment that does not get healthy is rolled back by the circuit breaker.

locals {
  app_image   = "${aws_ecr_repository.main["app"].repository_url}:${var.image_tag}"
  nginx_image = "${aws_ecr_repository.main["nginx"].repository_url}:${var.image_tag}"

  app_environment = [
    { name = "APP_ENV", value = "production" },
    { name = "CORS_ORIGINS", value = var.cors_origins },
    { name = "GOOGLE_CLIENT_ID", value = var.google_client_id },
    { name = "IMAGE_STORAGE", value = "s3" },
    { name = "S3_BUCKET", value = module.images.id },
    { name = "S3_REGION", value = var.aws_region },
    { name = "BACKUP_S3_BUCKET", value = module.backups.id },
    { name = "SUPERUSER_EMAIL", value = var.superuser_email },
    { name = "GUNICORN_BIND", value = "127.0.0.1:8000" },
    { name = "GUNICORN_WORKERS", value = tostring(var.gunicorn_workers) },
    { name = "GUNICORN_THREADS", value = tostring(var.gunicorn_threads) },
    # Clients come through the load balancer, then nginx; nginx resolves the load balancer's hop itself
    # (real_ip from private addresses) and sends the app one X-Forwarded-* hop.
    { name = "PROXY_HOPS", value = "1" },
    # The most tasks that may serve at once; above one the app refuses local images and in-memory
    # rate limits (RATELIMIT_STORAGE_URI, a secret, points at ElastiCache: redis.tf).
    { name = "APP_INSTANCES", value = tostring(var.max_count) },
  ]

  app_secrets = [
    for name, secret in aws_secretsmanager_secret.app : { name = name, valueFrom = secret.arn }
  ]

  log_configuration = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.app.name
      awslogs-region        = var.aws_region
      awslogs-stream-prefix = "ecs"
    }
  }

  # The images run read-only; each container gets a scratch /tmp.
  app_container = {
    name                   = "app"
    image                  = local.app_image
    essential              = true
    readonlyRootFilesystem = true
    environment            = local.app_environment
    secrets                = local.app_secrets
    mountPoints            = [{ sourceVolume = "app-tmp", containerPath = "/tmp", readOnly = false }]
    logConfiguration       = local.log_configuration
    healthCheck = {
      command     = ["CMD", "python", "/app/docker/healthcheck.py"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
  }
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_ecs_cluster" "main" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "main" {
  cluster_name       = aws_ecs_cluster.main.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_ecs_task_definition" "app" {
  family                   = local.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "app-tmp"
  }

  volume {
    name = "nginx-tmp"
  }

  container_definitions = jsonencode([
    local.app_container,
    {
      name                   = "nginx"
      image                  = local.nginx_image
      essential              = true
      readonlyRootFilesystem = true
      portMappings           = [{ containerPort = local.nginx_port, protocol = "tcp" }]
      environment            = [{ name = "APP_UPSTREAM", value = "127.0.0.1:8000" }]
      mountPoints            = [{ sourceVolume = "nginx-tmp", containerPath = "/tmp", readOnly = false }]
      dependsOn              = [{ containerName = "app", condition = "START" }]
      logConfiguration       = local.log_configuration
    },
  ])
}

resource "aws_ecs_service" "app" {
  name                              = local.name
  cluster                           = aws_ecs_cluster.main.id
  task_definition                   = aws_ecs_task_definition.app.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 60
  propagate_tags                    = "SERVICE"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.app.arn
    container_name   = "nginx"
    container_port   = local.nginx_port
  }

  lifecycle {
    # Autoscaling owns the running count once the service exists.
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https]
}

resource "aws_appautoscaling_target" "app" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.app.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.desired_count
  max_capacity       = var.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${local.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.app.service_namespace
  resource_id        = aws_appautoscaling_target.app.resource_id
  scalable_dimension = aws_appautoscaling_target.app.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# The migration runs as a one-off task before each deploy (see
# scripts/deploy.sh). Its definition is emitted as JSON with an @IMAGE@
# placeholder: the deploy script registers it with the freshly pushed image,
# so the schema is upgraded before the service is moved to the new image.
locals {
  migrate_task_definition = {
    family                  = "${local.name}-migrate"
    requiresCompatibilities = ["FARGATE"]
    networkMode             = "awsvpc"
    cpu                     = tostring(var.task_cpu)
    memory                  = tostring(var.task_memory)
    executionRoleArn        = aws_iam_role.execution.arn
    taskRoleArn             = aws_iam_role.task.arn
    volumes                 = [{ name = "app-tmp" }]
    containerDefinitions = [merge(
      { for key, value in local.app_container : key => value if key != "healthCheck" },
      { name = "migrate", image = "@IMAGE@", command = ["appl-tracky-migrate"] },
    )]
  }
}
