#!/usr/bin/env bash
# Deploy the stack to LocalStack with cdklocal. Differences from AWS (see README):
#  - fargate=false: LocalStack's free edition has no ECS, so fargate chunks run on the work λ;
#  - removal=destroy so `localstack:down` leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
npx cdklocal bootstrap aws://000000000000/us-east-1
npx cdklocal deploy --require-approval never -c fargate=false -c removal=destroy -c stackName=Sluice --outputs-file .sluice/localstack-outputs.json "$@"
