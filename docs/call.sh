# shellcheck shell=bash
# Shared by docs/walkthrough.sh and docs/measure-and-learn.sh (sourced): BASE, TOKEN and call().
BASE=${BASE:-http://localhost:4001}
TOKEN=${TOKEN:-growth-team-s3cret-2026}

call() { # call AGENT METHOD PARAMS_JSON [JQ_FILTER]: prints the request to stderr and the answer (jq -c) to stdout
  local body
  body=$(jq -nc --arg m "$2" --argjson p "$3" '{jsonrpc: "2.0", id: 1, method: $m, params: $p}')
  echo "\$ POST /mcp/$1/$2 $3" >&2
  curl -s "$BASE/mcp/$1/$2" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$body" \
    | jq -c "${4:-.}"
}
