#!/usr/bin/env bash
# The command line, step by step and all in one. Uses $BEARER_TOKEN and $X_API_BASE_URL
# when set; otherwise starts the emulator in the background (and stops it at the end).
set -euo pipefail
work=$(mktemp -d)
cd "$work"

if [ -z "${BEARER_TOKEN:-}" ]; then
  compliance-frames emulator --port 0 --processing-seconds 1 > emulator.log &
  emulator=$!
  trap 'kill $emulator 2>/dev/null || true' EXIT
  for _ in $(seq 100); do grep -q "Ctrl+C" emulator.log 2>/dev/null && break; sleep 0.1; done
  eval "$(grep '^  export' emulator.log)"
fi

printf '1265324480517361664\n906972198136631298\n1182427463398813696\n' > tweet_ids.txt

# Step by step, by name:
compliance-frames create --type tweets --name my-tweets
compliance-frames upload --name my-tweets --ids-file tweet_ids.txt
compliance-frames get --name my-tweets
compliance-frames download --name my-tweets --results-file results.ndjson --poll-interval 1
compliance-frames list

# All in one (safe to run twice: the second run finds the job again):
compliance-frames all --type tweets --name all-in-one --ids-file tweet_ids.txt \
  --results-file all.ndjson --poll-interval 1

# A dataset file in, the flagged and the filtered datasets out:
printf 'tweet_id,author_id,lat\n1265324480517361664,101,52.5\n906972198136631298,102,\n' > tweets.csv
compliance-frames check tweets.csv --id-col tweet_id --user-col author_id \
  --output flagged.parquet --filtered cleaned.csv --geo-columns lat --poll-interval 1
echo "Files are in $work"
