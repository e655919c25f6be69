#!/usr/bin/env bash
# One-command deploy to AWS (make deploy): build and push both images tagged
# with the git commit, migrate with a one-off ECS task, roll the service to the
# new images with terraform, wait until it is stable, print the URL.
#
#   scripts/deploy.sh            deploy
#   DRY_RUN=1 scripts/deploy.sh  print every command, run none of them
#
# Settings from the environment:
#   TF_DIR       terraform directory (default: tf)
#   IMAGE_TAG    tag to build and deploy (default: the current git commit)
#   ALLOW_DIRTY  1 to deploy a working tree with uncommitted changes
#
# Requires: git, docker (with buildx), aws CLI v2, terraform, credentials for
# the target account, and a stack created once with terraform (see README).
set -Eeuo pipefail

DRY_RUN="${DRY_RUN:-0}"
TF_DIR="${TF_DIR:-tf}"
STEP="start"

cd "$(dirname "$0")/.."

on_exit() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        printf '\ndeploy: FAILED during step "%s" (exit %s); the steps after it did not run.\n' "$STEP" "$rc" >&2
    fi
}
trap on_exit EXIT

step() {
    STEP="$1"
    printf '\n==> %s\n' "$1"
}

die() {
    printf 'deploy: %s\n' "$*" >&2
    exit 1
}

# Commands are echoed on file descriptor 3 (the original stdout), so that the
# echo of a command whose output is captured still shows, in order.
exec 3>&1

# Print a command as a shell would read it: plain words bare, others quoted.
show() {
    local word line="+"
    for word in "$@"; do
        if [[ "$word" =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then
            line+=" $word"
        else
            line+=" '${word//\'/\'\\\'\'}'"
        fi
    done
    printf '%s\n' "$line" >&3
}

# Print a command, then run it (unless DRY_RUN=1).
run() {
    show "$@"
    if [ "$DRY_RUN" != 1 ]; then
        "$@"
    fi
}

# Print a command, then run it and print its output for capture; under
# DRY_RUN=1 print the placeholder <$1> instead of running it.
capture() {
    local placeholder="$1"
    shift
    show "$@"
    if [ "$DRY_RUN" = 1 ]; then
        printf '<%s>' "$placeholder"
    else
        "$@"
    fi
}

tf_output() {
    capture "$1" terraform -chdir="$TF_DIR" output -raw "$1"
}

step "Check the tools and the working tree"
if [ "$DRY_RUN" != 1 ]; then
    for tool in git docker aws terraform; do
        command -v "$tool" >/dev/null || die "$tool is not installed (needed for deploy)"
    done
fi
# Reading the commit changes nothing, so it runs even under DRY_RUN=1.
TAG="${IMAGE_TAG:-$(git rev-parse --short=12 HEAD)}"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    if [ "$DRY_RUN" = 1 ] || [ "${ALLOW_DIRTY:-0}" = 1 ]; then
        printf 'warning: uncommitted changes; the images will not match commit %s\n' "$TAG" >&2
    else
        die "uncommitted changes: commit them first (or ALLOW_DIRTY=1), so that image tag $TAG means this code"
    fi
fi
printf 'image tag: %s\n' "$TAG"

step "Read the stack's outputs"
run terraform -chdir="$TF_DIR" init -input=false
REGION="$(tf_output aws_region)"
APP_REPO="$(tf_output app_repository_url)"
NGINX_REPO="$(tf_output nginx_repository_url)"
CLUSTER="$(tf_output cluster_name)"
SERVICE="$(tf_output service_name)"
SUBNETS="$(tf_output private_subnet_ids)"
SECURITY_GROUP="$(tf_output task_security_group_id)"
MIGRATE_TASK_JSON="$(tf_output migrate_task_definition)"
URL="$(tf_output url)"
REGISTRY="${APP_REPO%%/*}"
APP_IMAGE="$APP_REPO:$TAG"
NGINX_IMAGE="$NGINX_REPO:$TAG"

step "Build the images"
run docker build --platform linux/amd64 -f docker/app.Dockerfile -t "$APP_IMAGE" .
run docker build --platform linux/amd64 -f docker/nginx.Dockerfile -t "$NGINX_IMAGE" .

step "Push the images to ECR"
PASSWORD="$(capture ecr_password aws ecr get-login-password --region "$REGION")"
show docker login --username AWS --password-stdin "$REGISTRY"
if [ "$DRY_RUN" != 1 ]; then
    printf '%s' "$PASSWORD" | docker login --username AWS --password-stdin "$REGISTRY"
fi
run docker push "$APP_IMAGE"
run docker push "$NGINX_IMAGE"

step "Migrate the database (one-off ECS task)"
TASK_DEFINITION="$(capture migrate_task_definition_arn aws ecs register-task-definition --region "$REGION" \
    --cli-input-json "${MIGRATE_TASK_JSON//@IMAGE@/$APP_IMAGE}" \
    --query taskDefinition.taskDefinitionArn --output text)"
TASK="$(capture migrate_task_arn aws ecs run-task --region "$REGION" --cluster "$CLUSTER" \
    --launch-type FARGATE --task-definition "$TASK_DEFINITION" --started-by make-deploy \
    --network-configuration "awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$SECURITY_GROUP],assignPublicIp=DISABLED}" \
    --query 'tasks[0].taskArn' --output text)"
if [ "$DRY_RUN" != 1 ] && { [ -z "$TASK" ] || [ "$TASK" = None ]; }; then
    die "ECS did not start the migration task"
fi
run aws ecs wait tasks-stopped --region "$REGION" --cluster "$CLUSTER" --tasks "$TASK"
EXIT_CODE="$(capture migrate_exit_code aws ecs describe-tasks --region "$REGION" --cluster "$CLUSTER" \
    --tasks "$TASK" --query 'tasks[0].containers[0].exitCode' --output text)"
if [ "$DRY_RUN" != 1 ] && [ "$EXIT_CODE" != 0 ]; then
    die "the migration task exited with '$EXIT_CODE'; its output is in CloudWatch (terraform -chdir=$TF_DIR output log_group). The service was not changed."
fi

step "Roll the service to $TAG (terraform apply)"
run terraform -chdir="$TF_DIR" plan -input=false -var "image_tag=$TAG" -out=deploy.tfplan
run terraform -chdir="$TF_DIR" apply -input=false deploy.tfplan

step "Wait for the service to be stable"
run aws ecs wait services-stable --region "$REGION" --cluster "$CLUSTER" --services "$SERVICE"
# A deployment that failed its health checks is rolled back by the circuit
# breaker and the service is "stable" again, on the old revision: check.
WANTED="$(tf_output task_definition_arn)"
RUNNING="$(capture primary_task_definition aws ecs describe-services --region "$REGION" --cluster "$CLUSTER" \
    --services "$SERVICE" --query "services[0].deployments[?status=='PRIMARY'].taskDefinition | [0]" --output text)"
if [ "$DRY_RUN" != 1 ] && [ "$RUNNING" != "$WANTED" ]; then
    die "the service runs $RUNNING, not $WANTED: the new tasks did not get healthy and were rolled back"
fi

step "Done"
printf 'Deployed %s: %s\n' "$TAG" "$URL"
