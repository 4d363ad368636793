#!/usr/bin/env bash
# The embedded default: SQLite and Celery's filesystem broker under var/, worker and beat beside the
# web server; DEBUG off (the settings' default), static files through WhiteNoise.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
VAR_DIR=${VAR_DIR:-var}
export WEBHOOK_ALLOW_PRIVATE_NETWORKS=${WEBHOOK_ALLOW_PRIVATE_NETWORKS:-1}

$BIN/python manage.py migrate --no-input -v 0
$BIN/python manage.py seed_demo
$BIN/python manage.py collectstatic --no-input -v 0

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

mkdir -p "$VAR_DIR/log"
$BIN/celery -A config worker --beat --pool=solo --loglevel=INFO \
  --schedule "$VAR_DIR/celerybeat-schedule" >"$VAR_DIR/log/celery.log" 2>&1 &
pids+=($!)

echo
echo "Mekong Exchange is running at http://$HOST:$PORT/"
echo "  API docs:  http://$HOST:$PORT/api/docs/"
echo "  Portal:    http://$HOST:$PORT/   (the demo logins above, password 'mekong-demo')"
echo "  Admin:     http://$HOST:$PORT/admin/   (platform operators only: manage.py createsuperuser)"
echo "  Celery worker and beat log to $VAR_DIR/log/celery.log; emails are written to $VAR_DIR/mail/"
echo
$BIN/gunicorn config.wsgi:application --config config/gunicorn_conf.py --bind "$HOST:$PORT" &
pids+=($!)
wait -n "${pids[@]}"
