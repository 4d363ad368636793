#!/usr/bin/env bash
# The km, th and vi catalogs are complete: every message the code can show is in each, translated,
# none fuzzy. Fails naming the catalog and the messages otherwise.
set -euo pipefail
PYTHON=${PYTHON:-.venv/bin/python}
status=0
for po in locale/*/LC_MESSAGES/django.po; do
  stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1)
  echo "$po: $stats"
  if grep -qE "untranslated|fuzzy" <<<"$stats"; then
    msgattrib --untranslated --only-fuzzy "$po" >/dev/null 2>&1 || true
    msgattrib --untranslated "$po" | grep '^msgid' | tail -n +2 || true
    msgattrib --only-fuzzy "$po" | grep '^msgid' | tail -n +2 || true
    status=1
  fi
done
# Every message of the code is in every catalog: extract them afresh from a scratch copy.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$scratch"
root=$(pwd)
(cd "$scratch" && "$root/$PYTHON" manage.py makemessages --keep-pot -l km -v 0 \
  --ignore 'tests/*' --ignore 'bench/*' --ignore 'var/*' --ignore '.venv/*' --ignore '.tools/*')
for po in locale/*/LC_MESSAGES/django.po; do
  if ! msgcmp "$po" "$scratch/locale/django.pot" 2>"$scratch/missing"; then
    echo "$po lacks messages of the code (run makemessages and translate them):"
    grep -v "^msgcmp:" "$scratch/missing" | head -40 || true
    status=1
  fi
done
exit $status
