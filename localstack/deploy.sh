#!/usr/bin/env bash
# Deploy the stack to LocalStack with cdklocal. Differences from AWS (see README):
#  - fargate=false: LocalStack's free edition has no ECS, so fargate chunks run on the work λ;
#  - removal=destroy so `localstack:down` leaves nothing behind;
#  - workerConcurrency=0: LocalStack has no account concurrency to reserve from.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "localstack/deploy.sh: $*" >&2; exit 2; }
command -v docker >/dev/null || fail "docker is not installed: LocalStack runs in a container"
[ -n "${LOCALSTACK_AUTH_TOKEN:-}" ] || fail "LOCALSTACK_AUTH_TOKEN is not set (a free token from app.localstack.cloud, Auth Tokens)"
curl -fsS http://127.0.0.1:4566/_localstack/health >/dev/null 2>&1 || fail "LocalStack does not answer on 127.0.0.1:4566: run npm run localstack:up first"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
npx cdklocal bootstrap aws://000000000000/us-east-1
npx cdklocal deploy --require-approval never -c fargate=false -c removal=destroy -c workerConcurrency=0 -c stackName=Sluice --outputs-file .sluice/localstack-outputs.json "$@"
